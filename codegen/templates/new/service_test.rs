//! The service on the testing API (the in-memory broker).

use {{ crate_ident }}::{handler, {{ module }}};

#[tokio::test]
async fn the_service_subscribes_to_what_it_receives() {
    let app = faststream::TestApp::start({{ module }}::router(handler::Service)).await;
    assert_eq!(app.metrics().subscribers, {{ receives }});
    app.shutdown().await;
}

#[test]
fn the_service_exports_its_operations() {
    let doc = {{ module }}::router(handler::Service)
        .asyncapi()
        .to_value()
        .unwrap();
    let operations = doc["operations"].as_object().map_or(0, |o| o.len());
    assert_eq!(operations, {{ operations }});
}
