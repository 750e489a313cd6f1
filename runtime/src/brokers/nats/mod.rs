//! NATS core: subjects, `*` wildcards for `{parameters}`, queue groups,
//! request/reply through inboxes. Delivery is at most once (core NATS has
//! no acknowledgements): ack, nack and reject are no-ops, which the
//! conformance suite accounts for.
//!
//! Wire compatible with FastStream: `content-type`, `correlation_id` and
//! `reply_to` travel as NATS headers (the reply subject too).
//!
//! A subject token holding a `{parameter}` becomes `*`; where a parameter
//! shares a token with other text (`a.b-{x}.c`), each message's subject is
//! also checked against the address on the client. The worker polls the
//! client's subscriber itself (no task and no hand-over per message), and
//! `subscribe` returns only after a round trip through the server, so the
//! server has the subscription by then (core NATS drops what arrives
//! before).
//!
//! JetStream, the durable variant, is reached in two ways. A channel whose
//! bindings name a stream ([`crate::NatsBindings`], what generated code
//! and [`crate::connect()`] use) goes through it on a [`NatsBroker`]: the
//! stream is created when missing or given the channel's subject. A
//! [`JetStreamBroker`] (same feature) sends every subject its
//! [`StreamSettings`] capture through it. Either way a subscriber is a
//! durable pull consumer named after its group (else its address), with
//! explicit acks: ack, nack (with its delay) and reject are JetStream's
//! ack, nak with delay and term, and JetStream's delivery count is the
//! attempt. Subjects outside its streams (reply inboxes) go through core
//! NATS. JetStream's reply subject is the ack subject, so the application's
//! reply address travels in the `reply_to` header only.

use std::collections::BTreeMap;

use async_nats::HeaderMap;
use async_nats::header::HeaderName;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::address::matches_address;
use crate::broker::{
    Backoff, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, NoAck, SubscribeSpec,
    Subscription,
};
use crate::connect::{ConnectOptions, ServerInfo, redact};
use crate::envelope::Envelope;

/// A NATS broker: core NATS, and JetStream for channels whose bindings
/// name a stream ([`crate::NatsBindings`]).
#[derive(Debug, Clone)]
pub struct NatsBroker {
    client: async_nats::Client,
    server: std::sync::Arc<ServerInfo>,
    js: async_nats::jetstream::Context,
    /// The (stream, subject) pairs made sure of: a stream exists and
    /// captures the subject.
    ensured: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<(String, String)>>>,
    /// How long an unacked JetStream delivery waits before it is sent
    /// again, where the bindings do not say (30 s, JetStream's default).
    pub ack_wait: std::time::Duration,
}

