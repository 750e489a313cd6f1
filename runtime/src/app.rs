//! The application: routes (one per `receive` operation) run by subscriber
//! loops on a broker, with ack policies, bounded retries, dead letters,
//! replies, a concurrency limit, graceful shutdown, lifespan hooks,
//! middleware and `tracing` spans.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::bindings::{Bindings, NO_BINDINGS};
use crate::broker::{
    Acker, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec,
};
use crate::envelope::Envelope;

/// What a handler returns when it fails. Any error converts into it with
/// `?`; the ack policy decides what happens to the message.
pub struct HandlerError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    pub fn new(message: impl Into<String>) -> HandlerError {
        HandlerError {
            message: message.into(),
            source: None,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync)> {
        self.source.as_deref()
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandlerError({:?})", self.message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> HandlerError {
        HandlerError {
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

/// Why a message was not handled.
#[derive(Debug)]
pub enum Failure {
    /// The message could not be decoded or violates the schema: the handler
    /// was never called, and retrying cannot help.
    Decode(String),
    /// The handler failed.
    Handler(HandlerError),
}

/// A reply to a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub payload: Vec<u8>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub content_type: Option<String>,
}

/// A type-erased handler, as generated routers build them: decode, call
/// the user's method, encode the reply.
pub type ErasedHandler = Arc<
    dyn Fn(Arc<Envelope>, Context) -> BoxFuture<'static, Result<Option<Reply>, Failure>>
        + Send
        + Sync,
>;

/// When a delivery is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AckPolicy {
    /// Ack on receipt, before handling (at most once).
    AckFirst,
    /// Ack after the handler succeeds; on failure retry in-process with
    /// backoff, then reject (dead letter).
    #[default]
    AckAfterSuccess,
    /// On failure nack, so the broker redelivers (with the backoff as
    /// delay) until the attempts are used up; then reject.
    NackOnError,
    /// On failure reject at once (dead letter), no retries.
    RejectOnError,
    /// The handler settles the message itself through its [`Context`].
    Manual,
}

/// Bounded retries with exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub multiplier: f64,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            multiplier: 2.0,
        }
    }
}

impl Retry {
    /// The pause before attempt `attempt + 1`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = self
            .multiplier
            .powi(i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX));
        self.initial_backoff.mul_f64(factor).min(self.max_backoff)
    }
}

/// How one route consumes.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriberOptions {
    /// Subscribers in one group share the messages.
    pub group: Option<String>,
    pub ack: AckPolicy,
    pub retry: Retry,
    /// Messages handled at once by this route (backpressure beyond).
    pub max_in_flight: usize,
    /// The spec's bindings for the channel (queue, exchange, Redis kind).
    pub bindings: Bindings,
}

impl Default for SubscriberOptions {
    fn default() -> SubscriberOptions {
        SubscriberOptions {
            group: None,
            ack: AckPolicy::default(),
            retry: Retry::default(),
            max_in_flight: 16,
            bindings: Bindings::default(),
        }
    }
}

/// One subscription of an application.
#[derive(Clone)]
pub struct Route {
    /// The operation it implements (for logs and spans).
    pub operation: String,
    /// The channel address, with `{parameter}` placeholders.
    pub address: String,
    pub options: SubscriberOptions,
    pub handler: ErasedHandler,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("operation", &self.operation)
            .field("address", &self.address)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The routes of one application (generated `router(handler)` builds one).
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    /// The AsyncAPI document the routes come from, for export and docs.
    pub document: Option<&'static str>,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    pub fn route(mut self, route: Route) -> Router {
        self.routes.push(route);
        self
    }

    pub fn with_document(mut self, document: &'static str) -> Router {
        self.document = Some(document);
        self
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Changes the options of every route (group, ack policy, retries, ...).
    pub fn map_options(mut self, f: impl Fn(&mut SubscriberOptions)) -> Router {
        for r in &mut self.routes {
            f(&mut r.options);
        }
        self
    }

    /// Changes the options of one operation's route.
    pub fn options(mut self, operation: &str, f: impl FnOnce(&mut SubscriberOptions)) -> Router {
        if let Some(r) = self.routes.iter_mut().find(|r| r.operation == operation) {
            f(&mut r.options);
        }
        self
    }
}

