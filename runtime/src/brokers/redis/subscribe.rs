//! Subscriptions as the bindings say: pub/sub (patterns, resubscribed after
//! a lost connection), lists (`BLPOP`, the list acker) and streams (a
//! consumer group).

use futures_util::StreamExt;
use redis::AsyncCommands;
use std::time::Duration;

use tokio::sync::mpsc;

use super::broker::{RedisBroker, concrete_key, kind_of, managed};
use super::streams::{StreamAcker, claimed_entries, last_read_id, read_entries};
use super::wire::{DATA_FIELD, decode_message, encode_message, err, pattern_of};
use crate::address::matches_address;
use crate::bindings::RedisKind;
use crate::broker::{
    Acker, Backoff, BoxFuture, BrokerError, BrokerErrorKind, Delivery, NoAck, SubscribeSpec,
    Subscription,
};
use crate::envelope::Envelope;

impl RedisBroker {
    /// Subscribes as the bindings say: pub/sub (the default), list or
    /// stream.
    pub(super) async fn subscribe_as_bound(
        &self,
        spec: SubscribeSpec,
        claim_idle: Duration,
    ) -> Result<Subscription, BrokerError> {
        match kind_of(&spec.bindings) {
            RedisKind::PubSub => self.subscribe_pubsub(spec).await,
            RedisKind::List => self.subscribe_list(spec).await,
            RedisKind::Stream => self.subscribe_stream(spec, claim_idle).await,
        }
    }

    /// Appends an envelope to the stream named by its channel.
    pub(super) async fn xadd(&self, envelope: &Envelope) -> Result<(), BrokerError> {
        let mut conn = self.conn.clone();
        let _: String = conn
            .xadd(
                envelope.channel.as_str(),
                "*",
                &[(DATA_FIELD, encode_message(envelope))],
            )
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        Ok(())
    }

