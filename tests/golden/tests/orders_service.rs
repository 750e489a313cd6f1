//! The order service from `specs/orders.yaml`, implemented the way a user
//! would, tested through the testing API on the in-memory broker: typed
//! requests from the generated client, replies by correlation id, poison
//! messages, retries, panics, concurrency and graceful shutdown.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use faststream::{AckPolicy, Context, Envelope, HandlerError, Retry, TestApp};
use golden::orders_both::channels::OrderRequests;
use golden::orders_both::messages::{HandleOrderHeaders, HandleOrderMessage};
use golden::orders_both::models::{CancelOrder, Order, OrderAccepted, OrderHeaders, OrderLine};
use golden::orders_both::{ClientPublisher, Handler, router};

/// What the service saw, for assertions.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    store: String,
    kind: &'static str,
    correlation_id: Option<String>,
    tenant: Option<String>,
}

#[derive(Default)]
struct Shop {
    seen: Mutex<Vec<Seen>>,
    /// Fail this many calls before succeeding.
    failures_left: AtomicU32,
    calls: AtomicU32,
    /// Sleep this long in each call (to keep messages in flight).
    delay: Option<Duration>,
}

impl Handler for Shop {
    async fn handle_order(
        &self,
        message: HandleOrderMessage,
        params: OrderRequests,
        headers: HandleOrderHeaders,
        ctx: Context,
    ) -> Result<OrderAccepted, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        if self.failures_left.load(Ordering::SeqCst) > 0 {
            self.failures_left.fetch_sub(1, Ordering::SeqCst);
            return Err(HandlerError::new("the warehouse is unreachable"));
        }
        let (kind, order_id, total) = match &message {
            HandleOrderMessage::PlaceOrder(o) => {
                if o.lines.iter().any(|l| l.sku == "PANIC") {
                    panic!("a bug in the pricing code");
                }
                (
                    "place",
                    o.order_id,
                    o.lines.iter().map(|l| l.quantity as f64 * 2.5).sum(),
                )
            }
            HandleOrderMessage::CancelOrder(c) => ("cancel", c.order_id, 0.0),
        };
        self.seen.lock().unwrap().push(Seen {
            store: params.store_id,
            kind,
            correlation_id: ctx.correlation_id().map(str::to_owned),
            // Each message's own typed headers.
            tenant: match headers {
                HandleOrderHeaders::PlaceOrder(h) => h.tenant,
                HandleOrderHeaders::CancelOrder => None,
            },
        });
        Ok(OrderAccepted { order_id, total })
    }
}

/// A shop the test keeps a handle on (to look at what it saw).
struct Shared(std::sync::Arc<Shop>);

impl Handler for Shared {
    async fn handle_order(
        &self,
        m: HandleOrderMessage,
        p: OrderRequests,
        h: HandleOrderHeaders,
        c: Context,
    ) -> Result<OrderAccepted, HandlerError> {
        self.0.handle_order(m, p, h, c).await
    }
}

fn order(id: u128, quantity: i64, sku: &str) -> HandleOrderMessage {
    HandleOrderMessage::PlaceOrder(Order {
        order_id: uuid(id),
        lines: vec![OrderLine {
            sku: sku.into(),
            quantity,
        }],
    })
}

fn uuid(n: u128) -> faststream::__codegen::uuid::Uuid {
    faststream::__codegen::uuid::Uuid::from_u128(n)
}

fn store(id: &str) -> OrderRequests {
    OrderRequests {
        store_id: id.into(),
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

/// Fast retries for tests.
fn quick_retries(router: faststream::Router, attempts: u32) -> faststream::Router {
    router.map_options(|o| {
        o.retry = Retry {
            max_attempts: attempts,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            multiplier: 2.0,
        }
    })
}

#[tokio::test]
async fn typed_request_reaches_the_handler_and_the_reply_comes_back() {
    let app = TestApp::start(router(Shop::default())).await;
    let client = ClientPublisher::new(app.publisher());
    let reply = client
        .handle_order(&store("oslo-1"), &order(7, 4, "SKU-1"), None, TIMEOUT)
        .await
        .unwrap();
    assert_eq!(reply.order_id, uuid(7));
    assert_eq!(reply.total, 10.0);
    let cancel = HandleOrderMessage::CancelOrder(CancelOrder { order_id: uuid(8) });
    let reply = client
        .handle_order(&store("oslo-2"), &cancel, None, TIMEOUT)
        .await
        .unwrap();
    assert_eq!((reply.order_id, reply.total), (uuid(8), 0.0));

    // The request went to the concrete address; the reply went to the
    // request's reply_to with the same correlation id.
    let requests = app.published_to("stores.oslo-1.orders");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let reply_to = request.reply_to.clone().unwrap();
    let replies = app.published_to(&reply_to);
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].correlation_id, request.correlation_id);
    assert_eq!(replies[0].content_type.as_deref(), Some("application/json"));
    app.shutdown().await;
}

