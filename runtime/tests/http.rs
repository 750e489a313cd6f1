//! The running app over HTTP (feature `http`), asked over loopback as a
//! probe or a scraper would: metrics, liveness, readiness (through a
//! shutdown, and through a broker of the test's own that is killed and
//! started again) and the app's AsyncAPI document.
#![cfg(feature = "http")]

mod common;

use std::time::{Duration, Instant};

use faststream::prometheus::PrometheusMiddleware;
use faststream::{App, Envelope, HandlerError, MemoryBroker, Router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `router` on a spare loopback port; returns its address.
async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// `GET path`: (status, content type, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

async fn shout(text: String) -> Result<(), HandlerError> {
    if text.is_empty() {
        return Err(HandlerError::new("nothing to shout"));
    }
    Ok(())
}

#[tokio::test]
async fn metrics_health_and_docs_are_served() {
    let metrics = PrometheusMiddleware::builder().app_name("shouter").build();
    let running = App::new(MemoryBroker::new())
        .include(
            Router::new()
                .info("Shouter", "1.2.3")
                .subscriber("http.shout", shout),
        )
        .middleware(metrics)
        .start()
        .await
        .unwrap();
    let addr = serve(faststream::http::router(&running)).await;

    let (status, _, body) = get(addr, "/health/live").await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"live"}"#));
    let (status, content_type, body) = get(addr, "/health/ready").await;
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ready"}"#));
    assert_eq!(content_type, "application/json");

    running
        .publisher()
        .publish(Envelope::new("http.shout", r#""hello""#))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while running.metrics().finished < 1 {
        assert!(Instant::now() < deadline, "the message was not handled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, content_type, body) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(
        body.lines().any(|l| l
            == r#"faststream_received_messages_total{app_name="shouter",broker="memory",handler="http.shout"} 1"#),
        "{body}"
    );

    let (status, content_type, body) = get(addr, "/asyncapi.json").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["info"]["title"], "Shouter");
    assert_eq!(doc, running.asyncapi().to_value().unwrap());
    let (status, _, body) = get(addr, "/asyncapi.yaml").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("asyncapi: \"3.0.0\""), "{body}");
    let (status, content_type, body) = get(addr, "/asyncapi").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("Shouter") && body.contains("http.shout"));

    // Not ready once the shutdown begins; still live.
    running.shutdown().await;
    let (status, _, body) = get(addr, "/health/ready").await;
    assert_eq!(status, 503, "{body}");
    let why: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(why["status"], "not ready");
    assert_eq!(why["reason"], "stopped");
    assert_eq!(get(addr, "/health/live").await.0, 200);
}

#[tokio::test]
async fn metrics_are_not_found_without_the_middleware() {
    let running = App::new(MemoryBroker::new()).start().await.unwrap();
    let addr = serve(faststream::http::router(&running)).await;
    let (status, _, body) = get(addr, "/metrics").await;
    assert_eq!(status, 404);
    assert!(body.contains("PrometheusMiddleware"), "{body}");
    running.shutdown().await;
}

/// Polls `/health/ready` until it answers `want` (within 30 s); returns
/// the last body.
async fn ready_turns(addr: std::net::SocketAddr, want: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = get(addr, "/health/ready").await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/health/ready is still {status} ({body}), not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ready, then 503 naming the broker while the test's own broker is
/// killed, then ready again once the adapter reconnected, and handling
/// messages again.
async fn readiness_follows(
    mut server: common::Server,
    broker: std::sync::Arc<dyn faststream::Broker>,
    address: &str,
) {
    let running = App::with_broker(broker)
        .include(Router::new().subscriber(address, shout))
        .start()
        .await
        .unwrap();
    let addr = serve(faststream::http::router(&running)).await;
    ready_turns(addr, 200).await;

    server.kill();
    let body = ready_turns(addr, 503).await;
    let why: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(why["reason"], "broker", "{body}");

    server.start();
    ready_turns(addr, 200).await;
    // And it handles messages again (a publish may wait for the
    // subscription to be restored: retried until one is handled).
    let deadline = Instant::now() + Duration::from_secs(30);
    while running.metrics().finished < 1 {
        assert!(
            Instant::now() < deadline,
            "no message handled after the restart"
        );
        let _ = running
            .publisher()
            .publish(Envelope::new(address, r#""back""#))
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    running.shutdown().await;
}

#[cfg(feature = "nats")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_nats_connection() {
    use common::{Server, spare_port};
    let port = spare_port();
    let mut server = Server::new("nats-server", port, move |_| {
        let mut c = std::process::Command::new("nats-server");
        c.args(["-a", "127.0.0.1", "-p", &port.to_string()]);
        c
    });
    server.start();
    let broker = faststream::nats::NatsBroker::connect(&format!("nats://127.0.0.1:{port}"))
        .await
        .expect("connects to the test's own nats-server");
    readiness_follows(server, std::sync::Arc::new(broker), "http.ready").await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_redis_connection() {
    let port = common::spare_port();
    let mut server = common::redis(port, &[]);
    server.start();
    let broker = faststream::redis::RedisBroker::connect(&format!("redis://127.0.0.1:{port}"))
        .await
        .expect("connects to the test's own redis-server");
    readiness_follows(server, std::sync::Arc::new(broker), "http.ready").await;
}

#[cfg(feature = "mqtt")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_mqtt_connection() {
    let port = common::spare_port();
    let mut server = common::Server::new("mosquitto", port, move |dir| {
        let config = dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
        )
        .expect("the mosquitto config");
        let mut c = std::process::Command::new("mosquitto");
        c.arg("-c").arg(&config);
        c
    });
    server.start();
    let broker = faststream::mqtt::MqttBroker::connect(&format!("mqtt://127.0.0.1:{port}"))
        .await
        .expect("connects to the test's own mosquitto");
    readiness_follows(server, std::sync::Arc::new(broker), "http/ready").await;
}
