//! The service killed mid-stream loses nothing: a service generated from
//! `specs/durable.yaml` runs as a process of its own (this same binary,
//! started with `DURABLE_SERVICE=<server>`), connected with
//! `faststream::connect(&servers::NAME)` as a generated service is. The
//! test process sends it 10,000 numbered messages with the generated
//! publisher, as fast as the broker takes them; the service's handler
//! appends each number to a file before it returns. The service is killed with SIGKILL at about a third and
//! again at two thirds of the stream, each time restarted at once, then
//! stopped with SIGTERM near the end and restarted once more.
//!
//! On each at-least-once path (a Redis stream read by a consumer group, a
//! durable RabbitMQ queue, a Kafka consumer group, a JetStream durable
//! consumer, MQTT QoS 1 in a persistent session), each set up by the
//! document's bindings alone, three runs each:
//!
//! - every number is handled at least once, and nothing is handled that
//!   was not published;
//! - a number handled before a SIGKILL may come again after it (it was in
//!   flight: handled, not yet acked); those duplicates are counted and
//!   printed;
//! - a number the service stopped with SIGTERM handled never comes again
//!   (the graceful stop acks what it handled). One a killed instance
//!   handled before it may still come again after the SIGTERM: the
//!   SIGTERM can come before the broker has handed it back (MQTT resends
//!   a session's unacked messages on reconnect, and the stopped service
//!   gives back what it had not handled); it counts as that kill's
//!   duplicate;
//! - the time from each restart until the first number the stopped
//!   service left unhandled and the 100 after it have been handled (what
//!   the service held when it stopped, pending on the broker, and the
//!   first of what follows) is printed, and must be at most 5 s (10 s on
//!   Kafka on tansu: see `KAFKA_RECOVERY`). On JetStream it is the binding's ack
//!   wait (3 s) and the restart: the server sends a dead consumer's unacked
//!   messages again only when their ack wait is over.
//!
//! `cargo test -p tests-reliability --all-features --test kill -- redis` runs one
//! path. The test needs the `http` feature: it waits for the service's
//! `/health/ready`, as an orchestrator does. With `KILL_MQTT_DEBUG` set,
//! the test's Mosquitto logs every packet (each PUBLISH and PUBACK with
//! its client and packet id) into `target/tmp/kill/mosquitto-PORT.log`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faststream::{App, Context, HandlerError};
use golden::durable;

#[path = "common/leftovers.rs"]
mod leftovers;
#[path = "common/process.rs"]
mod process;
use process::{
    Mosquitto, Recorder, Service, covers, handled, log_to_stderr, out_file, run_id, runtime,
    seconds, wait_handled,
};

