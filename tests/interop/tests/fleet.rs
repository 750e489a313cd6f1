//! A Rust service joins a fleet of FastStream services as the fleet is, on
//! RabbitMQ, NATS, Redis, Kafka and MQTT 5: `python/fleet.py` is written with
//! FastStream's defaults (`@broker.subscriber("fleet-orders")`,
//! `@broker.publisher(...)`, a handler that returns its answer,
//! `broker.publish(msg, "fleet-orders")`, `broker.request`), and the Rust
//! side is generated from what FastStream itself exports for each broker
//! (`faststream docs gen`), connected with
//! `faststream::connect(&servers::DEVELOPMENT)` as the export names it.
//!
//! 1. Each export and the module generated from it are pinned
//!    (`python/fleet-<broker>-asyncapi.json`, `tests/golden/generated/fleet_<broker>.rs`).
//! 2. Rust client -> Python service: a typed publish reaches the service,
//!    what the service publishes (`@broker.publisher`) reaches the Rust
//!    client, and a Rust request gets FastStream's answer.
//! 3. Python client -> Rust service (on RabbitMQ started after the Python
//!    service declared its queue, replacing it): the valid orders reach
//!    the Rust handler, the one that breaks the schema never does (on
//!    RabbitMQ it ends in `fleet-orders.dead`), and FastStream's
//!    `broker.request` gets the Rust handler's answer (`Context::reply`:
//!    FastStream's export has no `reply`, its handlers answer with what
//!    they return). On Kafka the Python client asks nothing: FastStream's
//!    `broker.request` refuses a real Kafka broker ("Kafka doesn't support
//!    request method without test client"); FastStream still answers a
//!    Rust request (step 2).
//!
//! The channels have FastStream's fixed names, so the steps for one broker
//! run in one test, one after the other; RabbitMQ's queues are deleted
//! before and after. Kafka's topics are created before (tansu, like many
//! clusters, creates none by itself; FastStream does not either) and
//! deleted after.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faststream::__codegen::BoxFuture;
use faststream::uuid::Uuid;
use faststream::{App, Envelope, Publisher, Router, Server};

mod common;
use common::{interop, pinned_export, python};

/// The virtual host `/` named explicitly, as aio-pika's and RabbitMQ's
/// documentation write it (FastStream exports `pathname: //` and
/// `vhost: //` for it).
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// FastStream's default URL (it exports `pathname: /` and `vhost: /`).
const AMQP_DEFAULT: &str = "amqp://guest:guest@127.0.0.1:5672/";
const TIMEOUT: Duration = Duration::from_secs(20);
const QUEUES: &[&str] = &[
    "fleet-orders",
    "fleet-orders.dead",
    "fleet-orders-done",
    "fleet-orders-done.dead",
];

/// What the handlers saw, in plain values (each broker's module has types
/// of its own).
#[derive(Default)]
struct Seen {
    /// What the Python service published: order id and total.
    accepted: Mutex<Vec<(Uuid, f64)>>,
    /// What the Rust service handled: order id, quantity, note.
    orders: Mutex<Vec<(Uuid, i64, Option<String>)>>,
}

/// The parts of one broker's generated module the steps use.
struct Generated {
    server: &'static Server,
    /// `client_router`, recording what the Python service publishes.
    client: fn(Arc<Seen>) -> Router,
    /// `router`, recording the orders and answering requests.
    service: fn(Arc<Seen>) -> Router,
    /// `ClientPublisher::fleet_orders_take_order_subscribe`.
    publish: fn(Publisher, Uuid, i64) -> BoxFuture<'static, ()>,
}

