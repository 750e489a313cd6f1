//! The code-first API, FastStream's decorators the Rust way: a typed
//! subscriber is an `async fn` taking the decoded message and, as it needs
//! them, [`Params`], [`Headers`] and the [`Context`], returning `()` or a
//! typed reply.
//!
//! ```
//! use faststream::{Context, HandlerError, Params, Router, Subscriber};
//! # use faststream::export::{Describe, SchemaComponents, object};
//! # #[derive(faststream::serde::Deserialize)]
//! # #[serde(crate = "faststream::serde")]
//! # struct Order { id: String }
//! # impl faststream::Validate for Order {
//! #     fn validate_at(&self, _: &faststream::validate::Path<'_>, _: &mut Vec<faststream::ValidationError>) {}
//! # }
//! # impl Describe for Order {
//! #     fn describe(c: &mut SchemaComponents) -> faststream::serde_json::Value {
//! #         c.component("Order", |c| object(c).required::<String>("id").into())
//! #     }
//! # }
//! #[derive(faststream::serde::Deserialize)]
//! #[serde(crate = "faststream::serde")]
//! struct Store {
//!     store: String,
//! }
//!
//! async fn handle_order(order: Order, Params(at): Params<Store>, ctx: Context) -> Result<(), HandlerError> {
//!     println!("{} at {} ({:?})", order.id, at.store, ctx.correlation_id());
//!     Ok(())
//! }
//!
//! let router = Router::new()
//!     .subscriber("orders.{store}", handle_order)
//!     .subscribe(Subscriber::new("audit", |order: Order| async move {
//!         Ok::<_, HandlerError>(())
//!     }).group("auditors").description("Every order, audited"));
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::context::Context;
use super::handler::{Failure, HandlerError, Reply};
use super::publisher::Publisher;
pub use super::router::RouteDoc;
use super::router::{
    AckPolicy, Batch, BatchResult, ErasedBatchHandler, ErasedHandler, Retry, Route, Router,
    SubscriberOptions,
};
use crate::DecodeError;
use crate::address::Template;
use crate::bindings::Bindings;
use crate::envelope::Envelope;
use crate::export::describe::{Describe, SchemaComponents};
use crate::validate::Validate;

/// The channel parameters of the message's address, typed: a struct with
/// a field per `{placeholder}` (numbers and booleans parsed where the
/// field asks for them).
#[derive(Debug, Clone, PartialEq)]
pub struct Params<T>(pub T);

/// The message's headers, typed and checked like the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Headers<T>(pub T);

/// What a code-first handler may take besides its message: each argument
/// is taken from the delivery's [`Context`] (its envelope, states,
/// publisher), in any order, none taking anything from another.
///
/// ```
/// use faststream::app::{Context, FromMessage};
/// use faststream::address::Template;
///
/// /// The tenant a message's `x-tenant` header names.
/// struct Tenant(String);
///
/// impl FromMessage for Tenant {
///     fn from_message(_: &Template, context: &Context) -> Result<Self, String> {
///         context
///             .headers()
///             .get("x-tenant")
///             .map(|t| Tenant(t.clone()))
///             .ok_or_else(|| "no x-tenant header".to_owned())
///     }
/// }
/// ```
pub trait FromMessage: Sized + Send + 'static {
    /// Takes it from the delivery (`template`: the route's address). An
    /// error refuses the message as undecodable: the handler is not
    /// called and the message is dead-lettered with the error.
    fn from_message(template: &Template, context: &Context) -> Result<Self, String>;

    /// What the export says of it.
    fn document(_doc: &mut RouteDoc, _components: &mut SchemaComponents) {}
}

impl FromMessage for Context {
    fn from_message(_: &Template, context: &Context) -> Result<Self, String> {
        Ok(context.clone())
    }
}

impl<T: DeserializeOwned + Send + 'static> FromMessage for Params<T> {
    fn from_message(template: &Template, context: &Context) -> Result<Self, String> {
        // On the stack for the usual few parameters.
        let mut found = [("", ""); 8];
        let (mut n, mut more) = (0, Vec::new());
        template.params(&context.envelope().channel, |name, value| {
            if n < found.len() {
                found[n] = (name, value);
                n += 1;
            } else {
                more.push((name, value));
            }
        });
        crate::codec::strings_into(found[..n].iter().copied().chain(more))
            .map(Params)
            .map_err(|e| e.to_string())
    }
}

