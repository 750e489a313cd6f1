//! The app without generated code: lifespan hooks run in order, middleware
//! sees every consume and publish, manual acks are left to the handler.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faststream::__codegen::{ErasedHandler, Failure, Reply};
use faststream::{
    AckPolicy, App, Envelope, MemoryBroker, Middleware, Outcome, Route, Router, SubscriberOptions,
};

fn echo() -> ErasedHandler {
    Arc::new(|envelope, ctx| {
        Box::pin(async move {
            if envelope.payload[..] == b"manual"[..] {
                ctx.reject("the handler said no")
                    .await
                    .map_err(|e| Failure::Handler(e.into()))?;
            }
            Ok(Some(Reply {
                payload: envelope.payload.to_vec(),
                ..Reply::default()
            }))
        })
    })
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl Middleware for Log {
    fn before_consume(&self, envelope: &Envelope) {
        self.push(format!("consume {}", envelope.channel));
    }
    fn after_consume(&self, _envelope: &Envelope, outcome: Outcome) {
        self.push(format!("settled {outcome:?}"));
    }
    fn before_publish(&self, envelope: &mut Envelope) {
        envelope.headers.insert("x-app".into(), "test".into());
        self.push(format!("publish {}", envelope.channel));
    }
}

#[tokio::test]
async fn hooks_run_in_order_and_middleware_wraps_consume_and_publish() {
    let log = Log::default();
    let broker = MemoryBroker::recording();
    let router = Router::new().route(Route {
        operation: "echo".into(),
        address: "echo.{id}".into(),
        options: SubscriberOptions::default(),
        handler: echo(),
    });
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let app = App::new(broker.clone())
        .include(router)
        .middleware(log.clone())
        .on_startup(move || async move { l1.push("startup") })
        .after_startup(move || async move { l2.push("after startup") })
        .on_shutdown(move || async move { l3.push("shutdown") });
    let running = app.start().await.unwrap();
    let reply = running
        .publisher()
        .request(Envelope::new("echo.1", "ping"), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(&reply.payload[..], b"ping");
    assert_eq!(
        reply.headers.get("x-app").map(String::as_str),
        Some("test"),
        "middleware changed the reply"
    );
    running.shutdown().await;
    let log = log.all();
    assert_eq!(log[0], "startup");
    assert_eq!(log[1], "after startup");
    assert_eq!(log.last().unwrap(), "shutdown");
    for expected in ["publish echo.1", "consume echo.1", "settled Acked"] {
        assert!(
            log.contains(&expected.to_owned()),
            "{expected} missing from {log:?}"
        );
    }
    assert_eq!(
        broker.published_to("echo.1")[0]
            .headers
            .get("x-app")
            .map(String::as_str),
        Some("test")
    );
}

#[tokio::test]
async fn manual_ack_policy_leaves_settling_to_the_handler() {
    let broker = MemoryBroker::new();
    let router = Router::new().route(Route {
        operation: "echo".into(),
        address: "manual".into(),
        options: SubscriberOptions {
            ack: AckPolicy::Manual,
            ..SubscriberOptions::default()
        },
        handler: echo(),
    });
    let running = App::new(broker.clone())
        .include(router)
        .start()
        .await
        .unwrap();
    running
        .publisher()
        .publish(Envelope::new("manual", "manual"))
        .await
        .unwrap();
    running
        .publisher()
        .publish(Envelope::new("manual", "unsettled"))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while running.metrics().finished < 2 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let m = running.shutdown().await;
    assert_eq!(broker.dead_letters().len(), 1);
    assert_eq!(broker.dead_letters()[0].reason, "the handler said no");
    assert_eq!(
        (m.acked, broker.acked()),
        (0, 0),
        "nothing acked on the handler's behalf"
    );
}

#[tokio::test]
async fn groups_share_and_plain_subscribers_each_get_everything() {
    let broker = MemoryBroker::new();
    let route = |group: Option<&str>| Route {
        operation: "echo".into(),
        address: "jobs".into(),
        options: SubscriberOptions {
            group: group.map(str::to_owned),
            ..SubscriberOptions::default()
        },
        handler: echo(),
    };
    let a = App::new(broker.clone())
        .include(Router::new().route(route(Some("workers"))))
        .start()
        .await
        .unwrap();
    let b = App::new(broker.clone())
        .include(Router::new().route(route(Some("workers"))))
        .start()
        .await
        .unwrap();
    let watcher = App::new(broker.clone())
        .include(Router::new().route(route(None)))
        .start()
        .await
        .unwrap();
    for i in 0..100 {
        a.publisher()
            .publish(Envelope::new("jobs", format!("{i}")))
            .await
            .unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while a.metrics().finished + b.metrics().finished < 100 || watcher.metrics().finished < 100 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (ma, mb, mw) = (
        a.shutdown().await,
        b.shutdown().await,
        watcher.shutdown().await,
    );
    assert_eq!(
        ma.handled + mb.handled,
        100,
        "none lost or doubled in the group"
    );
    assert_eq!((ma.handled, mb.handled), (50, 50), "round-robin");
    assert_eq!(mw.handled, 100);
}

/// Every message published gets a correlation id, as FastStream gives one
/// to every message it publishes: a UUID string of its own, unless the
/// envelope has one.
#[tokio::test]
async fn every_message_gets_a_correlation_id() {
    let broker = MemoryBroker::recording();
    let publisher = faststream::Publisher::new(Arc::new(broker.clone()));
    for _ in 0..2 {
        publisher.publish(Envelope::new("ids", "{}")).await.unwrap();
    }
    publisher
        .publish(Envelope::new("ids", "{}").with_correlation_id("mine"))
        .await
        .unwrap();
    let ids: Vec<String> = broker
        .published_to("ids")
        .into_iter()
        .map(|e| e.correlation_id.expect("a correlation id").to_string())
        .collect();
    for id in &ids[..2] {
        let parsed = faststream::uuid::Uuid::parse_str(id).expect("a UUID string");
        assert_eq!(parsed.get_version_num(), 4, "{id}");
        assert_eq!(parsed.get_variant(), faststream::uuid::Variant::RFC4122);
        // Hyphenated, lower case, as FastStream's `str(uuid4())`.
        assert_eq!(parsed.hyphenated().to_string(), *id);
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[2], "mine");
}

/// `workers(2)` runs a route's deliveries on two tasks of the
/// multi-threaded runtime: handlers that compute (and never wait) run on
/// both of its threads at once; with one worker they share one task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_spread_a_route_over_the_runtimes_threads() {
    use std::collections::HashSet;
    async fn run(workers: usize) -> (usize, usize) {
        let threads = Arc::new(Mutex::new(HashSet::new()));
        let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (t, b, m) = (threads.clone(), busy.clone(), most.clone());
        let handler = move |_n: u32| {
            let (t, b, m) = (t.clone(), b.clone(), m.clone());
            async move {
                use std::sync::atomic::Ordering::SeqCst;
                let now = b.fetch_add(1, SeqCst) + 1;
                m.fetch_max(now, SeqCst);
                t.lock().unwrap().insert(std::thread::current().id());
                // Work that does not wait: 2 ms of the thread.
                let until = std::time::Instant::now() + Duration::from_millis(2);
                while std::time::Instant::now() < until {
                    std::hint::spin_loop();
                }
                b.fetch_sub(1, SeqCst);
                Ok::<(), faststream::HandlerError>(())
            }
        };
        let broker = MemoryBroker::new();
        let running =
            App::new(broker.clone())
                .include(Router::new().subscribe(
                    faststream::Subscriber::new("workers.spread", handler).workers(workers),
                ))
                .start()
                .await
                .unwrap();
        for i in 0..200u32 {
            running
                .publisher()
                .publish(Envelope::new("workers.spread", i.to_string()))
                .await
                .unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while running.metrics().finished < 200 {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                running.metrics()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let m = running.shutdown().await;
        assert_eq!((m.handled, m.acked), (200, 200));
        let threads = threads.lock().unwrap().len();
        (threads, most.load(std::sync::atomic::Ordering::SeqCst))
    }
    let (_, at_once) = run(1).await;
    assert_eq!(at_once, 1, "one worker: one handler runs at a time");
    let (threads, at_once) = run(2).await;
    assert_eq!(threads, 2, "two workers run on both threads");
    assert_eq!(at_once, 2, "two workers: two handlers at once");
}

#[tokio::test]
async fn unreadable_deliveries_are_refused_before_the_handler() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    async fn count(n: u32) -> Result<(), faststream::HandlerError> {
        assert_eq!(n, 7);
        CALLS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    let broker = MemoryBroker::recording();
    let app = App::new(broker.clone())
        .include(Router::new().subscriber("counts", count))
        .start()
        .await
        .unwrap();
    let p = app.publisher();
    // A content type this route cannot read, and a delivery its adapter
    // could not read whole: refused, never handed over.
    p.publish(Envelope::new("counts", "7").with_content_type("application/xml"))
        .await
        .unwrap();
    p.publish(Envelope::new("counts", "7").malformed("header `x` is not UTF-8"))
        .await
        .unwrap();
    // Its own content type (JSON, with parameters), or none: read.
    p.publish(Envelope::new("counts", "7").with_content_type("application/json; charset=utf-8"))
        .await
        .unwrap();
    p.publish(Envelope::new("counts", "7")).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.metrics().finished < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            app.metrics()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let m = app.shutdown().await;
    assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    assert_eq!((m.decode_failures, m.rejected, m.handled), (2, 2, 2));
    let reasons: Vec<String> = broker
        .dead_letters()
        .into_iter()
        .map(|d| d.reason)
        .collect();
    assert!(reasons[0].contains("`application/xml`"), "{reasons:?}");
    assert!(reasons[1].contains("not UTF-8"), "{reasons:?}");
}
