//! One conformance suite, written once, run against every broker: the
//! in-memory broker always, and each real broker its cargo feature enables
//! (the brokers run locally; a missing one fails the test and says which).
//! Every test uses addresses of its own, so tests on a shared broker do not
//! see each other's messages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faststream::__codegen::{ErasedHandler, Failure, Reply, decode_payload};
use faststream::{
    App, Broker, Envelope, HandlerError, MemoryBroker, Retry, Route, Router, RunningApp,
    SubscriberOptions,
};

const TIMEOUT: Duration = Duration::from_secs(20);

tokio::task_local! {
    /// The workers each route of a test runs on (the suite runs once with
    /// one, the default, and once with four).
    static WORKERS: usize;
}

/// `router` with the workers of the running suite.
fn with_workers(router: Router) -> Router {
    let n = WORKERS.try_with(|n| *n).unwrap_or(1);
    router.map_options(|o| o.workers = n)
}

fn new_id() -> String {
    faststream::__codegen::uuid::Uuid::new_v4()
        .simple()
        .to_string()
}

/// Addresses unique to one test run, under the fixture's root.
fn unique(fixture: &Fixture, prefix: &str) -> String {
    let sep = fixture.separator;
    format!("{}{sep}{prefix}{sep}{}", fixture.root, new_id())
}

/// A broker under test, and what it promises.
#[derive(Clone)]
struct Fixture {
    broker: Arc<dyn Broker>,
    /// How many messages sit in the dead-letter target, where the broker
    /// has one (core NATS does not: it is at most once).
    dead_letters:
        Option<Arc<dyn Fn() -> faststream::__codegen::BoxFuture<'static, usize> + Send + Sync>>,
    /// Every address a test uses starts with this.
    root: String,
    /// Run when the test is over (deletes what it created on the broker).
    cleanup: Option<Arc<dyn Fn() -> faststream::__codegen::BoxFuture<'static, ()> + Send + Sync>>,
    /// Subscribers in a group share the work (else each gets everything).
    groups: bool,
    /// Addresses with `{parameters}` can be subscribed to.
    params: bool,
    /// A nacked message comes back (else the broker is at most once).
    redelivers: bool,
    /// Kafka: a partition's messages go to the handler one at a time, in
    /// order, and the test's topics have this many partitions (publishing
    /// picks one with `meta["partition"]`).
    serial_partitions: Option<usize>,
    /// Between the parts of an address (`/` for MQTT topic levels).
    separator: &'static str,
}

impl Fixture {
    fn new(broker: Arc<dyn Broker>) -> Fixture {
        Fixture {
            broker,
            dead_letters: None,
            root: "conf".into(),
            cleanup: None,
            groups: true,
            params: true,
            redelivers: true,
            serial_partitions: None,
            separator: ".",
        }
    }

    /// (template, concrete address) under `base`: with a parameter where
    /// the broker supports them.
    fn address(&self, base: &str, value: &str) -> (String, String) {
        if self.params {
            let sep = self.separator;
            (format!("{base}{sep}{{p}}"), format!("{base}{sep}{value}"))
        } else {
            (base.to_owned(), base.to_owned())
        }
    }
}

#[derive(Default)]
struct Seen {
    calls: AtomicU64,
    messages: Mutex<Vec<(String, Envelope)>>,
}

/// A handler that decodes JSON, records what it saw, echoes the payload
/// back, panics on `"boom"` and fails on `"fail"`.
fn recording(template: &str, seen: Arc<Seen>, delay: Option<Duration>) -> ErasedHandler {
    let template = template.to_owned();
    Arc::new(move |envelope: Arc<Envelope>, _ctx| {
        let seen = seen.clone();
        let template = template.clone();
        Box::pin(async move {
            let value: faststream::__codegen::Value =
                decode_payload(&envelope.payload).map_err(Failure::Decode)?;
            seen.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            if value == "boom" {
                panic!("boom");
            }
            if value == "fail" {
                return Err(Failure::Handler(HandlerError::new("asked to fail")));
            }
            let param = faststream::__codegen::match_address(&template, &envelope.channel)
                .and_then(|p| p.first().map(|(_, v)| (*v).to_owned()))
                .unwrap_or_default();
            seen.messages
                .lock()
                .unwrap()
                .push((param, (*envelope).clone()));
            Ok(Some(Reply {
                payload: envelope.payload.to_vec(),
                content_type: Some("application/json".into()),
                ..Reply::default()
            }))
        })
    })
}

async fn start(
    broker: Arc<dyn Broker>,
    address: &str,
    seen: Arc<Seen>,
    options: SubscriberOptions,
    delay: Option<Duration>,
) -> RunningApp {
    let router = Router::new().route(Route {
        operation: "conformance".into(),
        address: address.to_owned(),
        options,
        handler: recording(address, seen, delay),
    });
    App::with_broker(broker)
        .include(with_workers(router))
        .start()
        .await
        .expect("subscribes")
}

