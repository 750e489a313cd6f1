//! `TestApp`'s call records, as FastStream's `TestBroker` has them
//! (`handler.mock.assert_called_once_with(...)`): per subscriber, typed,
//! with headers, correlation id, reply and outcome; what was published,
//! typed. The same test body runs on the in-memory broker and, through
//! `TestApp::live`, on NATS and on Kafka (tansu).

use std::sync::Arc;
use std::time::Duration;

use faststream::serde::{Deserialize, Serialize};
use faststream::{
    AckPolicy, Context, Envelope, HandlerError, Message, Outcome, Router, Subscriber, TestApp,
    encode_json,
};

const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(crate = "faststream::serde")]
struct Order {
    #[message(min_length = 1)]
    id: String,
    #[message(minimum = 1)]
    quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(crate = "faststream::serde")]
struct Accepted {
    id: String,
    total: f64,
}

/// Prices an order, announces it on `<root>.accepted`; `boom` fails.
async fn place(order: Order, ctx: Context) -> Result<Accepted, HandlerError> {
    if order.id == "boom" {
        return Err(HandlerError::new("out of stock"));
    }
    let accepted = Accepted {
        id: order.id,
        total: order.quantity as f64 * 2.5,
    };
    let root = ctx
        .envelope()
        .channel
        .trim_end_matches(".orders")
        .to_owned();
    ctx.publisher()
        .publish(
            Envelope::new(format!("{root}.accepted"), encode_json(&accepted)?)
                .with_content_type("application/json"),
        )
        .await?;
    Ok(accepted)
}

fn router(root: &str) -> Router {
    Router::new()
        .subscribe(Subscriber::new(format!("{root}.orders"), place).ack(AckPolicy::RejectOnError))
}

fn order(id: &str, quantity: i64) -> Order {
    Order {
        id: id.into(),
        quantity,
    }
}

/// The test body, whatever the broker.
async fn exercise(app: &TestApp, root: &str) {
    let orders = format!("{root}.orders");
    let publish = |body: String, correlation: &str| {
        let envelope = Envelope::new(orders.clone(), body)
            .with_content_type("application/json")
            .with_header("tenant", "acme")
            .with_correlation_id(correlation);
        let publisher = app.publisher();
        async move { publisher.publish(envelope).await.unwrap() }
    };
    publish(serde_json::to_string(&order("o-1", 4)).unwrap(), "c-1").await;
    app.wait_finished(1, TIMEOUT).await;
    let subscriber = app.subscriber(&orders);
    let call = subscriber.assert_called_once_with(&order("o-1", 4));
    assert_eq!(call.headers.get("tenant").map(String::as_str), Some("acme"));
    assert_eq!(call.correlation_id.as_deref(), Some("c-1"));
    assert_eq!(call.outcome, Some(Outcome::Acked));
    assert_eq!(call.error, None);
    assert_eq!(
        app.published::<Accepted>(&format!("{root}.accepted")),
        [Accepted {
            id: "o-1".into(),
            total: 10.0
        }]
    );

    // A message that breaks the schema is not a call (the handler never
    // ran); one the handler fails on is, rejected.
    publish(r#"{"id":"o-2","quantity":0}"#.to_owned(), "c-2").await;
    publish(serde_json::to_string(&order("boom", 1)).unwrap(), "c-3").await;
    app.wait_finished(3, TIMEOUT).await;
    let subscriber = app.subscriber(&orders);
    subscriber.assert_called_times(2);
    let boom = subscriber.assert_called_with(&order("boom", 1));
    assert_eq!(boom.outcome, Some(Outcome::Rejected));
    assert_eq!(boom.error.as_deref(), Some("out of stock"));

    // A request gets its reply recorded.
    let reply = app
        .publisher()
        .request(
            Envelope::new(orders.clone(), encode_json(&order("o-4", 2)).unwrap())
                .with_content_type("application/json"),
            TIMEOUT,
        )
        .await
        .unwrap();
    let answered: Accepted = serde_json::from_slice(&reply.payload).unwrap();
    app.wait_finished(4, TIMEOUT).await;
    let calls = app.subscriber(&orders).calls::<Order>();
    assert_eq!(calls.len(), 3);
    let recorded: Accepted =
        serde_json::from_slice(&calls[2].reply.as_ref().expect("a reply").payload).unwrap();
    assert_eq!(recorded, answered);

    // A failed assertion says what was expected and what came.
    let subscriber = app.subscriber(&orders);
    let failure = std::panic::catch_unwind(|| {
        subscriber.assert_called_once_with(&order("o-9", 9));
    })
    .expect_err("three calls are not one");
    let text = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("expected one call with Order { id: \"o-9\", quantity: 9 }")
            && text.contains("3 call(s)")
            && text.contains(r#"{"id":"o-1","quantity":4}"#)
            && text.contains("failed: out of stock"),
        "{text}"
    );
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}.{}",
        faststream::uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
    )
}

