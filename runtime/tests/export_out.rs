//! `FASTSTREAM_ASYNCAPI_OUT`: a built service writes its AsyncAPI document
//! and exits, connecting nowhere. The test runs itself again as a child
//! process with the variables set (the environment is the process's; the
//! workspace forbids the unsafe `set_var`).

use std::sync::Arc;
use std::time::Duration;

use faststream::__codegen::{ErasedHandler, Failure};
use faststream::{App, HandlerError, Route, Router, Server, SubscriberOptions};

const TEST: &str = "run_writes_the_document_and_connects_nowhere";

#[tokio::test]
async fn run_writes_the_document_and_connects_nowhere() {
    if std::env::var_os("FASTSTREAM_ASYNCAPI_OUT").is_some() {
        return exporting_service().await;
    }
    let dir = std::env::temp_dir().join(format!("faststream-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("asyncapi.yaml");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture"])
        .env("FASTSTREAM_ASYNCAPI_OUT", &out)
        .env("FASTSTREAM_ASYNCAPI_VERSION", "3.1")
        .status()
        .unwrap();
    assert!(status.success(), "the exporting run failed: {status}");
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // YAML (the path says so), in the version asked for.
    assert!(text.starts_with("asyncapi: \"3.1.0\"\n"), "{text}");
    assert!(text.contains("address: \"audit.{tenant}\""), "{text}");
    assert!(text.contains("\n  onAudit:\n    action: receive"), "{text}");
    // The server `connect` was asked for, described without connecting.
    assert!(
        text.contains("servers:\n  nowhere:\n    host: \"127.0.0.1:1\"\n    protocol: nats"),
        "{text}"
    );
}

/// What a service's `main` does; with the variables set it connects
/// nowhere and returns once the document is written.
async fn exporting_service() {
    // A server nothing listens on.
    let nowhere = Server {
        name: "nowhere",
        protocol: "nats",
        host: "127.0.0.1:1",
        pathname: "",
        variables: &[],
        bindings: faststream::ServerBindings::NONE,
    };
    let broker = faststream::connect(&nowhere)
        .await
        .expect("no connection is made while exporting");
    let handler: ErasedHandler = Arc::new(|_envelope, _ctx| {
        Box::pin(async { Err(Failure::Handler(HandlerError::new("unused"))) })
    });
    let router = Router::new().route(Route {
        operation: "onAudit".into(),
        address: "audit.{tenant}".into(),
        options: SubscriberOptions::default(),
        handler,
    });
    tokio::time::timeout(
        Duration::from_secs(10),
        App::with_broker(broker).include(router).run(),
    )
    .await
    .expect("run returns at once")
    .expect("the document is written");
}