impl<T: DeserializeOwned + Validate + Describe + Send + 'static> FromMessage for Headers<T> {
    fn from_message(_: &Template, context: &Context) -> Result<Self, String> {
        crate::codec::decode_headers(context.headers())
            .map(Headers)
            .map_err(|e| e.to_string())
    }

    fn document(doc: &mut RouteDoc, components: &mut SchemaComponents) {
        doc.headers = Some(T::describe(components));
    }
}

/// What a code-first handler returns (inside `Result<_, HandlerError>`):
/// `()` (a request is then answered as FastStream answers a `None`, or
/// through [`Context::reply`]) or a typed reply, sent as JSON.
pub trait IntoReply: Send + 'static {
    /// The reply the handler's value makes: `None` for `()` (no typed reply),
    /// else the value as JSON with content type `application/json`. Called
    /// only when the message is a request; an error fails the handler as its
    /// own error would.
    fn into_reply(self) -> Result<Option<Reply>, HandlerError>;

    /// The reply's schema, for the export (`None`: no reply).
    fn describe_reply(_components: &mut SchemaComponents) -> Option<Value> {
        None
    }
}

impl IntoReply for () {
    fn into_reply(self) -> Result<Option<Reply>, HandlerError> {
        Ok(None)
    }
}

impl<T: Serialize + Describe + Send + 'static> IntoReply for T {
    fn into_reply(self) -> Result<Option<Reply>, HandlerError> {
        Ok(Some(Reply {
            payload: serde_json::to_vec(&self)?,
            headers: Default::default(),
            content_type: Some("application/json".to_owned()),
        }))
    }

    fn describe_reply(components: &mut SchemaComponents) -> Option<Value> {
        Some(T::describe(components))
    }
}

/// An `async fn` (or closure) a code-first route calls: the message, then
/// up to three of [`Params`], [`Headers`], [`State`] and
/// [`Context`], in any order.
pub trait HandlerFn<Args>: Send + Sync + 'static {
    /// The route's type-erased handler for an address template, and what
    /// the export says of it. [`Router::subscribe`] keeps both; a
    /// [`Route`] built from the handler alone ([`Router::route`]) has no
    /// such description (the export gives it the router's document's
    /// operation, else an empty payload schema) and is not checked at
    /// start for the states it takes (a missing one then refuses each
    /// message).
    fn into_parts(self, template: Arc<Template>) -> (ErasedHandler, RouteDoc);
}

macro_rules! handler_fn {
    ($($a:ident),*) => {
        impl<F, Fut, M, R, $($a,)*> HandlerFn<(M, $($a,)*)> for F
        where
            F: Fn(M, $($a,)*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Result<R, HandlerError>> + Send + 'static,
            M: DeserializeOwned + Validate + Describe + Send + 'static,
            R: IntoReply,
            $($a: FromMessage,)*
        {
            #[allow(non_snake_case)]
            fn into_parts(self, template: Arc<Template>) -> (ErasedHandler, RouteDoc) {
                let mut components = SchemaComponents::default();
                let mut doc = RouteDoc {
                    payload: M::describe(&mut components),
                    reply: R::describe_reply(&mut components),
                    ..RouteDoc::default()
                };
                $(<$a as FromMessage>::document(&mut doc, &mut components);)*
                doc.components = components;
                let f = Arc::new(self);
                let handler: ErasedHandler = Arc::new(move |envelope: Arc<Envelope>, ctx: Context| {
                    let f = f.clone();
                    #[allow(unused_variables)]
                    let template = template.clone();
                    Box::pin(async move {
                        let content_type = crate::codec::reading_type(envelope.content_type.as_deref(), crate::codec::JSON)
                            .map_err(Failure::Decode)?;
                        let message: M = crate::codec::decode_payload_as(content_type, &envelope.payload)
                            .map_err(Failure::Decode)?;
                        $(let $a = <$a as FromMessage>::from_message(&template, &ctx)
                            .map_err(|e| Failure::Decode(DecodeError::Rejected(e)))?;)*
                        drop(ctx);
                        let reply = f(message, $($a,)*).await.map_err(Failure::Handler)?;
                        // Encoded only for a request.
                        if envelope.reply_to.is_none() {
                            return Ok(None);
                        }
                        reply.into_reply().map_err(Failure::Handler)
                    })
                });
                (handler, doc)
            }
        }
    };
}

handler_fn!();
handler_fn!(A);
handler_fn!(A, B);
handler_fn!(A, B, C);

/// An `async fn` (or closure) a batch subscriber calls: the decoded
/// messages of a batch, in order, and optionally a [`Publisher`] to send
/// with.
pub trait BatchHandlerFn<Args>: Send + Sync + 'static {
    /// The type-erased batch handler, and what the export says of it (the
    /// schema of one message: a batch travels as separate messages).
    fn into_parts(self) -> (ErasedBatchHandler, RouteDoc);
}

