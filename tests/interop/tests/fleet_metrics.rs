//! One dashboard for the fleet: a FastStream 0.7 service with its
//! `NatsPrometheusMiddleware` (`python/metrics.py`, the fleet's service
//! with metrics as FastStream documents them) and the Rust service
//! generated from the fleet's export with `PrometheusMiddleware` get the
//! same messages on NATS (core NATS gives every subscriber each message):
//! two orders, one that breaks the schema, one that is not JSON. Both
//! handle them and publish onward; then the two expositions are compared.
//!
//! - The same sample names, each with the same label names (`_created`,
//!   which Python's client adds, and a histogram's `le` aside).
//! - The label values a dashboard groups by agree: `broker`, `handler`,
//!   `app_name`, the statuses, the publish destinations, the counts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use faststream::prometheus::PrometheusMiddleware;
use faststream::uuid::Uuid;
use faststream::{App, Context, Envelope, HandlerError};
use golden::fleet_nats::models::{Accepted, Order};
use golden::fleet_nats::{Handler, Publisher, router};

mod common;
use common::{interop, python};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Service;

impl Handler for Service {
    async fn fleet_orders_take_order_subscribe(
        &self,
        message: Order,
        ctx: Context,
    ) -> Result<(), HandlerError> {
        // What FastStream's `@broker.publisher` does with the return.
        Publisher::new(ctx.publisher().clone())
            .fleet_orders_done_publisher(&Accepted {
                order_id: message.order_id,
                total: message.quantity as f64 * 2.5,
            })
            .await?;
        Ok(())
    }
}

/// The Python service, running until dropped.
struct PythonService(Child);

impl Drop for PythonService {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// The body of `GET http://127.0.0.1:{port}/metrics`.
fn scrape(port: u16) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("metrics server");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: test\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (_, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    body.to_owned()
}

/// A sample: its name, its labels, its value.
type Sample = (String, BTreeMap<String, String>, f64);

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value.parse().expect("a number"))
        })
        .collect()
}

/// Each sample name with its label names (no `_created`, no `le`).
fn shapes(samples: &[Sample]) -> BTreeMap<String, BTreeSet<String>> {
    let mut shapes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, labels, _) in samples {
        if name.ends_with("_created") {
            continue;
        }
        shapes
            .entry(name.clone())
            .or_default()
            .extend(labels.keys().filter(|k| *k != "le").cloned());
    }
    shapes
}

/// The sum of `name`'s samples per value of `label`.
fn by(samples: &[Sample], name: &str, label: &str) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    for (n, labels, value) in samples {
        if n == name {
            *sums
                .entry(labels.get(label).cloned().unwrap_or_default())
                .or_default() += value;
        }
    }
    sums
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_and_faststream_expose_the_same_metrics() {
    let port = spare_port();
    let mut child = Command::new(python())
        .args(["metrics.py", &port.to_string()])
        .current_dir(interop())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    let stdout = child.stdout.take().unwrap();
    let _service = PythonService(child);
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.trim() == "ready" => break,
            Some(Ok(_)) => {}
            _ => panic!("the FastStream service exited before it was ready"),
        }
    }
    std::thread::spawn(move || lines.for_each(drop));

    let broker = faststream::connect(&golden::fleet_nats::servers::DEVELOPMENT)
        .await
        .expect("NATS at 127.0.0.1:4222 (the fleet's server)");
    let metrics = PrometheusMiddleware::new();
    let running = App::with_broker(broker)
        .include(router(Service))
        .middleware(metrics.clone())
        .start()
        .await
        .unwrap();

    // A sender of its own: its publishes are not the service's.
    let sender = faststream::connect(&golden::fleet_nats::servers::DEVELOPMENT)
        .await
        .unwrap();
    let order = |quantity: i64| {
        format!(
            r#"{{"order_id": "{}", "quantity": {quantity}}}"#,
            Uuid::new_v4()
        )
    };
    let sent = [order(2), order(0), "not json".to_owned(), order(3)];
    for body in &sent {
        let envelope =
            Envelope::new("fleet-orders", body.clone()).with_content_type("application/json");
        sender.publish(envelope).await.unwrap();
    }

    // Both have settled every message.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let text = scrape(port);
        let received = by(
            &samples(&text),
            "faststream_received_processed_messages_total",
            "app_name",
        )
        .values()
        .sum::<f64>();
        if received >= sent.len() as f64 && running.metrics().finished >= sent.len() as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every message settled: Rust {:?}, FastStream:\n{text}",
            running.metrics()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The onward publishes are counted once they are done.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let python = scrape(port);
    let rust = metrics.encode();
    let (py, rs) = (samples(&python), samples(&rust));
    let context = format!("FastStream:\n{python}\nRust:\n{rust}");

    assert_eq!(shapes(&rs), shapes(&py), "{context}");
    for (name, label) in [
        ("faststream_received_messages_total", "broker"),
        ("faststream_received_messages_total", "handler"),
        ("faststream_received_messages_total", "app_name"),
        ("faststream_received_processed_messages_total", "status"),
        ("faststream_published_messages_total", "destination"),
        ("faststream_published_messages_total", "status"),
        ("faststream_received_messages_size_bytes_count", "handler"),
        ("faststream_received_messages_size_bytes_sum", "handler"),
        (
            "faststream_received_processed_messages_exceptions_total",
            "exception_type",
        ),
    ] {
        assert_eq!(
            by(&rs, name, label),
            by(&py, name, label),
            "{name} by {label}\n{context}"
        );
    }
    running.shutdown().await;
}
