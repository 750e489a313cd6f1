//! Redis: pub/sub (at most once), lists (each entry to one consumer) and
//! streams with consumer groups (at least once), on one [`RedisBroker`];
//! a channel's redis binding chooses (see [`crate::bindings::RedisBindings`]),
//! pub/sub being the default. [`RedisStreamBroker`] makes every address
//! under some prefixes a stream without bindings.
//!
//! Wire compatible with FastStream 0.7: a message is FastStream's binary
//! envelope (magic `\x89BIN\r\n\x1a\n`, u16 version 1, u32 offset of the
//! header count, u32 offset of the data, u16 header count, u16-length-
//! prefixed key/value pairs, then the payload; big-endian), carrying
//! `content-type`, `correlation_id` and `reply_to` as headers. The older
//! JSON envelope (`{"data": ..., "headers": {...}}`) is accepted on input.
//! In streams the envelope is the `__data__` field of each entry; in lists
//! it is the entry.
//!
//! Pub/sub subscribes to the address, or for a template to a glob pattern
//! (`{param}` becomes `*`, each channel then matched exactly). Redis has no
//! groups for pub/sub: a subscriber's group is ignored with a warning, and
//! every subscriber gets every message. The worker polls the pub/sub
//! connection itself; when it is lost, the subscription is made again on
//! a new connection, with backoff.
//!
//! Lists (a concrete key, not a template): `RPUSH` publishes, `BLPOP`
//! hands each entry to one consumer, and an ack has nothing left to do. A
//! nack pushes the entry back to the head of the list after its delay,
//! with its next attempt in an `x-faststream-attempt` header; a reject
//! appends it to `<list>:dead` (the reason is logged). A consumer that
//! dies holding an entry loses it.
//!
//! Streams (a concrete key): `XADD` publishes; a subscriber is a consumer
//! in a group (the binding's group, else the subscriber's, else the key),
//! created with the stream when missing. Ack is `XACK`; a nack re-adds the
//! entry with an `__attempt__` field after its delay, then acks the old
//! one; a reject adds it to `<stream>:dead` with a `reason` field, then
//! acks it. Entries another consumer left pending longer than
//! `claim_idle` (30 s unless set) are taken over with `XAUTOCLAIM`, and
//! after a lost connection a consumer first reads its own pending entries
//! again, so none is stranded.
//!
//! Commands go through redis's `ConnectionManager`, which reconnects with
//! backoff (100 ms doubling to 5 s); the blocking reads of lists and
//! streams have a connection of their own.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use tokio::sync::mpsc;

use crate::address::matches_address;
use crate::bindings::{Bindings, NO_BINDINGS, RedisKind};
use crate::broker::{
    Acker, Backoff, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, NoAck,
    SubscribeSpec, Subscription,
};
use crate::connect::{ConnectOptions, ServerInfo, redact, with_credentials};
use crate::envelope::Envelope;

const MAGIC: &[u8; 8] = b"\x89BIN\r\n\x1a\n";
const CONTENT_TYPE: &str = "content-type";
const CORRELATION_ID: &str = "correlation_id";
const REPLY_TO: &str = "reply_to";
const DATA_FIELD: &str = "__data__";
/// The attempt a re-added (nacked) stream entry stands for.
const ATTEMPT_FIELD: &str = "__attempt__";

