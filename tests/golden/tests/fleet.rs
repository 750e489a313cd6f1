//! A Rust service joins a fleet of FastStream services on RabbitMQ as the
//! fleet is: `interop/fleet.py` is written with FastStream's defaults
//! (queues on the default exchange, `broker.publish(msg, "queue")`,
//! `broker.request`), and the Rust side is generated from what FastStream
//! itself exports (`faststream docs gen`), connected with
//! `faststream::connect(&servers::DEVELOPMENT)` as the export names it.
//!
//! 1. The export and the module generated from it are pinned
//!    (`interop/fleet-asyncapi.json`, `generated/fleet_export.rs`).
//! 2. Rust client -> Python service: a typed publish reaches the service,
//!    what the service publishes (`@broker.publisher`) reaches the Rust
//!    client, and a request gets FastStream's reply.
//! 3. Python client -> Rust service, the Rust service started after the
//!    Python service declared its queue (replacing it): the valid orders
//!    reach the Rust handler, the one that breaks the schema never does
//!    and ends in `fleet-orders.dead`.
//!
//! The queues have FastStream's fixed names, so the steps run in one test,
//! one after the other; the queues are deleted before and after.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faststream::{App, Context, Envelope, HandlerError};
use golden::fleet_export::models::{Accepted, Order};
use golden::fleet_export::{
    ClientHandler, ClientPublisher, Handler, client_router, router, servers,
};

mod common;
use common::{interop, pinned_export, python};

const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const TIMEOUT: Duration = Duration::from_secs(20);
const QUEUES: &[&str] = &[
    "fleet-orders",
    "fleet-orders.dead",
    "fleet-orders-done",
    "fleet-orders-done.dead",
];

#[test]
fn the_export_and_the_generated_code_are_pinned() {
    pinned_export(
        "fleet",
        "fleet_export",
        &faststream_gen::Settings::default().side(faststream_gen::settings::Side::Both),
    );
}

/// A channel on the broker, for checking and cleaning up around the test.
async fn raw() -> lapin::Channel {
    let c = lapin::Connection::connect(AMQP, lapin::ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ at {AMQP} is required: {e}"));
    c.create_channel().await.expect("a channel")
}

async fn delete_queues() {
    let ch = raw().await;
    for q in QUEUES {
        let _ = ch
            .queue_delete(
                lapin::types::ShortString::from(*q),
                lapin::options::QueueDeleteOptions::default(),
            )
            .await;
    }
}

async fn messages_in(queue: &str) -> u32 {
    raw()
        .await
        .queue_declare(
            lapin::types::ShortString::from(queue),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .map(|q| q.message_count())
        .unwrap_or(0)
}

/// The Python service, running until dropped.
struct PythonService(Child);

impl PythonService {
    fn start() -> PythonService {
        let mut child = Command::new(python())
            .args(["fleet.py", "service"])
            .current_dir(interop())
            .env("FLEET_AMQP_URL", AMQP)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.trim() == "ready" => break,
                Some(Ok(_)) => {}
                _ => panic!("the FastStream service exited before it was ready"),
            }
        }
        // FastStream logs to standard output: keep reading it.
        std::thread::spawn(move || lines.for_each(drop));
        PythonService(child)
    }
}

impl PythonService {
    /// Stops the service the way its operators do (SIGTERM): FastStream
    /// finishes and acks what it is handling.
    fn stop(mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

impl Drop for PythonService {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(Default)]
struct Seen {
    accepted: Mutex<Vec<Accepted>>,
    orders: Mutex<Vec<Order>>,
}

struct Client(Arc<Seen>);

impl ClientHandler for Client {
    async fn fleet_orders_done_publisher(
        &self,
        message: Accepted,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0.accepted.lock().unwrap().push(message);
        Ok(())
    }
}

struct Service(Arc<Seen>);

impl Handler for Service {
    async fn fleet_orders_take_order_subscribe(
        &self,
        message: Order,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0.orders.lock().unwrap().push(message);
        Ok(())
    }
}

fn id() -> faststream::uuid::Uuid {
    faststream::uuid::Uuid::new_v4()
}

#[tokio::test]
async fn a_rust_service_joins_a_faststream_fleet_on_rabbitmq() {
    delete_queues().await;
    let seen = Arc::new(Seen::default());

    // Rust client -> Python service.
    let service_py = PythonService::start();
    let broker = faststream::connect(&servers::DEVELOPMENT)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ as the export names it: {e}"));
    let client = App::with_broker(broker)
        .include(client_router(Client(seen.clone())))
        .start()
        .await
        .expect("the client subscribes to what the service publishes");
    let order = Order {
        order_id: id(),
        quantity: 4,
        note: None,
    };
    ClientPublisher::new(client.publisher().clone())
        .fleet_orders_take_order_subscribe(&order)
        .await
        .unwrap();
    until("the service's publication", || {
        seen.accepted
            .lock()
            .unwrap()
            .iter()
            .any(|a| a.order_id == order.order_id && a.total == 10.0)
    })
    .await;
    // A request: FastStream answers through the default exchange to
    // `reply_to`, with the correlation id.
    let asked = Order {
        order_id: id(),
        quantity: 2,
        note: Some("by request".into()),
    };
    let reply = client
        .publisher()
        .request(
            Envelope::new("fleet-orders", serde_json::to_vec(&asked).unwrap())
                .with_content_type("application/json"),
            TIMEOUT,
        )
        .await
        .expect("FastStream answers a Rust request");
    let answer: Accepted = faststream::decode_json(&reply.payload).unwrap();
    assert_eq!((answer.order_id, answer.total), (asked.order_id, 5.0));
    client.shutdown().await;
    service_py.stop();

    // Python client -> Rust service, started where the Python service
    // declared its queue.
    let broker = faststream::connect(&servers::DEVELOPMENT).await.unwrap();
    let service = App::with_broker(broker)
        .include(router(Service(seen.clone())))
        .start()
        .await
        .expect("the Rust service uses FastStream's queue as it is");
    let (first, second) = (id(), id());
    let status = Command::new(python())
        .args(["fleet.py", "client"])
        .arg(first.to_string())
        .arg(second.to_string())
        .current_dir(interop())
        .env("FLEET_AMQP_URL", AMQP)
        .status()
        .expect("python runs");
    assert!(status.success(), "fleet.py client failed: {status}");
    until("both valid orders", || {
        seen.orders.lock().unwrap().len() >= 2
    })
    .await;
    let orders = seen.orders.lock().unwrap().clone();
    assert_eq!(
        orders,
        [
            Order {
                order_id: first,
                quantity: 2,
                note: None
            },
            Order {
                order_id: second,
                quantity: 3,
                note: None
            },
        ],
        "the order with quantity 0 must never reach the handler"
    );
    let deadline = Instant::now() + TIMEOUT;
    while messages_in("fleet-orders.dead").await < 1 {
        assert!(
            Instant::now() < deadline,
            "the refused order is not in fleet-orders.dead"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = service.shutdown().await;
    assert_eq!((m.handled, m.decode_failures), (2, 1), "{m:?}");
    delete_queues().await;
}