/// Why publishing or a request failed.
#[derive(Debug)]
pub enum PublishError {
    Encode(String),
    Broker(BrokerError),
    /// No reply within the timeout.
    Timeout,
    /// The reply did not decode.
    Reply(String),
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Encode(e) => write!(f, "cannot encode the message: {e}"),
            PublishError::Broker(e) => write!(f, "broker error: {e}"),
            PublishError::Timeout => f.write_str("no reply in time"),
            PublishError::Reply(e) => write!(f, "the reply is invalid: {e}"),
        }
    }
}

impl std::error::Error for PublishError {}

impl From<BrokerError> for PublishError {
    fn from(e: BrokerError) -> PublishError {
        PublishError::Broker(e)
    }
}

/// Hooks around consuming and publishing.
pub trait Middleware: Send + Sync + 'static {
    /// Before a delivery is decoded and handled.
    fn before_consume(&self, _envelope: &Envelope) {}
    /// After it was settled; `outcome` says how.
    fn after_consume(&self, _envelope: &Envelope, _outcome: Outcome) {}
    /// Before an envelope is published (it may be changed, e.g. headers).
    fn before_publish(&self, _envelope: &mut Envelope) {}
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Acked,
    /// Handed back to the broker for redelivery.
    Nacked,
    /// Dead-lettered: undecodable, or failed after the last attempt.
    Rejected,
    /// Left to the handler (manual acks).
    Manual,
}