fn err(kind: BrokerErrorKind, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

/// Encodes an envelope in FastStream's binary format.
pub fn encode_message(envelope: &Envelope) -> Vec<u8> {
    const LIMIT: usize = u16::MAX as usize;
    let headers = || {
        let named = [
            (CONTENT_TYPE, envelope.content_type.as_deref()),
            (CORRELATION_ID, envelope.correlation_id.as_deref()),
            (REPLY_TO, envelope.reply_to.as_deref()),
        ];
        envelope
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(named.into_iter().filter_map(|(k, v)| Some((k, v?))))
            .take(LIMIT)
    };
    // The exact size, so the buffer is allocated once.
    let (count, headers_len) = headers().fold((0usize, 0usize), |(n, len), (k, v)| {
        (n + 1, len + 4 + k.len().min(LIMIT) + v.len().min(LIMIT))
    });
    let headers_start: u32 = 8 + 2 + 4 + 4;
    let data_start = headers_start as usize + 2 + headers_len;
    let mut out = Vec::with_capacity(data_start + envelope.payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&headers_start.to_be_bytes());
    out.extend_from_slice(&u32::try_from(data_start).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&u16::try_from(count).unwrap_or(u16::MAX).to_be_bytes());
    for (k, v) in headers() {
        for part in [k.as_bytes(), v.as_bytes()] {
            let part = &part[..part.len().min(LIMIT)];
            out.extend_from_slice(&u16::try_from(part.len()).unwrap_or(u16::MAX).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(&envelope.payload);
    out
}

/// Decodes FastStream's binary envelope, the older JSON envelope, or (for
/// messages from other publishers) takes the bytes as a bare payload.
pub fn decode_message(channel: &str, bytes: &[u8]) -> Envelope {
    let mut envelope = Envelope::new(channel, Vec::new());
    // The binary format (what FastStream sends): headers taken straight
    // from the bytes in one pass, no map in between.
    if let Some(payload) = binary_headers(bytes, |k, v| take_header(&mut envelope, k, v)) {
        envelope.payload = bytes::Bytes::copy_from_slice(payload);
        return envelope;
    }
    // Not that format after all: nothing taken from a first part of it.
    let mut envelope = Envelope::new(channel, Vec::new());
    let headers = match parse_json(bytes) {
        Some((headers, payload)) => {
            envelope.payload = payload.into();
            headers
        }
        None => {
            envelope.payload = bytes::Bytes::copy_from_slice(bytes);
            BTreeMap::new()
        }
    };
    for (k, v) in headers {
        take_header(&mut envelope, &k, &v);
    }
    envelope
}

/// One received header: FastStream's own names become the envelope's
/// fields (an empty `reply_to` means none), the rest stay headers.
fn take_header(envelope: &mut Envelope, name: &str, value: &str) {
    match name {
        CONTENT_TYPE => envelope.content_type = Some(value.to_owned()),
        CORRELATION_ID => envelope.correlation_id = Some(value.to_owned()),
        REPLY_TO if !value.is_empty() => envelope.reply_to = Some(value.to_owned()),
        REPLY_TO => {}
        _ => {
            envelope.headers.insert(name.to_owned(), value.to_owned());
        }
    }
}

/// Walks the headers of FastStream's binary format, calling `f` with each
/// pair as it goes, and returns the payload; `None` unless it is that
/// format (then `f` may have seen a first part of the headers, which the
/// caller drops).
fn binary_headers<'a>(b: &'a [u8], mut f: impl FnMut(&'a str, &'a str)) -> Option<&'a [u8]> {
    if b.len() < 20 || &b[..8] != MAGIC {
        return None;
    }
    let u16_at = |i: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let u32_at = |i: usize| -> Option<usize> {
        usize::try_from(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?)).ok()
    };
    if u16_at(8)? != 1 {
        return None;
    }
    let headers_start = u32_at(10)?;
    let data_start = u32_at(14)?;
    let count = u16_at(headers_start)?;
    let mut at = headers_start + 2;
    for _ in 0..count {
        let kl = u16_at(at)?;
        let k = std::str::from_utf8(b.get(at + 2..at + 2 + kl)?).ok()?;
        at += 2 + kl;
        let vl = u16_at(at)?;
        let v = std::str::from_utf8(b.get(at + 2..at + 2 + vl)?).ok()?;
        at += 2 + vl;
        f(k, v);
    }
    b.get(data_start..)
}

fn parse_json(b: &[u8]) -> Option<(BTreeMap<String, String>, Vec<u8>)> {
    let v: serde_json::Value = serde_json::from_slice(b).ok()?;
    let m = v.as_object()?;
    if m.len() != 2 || !m.contains_key("data") || !m.contains_key("headers") {
        return None;
    }
    let payload = match &m["data"] {
        serde_json::Value::String(s) => s.clone().into_bytes(),
        other => serde_json::to_vec(other).ok()?,
    };
    let headers = m["headers"]
        .as_object()?
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    Some((headers, payload))
}

/// `a.{x}.b` -> `a.*.b` (Redis glob; matches are checked exactly after).
fn pattern_of(address: &str) -> String {
    let mut out = String::new();
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&glob_escape(&rest[..start]));
        out.push('*');
        rest = &rest[start + len + 1..];
    }
    out.push_str(&glob_escape(rest));
    out
}

