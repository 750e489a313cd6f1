//! Publishing and requests: the `Publisher` every application and handler
//! context holds, one reply inbox per process, correlation ids.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::Instrument;

use super::middleware::{Middleware, Published, messaging_system};
use crate::bindings::{Bindings, NO_BINDINGS};
use crate::broker::{Broker, BrokerError, BrokerErrorKind, SubscribeSpec};
use crate::envelope::{Envelope, Text};

/// Why publishing or a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The message (its payload, headers or record key) could not be encoded,
    /// so nothing was published.
    #[error("cannot encode the message: {0}")]
    Encode(#[source] crate::codec::EncodeError),
    /// The broker refused the publish or failed; for a request, also a reply
    /// inbox that could not be subscribed or that closed.
    #[error("broker error: {0}")]
    Broker(BrokerError),
    /// No reply within the timeout.
    #[error("no reply in time")]
    Timeout,
    /// The reply did not decode.
    #[error("the reply is invalid: {0}")]
    Reply(#[source] crate::DecodeError),
}

impl From<BrokerError> for PublishError {
    fn from(e: BrokerError) -> PublishError {
        PublishError::Broker(e)
    }
}

/// A fresh correlation id, as FastStream gives every message it publishes
/// that has none: a version-4 UUID string. Random once per process, then
/// counted, so there is no system call per message.
pub fn new_correlation_id() -> Text {
    static BASE: std::sync::LazyLock<u128> =
        std::sync::LazyLock::new(|| uuid::Uuid::new_v4().as_u128());
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = u128::from(NEXT.fetch_add(1, Ordering::Relaxed));
    let id = uuid::Builder::from_random_bytes(BASE.wrapping_add(n).to_be_bytes()).into_uuid();
    // Written into a buffer, not through `fmt`: a third of the cost.
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    Text::new(id.hyphenated().encode_lower(&mut text))
}

/// Sends messages, and requests that wait for a reply.
#[derive(Clone)]
pub struct Publisher {
    /// One allocation shared by every clone (a handler's context holds a
    /// clone per message).
    inner: Arc<PublisherInner>,
}

struct PublisherInner {
    broker: Arc<dyn Broker>,
    replies: Replies,
    middleware: Arc<Vec<Arc<dyn Middleware>>>,
    /// The app's state values (`State<T>`), shared by every handler's
    /// context through this one allocation.
    states: Arc<super::state::States>,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("broker", &self.inner.broker.name())
            .finish_non_exhaustive()
    }
}

struct Replies {
    inbox: tokio::sync::OnceCell<Text>,
    pending: Mutex<HashMap<Text, oneshot::Sender<Envelope>>>,
    /// Dropped with the publisher: the inbox's task ends then, and its
    /// subscription with it (else it would hold the connection open).
    alive: tokio::sync::watch::Sender<()>,
}