fn err(kind: BrokerErrorKind, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

impl NatsBroker {
    /// Connects to `url` (`nats://host:port`, several comma-separated;
    /// `tls://` for TLS), with credentials and TLS settings from the
    /// environment (`NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`, `NATS_CREDS`,
    /// `NATS_CA_FILE`, `NATS_CERT_FILE`/`NATS_KEY_FILE`, `NATS_TLS`). The
    /// client reconnects by itself after the server restarts, and
    /// resubscribes.
    pub async fn connect(url: &str) -> Result<NatsBroker, BrokerError> {
        NatsBroker::connect_with(url, ConnectOptions::from_env("NATS")).await
    }

    /// Connects with the given credentials and TLS settings.
    pub async fn connect_with(
        url: &str,
        options: ConnectOptions,
    ) -> Result<NatsBroker, BrokerError> {
        let server = std::sync::Arc::new(ServerInfo::describe(url, &options));
        // The first connection fails fast with the server's reason (a
        // wrong password, an unknown certificate authority); once
        // connected, the client reconnects by itself.
        let mut o = async_nats::ConnectOptions::new();
        if let (Some(u), Some(p)) = (options.user, options.password) {
            o = o.user_and_password(u, p);
        }
        if let Some(t) = options.token {
            o = o.token(t);
        }
        if let Some(c) = options.creds_file {
            o = o
                .credentials_file(c)
                .await
                .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        }
        if let Some(n) = options.name {
            o = o.name(n);
        }
        if options.tls || url.starts_with("tls://") {
            o = o.require_tls(true);
        }
        if let Some(ca) = options.ca_file {
            o = o.add_root_certificates(ca);
        }
        match (options.cert_file, options.key_file) {
            (Some(cert), Some(key)) => o = o.add_client_certificate(cert, key),
            (None, None) => {}
            _ => {
                return Err(err(
                    BrokerErrorKind::Refused,
                    "a client certificate needs both a certificate and a key file",
                ));
            }
        }
        // Bound the first connection (a server that does not answer), and
        // make sure the server really answered. The URL shown in errors has
        // no password.
        let shown = redact(url);
        let connect = async {
            let client = o.connect(url).await.map_err(|e| e.to_string())?;
            client.flush().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(client)
        };
        let client = tokio::time::timeout(std::time::Duration::from_secs(10), connect)
            .await
            .map_err(|_| {
                err(
                    BrokerErrorKind::Connection,
                    format!("NATS at {shown} did not answer within 10 s"),
                )
            })?
            .map_err(|e| err(BrokerErrorKind::Connection, format!("NATS at {shown}: {e}")))?;
        let js = async_nats::jetstream::new(client.clone());
        Ok(NatsBroker {
            client,
            server,
            js,
            ensured: Default::default(),
            ack_wait: std::time::Duration::from_secs(30),
        })
    }

    /// Makes sure the stream `name` exists and captures `subject`
    /// (creating it, or adding the subject to it): once per pair and
    /// process, so a publish pays for it only the first time.
    async fn ensure_stream(&self, name: &str, subject: &str) -> Result<(), BrokerError> {
        let key = (name.to_owned(), subject.to_owned());
        if self.ensured.lock().unwrap().contains(&key) {
            return Ok(());
        }
        let refused = |e: &dyn std::fmt::Display| {
            err(BrokerErrorKind::Refused, format!("stream `{name}`: {e}"))
        };
        let mut stream = self
            .js
            .get_or_create_stream(async_nats::jetstream::stream::Config {
                name: name.to_owned(),
                subjects: vec![subject.to_owned()],
                ..Default::default()
            })
            .await
            .map_err(|e| refused(&e))?;
        let config = stream.info().await.map_err(|e| refused(&e))?.config.clone();
        if !config.subjects.iter().any(|p| subject_matches(p, subject)) {
            let mut config = config;
            config.subjects.push(subject.to_owned());
            self.js
                .update_stream(config)
                .await
                .map_err(|e| refused(&e))?;
        }
        self.ensured.lock().unwrap().insert(key);
        Ok(())
    }

    /// Publishes into a JetStream stream and waits for its acknowledgement
    /// (the message is stored).
    async fn publish_stored(&self, envelope: Envelope) -> Result<(), BrokerError> {
        let headers = headers_of(&envelope);
        let ack = self
            .js
            .publish_with_headers(subject(&envelope.channel), headers, envelope.payload)
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        ack.await.map_err(|e| err(BrokerErrorKind::Refused, e))?;
        Ok(())
    }

    /// A durable pull consumer on `stream` for `spec`: named after the
    /// group, else the address; explicit acks.
    async fn pull(
        &self,
        stream: async_nats::jetstream::stream::Stream,
        spec: SubscribeSpec,
        ack_wait: std::time::Duration,
    ) -> Result<Subscription, BrokerError> {
        let subject = subject_of(&spec.address);
        let durable = durable_name(spec.group.as_deref().unwrap_or(&spec.address));
        let consumer: async_nats::jetstream::consumer::PullConsumer = stream
            .get_or_create_consumer(
                &durable,
                async_nats::jetstream::consumer::pull::Config {
                    durable_name: Some(durable.clone()),
                    filter_subject: subject,
                    ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
                    ack_wait,
                    max_ack_pending: i64::try_from(spec.prefetch.max(1)).unwrap_or(i64::MAX),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        let (tx, rx) = mpsc::channel(spec.prefetch.max(1));
        let template = spec.address.clone();
        // As on core NATS: `*` is exact unless a parameter shares a
        // token with text.
        let check = !tokens_are_whole_parameters(&template);
        let (closed_tx, closed) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            run_pull(messages, consumer, tx, template, check).await;
            let _ = closed_tx.send(());
        });
        // `App::shutdown` waits until this consumer pulls no more; what
        // was pulled and not handled goes back at once (not after the ack
        // wait).
        Ok(Subscription::new(rx)
            .with_close_signal(closed)
            .release_unhandled_on_close())
    }

    /// A core NATS subscription.
    async fn subscribe_core(&self, spec: SubscribeSpec) -> Result<Subscription, BrokerError> {
        let subject = subject_of(&spec.address);
        let sub = match &spec.group {
            Some(g) => self.client.queue_subscribe(subject, g.clone()).await,
            None => self.client.subscribe(subject).await,
        }
        .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        // Subscribed means the server has the subscription: core NATS
        // drops what arrives before it does. A round trip (not a socket
        // flush) says it has.
        self.round_trip().await?;
        let template = spec.address.clone();
        // `*` matches a whole token: exact unless a parameter shares a
        // token with text (`a.b-{x}.c`), which is checked here.
        let check = !tokens_are_whole_parameters(&template);
        // The worker polls the client's subscriber itself (no task and
        // no hand-over per message). Dropping it unsubscribes.
        Ok(Subscription::from_messages(sub, move |msg| {
            let envelope = envelope_of(msg);
            let keep = !check || matches_address(&template, &envelope.channel);
            keep.then(|| Delivery {
                envelope: envelope.into(),
                attempt: 1,
                acker: crate::broker::AckHandle::new(NoAck),
            })
        }))
    }

    /// Waits until everything published so far reached the server.
    pub async fn flush(&self) -> Result<(), BrokerError> {
        self.client
            .flush()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))
    }

    /// A round trip through the server: a message to an inbox of this
    /// connection comes back, so everything sent before it (a `SUB`) has
    /// been processed. A socket flush only writes the buffer.
    pub(crate) async fn round_trip(&self) -> Result<(), BrokerError> {
        let inbox = self.client.new_inbox();
        let mut probe = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        self.client
            .publish(inbox, bytes::Bytes::new())
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        self.flush().await?;
        match tokio::time::timeout(std::time::Duration::from_secs(10), probe.next()).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(err(
                BrokerErrorKind::Connection,
                "the NATS connection closed",
            )),
            Err(_) => Err(err(
                BrokerErrorKind::Timeout,
                "NATS did not echo a message within 10 s",
            )),
        }
    }
}

