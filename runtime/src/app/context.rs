//! What a handler knows about the message it handles, and what it may do
//! with it (publish, answer, settle).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::handler::{HandlerError, Reply};
use super::publisher::Publisher;
use super::publisher::lock;
use crate::broker::{AckHandle, BrokerError};
use crate::envelope::Envelope;

/// What a handler knows about the message it handles.
#[derive(Clone)]
pub struct Context {
    pub(super) envelope: Arc<Envelope>,
    pub(super) publisher: Publisher,
    /// The delivery's acker, with [`AckPolicy::Manual`](crate::AckPolicy::Manual) only.
    pub(super) acker: Option<ManualAcker>,
    /// Where [`Context::reply`] leaves the answer, for requests only (a
    /// message with `reply_to`).
    pub(super) reply: Option<ReplySlot>,
    pub(super) attempt: u32,
    /// The state values its route sees: its router's over the app's.
    pub(super) states: Arc<super::state::States>,
}

pub(super) type ManualAcker = Arc<tokio::sync::Mutex<Option<AckHandle>>>;
pub(super) type ReplySlot = Arc<Mutex<Option<Reply>>>;

impl Context {
    /// The state value of type `T` the handler's route sees (see
    /// [`State`](super::State)): its router's, else the app's.
    pub fn state<T: 'static>(&self) -> Option<&T> {
        self.states.get::<T>()
    }

    async fn take_acker(&self) -> Option<AckHandle> {
        match &self.acker {
            Some(a) => a.lock().await.take(),
            None => None,
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("envelope", &self.envelope)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for calling a handler outside a subscriber (tests,
    /// tools); its states are the app's of `publisher` (a running app's).
    pub fn detached(envelope: Envelope, publisher: Publisher) -> Context {
        let reply = envelope.reply_to.is_some().then(ReplySlot::default);
        Context {
            envelope: Arc::new(envelope),
            states: publisher.states().clone(),
            publisher,
            acker: None,
            reply,
            attempt: 1,
        }
    }

    /// Where [`Context::reply`] leaves the answer (a request's only).
    pub(crate) fn reply_slot(&self) -> Option<&ReplySlot> {
        self.reply.as_ref()
    }

    /// The delivery as the broker handed it: payload, headers, content type,
    /// broker meta.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The message's correlation id; `None` when it carries none.
    pub fn correlation_id(&self) -> Option<&str> {
        self.envelope.correlation_id.as_deref()
    }

    /// Where the answer to this message goes: `Some` for a request, `None` for
    /// any other message.
    pub fn reply_to(&self) -> Option<&str> {
        self.envelope.reply_to.as_deref()
    }

    /// The message's application headers ([`Envelope::headers`]).
    pub fn headers(&self) -> &std::collections::BTreeMap<String, String> {
        &self.envelope.headers
    }

    /// Which attempt this is (1 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Publish from inside a handler.
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Answers the request this message is, as JSON: the answer goes to
    /// its `reply_to`, with its correlation id, once the handler has
    /// returned successfully (a failed handler answers nothing, as in
    /// FastStream). For operations whose spec has no `reply` (FastStream's
    /// exports never write one, but its handlers answer `broker.request`
    /// with what they return). A message that is not a request (no
    /// `reply_to`) makes this a no-op; a later call replaces the answer,
    /// and a typed reply the handler returns wins over it. A request whose
    /// handler gives no answer at all is answered with an empty body, as
    /// FastStream answers with a handler's `None`.
    pub fn reply<T: serde::Serialize + ?Sized>(&self, answer: &T) -> Result<(), HandlerError> {
        if self.reply.is_some() {
            self.reply_raw(Reply {
                payload: serde_json::to_vec(answer)?,
                headers: Default::default(),
                content_type: Some("application/json".to_owned()),
            });
        }
        Ok(())
    }

    /// [`Context::reply`] with a payload, headers and content type of the
    /// handler's own.
    pub fn reply_raw(&self, answer: Reply) {
        if let Some(slot) = &self.reply {
            *lock(slot) = Some(answer);
        }
    }

    /// With [`AckPolicy::Manual`](crate::AckPolicy::Manual): acknowledge now.
    pub async fn ack(&self) -> Result<(), BrokerError> {
        match self.take_acker().await {
            Some(a) => a.ack().await,
            None => Ok(()),
        }
    }

    /// With [`AckPolicy::Manual`](crate::AckPolicy::Manual): hand the message back for redelivery.
    pub async fn nack(&self, delay: Option<Duration>) -> Result<(), BrokerError> {
        match self.take_acker().await {
            Some(a) => a.nack(delay).await,
            None => Ok(()),
        }
    }

    /// With [`AckPolicy::Manual`](crate::AckPolicy::Manual): dead-letter the message.
    pub async fn reject(&self, reason: impl Into<String>) -> Result<(), BrokerError> {
        match self.take_acker().await {
            Some(a) => a.reject(reason.into()).await,
            None => Ok(()),
        }
    }
}