/// Waits until the fixture's dead-letter target holds `expected` messages
/// (dead-lettering may happen on the broker after the reject returns).
async fn until_dead_letters(fixture: &Fixture, expected: usize, what: &str) {
    let count = fixture.dead_letters.as_ref().expect("a dead-letter count");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let now = count().await;
        if now == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {now} in the dead-letter target, {expected} expected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn quick_retry(max_attempts: u32) -> SubscriberOptions {
    SubscriberOptions {
        retry: Retry {
            max_attempts,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            multiplier: 2.0,
        },
        ..SubscriberOptions::default()
    }
}

async fn round_trip_with_params_and_headers(broker: Arc<dyn Broker>, fixture: Fixture) {
    let base = unique(&fixture, "rt");
    let (address, concrete) = fixture.address(&base, "s-42");
    let seen = Arc::new(Seen::default());
    let app = start(
        broker,
        &address,
        seen.clone(),
        SubscriberOptions::default(),
        None,
    )
    .await;
    let envelope = Envelope::new(concrete, br#"{"n":1}"#.to_vec())
        .with_header("x-tenant", "acme")
        .with_content_type("application/json")
        .with_correlation_id("corr-7");
    app.publisher().publish(envelope).await.unwrap();
    until("the message", || seen.calls.load(Ordering::SeqCst) == 1).await;
    until("it to be recorded", || {
        seen.messages.lock().unwrap().len() == 1
    })
    .await;
    let (param, got) = seen.messages.lock().unwrap()[0].clone();
    if fixture.params {
        assert_eq!(param, "s-42");
    }
    assert_eq!(&got.payload[..], br#"{"n":1}"#);
    assert_eq!(
        got.headers.get("x-tenant").map(String::as_str),
        Some("acme")
    );
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.correlation_id.as_deref(), Some("corr-7"));
    app.shutdown().await;
}

async fn thousand_concurrent_requests(broker: Arc<dyn Broker>, fixture: Fixture) {
    let base = unique(&fixture, "rr");
    let (address, _) = fixture.address(&base, "x");
    let seen = Arc::new(Seen::default());
    let options = SubscriberOptions {
        max_in_flight: 64,
        ..SubscriberOptions::default()
    };
    let app = start(broker, &address, seen, options, None).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000u32 {
        let publisher = app.publisher().clone();
        let channel = fixture.address(&base, &format!("r{}", i % 10)).1;
        tasks.spawn(async move {
            let reply = publisher
                .request(Envelope::new(channel, format!("{{\"i\":{i}}}")), TIMEOUT)
                .await
                .unwrap_or_else(|e| panic!("request {i}: {e}"));
            assert_eq!(
                reply.payload,
                format!("{{\"i\":{i}}}").into_bytes(),
                "a reply matched the wrong request"
            );
        });
    }
    let mut answered = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
        answered += 1;
    }
    assert_eq!(answered, 1000);
    app.shutdown().await;
}

/// A code-first route (an `async fn` taking the typed message, its
/// parameters and the context, returning a typed reply) runs as a
/// generated one does: requests answered, parameters parsed, a message
/// that breaks its type refused.
async fn a_code_first_route_answers(broker: Arc<dyn Broker>, fixture: Fixture) {
    #[derive(Debug, serde::Deserialize)]
    struct Ask {
        n: i64,
    }
    impl faststream::Validate for Ask {
        fn validate_at(
            &self,
            path: &faststream::validate::Path<'_>,
            errors: &mut Vec<faststream::ValidationError>,
        ) {
            faststream::validate::rules::minimum(self.n, 0.0, &path.field("n"), errors);
        }
    }
    impl faststream::export::Describe for Ask {
        fn describe(c: &mut faststream::export::SchemaComponents) -> serde_json::Value {
            faststream::export::object(c).required::<i64>("n").into()
        }
    }
    async fn double(
        ask: Ask,
        faststream::Params(params): faststream::Params<std::collections::BTreeMap<String, String>>,
        ctx: faststream::Context,
    ) -> Result<serde_json::Value, HandlerError> {
        Ok(serde_json::json!({
            "doubled": ask.n * 2,
            "p": params.get("p"),
            "correlation": ctx.correlation_id(),
        }))
    }
    let base = unique(&fixture, "typed");
    let (template, address) = fixture.address(&base, "v1");
    let app = App::with_broker(broker)
        .include(with_workers(Router::new().subscriber(template, double)))
        .start()
        .await
        .expect("subscribes");
    let reply = app
        .publisher()
        .request(
            Envelope::new(address.clone(), r#"{"n":21}"#)
                .with_content_type("application/json")
                .with_correlation_id("typed-1"),
            TIMEOUT,
        )
        .await
        .expect("answered");
    let got: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    let p = if fixture.params {
        serde_json::json!("v1")
    } else {
        serde_json::Value::Null
    };
    assert_eq!(
        got,
        serde_json::json!({"doubled": 42, "p": p, "correlation": "typed-1"})
    );
    app.publisher()
        .publish(Envelope::new(address, r#"{"n":-1}"#))
        .await
        .unwrap();
    until("the refused message", || app.metrics().decode_failures == 1).await;
    let m = app.shutdown().await;
    assert_eq!((m.handled, m.decode_failures), (1, 1), "{m:?}");
}

/// FastStream's way with requests: a handler answers with what it gives
/// its context (`Context::reply`), one that gives nothing is answered with
/// an empty body, and a failed one is not answered at all.
async fn requests_are_answered_as_faststream_answers(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "answer");
    let handler: ErasedHandler = Arc::new(|envelope: Arc<Envelope>, ctx: faststream::Context| {
        Box::pin(async move {
            let value: faststream::__codegen::Value =
                decode_payload(&envelope.payload).map_err(Failure::Decode)?;
            match value["do"].as_str() {
                Some("answer") => ctx
                    .reply(&serde_json::json!({"answered": value["n"]}))
                    .map_err(Failure::Handler)?,
                Some("fail") => return Err(Failure::Handler(HandlerError::new("asked to fail"))),
                _ => {}
            }
            Ok(None)
        })
    });
    let options = SubscriberOptions {
        retry: Retry {
            max_attempts: 1,
            ..Retry::default()
        },
        ..SubscriberOptions::default()
    };
    let router = Router::new().route(Route {
        operation: "answers".into(),
        address: address.clone(),
        options,
        handler,
    });
    let app = App::with_broker(broker)
        .include(with_workers(router))
        .start()
        .await
        .expect("subscribes");
    let publisher = app.publisher().clone();
    let ask = |body: &str, timeout: Duration| {
        let publisher = publisher.clone();
        let envelope = Envelope::new(address.clone(), body.to_owned())
            .with_content_type("application/json")
            .with_correlation_id(format!("corr-{}", new_id()));
        async move {
            let id = envelope.correlation_id.clone();
            let reply = publisher.request(envelope, timeout).await;
            if let Ok(r) = &reply {
                assert_eq!(r.correlation_id, id, "the reply keeps the correlation id");
            }
            reply
        }
    };
    let answered = ask(r#"{"do":"answer","n":7}"#, TIMEOUT)
        .await
        .expect("answered");
    assert_eq!(answered.payload, br#"{"answered":7}"#.to_vec());
    assert_eq!(answered.content_type.as_deref(), Some("application/json"));
    let empty = ask(r#"{"do":"nothing"}"#, TIMEOUT)
        .await
        .expect("a handler that gives no answer is answered with an empty body");
    assert!(empty.payload.is_empty(), "{empty:?}");
    assert_eq!(empty.content_type, None);
    let failed = ask(r#"{"do":"fail"}"#, Duration::from_millis(500)).await;
    assert!(
        matches!(failed, Err(faststream::PublishError::Timeout)),
        "a failed handler answers nothing: {failed:?}"
    );
    let m = app.shutdown().await;
    assert_eq!(m.replies, 2, "{m:?}");
}

async fn poison_never_reaches_the_handler(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "poison");
    let seen = Arc::new(Seen::default());
    let dead_before = match &fixture.dead_letters {
        Some(f) => Some(f().await),
        None => None,
    };
    let app = start(
        broker,
        &address,
        seen.clone(),
        SubscriberOptions::default(),
        None,
    )
    .await;
    app.publisher()
        .publish(Envelope::new(&address, b"{not json".to_vec()))
        .await
        .unwrap();
    app.publisher()
        .publish(Envelope::new(&address, b"1".to_vec()))
        .await
        .unwrap();
    until("both messages", || app.metrics().finished == 2).await;
    let m = app.shutdown().await;
    assert_eq!(
        seen.calls.load(Ordering::SeqCst),
        1,
        "only the valid message reached the handler"
    );
    assert_eq!((m.decode_failures, m.rejected), (1, 1));
    if let Some(before) = dead_before {
        until_dead_letters(&fixture, before + 1, "the poison message").await;
    }
}

/// Hostile bodies (random bytes with invalid UTF-8, truncated JSON, JSON
/// nested 100,000 deep, and a body valid for the type but over the
/// route's `max_body_size`) are each refused without reaching the
/// handler, and the valid message after them is handled.
async fn hostile_bodies_are_refused(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "hostile");
    let seen = Arc::new(Seen::default());
    let dead_before = match &fixture.dead_letters {
        Some(f) => Some(f().await),
        None => None,
    };
    let limit = 64 * 1024;
    let app = start(
        broker,
        &address,
        seen.clone(),
        SubscriberOptions {
            max_body_size: limit,
            ..SubscriberOptions::default()
        },
        None,
    )
    .await;
    // A fixed sequence of bytes from a small generator (xorshift): the
    // same every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .chain([0xff, 0xfe, 0xc0])
        .collect();
    let mut nested = "[".repeat(100_000);
    nested.push_str(&"]".repeat(100_000));
    // `1` after whitespace decodes, but is too large to be looked at.
    let mut large = " ".repeat(limit);
    large.push('1');
    let hostile: Vec<Vec<u8>> = vec![
        random,
        b"{\"id\": [1, 2".to_vec(),
        nested.into_bytes(),
        large.into_bytes(),
    ];
    let n = hostile.len() as u64;
    for body in hostile {
        app.publisher()
            .publish(Envelope::new(&address, body))
            .await
            .unwrap();
    }
    app.publisher()
        .publish(Envelope::new(&address, b"1".to_vec()))
        .await
        .unwrap();
    until("every message", || app.metrics().finished == n + 1).await;
    let m = app.shutdown().await;
    assert_eq!(
        seen.calls.load(Ordering::SeqCst),
        1,
        "only the valid message reached the handler"
    );
    assert_eq!((m.decode_failures, m.rejected, m.panics), (n, n, 0));
    if let Some(before) = dead_before {
        until_dead_letters(&fixture, before + n as usize, "the hostile messages").await;
    }
}

async fn retries_then_gives_up(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "retry");
    let seen = Arc::new(Seen::default());
    let app = start(broker, &address, seen.clone(), quick_retry(3), None).await;
    app.publisher()
        .publish(Envelope::new(&address, b"\"fail\"".to_vec()))
        .await
        .unwrap();
    until("the message", || app.metrics().finished == 1).await;
    let m = app.shutdown().await;
    assert_eq!(seen.calls.load(Ordering::SeqCst), 3);
    assert_eq!((m.handler_failures, m.retries, m.rejected), (3, 2, 1));
}

/// With `NackOnError` the broker redelivers: the attempt count travels with
/// the message, and after the last attempt it is dead-lettered instead of
/// coming back for ever.
async fn broker_redelivery_then_gives_up(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "nack");
    let seen = Arc::new(Seen::default());
    let options = SubscriberOptions {
        ack: faststream::AckPolicy::NackOnError,
        ..quick_retry(3)
    };
    let app = start(broker, &address, seen.clone(), options, None).await;
    app.publisher()
        .publish(Envelope::new(&address, b"\"fail\"".to_vec()))
        .await
        .unwrap();
    let expected = if fixture.redelivers { 3 } else { 1 };
    until("the attempts", || app.metrics().finished == expected).await;
    // Nothing more comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = app.shutdown().await;
    assert_eq!(seen.calls.load(Ordering::SeqCst), expected);
    if fixture.redelivers {
        assert_eq!((m.nacked, m.rejected), (2, 1), "{m:?}");
    }
}

async fn a_panic_does_not_stop_the_subscriber(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "panic");
    let seen = Arc::new(Seen::default());
    let app = start(broker, &address, seen.clone(), quick_retry(1), None).await;
    app.publisher()
        .publish(Envelope::new(&address, b"\"boom\"".to_vec()))
        .await
        .unwrap();
    app.publisher()
        .publish(Envelope::new(&address, b"2".to_vec()))
        .await
        .unwrap();
    until("both messages", || app.metrics().finished == 2).await;
    let m = app.shutdown().await;
    assert_eq!((m.panics, m.handled), (1, 1));
}

async fn shutdown_finishes_in_flight(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "drain");
    let seen = Arc::new(Seen::default());
    let options = SubscriberOptions {
        max_in_flight: 50,
        ..SubscriberOptions::default()
    };
    let app = start(
        broker,
        &address,
        seen.clone(),
        options,
        // Long enough that all of them are in flight at once even on a
        // loaded machine (at 300 ms, a run beside a build saw the first
        // finish before the last arrived).
        Some(Duration::from_secs(1)),
    )
    .await;
    // Where a partition's messages are handled one at a time (Kafka), one
    // message per partition is in flight; the others wait in the broker.
    let partitions = fixture.serial_partitions.unwrap_or(50);
    for i in 0..50 {
        let mut envelope = Envelope::new(&address, format!("{i}"));
        envelope
            .meta
            .insert("partition".into(), (i % partitions).to_string());
        app.publisher().publish(envelope).await.unwrap();
    }
    let expected = partitions.min(50) as u64;
    until("the messages in flight", || {
        app.metrics().in_flight == expected
    })
    .await;
    let m = app.shutdown().await;
    assert_eq!(
        (m.handled, m.in_flight),
        (expected, 0),
        "none lost at shutdown"
    );
}

async fn a_group_splits_the_work(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "group");
    let (s1, s2) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
    let options = SubscriberOptions {
        // A group of this test's own (Kafka keeps groups between runs).
        group: Some(format!("workers-{}", new_id())),
        ..SubscriberOptions::default()
    };
    let a = start(broker.clone(), &address, s1.clone(), options.clone(), None).await;
    let b = start(broker, &address, s2.clone(), options, None).await;
    for i in 0..200 {
        a.publisher()
            .publish(Envelope::new(&address, format!("{i}")))
            .await
            .unwrap();
    }
    let target = if fixture.groups { 200 } else { 400 };
    until("all of them", || {
        s1.calls.load(Ordering::SeqCst) + s2.calls.load(Ordering::SeqCst) >= target
    })
    .await;
    // Nothing more arrives (no duplicates).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (x, y) = (
        s1.calls.load(Ordering::SeqCst),
        s2.calls.load(Ordering::SeqCst),
    );
    if fixture.groups {
        assert_eq!(x + y, 200, "none lost or doubled");
        assert!(x > 0 && y > 0, "both members got work: {x} / {y}");
    } else {
        // Documented: without groups, every subscriber gets everything.
        assert_eq!((x, y), (200, 200));
    }
    a.shutdown().await;
    b.shutdown().await;
}

