//! The service killed on an at-most-once path: what is lost is only what
//! was in flight (issue 30). The companion of `kill.rs`, whose paths lose
//! nothing.
//!
//! A service generated from `specs/fleeting.yaml` (NATS core, Redis
//! pub/sub, MQTT QoS 0 in a clean session, each set up by the document
//! alone) runs as a process of its own (this same binary, started with
//! `FLEETING_SERVICE=<path>`), connected with `faststream::connect` as a
//! generated service is. So does the service generated from
//! `specs/durable.yaml` on its RabbitMQ queue with the ack-first policy
//! (`Router::map_options`), the fourth path: the broker keeps what the
//! service has not taken, and a delivery is acked before its handler runs.
//! The test process sends 10,000 numbered messages with the generated
//! publisher at a steady 2,000 a second; the handler appends each number
//! to a file before it returns. The service is killed with SIGKILL at
//! about a third and again at two thirds of the stream, each time
//! restarted at once, then stopped with SIGTERM near the end and
//! restarted once more. Three runs per path:
//!
//! - nothing is handled that was not sent, and nothing twice;
//! - every number lost lies in a stop's window: from the first number the
//!   stopped service had not handled to the last one sent before its
//!   successor was ready (on the ack-first path, where the queue keeps
//!   what nobody took, to the last one sent before the stop: only what the
//!   service had taken and acked can be lost);
//! - per stop, the numbers lost are printed, split into those sent before
//!   the stop (in flight: taken, not yet handled, or on their way) and
//!   those sent while no service was there;
//! - the ack-first path loses nothing at the SIGTERM (the graceful stop
//!   handles what it took).
//!
//! `cargo test -p tests-reliability --all-features --test kill_at_most_once -- nats`
//! runs one path (`nats`, `redis`, `mqtt`, `rabbitmq-ack-first`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faststream::{AckPolicy, App, Context, HandlerError};
use golden::{durable, fleeting};

#[path = "common/leftovers.rs"]
mod leftovers;
#[path = "common/process.rs"]
mod process;
use process::{
    Recorder, Service, handled, log_to_stderr, out_file, run_id, runtime, seconds, wait_handled,
};

/// Set in the service process: its path.
const SERVICE: &str = "FLEETING_SERVICE";
/// Set in the service process: the file its handler appends to.
const OUT: &str = "FLEETING_OUT";
/// Numbers per run.
const COUNT: u64 = 10_000;
/// Numbers sent per millisecond.
const PER_MS: u64 = 2;
const RUNS: u32 = 3;
const PATHS: &[&str] = &["nats", "redis", "mqtt", "rabbitmq-ack-first"];
/// The longest a run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