#[tokio::test]
async fn handler_sees_params_headers_and_correlation_id() {
    let shop = std::sync::Arc::new(Shop::default());
    let app = TestApp::start(router(Shared(shop.clone()))).await;
    let payload = HandleOrderMessage::from(match order(1, 1, "A") {
        HandleOrderMessage::PlaceOrder(o) => o,
        HandleOrderMessage::CancelOrder(_) => unreachable!(),
    })
    .encode()
    .unwrap();
    let envelope = Envelope::new("stores.bergen.orders", payload)
        .with_header("tenant", "acme")
        .with_correlation_id("corr-1");
    app.publisher().publish(envelope).await.unwrap();
    app.wait_finished(1, TIMEOUT).await;
    assert_eq!(
        shop.seen.lock().unwrap().as_slice(),
        [Seen {
            store: "bergen".into(),
            kind: "place",
            correlation_id: Some("corr-1".into()),
            tenant: Some("acme".into()),
        }]
    );
    let m = app.shutdown().await;
    assert_eq!((m.acked, m.rejected), (1, 0));
}

#[tokio::test]
async fn typed_headers_travel_with_their_message() {
    let shop = std::sync::Arc::new(Shop::default());
    let app = TestApp::start(router(Shared(shop.clone()))).await;
    let client = ClientPublisher::new(app.publisher());
    let headers = HandleOrderHeaders::PlaceOrder(OrderHeaders {
        tenant: Some("typed".into()),
    });
    client
        .handle_order(&store("tromso"), &order(3, 1, "A"), Some(&headers), TIMEOUT)
        .await
        .unwrap();
    let cancel = HandleOrderMessage::CancelOrder(CancelOrder { order_id: uuid(3) });
    client
        .handle_order(&store("tromso"), &cancel, None, TIMEOUT)
        .await
        .unwrap();
    let seen = shop.seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter()
            .map(|s| (s.kind, s.tenant.as_deref()))
            .collect::<Vec<_>>(),
        [("place", Some("typed")), ("cancel", None)]
    );
    assert_eq!(
        app.published_to("stores.tromso.orders")[0]
            .headers
            .get("tenant")
            .map(String::as_str),
        Some("typed")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_thousand_concurrent_requests_are_all_answered_correctly() {
    let app = TestApp::start(router(Shop::default()).map_options(|o| o.max_in_flight = 64)).await;
    let client = ClientPublisher::new(app.publisher());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000u128 {
        let client = client.clone();
        tasks.spawn(async move {
            let reply = client
                .handle_order(
                    &store(&format!("s{}", i % 7)),
                    &order(i, (i % 5 + 1) as i64, "X"),
                    None,
                    Duration::from_secs(20),
                )
                .await
                .unwrap();
            assert_eq!(
                reply.order_id,
                uuid(i),
                "reply matched to the wrong request"
            );
            assert_eq!(reply.total, ((i % 5 + 1) as f64) * 2.5);
        });
    }
    let mut answered = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
        answered += 1;
    }
    assert_eq!(answered, 1000);
    let m = app.shutdown().await;
    assert_eq!((m.handled, m.replies, m.rejected), (1000, 1000, 0));
}

#[tokio::test]
async fn poison_messages_never_reach_the_handler_and_are_dead_lettered() {
    let shop = std::sync::Arc::new(Shop::default());
    let app = TestApp::start(router(Shared(shop.clone()))).await;
    let publisher = app.publisher();
    // Not JSON; the right shape but violating `minimum: 1`; an unknown kind.
    let bad = [
        b"{not json".to_vec(),
        br#"{"kind":"place","orderId":"6a2f41a3-c54c-fce8-32d2-0324e1c32e22","lines":[{"sku":"A","quantity":0}]}"#.to_vec(),
        br#"{"kind":"refund","orderId":"6a2f41a3-c54c-fce8-32d2-0324e1c32e22"}"#.to_vec(),
    ];
    for payload in bad {
        publisher
            .publish(Envelope::new("stores.x.orders", payload))
            .await
            .unwrap();
    }
    // A good one after them: the subscriber is still alive.
    let good = order(1, 1, "A").encode().unwrap();
    publisher
        .publish(Envelope::new("stores.x.orders", good))
        .await
        .unwrap();
    app.wait_finished(4, TIMEOUT).await;
    assert_eq!(
        shop.calls.load(Ordering::SeqCst),
        1,
        "only the valid message reached the handler"
    );
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 3);
    assert!(
        dead[0].reason.contains("malformed payload"),
        "{}",
        dead[0].reason
    );
    assert!(
        dead[1].reason.contains("/lines/0/quantity: minimum"),
        "{}",
        dead[1].reason
    );
    assert!(
        dead[2].reason.contains("`kind` is Some(\"refund\")"),
        "{}",
        dead[2].reason
    );
    let m = app.shutdown().await;
    assert_eq!((m.decode_failures, m.rejected, m.acked), (3, 3, 1));
}

