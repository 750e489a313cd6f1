//! One trace across the fleet, on NATS and on Kafka: a FastStream 0.7
//! publisher with its `TelemetryMiddleware` (`python/tracing.py`, written
//! as FastStream documents it) sends an order to the Rust service
//! generated from the fleet's export for that broker; the Rust handler
//! answers on `fleet-orders-done`, where the FastStream subscriber (with
//! the same middleware) gets it.
//!
//! 1. Without a tracer in the Rust service, the FastStream subscriber's
//!    span is in the first publisher's trace (the context passed through).
//! 2. With a tracer (`tracing-opentelemetry` over the OpenTelemetry SDK,
//!    an in-memory exporter), the Rust spans sit between the two, parent
//!    by parent: FastStream's `fleet-orders create` -> Rust `process
//!    fleet-orders` -> Rust `publish fleet-orders-done` -> FastStream's
//!    `fleet-orders-done process`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use faststream::uuid::Uuid;
use faststream::{App, Context, HandlerError};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use serde::Deserialize;
use tracing_subscriber::layer::SubscriberExt;

mod common;
use common::{interop, python};

/// The two tests share the fleet's subjects: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The Rust service generated from the fleet's export for one broker,
/// started: its handler answers each order on `fleet-orders-done`.
macro_rules! rust_service {
    ($module:ident) => {{
        use golden::$module::models::Accepted;
        use golden::$module::{Handler, Publisher, router};

        struct Service;

        impl Handler for Service {
            async fn fleet_orders_take_order_subscribe(
                &self,
                message: golden::$module::models::Order,
                ctx: Context,
            ) -> Result<(), HandlerError> {
                Publisher::new(ctx.publisher().clone())
                    .fleet_orders_done_publisher(&Accepted {
                        order_id: message.order_id,
                        total: message.quantity as f64 * 2.5,
                    })
                    .await?;
                Ok(())
            }
        }

        let broker = faststream::connect(&golden::$module::servers::DEVELOPMENT)
            .await
            .expect("the fleet's broker");
        App::with_broker(broker)
            .include(router(Service))
            .start()
            .await
            .unwrap()
    }};
}

/// A span as `tracing.py` prints it (ids in lowercase hex).
#[derive(Debug, Clone, Deserialize)]
struct PySpan {
    name: String,
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
}

/// The Python side, running until dropped.
struct Python {
    child: Child,
    stdin: ChildStdin,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Python {
    fn start(kind: &str) -> Python {
        let mut child = Command::new(python())
            .arg("tracing.py")
            .env("FLEET_BROKER", kind)
            .current_dir(interop())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs");
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.trim() == "ready" => break,
                Some(Ok(_)) => {}
                _ => panic!("tracing.py exited before it was ready"),
            }
        }
        Python {
            child,
            stdin,
            lines,
        }
    }

    /// Has the Python publisher send an order; returns its spans once the
    /// Python subscriber got the answer.
    async fn round(mut self) -> Vec<PySpan> {
        writeln!(self.stdin, "go {}", Uuid::new_v4()).unwrap();
        tokio::task::spawn_blocking(move || {
            for line in self.lines.by_ref() {
                let line = line.unwrap();
                if line.starts_with('[') {
                    return serde_json::from_str(&line).unwrap();
                }
            }
            panic!("tracing.py exited without its spans: did the answer reach it?")
        })
        .await
        .unwrap()
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn named<'a>(spans: &'a [PySpan], name: &str) -> &'a PySpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name} from FastStream in {spans:#?}"))
}

/// Step 1: FastStream's subscriber span is the child of the span its
/// publisher's message carried (nothing recorded in between).
fn passed_through(spans: &[PySpan]) {
    let create = named(spans, "fleet-orders create");
    let done = named(spans, "fleet-orders-done process");
    assert_eq!(done.trace_id, create.trace_id, "{spans:#?}");
    assert_eq!(done.parent_id.as_deref(), Some(create.span_id.as_str()));
}

/// A tracer as a service sets one up, for this thread.
fn tracer() -> (InMemorySpanExporter, tracing::subscriber::DefaultGuard) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("fleet")));
    (exporter, tracing::subscriber::set_default(subscriber))
}

/// Step 2: FastStream's create -> Rust process -> Rust publish ->
/// FastStream's process, one trace.
fn in_between(spans: &[PySpan], rust: &[opentelemetry_sdk::trace::SpanData]) {
    let rust_span = |name: &str| {
        rust.iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no Rust span {name}"))
    };
    let create = named(spans, "fleet-orders create");
    let done = named(spans, "fleet-orders-done process");
    let process = rust_span("process fleet-orders");
    let publish = rust_span("publish fleet-orders-done");
    let trace = &create.trace_id;
    for (name, id) in [
        ("process", process.span_context.trace_id().to_string()),
        ("publish", publish.span_context.trace_id().to_string()),
        ("FastStream's process", done.trace_id.clone()),
    ] {
        assert_eq!(&id, trace, "{name} is in another trace");
    }
    assert_eq!(process.parent_span_id.to_string(), create.span_id);
    assert_eq!(publish.parent_span_id, process.span_context.span_id());
    assert_eq!(
        done.parent_id.as_deref(),
        Some(publish.span_context.span_id().to_string().as_str()),
        "FastStream's subscriber span is not the child of the Rust publish span"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_without_a_tracer_the_trace_passes_through() {
    let _one_at_a_time = SERIAL.lock().await;
    let running = rust_service!(fleet_nats);
    let spans = Python::start("nats").round().await;
    running.shutdown().await;
    passed_through(&spans);
}

// The current-thread runtime keeps every task of the Rust service on the
// thread whose default subscriber has the tracer.
#[tokio::test]
async fn nats_with_a_tracer_the_rust_spans_sit_between() {
    let _one_at_a_time = SERIAL.lock().await;
    let (exporter, _tracing) = tracer();
    let running = rust_service!(fleet_nats);
    let spans = Python::start("nats").round().await;
    running.shutdown().await;
    in_between(&spans, &exporter.get_finished_spans().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_without_a_tracer_the_trace_passes_through() {
    let _one_at_a_time = SERIAL.lock().await;
    let admin = common::fresh_fleet_kafka_topics().await;
    let running = rust_service!(fleet_kafka);
    let spans = Python::start("kafka").round().await;
    running.shutdown().await;
    admin
        .delete_topics(common::FLEET_KAFKA_TOPICS)
        .await
        .expect("topics deleted");
    passed_through(&spans);
}

#[tokio::test]
async fn kafka_with_a_tracer_the_rust_spans_sit_between() {
    let _one_at_a_time = SERIAL.lock().await;
    let admin = common::fresh_fleet_kafka_topics().await;
    let (exporter, _tracing) = tracer();
    let running = rust_service!(fleet_kafka);
    let spans = Python::start("kafka").round().await;
    running.shutdown().await;
    admin
        .delete_topics(common::FLEET_KAFKA_TOPICS)
        .await
        .expect("topics deleted");
    in_between(&spans, &exporter.get_finished_spans().unwrap());
}