/// Whether every `{parameter}` of an address is a whole `.`-separated
/// token (so the `*` it becomes matches exactly what the parameter does).
pub(crate) fn tokens_are_whole_parameters(address: &str) -> bool {
    crate::address::parameters_are_whole_levels(address, '.')
}

/// `a.{x}.b` -> `a.*.b`: a token holding a parameter becomes `*`.
pub(crate) fn subject_of(address: &str) -> String {
    crate::address::level_wildcards(address, '.', "*")
}

const CONTENT_TYPE: &str = "content-type";
const CORRELATION_ID: &str = "correlation_id";
const REPLY_TO: &str = "reply_to";

/// The envelope of a core NATS message (the reply subject wins over the
/// `reply_to` header).
fn envelope_of(msg: async_nats::Message) -> Envelope {
    let mut headers = BTreeMap::new();
    let (mut content_type, mut correlation_id, mut reply_to) = (None, None, None);
    if let Some(h) = &msg.headers {
        for (name, values) in h.iter() {
            let Some(value) = values.first() else {
                continue;
            };
            let value = value.as_str().to_owned();
            match name.as_ref() {
                CONTENT_TYPE => content_type = Some(value),
                CORRELATION_ID => correlation_id = Some(value.into()),
                REPLY_TO => reply_to = Some(value.into()),
                other => {
                    headers.insert(other.to_owned(), value);
                }
            }
        }
    }
    Envelope {
        channel: msg.subject.as_str().into(),
        payload: msg.payload,
        headers,
        content_type,
        correlation_id,
        reply_to: msg.reply.map(|r| r.as_str().into()).or(reply_to),
        meta: BTreeMap::new(),
    }
}