    /// A consumer of a list: `BLPOP` hands each entry to one consumer.
    /// Nack pushes the entry back to the head of the list (after the
    /// delay), reject appends it to `<list>:dead` (the reason is logged); a
    /// consumer that dies holding an entry loses it (lists have no
    /// pending entries: use a stream for at-least-once).
    pub(super) async fn subscribe_list(
        &self,
        spec: SubscribeSpec,
    ) -> Result<Subscription, BrokerError> {
        let key = concrete_key(&spec, "list")?;
        let mut reader = managed(&self.client)
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        let (tx, rx) = mpsc::channel(spec.prefetch.max(1));
        let conn = self.conn.clone();
        let (closed_tx, closed) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let mut backoff = Backoff::new();
            loop {
                if tx.is_closed() {
                    break;
                }
                let popped: redis::RedisResult<Option<(String, Vec<u8>)>> = redis::cmd("BLPOP")
                    .arg(&key)
                    .arg(0.2)
                    .query_async(&mut reader)
                    .await;
                match popped {
                    Ok(Some((_, raw))) => {
                        backoff.reset();
                        let mut envelope = decode_message(&key, &raw);
                        // A nacked entry comes back with its attempt count.
                        let attempt = envelope
                            .headers
                            .remove(LIST_ATTEMPT)
                            .and_then(|a| a.parse().ok())
                            .unwrap_or(1);
                        let delivery = Delivery {
                            envelope: envelope.into(),
                            attempt,
                            acker: crate::broker::AckHandle::new(ListAcker {
                                conn: conn.clone(),
                                key: key.clone(),
                                raw,
                                attempt,
                            }),
                        };
                        if let Err(unsent) = tx.send(delivery).await {
                            // Popped while the subscription closed: the
                            // entry goes back to the head of the list for
                            // the next consumer.
                            let Delivery { acker, .. } = unsent.0;
                            let _ = acker.nack(None).await;
                            break;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, list = %key, "BLPOP failed; retrying");
                        backoff.wait().await;
                    }
                }
            }
            let _ = closed_tx.send(());
        });
        // `App::shutdown` waits until no `BLPOP` of this consumer is left.
        Ok(Subscription::new(rx).with_close_signal(closed))
    }

    /// A consumer of `spec.address` as a stream in a consumer group.
    pub(super) async fn subscribe_stream(
        &self,
        spec: SubscribeSpec,
        claim_idle: Duration,
    ) -> Result<Subscription, BrokerError> {
        let key = concrete_key(&spec, "stream")?;
        let binding = spec.bindings.redis.clone().unwrap_or_default();
        let group = binding
            .group
            .or_else(|| spec.group.clone())
            .unwrap_or_else(|| key.clone());
        // The instance's own name, stable across restarts: what it held
        // when it died is still pending under that name, and read first.
        let consumer = binding.consumer.unwrap_or_else(|| {
            crate::connect::member_name(
                &crate::connect::instance_name(),
                &format!("redis stream {key} {group}"),
            )
        });
        let mut conn = self.conn.clone();
        create_group(&mut conn, &key, &group).await?;
        // Blocking reads get a connection of their own (it reconnects
        // by itself too).
        let mut reader = managed(&self.client)
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        let (tx, rx) = mpsc::channel(spec.prefetch.max(1));
        let count = spec.prefetch.max(1);

        let acker_conn = conn.clone();
        tokio::spawn(async move {
            // Entries dead consumers left are claimed at once, then every
            // `claim_idle / 2`.
            let mut last_claim = tokio::time::Instant::now()
                .checked_sub(claim_idle)
                .unwrap_or_else(tokio::time::Instant::now);
            let mut backoff = Backoff::new();
            // At start, and after a lost connection, this consumer first
            // reads its own pending entries (from id 0): what it held when
            // it stopped or crashed, or whose ack did not reach Redis, is
            // redelivered, not stranded.
            let mut pending_from: Option<String> = Some("0".into());
            loop {
                if tx.is_closed() {
                    break;
                }
                let mut batch = Vec::new();
                // Entries a crashed consumer left pending.
                if pending_from.is_none() && last_claim.elapsed() >= claim_idle / 2 {
                    last_claim = tokio::time::Instant::now();
                    let claimed: redis::RedisResult<redis::Value> = redis::cmd("XAUTOCLAIM")
                        .arg(&key)
                        .arg(&group)
                        .arg(&consumer)
                        .arg(u64::try_from(claim_idle.as_millis()).unwrap_or(u64::MAX))
                        .arg("0")
                        .arg("COUNT")
                        .arg(count)
                        .query_async(&mut reader)
                        .await;
                    if let Ok(v) = claimed {
                        batch.extend(claimed_entries(&v).into_iter().map(|e| (e, true)));
                    }
                }
                let mut read = redis::cmd("XREADGROUP");
                read.arg("GROUP")
                    .arg(&group)
                    .arg(&consumer)
                    .arg("COUNT")
                    .arg(count);
                match &pending_from {
                    Some(from) => read.arg("STREAMS").arg(&key).arg(from),
                    None => read.arg("BLOCK").arg(200).arg("STREAMS").arg(&key).arg(">"),
                };
                let read: redis::RedisResult<redis::Value> = read.query_async(&mut reader).await;
                match read {
                    Ok(v) => {
                        backoff.reset();
                        let entries = read_entries(&v);
                        if pending_from.is_some() {
                            // On from the last id read, deleted entries
                            // (which come without fields) included.
                            pending_from = last_read_id(&v);
                            batch.extend(entries.into_iter().map(|e| (e, true)));
                        } else {
                            batch.extend(entries.into_iter().map(|e| (e, false)));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, stream = %key, "XREADGROUP failed; retrying");
                        backoff.wait().await;
                        if e.to_string().contains("NOGROUP") {
                            // The stream went away with the server's data.
                            let _ = create_group(&mut reader, &key, &group).await;
                        }
                        pending_from = Some("0".into());
                    }
                }
                for (entry, delivered_before) in batch {
                    let attempt = entry.attempt(delivered_before);
                    let delivery = Delivery {
                        envelope: decode_message(&key, &entry.data).into(),
                        attempt,
                        acker: crate::broker::AckHandle::new(StreamAcker {
                            conn: acker_conn.clone(),
                            key: key.clone(),
                            group: group.clone(),
                            id: entry.id,
                            raw: entry.data,
                            attempt,
                        }),
                    };
                    if tx.send(delivery).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Subscription::new(rx))
    }
}

/// The envelope header a nacked list entry carries its next attempt in.
pub(super) const LIST_ATTEMPT: &str = "x-faststream-attempt";

pub(super) struct ListAcker {
    pub(super) conn: redis::aio::ConnectionManager,
    pub(super) key: String,
    pub(super) raw: Vec<u8>,
    pub(super) attempt: u32,
}

impl Acker for ListAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        crate::broker::settled()
    }

    fn nack(
        mut self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            // Back to the head of the list, with the next attempt number.
            let mut envelope = decode_message(&self.key, &self.raw);
            envelope
                .headers
                .insert(LIST_ATTEMPT.to_owned(), (self.attempt + 1).to_string());
            let _: i64 = self
                .conn
                .lpush(&self.key, encode_message(&envelope))
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            Ok(())
        })
    }

    fn reject(mut self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            tracing::warn!(reason = %reason, list = %self.key, "message moved to the dead-letter list");
            let dead = format!("{}:dead", self.key);
            let _: i64 = self
                .conn
                .rpush(&dead, std::mem::take(&mut self.raw))
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            Ok(())
        })
    }
}