#[tokio::test]
async fn failing_handler_is_retried_with_backoff_then_dead_lettered() {
    // Fails twice, succeeds on the third attempt.
    let app = TestApp::start(quick_retries(
        router(Shop {
            failures_left: AtomicU32::new(2),
            ..Shop::default()
        }),
        3,
    ))
    .await;
    let started = tokio::time::Instant::now();
    app.publisher()
        .publish(Envelope::new(
            "stores.a.orders",
            order(1, 1, "A").encode().unwrap(),
        ))
        .await
        .unwrap();
    app.wait_finished(1, TIMEOUT).await;
    assert!(
        started.elapsed() >= Duration::from_millis(15),
        "backoff of 5 + 10 ms between attempts"
    );
    let m = app.shutdown().await;
    assert_eq!(
        (m.handler_failures, m.retries, m.acked, m.rejected),
        (2, 2, 1, 0)
    );

    // Fails every time: three attempts, then the dead-letter target.
    let shop = Shop {
        failures_left: AtomicU32::new(u32::MAX),
        ..Shop::default()
    };
    let app = TestApp::start(quick_retries(router(shop), 3)).await;
    app.publisher()
        .publish(Envelope::new(
            "stores.a.orders",
            order(2, 1, "A").encode().unwrap(),
        ))
        .await
        .unwrap();
    app.wait_finished(1, TIMEOUT).await;
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("the warehouse is unreachable"));
    let m = app.shutdown().await;
    assert_eq!((m.handler_failures, m.retries, m.rejected), (3, 2, 1));
}

#[tokio::test]
async fn nack_on_error_lets_the_broker_redeliver() {
    let shop = Shop {
        failures_left: AtomicU32::new(1),
        ..Shop::default()
    };
    let router = quick_retries(router(shop), 3).map_options(|o| o.ack = AckPolicy::NackOnError);
    let app = TestApp::start(router).await;
    app.publisher()
        .publish(Envelope::new(
            "stores.a.orders",
            order(3, 1, "A").encode().unwrap(),
        ))
        .await
        .unwrap();
    app.wait_finished(2, TIMEOUT).await;
    let m = app.shutdown().await;
    assert_eq!((m.nacked, m.acked, m.rejected), (1, 1, 0), "{m:?}");
}

#[tokio::test]
async fn a_panicking_handler_does_not_stop_the_subscriber() {
    let app = TestApp::start(quick_retries(router(Shop::default()), 1)).await;
    let publisher = app.publisher();
    publisher
        .publish(Envelope::new(
            "stores.a.orders",
            order(1, 1, "PANIC").encode().unwrap(),
        ))
        .await
        .unwrap();
    publisher
        .publish(Envelope::new(
            "stores.a.orders",
            order(2, 1, "A").encode().unwrap(),
        ))
        .await
        .unwrap();
    app.wait_finished(2, TIMEOUT).await;
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("a bug in the pricing code"),
        "{}",
        dead[0].reason
    );
    let m = app.shutdown().await;
    assert_eq!((m.panics, m.acked, m.rejected), (1, 1, 1));
}

#[tokio::test]
async fn graceful_shutdown_finishes_every_message_in_flight() {
    let shop = Shop {
        delay: Some(Duration::from_millis(200)),
        ..Shop::default()
    };
    let app = TestApp::start(router(shop).map_options(|o| o.max_in_flight = 100)).await;
    let publisher = app.publisher();
    for i in 0..100 {
        publisher
            .publish(Envelope::new(
                "stores.a.orders",
                order(i, 1, "A").encode().unwrap(),
            ))
            .await
            .unwrap();
    }
    // Wait until all hundred are being handled, then shut down.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while app.metrics().in_flight < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            app.metrics()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let m = app.shutdown().await;
    assert_eq!(
        (m.received, m.handled, m.acked, m.in_flight),
        (100, 100, 100, 0),
        "{m:?}"
    );
}

#[tokio::test]
async fn the_router_carries_the_document_for_export() {
    let r = router(Shop::default());
    let doc: serde_json::Value = serde_json::from_str(r.document.unwrap()).unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["operations"]["handleOrder"]["action"], "receive");
    assert_eq!(r.routes().len(), 1);
    assert_eq!(r.routes()[0].address, "stores.{storeId}.orders");
}