/// The handlers a user writes for one generated module.
macro_rules! generated {
    ($module:ident) => {{
        use faststream::{Context, HandlerError};
        use golden::$module::models::{Accepted, Order};
        use golden::$module::{ClientHandler, ClientPublisher, Handler, client_router, router};

        struct Client(Arc<Seen>);

        impl ClientHandler for Client {
            async fn fleet_orders_done_publisher(
                &self,
                message: Accepted,
                _ctx: Context,
            ) -> Result<(), HandlerError> {
                let seen = (message.order_id, message.total);
                self.0.accepted.lock().unwrap().push(seen);
                Ok(())
            }
        }

        struct Service(Arc<Seen>);

        impl Handler for Service {
            async fn fleet_orders_take_order_subscribe(
                &self,
                message: Order,
                ctx: Context,
            ) -> Result<(), HandlerError> {
                // FastStream's handlers answer a request with what they
                // return; the export says nothing of it.
                ctx.reply(&Accepted {
                    order_id: message.order_id,
                    total: message.quantity as f64 * 2.5,
                })?;
                let seen = (message.order_id, message.quantity, message.note);
                self.0.orders.lock().unwrap().push(seen);
                Ok(())
            }
        }

        Generated {
            server: &golden::$module::servers::DEVELOPMENT,
            client: |seen| client_router(Client(seen)),
            service: |seen| router(Service(seen)),
            publish: |publisher, order_id, quantity| {
                Box::pin(async move {
                    ClientPublisher::new(publisher)
                        .fleet_orders_take_order_subscribe(&Order {
                            order_id,
                            quantity,
                            note: None,
                        })
                        .await
                        .expect("the Rust client publishes");
                })
            },
        }
    }};
}

