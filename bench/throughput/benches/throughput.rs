//! End-to-end throughput: the generated, typed order handler on the
//! runtime vs. a plain publish/consume loop on the same client crate, in
//! the same process, with the same ~100-byte JSON message, printed side by
//! side with the ratio. The plain loops ask the broker for the same work
//! as the typed side (NATS: payload plus FastStream's content-type and
//! correlation-id headers, as FastStream gives every message one; Redis:
//! a pattern subscription; RabbitMQ: FastStream's topology, a persistent
//! message with its content type published to the default exchange with
//! the queue's name as routing key, consumed from that durable queue with
//! acks and publisher confirms), so the ratio measures the runtime. On
//! RabbitMQ the typed side is the handler generated from FastStream's own
//! export (`tests/golden/generated/fleet_rabbit.rs`), on a queue of its own per round. On Redis the typed side's
//! message is larger: FastStream's envelope format adds its headers
//! (content type and correlation id, about 110 bytes) to the payload the
//! plain loop sends bare. Each broker runs 21 rounds, a raw and
//! a typed run next to each other in each (in alternating order); the
//! ratio is the median of the rounds' ratios, printed with the quartiles
//! and the extremes of those ratios. Many short rounds rather than a few
//! long ones: this machine's speed drifts within seconds, and a pair sees
//! the same conditions.
//!
//! The Kafka and MQTT loops publish from a task of the runtime, as a
//! service's code runs, not from `main`'s `block_on` (where every wake of
//! an awaited publish crossed threads).
//!
//! Kafka has an awaited row (each publish waits for the broker's
//! acknowledgement before the next) and a pipelined one (up to 1,000 in
//! flight). MQTT has awaited and windowed rows at QoS 0 and 1: windowed
//! publishes are pipelined but never more than 500 ahead of what the
//! subscriber received (unbounded, the publisher outruns the subscriber
//! and Mosquitto drops what queues beyond its `max_queued_messages`, on
//! either side). The typed side is a code-first route on a topic of each
//! round's own. On both sides of these rows the clock starts once one
//! warm-up message has gone through (the plain side's clients are made
//! for the round, and their start, connections and metadata, was inside
//! its clock). Kafka's pipelined row on tansu stays noisy: the same
//! 20,000 records took 0.2 s to 3.5 s a round on the plain side (every
//! one already consumed when the producer's last acknowledgement came,
//! and with no queue-full waits) and 0.1 s to 1.4 s on ours, for reasons
//! not found.
//! Kafka also reports request/reply round trips per second.
//!
//! An awaited plain MQTT loop waits for each acknowledgement parked, woken
//! by its event loop's task, as a program waits (`MqttWait`). A loop that
//! spins on `yield_now` instead, a core kept busy per waiting publisher,
//! was 12-32 % faster at QoS 1 on two cores (plain 10,742 and 11,386
//! msg/s against 9,546 and 8,621 parked, in runs minutes apart), and the
//! runtime reached 0.77-0.85 of it; against the parked and the inline
//! loops it reached 0.95-0.99.
//!
//! The memory row pairs the generated handler (in the raw column) with a
//! code-first route doing the same work (decode and check the order, parse
//! the store parameter, return a typed reply; in the typed column). A
//! second memory row pairs that route with a hand-written order type (raw)
//! and with the same type deriving `faststream::Message` (typed).
//!
//! `cargo bench -p faststream-bench-throughput --bench throughput` (the brokers must run
//! locally). `--test` (or `cargo test --benches`) runs a small count, to keep the
//! benchmark compiling and working in CI. `THROUGHPUT_ONLY=nats` (memory, nats, redis, amqp,
//! kafka, mqtt) runs one broker's rows, `THROUGHPUT_ROW=windowed` the rows whose
//! name contains it, `THROUGHPUT_ROUNDS=N` changes the number of rounds and
//! `THROUGHPUT_SIDE=raw` or `typed` runs one side only (for profiling).
//! `THROUGHPUT_MQTT_WAIT=park` or `inline` changes how the plain MQTT
//! loop awaits an acknowledgement (see `MqttWait`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faststream::{App, Broker, Context, Envelope, HandlerError};
use futures_util::StreamExt;
use golden::orders::channels::OrderRequests;
use golden::orders::messages::{HandleOrderHeaders, HandleOrderMessage};
use golden::orders::models::OrderAccepted;

struct Counter(Arc<AtomicU64>);

impl golden::orders::Handler for Counter {
    async fn handle_order(
        &self,
        message: HandleOrderMessage,
        _: OrderRequests,
        _: HandleOrderHeaders,
        _: Context,
    ) -> Result<OrderAccepted, HandlerError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        let order_id = match message {
            HandleOrderMessage::PlaceOrder(o) => o.order_id,
            HandleOrderMessage::CancelOrder(c) => c.order_id,
        };
        Ok(OrderAccepted {
            order_id,
            total: 1.0,
        })
    }
}

fn payload() -> Vec<u8> {
    br#"{"kind":"place","orderId":"6a2f41a3-c54c-fce8-32d2-0324e1c32e22","lines":[{"sku":"SKU-1","quantity":2}]}"#.to_vec()
}

