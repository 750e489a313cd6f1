//! The application: routers run by subscriber loops on a broker, with
//! lifespan hooks, middleware and graceful shutdown.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::health::Health;
use super::metrics::{Metrics, MetricsSnapshot};
use super::middleware::Middleware;
use super::publisher::Publisher;
use super::router::{Route, Router};
use super::state::{self};
use super::worker::Worker;
use crate::broker::{BoxFuture, Broker, BrokerError, SubscribeSpec};

type Hook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// An application: a broker, routes, hooks.
pub struct App {
    broker: Arc<dyn Broker>,
    documents: Vec<&'static str>,
    /// The included routers, as included, for export.
    routers: Vec<Router>,
    on_startup: Vec<Hook>,
    after_startup: Vec<Hook>,
    on_shutdown: Vec<Hook>,
    middleware: Vec<Arc<dyn Middleware>>,
    shutdown_timeout: Duration,
    states: state::States,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("broker", &self.broker.name())
            .field("routes", &self.routes().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Why the application stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// A route could not subscribe when the app started ([`App::start`]): the
    /// broker's error.
    #[error("broker error: {0}")]
    Broker(BrokerError),
    /// `FASTSTREAM_ASYNCAPI_OUT` was set and the document could not be
    /// written.
    #[error("{0}")]
    Export(crate::export::error::ExportError),
    /// The HTTP routes could not be served (`FASTSTREAM_HTTP_ADDR`, feature
    /// `http`).
    #[error("{0}")]
    Http(String),
    /// A handler takes a [`State<T>`](crate::State) that neither its router nor the app
    /// was given (`.state(value)`).
    #[error(
        "{operation} takes State<{type_name}>, and neither its router nor the app was given one (`.state(value)`)"
    )]
    MissingState {
        /// The route's operation.
        operation: String,
        /// The state's type.
        type_name: &'static str,
    },
}

impl App {
    /// An application on `broker`, with no routes, hooks or middleware yet and
    /// a shutdown timeout of 30 s.
    pub fn new(broker: impl Broker) -> App {
        App::with_broker(Arc::new(broker))
    }

    /// [`App::new`] with a broker that is already shared, such as the one
    /// [`connect`](crate::connect()) returns.
    pub fn with_broker(broker: Arc<dyn Broker>) -> App {
        App {
            broker,
            documents: Vec::new(),
            routers: Vec::new(),
            on_startup: Vec::new(),
            after_startup: Vec::new(),
            on_shutdown: Vec::new(),
            middleware: Vec::new(),
            shutdown_timeout: Duration::from_secs(30),
            states: state::States::default(),
        }
    }

    /// A value every code-first handler may take as a [`State<T>`](crate::State) (one
    /// per type, a later one replacing it; a router's own `.state` of the
    /// same type wins for that router's routes).
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> App {
        self.states.insert(value);
        self
    }

    /// Adds a router's routes.
    pub fn include(mut self, router: Router) -> App {
        self.documents.extend(router.document);
        self.routers.push(router);
        self
    }

    /// The included routers, as included (the export reads them).
    pub(crate) fn routers(&self) -> &[Router] {
        &self.routers
    }

