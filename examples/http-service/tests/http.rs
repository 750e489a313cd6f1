//! The shop front driven over HTTP on loopback, as its users drive it:
//! an order placed by `POST /orders` is handled by the service's own
//! message handler (through NATS), a broken one is refused with the
//! schema's words, `POST /quotes` gets the answer of a request/reply,
//! `/metrics`, `/health/ready` and `/asyncapi.json` are served, and
//! SIGTERM stops both sides cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The service, killed if the test fails before it stops it.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One request: (status, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("the service listens");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_owned())
}

fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_shop_front_over_http() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_http-service"))
        .env("FASTSTREAM_HTTP_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the service starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let service = Service(child);
    let addr: SocketAddr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    break addr.parse().unwrap();
                }
            }
            _ => panic!("the service exited before it listened (is NATS up at 127.0.0.1:4222?)"),
        }
    };

    eventually("ready", || http(addr, "GET", "/health/ready", "").0 == 200);

    let id = format!("00000000-0000-4000-8000-{:012}", std::process::id());
    let order = format!(r#"{{"orderId": "{id}", "sku": "tea", "quantity": 3}}"#);
    let (status, body) = http(addr, "POST", "/orders", &order);
    assert_eq!(status, 202, "{body}");
    eventually("the order handled", || {
        http(addr, "GET", "/orders", "").1.contains(&id)
    });

    let (status, body) = http(
        addr,
        "POST",
        "/orders",
        r#"{"orderId": "00000000-0000-4000-8000-000000000000", "sku": "tea", "quantity": 0}"#,
    );
    assert_eq!(status, 422);
    assert!(body.contains("/quantity: minimum"), "{body}");

    let (status, body) = http(addr, "POST", "/quotes", r#"{"sku": "tea", "quantity": 4}"#);
    assert_eq!(status, 200, "{body}");
    let quote: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        quote,
        serde_json::json!({"sku": "tea", "quantity": 4, "total": 10.0})
    );

    let (status, metrics) = http(addr, "GET", "/metrics", "");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"faststream_received_messages_total{app_name="shop",broker="nats",handler="shop.orders.placed"} 1"#),
        "{metrics}"
    );
    let (status, doc) = http(addr, "GET", "/asyncapi.json", "");
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["info"]["title"], "Shop front");

    // SIGTERM: both sides stop, and the process says what it did.
    let mut service = service;
    let pid = service.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let stopped = Instant::now();
    let status = loop {
        if let Some(status) = service.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l.starts_with("stopped: ") && l.contains("2 handled")),
        "{rest:?}"
    );
}