fn id() -> String {
    faststream::__codegen::uuid::Uuid::new_v4()
        .simple()
        .to_string()
}

async fn wait(counter: &AtomicU64, n: u64, started: Instant, what: &str) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    while counter.load(Ordering::Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "{what}: only {} of {n} arrived",
            counter.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Waits for the warm-up message, then sets the count back to zero: the
/// Kafka and MQTT rows start their clock once one message has gone all
/// the way through each side's fresh clients (connections, metadata, a
/// consumer's first position), so that a row compares the flow of
/// messages, not how fast each side's clients start.
async fn warmed_up(counter: &AtomicU64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < 1 {
        assert!(
            Instant::now() < deadline,
            "the warm-up message never arrived"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    counter.store(0, Ordering::Relaxed);
}

/// Messages per second through the generated handler on `broker`.
async fn typed(broker: Arc<dyn Broker>, n: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let router =
        golden::orders::router(Counter(count.clone())).map_options(|o| o.max_in_flight = 256);
    let app = App::with_broker(broker)
        .include(router)
        .start()
        .await
        .expect("starts");
    let store = id();
    let channel = format!("stores.{store}.orders");
    let started = Instant::now();
    let publisher = app.publisher().clone();
    // What the generated publisher passes for this channel: its address
    // has a parameter (on RabbitMQ that routes it through the exchange).
    let bindings = faststream::Bindings {
        parameterized: true,
        ..faststream::Bindings::default()
    };
    for _ in 0..n {
        publisher
            .publish_with(
                Envelope::new(channel.clone(), payload()).with_content_type("application/json"),
                &bindings,
            )
            .await
            .expect("publishes");
    }
    let rate = wait(&count, n, started, "typed").await;
    app.shutdown().await;
    rate
}

/// The generated handler's order as a code-first user writes it: a plain
/// struct with the same checks, its schema for the export.
#[derive(serde::Deserialize)]
struct Place {
    kind: String,
    #[serde(rename = "orderId")]
    order_id: faststream::uuid::Uuid,
    lines: Vec<Line>,
}

#[derive(serde::Deserialize)]
struct Line {
    sku: String,
    quantity: i64,
}

impl faststream::Validate for Place {
    fn validate_at(
        &self,
        path: &faststream::validate::Path<'_>,
        errors: &mut Vec<faststream::ValidationError>,
    ) {
        use faststream::validate::rules;
        rules::constant(&self.kind.as_str(), &"place", &path.field("kind"), errors);
        let lines = path.field("lines");
        for (i, line) in self.lines.iter().enumerate() {
            let at = lines.index(i);
            rules::min_length(&line.sku, 1, &at.field("sku"), errors);
            rules::minimum(line.quantity, 1.0, &at.field("quantity"), errors);
        }
    }
}

impl faststream::export::Describe for Place {
    fn describe(c: &mut faststream::export::SchemaComponents) -> serde_json::Value {
        c.component("Place", |c| {
            faststream::export::object(c)
                .required::<String>("kind")
                .required::<faststream::uuid::Uuid>("orderId")
                .into()
        })
    }
}

/// The same order and checks twice more, with no `const` (the derive has
/// no attribute for one): written by hand, and derived. The pair measures
/// what `#[derive(faststream::Message)]` costs a message against the impls
/// it replaces.
#[derive(serde::Deserialize)]
struct HandPlace {
    #[allow(dead_code)]
    kind: String,
    #[serde(rename = "orderId")]
    order_id: faststream::uuid::Uuid,
    lines: Vec<HandLine>,
}

#[derive(serde::Deserialize)]
struct HandLine {
    sku: String,
    quantity: i64,
}

impl faststream::Validate for HandPlace {
    fn validate_at(
        &self,
        path: &faststream::validate::Path<'_>,
        errors: &mut Vec<faststream::ValidationError>,
    ) {
        use faststream::validate::rules;
        let lines = path.field("lines");
        for (i, line) in self.lines.iter().enumerate() {
            let at = lines.index(i);
            rules::min_length(&line.sku, 1, &at.field("sku"), errors);
            rules::minimum(line.quantity, 1.0, &at.field("quantity"), errors);
        }
    }
}

impl faststream::export::Describe for HandPlace {
    fn describe(c: &mut faststream::export::SchemaComponents) -> serde_json::Value {
        c.component("HandPlace", |c| {
            faststream::export::object(c)
                .required::<String>("kind")
                .required::<faststream::uuid::Uuid>("orderId")
                .into()
        })
    }
}

#[derive(serde::Deserialize, faststream::Message)]
struct DerivedPlace {
    #[allow(dead_code)]
    kind: String,
    #[serde(rename = "orderId")]
    order_id: faststream::uuid::Uuid,
    lines: Vec<DerivedLine>,
}

#[derive(serde::Deserialize, faststream::Message)]
struct DerivedLine {
    #[message(min_length = 1)]
    sku: String,
    #[message(minimum = 1)]
    quantity: i64,
}

/// What the code-first route reads of an order.
trait OrderId {
    fn order_id(&self) -> faststream::uuid::Uuid;
}

impl OrderId for Place {
    fn order_id(&self) -> faststream::uuid::Uuid {
        self.order_id
    }
}

impl OrderId for HandPlace {
    fn order_id(&self) -> faststream::uuid::Uuid {
        self.order_id
    }
}

impl OrderId for DerivedPlace {
    fn order_id(&self) -> faststream::uuid::Uuid {
        self.order_id
    }
}

#[derive(serde::Serialize)]
struct Accepted {
    #[serde(rename = "orderId")]
    order_id: faststream::uuid::Uuid,
    total: f64,
}

impl faststream::export::Describe for Accepted {
    fn describe(c: &mut faststream::export::SchemaComponents) -> serde_json::Value {
        faststream::export::object(c)
            .required::<faststream::uuid::Uuid>("orderId")
            .required::<f64>("total")
            .into()
    }
}

#[derive(serde::Deserialize)]
struct Store {
    #[serde(rename = "storeId")]
    store_id: String,
}

/// Messages per second through a code-first route doing what the
/// generated handler does (decode, check, parameters, a typed reply).
async fn code_first<P>(broker: Arc<dyn Broker>, n: u64) -> f64
where
    P: serde::de::DeserializeOwned
        + faststream::Validate
        + faststream::export::Describe
        + OrderId
        + Send
        + 'static,
{
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let handle = move |order: P, faststream::Params(store): faststream::Params<Store>| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::Relaxed);
            std::hint::black_box(&store.store_id);
            Ok::<_, HandlerError>(Accepted {
                order_id: order.order_id(),
                total: 1.0,
            })
        }
    };
    let router = faststream::Router::new().subscribe(
        faststream::Subscriber::new("stores.{storeId}.orders", handle).max_in_flight(256),
    );
    let app = App::with_broker(broker)
        .include(router)
        .start()
        .await
        .expect("starts");
    let channel = format!("stores.{}.orders", id());
    let started = Instant::now();
    let publisher = app.publisher().clone();
    for _ in 0..n {
        publisher
            .publish(
                Envelope::new(channel.clone(), payload()).with_content_type("application/json"),
            )
            .await
            .expect("publishes");
    }
    let rate = wait(&count, n, started, "code-first").await;
    app.shutdown().await;
    rate
}

