//! Routes and their options: what a generated `router(handler)` builds and
//! an application runs (handlers, ack policies, retries, replies).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::context::Context;
pub use super::handler::{Failure, HandlerError, Reply};
use super::publisher::Publisher;
use super::state::States;
use crate::bindings::Bindings;
use crate::broker::BoxFuture;
use crate::envelope::Envelope;
use crate::export::describe::SchemaComponents;

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
    /// The pause before the second attempt (default 100 ms).
    pub initial_backoff: Duration,
    /// The longest pause, however many attempts came before (default 10 s).
    pub max_backoff: Duration,
    /// How much each pause grows over the one before (default 2.0: it
    /// doubles).
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
    /// When deliveries are acked, and what a failure does (default
    /// [`AckPolicy::AckAfterSuccess`]).
    pub ack: AckPolicy,
    /// The attempts a failing message gets and the pauses between them:
    /// in-process retries under [`AckPolicy::AckAfterSuccess`], the nack delay
    /// and attempt limit under [`AckPolicy::NackOnError`]. The other policies
    /// do not retry.
    pub retry: Retry,
    /// Messages handled at once by this route (backpressure beyond).
    pub max_in_flight: usize,
    /// The spec's bindings for the channel (queue, exchange, Redis kind).
    pub bindings: Bindings,
    /// A batch subscriber's batches (`None`: one message at a time).
    pub batch: Option<Batch>,
    /// Tasks of the multi-threaded runtime this route's deliveries run on
    /// (1: futures of the route's one task). More use more cores for
    /// handlers that compute; `max_in_flight` is shared among them. Order
    /// is kept where the broker promises it only for a route that handles
    /// one message at a time (`max_in_flight` 1): then each Kafka
    /// partition, record key or channel goes to one worker. Batch routes
    /// run on one.
    pub workers: usize,
    /// The largest body this route takes, in bytes: a larger message is
    /// refused before anything decodes it (rejected, as a message that
    /// does not decode is: dead-lettered where the broker has dead letters)
    /// and never reaches the handler. [`DEFAULT_MAX_BODY_SIZE`] unless set.
    pub max_body_size: usize,
}

/// The largest message body a route takes unless its options say
/// otherwise: 8 MiB (NATS and Kafka refuse more than 1 MiB by default,
/// RabbitMQ 128 MiB, Redis 512 MiB).
pub const DEFAULT_MAX_BODY_SIZE: usize = 8 * 1024 * 1024;

impl Default for SubscriberOptions {
    fn default() -> SubscriberOptions {
        SubscriberOptions {
            group: None,
            ack: AckPolicy::default(),
            retry: Retry::default(),
            max_in_flight: 16,
            bindings: Bindings::default(),
            batch: None,
            workers: 1,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }
}

/// A type-erased batch handler, as [`crate::Subscriber::batch`] builds
/// them: decodes each message and calls the user's function once with
/// those that decoded.
pub type ErasedBatchHandler =
    Arc<dyn Fn(Vec<Arc<Envelope>>, Publisher) -> BoxFuture<'static, BatchResult> + Send + Sync>;

/// What a batch handler made of a batch.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// The messages (by their index in the batch) that did not decode, and
    /// why: they never reached the handler.
    pub undecodable: Vec<(usize, crate::DecodeError)>,
    /// The handler's result; `None` when no message decoded (it was not
    /// called).
    pub handled: Option<Result<(), HandlerError>>,
}