#[tokio::test]
async fn call_records_on_the_memory_broker() {
    let root = "shop";
    let app = TestApp::start(router(root)).await;
    exercise(&app, root).await;
    // The in-memory broker also keeps the dead letters: the message that
    // broke the schema and the one the handler failed on.
    assert_eq!(app.dead_letters().len(), 2);
    app.shutdown().await;
}

#[tokio::test]
async fn the_same_test_runs_live_on_nats() {
    let url =
        std::env::var("FASTSTREAM_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let broker = faststream::nats::NatsBroker::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("NATS is not reachable at {url} ({e}); this test needs it"));
    let root = unique("testapp");
    let app = TestApp::live(router(&root), Arc::new(broker))
        .await
        .expect("subscribes");
    exercise(&app, &root).await;
    app.shutdown().await;
}

#[tokio::test]
async fn the_same_test_runs_live_on_kafka() {
    use faststream::kafka::{KafkaBroker, KafkaSettings};
    let url = std::env::var("FASTSTREAM_KAFKA_URL").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let settings = KafkaSettings {
        create_topics: true,
        ..KafkaSettings::default()
    };
    let broker = KafkaBroker::connect_with(&url, faststream::ConnectOptions::default(), settings)
        .await
        .unwrap_or_else(|e| {
            panic!("Kafka is not reachable at {url} ({e}); this test needs it (`cargo xtask ci` starts tansu)")
        });
    let root = unique("testapp");
    let app = TestApp::live(router(&root), Arc::new(broker.clone()))
        .await
        .expect("subscribes");
    exercise(&app, &root).await;
    app.shutdown().await;
    let topics = broker.topics_with_prefix(&root).await.expect("topics");
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    broker.delete_topics(&topics).await.expect("cleans up");
}

// What the records hold beyond the plain path, on the memory broker.

/// Publishes `body` to `address` (a request when `request`).
async fn send(app: &TestApp, address: &str, body: &str) {
    app.publisher()
        .publish(Envelope::new(address, body.to_owned()).with_content_type("application/json"))
        .await
        .unwrap();
}

#[tokio::test]
async fn batch_routes_record_a_call_per_message() {
    async fn store(orders: Vec<Order>) -> Result<(), HandlerError> {
        if orders.iter().any(|o| o.id == "boom") {
            return Err(HandlerError::new("batch refused"));
        }
        Ok(())
    }
    let app = TestApp::start(
        Router::new().subscribe(
            Subscriber::batch("batched", store)
                .batch_size(3)
                .batch_wait(Duration::from_millis(200)),
        ),
    )
    .await;
    send(&app, "batched", r#"{"id":"a","quantity":1}"#).await;
    send(&app, "batched", r#"{"id":"","quantity":1}"#).await;
    send(&app, "batched", r#"{"id":"b","quantity":2}"#).await;
    app.wait_finished(3, TIMEOUT).await;
    let calls = app.subscriber("batched").calls::<Order>();
    // The message that breaks the schema is not a call.
    assert_eq!(
        calls.iter().map(|c| c.message.clone()).collect::<Vec<_>>(),
        [order("a", 1), order("b", 2)]
    );
    assert!(
        calls
            .iter()
            .all(|c| c.outcome == Some(Outcome::Acked) && c.error.is_none())
    );

    send(&app, "batched", r#"{"id":"boom","quantity":1}"#).await;
    app.wait_finished(4, TIMEOUT).await;
    let last = app
        .subscriber("batched")
        .assert_called_with(&order("boom", 1));
    assert_eq!(last.error.as_deref(), Some("batch refused"));
    assert_eq!(last.outcome, Some(Outcome::Rejected));
    app.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_is_a_failed_call() {
    async fn explode(order: Order) -> Result<(), HandlerError> {
        panic!("no stock for {}", order.id)
    }
    let app = TestApp::start(
        Router::new().subscribe(Subscriber::new("explode", explode).ack(AckPolicy::RejectOnError)),
    )
    .await;
    send(&app, "explode", r#"{"id":"p-1","quantity":1}"#).await;
    app.wait_finished(1, TIMEOUT).await;
    let call = app
        .subscriber("explode")
        .assert_called_once_with(&order("p-1", 1));
    assert_eq!(
        call.error.as_deref(),
        Some("handler panicked: no stock for p-1")
    );
    assert_eq!(call.outcome, Some(Outcome::Rejected));
    assert_eq!(app.metrics().panics, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn replies_through_the_context_and_empty_ones_are_recorded() {
    async fn by_context(order: Order, ctx: Context) -> Result<(), HandlerError> {
        ctx.reply(&Accepted {
            id: order.id,
            total: 1.5,
        })
    }
    async fn silent(_: Order) -> Result<(), HandlerError> {
        Ok(())
    }
    let app = TestApp::start(
        Router::new()
            .subscriber("by-context", by_context)
            .subscriber("silent", silent),
    )
    .await;
    let request = |address: &str| {
        let publisher = app.publisher();
        let envelope = Envelope::new(address, r#"{"id":"r-1","quantity":1}"#)
            .with_content_type("application/json");
        async move { publisher.request(envelope, TIMEOUT).await.unwrap() }
    };
    let answered = request("by-context").await;
    let empty = request("silent").await;
    app.wait_finished(2, TIMEOUT).await;

    let call = app
        .subscriber("by-context")
        .assert_called_once_with(&order("r-1", 1));
    let reply = call.reply.expect("the context's reply is recorded");
    assert_eq!(reply.payload, answered.payload);
    assert_eq!(
        serde_json::from_slice::<Accepted>(&reply.payload).unwrap(),
        Accepted {
            id: "r-1".into(),
            total: 1.5
        }
    );
    assert_eq!(reply.channel, answered.channel);

    // FastStream answers a handler's `None` with an empty body: so does
    // the app, and the record says so.
    assert!(empty.payload.is_empty());
    let call = app
        .subscriber("silent")
        .assert_called_once_with(&order("r-1", 1));
    assert_eq!(call.reply.expect("an empty reply").payload.len(), 0);

    // A plain message (not a request) has no reply.
    send(&app, "silent", r#"{"id":"r-2","quantity":1}"#).await;
    app.wait_finished(3, TIMEOUT).await;
    let last = app
        .subscriber("silent")
        .assert_called_with(&order("r-2", 1));
    assert_eq!(last.reply, None);
    app.shutdown().await;
}

#[tokio::test]
async fn a_call_is_recorded_as_it_begins() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let waiting = gate.clone();
    let app = TestApp::start(
        Router::new().subscribe(
            Subscriber::new("slow", move |_: Order| {
                let gate = waiting.clone();
                async move {
                    gate.notified().await;
                    Err::<(), _>(HandlerError::new("late"))
                }
            })
            .ack(AckPolicy::RejectOnError),
        ),
    )
    .await;
    send(&app, "slow", r#"{"id":"s-1","quantity":1}"#).await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while app.subscriber("slow").count() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never called");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Running: called, nothing came of it yet.
    let running = app
        .subscriber("slow")
        .assert_called_once_with(&order("s-1", 1));
    assert_eq!((running.error, running.outcome), (None, None));
    gate.notify_one();
    app.wait_finished(1, TIMEOUT).await;
    let done = app
        .subscriber("slow")
        .assert_called_once_with(&order("s-1", 1));
    assert_eq!(done.error.as_deref(), Some("late"));
    assert_eq!(done.outcome, Some(Outcome::Rejected));
    app.shutdown().await;
}

#[tokio::test]
async fn routes_on_one_address_are_told_apart_by_operation() {
    async fn audit(_: Order) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn bill(_: Order) -> Result<(), HandlerError> {
        Ok(())
    }
    let app = TestApp::start(
        Router::new()
            .subscribe(Subscriber::new("shared", audit).group("auditors"))
            .subscribe(Subscriber::new("shared", bill).group("billing")),
    )
    .await;
    send(&app, "shared", r#"{"id":"g-1","quantity":1}"#).await;
    app.wait_finished(2, TIMEOUT).await;
    app.subscriber("audit")
        .assert_called_once_with(&order("g-1", 1));
    app.subscriber("bill")
        .assert_called_once_with(&order("g-1", 1));
    let ambiguous = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        app.subscriber("shared");
    }))
    .expect_err("two routes answer to the address");
    let text = ambiguous
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains(r#"2 routes answer to "shared": audit (shared), bill (shared)"#),
        "{text}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn configured_routes_and_sends_through_another_broker_are_recorded() {
    let audit = faststream::MemoryBroker::recording();
    let elsewhere = audit.clone();
    let forward = move |order: Order, ctx: Context| {
        let elsewhere = elsewhere.clone();
        async move {
            ctx.publisher()
                .through(elsewhere)
                .publish(Envelope::new("audit", encode_json(&order)?))
                .await?;
            Ok::<_, HandlerError>(())
        }
    };
    let app = TestApp::start_with(Router::new(), |app| {
        app.include(Router::new().subscriber("forward", forward))
    })
    .await;
    send(&app, "forward", r#"{"id":"f-1","quantity":1}"#).await;
    app.wait_finished(1, TIMEOUT).await;
    app.subscriber("forward")
        .assert_called_once_with(&order("f-1", 1));
    assert_eq!(app.published::<Order>("audit"), [order("f-1", 1)]);
    assert_eq!(audit.published_to("audit").len(), 1);
    app.shutdown().await;
}