struct FleetCounter(Arc<AtomicU64>);

impl golden::fleet_rabbit::Handler for FleetCounter {
    async fn fleet_orders_take_order_subscribe(
        &self,
        message: golden::fleet_rabbit::models::Order,
        _: Context,
    ) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        std::hint::black_box(message);
        Ok(())
    }
}

/// The order FastStream's `fleet.py` takes, about 100 bytes.
fn fleet_payload() -> Vec<u8> {
    br#"{"order_id":"6a2f41a3-c54c-fce8-32d2-0324e1c32e22","quantity":2,"note":"leave at the back door"}"#.to_vec()
}

/// Messages per second through the handler generated from FastStream's
/// export on RabbitMQ: a durable queue on the default exchange (renamed
/// per round, as `Router` lets a user rename a route's queue).
async fn typed_queue(broker: faststream::amqp::AmqpBroker, n: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let queue = format!("bench-orders-{}", id());
    let generated = golden::fleet_rabbit::router(FleetCounter(count.clone()));
    let mut router = faststream::Router::new();
    for route in generated.routes() {
        let mut route = route.clone();
        route.address = queue.clone();
        route.options.max_in_flight = 256;
        if let Some(q) = route
            .options
            .bindings
            .amqp
            .as_mut()
            .and_then(|a| a.queue.as_mut())
        {
            q.name = Some(queue.clone());
        }
        router = router.route(route);
    }
    let app = App::new(broker.clone())
        .include(router)
        .start()
        .await
        .expect("starts");
    let started = Instant::now();
    let publisher = app.publisher().clone();
    for _ in 0..n {
        // A publish without bindings: the default exchange, as
        // FastStream's `broker.publish(msg, "queue")`.
        publisher
            .publish(
                Envelope::new(queue.clone(), fleet_payload()).with_content_type("application/json"),
            )
            .await
            .expect("publishes");
    }
    let rate = wait(&count, n, started, "typed amqp").await;
    app.shutdown().await;
    broker.delete_declared().await.expect("cleanup");
    rate
}

async fn raw_nats(url: &str, n: u64) -> f64 {
    let client = async_nats::connect(url).await.expect("NATS");
    let subject = format!("bench.{}", id());
    let mut sub = client.subscribe(subject.clone()).await.unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    // Ends after the last message (dropping the subscription unsubscribes).
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            let _: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            if c.fetch_add(1, Ordering::Relaxed) + 1 == n {
                break;
            }
        }
    });
    client.flush().await.unwrap();
    let started = Instant::now();
    for _ in 0..n {
        // The same message on the wire as the typed side sends: the payload
        // and FastStream's headers, content type and a fresh correlation id
        // (made as the runtime makes it).
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("content-type", "application/json");
        headers.insert(
            "correlation_id",
            faststream::app::new_correlation_id().as_str(),
        );
        client
            .publish_with_headers(subject.clone(), headers, payload().into())
            .await
            .unwrap();
    }
    wait(&count, n, started, "raw nats").await
}

