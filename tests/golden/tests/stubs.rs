//! The handler stubs `faststream_gen::emit::handler_stub` writes (pinned in
//! `generated/stubs/` by the generator's golden test) compile as they are
//! and run: a stub with a plain result acknowledges what it receives; one
//! whose operation answers with a typed reply fails, saying it is not
//! written yet.

use std::time::Duration;

use faststream::{Envelope, TestApp};

mod orders_stub {
    include!("../generated/stubs/orders_handler.rs");
}

mod billing_client_stub {
    include!("../generated/stubs/billing_client_handler.rs");
}

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_stub_without_a_reply_acknowledges() {
    let app = TestApp::start(golden::billing_both::client_router(
        billing_client_stub::Service,
    ))
    .await;
    let line: golden::billing_both::models::LogLine =
        serde_json::from_value(serde_json::json!({"message": "hello"})).unwrap();
    golden::billing_both::Publisher::new(app.publisher())
        .write_log(
            &golden::billing_both::channels::Logs {
                level: "info".into(),
            },
            &line,
        )
        .await
        .unwrap();
    app.wait_finished(1, TIMEOUT).await;
    let m = app.shutdown().await;
    assert_eq!((m.acked, m.handler_failures), (1, 0), "{m:?}");
}

#[tokio::test]
async fn a_stub_with_a_typed_reply_says_it_is_not_written() {
    use golden::orders::messages::HandleOrderMessage;
    use golden::orders::models::{Order, OrderLine};
    let app = TestApp::start(
        golden::orders::router(orders_stub::Service).map_options(|o| o.retry.max_attempts = 1),
    )
    .await;
    let payload = HandleOrderMessage::PlaceOrder(Order {
        order_id: faststream::__codegen::uuid::Uuid::from_u128(1),
        lines: vec![OrderLine {
            sku: "A".into(),
            quantity: 1,
        }],
    })
    .encode()
    .unwrap();
    app.publisher()
        .publish(Envelope::new("stores.bergen.orders", payload).with_header("tenant", "acme"))
        .await
        .unwrap();
    app.wait_finished(1, TIMEOUT).await;
    let dead = app.dead_letters();
    let m = app.shutdown().await;
    assert_eq!((m.decode_failures, m.handler_failures), (0, 1), "{m:?}");
    assert_eq!(dead.len(), 1);
    assert!(
        format!("{:?}", dead[0]).contains("`handleOrder` is not implemented yet"),
        "{:?}",
        dead[0]
    );
}