async fn order_is_kept_on_one_channel(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "order");
    let seen = Arc::new(Seen::default());
    let options = SubscriberOptions {
        max_in_flight: 1,
        ..SubscriberOptions::default()
    };
    let app = start(broker, &address, seen.clone(), options, None).await;
    // One key: one Kafka partition (order is kept within a partition);
    // the other brokers ignore it.
    for i in 0..100 {
        let mut envelope = Envelope::new(&address, format!("{i}"));
        envelope.meta.insert("key".into(), "one-key".into());
        app.publisher().publish(envelope).await.unwrap();
    }
    until("all 100", || seen.messages.lock().unwrap().len() == 100).await;
    let got: Vec<Vec<u8>> = seen
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|(_, e)| e.payload.to_vec())
        .collect();
    let sent: Vec<Vec<u8>> = (0..100).map(|i| format!("{i}").into_bytes()).collect();
    assert_eq!(got, sent);
    app.shutdown().await;
}

/// What a batch subscriber saw: the values of each batch its handler
/// finished, and how many calls it got.
#[derive(Default)]
struct Batches {
    calls: AtomicU64,
    done: Mutex<Vec<Vec<i64>>>,
}

/// A JSON message for `partition` (where the broker has partitions).
fn batch_envelope(address: &str, partition: usize, payload: String) -> Envelope {
    Envelope::new(address, payload)
        .with_content_type("application/json")
        .with_meta("partition", partition.to_string())
}