/// Decodes each envelope of a batch as `M`.
fn decode_batch<M: DeserializeOwned + Validate>(
    envelopes: &[Arc<Envelope>],
) -> (Vec<M>, Vec<(usize, DecodeError)>) {
    let mut messages = Vec::with_capacity(envelopes.len());
    let mut undecodable = Vec::new();
    for (i, envelope) in envelopes.iter().enumerate() {
        let decoded =
            crate::codec::reading_type(envelope.content_type.as_deref(), crate::codec::JSON)
                .and_then(|ct| crate::codec::decode_payload_as::<M>(ct, &envelope.payload));
        match decoded {
            Ok(m) => messages.push(m),
            Err(e) => undecodable.push((i, e)),
        }
    }
    (messages, undecodable)
}

fn batch_doc<M: Describe>() -> RouteDoc {
    let mut components = SchemaComponents::default();
    RouteDoc {
        payload: M::describe(&mut components),
        components,
        ..RouteDoc::default()
    }
}

/// The erased handler of a batch function `call` (given the messages and
/// the application's publisher).
fn erase_batch<M, Fut>(
    call: impl Fn(Vec<M>, Publisher) -> Fut + Send + Sync + 'static,
) -> ErasedBatchHandler
where
    M: DeserializeOwned + Validate + Send + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    let call = Arc::new(call);
    Arc::new(move |envelopes: Vec<Arc<Envelope>>, publisher: Publisher| {
        let call = call.clone();
        Box::pin(async move {
            let (messages, undecodable) = decode_batch::<M>(&envelopes);
            let handled = if messages.is_empty() {
                None
            } else {
                Some(call(messages, publisher).await)
            };
            BatchResult {
                undecodable,
                handled,
            }
        })
    })
}

impl<F, Fut, M> BatchHandlerFn<(Vec<M>,)> for F
where
    F: Fn(Vec<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    M: DeserializeOwned + Validate + Describe + Send + 'static,
{
    fn into_parts(self) -> (ErasedBatchHandler, RouteDoc) {
        let f = Arc::new(self);
        (
            erase_batch(move |messages: Vec<M>, _| f(messages)),
            batch_doc::<M>(),
        )
    }
}

impl<F, Fut, M> BatchHandlerFn<(Vec<M>, Publisher)> for F
where
    F: Fn(Vec<M>, Publisher) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    M: DeserializeOwned + Validate + Describe + Send + 'static,
{
    fn into_parts(self) -> (ErasedBatchHandler, RouteDoc) {
        (erase_batch(self), batch_doc::<M>())
    }
}

/// A subscriber and its options, for [`Router::subscribe`]: a code-first
/// `async fn` ([`Subscriber::new`]), or a handler that decodes the delivery
/// itself ([`Subscriber::decoding`], what generated routers register).
pub struct Subscriber<Args> {
    route: Route,
    /// What the export says of a code-first route (`None`: the router's
    /// document says it).
    doc: Option<RouteDoc>,
    _args: PhantomData<fn(Args)>,
}

/// The `Args` of a [`Subscriber::decoding`] subscriber.
#[derive(Debug, Clone, Copy)]
pub struct Decoding;

impl Subscriber<Decoding> {
    /// A subscriber whose handler decodes the delivery itself, for the
    /// operation `operation` of the router's document (generated routers
    /// register their routes this way; the export takes the operation from
    /// the document).
    pub fn decoding(
        operation: impl Into<String>,
        address: impl Into<String>,
        handler: ErasedHandler,
    ) -> Subscriber<Decoding> {
        Subscriber {
            route: Route {
                operation: operation.into(),
                address: address.into(),
                options: SubscriberOptions::default(),
                handler,
            },
            doc: None,
            _args: PhantomData,
        }
    }
}

impl<Args> std::fmt::Debug for Subscriber<Args> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("route", &self.route)
            .finish_non_exhaustive()
    }
}