impl Default for Replies {
    fn default() -> Replies {
        Replies {
            inbox: tokio::sync::OnceCell::new(),
            pending: Mutex::default(),
            alive: tokio::sync::watch::channel(()).0,
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Publisher {
    /// A publisher that sends through `broker`, with no middleware (an app's
    /// own is [`RunningApp::publisher`](crate::RunningApp::publisher)).
    pub fn new(broker: Arc<dyn Broker>) -> Publisher {
        Publisher::with_middleware(broker, Arc::default(), Arc::default())
    }

    pub(super) fn with_middleware(
        broker: Arc<dyn Broker>,
        middleware: Arc<Vec<Arc<dyn Middleware>>>,
        states: Arc<super::state::States>,
    ) -> Publisher {
        Publisher {
            inner: Arc::new(PublisherInner {
                broker,
                replies: Replies::default(),
                middleware,
                states,
            }),
        }
    }

    /// The app's state values.
    pub(super) fn states(&self) -> &Arc<super::state::States> {
        &self.inner.states
    }

    /// A publisher that sends through `broker` (a Kafka transaction, a
    /// second broker) with this one's middleware: what it publishes is
    /// seen by them as the app's own sends are (headers they add, the
    /// records of [`TestApp`](crate::testing::TestApp)). A handler that
    /// publishes in a Kafka transaction:
    /// `ctx.publisher().through(txn.clone())`.
    ///
    /// ```
    /// # async fn run(ctx: faststream::Context) -> Result<(), faststream::PublishError> {
    /// let audit = faststream::MemoryBroker::new();
    /// let to_audit = ctx.publisher().through(audit);
    /// to_audit.publish(faststream::Envelope::new("audit", "{}")).await?;
    /// # Ok(()) }
    /// ```
    pub fn through(&self, broker: impl Broker) -> Publisher {
        Publisher::with_middleware(
            Arc::new(broker),
            self.inner.middleware.clone(),
            self.inner.states.clone(),
        )
    }

    /// Publishes one envelope.
    pub fn publish(
        &self,
        envelope: Envelope,
    ) -> impl Future<Output = Result<(), PublishError>> + Send + '_ {
        // No async wrapper of its own: the envelope is moved once less.
        self.publish_with(envelope, &NO_BINDINGS)
    }

    /// Publishes one envelope as the channel's bindings say (generated
    /// publishers pass the spec's).
    pub fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> impl Future<Output = Result<(), PublishError>> + Send + 'a {
        self.send(envelope, bindings, false)
    }

    /// Sends a reply (middleware is told it is one).
    pub(super) fn reply(
        &self,
        envelope: Envelope,
    ) -> impl Future<Output = Result<(), PublishError>> + Send + '_ {
        self.send(envelope, &NO_BINDINGS, true)
    }

    async fn send(
        &self,
        mut envelope: Envelope,
        bindings: &Bindings,
        reply: bool,
    ) -> Result<(), PublishError> {
        let inner = &*self.inner;
        if envelope.correlation_id.is_none() {
            // FastStream gives every message it publishes one.
            envelope.correlation_id = Some(new_correlation_id());
        }
        #[cfg(not(feature = "otel"))]
        let span = tracing::debug_span!(
            "publish",
            messaging.system = inner.broker.name(),
            messaging.destination.name = %envelope.channel,
            messaging.operation = "publish",
        );
        // A producer span by the messaging conventions, whose context the
        // message carries (else the delivery's passes through).
        #[cfg(feature = "otel")]
        let span = {
            let span = tracing::info_span!(
                "publish",
                otel.name = %format_args!("publish {}", envelope.channel),
                otel.kind = "producer",
                otel.status_code = tracing::field::Empty,
                messaging.system = messaging_system(inner.broker.name()),
                messaging.operation.type = "send",
                messaging.operation.name = "publish",
                messaging.destination.name = %envelope.channel,
                messaging.message.conversation_id = envelope.correlation_id.as_deref(),
                messaging.message.body.size = envelope.payload.len(),
                error.type = tracing::field::Empty,
            );
            span.in_scope(|| crate::otel::inject(&mut envelope));
            span
        };
        for m in inner.middleware.iter() {
            m.before_publish(&mut envelope);
        }
        // Nothing is measured for an app without middleware.
        // Boxed: the future every publish awaits stays small.
        let watched = (!inner.middleware.is_empty())
            .then(|| Box::new((envelope.channel.clone(), std::time::Instant::now())));
        #[cfg(feature = "otel")]
        let marked = span.clone();
        let result = inner
            .broker
            .publish_with(envelope, bindings)
            .instrument(span)
            .await;
        #[cfg(feature = "otel")]
        if result.is_err() {
            marked.record("error.type", "BrokerError");
            marked.record("otel.status_code", "ERROR");
        }
        if let Some(watched) = watched {
            let (destination, began) = &*watched;
            let event = Published {
                destination,
                bindings,
                system: messaging_system(inner.broker.name()),
                reply,
                result: result.as_ref().map(|_| ()),
                duration: began.elapsed(),
            };
            for m in inner.middleware.iter() {
                m.on_published(&event);
            }
        }
        Ok(result?)
    }