async fn raw_redis(url: &str, n: u64) -> f64 {
    use redis::AsyncCommands;
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    // The same broker work as the typed side: a pattern subscription (the
    // typed route's address has a parameter), unique to this round.
    let prefix = format!("bench.{}", id());
    let channel = format!("{prefix}.orders");
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.psubscribe(format!("{prefix}.*")).await.unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    // Ends after the last message, closing its connection.
    tokio::spawn(async move {
        let mut stream = pubsub.into_on_message();
        while let Some(m) = stream.next().await {
            let _: serde_json::Value = serde_json::from_slice(m.get_payload_bytes()).unwrap();
            if c.fetch_add(1, Ordering::Relaxed) + 1 == n {
                break;
            }
        }
    });
    let started = Instant::now();
    for _ in 0..n {
        let _: i64 = conn.publish(&channel, payload()).await.unwrap();
    }
    wait(&count, n, started, "raw redis").await
}

async fn raw_amqp(url: &str, n: u64) -> f64 {
    use lapin::BasicProperties;
    use lapin::options::*;
    use lapin::types::{FieldTable, ShortString};
    let conn = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let publish = conn.create_channel().await.unwrap();
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let consume = conn.create_channel().await.unwrap();
    consume
        .basic_qos(256, BasicQosOptions::default())
        .await
        .unwrap();
    // The same broker work as the typed side: FastStream's topology, a
    // durable queue (declared as FastStream, and the adapter, declare one)
    // that the default exchange routes to by its name.
    let queue = format!("bench-orders-{}", id());
    let mut args = FieldTable::default();
    args.insert(
        ShortString::from("x-queue-type"),
        lapin::types::AMQPValue::LongString("classic".into()),
    );
    consume
        .queue_declare(
            ShortString::from(queue.as_str()),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            args,
        )
        .await
        .unwrap();
    let mut consumer = consume
        .basic_consume(
            ShortString::from(queue.as_str()),
            ShortString::from(""),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Some(Ok(d)) = consumer.next().await {
            let value: serde_json::Value = serde_json::from_slice(&d.data).unwrap();
            std::hint::black_box(value);
            d.acker.ack(BasicAckOptions::default()).await.unwrap();
            if c.fetch_add(1, Ordering::Relaxed) + 1 == n {
                break;
            }
        }
    });
    let started = Instant::now();
    for _ in 0..n {
        // The same message as the typed side sends: persistent, with its
        // content type.
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type(ShortString::from("application/json"));
        publish
            .basic_publish(
                ShortString::from(""),
                ShortString::from(queue.as_str()),
                BasicPublishOptions::default(),
                &fleet_payload(),
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let rate = wait(&count, n, started, "raw amqp").await;
    publish
        .queue_delete(
            ShortString::from(queue.as_str()),
            QueueDeleteOptions::default(),
        )
        .await
        .unwrap();
    conn.close(200, "done".into()).await.unwrap();
    rate
}

/// How a loop publishes: each publish awaited before the next, many in
/// flight at once (up to `PIPELINE`), or many in flight but never more
/// than `WINDOW` ahead of what the subscriber received (the publisher
/// waits for the subscriber, so that the broker never holds more than that
/// for it: Mosquitto drops what queues beyond its `max_queued_messages`,
/// 1,000 by default).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Awaited,
    Pipelined,
    Windowed,
}

const PIPELINE: usize = 1_000;
const WINDOW: u64 = 500;

/// Runs `n` publishes made by `publish(i)`, awaited one by one or many at
/// once (`received` counts what the subscriber got, for `Windowed`).
async fn publish_all<F, Fut>(n: u64, mode: Mode, received: &AtomicU64, publish: F)
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match mode {
        Mode::Awaited => {
            for i in 0..n {
                publish(i).await;
            }
        }
        Mode::Pipelined | Mode::Windowed => {
            let mut in_flight = futures_util::stream::FuturesUnordered::new();
            for i in 0..n {
                if in_flight.len() >= PIPELINE {
                    in_flight.next().await;
                }
                while mode == Mode::Windowed && i >= received.load(Ordering::Relaxed) + WINDOW {
                    tokio::select! {
                        _ = in_flight.next(), if !in_flight.is_empty() => {}
                        () = tokio::time::sleep(Duration::from_millis(1)) => {}
                    }
                }
                in_flight.push(publish(i));
            }
            while in_flight.next().await.is_some() {}
        }
    }
}

/// The order as a code-first route takes it, for the Kafka and MQTT rows
/// (their typed side is a code-first route on an address of each round's
/// own: the generated `orders` channel has a parameter, which Kafka serves
/// by a topic pattern).
#[derive(serde::Deserialize)]
struct AnyOrder {
    #[serde(rename = "orderId")]
    _order_id: faststream::uuid::Uuid,
}

impl faststream::Validate for AnyOrder {
    fn validate_at(
        &self,
        _: &faststream::validate::Path<'_>,
        _: &mut Vec<faststream::ValidationError>,
    ) {
    }
}

impl faststream::export::Describe for AnyOrder {
    fn describe(c: &mut faststream::export::SchemaComponents) -> serde_json::Value {
        faststream::export::object(c)
            .required::<faststream::uuid::Uuid>("orderId")
            .into()
    }
}