/// A batch route on `address`: batches of up to 10 within 300 ms; the
/// handler fails its first `fail_first` calls.
fn batch_route(
    address: &str,
    batches: Arc<Batches>,
    fail_first: u64,
    group: Option<String>,
    ack: faststream::AckPolicy,
) -> Router {
    let mut subscriber = faststream::Subscriber::batch(address, move |values: Vec<i64>| {
        let batches = batches.clone();
        async move {
            let call = batches.calls.fetch_add(1, Ordering::SeqCst);
            if call < fail_first {
                return Err(HandlerError::new("the first batch fails"));
            }
            batches.done.lock().unwrap().push(values);
            Ok(())
        }
    })
    .batch_size(10)
    .batch_wait(Duration::from_millis(300))
    .ack(ack)
    .retry(Retry {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(50),
        ..Retry::default()
    });
    if let Some(g) = group {
        subscriber = subscriber.group(g);
    }
    Router::new().subscribe(subscriber)
}

async fn batches_are_handled_and_settled_together(broker: Arc<dyn Broker>, fixture: Fixture) {
    let address = unique(&fixture, "batch");
    let group = format!("batch-{}", new_id());
    let dead_before = match &fixture.dead_letters {
        Some(f) => Some(f().await),
        None => None,
    };
    let batches = Arc::new(Batches::default());
    let app = App::with_broker(broker.clone())
        .include(batch_route(
            &address,
            batches.clone(),
            1,
            Some(group.clone()),
            faststream::AckPolicy::AckAfterSuccess,
        ))
        .start()
        .await
        .expect("subscribed");
    let partitions = fixture.serial_partitions.unwrap_or(1);
    let envelope = |i: usize, payload: String| batch_envelope(&address, i % partitions, payload);
    // 40 numbers and, among them, one message that does not decode.
    let mut envelopes: Vec<Envelope> = (0..40).map(|i| envelope(i, format!("{i}"))).collect();
    envelopes.insert(17, envelope(17, "{not json".into()));
    app.publisher()
        .publish_batch(envelopes)
        .await
        .expect("published as a batch");
    let handled = || {
        batches
            .done
            .lock()
            .unwrap()
            .iter()
            .map(Vec::len)
            .sum::<usize>()
    };
    until("40 handled", || handled() >= 40).await;
    until("the undecodable one refused", || {
        app.metrics().decode_failures == 1
    })
    .await;
    let done = batches.done.lock().unwrap().clone();
    let mut values: Vec<i64> = done.iter().flatten().copied().collect();
    values.sort_unstable();
    assert_eq!(values, (0..40).collect::<Vec<i64>>(), "{done:?}");
    assert!(done.iter().all(|b| b.len() <= 10), "{done:?}");
    assert!(
        done.iter().any(|b| b.len() > 1),
        "messages that arrive together are handled together: {done:?}"
    );
    // The first batch failed once and came again whole (in-process).
    assert!(batches.calls.load(Ordering::SeqCst) > done.len() as u64);
    if partitions > 1 {
        // Within a partition, batches keep the order.
        for p in 0..partitions as i64 {
            let got: Vec<i64> = done
                .iter()
                .flatten()
                .copied()
                .filter(|v| v % partitions as i64 == p)
                .collect();
            let mut sorted = got.clone();
            sorted.sort_unstable();
            assert_eq!(got, sorted, "partition {p}: {done:?}");
        }
    }
    if let (Some(count), Some(before)) = (&fixture.dead_letters, dead_before) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while count().await != before + 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the undecodable message is not in the dead-letter target"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    app.shutdown().await;

    // Settled means settled: the group's next member gets none of it
    // again (on Kafka: the offsets were committed together).
    let after = Arc::new(Batches::default());
    let app = App::with_broker(broker)
        .include(batch_route(
            &address,
            after.clone(),
            0,
            Some(group),
            faststream::AckPolicy::AckAfterSuccess,
        ))
        .start()
        .await
        .expect("subscribed again");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again: Vec<i64> = after
        .done
        .lock()
        .unwrap()
        .iter()
        .flatten()
        .copied()
        .collect();
    assert!(again.is_empty(), "settled messages came again: {again:?}");
    app.shutdown().await;
}