#[test]
fn the_exports_and_the_generated_code_are_pinned() {
    let both = faststream_gen::Settings::default().side(faststream_gen::settings::Side::Both);
    for broker in ["rabbit", "nats", "redis", "kafka", "mqtt"] {
        let diagnostics = pinned_export(
            "fleet",
            &format!("fleet-{broker}"),
            &[("FLEET_BROKER", broker)],
            &format!("fleet_{broker}"),
            &both,
        );
        assert!(diagnostics.is_empty(), "{broker}: {diagnostics:?}");
    }
    // The same RabbitMQ service connected to the virtual host `/` named
    // explicitly: FastStream writes `/` + its name into the export.
    let diagnostics = pinned_export(
        "fleet",
        "fleet-rabbit-vhost",
        &[("FLEET_BROKER", "rabbit"), ("FLEET_URL", AMQP)],
        "fleet_rabbit_vhost",
        &both,
    );
    assert!(diagnostics.is_empty(), "rabbit-vhost: {diagnostics:?}");
    let export: serde_json::Value = serde_json::from_slice(
        &std::fs::read(interop().join("fleet-rabbit-vhost-asyncapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        export["servers"]["development"]["pathname"], "//",
        "FastStream's export of an explicit `/` virtual host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_service_joins_a_faststream_fleet_on_rabbitmq() {
    // With FastStream's default URL, then with the fleet's services
    // connected to `amqp://.../%2f` and the Rust side generated from what
    // FastStream exports for it (`vhost: //`). One after the other: the
    // queues have FastStream's fixed names.
    for (url, generated) in [
        (AMQP_DEFAULT, generated!(fleet_rabbit)),
        (AMQP, generated!(fleet_rabbit_vhost)),
    ] {
        delete_queues().await;
        fleet("rabbit", url, generated).await;
        delete_queues().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_service_joins_a_faststream_fleet_on_nats() {
    fleet("nats", "nats://127.0.0.1:4222", generated!(fleet_nats)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_service_joins_a_faststream_fleet_on_redis() {
    fleet("redis", "redis://127.0.0.1:6379", generated!(fleet_redis)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_service_joins_a_faststream_fleet_on_kafka() {
    let admin = common::fresh_fleet_kafka_topics().await;
    fleet("kafka", "127.0.0.1:9092", generated!(fleet_kafka)).await;
    admin
        .delete_topics(common::FLEET_KAFKA_TOPICS)
        .await
        .expect("the topics are deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_service_joins_a_faststream_fleet_on_mqtt() {
    fleet("mqtt", "mqtt://127.0.0.1:1883", generated!(fleet_mqtt)).await;
}

async fn fleet(kind: &str, url: &str, generated: Generated) {
    let seen = Arc::new(Seen::default());

    // Rust client -> Python service.
    let service_py = PythonService::start(kind, url);
    let broker = faststream::connect(generated.server)
        .await
        .unwrap_or_else(|e| panic!("{kind} as the export names it: {e}"));
    let client = App::with_broker(broker)
        .include((generated.client)(seen.clone()))
        .start()
        .await
        .expect("the client subscribes to what the service publishes");
    let order_id = Uuid::new_v4();
    (generated.publish)(client.publisher().clone(), order_id, 4).await;
    until(kind, "the service's publication", || {
        seen.accepted.lock().unwrap().contains(&(order_id, 10.0))
    })
    .await;
    // A request: FastStream answers to `reply_to` (on RabbitMQ through
    // the default exchange) with the correlation id. The export has no
    // `reply`, so the generated publisher only publishes: this is the
    // runtime's request with the same message.
    let asked = Uuid::new_v4();
    let reply = client
        .publisher()
        .request(
            Envelope::new(
                "fleet-orders",
                serde_json::to_vec(&serde_json::json!({"order_id": asked, "quantity": 2})).unwrap(),
            )
            .with_content_type("application/json"),
            TIMEOUT,
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: FastStream answers a Rust request: {e}"));
    let answer: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"order_id": asked, "total": 5.0}),
        "{kind}"
    );
    client.shutdown().await;
    service_py.stop();

    // Python client -> Rust service (on RabbitMQ, on the queue FastStream
    // declared).
    let broker = faststream::connect(generated.server).await.unwrap();
    let service = App::with_broker(broker)
        .include((generated.service)(seen.clone()))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{kind}: the Rust service starts: {e}"));
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let mut client_py = Command::new(python());
    client_py
        .args(["fleet.py", "client"])
        .arg(first.to_string())
        .arg(second.to_string())
        .current_dir(interop())
        .env("FLEET_BROKER", kind)
        .env("FLEET_URL", url);
    let output = tokio::task::spawn_blocking(move || client_py.output())
        .await
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{kind}: fleet.py client failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // FastStream's `broker.request` got the Rust handler's answer (not on
    // Kafka, where FastStream cannot ask).
    let mut expected = vec![(first, 2, None), (second, 3, None)];
    if kind != "kafka" {
        let printed: serde_json::Value = serde_json::from_str(
            stdout
                .lines()
                .last()
                .expect("the Python client prints the answer"),
        )
        .expect("JSON from the Python client");
        assert_eq!(
            printed["answer"],
            serde_json::json!({"order_id": printed["asked"], "total": 10.0}),
            "{kind}"
        );
        let requested: Uuid = printed["asked"].as_str().unwrap().parse().unwrap();
        expected.push((requested, 4, Some("by request".to_owned())));
    }
    until(kind, "the valid orders", || {
        seen.orders.lock().unwrap().len() >= expected.len()
    })
    .await;
    let orders = seen.orders.lock().unwrap().clone();
    assert_eq!(
        orders, expected,
        "{kind}: the order with quantity 0 must never reach the handler"
    );
    if kind == "rabbit" {
        let deadline = Instant::now() + TIMEOUT;
        while messages_in("fleet-orders.dead").await < 1 {
            assert!(
                Instant::now() < deadline,
                "the refused order is not in fleet-orders.dead"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let m = service.shutdown().await;
    let asked = u64::from(kind != "kafka");
    assert_eq!(
        (m.handled, m.decode_failures, m.replies),
        (2 + asked, 1, asked),
        "{kind}: {m:?}"
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
    fn start(kind: &str, url: &str) -> PythonService {
        let mut child = Command::new(python())
            .args(["fleet.py", "service"])
            .current_dir(interop())
            .env("FLEET_BROKER", kind)
            .env("FLEET_URL", url)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.trim() == "ready" => break,
                Some(Ok(_)) => {}
                _ => panic!("{kind}: the FastStream service exited before it was ready"),
            }
        }
        // FastStream logs to standard output: keep reading it.
        std::thread::spawn(move || lines.for_each(drop));
        PythonService(child)
    }

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

async fn until(kind: &str, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{kind}: timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