    /// The broker the application runs on.
    pub(crate) fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    /// Every route of the included routers.
    fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routers.iter().flat_map(|r| r.routes.iter())
    }

    /// Every route of the included routers, to change (the test harness
    /// wraps their handlers).
    pub(crate) fn routes_mut(&mut self) -> impl Iterator<Item = &mut Route> {
        self.routers.iter_mut().flat_map(|r| r.routes.iter_mut())
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

    /// Adds a middleware: it sees every delivery of every route and everything
    /// the app's publisher sends, replies included. Middleware is called in
    /// the order it was added.
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
        // Every state a handler takes was given to its router or the app,
        // before anything starts.
        let app_states = Arc::new(std::mem::take(&mut self.states));
        let mut routes = Vec::new();
        for router in &self.routers {
            let states = state::States::layered(&app_states, &router.states);
            for (operation, doc) in &router.typed {
                if let Some((_, type_name)) =
                    doc.states.iter().find(|(id, _)| !states.contains(*id))
                {
                    return Err(AppError::MissingState {
                        operation: operation.clone(),
                        type_name,
                    });
                }
            }
            routes.extend(router.routes.iter().map(|r| (r.clone(), states.clone())));
        }
        for hook in self.on_startup.drain(..) {
            hook().await;
        }
        let middleware = Arc::new(std::mem::take(&mut self.middleware));
        let publisher =
            Publisher::with_middleware(self.broker.clone(), middleware.clone(), app_states);
        let metrics = Arc::new(Metrics::default());
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut loops = JoinSet::new();
        for (route, states) in routes {
            let batch = route.options.batch.as_ref().map(|b| b.max_records.max(1));
            let spec = SubscribeSpec {
                address: route.address.clone(),
                group: route.options.group.clone(),
                // A batch fills only if that many may be handed out.
                prefetch: route.options.max_in_flight.max(batch.unwrap_or(1)),
                bindings: route.options.bindings.clone(),
                batch,
            };
            let sub = self
                .broker
                .subscribe(spec)
                .await
                .map_err(AppError::Broker)?;
            metrics
                .subscribers
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let worker = Worker {
                route: Arc::new(route),
                publisher: publisher.clone(),
                states,
                metrics: metrics.clone(),
                middleware: middleware.clone(),
                system: super::middleware::messaging_system(self.broker.name()),
            };
            loops.spawn(worker.run(sub, stop_rx.clone(), self.shutdown_timeout));
        }
        for hook in self.after_startup.drain(..) {
            hook().await;
        }
        let health = Health::new(loops.len() as u64, metrics.clone(), self.broker.clone());
        Ok(RunningApp {
            stop: stop_tx,
            loops,
            publisher,
            metrics,
            health,
            middleware,
            on_shutdown: std::mem::take(&mut self.on_shutdown),
            routers: std::mem::take(&mut self.routers),
            broker: self.broker.clone(),
        })
    }
}

/// How long a shutdown waits for the broker to take what was published.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// A started application.
pub struct RunningApp {
    stop: watch::Sender<bool>,
    loops: JoinSet<()>,
    publisher: Publisher,
    metrics: Arc<Metrics>,
    health: Health,
    middleware: Arc<Vec<Arc<dyn Middleware>>>,
    on_shutdown: Vec<Hook>,
    /// What the app runs, for its export.
    routers: Vec<Router>,
    broker: Arc<dyn Broker>,
}

impl fmt::Debug for RunningApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningApp")
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

impl RunningApp {
    /// The app's publisher: it sends through the app's broker, and the app's
    /// middleware sees what it sends.
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// The app's counters as they are now (see [`MetricsSnapshot`]).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// A handle on the app's health, for readiness probes: not ready once
    /// the shutdown begins, when a subscription ended, or while the broker
    /// connection is down.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// The app's middleware of type `T` (its
    /// `PrometheusMiddleware`, say), if it was given one.
    pub fn middleware<T: Middleware>(&self) -> Option<&T> {
        super::middleware::find(&self.middleware)
    }

    /// The routers the app runs, as included.
    pub(crate) fn routers(&self) -> &[Router] {
        &self.routers
    }

    pub(crate) fn broker(&self) -> &Arc<dyn Broker> {
        &self.broker
    }

    /// Stops consuming, lets in-flight messages finish and settle (up to
    /// the shutdown timeout), runs the shutdown hooks.
    pub async fn shutdown(mut self) -> MetricsSnapshot {
        self.health.stopping();
        let _ = self.stop.send(true);
        while self.loops.join_next().await.is_some() {}
        for hook in self.on_shutdown.drain(..) {
            hook().await;
        }
        // What the handlers, the hooks or the app's publisher sent last
        // leaves before the connection goes.
        match tokio::time::timeout(FLUSH_TIMEOUT, self.broker.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "publishes not flushed at shutdown"),
            Err(_) => tracing::warn!(
                timeout = ?FLUSH_TIMEOUT,
                "publishes not flushed at shutdown: the broker did not take them in time"
            ),
        }
        self.metrics.snapshot()
    }
}