/// Messages per second through a code-first route on `address`, published
/// through the runtime as `mode` says.
async fn typed_on(broker: Arc<dyn Broker>, address: &str, n: u64, mode: Mode) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let router = faststream::Router::new().subscriber(address.to_owned(), move |_: AnyOrder| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::Relaxed);
            Ok::<(), HandlerError>(())
        }
    });
    let app = App::with_broker(broker)
        .include(router)
        .start()
        .await
        .expect("starts");
    let publisher = app.publisher().clone();
    // One message through first, as on the plain side.
    publisher
        .publish(Envelope::new(address.to_owned(), payload()).with_content_type("application/json"))
        .await
        .expect("publishes");
    warmed_up(&count).await;
    let started = Instant::now();
    // Published from a task of the runtime, as a service's code runs.
    let (received, address_owned) = (count.clone(), address.to_owned());
    tokio::spawn(async move {
        publish_all(n, mode, &received, |_| {
            let publisher = publisher.clone();
            let envelope = Envelope::new(address_owned.clone(), payload())
                .with_content_type("application/json");
            async move { publisher.publish(envelope).await.expect("publishes") }
        })
        .await;
    })
    .await
    .expect("the publishing task");
    let rate = wait(&count, n, started, "typed").await;
    app.shutdown().await;
    rate
}

