//! How a delivery is settled: ack, a counted nack, a reject republished to
//! `<queue>.dead` with its reason; and how a delivery reads as an envelope.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use lapin::BasicProperties;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicPublishOptions, BasicRejectOptions};
use lapin::types::{AMQPValue, LongString, ShortString};

use super::topology::err;
use crate::broker::{Acker, BoxFuture, BrokerError, BrokerErrorKind};
use crate::envelope::Envelope;

/// The header that carries how many times a message was delivered, when
/// a nack sends it round again (RabbitMQ's classic queues count nothing
/// but `redelivered`).
pub(super) const ATTEMPT: &str = "x-faststream-attempt";
/// The routing key a message had before a nack sent it round again
/// through its queue.
pub(super) const ROUTING_KEY: &str = "x-faststream-routing-key";

pub(super) struct AmqpAcker {
    pub(super) acker: lapin::Acker,
    /// To send a nacked message round again, with its attempt count.
    pub(super) publish: Arc<lapin::Channel>,
    pub(super) queue: Arc<str>,
    pub(super) routing_key: crate::envelope::Text,
    pub(super) data: bytes::Bytes,
    pub(super) properties: BasicProperties,
    pub(super) attempt: u32,
    /// Where the runtime republishes a rejected message (a queue without
    /// dead-lettering of its own); `None`: `basic.reject` dead-letters it.
    pub(super) dead_letter: Option<Arc<str>>,
}

/// The header that says why a message was dead-lettered by the runtime.
pub(super) const REASON: &str = "x-faststream-reason";

impl AmqpAcker {
    /// Publishes the message (confirmed) to a queue through the default
    /// exchange, with extra headers.
    pub(super) async fn republish(
        &self,
        queue: &str,
        extra: &[(&str, String)],
    ) -> Result<(), lapin::Error> {
        let mut headers = self.properties.headers().clone().unwrap_or_default();
        for (k, v) in extra {
            headers.insert(
                ShortString::from(*k),
                AMQPValue::LongString(LongString::from(v.as_str())),
            );
        }
        let properties = self.properties.clone().with_headers(headers);
        let confirm = self
            .publish
            .basic_publish(
                ShortString::from(""),
                ShortString::from(queue),
                BasicPublishOptions::default(),
                &self.data,
                properties,
            )
            .await?
            .await?;
        if confirm.is_nack() {
            return Err(lapin::ErrorKind::InvalidChannelState(
                lapin::ChannelState::Error,
                "negative publisher confirm",
            )
            .into());
        }
        Ok(())
    }

    /// Publishes the message to the back of its queue with the next
    /// attempt number (confirmed), so the count survives the round.
    pub(super) async fn requeue_counted(&self) -> Result<(), lapin::Error> {
        self.republish(
            &self.queue,
            &[
                (ATTEMPT, (self.attempt + 1).to_string()),
                (ROUTING_KEY, self.routing_key.to_string()),
            ],
        )
        .await
    }
}

impl Acker for AmqpAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            self.acker
                .ack(BasicAckOptions::default())
                .await
                .map(|_| ())
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }

    fn nack(
        self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            match self.requeue_counted().await {
                Ok(()) => self
                    .acker
                    .ack(BasicAckOptions::default())
                    .await
                    .map(|_| ())
                    .map_err(|e| err(BrokerErrorKind::Connection, e)),
                // Without the counted copy, plain redelivery.
                Err(e) => {
                    tracing::warn!(error = %e, "could not requeue with an attempt count; nacking");
                    self.acker
                        .nack(BasicNackOptions {
                            requeue: true,
                            ..BasicNackOptions::default()
                        })
                        .await
                        .map(|_| ())
                        .map_err(|e| err(BrokerErrorKind::Connection, e))
                }
            }
        })
    }

    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            tracing::warn!(reason = %reason, "message rejected to the dead-letter queue");
            if let Some(dead) = &self.dead_letter {
                match self.republish(dead, &[(REASON, reason.clone())]).await {
                    Ok(()) => {
                        return self
                            .acker
                            .ack(BasicAckOptions::default())
                            .await
                            .map(|_| ())
                            .map_err(|e| err(BrokerErrorKind::Connection, e));
                    }
                    Err(e) => {
                        tracing::error!(queue = %dead, error = %e, "could not republish the rejected message to its dead-letter queue; rejecting it");
                    }
                }
            }
            self.acker
                .reject(BasicRejectOptions { requeue: false })
                .await
                .map(|_| ())
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }
}

/// The envelope of a delivery and its attempt number (our attempt header
/// when a nack sent it round, else 2 when redelivered, else 1).
pub(super) fn envelope_of(d: &lapin::message::Delivery, payload: bytes::Bytes) -> (Envelope, u32) {
    let p = &d.properties;
    let mut headers = BTreeMap::new();
    let mut attempt = if d.redelivered { 2 } else { 1 };
    let mut channel = d.routing_key.as_str().to_owned();
    // A header that is not UTF-8 makes the delivery malformed: refused
    // before decoding, never handed over with its bytes replaced.
    let mut malformed = None;
    if let Some(table) = p.headers() {
        for (k, v) in table {
            let value = match v {
                AMQPValue::LongString(s) => {
                    crate::envelope::header_value(k.as_str(), s.as_bytes(), &mut malformed)
                }
                AMQPValue::ShortString(s) => s.as_str().to_owned(),
                other => format!("{other:?}"),
            };
            match k.as_str() {
                ATTEMPT => attempt = value.parse().unwrap_or(attempt),
                ROUTING_KEY => channel = value,
                k => {
                    headers.insert(k.to_owned(), value);
                }
            }
        }
    }
    let envelope = Envelope {
        channel: channel.into(),
        payload,
        headers,
        content_type: p.content_type().as_ref().map(|s| s.as_str().to_owned()),
        correlation_id: p.correlation_id().as_ref().map(|s| s.as_str().into()),
        reply_to: p.reply_to().as_ref().map(|s| s.as_str().into()),
        meta: BTreeMap::new(),
    };
    // The exchange it came through (none: the default exchange), as
    // FastStream's metrics name a delivery: `{exchange}.{routing key}`.
    #[cfg_attr(not(feature = "otel"), allow(unused_mut))]
    let mut envelope = match d.exchange.as_str() {
        "" => envelope,
        x => envelope.with_meta("exchange", x),
    };
    // Its `message-id` property: what FastStream calls the message's id,
    // for the `otel` spans (only they read it).
    #[cfg(feature = "otel")]
    if let Some(id) = p.message_id() {
        envelope
            .meta
            .insert("message_id".to_owned(), id.as_str().to_owned());
    }
    match malformed {
        Some(why) => (envelope.malformed(why), attempt),
        None => (envelope, attempt),
    }
}
