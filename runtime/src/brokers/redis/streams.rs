//! [`RedisStreamBroker`](super::RedisStreamBroker), which makes key
//! prefixes streams, and the stream acker and entries.

use futures_util::StreamExt;
use redis::AsyncCommands;
use std::time::Duration;

use super::broker::RedisBroker;
use super::wire::{ATTEMPT_FIELD, DATA_FIELD, err, glob_escape};
use crate::bindings::{Bindings, NO_BINDINGS};
use crate::broker::{
    Acker, BoxFuture, Broker, BrokerError, BrokerErrorKind, SubscribeSpec, Subscription,
};
use crate::connect::ServerInfo;
use crate::envelope::Envelope;

/// Redis streams with consumer groups: at least once. Each subscriber is a
/// consumer of its group (the group's name, else the address); ack is
/// `XACK`; nack re-adds the message (after the delay) and acks the old
/// entry; reject moves it to `<stream>:dead` with the reason. Entries
/// another consumer left pending (it crashed) are claimed after
/// `claim_idle`. Addresses outside `streams` (reply inboxes) use pub/sub.
#[derive(Debug, Clone)]
pub struct RedisStreamBroker {
    pub(super) pubsub: RedisBroker,
    /// Key prefixes this broker treats as streams (`orders.` makes every
    /// key starting with it a stream).
    pub(super) streams: Vec<String>,
    /// How long an entry stays pending before another consumer claims it.
    pub claim_idle: Duration,
}

impl RedisStreamBroker {
    /// Connects to `url` as
    /// [`RedisBroker::connect`](super::RedisBroker::connect) does (credentials
    /// and TLS from the `REDIS_*` environment). Addresses that start with one
    /// of `streams` (and have no redis binding) are streams;
    /// [`RedisStreamBroker::claim_idle`] is 30 s.
    pub async fn connect(
        url: &str,
        streams: Vec<String>,
    ) -> Result<RedisStreamBroker, BrokerError> {
        Ok(RedisStreamBroker {
            pubsub: RedisBroker::connect(url).await?,
            streams,
            claim_idle: Duration::from_secs(30),
        })
    }

    pub(super) fn is_stream(&self, key: &str) -> bool {
        self.streams.iter().any(|s| key.starts_with(s.as_str()))
    }

    /// Entries in the dead-letter stream of `key`.
    pub async fn dead_letters(&self, key: &str) -> Result<usize, BrokerError> {
        let mut conn = self.pubsub.conn.clone();
        let n: usize = conn
            .xlen(format!("{key}:dead"))
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        Ok(n)
    }

    /// Deletes every key starting with `prefix` (streams and their dead
    /// letters; tests clean up with it).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), BrokerError> {
        let mut conn = self.pubsub.conn.clone();
        let keys: Vec<String> = {
            let mut iter: redis::AsyncIter<'_, String> = conn
                .scan_match(format!("{}*", glob_escape(prefix)))
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            let mut keys = Vec::new();
            while let Some(k) = iter.next().await {
                keys.push(k.map_err(|e| err(BrokerErrorKind::Connection, e))?);
            }
            keys
        };
        if !keys.is_empty() {
            let _: i64 = conn
                .del(keys)
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        }
        Ok(())
    }
}

pub(super) struct StreamAcker {
    pub(super) conn: redis::aio::ConnectionManager,
    pub(super) key: String,
    pub(super) group: String,
    pub(super) id: String,
    pub(super) raw: Vec<u8>,
    pub(super) attempt: u32,
}

impl StreamAcker {
    pub(super) async fn xack(&mut self) -> Result<(), BrokerError> {
        let _: i64 = self
            .conn
            .xack(&self.key, &self.group, &[&self.id])
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        Ok(())
    }
}

impl Acker for StreamAcker {
    fn ack(mut self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move { self.xack().await })
    }

    fn nack(
        mut self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            // Re-add with the next attempt number, then ack the old
            // entry: redelivered to the group, the count kept.
            let next = (self.attempt + 1).to_string().into_bytes();
            let _: String = self
                .conn
                .xadd(
                    &self.key,
                    "*",
                    &[(DATA_FIELD, self.raw.clone()), (ATTEMPT_FIELD, next)],
                )
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            self.xack().await
        })
    }

    fn reject(mut self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            let dead = format!("{}:dead", self.key);
            let _: String = self
                .conn
                .xadd(
                    &dead,
                    "*",
                    &[
                        (DATA_FIELD, self.raw.clone()),
                        ("reason", reason.into_bytes()),
                    ],
                )
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            self.xack().await
        })
    }
}