fn glob_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// Redis pub/sub: at most once, every subscriber gets every message
/// (Redis has no groups for pub/sub: a group is ignored, with a warning).
///
/// Commands go through a connection that reconnects by itself (with
/// backoff) after Redis restarts; subscriptions are made again on a new
/// connection. What was published while no subscriber was connected is
/// lost: that is pub/sub.
#[derive(Clone)]
pub struct RedisBroker {
    client: redis::Client,
    conn: redis::aio::ConnectionManager,
    server: std::sync::Arc<ServerInfo>,
    /// How long a stream entry stays pending before another consumer
    /// claims it (for channels bound as streams; 30 s unless set).
    pub claim_idle: Duration,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker").finish_non_exhaustive()
    }
}

/// A connection that reconnects with backoff (100 ms doubling to 5 s).
async fn managed(client: &redis::Client) -> redis::RedisResult<redis::aio::ConnectionManager> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(5))
        .set_number_of_retries(3)
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    client.get_connection_manager_with_config(config).await
}

impl RedisBroker {
    /// Connects to `redis://[user:password@]host:port[/db]` (or
    /// `rediss://` for TLS), with credentials and TLS settings from the
    /// environment (`REDIS_USER`/`REDIS_PASSWORD`, `REDIS_CA_FILE`,
    /// `REDIS_CERT_FILE`/`REDIS_KEY_FILE`, `REDIS_TLS`). The connection
    /// reconnects by itself.
    pub async fn connect(url: &str) -> Result<RedisBroker, BrokerError> {
        RedisBroker::connect_with(url, ConnectOptions::from_env("REDIS")).await
    }

    /// Connects with the given credentials and TLS settings.
    pub async fn connect_with(
        url: &str,
        options: ConnectOptions,
    ) -> Result<RedisBroker, BrokerError> {
        let server = std::sync::Arc::new(ServerInfo::describe(url, &options));
        let mut full = with_credentials(url, &options);
        if options.tls && full.starts_with("redis://") {
            full = full.replacen("redis://", "rediss://", 1);
        }
        let client = if options.ca_file.is_some() || options.cert_file.is_some() {
            let root_cert = options.ca_pem()?;
            let client_tls = options.client_identity()?.map(|id| redis::ClientTlsConfig {
                client_cert: id.cert,
                client_key: id.key,
            });
            redis::Client::build_with_tls(
                full.as_str(),
                redis::TlsCertificates {
                    client_tls,
                    root_cert,
                },
            )
        } else {
            redis::Client::open(full.as_str())
        }
        .map_err(|e| {
            err(
                BrokerErrorKind::Refused,
                format!("Redis at {}: {e}", redact(url)),
            )
        })?;
        let conn = tokio::time::timeout(Duration::from_secs(10), managed(&client))
            .await
            .map_err(|_| {
                err(
                    BrokerErrorKind::Connection,
                    format!("Redis at {} did not answer within 10 s", redact(url)),
                )
            })?
            .map_err(|e| {
                err(
                    BrokerErrorKind::Connection,
                    format!("Redis at {}: {e}", redact(url)),
                )
            })?;
        Ok(RedisBroker {
            client,
            conn,
            server,
            claim_idle: Duration::from_secs(30),
        })
    }
}