fn kafka_url() -> String {
    std::env::var("FASTSTREAM_KAFKA_URL").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

async fn kafka_broker() -> faststream::kafka::KafkaBroker {
    faststream::kafka::KafkaBroker::connect(&kafka_url())
        .await
        .expect("Kafka (cargo xtask services starts tansu)")
}

/// A fresh one-partition topic.
async fn kafka_topic(admin: &faststream::kafka::KafkaBroker) -> String {
    let topic = format!("bench-{}", id());
    admin.create_topic(&topic, Some(1)).await.expect("a topic");
    topic
}

async fn typed_kafka(admin: faststream::kafka::KafkaBroker, n: u64, mode: Mode) -> f64 {
    let topic = kafka_topic(&admin).await;
    let rate = typed_on(Arc::new(admin.clone()), &topic, n, mode).await;
    admin.delete_topics(&[&topic]).await.expect("cleanup");
    rate
}

/// A plain rdkafka loop: the producer the adapter configures (librdkafka's
/// defaults but aiokafka's `linger.ms=0`), the same payload and headers, a
/// consumer fetching as the adapter's do (`fetch.wait.max.ms=10`), reading
/// the partition from its start and decoding each message.
async fn raw_kafka(admin: faststream::kafka::KafkaBroker, n: u64, mode: Mode) -> f64 {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::message::{Header, Message, OwnedHeaders};
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let topic = kafka_topic(&admin).await;
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", kafka_url());
    let producer: FutureProducer = config
        .clone()
        .set("linger.ms", "0")
        .create()
        .expect("a producer");
    let consumer: StreamConsumer = config
        .clone()
        .set("group.id", format!("bench-{}", id()))
        .set("enable.auto.commit", "false")
        // As the adapter's consumers fetch.
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("a consumer");
    let mut assignment = rdkafka::TopicPartitionList::new();
    assignment
        .add_partition_offset(&topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let reader = tokio::spawn(async move {
        while c.load(Ordering::Relaxed) < n {
            let m = consumer.recv().await.expect("a record");
            let _: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            c.fetch_add(1, Ordering::Relaxed);
        }
    });
    // One message through first, as on the typed side.
    let body = payload();
    producer
        .send(
            FutureRecord::<str, [u8]>::to(&topic).payload(&body[..]),
            Duration::from_secs(30),
        )
        .await
        .expect("delivered");
    warmed_up(&count).await;
    let started = Instant::now();
    // Published from a task of the runtime, as a service's code runs.
    let (received, topic_owned) = (count.clone(), topic.clone());
    tokio::spawn(async move {
        publish_all(n, mode, &received, |_| {
            let producer = producer.clone();
            let topic = topic_owned.clone();
            async move {
                let correlation = faststream::app::new_correlation_id();
                let headers = OwnedHeaders::new()
                    .insert(Header {
                        key: "content-type",
                        value: Some("application/json"),
                    })
                    .insert(Header {
                        key: "correlation_id",
                        value: Some(correlation.as_str()),
                    });
                let body = payload();
                producer
                    .send(
                        FutureRecord::<str, [u8]>::to(&topic)
                            .payload(&body[..])
                            .headers(headers),
                        Duration::from_secs(30),
                    )
                    .await
                    .expect("delivered");
            }
        })
        .await;
    })
    .await
    .expect("the publishing task");
    let rate = wait(&count, n, started, "raw kafka").await;
    reader.await.unwrap();
    admin.delete_topics(&[&topic]).await.expect("cleanup");
    rate
}

/// Request/reply round trips per second on Kafka: `concurrency` requests
/// in flight against a code-first route answering each.
async fn kafka_requests(admin: faststream::kafka::KafkaBroker, n: u64, concurrency: usize) -> f64 {
    let topic = kafka_topic(&admin).await;
    let router = faststream::Router::new().subscriber(
        topic.clone(),
        |order: serde_json::Value| async move {
            Ok::<_, HandlerError>(serde_json::json!({"accepted": order["orderId"]}))
        },
    );
    let app = App::with_broker(Arc::new(admin.clone()))
        .include(router)
        .start()
        .await
        .expect("starts");
    let publisher = app.publisher().clone();
    let started = Instant::now();
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    for _ in 0..n {
        if in_flight.len() >= concurrency {
            in_flight.next().await;
        }
        let publisher = publisher.clone();
        let envelope =
            Envelope::new(topic.clone(), payload()).with_content_type("application/json");
        in_flight.push(async move {
            publisher
                .request(envelope, Duration::from_secs(30))
                .await
                .expect("answered");
        });
    }
    while in_flight.next().await.is_some() {}
    let rate = n as f64 / started.elapsed().as_secs_f64();
    app.shutdown().await;
    admin.delete_topics(&[&topic]).await.expect("cleanup");
    rate
}

fn mqtt_url() -> String {
    std::env::var("FASTSTREAM_MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".into())
}

async fn typed_mqtt(qos: u8, n: u64, mode: Mode) -> f64 {
    let settings = faststream::mqtt::MqttSettings {
        qos,
        ..faststream::mqtt::MqttSettings::default()
    };
    let broker = faststream::mqtt::MqttBroker::connect_with(
        &mqtt_url(),
        faststream::ConnectOptions::default(),
        settings,
    )
    .await
    .expect("MQTT");
    typed_on(Arc::new(broker), &format!("bench/{}", id()), n, mode).await
}

/// A plain rumqttc loop: a publishing and a subscribing connection, the
/// same payload with FastStream's MQTT 5 properties, acks as the adapter
/// sends them (manual, after decoding); windowed publishes are handed to
/// the client without waiting (rumqttc's own way) while the subscriber is
/// less than `WINDOW` behind, awaited ones wait for the broker's PUBACK
/// (at QoS 0, for the packet to be written).
async fn raw_mqtt(qos: u8, n: u64, mode: Mode) -> f64 {
    use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};
    let qos = match qos {
        0 => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        _ => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
    };
    let topic = format!("bench/{}", id());
    let options = |name: &str| {
        let mut o = MqttOptions::new(format!("{name}-{}", &id()[..8]), "127.0.0.1", 1883);
        o.set_manual_acks(true);
        o
    };
    let (sub, mut sub_loop) = AsyncClient::new(options("raw-sub"), 1024);
    sub.subscribe(topic.clone(), qos).await.unwrap();
    // Subscribed once the SUBACK came.
    loop {
        if let Ok(Event::Incoming(Packet::SubAck(_))) = sub_loop.poll().await {
            break;
        }
    }
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let reader = tokio::spawn(async move {
        while c.load(Ordering::Relaxed) < n {
            if let Event::Incoming(Packet::Publish(p)) = sub_loop.poll().await.expect("MQTT") {
                let _: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                sub.ack(&p).await.unwrap();
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let (publisher, mut pub_loop) = AsyncClient::new(options("raw-pub"), 1024);
    // Whether an event is the broker's acknowledgement of a publish (at
    // QoS 0, the publish written).
    let acknowledges = |event: &Event| {
        matches!(
            event,
            Event::Incoming(Packet::PubAck(_)) | Event::Outgoing(rumqttc::Outgoing::Publish(0))
        )
    };
    // One message through first, as on the typed side (and its
    // acknowledgement, so that only the measured ones are counted).
    publisher
        .publish(topic.clone(), qos, false, payload())
        .await
        .unwrap();
    while !acknowledges(&pub_loop.poll().await.expect("MQTT")) {}
    warmed_up(&count).await;
    let wait_style = MqttWait::from_env();
    let started = Instant::now();
    let properties = || PublishProperties {
        content_type: Some("application/json".into()),
        correlation_data: Some(
            faststream::app::new_correlation_id()
                .as_bytes()
                .to_vec()
                .into(),
        ),
        ..PublishProperties::default()
    };
    let (received, topic_owned) = (count.clone(), topic.clone());
    if mode == Mode::Awaited && wait_style == MqttWait::Inline {
        // The publishing task drives its own event loop: publish, then
        // poll until the acknowledgement (one task, no hand-over).
        tokio::spawn(async move {
            for _ in 0..n {
                publisher
                    .publish_with_properties(
                        topic_owned.clone(),
                        qos,
                        false,
                        payload(),
                        properties(),
                    )
                    .await
                    .unwrap();
                while !acknowledges(&pub_loop.poll().await.expect("MQTT")) {}
            }
        })
        .await
        .expect("the publishing task");
        let rate = wait(&count, n, started, "raw mqtt").await;
        reader.await.unwrap();
        return rate;
    }
    // Acknowledged (or written) publishes, counted by the event loop's
    // own task, which wakes a parked publisher.
    let done = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(tokio::sync::Notify::new());
    let (d, a) = (done.clone(), acked.clone());
    let driver = tokio::spawn(async move {
        loop {
            match pub_loop.poll().await {
                Ok(event) if acknowledges(&event) => {
                    d.fetch_add(1, Ordering::Release);
                    a.notify_one();
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    // Published from a task of the runtime, as a service's code runs.
    tokio::spawn(async move {
        for i in 0..n {
            // Never more than `WINDOW` ahead of the subscriber.
            while mode == Mode::Windowed && i >= received.load(Ordering::Relaxed) + WINDOW {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            publisher
                .publish_with_properties(topic_owned.clone(), qos, false, payload(), properties())
                .await
                .unwrap();
            if mode == Mode::Awaited {
                while done.load(Ordering::Acquire) <= i {
                    match wait_style {
                        MqttWait::Spin => tokio::task::yield_now().await,
                        _ => acked.notified().await,
                    }
                }
            }
        }
    })
    .await
    .expect("the publishing task");
    let rate = wait(&count, n, started, "raw mqtt").await;
    reader.await.unwrap();
    driver.abort();
    rate
}

/// How the plain MQTT loop awaits a publish's acknowledgement
/// (`THROUGHPUT_MQTT_WAIT`): parked until its event loop's task, which
/// counts acknowledgements, wakes it (`park`, the default: the way a
/// program waits, its event loop on a task of its own as any service that
/// publishes from more than one place needs), polling its event loop in
/// the publishing task itself (`inline`: as fast as `park` here), or
/// spinning on `yield_now` (`spin`: a core kept busy for the waiting
/// publisher, which nobody ships; faster than `park` at QoS 1 on this
/// two-core machine, see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MqttWait {
    Park,
    Inline,
    Spin,
}

impl MqttWait {
    fn from_env() -> MqttWait {
        match std::env::var("THROUGHPUT_MQTT_WAIT").as_deref() {
            Ok("inline") => MqttWait::Inline,
            Ok("spin") => MqttWait::Spin,
            Ok("park") | Err(_) => MqttWait::Park,
            Ok(other) => panic!("THROUGHPUT_MQTT_WAIT: `{other}` is not park, inline or spin"),
        }
    }
}

/// The value below which a share `q` (0 to 1) of `v` lies (nearest rank).
fn quantile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((v.len().saturating_sub(1)) as f64 * q).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
}

/// One row of the table: the raw and typed rates of each round.
struct Row {
    name: &'static str,
    messages: u64,
    raw: Vec<f64>,
    typed: Vec<f64>,
}

/// Runs raw and typed `rounds` times each, as pairs next to each other in
/// time, the raw one first in even rounds and second in odd ones (this
/// machine's speed drifts by tens of percent within a minute; a pair sees
/// the same conditions).
async fn paired<R, T>(
    name: &'static str,
    messages: u64,
    rounds: usize,
    mut raw: impl FnMut() -> R,
    mut typed: impl FnMut() -> T,
) -> Row
where
    R: std::future::Future<Output = f64>,
    T: std::future::Future<Output = f64>,
{
    // One side only, for profiling (see the module's documentation).
    let side = std::env::var("THROUGHPUT_SIDE").ok();
    // One row only (its name contains `THROUGHPUT_ROW`), for profiling.
    let rounds = match std::env::var("THROUGHPUT_ROW") {
        Ok(row) if !name.contains(row.as_str()) => 0,
        _ => rounds,
    };
    let (run_raw, run_typed) = match side.as_deref() {
        Some("raw") => (true, false),
        Some("typed") => (false, true),
        _ => (true, true),
    };
    let mut row = Row {
        name,
        messages,
        raw: Vec::new(),
        typed: Vec::new(),
    };
    for round in 0..rounds {
        if round % 2 == 0 && run_raw {
            row.raw.push(raw().await);
        }
        if run_typed {
            row.typed.push(typed().await);
        }
        if round % 2 == 1 && run_raw {
            row.raw.push(raw().await);
        }
    }
    row
}

#[tokio::main]
async fn main() {
    // Criterion's rule: only `cargo bench` (which passes --bench, and
    // not --test) measures; `cargo test --benches` runs a quick check.
    let quick =
        std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");
    let scale = |n: u64| if quick { n / 100 } else { n };
    let nats_url =
        std::env::var("FASTSTREAM_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let redis_url =
        std::env::var("FASTSTREAM_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let amqp_url = std::env::var("FASTSTREAM_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    // `THROUGHPUT_ONLY=nats` (memory, nats, redis, amqp) runs one row.
    let only = std::env::var("THROUGHPUT_ONLY").ok();
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    // Raw and typed alternate, `rounds` times each; the medians are
    // reported (this machine's runs vary by tens of percent).
    let rounds = match std::env::var("THROUGHPUT_ROUNDS") {
        Ok(n) => n.parse().expect("THROUGHPUT_ROUNDS: a number"),
        Err(_) if quick => 1,
        Err(_) => 21,
    };
    let mut rows = Vec::new();
    // Request/reply rows: (name, requests, round trips per second).
    let mut requests: Vec<(&str, u64, f64)> = Vec::new();

    if run("memory") {
        // On the in-memory broker the generated handler is paired with a
        // code-first route doing the same work: "raw" is the generated
        // route, "typed" the code-first one.
        let n = scale(50_000);
        rows.push(
            paired(
                "memory: code-first/generated",
                n,
                rounds,
                || typed(Arc::new(faststream::MemoryBroker::new()), n),
                || code_first::<Place>(Arc::new(faststream::MemoryBroker::new()), n),
            )
            .await,
        );
        // The derive against the hand-written impls it replaces: "raw" is
        // the hand-written type, "typed" the derived one.
        rows.push(
            paired(
                "memory: derived/hand-written",
                n,
                rounds,
                || code_first::<HandPlace>(Arc::new(faststream::MemoryBroker::new()), n),
                || code_first::<DerivedPlace>(Arc::new(faststream::MemoryBroker::new()), n),
            )
            .await,
        );
    }

    if run("nats") {
        // Below the client's subscription buffer (65,536): core NATS drops
        // what a slower consumer cannot take, on either side.
        let n = scale(50_000);
        let broker = Arc::new(
            faststream::nats::NatsBroker::connect(&nats_url)
                .await
                .expect("NATS"),
        );
        rows.push(
            paired(
                "NATS core",
                n,
                rounds,
                || raw_nats(&nats_url, n),
                || typed(broker.clone(), n),
            )
            .await,
        );
    }

    if run("redis") {
        let n = scale(20_000);
        let broker = Arc::new(
            faststream::redis::RedisBroker::connect(&redis_url)
                .await
                .expect("Redis"),
        );
        rows.push(
            paired(
                "Redis pub/sub",
                n,
                rounds,
                || raw_redis(&redis_url, n),
                || typed(broker.clone(), n),
            )
            .await,
        );
    }

    if run("amqp") {
        let n = scale(10_000);
        let broker = faststream::amqp::AmqpBroker::connect(&amqp_url, "amq.topic")
            .await
            .expect("RabbitMQ");
        let row = paired(
            "RabbitMQ (confirms, acks)",
            n,
            rounds,
            || raw_amqp(&amqp_url, n),
            || typed_queue(broker.clone(), n),
        )
        .await;
        rows.push(row);
    }

    if run("kafka") {
        let admin = kafka_broker().await;
        for (name, mode, n) in [
            ("Kafka, awaited", Mode::Awaited, scale(2_000)),
            ("Kafka, pipelined", Mode::Pipelined, scale(20_000)),
        ] {
            rows.push(
                paired(
                    name,
                    n,
                    rounds,
                    || raw_kafka(admin.clone(), n, mode),
                    || typed_kafka(admin.clone(), n, mode),
                )
                .await,
            );
        }
        let n = scale(5_000).max(10);
        let rates: Vec<f64> = {
            let mut v = Vec::new();
            for _ in 0..rounds.min(5) {
                v.push(kafka_requests(admin.clone(), n, 64).await);
            }
            v
        };
        requests.push(("Kafka request/reply, 64 in flight", n, median(&rates)));
    }

    if run("mqtt") {
        for (name, qos, mode, n) in [
            ("MQTT QoS 0, awaited", 0, Mode::Awaited, scale(5_000)),
            ("MQTT QoS 1, awaited", 1, Mode::Awaited, scale(5_000)),
            // Unbounded, pipelined publishes outrun the subscriber on
            // either side, and Mosquitto (by its default
            // `max_queued_messages`, 1,000) drops what queues beyond that
            // for the session, QoS 1 included: the publisher stays within
            // `WINDOW` of the subscriber.
            ("MQTT QoS 0, windowed", 0, Mode::Windowed, scale(20_000)),
            ("MQTT QoS 1, windowed", 1, Mode::Windowed, scale(20_000)),
        ] {
            rows.push(
                paired(
                    name,
                    n,
                    rounds,
                    || raw_mqtt(qos, n, mode),
                    || typed_mqtt(qos, n, mode),
                )
                .await,
            );
        }
    }

    println!(
        "{:<28} {:>9} {:>12} {:>12} {:>7} {:>11} {:>11}",
        "broker", "messages", "raw msg/s", "typed msg/s", "ratio", "quartiles", "extremes"
    );
    if rounds > 1 {
        println!(
            "(rates: medians of {rounds} rounds; ratio: the median of the rounds' typed/raw, each round a raw and a typed run next to each other; quartiles and extremes: of those ratios)"
        );
    }
    for row in rows {
        let (name, n) = (row.name, row.messages);
        if row.raw.is_empty() || row.typed.is_empty() {
            let rate = |v: &[f64]| {
                if v.is_empty() {
                    "-".to_owned()
                } else {
                    format!("{:.0}", median(v))
                }
            };
            println!(
                "{name:<28} {n:>9} {:>12} {:>12} {:>7} {:>11} {:>11}",
                rate(&row.raw),
                rate(&row.typed),
                "-",
                "-",
                "-"
            );
            continue;
        }
        let ratios: Vec<f64> = row.typed.iter().zip(&row.raw).map(|(t, r)| t / r).collect();
        let span =
            |lo: f64, hi: f64| format!("{:.2}-{:.2}", quantile(&ratios, lo), quantile(&ratios, hi));
        println!(
            "{name:<28} {n:>9} {:>12.0} {:>12.0} {:>7.2} {:>11} {:>11}",
            median(&row.raw),
            median(&row.typed),
            median(&ratios),
            span(0.25, 0.75),
            span(0.0, 1.0),
        );
    }
    for (name, n, rate) in requests {
        println!(
            "{name:<28} {n:>9} {rate:>12.0} round trips/s (the runtime's request; no plain loop)"
        );
    }
}
