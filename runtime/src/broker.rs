//! What every broker adapter implements. The runtime (subscriber loop,
//! request/reply, testing) is written once against these traits; no broker
//! client type appears in them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::bindings::Bindings;
use crate::envelope::Envelope;

/// A boxed, sendable future (the traits here are object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A broker failure, without the client library's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerError {
    /// What sort of failure it is.
    pub kind: BrokerErrorKind,
    /// What went wrong, in the adapter's or the client library's words.
    pub message: String,
}

/// What sort of failure a [`BrokerError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerErrorKind {
    /// Not connected, or the connection broke.
    Connection,
    /// The broker refused the operation.
    Refused,
    /// No answer in time.
    Timeout,
    /// The broker is shut down.
    Closed,
}

impl BrokerError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: BrokerErrorKind, message: impl Into<String>) -> BrokerError {
        BrokerError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for BrokerError {}

/// What to subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeSpec {
    /// The channel address, possibly with `{parameter}` placeholders (each
    /// adapter maps them to its wildcard).
    pub address: String,
    /// Subscribers in one group share the messages (queue group, consumer
    /// group, competing consumers); `None` means every subscriber gets
    /// every message.
    pub group: Option<String>,
    /// How many deliveries the broker may hand out before acks come back.
    pub prefetch: usize,
    /// What the spec's bindings say about the channel.
    pub bindings: Bindings,
    /// The subscriber takes its messages in batches of up to this many:
    /// an adapter that hands out one message of an ordered unit (a Kafka
    /// partition) at a time hands out up to this many of it at once.
    pub batch: Option<usize>,
}

impl SubscribeSpec {
    /// A spec for `address` with the defaults: no group (every subscriber gets
    /// every message), a prefetch of 64, no bindings, no batches.
    pub fn new(address: impl Into<String>) -> SubscribeSpec {
        SubscribeSpec {
            address: address.into(),
            group: None,
            prefetch: 64,
            bindings: Bindings::default(),
            batch: None,
        }
    }
}

/// Settles a delivery with the broker.
pub trait Acker: Send + 'static {
    /// Done: the broker forgets the message.
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>>;
    /// Not done: redeliver (after `delay`, where the broker supports it).
    fn nack(
        self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>>;
    /// Never deliver again: to the broker's dead-letter target where it
    /// has one (`reason` says why, for people reading the dead letters).
    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>>;
    /// An at-most-once delivery (core NATS, Redis pub/sub): settling it
    /// does nothing with the broker. Metrics report such a delivery as
    /// FastStream does, `acked` or `error`, never `rejected`.
    fn at_most_once(&self) -> bool {
        false
    }
}

/// An acker one subscription shares by all its deliveries: settling a
/// delivery needs only the delivery's envelope and attempt, so handing
/// one out allocates nothing (where a boxed [`Acker`] allocates per
/// delivery). The memory broker's is one.
pub trait SubscriptionAcker: Send + Sync + 'static {
    /// Done: the broker forgets the message.
    fn ack(
        &self,
        envelope: Arc<Envelope>,
        attempt: u32,
    ) -> BoxFuture<'static, Result<(), BrokerError>>;
    /// Not done: redeliver (after `delay`, where the broker supports it).
    fn nack(
        &self,
        envelope: Arc<Envelope>,
        attempt: u32,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>>;
    /// Never deliver again (see [`Acker::reject`]).
    fn reject(
        &self,
        envelope: Arc<Envelope>,
        attempt: u32,
        reason: String,
    ) -> BoxFuture<'static, Result<(), BrokerError>>;
    /// See [`Acker::at_most_once`].
    fn at_most_once(&self) -> bool {
        false
    }
}

/// Settles one delivery, once: through the adapter's own [`Acker`] (boxed
/// per delivery: [`AckHandle::new`]) or through its subscription's
/// [`SubscriptionAcker`] (no allocation: [`AckHandle::shared`]).
pub struct AckHandle(AckRepr);

enum AckRepr {
    Boxed(Box<dyn Acker>),
    Shared {
        acker: Arc<dyn SubscriptionAcker>,
        envelope: Arc<Envelope>,
        attempt: u32,
    },
}

impl AckHandle {
    /// Settles through `acker` (boxed; an acker of no size, such as
    /// [`NoAck`], costs no allocation).
    pub fn new(acker: impl Acker) -> AckHandle {
        AckHandle(AckRepr::Boxed(Box::new(acker)))
    }