pub(super) fn text(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// One stream entry: its id, its `__data__`, and the attempt a nack
/// recorded when it added the entry again (`__attempt__`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) id: String,
    pub(super) data: Vec<u8>,
    pub(super) attempt: Option<u32>,
}

impl Entry {
    /// The delivery's attempt number: the recorded one (else 1), one more
    /// when the entry was delivered before (pending, claimed).
    pub(super) fn attempt(&self, delivered_before: bool) -> u32 {
        self.attempt.unwrap_or(1) + u32::from(delivered_before)
    }
}

/// `[id, [field, value, ...]]` -> [`Entry`].
pub(super) fn entry(v: &redis::Value) -> Option<Entry> {
    let redis::Value::Array(parts) = v else {
        return None;
    };
    let id = text(parts.first()?)?;
    let redis::Value::Array(fields) = parts.get(1)? else {
        return None;
    };
    let mut data = None;
    let mut attempt = None;
    for pair in fields.chunks(2) {
        if let [k, v] = pair {
            match text(k).as_deref() {
                Some(DATA_FIELD) => {
                    if let redis::Value::BulkString(b) = v {
                        data = Some(b.clone());
                    }
                }
                Some(ATTEMPT_FIELD) => attempt = text(v).and_then(|t| t.parse().ok()),
                _ => {}
            }
        }
    }
    Some(Entry {
        id,
        data: data.unwrap_or_default(),
        attempt,
    })
}

/// `XREADGROUP` reply: `[[key, [entry, ...]], ...]` (nil on timeout).
pub(super) fn read_entries(v: &redis::Value) -> Vec<Entry> {
    let redis::Value::Array(streams) = v else {
        return Vec::new();
    };
    streams
        .iter()
        .filter_map(|s| match s {
            redis::Value::Array(kv) => match kv.get(1) {
                Some(redis::Value::Array(list)) => {
                    Some(list.iter().filter_map(entry).collect::<Vec<_>>())
                }
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .collect()
}

/// The id of the last entry of an `XREADGROUP` reply, with or without
/// fields (a pending entry deleted from the stream has none): where a
/// read of pending entries goes on from.
pub(super) fn last_read_id(v: &redis::Value) -> Option<String> {
    let redis::Value::Array(streams) = v else {
        return None;
    };
    streams.iter().rev().find_map(|s| match s {
        redis::Value::Array(kv) => match kv.get(1) {
            Some(redis::Value::Array(list)) => list.iter().rev().find_map(|e| match e {
                redis::Value::Array(parts) => parts.first().and_then(text),
                _ => None,
            }),
            _ => None,
        },
        _ => None,
    })
}

/// `XAUTOCLAIM` reply: `[cursor, [entry, ...], [deleted id, ...]]`.
pub(super) fn claimed_entries(v: &redis::Value) -> Vec<Entry> {
    match v {
        redis::Value::Array(parts) => match parts.get(1) {
            Some(redis::Value::Array(list)) => list.iter().filter_map(entry).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl Broker for RedisStreamBroker {
    fn name(&self) -> &'static str {
        "redis-streams"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        self.pubsub.server_info()
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.pubsub.check_connection()
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.publish_with(envelope, &NO_BINDINGS)
    }

    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        Box::pin(async move {
            if bindings.redis.is_none() && self.is_stream(&envelope.channel) {
                self.pubsub.xadd(&envelope).await
            } else {
                self.pubsub.publish_with(envelope, bindings).await
            }
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(async move {
            if spec.bindings.redis.is_none() && self.is_stream(&spec.address) {
                self.pubsub.subscribe_stream(spec, self.claim_idle).await
            } else {
                self.pubsub.subscribe_as_bound(spec, self.claim_idle).await
            }
        })
    }
}