/// The operation key of a handler: the `fn`'s name (one declared inside
/// another function too), else (a closure) the address.
fn operation_of<F>(address: &str) -> String {
    // Without generic arguments (`page<u32>`, `Shop<T>::take`).
    let mut depth = 0usize;
    let path: String = std::any::type_name::<F>()
        .chars()
        .filter(|&c| {
            match c {
                '<' => depth += 1,
                '>' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect();
    match path.rsplit("::").next() {
        Some(last)
            if last.starts_with(|c: char| c.is_alphabetic() || c == '_')
                && last.chars().all(|c| c.is_alphanumeric() || c == '_') =>
        {
            last.to_owned()
        }
        _ => address.to_owned(),
    }
}

impl<Args> Subscriber<Args> {
    /// `handler` subscribed to `address` (`{placeholders}` allowed); the
    /// operation is named after the `fn` (or the address, for a closure).
    pub fn new<F: HandlerFn<Args>>(address: impl Into<String>, handler: F) -> Subscriber<Args> {
        let address = address.into();
        let operation = operation_of::<F>(&address);
        let (handler, doc) = handler.into_parts(Arc::new(Template::new(&address)));
        Subscriber {
            route: Route {
                operation,
                address,
                options: SubscriberOptions::default(),
                handler,
            },
            doc: Some(doc),
            _args: PhantomData,
        }
    }

    /// A batch subscriber: `handler` gets the messages of `address` in
    /// batches of up to 100, taken within 200 ms of the first (FastStream's
    /// `batch_timeout_ms`; see [`Subscriber::batch_size`] and
    /// [`Subscriber::batch_wait`]), and a batch is settled as one: on
    /// Kafka its offsets are committed together once the handler succeeds.
    /// Each message is decoded and checked alone; one that fails never
    /// reaches the handler and is rejected alone.
    ///
    /// ```
    /// use faststream::{HandlerError, Router, Subscriber};
    /// # use faststream::export::{Describe, SchemaComponents, object};
    /// # #[derive(faststream::serde::Deserialize)]
    /// # #[serde(crate = "faststream::serde")]
    /// # struct Reading { value: f64 }
    /// # impl faststream::Validate for Reading {
    /// #     fn validate_at(&self, _: &faststream::validate::Path<'_>, _: &mut Vec<faststream::ValidationError>) {}
    /// # }
    /// # impl Describe for Reading {
    /// #     fn describe(c: &mut SchemaComponents) -> faststream::serde_json::Value {
    /// #         object(c).required::<f64>("value").into()
    /// #     }
    /// # }
    /// async fn store(readings: Vec<Reading>) -> Result<(), HandlerError> {
    ///     let total: f64 = readings.iter().map(|r| r.value).sum();
    ///     println!("{} readings, {total} in all", readings.len());
    ///     Ok(())
    /// }
    ///
    /// let router = Router::new().subscribe(
    ///     Subscriber::batch("readings", store)
    ///         .batch_size(500)
    ///         .batch_wait(std::time::Duration::from_millis(50)),
    /// );
    /// ```
    pub fn batch<F: BatchHandlerFn<Args>>(
        address: impl Into<String>,
        handler: F,
    ) -> Subscriber<Args> {
        let address = address.into();
        let operation = operation_of::<F>(&address);
        let (batch_handler, doc) = handler.into_parts();
        // Never called: the worker hands batches to the batch handler.
        let handler: ErasedHandler = Arc::new(|_, _| {
            Box::pin(async {
                Err(Failure::Decode(DecodeError::Rejected(
                    "a batch route takes batches".into(),
                )))
            })
        });
        Subscriber {
            route: Route {
                operation,
                address,
                options: SubscriberOptions {
                    batch: Some(Batch {
                        max_records: 100,
                        max_wait: std::time::Duration::from_millis(200),
                        handler: batch_handler,
                    }),
                    ..SubscriberOptions::default()
                },
                handler,
            },
            doc: Some(doc),
            _args: PhantomData,
        }
    }

    /// A batch subscriber's largest batch.
    pub fn batch_size(mut self, n: usize) -> Self {
        if let Some(b) = &mut self.route.options.batch {
            b.max_records = n.max(1);
        }
        self
    }

    /// How long a batch subscriber waits for more after a batch's first
    /// message.
    pub fn batch_wait(mut self, wait: std::time::Duration) -> Self {
        if let Some(b) = &mut self.route.options.batch {
            b.max_wait = wait;
        }
        self
    }

    /// The operation's key (in logs, spans and the export).
    pub fn operation(mut self, key: impl Into<String>) -> Self {
        self.route.operation = key.into();
        self
    }

    /// Subscribers in one group share the messages.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.route.options.group = Some(group.into());
        self
    }

    /// The route's ack policy: when deliveries are acked, and what a failure
    /// does (default [`AckPolicy::AckAfterSuccess`]).
    pub fn ack(mut self, policy: AckPolicy) -> Self {
        self.route.options.ack = policy;
        self
    }

    /// The route's attempts and backoff (see [`SubscriberOptions::retry`]).
    pub fn retry(mut self, retry: Retry) -> Self {
        self.route.options.retry = retry;
        self
    }

    /// Runs this route's deliveries on `n` tasks of the multi-threaded
    /// runtime (see [`SubscriberOptions::workers`]): for handlers that
    /// compute, up to `n` cores.
    pub fn workers(mut self, n: usize) -> Self {
        self.route.options.workers = n.max(1);
        self
    }

    /// The largest body taken, in bytes (see
    /// [`SubscriberOptions::max_body_size`]).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.route.options.max_body_size = bytes;
        self
    }

    /// Messages handled at once.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.route.options.max_in_flight = n.max(1);
        self
    }

    /// How the broker is to carry the channel (queue, exchange, Redis
    /// kind).
    pub fn bindings(mut self, bindings: Bindings) -> Self {
        self.route.options.bindings = bindings;
        self
    }

    /// The operation's description in the export (a code-first route's;
    /// a [`Subscriber::decoding`] one is described by the document).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        if let Some(doc) = &mut self.doc {
            doc.description = Some(text.into());
        }
        self
    }
}