/// Set in the service process: which of the document's servers it
/// connects to.
const SERVICE: &str = "DURABLE_SERVICE";
/// Set in the service process: the file its handler appends to.
const OUT: &str = "DURABLE_OUT";
/// Numbers per run.
const COUNT: u64 = 10_000;
const RUNS: u32 = 3;
/// The paths, by the document's server names.
const PATHS: &[&str] = &["redis", "rabbitmq", "kafka", "nats", "mqtt"];
/// The longest a restart may take to hand back what the stopped service
/// held, on paths where the broker hands it over at once.
const RECOVERY: Duration = Duration::from_secs(5);
/// The same on Kafka. The service is a static member of its group (it
/// is named by `FASTSTREAM_INSTANCE`): restarted, it takes its partition
/// back without waiting for its old session to time out, but tansu holds
/// each static member's join and then its sync for 3 s (about 6 s in
/// all); a broker that does not (Kafka's own) hands it back at once.
const KAFKA_RECOVERY: Duration = Duration::from_secs(10);
/// Numbers after the first one a stopped service left unhandled that
/// its successor must have handled to count as recovered (more than any
/// path's prefetch).
const WINDOW: u64 = 100;
/// The longest a run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    if let Ok(server) = std::env::var(SERVICE) {
        service(&server);
        return;
    }
    // `cargo test` passes libtest's arguments to every test binary: a
    // path's name runs that path alone, `--list` lists the one test, and
    // the rest is ignored.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("kill: test");
        return;
    }
    let wanted: Vec<&str> = PATHS
        .iter()
        .copied()
        .filter(|p| args.iter().any(|a| a == p))
        .collect();
    // MQTT goes through a Mosquitto of the test's own: one that keeps
    // every message queued for an absent persistent session (the shared
    // one, as Mosquitto is by default, keeps 1,000 and drops the rest
    // while a stopped service is away).
    let mut mosquitto = (wanted.is_empty() || wanted.contains(&"mqtt")).then(|| {
        let mosquitto = Mosquitto::start();
        let host: &'static str = format!("127.0.0.1:{}", mosquitto.port).leak();
        MQTT_HOST.set(host).unwrap();
        mosquitto
    });
    let mut failures = Vec::new();
    for path in PATHS {
        if !wanted.is_empty() && !wanted.contains(path) {
            continue;
        }
        for run in 1..=RUNS {
            match run_once(path, run) {
                Ok(report) => println!("kill test {path} run {run}: {report}"),
                Err(mut e) => {
                    if *path == "mqtt"
                        && let Some(m) = &mut mosquitto
                    {
                        // What the broker was doing, for the next reader.
                        e.push_str(&m.state());
                    }
                    println!("kill test {path} run {run}: FAILED: {e}");
                    failures.push(format!("{path} run {run}: {e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "kill tests failed:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- service

impl durable::Handler for Recorder {
    async fn on_number(
        &self,
        message: durable::models::Number,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.record(&message.run, message.n)
    }
}

/// Where the test's own Mosquitto listens (`host:port`).
static MQTT_HOST: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// The document's server for a path, as the test deploys it: the MQTT
/// one on the test's own Mosquitto (the service is told so by
/// `FASTSTREAM_SERVER_MQTT_URL`, as a deployment tells it).
fn target(name: &str) -> faststream::Server {
    let mut s = *server(name);
    if name == "mqtt" {
        s.host = MQTT_HOST.get().expect("the test's Mosquitto runs");
    }
    s
}

fn server(name: &str) -> &'static faststream::Server {
    match name {
        "redis" => &durable::servers::REDIS,
        "rabbitmq" => &durable::servers::RABBITMQ,
        "kafka" => &durable::servers::KAFKA,
        "nats" => &durable::servers::NATS,
        "mqtt" => &durable::servers::MQTT,
        other => panic!("no server `{other}` in specs/durable.yaml"),
    }
}

fn service(name: &str) {
    let recorder = Recorder::from_env(OUT);
    let runtime = runtime();
    log_to_stderr();
    runtime.block_on(async {
        let broker = faststream::connect(server(name))
            .await
            .unwrap_or_else(|e| panic!("the `{name}` server is required: {e}"));
        App::with_broker(broker)
            .include(durable::router(recorder))
            .run()
            .await
            .expect("the service runs");
    });
}

/// The service for `path`, writing to `out`.
fn start(path: &str, out: &Path) -> Service {
    let mut envs = vec![
        (SERVICE.to_owned(), path.to_owned()),
        (OUT.to_owned(), out.display().to_string()),
        // The name a deployment gives each instance (a pod's): the
        // restarted service is the same Redis stream consumer.
        (
            faststream::INSTANCE_VAR.to_owned(),
            "golden-durable-1".to_owned(),
        ),
    ];
    if let Some(host) = MQTT_HOST.get() {
        envs.push((
            durable::servers::MQTT.env_name("url"),
            format!("mqtt://{host}"),
        ));
    }
    Service::start(envs)
}

/// Removes what an earlier run left ([`leftovers::remove`]).
fn prepare(path: &str, runtime: &tokio::runtime::Runtime) {
    runtime.block_on(leftovers::remove(path));
}

/// One run: numbers sent while the service is killed twice, stopped once
/// and restarted each time.
fn run_once(path: &str, run: u32) -> Result<String, String> {
    let runtime = runtime();
    prepare(path, &runtime);
    let run_id = run_id(run);
    let out = out_file(&format!("{path}-{run}.txt"));

    let mut service = start(path, &out);
    service.wait_ready(Duration::from_secs(60))?;

    // The numbers go out from this process, in order, with the generated
    // publisher; `sent` counts those the broker took.
    let sent = Arc::new(AtomicU64::new(0));
    let publishing = {
        let sent = sent.clone();
        let run_id = run_id.clone();
        let broker = runtime
            .block_on(faststream::connect(&target(path)))
            .map_err(|e| e.to_string())?;
        runtime.spawn(async move {
            let app = App::with_broker(broker)
                .start()
                .await
                .expect("the publisher starts");
            let publisher = durable::Publisher::new(app.publisher().clone());
            for n in 0..COUNT {
                let number = durable::models::Number {
                    run: run_id.clone(),
                    n: n as i64,
                };
                publisher.send_number(&number).await.expect("published");
                sent.store(n + 1, Ordering::SeqCst);
            }
            app.shutdown().await;
        })
    };

    let started = Instant::now();
    let mut recoveries = Vec::new();
    let mut readiness = Vec::new();
    // The first number handled after each restart.
    let mut resumed = Vec::new();
    // Lines in the file when each stop happened: handled before it.
    let mut cuts = Vec::new();
    for (at, graceful) in [
        (COUNT / 3, false),
        (2 * COUNT / 3, false),
        (COUNT * 17 / 20, true),
    ] {
        wait_handled(&out, &run_id, RUN_TIMEOUT, |seen| {
            seen.iter().collect::<BTreeSet<_>>().len() as u64 >= at
        })?;
        if graceful {
            service.terminate()?;
        } else {
            service.kill();
        }
        let seen = handled(&out, &run_id);
        cuts.push(seen.len());
        // The first number not handled yet: the stopped service held it,
        // or it was still to come. Recovered when it and the next WINDOW
        // (more than a prefetch) are handled: what the service held comes
        // back before what follows it.
        let distinct: BTreeSet<u64> = seen.iter().copied().collect();
        let first_gap = (0..).find(|n| !distinct.contains(n)).unwrap_or(COUNT);
        let restarted = Instant::now();
        service = start(path, &out);
        service.wait_ready(Duration::from_secs(60))?;
        readiness.push(restarted.elapsed());
        wait_handled(&out, &run_id, RUN_TIMEOUT, |seen| {
            covers(seen, (first_gap + WINDOW).min(COUNT))
        })?;
        recoveries.push(restarted.elapsed());
        resumed.push(handled(&out, &run_id).get(cuts[cuts.len() - 1]).copied());
    }
    wait_handled(&out, &run_id, RUN_TIMEOUT, |seen| covers(seen, COUNT))?;
    runtime
        .block_on(publishing)
        .map_err(|e| format!("publishing failed: {e}"))?;
    let elapsed = started.elapsed();
    // Anything still in flight is handled before the count.
    service.terminate()?;
    let seen = handled(&out, &run_id);

    // Nothing handled that was not sent.
    if let Some(n) = seen.iter().find(|&&n| n >= COUNT) {
        return Err(format!("number {n} was handled but never sent"));
    }
    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
    if distinct.len() as u64 != COUNT {
        return Err(format!("{} of {COUNT} numbers handled", distinct.len()));
    }
    // Duplicates at each kill: handled before it (after the stop before),
    // and again after.
    let again_after = |from: usize, cut: usize| {
        let before: BTreeSet<u64> = seen[from..cut].iter().copied().collect();
        seen[cut..].iter().filter(|n| before.contains(n)).count()
    };
    let duplicates = [again_after(0, cuts[0]), again_after(cuts[0], cuts[1])];
    let total_duplicates = seen.len() as u64 - COUNT;
    // Nothing the gracefully stopped instance handled comes again after
    // it (what the killed ones handled before it is counted above).
    let after_stop = again_after(cuts[1], cuts[2]);
    // What the killed instances handled and the broker handed back only
    // after the SIGTERM (part of the kills' duplicates).
    let late = {
        let before: BTreeSet<u64> = seen[..cuts[1]].iter().copied().collect();
        seen[cuts[2]..]
            .iter()
            .filter(|n| before.contains(n))
            .count()
    };
    if after_stop != 0 {
        return Err(format!(
            "{after_stop} numbers the service handled before its SIGTERM came again after it"
        ));
    }
    let limit = if path == "kafka" {
        KAFKA_RECOVERY
    } else {
        RECOVERY
    };
    let slow: Vec<_> = recoveries.iter().filter(|r| **r > limit).collect();
    let report = format!(
        "{COUNT} handled in {:.1} s; duplicates after kill 1: {}, kill 2: {}, SIGTERM: {after_stop} ({total_duplicates} in all, {late} of the kills' after the SIGTERM); recovery after each restart: {}; ready after each restart: {}; first number handled after each: {resumed:?}",
        elapsed.as_secs_f64(),
        duplicates[0],
        duplicates[1],
        seconds(&recoveries),
        seconds(&readiness),
    );
    if !slow.is_empty() {
        return Err(format!("recovery took more than {limit:?}: {report}"));
    }
    let _ = std::fs::remove_file(&out);
    Ok(report)
}