    /// Publishes several envelopes at once (FastStream's `publish_batch`):
    /// all are handed to the broker before any acknowledgement is awaited,
    /// so a Kafka producer sends them together. Returns the first error;
    /// the others were still published.
    pub async fn publish_batch(
        &self,
        envelopes: impl IntoIterator<Item = Envelope>,
    ) -> Result<(), PublishError> {
        self.publish_batch_with(envelopes, &NO_BINDINGS).await
    }

    /// [`Publisher::publish_batch`] with the channel's bindings.
    pub async fn publish_batch_with(
        &self,
        envelopes: impl IntoIterator<Item = Envelope>,
        bindings: &Bindings,
    ) -> Result<(), PublishError> {
        let results = futures_util::future::join_all(
            envelopes
                .into_iter()
                .map(|envelope| self.publish_with(envelope, bindings)),
        )
        .await;
        results.into_iter().collect()
    }

    /// Publishes a request and waits for the reply (matched by correlation
    /// id on this process's reply inbox). Many requests may be in flight.
    pub async fn request(
        &self,
        envelope: Envelope,
        timeout: Duration,
    ) -> Result<Envelope, PublishError> {
        self.request_with(envelope, &NO_BINDINGS, timeout).await
    }

    /// [`Publisher::request`] with the channel's bindings.
    pub async fn request_with(
        &self,
        mut envelope: Envelope,
        bindings: &Bindings,
        timeout: Duration,
    ) -> Result<Envelope, PublishError> {
        let inbox = self.inbox().await?;
        let id = envelope
            .correlation_id
            .get_or_insert_with(new_correlation_id)
            .clone();
        envelope.reply_to = Some(inbox);
        let (tx, rx) = oneshot::channel();
        lock(&self.inner.replies.pending).insert(id.clone(), tx);
        if let Err(e) = self.publish_with(envelope, bindings).await {
            lock(&self.inner.replies.pending).remove(&id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(PublishError::Broker(BrokerError::new(
                BrokerErrorKind::Closed,
                "reply inbox closed",
            ))),
            Err(_) => {
                lock(&self.inner.replies.pending).remove(&id);
                Err(PublishError::Timeout)
            }
        }
    }

    /// The reply inbox, subscribed on first use.
    async fn inbox(&self) -> Result<Text, PublishError> {
        let broker = self.inner.broker.clone();
        let inner = Arc::downgrade(&self.inner);
        let mut alive = self.inner.replies.alive.subscribe();
        let inbox = self
            .inner
            .replies
            .inbox
            .get_or_try_init(|| async move {
                let inbox = Text::from(broker.new_inbox());
                let mut sub = broker.subscribe(SubscribeSpec::new(inbox.as_str())).await?;
                tokio::spawn(async move {
                    loop {
                        let d = tokio::select! {
                            d = sub.next() => d,
                            // The publisher is gone: nobody waits for a reply.
                            _ = alive.changed() => None,
                        };
                        let Some(d) = d else {
                            break;
                        };
                        let _ = d.acker.ack().await;
                        let Some(inner) = inner.upgrade() else {
                            break;
                        };
                        let Some(id) = d.envelope.correlation_id.as_deref() else {
                            continue;
                        };
                        if let Some(tx) = lock(&inner.replies.pending).remove(id) {
                            let _ = tx.send(Arc::unwrap_or_clone(d.envelope));
                        }
                    }
                });
                Ok::<_, BrokerError>(inbox)
            })
            .await?;
        Ok(inbox.clone())
    }

    /// The broker this publisher sends through.
    pub fn broker(&self) -> &Arc<dyn Broker> {
        &self.inner.broker
    }
}