async fn a_nacked_batch_comes_back_whole(broker: Arc<dyn Broker>, fixture: Fixture) {
    if !fixture.redelivers {
        // At most once: a nack drops the messages (documented).
        return;
    }
    let address = unique(&fixture, "nackbatch");
    let batches = Arc::new(Batches::default());
    let app = App::with_broker(broker)
        .include(batch_route(
            &address,
            batches.clone(),
            2,
            Some(format!("nb-{}", new_id())),
            faststream::AckPolicy::NackOnError,
        ))
        .start()
        .await
        .expect("subscribed");
    let partitions = fixture.serial_partitions.unwrap_or(1);
    let envelopes = (0..20).map(|i| batch_envelope(&address, i % partitions, format!("{i}")));
    app.publisher().publish_batch(envelopes).await.unwrap();
    let handled = || {
        let mut v: Vec<i64> = batches
            .done
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    until("all 20, after the broker gave the nacked ones back", || {
        handled().len() == 20
    })
    .await;
    assert_eq!(handled(), (0..20).collect::<Vec<i64>>());
    let m = app.shutdown().await;
    assert!(m.nacked > 0, "{m:?}");
    assert_eq!(m.rejected, 0, "{m:?}");
}

macro_rules! suite {
    ($name:ident, $fixture:expr) => {
        suite!($name, $fixture, 1);
    };
    ($name:ident, $fixture:expr, $workers:expr) => {
        mod $name {
            use super::*;

            macro_rules! case {
                ($test:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $test() {
                        let fixture: Fixture = $fixture.await;
                        let cleanup = fixture.cleanup.clone();
                        WORKERS
                            .scope($workers, super::$test(fixture.broker.clone(), fixture))
                            .await;
                        if let Some(c) = cleanup {
                            c().await;
                        }
                    }
                };
            }

            case!(round_trip_with_params_and_headers);
            case!(thousand_concurrent_requests);
            case!(requests_are_answered_as_faststream_answers);
            case!(a_code_first_route_answers);
            case!(poison_never_reaches_the_handler);
            case!(hostile_bodies_are_refused);
            case!(retries_then_gives_up);
            case!(broker_redelivery_then_gives_up);
            case!(a_panic_does_not_stop_the_subscriber);
            case!(shutdown_finishes_in_flight);
            case!(a_group_splits_the_work);
            case!(order_is_kept_on_one_channel);
            case!(batches_are_handled_and_settled_together);
            case!(a_nacked_batch_comes_back_whole);
        }
    };
}

async fn memory() -> Fixture {
    let broker = MemoryBroker::new();
    let dead = broker.clone();
    Fixture {
        dead_letters: Some(Arc::new(move || {
            let n = dead.dead_letters().len();
            Box::pin(async move { n })
        })),
        ..Fixture::new(Arc::new(broker))
    }
}

suite!(memory_broker, memory());
suite!(memory_broker_4_workers, memory(), 4);

#[cfg(feature = "nats")]
async fn nats_core() -> Fixture {
    let url =
        std::env::var("FASTSTREAM_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    match faststream::nats::NatsBroker::connect(&url).await {
        Ok(b) => Fixture {
            redelivers: false,
            ..Fixture::new(Arc::new(b))
        },
        Err(e) => panic!(
            "NATS is not reachable at {url} ({e}); these tests need it (`cargo xtask ci` checks it first)"
        ),
    }
}

#[cfg(feature = "nats")]
suite!(nats, nats_core());
#[cfg(feature = "nats")]
suite!(nats_4_workers, nats_core(), 4);

/// JetStream: a stream of its own per test (subjects `jsconf.<id>.>`),
/// deleted when the test ends.
#[cfg(feature = "nats")]
async fn jetstream() -> Fixture {
    use faststream::nats::{JetStreamBroker, StreamSettings};
    let url =
        std::env::var("FASTSTREAM_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let id = new_id();
    let root = format!("jsconf.{id}");
    let name = format!("faststream-conformance-{id}");
    let settings = vec![StreamSettings {
        name: name.clone(),
        subjects: vec![format!("{root}.>")],
    }];
    // nats-server 2.9 removes an account's storage folder with its last
    // stream, and a stream created meanwhile (by a test running beside
    // one that ends) fails with "could not create storage directory": a
    // second try finds the folder made again.
    let mut tries = 0;
    let broker = loop {
        match JetStreamBroker::connect(&url, settings.clone()).await {
            Ok(b) => break b,
            Err(e) if tries < 3 && e.to_string().contains("error creating store") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!(
                "NATS JetStream is not reachable at {url} ({e}); these tests need it (nats-server -js)"
            ),
        }
    };
    let cleaner = broker.clone();
    Fixture {
        root,
        cleanup: Some(Arc::new(move || {
            let b = cleaner.clone();
            let name = name.clone();
            Box::pin(async move {
                b.delete_stream(&name)
                    .await
                    .expect("the test stream is deleted");
            })
        })),
        ..Fixture::new(Arc::new(broker))
    }
}

#[cfg(feature = "nats")]
suite!(nats_jetstream, jetstream());
#[cfg(feature = "nats")]
suite!(nats_jetstream_4_workers, jetstream(), 4);

#[cfg(feature = "redis")]
fn redis_url() -> String {
    std::env::var("FASTSTREAM_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

#[cfg(feature = "redis")]
async fn redis_pubsub() -> Fixture {
    let url = redis_url();
    match faststream::redis::RedisBroker::connect(&url).await {
        Ok(b) => Fixture {
            groups: false,
            redelivers: false,
            ..Fixture::new(Arc::new(b))
        },
        Err(e) => panic!(
            "Redis is not reachable at {url} ({e}); these tests need it (`cargo xtask ci` checks it first)"
        ),
    }
}

#[cfg(feature = "redis")]
suite!(redis_pubsub_broker, redis_pubsub());
#[cfg(feature = "redis")]
suite!(redis_pubsub_broker_4_workers, redis_pubsub(), 4);

/// Redis streams: every key under `rsconf.<id>.` is a stream; the keys are
/// deleted when the test ends.
#[cfg(feature = "redis")]
async fn redis_streams() -> Fixture {
    let url = redis_url();
    let root = format!("rsconf.{}", new_id());
    let broker = match faststream::redis::RedisStreamBroker::connect(&url, vec![format!("{root}.")])
        .await
    {
        Ok(b) => b,
        Err(e) => panic!(
            "Redis is not reachable at {url} ({e}); these tests need it (`cargo xtask ci` checks it first)"
        ),
    };
    let (cleaner, prefix) = (broker.clone(), format!("{root}."));
    Fixture {
        root,
        params: false,
        cleanup: Some(Arc::new(move || {
            let b = cleaner.clone();
            let prefix = prefix.clone();
            Box::pin(async move {
                b.delete_prefix(&prefix)
                    .await
                    .expect("the test streams are deleted");
            })
        })),
        ..Fixture::new(Arc::new(broker))
    }
}

#[cfg(feature = "redis")]
suite!(redis_streams_broker, redis_streams());
#[cfg(feature = "redis")]
suite!(redis_streams_broker_4_workers, redis_streams(), 4);

/// A broker whose every subscription and publish (but replies) carries the
/// given bindings, as generated code passes the spec's.
#[cfg(any(feature = "redis", feature = "amqp"))]
struct Bound<B> {
    inner: B,
    bindings: faststream::Bindings,
}

#[cfg(any(feature = "redis", feature = "amqp"))]
impl<B: Broker> Broker for Bound<B> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn publish(
        &self,
        envelope: Envelope,
    ) -> faststream::__codegen::BoxFuture<'_, Result<(), faststream::BrokerError>> {
        if envelope.channel.starts_with("_INBOX") {
            self.inner.publish(envelope)
        } else {
            self.inner.publish_with(envelope, &self.bindings)
        }
    }

    fn subscribe(
        &self,
        mut spec: faststream::broker::SubscribeSpec,
    ) -> faststream::__codegen::BoxFuture<
        '_,
        Result<faststream::broker::Subscription, faststream::BrokerError>,
    > {
        if !spec.address.starts_with("_INBOX") {
            spec.bindings = self.bindings.clone();
        }
        self.inner.subscribe(spec)
    }
}

/// Redis lists, chosen by the channel's redis binding on the plain
/// broker; the keys are deleted when the test ends.
#[cfg(feature = "redis")]
async fn redis_lists() -> Fixture {
    use faststream::{RedisBindings, RedisKind};
    let url = redis_url();
    let root = format!("rlconf.{}", new_id());
    let broker = match faststream::redis::RedisStreamBroker::connect(&url, Vec::new()).await {
        Ok(b) => b,
        Err(e) => panic!(
            "Redis is not reachable at {url} ({e}); these tests need it (`cargo xtask ci` checks it first)"
        ),
    };
    let (cleaner, prefix) = (broker.clone(), format!("{root}."));
    let bound = Bound {
        inner: broker,
        bindings: faststream::Bindings {
            redis: Some(RedisBindings {
                kind: RedisKind::List,
                ..RedisBindings::default()
            }),
            ..faststream::Bindings::default()
        },
    };
    Fixture {
        root,
        params: false,
        cleanup: Some(Arc::new(move || {
            let b = cleaner.clone();
            let prefix = prefix.clone();
            Box::pin(async move {
                b.delete_prefix(&prefix)
                    .await
                    .expect("the test lists are deleted");
            })
        })),
        ..Fixture::new(Arc::new(bound))
    }
}

#[cfg(feature = "redis")]
suite!(redis_lists_broker, redis_lists());
#[cfg(feature = "redis")]
suite!(redis_lists_broker_4_workers, redis_lists(), 4);

/// RabbitMQ: (the URL, the connected broker, its dead-letter counter and
/// its cleanup).
#[cfg(feature = "amqp")]
async fn rabbitmq_parts() -> (faststream::amqp::AmqpBroker, Fixture) {
    let url = std::env::var("FASTSTREAM_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let broker = match faststream::amqp::AmqpBroker::connect(&url, "amq.topic").await {
        Ok(b) => b,
        Err(e) => panic!(
            "RabbitMQ is not reachable at 127.0.0.1:5672 ({e}); these tests need it (`cargo xtask ci` checks it first)"
        ),
    };
    let (counter, cleaner) = (broker.clone(), broker.clone());
    let fixture = Fixture {
        root: format!("amqpconf.{}", new_id()),
        dead_letters: Some(Arc::new(move || {
            let b = counter.clone();
            Box::pin(async move { b.dead_letters().await.expect("dead-letter queues") as usize })
        })),
        cleanup: Some(Arc::new(move || {
            let b = cleaner.clone();
            Box::pin(async move {
                b.delete_declared()
                    .await
                    .expect("the test queues are deleted");
            })
        })),
        ..Fixture::new(Arc::new(broker.clone()))
    };
    (broker, fixture)
}

/// RabbitMQ through the `amq.topic` exchange, parameterized addresses, as
/// generated code binds a channel with parameters; the queues a test
/// declared are deleted when it ends.
#[cfg(feature = "amqp")]
async fn rabbitmq() -> Fixture {
    use faststream::{AmqpBindings, AmqpExchange, AmqpExchangeKind};
    let (broker, fixture) = rabbitmq_parts().await;
    let bound = Bound {
        inner: broker,
        bindings: faststream::Bindings {
            amqp: Some(AmqpBindings {
                exchange: Some(AmqpExchange {
                    name: "amq.topic".into(),
                    kind: AmqpExchangeKind::Topic,
                    durable: true,
                    auto_delete: false,
                    vhost: None,
                }),
                ..AmqpBindings::default()
            }),
            parameterized: true,
            ..faststream::Bindings::default()
        },
    };
    Fixture {
        broker: Arc::new(bound),
        ..fixture
    }
}

/// RabbitMQ with FastStream's topology: channels without parameters are
/// durable queues on the default exchange, shared by their subscribers.
#[cfg(feature = "amqp")]
async fn rabbitmq_default_exchange() -> Fixture {
    let (_, fixture) = rabbitmq_parts().await;
    Fixture {
        params: false,
        ..fixture
    }
}

#[cfg(feature = "amqp")]
suite!(
    rabbitmq_default_exchange_broker,
    rabbitmq_default_exchange()
);
#[cfg(feature = "amqp")]
suite!(
    rabbitmq_default_exchange_broker_4_workers,
    rabbitmq_default_exchange(),
    4
);

#[cfg(feature = "amqp")]
suite!(rabbitmq_broker, rabbitmq());
#[cfg(feature = "amqp")]
suite!(rabbitmq_broker_4_workers, rabbitmq(), 4);

/// The records of `topic`, read from the start of each partition until
/// none comes for a second. The dead letters are counted so: tansu's
/// watermarks count fewer than it stored when dead letters go to one
/// partition at once (3 of 4 in about half of the runs, all 4 read back).
#[cfg(feature = "kafka")]
fn kafka_records(url: &str, topic: &str) -> usize {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{ClientConfig, Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", url)
        .set("group.id", format!("kconf-read-{}", new_id()))
        .set("enable.auto.commit", "false")
        .create()
        .expect("a Kafka consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("the topic's metadata");
    let mut assignment = TopicPartitionList::new();
    for t in metadata.topics() {
        for p in t.partitions() {
            assignment
                .add_partition_offset(topic, p.id(), Offset::Beginning)
                .unwrap();
        }
    }
    consumer
        .assign(&assignment)
        .expect("the partitions assigned");
    let mut n = 0;
    let mut quiet_since = std::time::Instant::now();
    while quiet_since.elapsed() < Duration::from_secs(1) {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
            n += 1;
            quiet_since = std::time::Instant::now();
        }
    }
    n
}

/// Kafka (tansu or any Kafka): topics created per test with four
/// partitions under `kconf.<id>.`, deleted when the test ends; dead letters
/// in `<topic>.DLT`.
#[cfg(feature = "kafka")]
async fn kafka() -> Fixture {
    use faststream::kafka::{KafkaBroker, KafkaSettings};
    let url = std::env::var("FASTSTREAM_KAFKA_URL").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let settings = KafkaSettings {
        create_topics: true,
        partitions: 4,
        dead_letter: Some("{topic}.DLT".into()),
        ..KafkaSettings::default()
    };
    let broker = match KafkaBroker::connect_with(
        &url,
        faststream::ConnectOptions::default(),
        settings,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => panic!(
            "Kafka is not reachable at {url} ({e}); these tests need it (`cargo xtask ci` installs and starts tansu)"
        ),
    };
    let root = format!("kconf.{}", new_id());
    let (counter, cleaner, prefix) = (broker.clone(), broker.clone(), format!("{root}."));
    let dead_prefix = prefix.clone();
    let read_url = url.clone();
    Fixture {
        root,
        params: true,
        serial_partitions: Some(4),
        dead_letters: Some(Arc::new(move || {
            let b = counter.clone();
            let prefix = dead_prefix.clone();
            let url = read_url.clone();
            Box::pin(async move {
                let mut n = 0;
                for t in b.topics_with_prefix(&prefix).await.expect("topics") {
                    if t.ends_with(".DLT") {
                        let counted = b.message_count(&t).await.expect("dead letters") as usize;
                        let url = url.clone();
                        let read = tokio::task::spawn_blocking(move || kafka_records(&url, &t))
                            .await
                            .unwrap();
                        if read != counted {
                            eprintln!(
                                "kafka: the watermarks count {counted} dead letters, {read} read back"
                            );
                        }
                        n += read;
                    }
                }
                n
            })
        })),
        cleanup: Some(Arc::new(move || {
            let b = cleaner.clone();
            let prefix = prefix.clone();
            Box::pin(async move {
                let topics = b.topics_with_prefix(&prefix).await.expect("topics");
                let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                b.delete_topics(&names)
                    .await
                    .expect("the test topics are deleted");
            })
        })),
        ..Fixture::new(Arc::new(broker))
    }
}

#[cfg(feature = "kafka")]
suite!(kafka_broker, kafka());
#[cfg(feature = "kafka")]
suite!(kafka_broker_4_workers, kafka(), 4);

/// MQTT 5 (Mosquitto): topics under `mconf/<id>/`; groups as shared
/// subscriptions. Nothing to clean up (MQTT keeps no topics; the sessions
/// are clean).
#[cfg(feature = "mqtt")]
async fn mqtt_at(qos: u8) -> Fixture {
    use faststream::mqtt::{MqttBroker, MqttSettings};
    let url =
        std::env::var("FASTSTREAM_MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".into());
    let settings = MqttSettings {
        qos,
        ..MqttSettings::default()
    };
    let broker = match MqttBroker::connect_with(
        &url,
        faststream::ConnectOptions::default(),
        settings,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => panic!(
            "MQTT is not reachable at {url} ({e}); these tests need Mosquitto (`cargo xtask ci` checks it first)"
        ),
    };
    Fixture {
        root: format!("mconf/{}", new_id()),
        separator: "/",
        ..Fixture::new(Arc::new(broker))
    }
}

// FastStream's default, QoS 0 (at most once).
#[cfg(feature = "mqtt")]
suite!(mqtt_qos0_broker, mqtt_at(0));
#[cfg(feature = "mqtt")]
suite!(mqtt_qos0_broker_4_workers, mqtt_at(0), 4);

// QoS 1: publishes wait for PUBACK, deliveries are acknowledged.
#[cfg(feature = "mqtt")]
suite!(mqtt_qos1_broker, mqtt_at(1));
#[cfg(feature = "mqtt")]
suite!(mqtt_qos1_broker_4_workers, mqtt_at(1), 4);

// QoS 2: publishes wait for PUBCOMP, deliveries are acknowledged with
// PUBREC (the client completes the exchange).
#[cfg(feature = "mqtt")]
suite!(mqtt_qos2_broker, mqtt_at(2));
#[cfg(feature = "mqtt")]
suite!(mqtt_qos2_broker_4_workers, mqtt_at(2), 4);
