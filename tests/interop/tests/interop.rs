//! Interop with FastStream 0.7 (Python): the service generated from
//! `specs/orders.yaml` and a FastStream application (python/orders.py)
//! exchange typed messages and request/reply on Redis and NATS. (Not on
//! RabbitMQ: a templated routing key needs a topic exchange, the spec
//! names none and FastStream has no default for one, so the Python side
//! would have to be written to suit ours. `fleet.rs` covers RabbitMQ with
//! FastStream's own defaults.)
//!
//! 1. The Rust service runs; the Python client places an order by
//!    request/reply (with a `tenant` header), publishes a message that
//!    breaks the schema, and cancels the order. The reply must come back
//!    typed; the handler must see the store parameter, the header and both
//!    valid messages, and never the invalid one.
//! 2. The Python service runs; the generated Rust client places and cancels
//!    an order by request/reply and gets FastStream's typed replies.
//!
//! The Python side runs in the virtualenv `cargo xtask ci` makes
//! (`<target>/faststream-venv`, FastStream 0.7.x from PyPI), or the
//! interpreter named by `FASTSTREAM_PYTHON`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faststream::{App, Broker, Context, HandlerError, Publisher};
use golden::orders_both::channels::OrderRequests;
use golden::orders_both::messages::{HandleOrderHeaders, HandleOrderMessage};
use golden::orders_both::models::{CancelOrder, Order, OrderAccepted, OrderLine};
use golden::orders_both::{ClientPublisher, Handler, router};

mod common;
use common::python;

const TIMEOUT: Duration = Duration::from_secs(30);

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join("orders.py")
}

fn python_command(kind: &str, url: &str, role: &str, store: &str) -> Command {
    let mut c = Command::new(python());
    c.arg(script()).args([kind, url, role, store]);
    c
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    store: String,
    kind: &'static str,
    order_id: String,
    tenant: Option<String>,
}

#[derive(Default)]
struct Shop {
    seen: Mutex<Vec<Seen>>,
}

struct Shared(Arc<Shop>);

impl Handler for Shared {
    async fn handle_order(
        &self,
        message: HandleOrderMessage,
        params: OrderRequests,
        headers: HandleOrderHeaders,
        _ctx: Context,
    ) -> Result<OrderAccepted, HandlerError> {
        let (kind, order_id, total) = match &message {
            HandleOrderMessage::PlaceOrder(o) => (
                "place",
                o.order_id,
                o.lines.iter().map(|l| l.quantity as f64 * 2.5).sum(),
            ),
            HandleOrderMessage::CancelOrder(c) => ("cancel", c.order_id, 0.0),
        };
        self.0.seen.lock().unwrap().push(Seen {
            store: params.store_id,
            kind,
            order_id: order_id.to_string(),
            tenant: match headers {
                HandleOrderHeaders::PlaceOrder(h) => h.tenant,
                HandleOrderHeaders::CancelOrder => None,
            },
        });
        Ok(OrderAccepted { order_id, total })
    }
}

fn new_store() -> String {
    format!(
        "interop{}",
        &faststream::__codegen::uuid::Uuid::new_v4()
            .simple()
            .to_string()[..12]
    )
}

/// Phase 1: the Python client talks to the generated Rust service.
async fn python_client_rust_service(kind: &str, url: &str, broker: Arc<dyn Broker>) {
    let store = new_store();
    let shop = Arc::new(Shop::default());
    let app = App::with_broker(broker)
        .include(router(Shared(shop.clone())))
        .start()
        .await
        .expect("the Rust service starts");

    let mut client = python_command(kind, url, "client", &store);
    let output = tokio::task::spawn_blocking(move || client.output())
        .await
        .unwrap()
        .expect("the Python client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{kind}: the Python client failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .last()
            .expect("the Python client prints its result"),
    )
    .expect("JSON from the Python client");
    let order_id = result["order_id"].as_str().unwrap().to_owned();
    // The typed reply of the Rust handler, as FastStream decoded it.
    assert_eq!(result["reply"]["orderId"], order_id.as_str(), "{kind}");
    assert_eq!(result["reply"]["total"], 10.0, "{kind}");

    let deadline = Instant::now() + TIMEOUT;
    while shop.seen.lock().unwrap().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "{kind}: the Rust service saw {:?}",
            shop.seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Give the invalid message time to arrive too; it was published
    // before the cancel, and must not reach the handler.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = shop.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            Seen {
                store: store.clone(),
                kind: "place",
                order_id: order_id.clone(),
                tenant: Some("python".into()),
            },
            Seen {
                store: store.clone(),
                kind: "cancel",
                order_id,
                tenant: None,
            },
        ],
        "{kind}"
    );
    let metrics = app.shutdown().await;
    assert_eq!(metrics.decode_failures, 1, "{kind}: {metrics:?}");
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Phase 2: the generated Rust client talks to the Python service.
async fn rust_client_python_service(kind: &str, url: &str, broker: Arc<dyn Broker>) {
    let store = new_store();
    let mut child = python_command(kind, url, "service", &store)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the Python service starts");
    let stdout = child.stdout.take().unwrap();
    let service = Killed(child);
    // Read the service's output to its end (FastStream logs there), and
    // say when it is ready.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut ready_tx = Some(ready_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.trim() == "ready"
                && let Some(tx) = ready_tx.take()
            {
                let _ = tx.send(());
            }
        }
    });
    tokio::time::timeout(TIMEOUT, ready_rx)
        .await
        .unwrap_or_else(|_| panic!("{kind}: the Python service was not ready within {TIMEOUT:?}"))
        .unwrap_or_else(|_| panic!("{kind}: the Python service exited before it was ready"));

    let client = ClientPublisher::new(Publisher::new(broker));
    let params = OrderRequests {
        store_id: store.clone(),
    };
    let order_id = faststream::__codegen::uuid::Uuid::new_v4();
    let place = HandleOrderMessage::PlaceOrder(Order {
        order_id,
        lines: vec![
            OrderLine {
                sku: "apple".into(),
                quantity: 3,
            },
            OrderLine {
                sku: "pear".into(),
                quantity: 4,
            },
        ],
    });
    let reply = client
        .handle_order(&params, &place, None, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{kind}: no reply from the Python service: {e}"));
    assert_eq!(reply.order_id, order_id, "{kind}");
    assert_eq!(reply.total, 8.75, "{kind}: 7 items at 1.25");

    let cancel = HandleOrderMessage::CancelOrder(CancelOrder { order_id });
    let reply = client
        .handle_order(&params, &cancel, None, TIMEOUT)
        .await
        .unwrap();
    assert_eq!((reply.order_id, reply.total), (order_id, 0.0), "{kind}");
    drop(service);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_with_faststream() {
    let url =
        std::env::var("FASTSTREAM_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let broker: Arc<dyn Broker> = Arc::new(
        faststream::redis::RedisBroker::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("Redis is not reachable at {url}: {e}")),
    );
    python_client_rust_service("redis", &url, broker.clone()).await;
    rust_client_python_service("redis", &url, broker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_with_faststream() {
    let url =
        std::env::var("FASTSTREAM_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let broker: Arc<dyn Broker> = Arc::new(
        faststream::nats::NatsBroker::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("NATS is not reachable at {url}: {e}")),
    );
    python_client_rust_service("nats", &url, broker.clone()).await;
    rust_client_python_service("nats", &url, broker).await;
}
