//! The running app over HTTP, the axum way (feature `http`): a router to
//! nest into the service's own `axum` server, beside its own routes.
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /metrics` | the app's [`PrometheusMiddleware`] metrics, in the text format Prometheus scrapes (404 when the app has none) |
//! | `GET /health/live` | 200 while the process serves HTTP |
//! | `GET /health/ready` | 200 while the app runs, every subscription consumes and the broker connection is up; else 503 with a JSON reason (`{"status": "not ready", "reason": "broker", "detail": "..."}`) |
//! | `GET /asyncapi` | the app's AsyncAPI document as a page that needs no network |
//! | `GET /asyncapi.json`, `GET /asyncapi.yaml` | the document itself (AsyncAPI 3.0) |
//!
//! One broker connection serves both sides: HTTP handlers publish through
//! the running app's [`Publisher`](crate::Publisher).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use faststream::prometheus::PrometheusMiddleware;
//!
//! let app = faststream::App::new(faststream::MemoryBroker::new())
//!     .middleware(PrometheusMiddleware::new());
//! let running = app.start().await?;
//! let http = faststream::http::router(&running);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, http).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::{AppError, Health, RunningApp};
use crate::prometheus::{CONTENT_TYPE, PrometheusMiddleware};

/// What the routes serve, taken from the running app once.
struct Served {
    health: Health,
    metrics: Option<PrometheusMiddleware>,
    /// The page, the JSON and the YAML of the app's document (or why it
    /// could not be written).
    page: Result<String, String>,
    json: Result<String, String>,
    yaml: Result<String, String>,
}

/// The routes of the [module](self) for `running`, to nest or merge into
/// the service's own `axum::Router`.
pub fn router(running: &RunningApp) -> axum::Router {
    let document = running.asyncapi();
    let served = Served {
        health: running.health(),
        metrics: running.middleware::<PrometheusMiddleware>().cloned(),
        page: document.to_html().map_err(|e| e.to_string()),
        json: document.to_json().map_err(|e| e.to_string()),
        yaml: document.to_yaml().map_err(|e| e.to_string()),
    };
    axum::Router::new()
        .route("/metrics", get(metrics))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/asyncapi", get(page))
        .route("/asyncapi.json", get(json))
        .route("/asyncapi.yaml", get(yaml))
        .with_state(Arc::new(served))
}

type Shared = State<Arc<Served>>;

async fn metrics(State(served): Shared) -> Response {
    match &served.metrics {
        Some(m) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], m.encode()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this app has no PrometheusMiddleware: add one with `App::middleware`\n",
        )
            .into_response(),
    }
}

async fn live() -> Response {
    json_response(StatusCode::OK, serde_json::json!({"status": "live"}))
}

async fn ready(State(served): Shared) -> Response {
    match served.health.ready().await {
        Ok(()) => json_response(StatusCode::OK, serde_json::json!({"status": "ready"})),
        Err(why) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({
                "status": "not ready",
                "reason": why.kind(),
                "detail": why.to_string(),
            }),
        ),
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn document(text: &Result<String, String>, content_type: &'static str) -> Response {
    match text {
        Ok(text) => ([(header::CONTENT_TYPE, content_type)], text.clone()).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the app's AsyncAPI document could not be written: {e}\n"),
        )
            .into_response(),
    }
}

async fn page(State(served): Shared) -> Response {
    document(&served.page, "text/html; charset=utf-8")
}

async fn json(State(served): Shared) -> Response {
    document(&served.json, "application/json")
}

async fn yaml(State(served): Shared) -> Response {
    document(&served.yaml, "application/yaml")
}

/// The variable [`App::run`](crate::App::run) serves the routes on.
pub const ADDR_VAR: &str = "FASTSTREAM_HTTP_ADDR";

/// The routes served by [`App::run`](crate::App::run) until it stops.
pub(crate) struct Serving {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Serving {
    /// Stops taking requests, lets those in flight finish.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Serves [`router`] on `FASTSTREAM_HTTP_ADDR`, when it is set.
pub(crate) async fn serve_from_env(running: &RunningApp) -> Result<Option<Serving>, AppError> {
    let Ok(addr) = std::env::var(ADDR_VAR) else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| AppError::Http(format!("cannot listen on {ADDR_VAR}={addr}: {e}")))?;
    let bound = listener.local_addr().map_or(addr, |a| a.to_string());
    tracing::info!(address = %bound, "serving /metrics, /health and /asyncapi over HTTP");
    let routes = router(running);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, routes)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the HTTP server stopped");
        }
    });
    Ok(Some(Serving { stop, task }))
}