/// Up when the client says it is connected (it reconnects by itself).
/// The subject a publish goes to.
fn subject(text: &crate::envelope::Text) -> async_nats::Subject {
    async_nats::Subject::from(text.as_str())
}

fn connected(client: &async_nats::Client) -> Result<(), BrokerError> {
    match client.connection_state() {
        async_nats::connection::State::Connected => Ok(()),
        state => Err(BrokerError::new(
            BrokerErrorKind::Connection,
            format!("NATS connection: {state}"),
        )),
    }
}

/// The NATS headers of an envelope (FastStream's names).
fn headers_of(envelope: &Envelope) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (k, v) in &envelope.headers {
        headers.insert(k.as_str(), v.as_str());
    }
    // Static names: no parsing or allocation per message.
    const CONTENT_TYPE_NAME: HeaderName = HeaderName::from_static(CONTENT_TYPE);
    const CORRELATION_ID_NAME: HeaderName = HeaderName::from_static(CORRELATION_ID);
    const REPLY_TO_NAME: HeaderName = HeaderName::from_static(REPLY_TO);
    if let Some(ct) = &envelope.content_type {
        headers.insert(CONTENT_TYPE_NAME, ct.as_str());
    }
    if let Some(id) = &envelope.correlation_id {
        headers.insert(CORRELATION_ID_NAME, id.as_str());
    }
    if let Some(r) = &envelope.reply_to {
        headers.insert(REPLY_TO_NAME, r.as_str());
    }
    headers
}

impl Broker for NatsBroker {
    fn name(&self) -> &'static str {
        "nats"
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(NatsBroker::flush(self))
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some((*self.server).clone())
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(std::future::ready(connected(&self.client)))
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        use futures_util::TryFutureExt;
        // `headers_of` carries the reply address as FastStream's `reply_to`
        // header too. The headers are built here, so the boxed future holds
        // only the client's (smaller: it is allocated and moved per message).
        let headers = headers_of(&envelope);
        let Envelope {
            channel,
            payload,
            reply_to,
            ..
        } = envelope;
        let failed = |e| err(BrokerErrorKind::Connection, e);
        match reply_to {
            Some(reply) => Box::pin(
                self.client
                    .publish_with_reply_and_headers(
                        subject(&channel),
                        subject(&reply),
                        headers,
                        payload,
                    )
                    .map_err(failed),
            ),
            None => Box::pin(
                self.client
                    .publish_with_headers(subject(&channel), headers, payload)
                    .map_err(failed),
            ),
        }
    }

    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a crate::bindings::Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        let Some(stream) = bindings.nats.as_ref().and_then(|n| n.stream.as_deref()) else {
            return self.publish(envelope);
        };
        Box::pin(async move {
            // A parameterized channel's stream is made by its subscriber
            // (which knows the pattern) or by whoever runs the server.
            if !bindings.parameterized {
                self.ensure_stream(stream, &envelope.channel).await?;
            }
            self.publish_stored(envelope).await
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(async move {
            let Some(nats) = spec.bindings.nats.clone() else {
                return self.subscribe_core(spec).await;
            };
            let Some(name) = nats.stream else {
                return self.subscribe_core(spec).await;
            };
            self.ensure_stream(&name, &subject_of(&spec.address))
                .await?;
            let stream = self
                .js
                .get_stream(&name)
                .await
                .map_err(|e| err(BrokerErrorKind::Refused, format!("stream `{name}`: {e}")))?;
            let ack_wait = nats.ack_wait.unwrap_or(self.ack_wait);
            self.pull(stream, spec, ack_wait).await
        })
    }

    fn new_inbox(&self) -> String {
        self.client.new_inbox()
    }
}