fn main() {
    if let Ok(path) = std::env::var(SERVICE) {
        service(&path);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("kill_at_most_once: test");
        return;
    }
    let wanted: Vec<&str> = PATHS
        .iter()
        .copied()
        .filter(|p| args.iter().any(|a| a == p))
        .collect();
    let mut failures = Vec::new();
    for path in PATHS {
        if !wanted.is_empty() && !wanted.contains(path) {
            continue;
        }
        for run in 1..=RUNS {
            match run_once(path, run) {
                Ok(report) => println!("kill test (at most once) {path} run {run}: {report}"),
                Err(e) => {
                    println!("kill test (at most once) {path} run {run}: FAILED: {e}");
                    failures.push(format!("{path} run {run}: {e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "kill tests (at most once) failed:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- service

impl fleeting::Handler for Recorder {
    async fn on_number(
        &self,
        message: fleeting::models::Number,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.record(&message.run, message.n)
    }
}

impl durable::Handler for Recorder {
    async fn on_number(
        &self,
        message: durable::models::Number,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.record(&message.run, message.n)
    }
}

/// The document's server a path connects to.
fn server(path: &str) -> &'static faststream::Server {
    match path {
        "nats" => &fleeting::servers::NATS,
        "redis" => &fleeting::servers::REDIS,
        "mqtt" => &fleeting::servers::MQTT,
        "rabbitmq-ack-first" => &durable::servers::RABBITMQ,
        other => panic!("no path `{other}`"),
    }
}

fn service(path: &str) {
    let recorder = Recorder::from_env(OUT);
    let runtime = runtime();
    log_to_stderr();
    runtime.block_on(async {
        let broker = faststream::connect(server(path))
            .await
            .unwrap_or_else(|e| panic!("the `{path}` server is required: {e}"));
        let router = if path == "rabbitmq-ack-first" {
            durable::router(recorder).map_options(|o| o.ack = AckPolicy::AckFirst)
        } else {
            fleeting::router(recorder)
        };
        App::with_broker(broker)
            .include(router)
            .run()
            .await
            .expect("the service runs");
    });
}

// ---------------------------------------------------------------- driver

fn start(path: &str, out: &Path) -> Service {
    Service::start(vec![
        (SERVICE.to_owned(), path.to_owned()),
        (OUT.to_owned(), out.display().to_string()),
    ])
}

/// One stop of the service and what it cost.
struct Stop {
    graceful: bool,
    /// Numbers sent when the service was stopped.
    sent: u64,
    /// The first number the stopped service had not handled (at or after
    /// the previous stop's window).
    first_gap: u64,
    /// Numbers sent when its successor was ready.
    ready: u64,
}

/// One run: numbers sent at a steady pace while the service is killed
/// twice, stopped once and restarted each time.
fn run_once(path: &str, run: u32) -> Result<String, String> {
    let runtime = runtime();
    // The ack-first path's queue keeps what an earlier run left.
    let keeps = path == "rabbitmq-ack-first";
    if keeps {
        runtime.block_on(leftovers::remove("rabbitmq"));
    }
    let run_id = run_id(run);
    let out = out_file(&format!("at-most-once-{path}-{run}.txt"));

    let mut service = start(path, &out);
    service.wait_ready(Duration::from_secs(60))?;

    let sent = Arc::new(AtomicU64::new(0));
    let publishing = {
        let sent = sent.clone();
        let run_id = run_id.clone();
        let broker = runtime
            .block_on(faststream::connect(server(path)))
            .map_err(|e| e.to_string())?;
        runtime.spawn(async move {
            let app = App::with_broker(broker)
                .start()
                .await
                .expect("the publisher starts");
            let to_queue = durable::Publisher::new(app.publisher().clone());
            let fleeting = fleeting::Publisher::new(app.publisher().clone());
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            for n in 0..COUNT {
                if n % PER_MS == 0 {
                    tick.tick().await;
                }
                let (run, n_) = (run_id.clone(), n as i64);
                if keeps {
                    to_queue
                        .send_number(&durable::models::Number { run, n: n_ })
                        .await
                } else {
                    fleeting
                        .send_number(&fleeting::models::Number { run, n: n_ })
                        .await
                }
                .expect("published");
                sent.store(n + 1, Ordering::SeqCst);
            }
            app.shutdown().await;
        })
    };

    let started = Instant::now();
    let mut stops: Vec<Stop> = Vec::new();
    let mut readiness = Vec::new();
    for (at, graceful) in [
        (COUNT / 3, false),
        (2 * COUNT / 3, false),
        (COUNT * 17 / 20, true),
    ] {
        wait_handled(&out, &run_id, RUN_TIMEOUT, |seen| {
            seen.iter().max().is_some_and(|&m| m >= at)
        })
        .map_err(|e| format!("waiting for {at} before stop {}: {e}", stops.len() + 1))?;
        let sent_at_stop = sent.load(Ordering::SeqCst);
        if graceful {
            service.terminate()?;
        } else {
            service.kill();
        }
        let distinct: BTreeSet<u64> = handled(&out, &run_id).into_iter().collect();
        let from = stops.last().map_or(0, |s| s.ready);
        let first_gap = (from..).find(|n| !distinct.contains(n)).unwrap_or(COUNT);
        let restarted = Instant::now();
        service = start(path, &out);
        service.wait_ready(Duration::from_secs(60))?;
        readiness.push(restarted.elapsed());
        let ready = sent.load(Ordering::SeqCst);
        stops.push(Stop {
            graceful,
            sent: sent_at_stop,
            first_gap,
            ready,
        });
        // The successor handles what is sent once it is ready.
        wait_handled(&out, &run_id, RUN_TIMEOUT, |seen| {
            seen.iter().any(|&n| n >= ready)
        })
        .map_err(|e| {
            format!(
                "waiting for a number sent after restart {} ({ready} sent then): {e}",
                stops.len()
            )
        })?;
    }
    runtime
        .block_on(publishing)
        .map_err(|e| format!("publishing failed: {e}"))?;
    wait_handled(&out, &run_id, RUN_TIMEOUT, |seen| {
        seen.contains(&(COUNT - 1))
    })
    .map_err(|e| {
        let seen: BTreeSet<u64> = handled(&out, &run_id).into_iter().collect();
        let missing: Vec<u64> = (0..COUNT).filter(|n| !seen.contains(n)).collect();
        format!(
            "waiting for the last number: {e}; missing {} numbers, the last ones {:?}",
            missing.len(),
            &missing[missing.len().saturating_sub(20)..]
        )
    })?;
    let elapsed = started.elapsed();
    service.terminate()?;
    let seen = handled(&out, &run_id);

    if let Some(n) = seen.iter().find(|&&n| n >= COUNT) {
        return Err(format!("number {n} was handled but never sent"));
    }
    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
    if distinct.len() != seen.len() {
        return Err(format!(
            "{} numbers were handled more than once on an at-most-once path",
            seen.len() - distinct.len()
        ));
    }
    // Each number lost, by the stop whose window holds it.
    let mut lost = vec![(0u64, 0u64); stops.len()];
    for n in (0..COUNT).filter(|n| !distinct.contains(n)) {
        let window = stops.iter().position(|s| {
            let end = if keeps { s.sent } else { s.ready };
            (s.first_gap..end).contains(&n)
        });
        let Some(i) = window else {
            return Err(format!(
                "number {n} was lost outside any stop's window (stops at {:?})",
                stops
                    .iter()
                    .map(|s| (s.first_gap, s.sent, s.ready))
                    .collect::<Vec<_>>()
            ));
        };
        if n < stops[i].sent {
            lost[i].0 += 1;
        } else {
            lost[i].1 += 1;
        }
    }
    if let Some((_, (taken, _))) = stops.iter().zip(&lost).find(|(s, _)| s.graceful)
        && keeps
        && *taken > 0
    {
        return Err(format!(
            "the ack-first service lost {taken} numbers it had taken at its SIGTERM"
        ));
    }
    let per_stop: Vec<String> = stops
        .iter()
        .zip(&lost)
        .map(|(s, (in_flight, away))| {
            format!(
                "{}: {} ({in_flight} in flight, {away} sent while away)",
                if s.graceful { "SIGTERM" } else { "kill" },
                in_flight + away
            )
        })
        .collect();
    let report = format!(
        "{} of {COUNT} handled in {:.1} s, none twice; lost at each stop: {}; ready after each restart: {}",
        distinct.len(),
        elapsed.as_secs_f64(),
        per_stop.join(", "),
        seconds(&readiness),
    );
    let _ = std::fs::remove_file(&out);
    Ok(report)
}
