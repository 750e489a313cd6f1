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