/// A fresh correlation id, as FastStream gives every message it publishes
/// that has none: a version-4 UUID string. Random once per process, then
/// counted, so there is no system call per message.
pub fn new_correlation_id() -> String {
    static BASE: std::sync::LazyLock<u128> =
        std::sync::LazyLock::new(|| uuid::Uuid::new_v4().as_u128());
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = u128::from(NEXT.fetch_add(1, Ordering::Relaxed));
    uuid::Builder::from_random_bytes(BASE.wrapping_add(n).to_be_bytes())
        .into_uuid()
        .hyphenated()
        .to_string()
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
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("broker", &self.inner.broker.name())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Replies {
    inbox: tokio::sync::OnceCell<String>,
    pending: Mutex<HashMap<String, oneshot::Sender<Envelope>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Publisher {
    pub fn new(broker: Arc<dyn Broker>) -> Publisher {
        Publisher::with_middleware(broker, Arc::default())
    }

    fn with_middleware(
        broker: Arc<dyn Broker>,
        middleware: Arc<Vec<Arc<dyn Middleware>>>,
    ) -> Publisher {
        Publisher {
            inner: Arc::new(PublisherInner {
                broker,
                replies: Replies::default(),
                middleware,
            }),
        }
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
    pub async fn publish_with(
        &self,
        mut envelope: Envelope,
        bindings: &Bindings,
    ) -> Result<(), PublishError> {
        let inner = &*self.inner;
        if envelope.correlation_id.is_none() {
            // FastStream gives every message it publishes one.
            envelope.correlation_id = Some(new_correlation_id());
        }
        for m in inner.middleware.iter() {
            m.before_publish(&mut envelope);
        }
        let span = tracing::debug_span!(
            "publish",
            messaging.system = inner.broker.name(),
            messaging.destination.name = %envelope.channel,
            messaging.operation = "publish",
        );
        inner
            .broker
            .publish_with(envelope, bindings)
            .instrument(span)
            .await?;
        Ok(())
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
    async fn inbox(&self) -> Result<String, PublishError> {
        let broker = self.inner.broker.clone();
        let inner = Arc::downgrade(&self.inner);
        let inbox = self
            .inner
            .replies
            .inbox
            .get_or_try_init(|| async move {
                let inbox = broker.new_inbox();
                let mut sub = broker.subscribe(SubscribeSpec::new(inbox.clone())).await?;
                tokio::spawn(async move {
                    while let Some(d) = sub.next().await {
                        let _ = d.acker.ack().await;
                        let Some(inner) = inner.upgrade() else {
                            break;
                        };
                        let Some(id) = d.envelope.correlation_id.clone() else {
                            continue;
                        };
                        if let Some(tx) = lock(&inner.replies.pending).remove(&id) {
                            let _ = tx.send(d.envelope);
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

/// What a handler knows about the message it handles.
#[derive(Clone)]
pub struct Context {
    envelope: Arc<Envelope>,
    publisher: Publisher,
    /// The delivery's acker, with [`AckPolicy::Manual`] only.
    acker: Option<SharedAcker>,
    /// Where [`Context::reply`] leaves the answer, for requests only (a
    /// message with `reply_to`).
    reply: Option<ReplySlot>,
    attempt: u32,
}

type SharedAcker = Arc<tokio::sync::Mutex<Option<Box<dyn Acker>>>>;
type ReplySlot = Arc<Mutex<Option<Reply>>>;

impl Context {
    async fn take_acker(&self) -> Option<Box<dyn Acker>> {
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
    /// A context for calling a handler outside a subscriber (tests, tools).
    pub fn detached(envelope: Envelope, publisher: Publisher) -> Context {
        let reply = envelope.reply_to.is_some().then(ReplySlot::default);
        Context {
            envelope: Arc::new(envelope),
            publisher,
            acker: None,
            reply,
            attempt: 1,
        }
    }

    /// The answer given with [`Context::reply`] so far (for tests that
    /// call a handler with a [`Context::detached`]).
    pub fn given_reply(&self) -> Option<Reply> {
        self.reply.as_ref().and_then(|slot| lock(slot).clone())
    }

    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    pub fn correlation_id(&self) -> Option<&str> {
        self.envelope.correlation_id.as_deref()
    }

    pub fn reply_to(&self) -> Option<&str> {
        self.envelope.reply_to.as_deref()
    }

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

    /// With [`AckPolicy::Manual`]: acknowledge now.
    pub async fn ack(&self) -> Result<(), BrokerError> {
        match self.take_acker().await {
            Some(a) => a.ack().await,
            None => Ok(()),
        }
    }

    /// With [`AckPolicy::Manual`]: hand the message back for redelivery.
    pub async fn nack(&self, delay: Option<Duration>) -> Result<(), BrokerError> {
        match self.take_acker().await {
            Some(a) => a.nack(delay).await,
            None => Ok(()),
        }
    }

    /// With [`AckPolicy::Manual`]: dead-letter the message.
    pub async fn reject(&self, reason: impl Into<String>) -> Result<(), BrokerError> {
        match self.take_acker().await {
            Some(a) => a.reject(reason.into()).await,
            None => Ok(()),
        }
    }
}

/// Counters of a running application.
#[derive(Debug, Default)]
pub struct Metrics {
    pub received: AtomicU64,
    pub handled: AtomicU64,
    pub acked: AtomicU64,
    pub nacked: AtomicU64,
    pub rejected: AtomicU64,
    pub decode_failures: AtomicU64,
    pub handler_failures: AtomicU64,
    pub panics: AtomicU64,
    pub retries: AtomicU64,
    pub replies: AtomicU64,
    pub in_flight: AtomicU64,
    /// Deliveries whose handling is over (settled one way or another).
    pub finished: AtomicU64,
    /// Subscriptions still consuming (one per route while the app runs;
    /// fewer means a subscription ended without a shutdown).
    pub subscribers: AtomicU64,
}

impl Metrics {
    /// A plain copy of the counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MetricsSnapshot {
            received: g(&self.received),
            handled: g(&self.handled),
            acked: g(&self.acked),
            nacked: g(&self.nacked),
            rejected: g(&self.rejected),
            decode_failures: g(&self.decode_failures),
            handler_failures: g(&self.handler_failures),
            panics: g(&self.panics),
            retries: g(&self.retries),
            replies: g(&self.replies),
            in_flight: g(&self.in_flight),
            finished: g(&self.finished),
            subscribers: g(&self.subscribers),
        }
    }
}

/// A copy of [`Metrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    pub received: u64,
    pub handled: u64,
    pub acked: u64,
    pub nacked: u64,
    pub rejected: u64,
    pub decode_failures: u64,
    pub handler_failures: u64,
    pub panics: u64,
    pub retries: u64,
    pub replies: u64,
    pub in_flight: u64,
    pub finished: u64,
    pub subscribers: u64,
}

type Hook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// An application: a broker, routes, hooks.
pub struct App {
    broker: Arc<dyn Broker>,
    routes: Vec<Route>,
    documents: Vec<&'static str>,
    on_startup: Vec<Hook>,
    after_startup: Vec<Hook>,
    on_shutdown: Vec<Hook>,
    middleware: Vec<Arc<dyn Middleware>>,
    shutdown_timeout: Duration,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("broker", &self.broker.name())
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

/// Why the application stopped with an error.
#[derive(Debug)]
pub enum AppError {
    Broker(BrokerError),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Broker(e) => write!(f, "broker error: {e}"),
        }
    }
}

impl std::error::Error for AppError {}

impl App {
    pub fn new(broker: impl Broker) -> App {
        App::with_broker(Arc::new(broker))
    }

    pub fn with_broker(broker: Arc<dyn Broker>) -> App {
        App {
            broker,
            routes: Vec::new(),
            documents: Vec::new(),
            on_startup: Vec::new(),
            after_startup: Vec::new(),
            on_shutdown: Vec::new(),
            middleware: Vec::new(),
            shutdown_timeout: Duration::from_secs(30),
        }
    }

    /// Adds a router's routes.
    pub fn include(mut self, router: Router) -> App {
        self.documents.extend(router.document);
        self.routes.extend(router.routes);
        self
    }

    /// Runs before subscribing.
    pub fn on_startup<F, Fut>(mut self, f: F) -> App
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.on_startup.push(Box::new(move || Box::pin(f())));
        self
    }

    /// Runs once every route is subscribed.
    pub fn after_startup<F, Fut>(mut self, f: F) -> App
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.after_startup.push(Box::new(move || Box::pin(f())));
        self
    }

    /// Runs after the last in-flight message is settled.
    pub fn on_shutdown<F, Fut>(mut self, f: F) -> App
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.on_shutdown.push(Box::new(move || Box::pin(f())));
        self
    }

    pub fn middleware(mut self, m: impl Middleware) -> App {
        self.middleware.push(Arc::new(m));
        self
    }

    /// How long shutdown waits for in-flight messages.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> App {
        self.shutdown_timeout = timeout;
        self
    }

    /// The AsyncAPI documents of the included routers.
    pub fn documents(&self) -> &[&'static str] {
        &self.documents
    }

    /// Starts every route and returns a handle; the app runs until
    /// [`RunningApp::shutdown`].
    pub async fn start(mut self) -> Result<RunningApp, AppError> {
        for hook in self.on_startup.drain(..) {
            hook().await;
        }
        let middleware = Arc::new(std::mem::take(&mut self.middleware));
        let publisher = Publisher::with_middleware(self.broker.clone(), middleware.clone());
        let metrics = Arc::new(Metrics::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut loops = JoinSet::new();
        for route in self.routes.drain(..) {
            let spec = SubscribeSpec {
                address: route.address.clone(),
                group: route.options.group.clone(),
                prefetch: route.options.max_in_flight.max(1),
                bindings: route.options.bindings.clone(),
            };
            let sub = self
                .broker
                .subscribe(spec)
                .await
                .map_err(AppError::Broker)?;
            let worker = Worker {
                route: Arc::new(route),
                publisher: publisher.clone(),
                metrics: metrics.clone(),
                middleware: middleware.clone(),
                broker_name: self.broker.name(),
            };
            loops.spawn(worker.run(sub, stop_rx.clone(), self.shutdown_timeout));
        }
        for hook in self.after_startup.drain(..) {
            hook().await;
        }
        Ok(RunningApp {
            stop: stop_tx,
            loops,
            publisher,
            metrics,
            on_shutdown: std::mem::take(&mut self.on_shutdown),
        })
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run(self) -> Result<(), AppError> {
        let running = self.start().await?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        running.shutdown().await;
        Ok(())
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A started application.
pub struct RunningApp {
    stop: watch::Sender<bool>,
    loops: JoinSet<()>,
    publisher: Publisher,
    metrics: Arc<Metrics>,
    on_shutdown: Vec<Hook>,
}

impl fmt::Debug for RunningApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningApp")
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

impl RunningApp {
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// Stops consuming, lets in-flight messages finish and settle (up to
    /// the shutdown timeout), runs the shutdown hooks.
    pub async fn shutdown(mut self) -> MetricsSnapshot {
        let _ = self.stop.send(true);
        while self.loops.join_next().await.is_some() {}
        for hook in self.on_shutdown.drain(..) {
            hook().await;
        }
        self.metrics.snapshot()
    }
}

/// A message's future that did not finish at its first poll (see
/// [`Worker::run`]).
struct InFlight<F>(Pin<Box<Option<F>>>);

impl<F: Future<Output = ()>> Future for InFlight<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.0.as_mut().as_pin_mut() {
            Some(f) => f.poll(cx),
            None => std::task::Poll::Ready(()),
        }
    }
}

struct Worker {
    route: Arc<Route>,
    publisher: Publisher,
    metrics: Arc<Metrics>,
    middleware: Arc<Vec<Arc<dyn Middleware>>>,
    broker_name: &'static str,
}

impl Worker {
    async fn run(
        self,
        mut sub: crate::broker::Subscription,
        mut stop: watch::Receiver<bool>,
        grace: Duration,
    ) {
        use futures_util::StreamExt;
        // The messages in flight are futures of this task (no task per
        // message): they interleave at their await points, up to
        // `max_in_flight` at once; beyond, no delivery is taken
        // (backpressure to the broker).
        let max_in_flight = self.route.options.max_in_flight.max(1);
        let mut in_flight = futures_util::stream::FuturesUnordered::new();
        let this = Arc::new(self);
        this.metrics.subscribers.fetch_add(1, Ordering::Relaxed);
        let mut stopped = std::pin::pin!(stop.changed());
        // A message's future is first polled in this reusable slot: when it
        // finishes at once (a handler that does not wait), it costs no
        // allocation and no bookkeeping in `in_flight`. One that waits moves
        // to `in_flight`, box and all, and a new slot is made.
        let start = |envelope, acker, attempt| {
            Worker::handle(this.clone(), Arc::new(envelope), acker, attempt)
        };
        let mut slot = Box::pin(None);
        // One poll takes every delivery that is ready (up to a limit, then
        // it yields so that the other tasks of the thread run) and starts
        // it at once, instead of a round of `select!` per message.
        const PER_POLL: usize = 64;
        let ended = std::future::poll_fn(|cx| {
            use std::task::Poll;
            if stopped.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            for _ in 0..PER_POLL {
                // Runs what waits and settles what is done.
                while !in_flight.is_empty()
                    && let Poll::Ready(Some(())) = in_flight.poll_next_unpin(cx)
                {}
                if in_flight.len() >= max_in_flight {
                    return Poll::Pending;
                }
                match sub.poll_next(cx) {
                    Poll::Ready(Some(Delivery {
                        envelope,
                        attempt,
                        acker,
                    })) => {
                        slot.set(Some(start(envelope, acker, attempt)));
                        let done = slot
                            .as_mut()
                            .as_pin_mut()
                            .is_some_and(|f| f.poll(cx).is_ready());
                        if done {
                            slot.set(None);
                        } else {
                            in_flight.push(InFlight(std::mem::replace(&mut slot, Box::pin(None))));
                        }
                    }
                    Poll::Ready(None) => return Poll::Ready(true),
                    Poll::Pending => return Poll::Pending,
                }
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        if ended {
            tracing::error!(operation = %this.route.operation, address = %this.route.address, "the subscription ended: no more messages for this route");
        }
        // Graceful: the in-flight messages finish and settle.
        let drained =
            tokio::time::timeout(grace, async { while in_flight.next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(operation = %this.route.operation, abandoned = in_flight.len(), "shutdown timeout: abandoning in-flight messages (they will be redelivered where the broker supports it)");
        }
        drop(in_flight);
        this.metrics.subscribers.fetch_sub(1, Ordering::Relaxed);
    }

    /// Handles one delivery. This future is allocated and moved once per
    /// message, so it holds only what every message needs: the rare paths
    /// (retries, replies, failures) are boxed when they are taken. A panic
    /// outside the handler (the handler's own are caught in
    /// [`Worker::call`]) is logged, not spread to the route's loop.
    async fn handle(this: Arc<Self>, envelope: Arc<Envelope>, acker: Box<dyn Acker>, attempt: u32) {
        use futures_util::FutureExt;
        let m = &this.metrics;
        m.received.fetch_add(1, Ordering::Relaxed);
        m.in_flight.fetch_add(1, Ordering::Relaxed);
        if std::panic::AssertUnwindSafe(this.process(&envelope, acker, attempt))
            .catch_unwind()
            .await
            .is_err()
        {
            tracing::error!(operation = %this.route.operation, "a panic while settling a message");
        }
        m.in_flight.fetch_sub(1, Ordering::Relaxed);
        m.finished.fetch_add(1, Ordering::Relaxed);
    }

    async fn process(&self, envelope: &Arc<Envelope>, acker: Box<dyn Acker>, attempt: u32) {
        let span = tracing::info_span!(
            "process",
            messaging.system = self.broker_name,
            messaging.destination.name = %envelope.channel,
            messaging.operation = "process",
            messaging.message.conversation_id = envelope.correlation_id.as_deref().unwrap_or(""),
            operation = %self.route.operation,
            attempt = attempt,
        );
        for mw in self.middleware.iter() {
            mw.before_consume(envelope);
        }
        let outcome = self.settle(envelope, acker, attempt).instrument(span).await;
        for mw in self.middleware.iter() {
            mw.after_consume(envelope, outcome);
        }
    }

    /// Runs the handler once, isolated: a panic becomes an error (and the
    /// subscriber goes on).
    async fn call(
        &self,
        envelope: &Arc<Envelope>,
        acker: Option<SharedAcker>,
        attempt: u32,
    ) -> Result<Option<Reply>, Failure> {
        use futures_util::FutureExt;
        let reply = envelope.reply_to.is_some().then(ReplySlot::default);
        let ctx = Context {
            envelope: envelope.clone(),
            publisher: self.publisher.clone(),
            acker,
            reply: reply.clone(),
            attempt,
        };
        match std::panic::AssertUnwindSafe((self.route.handler)(envelope.clone(), ctx))
            .catch_unwind()
            .await
        {
            // A typed reply wins; else what the handler gave its context.
            Ok(Ok(None)) => Ok(reply.and_then(|slot| lock(&slot).take())),
            Ok(r) => r,
            Err(panic) => Err(self.panicked(panic)),
        }
    }

    fn panicked(&self, panic: Box<dyn std::any::Any + Send>) -> Failure {
        self.metrics.panics.fetch_add(1, Ordering::Relaxed);
        let what = panic
            .downcast::<String>()
            .map(|s| *s)
            .or_else(|p| p.downcast::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|_| "a panic".to_owned());
        tracing::error!(panic = %what, "handler panicked");
        Failure::Handler(HandlerError::new(format!("handler panicked: {what}")))
    }

    fn handler_failed(&self, e: &HandlerError, attempt: u32) {
        self.metrics
            .handler_failures
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(error = %e, attempt, "handler failed");
    }

    async fn settle(
        &self,
        envelope: &Arc<Envelope>,
        acker: Box<dyn Acker>,
        attempt: u32,
    ) -> Outcome {
        let m = &self.metrics;
        let options = &self.route.options;
        let policy = options.ack;
        let mut acker = Some(acker);
        if policy == AckPolicy::AckFirst
            && let Some(a) = acker.take()
        {
            let _ = a.ack().await;
            m.acked.fetch_add(1, Ordering::Relaxed);
        }
        // Shared with the handler's context only when it settles itself.
        let shared: Option<SharedAcker> =
            (policy == AckPolicy::Manual).then(|| Arc::new(tokio::sync::Mutex::new(acker.take())));
        let mut result = self.call(envelope, shared.clone(), attempt).await;
        if let Err(Failure::Handler(e)) = &result {
            self.handler_failed(e, 1);
            // In-process retries only where the policy asks for them.
            if policy == AckPolicy::AckAfterSuccess && options.retry.max_attempts > 1 {
                result = Box::pin(self.retry(envelope, attempt)).await;
            }
        }
        let reply = match result {
            Ok(reply) => reply,
            Err(failure) => {
                return Box::pin(self.failed(envelope, failure, acker, shared, attempt)).await;
            }
        };
        m.handled.fetch_add(1, Ordering::Relaxed);
        if envelope.reply_to.is_some() {
            // FastStream answers every request, a handler's `None` with an
            // empty body: so do we, where the handler gave no answer.
            Box::pin(self.send_reply(envelope, reply.unwrap_or_default())).await;
        }
        match acker.take() {
            Some(a) => {
                let _ = a.ack().await;
                m.acked.fetch_add(1, Ordering::Relaxed);
                Outcome::Acked
            }
            None if policy == AckPolicy::Manual => Outcome::Manual,
            None => Outcome::Acked,
        }
    }

    /// The in-process retries after a failed first attempt, with backoff.
    async fn retry(
        &self,
        envelope: &Arc<Envelope>,
        attempt: u32,
    ) -> Result<Option<Reply>, Failure> {
        let retry = &self.route.options.retry;
        let mut n = 1;
        loop {
            self.metrics.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(retry.backoff(n)).await;
            n += 1;
            let result = self.call(envelope, None, attempt.max(n)).await;
            let Err(Failure::Handler(e)) = &result else {
                return result;
            };
            self.handler_failed(e, n);
            if n >= retry.max_attempts {
                return result;
            }
        }
    }

    async fn send_reply(&self, envelope: &Envelope, reply: Reply) {
        let Some(to) = envelope.reply_to.as_deref() else {
            return;
        };
        let out = Envelope {
            channel: to.to_owned(),
            payload: reply.payload.into(),
            headers: reply.headers,
            content_type: reply.content_type,
            correlation_id: envelope.correlation_id.clone(),
            reply_to: None,
            meta: Default::default(),
        };
        match self.publisher.publish(out).await {
            Ok(()) => {
                self.metrics.replies.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::error!(error = %e, "could not publish the reply"),
        }
    }

    /// Settles a message that was not handled.
    async fn failed(
        &self,
        envelope: &Envelope,
        failure: Failure,
        acker: Option<Box<dyn Acker>>,
        shared: Option<SharedAcker>,
        attempt: u32,
    ) -> Outcome {
        let m = &self.metrics;
        let options = &self.route.options;
        match failure {
            Failure::Decode(reason) => {
                m.decode_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(reason = %reason, channel = %envelope.channel, "refused a message that does not decode; the handler was not called");
                let acker = match (acker, &shared) {
                    (Some(a), _) => Some(a),
                    (None, Some(shared)) => shared.lock().await.take(),
                    (None, None) => None,
                };
                self.reject(acker, format!("undecodable: {reason}")).await
            }
            Failure::Handler(e) => match (options.ack, acker) {
                (AckPolicy::NackOnError, Some(a)) if attempt < options.retry.max_attempts => {
                    let _ = a.nack(Some(options.retry.backoff(attempt))).await;
                    m.nacked.fetch_add(1, Ordering::Relaxed);
                    Outcome::Nacked
                }
                (_, Some(a)) => self.reject(Some(a), format!("handler failed: {e}")).await,
                (AckPolicy::Manual, None) => Outcome::Manual,
                (_, None) => Outcome::Acked,
            },
        }
    }

    async fn reject(&self, acker: Option<Box<dyn Acker>>, reason: String) -> Outcome {
        match acker {
            Some(a) => {
                let _ = a.reject(reason).await;
                self.metrics.rejected.fetch_add(1, Ordering::Relaxed);
                Outcome::Rejected
            }
            // Acked first: nothing left to settle.
            None => Outcome::Acked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let r = Retry {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(35),
            multiplier: 2.0,
        };
        assert_eq!(r.backoff(1), Duration::from_millis(10));
        assert_eq!(r.backoff(2), Duration::from_millis(20));
        assert_eq!(r.backoff(3), Duration::from_millis(35));
    }
}