impl Router {
    /// Subscribes `handler` to `address` with the default options (see
    /// [`Subscriber`] for the others): `async fn handle(order: Order,
    /// Params(at): Params<Store>, ctx: Context) -> Result<(), HandlerError>`.
    pub fn subscriber<Args, F: HandlerFn<Args>>(
        self,
        address: impl Into<String>,
        handler: F,
    ) -> Router {
        self.subscribe(Subscriber::new(address, handler))
    }

    /// Subscribes a batch handler to `address` with the default batches
    /// (see [`Subscriber::batch`]).
    pub fn batch_subscriber<Args, F: BatchHandlerFn<Args>>(
        self,
        address: impl Into<String>,
        handler: F,
    ) -> Router {
        self.subscribe(Subscriber::batch(address, handler))
    }

    /// Adds a code-first subscriber with its options. An operation key
    /// already taken in this router (the same `fn` on a second address)
    /// becomes `key:address`.
    pub fn subscribe<Args>(mut self, mut subscriber: Subscriber<Args>) -> Router {
        if self
            .routes
            .iter()
            .any(|r| r.operation == subscriber.route.operation)
        {
            subscriber.route.operation = format!(
                "{}:{}",
                subscriber.route.operation, subscriber.route.address
            );
        }
        if let Some(doc) = subscriber.doc {
            self.typed
                .insert(subscriber.route.operation.clone(), Arc::new(doc));
        }
        self.routes.push(subscriber.route);
        self
    }

    /// Says that the application publishes `T` to `address` as operation
    /// `operation`, so the export describes it (with `T`'s schema).
    pub fn publisher<T: Describe>(
        mut self,
        operation: impl Into<String>,
        address: impl Into<String>,
    ) -> Router {
        let mut components = SchemaComponents::default();
        let payload = T::describe(&mut components);
        self.typed_publishers.push((
            operation.into(),
            address.into(),
            Arc::new(RouteDoc {
                payload,
                components,
                ..RouteDoc::default()
            }),
        ));
        self
    }

    /// What the export says of a code-first route.
    pub(crate) fn route_doc(&self, operation: &str) -> Option<&RouteDoc> {
        self.typed.get(operation).map(|d| &**d)
    }
}

/// A state value a code-first handler takes by argument, given to the
/// router or the app with `.state(value)`:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use faststream::{HandlerError, Router, State};
///
/// #[derive(Clone, Default)]
/// struct Stock(Arc<AtomicU64>);
///
/// async fn restock(units: u64, State(stock): State<Stock>) -> Result<(), HandlerError> {
///     stock.0.fetch_add(units, Ordering::Relaxed);
///     Ok(())
/// }
///
/// let router = Router::new().state(Stock::default()).subscriber("restock", restock);
/// ```
///
/// A route whose handler takes a `State<T>` that neither its router nor
/// the app was given does not start: [`App::start`](super::App::start)
/// fails with [`AppError::MissingState`](super::AppError::MissingState).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromMessage for State<T> {
    fn from_message(_: &Template, context: &Context) -> Result<Self, String> {
        context.state::<T>().cloned().map(State).ok_or_else(|| {
            format!(
                "no state of type {} was given to this route's router or app (`.state(value)`)",
                std::any::type_name::<T>()
            )
        })
    }

    fn document(doc: &mut RouteDoc, _: &mut SchemaComponents) {
        doc.states
            .push((std::any::TypeId::of::<T>(), std::any::type_name::<T>()));
    }
}