/// A JetStream stream the broker publishes into and consumes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// The stream's name (created if absent).
    pub name: String,
    /// The subjects it captures (NATS wildcards allowed, e.g. `orders.>`).
    pub subjects: Vec<String>,
}

/// NATS JetStream: durable streams and consumers, at-least-once delivery.
/// Ack, nack (with delay) and reject map onto JetStream's ack, nak and
/// term; a durable consumer (named after the group, else after the
/// address) resumes where it left off after a restart. Subjects outside
/// the configured streams (reply inboxes) go through core NATS.
#[derive(Debug, Clone)]
pub struct JetStreamBroker {
    core: NatsBroker,
    streams: Vec<StreamSettings>,
    /// How long an unacked delivery waits before redelivery.
    pub ack_wait: std::time::Duration,
}

impl JetStreamBroker {
    /// Connects and makes sure every stream exists.
    pub async fn connect(
        url: &str,
        streams: Vec<StreamSettings>,
    ) -> Result<JetStreamBroker, BrokerError> {
        let core = NatsBroker::connect(url).await?;
        for s in &streams {
            core.js
                .get_or_create_stream(async_nats::jetstream::stream::Config {
                    name: s.name.clone(),
                    subjects: s.subjects.clone(),
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    err(
                        BrokerErrorKind::Refused,
                        format!("stream `{}`: {e}", s.name),
                    )
                })?;
        }
        Ok(JetStreamBroker {
            core,
            streams,
            ack_wait: std::time::Duration::from_secs(30),
        })
    }

    /// Deletes a stream (tests clean up after themselves with it).
    pub async fn delete_stream(&self, name: &str) -> Result<(), BrokerError> {
        self.core
            .js
            .delete_stream(name)
            .await
            .map(|_| ())
            .map_err(|e| err(BrokerErrorKind::Refused, e))
    }

    /// The stream capturing a subject (or a subject pattern).
    fn stream_for(&self, subject: &str) -> Option<&StreamSettings> {
        self.streams
            .iter()
            .find(|s| s.subjects.iter().any(|p| subject_matches(p, subject)))
    }
}

/// Whether a NATS subject pattern (`*`, `>`) captures `subject` (which may
/// itself hold `*` tokens, from a parameterized address).
fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut p = pattern.split('.');
    let mut s = subject.split('.');
    loop {
        match (p.next(), s.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

struct JetStreamAcker(async_nats::jetstream::Message);

impl crate::broker::Acker for JetStreamAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            self.0
                .double_ack()
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }

    fn nack(
        self: Box<Self>,
        delay: Option<std::time::Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            self.0
                .ack_with(async_nats::jetstream::AckKind::Nak(delay))
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            // Written now: a nack at shutdown must reach the server before
            // the process ends (rare enough to flush for each).
            self.0
                .context
                .client()
                .flush()
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }

    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            tracing::warn!(reason = %reason, subject = %self.0.subject, "JetStream message terminated");
            self.0
                .ack_with(async_nats::jetstream::AckKind::Term)
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }
}