impl RedisBroker {
    pub(super) async fn subscribe_pubsub(
        &self,
        spec: SubscribeSpec,
    ) -> Result<Subscription, BrokerError> {
        if spec.group.is_some() {
            tracing::warn!(address = %spec.address, "Redis pub/sub has no groups: every subscriber gets every message (use streams to share work)");
        }
        let template = spec.address.clone();
        let exact = !template.contains('{');
        // The first subscription is made here, so that a refusal
        // reaches the caller; later ones after a lost connection.
        let pubsub = pubsub_on(&self.client, &template, exact).await?;
        // The worker polls the connection's messages itself (no task and
        // no hand-over per message).
        Ok(Subscription::from_stream(PubSubStream {
            messages: Box::pin(pubsub.into_on_message()),
            resubscribing: None,
            client: self.client.clone(),
            template,
            exact,
        }))
    }
}

pub(super) type Messages = futures_util::stream::BoxStream<'static, redis::Msg>;

/// A pub/sub subscription as the worker reads it: the messages of the
/// current connection or, after it was lost, the subscription on a new
/// one under way.
pub(super) struct PubSubStream {
    pub(super) messages: Messages,
    pub(super) resubscribing: Option<BoxFuture<'static, Messages>>,
    pub(super) client: redis::Client,
    pub(super) template: String,
    pub(super) exact: bool,
}

impl futures_util::Stream for PubSubStream {
    type Item = Delivery;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Delivery>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            if let Some(again) = &mut this.resubscribing {
                let Poll::Ready(messages) = again.as_mut().poll(cx) else {
                    return Poll::Pending;
                };
                this.messages = messages;
                this.resubscribing = None;
            }
            let msg = match this.messages.poll_next_unpin(cx) {
                Poll::Ready(Some(msg)) => msg,
                Poll::Ready(None) => {
                    tracing::warn!(address = %this.template, "Redis pub/sub connection lost; subscribing again");
                    this.resubscribing = Some(Box::pin(resubscribe(
                        this.client.clone(),
                        this.template.clone(),
                        this.exact,
                    )));
                    continue;
                }
                Poll::Pending => return Poll::Pending,
            };
            let channel = msg.get_channel_name();
            if !this.exact && !matches_address(&this.template, channel) {
                continue;
            }
            return Poll::Ready(Some(Delivery {
                envelope: decode_message(channel, msg.get_payload_bytes()).into(),
                attempt: 1,
                acker: crate::broker::AckHandle::new(NoAck),
            }));
        }
    }
}

/// Subscribes on a new connection, with backoff, until it works.
pub(super) async fn resubscribe(client: redis::Client, template: String, exact: bool) -> Messages {
    let mut backoff = Backoff::new();
    loop {
        backoff.wait().await;
        match pubsub_on(&client, &template, exact).await {
            Ok(p) => return Box::pin(p.into_on_message()),
            Err(e) => {
                tracing::warn!(address = %template, error = %e, "Redis pub/sub: subscribing failed; retrying");
            }
        }
    }
}

/// Creates the consumer group (and the stream) unless it exists.
pub(super) async fn create_group(
    conn: &mut redis::aio::ConnectionManager,
    key: &str,
    group: &str,
) -> Result<(), BrokerError> {
    let created: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(e) if !e.to_string().contains("BUSYGROUP") => Err(err(BrokerErrorKind::Refused, e)),
        _ => Ok(()),
    }
}

/// A pub/sub connection subscribed to `template` (a pattern when it has
/// parameters).
pub(super) async fn pubsub_on(
    client: &redis::Client,
    template: &str,
    exact: bool,
) -> Result<redis::aio::PubSub, BrokerError> {
    let mut pubsub = tokio::time::timeout(Duration::from_secs(5), client.get_async_pubsub())
        .await
        .map_err(|_| err(BrokerErrorKind::Timeout, "Redis did not answer within 5 s"))?
        .map_err(|e| err(BrokerErrorKind::Connection, e))?;
    if exact {
        pubsub.subscribe(template).await
    } else {
        pubsub.psubscribe(pattern_of(template)).await
    }
    .map_err(|e| err(BrokerErrorKind::Refused, e))?;
    Ok(pubsub)
}