/// How a batch subscriber takes its messages: up to `max_records` at
/// once, waiting at most `max_wait` after the first for more. A batch is
/// settled as one: acked when the handler succeeds, retried, nacked or
/// rejected as a whole when it fails (as the ack policy says; a batch has
/// no manual acks and sends no replies). A message that does not decode
/// is rejected alone and never reaches the handler.
#[derive(Clone)]
pub struct Batch {
    /// The most deliveries in one batch (at least 1 is taken;
    /// [`crate::Subscriber::batch`] sets 100).
    pub max_records: usize,
    /// How long to wait for more deliveries after a batch's first one
    /// ([`crate::Subscriber::batch`] sets 200 ms).
    pub max_wait: Duration,
    /// Decodes the batch's messages and calls the user's function once with
    /// those that decoded.
    pub handler: ErasedBatchHandler,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("max_records", &self.max_records)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Batch {
    fn eq(&self, other: &Batch) -> bool {
        self.max_records == other.max_records
            && self.max_wait == other.max_wait
            && Arc::ptr_eq(&self.handler, &other.handler)
    }
}

/// One subscription of an application.
#[derive(Clone)]
pub struct Route {
    /// The operation it implements (for logs and spans).
    pub operation: String,
    /// The channel address, with `{parameter}` placeholders.
    pub address: String,
    /// How the route consumes: group, ack policy, retries, limits, bindings.
    pub options: SubscriberOptions,
    /// Decodes a delivery and calls the user's code, once per delivery (a
    /// batch route's is never called: [`Batch::handler`] gets its batches).
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
    pub(crate) routes: Vec<Route>,
    /// The AsyncAPI document the routes come from, for export and docs.
    pub document: Option<&'static str>,
    /// The operations of [`Router::document`] the application sends (its
    /// publishers), for export.
    publishes: Vec<String>,
    /// The routes are the other side of the document's application (a
    /// generated client): the export turns each operation's action round.
    pub(crate) mirrored: bool,
    /// What the export says of each code-first route, by operation.
    pub(super) typed: std::collections::HashMap<String, Arc<RouteDoc>>,
    /// Code-first publishers: (operation, address, what the export says).
    pub(crate) typed_publishers: Vec<(String, String, Arc<RouteDoc>)>,
    /// The export's `info` (title, version, description) when the router
    /// has no document of its own.
    pub(crate) info: Option<(String, String, Option<String>)>,
    /// What its code-first handlers take as [`super::State`].
    pub(crate) states: States,
}

impl Router {
    /// A router with no routes and no document.
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds `route` as it is. It has no [`RouteDoc`]: the export describes it
    /// from the router's document when that has its operation, else with an
    /// empty payload schema, and the states its handler takes are not checked
    /// at start.
    pub fn route(mut self, route: Route) -> Router {
        self.routes.push(route);
        self
    }

    /// Sets the AsyncAPI document (JSON) the routes come from: the export
    /// takes the application's info, servers and this router's operations from
    /// it, and [`App::documents`](super::App::documents) lists it.
    pub fn with_document(mut self, document: &'static str) -> Router {
        self.document = Some(document);
        self
    }

    /// The routes, in the order they were added.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Says that the application sends `operation` of the router's
    /// document (generated routers list their `send` operations), so the
    /// export describes it.
    pub fn publishes(mut self, operation: impl Into<String>) -> Router {
        self.publishes.push(operation.into());
        self
    }

    /// The title and version of the application, for the export of a
    /// router written code-first (a generated router's come from its
    /// document).
    pub fn info(mut self, title: impl Into<String>, version: impl Into<String>) -> Router {
        let description = self.info.take().and_then(|(_, _, d)| d);
        self.info = Some((title.into(), version.into(), description));
        self
    }

    /// A value the router's code-first handlers may take as a
    /// [`State<T>`](super::State) (one per type; a later one of the same
    /// type replaces it). The router's handlers see its own states and the
    /// app's ([`App::state`](super::App::state)), its own winning where
    /// both have a type; another router's they never see.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Router {
        self.states.insert(value);
        self
    }

    /// The application's description, for the export.
    pub fn description(mut self, text: impl Into<String>) -> Router {
        let (title, version, _) = self
            .info
            .take()
            .unwrap_or_else(|| ("faststream".to_owned(), "0.1.0".to_owned(), None));
        self.info = Some((title, version, Some(text.into())));
        self
    }

    /// Says that the router is the other side of its document's
    /// application (what `--side client` generates): the export turns
    /// each operation's action round (it receives what the application
    /// sends).
    pub fn mirror(mut self) -> Router {
        self.mirrored = true;
        self
    }

    /// The router without the route or publisher of `operation`: it is
    /// neither run nor exported.
    pub fn without(mut self, operation: &str) -> Router {
        self.routes.retain(|r| r.operation != operation);
        self.publishes.retain(|p| p != operation);
        self.typed.remove(operation);
        self.typed_publishers.retain(|(op, _, _)| op != operation);
        self
    }

    /// The operations this router runs or sends, by their keys.
    pub(crate) fn documented_operations(&self) -> impl Iterator<Item = &str> {
        self.routes
            .iter()
            .map(|r| r.operation.as_str())
            .chain(self.publishes.iter().map(String::as_str))
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

/// What the export says of a code-first route: its message's payload and
/// headers schemas, its reply's, the component schemas they refer to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteDoc {
    /// The message's payload schema (JSON Schema; it may refer to
    /// [`RouteDoc::components`]).
    pub payload: Value,
    /// The headers' schema, for a handler that takes typed
    /// [`Headers`](crate::Headers); `None`: the export gives the message no
    /// headers.
    pub headers: Option<Value>,
    /// The reply's schema, for a handler that returns a typed reply; `None`:
    /// the export declares no reply.
    pub reply: Option<Value>,
    /// The operation's description in the export
    /// ([`Subscriber::description`](crate::Subscriber::description)).
    pub description: Option<String>,
    /// The component schemas the schemas above refer to, exported under
    /// `components/schemas`.
    pub components: SchemaComponents,
    /// The [`State`](super::State) types the handler takes: the app
    /// checks at start that it was given each.
    pub states: Vec<(std::any::TypeId, &'static str)>,
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