impl Broker for RedisBroker {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some((*self.server).clone())
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
            let mut conn = self.conn.clone();
            let bytes = encode_message(&envelope);
            match kind_of(bindings) {
                RedisKind::PubSub => {
                    let _: i64 = conn
                        .publish(&envelope.channel, bytes)
                        .await
                        .map_err(|e| err(BrokerErrorKind::Connection, e))?;
                }
                RedisKind::List => {
                    let _: i64 = conn
                        .rpush(&envelope.channel, bytes)
                        .await
                        .map_err(|e| err(BrokerErrorKind::Connection, e))?;
                }
                RedisKind::Stream => self.xadd(&envelope).await?,
            }
            Ok(())
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(self.subscribe_as_bound(spec, self.claim_idle))
    }
}

/// A list's or stream's key: the subscription's address, which must not
/// be a template.
fn concrete_key(spec: &SubscribeSpec, what: &str) -> Result<String, BrokerError> {
    if spec.address.contains('{') {
        return Err(err(
            BrokerErrorKind::Refused,
            format!(
                "`{}`: a Redis {what} is one key; subscribe to a concrete {what}, not a template",
                spec.address
            ),
        ));
    }
    Ok(spec.address.clone())
}

fn kind_of(bindings: &Bindings) -> RedisKind {
    bindings.redis.as_ref().map(|r| r.kind).unwrap_or_default()
}

