//! A shop front: an HTTP API (axum) and message handlers in one process,
//! on one NATS connection (the spec's `local` server, or
//! `FASTSTREAM_SERVER_LOCAL_URL`).
//!
//! - `POST /orders` takes an order as JSON, checks it against the spec's
//!   schema and publishes it through the generated `Publisher`; the
//!   service's own `take_order` handler takes it from NATS.
//! - `GET /orders` lists the orders `take_order` has taken.
//! - `POST /quotes` asks the `quote` handler by request/reply (the
//!   generated `ClientPublisher`) and answers with its quote.
//! - `/metrics`, `/health/live`, `/health/ready`, `/asyncapi(.json|.yaml)`
//!   come from `faststream::http::router`.
//!
//! It serves on `FASTSTREAM_HTTP_ADDR` (default `127.0.0.1:8080`), prints
//! `listening on <address>`, and on SIGTERM or Ctrl-C stops both sides
//! gracefully: HTTP first (requests in flight finish), then the broker
//! side (messages in flight finish and settle).

pub mod shop {
    faststream::include_generated!("shop");
}

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use faststream::prometheus::PrometheusMiddleware;
use faststream::{App, Context, HandlerError};
use shop::models::{Order, Quote, QuoteRequest};

/// The message side: takes orders, prices quotes.
struct Shop {
    taken: Arc<Mutex<Vec<Order>>>,
}

impl shop::Handler for Shop {
    async fn take_order(&self, message: Order, _ctx: Context) -> Result<(), HandlerError> {
        self.taken.lock().unwrap().push(message);
        Ok(())
    }

    async fn quote(&self, message: QuoteRequest, _ctx: Context) -> Result<Quote, HandlerError> {
        Ok(Quote {
            total: message.quantity as f64 * 2.5,
            sku: message.sku,
            quantity: message.quantity,
        })
    }
}

/// What the HTTP handlers share: the app's publishers and what the
/// message side has taken.
#[derive(Clone)]
struct Front {
    publisher: shop::Publisher,
    client: shop::ClientPublisher,
    taken: Arc<Mutex<Vec<Order>>>,
}

/// A body checked as a message would be: JSON, then the spec's schema.
fn parse<T: serde::de::DeserializeOwned + faststream::Validate>(body: &str) -> Result<T, Response> {
    faststream::decode_json(body.as_bytes())
        .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response())
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_default();
    (status, [("content-type", "application/json")], body).into_response()
}

async fn place(State(front): State<Front>, body: String) -> Response {
    let order: Order = match parse(&body) {
        Ok(order) => order,
        Err(refused) => return refused,
    };
    match front.publisher.place_order(&order).await {
        Ok(()) => json(StatusCode::ACCEPTED, &order),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn list_taken(State(front): State<Front>) -> Response {
    let taken = front.taken.lock().unwrap().clone();
    json(StatusCode::OK, &taken)
}

async fn quote(State(front): State<Front>, body: String) -> Response {
    let asked: QuoteRequest = match parse(&body) {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    match front.client.quote(&asked, Duration::from_secs(5)).await {
        Ok(quote) => json(StatusCode::OK, &quote),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// SIGTERM (what an orchestrator sends) or Ctrl-C.
async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .init();
    let broker = faststream::connect(&shop::servers::LOCAL).await?;
    let taken = Arc::new(Mutex::new(Vec::new()));
    let running = App::with_broker(broker)
        .include(shop::router(Shop {
            taken: taken.clone(),
        }))
        .middleware(PrometheusMiddleware::builder().app_name("shop").build())
        .shutdown_timeout(Duration::from_secs(10))
        .start()
        .await?;
    let front = Front {
        publisher: shop::Publisher::new(running.publisher().clone()),
        client: shop::ClientPublisher::new(running.publisher().clone()),
        taken,
    };
    let http = axum::Router::new()
        .route("/orders", post(place).get(list_taken))
        .route("/quotes", post(quote))
        .with_state(front)
        .merge(faststream::http::router(&running));

    let addr = std::env::var("FASTSTREAM_HTTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, http)
        .with_graceful_shutdown(stop_signal())
        .await?;
    let counts = running.shutdown().await;
    println!(
        "stopped: {} received, {} handled, {} replies",
        counts.received, counts.handled, counts.replies
    );
    Ok(())
}