/// A durable consumer name from an address: every character other than
/// ASCII letters, digits, `-` and `_` becomes `_` (`a.{b}.c` -> `a__b__c`).
fn durable_name(address: &str) -> String {
    address
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Broker for JetStreamBroker {
    fn name(&self) -> &'static str {
        "jetstream"
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(self.core.flush())
    }

    fn server_info(&self) -> Option<ServerInfo> {
        self.core.server_info()
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.core.check_connection()
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        if self.stream_for(&envelope.channel).is_none() {
            return self.core.publish(envelope);
        }
        Box::pin(self.core.publish_stored(envelope))
    }

    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a crate::bindings::Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        if self.stream_for(&envelope.channel).is_none() {
            return self.core.publish_with(envelope, bindings);
        }
        Box::pin(self.core.publish_stored(envelope))
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(async move {
            let subject = subject_of(&spec.address);
            let Some(settings) = self.stream_for(&subject) else {
                return self.core.subscribe(spec).await;
            };
            let stream = self
                .core
                .js
                .get_stream(&settings.name)
                .await
                .map_err(|e| err(BrokerErrorKind::Refused, e))?;
            let ack_wait = spec
                .bindings
                .nats
                .as_ref()
                .and_then(|n| n.ack_wait)
                .unwrap_or(self.ack_wait);
            self.core.pull(stream, spec, ack_wait).await
        })
    }

    fn new_inbox(&self) -> String {
        self.core.new_inbox()
    }
}

/// A JetStream subscription's loop: pulls messages and hands them over
/// until the subscription is dropped; one pulled as it closed is nacked,
/// so the consumer's next member gets it at once.
async fn run_pull(
    mut messages: async_nats::jetstream::consumer::pull::Stream,
    consumer: async_nats::jetstream::consumer::PullConsumer,
    tx: mpsc::Sender<Delivery>,
    template: String,
    check: bool,
) {
    let mut backoff = Backoff::new();
    loop {
        // The client reconnects by itself and the pull stream
        // survives it; errors in between (missed heartbeats,
        // failed pulls) are reported and the stream goes on.
        loop {
            let next = tokio::select! {
                next = messages.next() => next,
                // Closed: no more pulls.
                () = tx.closed() => {
                    release(&mut messages).await;
                    return;
                }
            };
            let Some(next) = next else {
                break;
            };
            let msg = match next {
                Ok(msg) => msg,
                Err(e) => {
                    tracing::debug!(error = %e, subject = %template, "JetStream pull");
                    continue;
                }
            };
            backoff.reset();
            let attempt = msg
                .info()
                .map(|i| u32::try_from(i.delivered).unwrap_or(1))
                .unwrap_or(1);
            // JetStream's reply subject is the ack subject: the
            // application's reply address is the `reply_to` header.
            let mut core = msg.message.clone();
            core.reply = None;
            let envelope = envelope_of(core);
            if check && !matches_address(&template, &envelope.channel) {
                let _ = msg.ack().await;
                continue;
            }
            let delivery = Delivery {
                envelope: envelope.into(),
                attempt,
                acker: crate::broker::AckHandle::new(JetStreamAcker(msg)),
            };
            if let Err(unsent) = tx.send(delivery).await {
                let _ = unsent.0.acker.nack(None).await;
                return;
            }
        }
        // The stream ended (the consumer was deleted, or the
        // client gave up a pull): open it again.
        messages = loop {
            if tx.is_closed() {
                return;
            }
            backoff.wait().await;
            match consumer.messages().await {
                Ok(m) => break m,
                Err(e) => {
                    tracing::warn!(error = %e, subject = %template, "JetStream consumer unavailable; retrying");
                }
            }
        };
    }
}

/// What the client pulled and nobody took (the subscription closed) is
/// nacked, so that the consumer's next member gets it at once rather than
/// after the ack wait.
async fn release(messages: &mut async_nats::jetstream::consumer::pull::Stream) {
    let mut client = None;
    // Only what is buffered already: a message not here within a moment
    // was not pulled.
    while let Ok(Some(Ok(msg))) =
        tokio::time::timeout(std::time::Duration::from_millis(5), messages.next()).await
    {
        let _ = msg
            .ack_with(async_nats::jetstream::AckKind::Nak(None))
            .await;
        client.get_or_insert_with(|| msg.context.client());
    }
    if let Some(c) = client {
        let _ = c.flush().await;
    }
}

#[cfg(test)]
mod tests;