impl RedisBroker {
    /// Subscribes as the bindings say: pub/sub (the default), list or
    /// stream.
    async fn subscribe_as_bound(
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
    async fn xadd(&self, envelope: &Envelope) -> Result<(), BrokerError> {
        let mut conn = self.conn.clone();
        let _: String = conn
            .xadd(
                &envelope.channel,
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
    async fn subscribe_list(&self, spec: SubscribeSpec) -> Result<Subscription, BrokerError> {
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
                            envelope,
                            attempt,
                            acker: Box::new(ListAcker {
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
    async fn subscribe_stream(
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
        let consumer = binding
            .consumer
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
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
            let mut last_claim = tokio::time::Instant::now();
            let mut backoff = Backoff::new();
            // After a lost connection this consumer first reads its own
            // pending entries again (from id 0): deliveries whose ack did
            // not reach Redis are redelivered, not stranded.
            let mut pending_from: Option<String> = None;
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
                            pending_from = entries.last().map(|e| e.id.clone());
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
                        envelope: decode_message(&key, &entry.data),
                        attempt,
                        acker: Box::new(StreamAcker {
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
const LIST_ATTEMPT: &str = "x-faststream-attempt";

struct ListAcker {
    conn: redis::aio::ConnectionManager,
    key: String,
    raw: Vec<u8>,
    attempt: u32,
}

impl Acker for ListAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async { Ok(()) })
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
    async fn subscribe_pubsub(&self, spec: SubscribeSpec) -> Result<Subscription, BrokerError> {
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

type Messages = futures_util::stream::BoxStream<'static, redis::Msg>;

/// A pub/sub subscription as the worker reads it: the messages of the
/// current connection or, after it was lost, the subscription on a new
/// one under way.
struct PubSubStream {
    messages: Messages,
    resubscribing: Option<BoxFuture<'static, Messages>>,
    client: redis::Client,
    template: String,
    exact: bool,
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
                envelope: decode_message(channel, msg.get_payload_bytes()),
                attempt: 1,
                acker: Box::new(NoAck),
            }));
        }
    }
}

/// Subscribes on a new connection, with backoff, until it works.
async fn resubscribe(client: redis::Client, template: String, exact: bool) -> Messages {
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
async fn create_group(
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
async fn pubsub_on(
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

/// Redis streams with consumer groups: at least once. Each subscriber is a
/// consumer of its group (the group's name, else the address); ack is
/// `XACK`; nack re-adds the message (after the delay) and acks the old
/// entry; reject moves it to `<stream>:dead` with the reason. Entries
/// another consumer left pending (it crashed) are claimed after
/// `claim_idle`. Addresses outside `streams` (reply inboxes) use pub/sub.
#[derive(Debug, Clone)]
pub struct RedisStreamBroker {
    pubsub: RedisBroker,
    /// Key prefixes this broker treats as streams (`orders.` makes every
    /// key starting with it a stream).
    streams: Vec<String>,
    /// How long an entry stays pending before another consumer claims it.
    pub claim_idle: Duration,
}

impl RedisStreamBroker {
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

    fn is_stream(&self, key: &str) -> bool {
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

struct StreamAcker {
    conn: redis::aio::ConnectionManager,
    key: String,
    group: String,
    id: String,
    raw: Vec<u8>,
    attempt: u32,
}

impl StreamAcker {
    async fn xack(&mut self) -> Result<(), BrokerError> {
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

fn text(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// One stream entry: its id, its `__data__`, and the attempt a nack
/// recorded when it added the entry again (`__attempt__`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    id: String,
    data: Vec<u8>,
    attempt: Option<u32>,
}

impl Entry {
    /// The delivery's attempt number: the recorded one (else 1), one more
    /// when the entry was delivered before (pending, claimed).
    fn attempt(&self, delivered_before: bool) -> u32 {
        self.attempt.unwrap_or(1) + u32::from(delivered_before)
    }
}

/// `[id, [field, value, ...]]` -> [`Entry`].
fn entry(v: &redis::Value) -> Option<Entry> {
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
fn read_entries(v: &redis::Value) -> Vec<Entry> {
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

/// `XAUTOCLAIM` reply: `[cursor, [entry, ...], [deleted id, ...]]`.
fn claimed_entries(v: &redis::Value) -> Vec<Entry> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_envelope_round_trips() {
        let e = Envelope::new("ch", b"{\"a\":1}".to_vec())
            .with_header("x", "y")
            .with_content_type("application/json")
            .with_correlation_id("c-1")
            .with_reply_to("inbox");
        let bytes = encode_message(&e);
        assert_eq!(&bytes[..8], MAGIC);
        assert_eq!(u16::from_be_bytes([bytes[8], bytes[9]]), 1);
        assert_eq!(bytes.capacity(), bytes.len(), "sized exactly up front");
        assert_eq!(decode_message("ch", &bytes), e);
        // Cut inside the headers: not the binary format after all, so the
        // bytes are the payload and no header is taken from them.
        let cut = &bytes[..30];
        let d = decode_message("ch", cut);
        assert_eq!(&d.payload[..], cut);
        assert_eq!(d.content_type, None);
        assert!(d.headers.is_empty());
    }

    #[test]
    fn json_envelope_and_bare_payloads_are_accepted() {
        let legacy = br#"{"data":"hello","headers":{"correlation_id":"7","x":"y"}}"#;
        let e = decode_message("ch", legacy);
        assert_eq!(&e.payload[..], b"hello");
        assert_eq!(e.correlation_id.as_deref(), Some("7"));
        assert_eq!(e.headers.get("x").map(String::as_str), Some("y"));
        let bare = decode_message("ch", b"{\"plain\":true}");
        assert_eq!(&bare.payload[..], b"{\"plain\":true}");
    }

    #[test]
    fn patterns_and_redaction() {
        assert_eq!(pattern_of("orders.{id}.new"), "orders.*.new");
        assert_eq!(pattern_of("a*b.{x}"), "a\\*b.*");
        assert_eq!(
            redact("redis://user:secret@host:6379"),
            "redis://***@host:6379"
        );
    }
}