    /// Settles `envelope`'s delivery (its `attempt`) through its
    /// subscription's shared acker.
    pub fn shared(
        acker: Arc<dyn SubscriptionAcker>,
        envelope: Arc<Envelope>,
        attempt: u32,
    ) -> AckHandle {
        AckHandle(AckRepr::Shared {
            acker,
            envelope,
            attempt,
        })
    }

    /// Done: the broker forgets the message.
    pub fn ack(self) -> BoxFuture<'static, Result<(), BrokerError>> {
        match self.0 {
            AckRepr::Boxed(a) => a.ack(),
            AckRepr::Shared {
                acker,
                envelope,
                attempt,
            } => acker.ack(envelope, attempt),
        }
    }

    /// Not done: redeliver (after `delay`, where the broker supports it).
    pub fn nack(self, delay: Option<Duration>) -> BoxFuture<'static, Result<(), BrokerError>> {
        match self.0 {
            AckRepr::Boxed(a) => a.nack(delay),
            AckRepr::Shared {
                acker,
                envelope,
                attempt,
            } => acker.nack(envelope, attempt, delay),
        }
    }

    /// Never deliver again: to the broker's dead-letter target where it
    /// has one.
    pub fn reject(self, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        match self.0 {
            AckRepr::Boxed(a) => a.reject(reason),
            AckRepr::Shared {
                acker,
                envelope,
                attempt,
            } => acker.reject(envelope, attempt, reason),
        }
    }

    /// An at-most-once delivery: settling it does nothing with the broker.
    pub fn at_most_once(&self) -> bool {
        match &self.0 {
            AckRepr::Boxed(a) => a.at_most_once(),
            AckRepr::Shared { acker, .. } => acker.at_most_once(),
        }
    }
}

impl From<Box<dyn Acker>> for AckHandle {
    fn from(acker: Box<dyn Acker>) -> AckHandle {
        AckHandle(AckRepr::Boxed(acker))
    }
}

impl fmt::Debug for AckHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckHandle")
            .field("at_most_once", &self.at_most_once())
            .finish_non_exhaustive()
    }
}

/// A settlement with nothing left to wait for, for an acker whose ack (or
/// nack, or reject) is done when the call returns. Its future has no size,
/// so boxing it allocates nothing.
pub fn settled() -> BoxFuture<'static, Result<(), BrokerError>> {
    Box::pin(Settled)
}

/// The future [`settled`] boxes: ready at once, `Ok(())`.
struct Settled;

impl Future for Settled {
    type Output = Result<(), BrokerError>;

    fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// An acker for at-most-once deliveries: settling is a no-op.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAck;

impl Acker for NoAck {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        settled()
    }
    fn nack(self: Box<Self>, _: Option<Duration>) -> BoxFuture<'static, Result<(), BrokerError>> {
        settled()
    }
    fn reject(self: Box<Self>, _: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        settled()
    }
    fn at_most_once(&self) -> bool {
        true
    }
}

