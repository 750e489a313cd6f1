//! Fault tests: a broker this test starts itself, on a spare port and a
//! data directory of its own (the shared brokers are not disturbed), is
//! killed with SIGKILL while 10,000 messages are being published, and
//! started again on the same port and data. Every message must have been
//! handled at least once afterwards, and the service must still be
//! consuming.
//!
//! Durable consumption only: JetStream (file storage), Redis streams (AOF,
//! fsync on every write), RabbitMQ durable queues (persistent messages,
//! publisher confirms), Kafka (tansu with sqlite storage, a consumer
//! group committing after handling) and MQTT 5 (Mosquitto persisting every
//! change, QoS 1, a persistent session). The publisher in the test retries a publish that
//! failed, as an application that wants at-least-once must.
//!
//! Redis pub/sub, at most once, is checked for what it promises: the
//! subscriber subscribes again after the restart.

#![cfg(any(
    feature = "nats",
    feature = "redis",
    feature = "amqp",
    feature = "kafka",
    feature = "mqtt"
))]

mod common;

use std::collections::HashSet;
#[cfg(any(feature = "nats", feature = "kafka", feature = "mqtt"))]
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Server, spare_port};

use faststream::__codegen::{ErasedHandler, Failure, decode_payload};
use faststream::{App, Broker, Envelope, Route, Router, SubscriberOptions};

const MESSAGES: u32 = 10_000;

/// One fault test at a time: a broker restarting on a loaded two-core
/// machine (RabbitMQ's boot especially) is slow enough without the others
/// restarting theirs beside it.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// The broker is killed once this many messages were published.
const KILL_AT: u32 = 3_000;
const DEADLINE: Duration = Duration::from_secs(180);

/// A handler that records which message numbers it saw.
fn counting(seen: Arc<Mutex<HashSet<u32>>>, calls: Arc<Mutex<u64>>) -> ErasedHandler {
    Arc::new(move |envelope: Arc<Envelope>, _ctx| {
        let (seen, calls) = (seen.clone(), calls.clone());
        Box::pin(async move {
            let value: faststream::__codegen::Value =
                decode_payload(&envelope.payload).map_err(Failure::Decode)?;
            let n = value["n"].as_u64().and_then(|n| u32::try_from(n).ok());
            let n = n.expect("every test message has a number");
            seen.lock().unwrap().insert(n);
            *calls.lock().unwrap() += 1;
            Ok(None)
        })
    })
}

/// Publishes 10,000 messages to `address` through `broker`, kills the
/// server after the first 3,000 and starts it again, then waits until the
/// service (subscribed in `group`) handled every message.
async fn survives_a_restart(
    broker: Arc<dyn Broker>,
    address: &str,
    group: Option<&str>,
    mut server: Server,
) -> Server {
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let calls = Arc::new(Mutex::new(0u64));
    let router = Router::new().route(Route {
        operation: "faults".into(),
        address: address.to_owned(),
        options: SubscriberOptions {
            group: group.map(str::to_owned),
            ..SubscriberOptions::default()
        },
        handler: counting(seen.clone(), calls.clone()),
    });
    let app = App::with_broker(broker.clone())
        .include(router)
        .start()
        .await
        .expect("the service starts");

    let started = Instant::now();
    let mut failed_publishes = 0u32;
    for n in 0..MESSAGES {
        if n == KILL_AT {
            server.kill();
            // Publishing goes on while the broker is down, then it comes
            // back on the same port with the same data.
            let restart = tokio::task::spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(500));
                server.start();
                server
            });
            publish_retrying(&*broker, address, n, &mut failed_publishes, started).await;
            server = restart.await.expect("the server restarts");
            continue;
        }
        publish_retrying(&*broker, address, n, &mut failed_publishes, started).await;
    }
    let published_in = started.elapsed();

    while seen.lock().unwrap().len() < MESSAGES as usize {
        if started.elapsed() >= DEADLINE {
            let seen = seen.lock().unwrap();
            let missing: Vec<u32> = (0..MESSAGES)
                .filter(|n| !seen.contains(n))
                .take(20)
                .collect();
            eprintln!("{}: never handled: {missing:?}", server.name);
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{}: only {} of {MESSAGES} messages handled within {DEADLINE:?} (metrics: {:?})",
            server.name,
            seen.lock().unwrap().len(),
            app.metrics()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = app.metrics();
    assert_eq!(
        metrics.subscribers, 1,
        "{}: the service stopped consuming",
        server.name
    );
    let calls = *calls.lock().unwrap();
    eprintln!(
        "{}: {MESSAGES} distinct messages handled ({calls} handler calls, {} redelivered) in {:.1} s; \
         {failed_publishes} publish attempts failed while the broker was down; all published after {:.1} s",
        server.name,
        calls - u64::from(MESSAGES),
        started.elapsed().as_secs_f64(),
        published_in.as_secs_f64()
    );
    app.shutdown().await;
    server
}

async fn publish_retrying(
    broker: &dyn Broker,
    address: &str,
    n: u32,
    failures: &mut u32,
    started: Instant,
) {
    loop {
        let envelope = Envelope::new(address, format!("{{\"n\":{n}}}").into_bytes())
            .with_content_type("application/json");
        match broker.publish(envelope).await {
            Ok(()) => return,
            Err(e) => {
                *failures += 1;
                assert!(
                    started.elapsed() < DEADLINE,
                    "message {n} could not be published within {DEADLINE:?}: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[cfg(feature = "nats")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_survives_a_broker_restart() {
    let _one_at_a_time = SERIAL.lock().await;
    use faststream::nats::{JetStreamBroker, StreamSettings};
    let port = spare_port();
    let mut server = Server::new("nats-server", port, move |dir| {
        let mut c = Command::new("nats-server");
        c.args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.join("jetstream"));
        c
    });
    server.start();
    let broker = JetStreamBroker::connect(
        &format!("nats://127.0.0.1:{port}"),
        vec![StreamSettings {
            name: "faults".into(),
            subjects: vec!["faults.>".into()],
        }],
    )
    .await
    .expect("connects to the test's own nats-server");
    survives_a_restart(Arc::new(broker), "faults.orders", Some("faults"), server).await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_streams_survive_a_broker_restart() {
    let _one_at_a_time = SERIAL.lock().await;
    use faststream::redis::RedisStreamBroker;
    let port = spare_port();
    let mut server = common::redis(port, &["--appendonly", "yes", "--appendfsync", "always"]);
    server.start();
    let mut broker =
        RedisStreamBroker::connect(&format!("redis://127.0.0.1:{port}"), vec!["faults.".into()])
            .await
            .expect("connects to the test's own redis-server");
    broker.claim_idle = Duration::from_secs(5);
    survives_a_restart(Arc::new(broker), "faults.orders", Some("faults"), server).await;
}

#[cfg(feature = "amqp")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_durable_queues_survive_a_broker_restart() {
    let _one_at_a_time = SERIAL.lock().await;
    use faststream::amqp::AmqpBroker;
    let port = spare_port();
    let mut server = common::rabbitmq(port, move |_| {
        format!("listeners.tcp.local = 127.0.0.1:{port}\n")
    });
    server.start();
    let broker = AmqpBroker::connect(
        &format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
        "amq.topic",
    )
    .await
    .expect("connects to the test's own rabbitmq-server");
    survives_a_restart(Arc::new(broker), "faults.orders", Some("faults"), server).await;
}

/// Redis pub/sub is at most once: what is published while the server is
/// down is lost, but the subscriber must subscribe again on a new
/// connection and handle what comes after.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pubsub_subscribes_again_after_a_restart() {
    let _one_at_a_time = SERIAL.lock().await;
    use faststream::redis::RedisBroker;
    let port = spare_port();
    let mut server = common::redis(port, &[]);
    server.start();
    let broker = Arc::new(
        RedisBroker::connect(&format!("redis://127.0.0.1:{port}"))
            .await
            .expect("connects to the test's own redis-server"),
    );
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let calls = Arc::new(Mutex::new(0u64));
    let app = App::with_broker(broker.clone())
        .include(Router::new().route(Route {
            operation: "resubscribe".into(),
            address: "resub.{id}".into(),
            options: SubscriberOptions::default(),
            handler: counting(seen.clone(), calls.clone()),
        }))
        .start()
        .await
        .expect("the service starts");

    // Publishes numbers from `from` until one of them is handled.
    let until_handled = |from: u32| {
        let (broker, seen) = (broker.clone(), seen.clone());
        async move {
            let started = Instant::now();
            let mut failures = 0;
            for n in from.. {
                publish_retrying(&*broker, &format!("resub.{n}"), n, &mut failures, started).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(&n) = seen.lock().unwrap().iter().find(|&&s| s >= from) {
                    return n;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "nothing published since message {from} was handled within 30 s"
                );
            }
            unreachable!()
        }
    };
    until_handled(0).await;
    server.kill();
    server.start();
    let after = until_handled(1_000).await;
    assert!(after >= 1_000);
    assert_eq!(
        app.metrics().subscribers,
        1,
        "the service stopped consuming"
    );
    app.shutdown().await;
}

/// The tansu binary (`cargo xtask ci` passes the one it installed).
#[cfg(feature = "kafka")]
fn tansu() -> String {
    std::env::var("FASTSTREAM_TANSU").unwrap_or_else(|_| "tansu".into())
}

/// tansu of the test's own on a spare port, storing in sqlite in its data
/// directory (so that topics, messages and committed offsets survive a
/// SIGKILL).
#[cfg(feature = "kafka")]
fn tansu_server(port: u16) -> Server {
    Server::new("tansu", port, move |dir| {
        let mut c = Command::new(tansu());
        let url = format!("tcp://127.0.0.1:{port}");
        c.current_dir(dir).args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
            "--storage-engine",
            "sqlite://tansu.db",
        ]);
        c
    })
}

#[cfg(feature = "kafka")]
async fn kafka_broker(url: &str, partitions: i32) -> faststream::kafka::KafkaBroker {
    use faststream::kafka::{KafkaBroker, KafkaSettings};
    let settings = KafkaSettings {
        create_topics: true,
        partitions,
        ..KafkaSettings::default()
    };
    KafkaBroker::connect_with(url, faststream::ConnectOptions::default(), settings)
        .await
        .unwrap_or_else(|e| panic!("Kafka at {url}: {e}"))
}

#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_consumer_group_survives_a_broker_restart() {
    let _one_at_a_time = SERIAL.lock().await;
    let port = spare_port();
    let mut server = tansu_server(port);
    server.start();
    let broker = kafka_broker(&format!("127.0.0.1:{port}"), 3).await;
    survives_a_restart(Arc::new(broker), "faults.orders", Some("faults"), server).await;
}