/// One message handed to a subscriber.
pub struct Delivery {
    /// The message, as the adapter read it: shared, so that the worker, the
    /// handler's `Context` and an acker that needs it (to redeliver or
    /// dead-letter) hold one copy.
    pub envelope: Arc<Envelope>,
    /// 1 for the first delivery, more for redeliveries.
    pub attempt: u32,
    /// Settles this delivery with the broker: one ack, nack or reject.
    pub acker: AckHandle,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("envelope", &self.envelope)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// A stream of deliveries: a channel an adapter's task feeds, or (cheaper:
/// no task and no hand-over per message) a stream the worker polls itself.
pub struct Subscription {
    inner: SubscriptionInner,
    /// Fires when the adapter has let go of what the subscription held on
    /// the broker (a Kafka consumer left its group), after the
    /// subscription is dropped.
    closed: Option<tokio::sync::oneshot::Receiver<()>>,
    /// Nack what was taken from the broker and not handled when closed.
    release: bool,
}

enum SubscriptionInner {
    Channel(mpsc::Receiver<Delivery>),
    Stream(futures_util::stream::BoxStream<'static, Delivery>),
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Subscription {
    /// A subscription an adapter's task feeds through `rx`; it ends when the
    /// sending side is dropped.
    pub fn new(rx: mpsc::Receiver<Delivery>) -> Subscription {
        Subscription {
            inner: SubscriptionInner::Channel(rx),
            closed: None,
            release: false,
        }
    }

    /// A subscription read straight from a stream of deliveries.
    pub fn from_stream(
        stream: impl futures_util::Stream<Item = Delivery> + Send + 'static,
    ) -> Subscription {
        Subscription {
            inner: SubscriptionInner::Stream(Box::pin(stream)),
            closed: None,
            release: false,
        }
    }

    /// A subscription read straight from a client's stream of messages,
    /// each turned into a delivery (or skipped, when `convert` returns
    /// `None`) as it is read. Cheaper than a `filter_map` stream: a
    /// delivery is built where it is returned, not moved through a
    /// future in between.
    pub fn from_messages<S, F>(messages: S, convert: F) -> Subscription
    where
        S: futures_util::Stream + Unpin + Send + 'static,
        F: FnMut(S::Item) -> Option<Delivery> + Unpin + Send + 'static,
    {
        Subscription::from_stream(Converted { messages, convert })
    }

    /// A subscription whose adapter says, on `closed`, when it has let go
    /// of the broker after the subscription was dropped.
    pub fn with_close_signal(mut self, closed: tokio::sync::oneshot::Receiver<()>) -> Subscription {
        self.closed = Some(closed);
        self
    }

    /// On [`Subscription::close`], the deliveries taken from the broker and
    /// not handled yet (waiting in the subscription's buffer) are nacked,
    /// so that the broker gives them to another member at once: for
    /// brokers that would otherwise hold them until a timeout (JetStream's
    /// ack wait).
    pub fn release_unhandled_on_close(mut self) -> Subscription {
        self.release = true;
        self
    }

    /// Drops the subscription and waits (up to `timeout`) until the adapter
    /// has let go of the broker, so that what the subscription used (a
    /// topic, a consumer group) can be removed safely afterwards.
    pub async fn close(mut self, timeout: std::time::Duration) {
        let closed = self.closed.take();
        if let (true, SubscriptionInner::Channel(rx)) = (self.release, &mut self.inner) {
            // No more come in; what is buffered goes back.
            rx.close();
            let mut nacks = Vec::new();
            while let Ok(d) = rx.try_recv() {
                nacks.push(d.acker.nack(None));
            }
            let _ = tokio::time::timeout(timeout, futures_util::future::join_all(nacks)).await;
        }
        drop(self);
        if let Some(closed) = closed {
            let _ = tokio::time::timeout(timeout, closed).await;
        }
    }

    /// The next delivery; `None` when the subscription ended.
    pub async fn next(&mut self) -> Option<Delivery> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Polls for the next delivery; `None` when the subscription ended.
    pub fn poll_next(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Delivery>> {
        match &mut self.inner {
            SubscriptionInner::Channel(rx) => rx.poll_recv(cx),
            SubscriptionInner::Stream(s) => s.as_mut().poll_next(cx),
        }
    }
}

/// See [`Subscription::from_messages`].
struct Converted<S, F> {
    messages: S,
    convert: F,
}

impl<S, F> futures_util::Stream for Converted<S, F>
where
    S: futures_util::Stream + Unpin,
    F: FnMut(S::Item) -> Option<Delivery> + Unpin,
{
    type Item = Delivery;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Delivery>> {
        use futures_util::StreamExt;
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            match this.messages.poll_next_unpin(cx) {
                Poll::Ready(Some(m)) => {
                    if let Some(d) = (this.convert)(m) {
                        return Poll::Ready(Some(d));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// A message broker, as the runtime sees it.
pub trait Broker: Send + Sync + 'static {
    /// A short name for logs (`memory`, `nats`, ...).
    fn name(&self) -> &'static str;

    /// Publishes `envelope` to `envelope.channel` with the adapter's defaults
    /// (no bindings).
    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>>;

    /// Publishes as the spec's bindings for the channel say (exchange,
    /// routing keys, delivery mode, Redis list or stream...). Adapters
    /// without bindings of their own publish as [`Broker::publish`] does.
    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        let _ = bindings;
        self.publish(envelope)
    }

    /// Subscribes as `spec` says; the deliveries come through the returned
    /// [`Subscription`].
    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>>;

    /// A fresh address only this process listens on, for replies.
    fn new_inbox(&self) -> String {
        format!("_INBOX.{}", uuid::Uuid::new_v4().simple())
    }

    /// The server this broker is connected to, as the export lists it
    /// (none for the in-memory broker, unless it stands in for one).
    fn server_info(&self) -> Option<ServerInfo> {
        None
    }

    /// Whether the connection to the broker is up now, for readiness
    /// probes ([`crate::app::Health`]): an error says why not. Answers
    /// quickly (from the client's own state where it keeps one). The
    /// default, for brokers with no connection, is always up.
    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// Waits until every message published so far has left this process.
    /// A client that returns from a publish once the message is in its
    /// own buffer (NATS core) writes the buffer out; the app calls this as
    /// it shuts down, so that what it published just before is not lost
    /// with the connection. The default, for adapters whose publish
    /// returns once the broker has the message, has nothing to wait for.
    fn flush(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Locks a mutex, taking over a poisoned one (a panicking holder leaves
/// nothing half-written in the adapters' maps).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Exponential backoff for reconnect loops: 100 ms doubling up to 5 s,
/// back to the start after a success.
#[cfg_attr(
    not(any(feature = "nats", feature = "redis", feature = "mqtt")),
    allow(dead_code)
)]
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

#[cfg_attr(
    not(any(feature = "nats", feature = "redis", feature = "mqtt")),
    allow(dead_code)
)]
impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(5);

    pub(crate) fn new() -> Backoff {
        Backoff { next: Self::FIRST }
    }

    /// Sleeps for the current delay and doubles the next one.
    pub(crate) async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(Self::MAX);
    }

    pub(crate) fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// How a connection authenticates, as the export describes it (a kind,
/// never a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authentication {
    /// A user name and password (FastStream's `user-password` scheme).
    UserPassword,
    /// A NATS token (in the user position of the URL).
    Token,
    /// NATS decentralized credentials: a user JWT signed with an NKey.
    Credentials,
    /// A TLS client certificate.
    ClientCertificate,
    /// Kafka SASL/PLAIN: a user name and password.
    SaslPlain,
    /// Kafka SASL/SCRAM-SHA-256.
    ScramSha256,
    /// Kafka SASL/SCRAM-SHA-512.
    ScramSha512,
}

impl Authentication {
    /// The key of its scheme under `components.securitySchemes`.
    pub fn scheme_name(self) -> &'static str {
        match self {
            Authentication::UserPassword => "user-password",
            Authentication::Token => "token",
            Authentication::Credentials => "nats-credentials",
            Authentication::ClientCertificate => "client-certificate",
            Authentication::SaslPlain => "user-password",
            Authentication::ScramSha256 => "scram256",
            Authentication::ScramSha512 => "scram512",
        }
    }

    /// Its AsyncAPI security scheme object.
    pub fn scheme(self) -> serde_json::Value {
        match self {
            Authentication::UserPassword => serde_json::json!({"type": "userPassword"}),
            Authentication::Token => serde_json::json!({
                "type": "apiKey",
                "in": "user",
                "description": "A NATS token."
            }),
            Authentication::Credentials => serde_json::json!({
                "type": "asymmetricEncryption",
                "description": "NATS credentials: a user JWT and the NKey that signs for it."
            }),
            Authentication::ClientCertificate => serde_json::json!({"type": "X509"}),
            Authentication::SaslPlain => serde_json::json!({"type": "plain"}),
            Authentication::ScramSha256 => serde_json::json!({"type": "scramSha256"}),
            Authentication::ScramSha512 => serde_json::json!({"type": "scramSha512"}),
        }
    }
}

/// What an adapter says of the server it is connected to, for the export
/// ([`crate::App::asyncapi`] lists it under `servers`): the protocol, the
/// host and path without credentials, and how it authenticates. Never a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The key under `servers`: the spec's server name when connected with
    /// [`connect`](crate::connect()), else `development` (FastStream's name for it).
    pub name: String,
    /// `nats`, `redis`, `rediss`, `amqp`, `amqps`.
    pub protocol: String,
    /// `host[:port]` (NATS: possibly several, comma-separated).
    pub host: String,
    /// `/vhost` for AMQP, `/0` for a Redis database; may be empty.
    pub pathname: String,
    /// The protocol's version, the export's `protocolVersion` (`0.9.1` for
    /// AMQP, `5` for MQTT); `None` where the adapter does not say.
    pub protocol_version: Option<String>,
    /// How the connection authenticates, each kind once (from the URL and the
    /// [`ConnectOptions`](crate::ConnectOptions)); the export lists each as a
    /// security scheme. Empty: no authentication.
    pub authentication: Vec<Authentication>,
}

impl ServerInfo {
    /// The same, under another key.
    pub fn named(mut self, name: impl Into<String>) -> ServerInfo {
        self.name = name.into();
        self
    }
}