/// Two instances of a service in one consumer group split the topic's
/// partitions; when one stops, the other takes its partitions over and
/// nothing is lost (on the shared Kafka, with a topic and group of the
/// test's own, deleted at the end).
#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_group_members_split_partitions_and_take_over() {
    let _one_at_a_time = SERIAL.lock().await;
    let url = std::env::var("FASTSTREAM_KAFKA_URL").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let broker = Arc::new(kafka_broker(&url, 4).await);
    let id = faststream::__codegen::uuid::Uuid::new_v4()
        .simple()
        .to_string();
    let topic = format!("kfaults.{id}");
    let instance = |seen: Arc<Mutex<HashSet<u32>>>, calls: Arc<Mutex<u64>>| {
        let router = Router::new().route(Route {
            operation: "takeover".into(),
            address: topic.clone(),
            options: SubscriberOptions {
                group: Some(format!("takeover-{id}")),
                ..SubscriberOptions::default()
            },
            handler: counting(seen, calls),
        });
        App::with_broker(broker.clone()).include(router).start()
    };
    let (seen_a, calls_a) = (Arc::default(), Arc::new(Mutex::new(0)));
    let (seen_b, calls_b) = (Arc::default(), Arc::new(Mutex::new(0)));
    let a = instance(Arc::clone(&seen_a), calls_a.clone())
        .await
        .expect("instance A starts");
    let b = instance(Arc::clone(&seen_b), calls_b.clone())
        .await
        .expect("instance B starts");
    let union = |a: &Mutex<HashSet<u32>>, b: &Mutex<HashSet<u32>>| {
        a.lock().unwrap().union(&b.lock().unwrap()).count()
    };
    let started = Instant::now();
    let mut failures = 0;
    const HALF: u32 = 2_000;
    for n in 0..HALF {
        publish_keyed(&*broker, &topic, n, &mut failures, started).await;
    }
    while union(&seen_a, &seen_b) < HALF as usize {
        assert!(
            started.elapsed() < DEADLINE,
            "only {} of {HALF} handled by the two instances",
            union(&seen_a, &seen_b)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (by_a, by_b) = (seen_a.lock().unwrap().len(), seen_b.lock().unwrap().len());
    assert!(
        by_a > 0 && by_b > 0,
        "both instances got partitions: A handled {by_a}, B {by_b}"
    );
    // A stops; B takes its partitions over.
    a.shutdown().await;
    let b_before = seen_b.lock().unwrap().len();
    for n in HALF..2 * HALF {
        publish_keyed(&*broker, &topic, n, &mut failures, started).await;
    }
    while union(&seen_a, &seen_b) < 2 * HALF as usize {
        if started.elapsed() >= DEADLINE {
            let all: HashSet<u32> = seen_a
                .lock()
                .unwrap()
                .union(&seen_b.lock().unwrap())
                .copied()
                .collect();
            let missing: Vec<u32> = (0..2 * HALF).filter(|n| !all.contains(n)).collect();
            eprintln!(
                "missing {missing:?}; topic holds {:?}",
                broker.message_count(&topic).await
            );
        }
        assert!(
            started.elapsed() < DEADLINE,
            "only {} of {} handled after instance A stopped (B: {:?})",
            union(&seen_a, &seen_b),
            2 * HALF,
            b.metrics()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after: HashSet<u32> = seen_b
        .lock()
        .unwrap()
        .iter()
        .copied()
        .filter(|&n| n >= HALF)
        .collect();
    assert_eq!(
        after.len(),
        HALF as usize,
        "B handled every message published after A stopped"
    );
    eprintln!(
        "kafka group: A handled {by_a}, B {b_before} of the first {HALF}; B handled all {HALF} after A stopped ({} handler calls in all)",
        *calls_a.lock().unwrap() + *calls_b.lock().unwrap()
    );
    b.shutdown().await;
    broker
        .delete_topics(&[topic.as_str()])
        .await
        .expect("the test topic is deleted");
}

/// Publishes message `n` with a key of its own (so the messages spread
/// over the partitions).
#[cfg(feature = "kafka")]
async fn publish_keyed(
    broker: &dyn Broker,
    topic: &str,
    n: u32,
    failures: &mut u32,
    started: Instant,
) {
    loop {
        let mut envelope = Envelope::new(topic, format!("{{\"n\":{n}}}").into_bytes())
            .with_content_type("application/json");
        envelope.meta.insert("key".into(), format!("k{n}"));
        match broker.publish(envelope).await {
            Ok(()) => return,
            Err(e) => {
                *failures += 1;
                assert!(
                    started.elapsed() < DEADLINE,
                    "message {n} could not be published: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Mosquitto of the test's own on a spare port, persisting its state on
/// every change (so that a SIGKILL loses nothing it acknowledged).
#[cfg(feature = "mqtt")]
fn mosquitto_server(port: u16) -> Server {
    Server::new("mosquitto", port, move |dir| {
        // Started as root, Mosquitto runs as its own user: it must be able
        // to write its database here (else it persists nothing).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
            .expect("the data directory is writable for mosquitto");
        let config = dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nautosave_interval 1\nautosave_on_changes true\nmax_queued_messages 100000\n",
                dir.display()
            ),
        )
        .expect("the mosquitto config");
        let mut c = Command::new("mosquitto");
        c.arg("-c").arg(&config);
        c
    })
}

/// QoS 1 with a persistent session: the subscriber's session (its
/// subscription and what is queued for it) survives the broker's restart,
/// and a publish the broker did not acknowledge is published again. The
/// subscriber has no group: Mosquitto 2.0 does not restore a shared
/// subscription (`$share/...`) from its database, so a message published
/// after a restart and before the subscriber is back would have no
/// subscriber (the broker says so: "no matching subscribers").
#[cfg(feature = "mqtt")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_qos1_persistent_session_survives_a_broker_restart() {
    let _one_at_a_time = SERIAL.lock().await;
    use faststream::mqtt::{MqttBroker, MqttSettings};
    let port = spare_port();
    let mut server = mosquitto_server(port);
    server.start();
    let settings = MqttSettings {
        qos: 1,
        clean_start: false,
        ..MqttSettings::default()
    };
    let broker = MqttBroker::connect_with(
        &format!("mqtt://127.0.0.1:{port}"),
        faststream::ConnectOptions::default(),
        settings,
    )
    .await
    .expect("connects to the test's own mosquitto");
    let server = survives_a_restart(Arc::new(broker), "faults/orders", None, server).await;
    // The sessions survived through Mosquitto's database.
    assert!(
        server.dir.join("mosquitto.db").exists(),
        "mosquitto wrote no database in {}",
        server.dir.display()
    );
}
