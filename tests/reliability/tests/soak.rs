//! The soak: many messages through generated services, watching for what
//! grows. Three phases, one after the other, in this process:
//!
//! - `nats`: one-way messages through the service generated from
//!   `specs/orders.yaml`, on NATS core;
//! - `requests`: request/replies with the same service's generated client
//!   publisher, on NATS core;
//! - `redis`: one-way messages through the service generated from
//!   `specs/durable.yaml`, on a Redis stream read by a consumer group.
//!
//! Each phase prints its figures: resident memory before the service
//! starts, once a tenth of the stream went through (the warm-up), at the
//! end and after shutdown; open file descriptors and live tokio tasks
//! before the service starts and after it stopped; the throughput of the
//! first and the last sampling window. It checks that every message was
//! handled, that memory grew by at most `GROWTH` after the warm-up, and
//! that no file descriptor and no task is left behind.
//!
//! `cargo test -p tests-reliability --all-features --test soak` runs a short soak
//! (CI does); `cargo xtask soak` runs the long one (1,000,000 messages on
//! each broker and 200,000 request/replies, sampled every 10 s) in a
//! release build. `SOAK_MESSAGES`, `SOAK_REQUESTS` and `SOAK_SAMPLE_SECS`
//! set the sizes; a phase's name as an argument runs that phase alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faststream::{App, Context, Envelope, HandlerError};
use golden::{durable, orders_both as orders};

#[path = "common/leftovers.rs"]
mod leftovers;

/// Messages sent but not handled yet, at most: the sender waits beyond
/// (core NATS drops what a slow subscriber cannot take).
const WINDOW: u64 = 2_000;
/// Requests in flight at once.
const CONCURRENT_REQUESTS: usize = 32;
/// The most resident memory may grow after the warm-up.
const GROWTH: u64 = 24 * 1024 * 1024;
const PHASES: &[&str] = &["nats", "requests", "redis"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("soak: test");
        return;
    }
    let wanted: Vec<&str> = PHASES
        .iter()
        .copied()
        .filter(|p| args.iter().any(|a| a == p))
        .collect();
    let number = |var: &str, default: u64| {
        std::env::var(var)
            .ok()
            .map(|v| v.parse::<u64>().unwrap_or_else(|_| panic!("{var}: {v:?}")))
            .unwrap_or(default)
    };
    let messages = number("SOAK_MESSAGES", 20_000);
    let requests = number("SOAK_REQUESTS", 5_000);
    let every = Duration::from_secs(number("SOAK_SAMPLE_SECS", 10).max(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for phase in PHASES {
        if !wanted.is_empty() && !wanted.contains(phase) {
            continue;
        }
        let report = runtime.block_on(async {
            match *phase {
                "nats" => nats(messages, every).await,
                "requests" => nats_requests(requests, every).await,
                "redis" => redis_stream(messages, every).await,
                _ => unreachable!(),
            }
        });
        println!("soak {phase}: {report}");
        if let Err(e) = report.check() {
            println!("soak {phase}: FAILED: {e}");
            failures.push(format!("{phase}: {e}"));
        }
    }
    assert!(failures.is_empty(), "soak failed:\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------- figures

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// What was seen at one moment.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    handled: u64,
    rss: u64,
}

#[derive(Debug)]
struct Report {
    total: u64,
    handled: u64,
    elapsed: Duration,
    samples: Vec<Sample>,
    rss_before: u64,
    rss_warm: u64,
    rss_end: u64,
    rss_after: u64,
    fds: (usize, usize),
    tasks: (usize, usize),
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl Report {
    /// Messages per second in the first and the last sampling window.
    fn rates(&self) -> (f64, f64) {
        let rate = |a: &Sample, b: &Sample| {
            (b.handled - a.handled) as f64 / (b.at - a.at).as_secs_f64().max(1e-9)
        };
        let s = &self.samples;
        (rate(&s[0], &s[1]), rate(&s[s.len() - 2], &s[s.len() - 1]))
    }

    fn check(&self) -> Result<(), String> {
        if self.handled != self.total {
            return Err(format!("{} of {} handled", self.handled, self.total));
        }
        let growth = self.rss_end.saturating_sub(self.rss_warm);
        if growth > GROWTH {
            return Err(format!(
                "resident memory grew by {:.1} MiB after the warm-up (at most {:.0} MiB)",
                mib(growth),
                mib(GROWTH)
            ));
        }
        if self.fds.1 > self.fds.0 {
            return Err(format!(
                "{} file descriptors before, {} after",
                self.fds.0, self.fds.1
            ));
        }
        if self.tasks.1 > self.tasks.0 {
            return Err(format!(
                "{} tokio tasks before, {} after",
                self.tasks.0, self.tasks.1
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (first, last) = self.rates();
        write!(
            f,
            "{} of {} handled in {:.1} s; resident memory {:.1} MiB before, {:.1} after the warm-up, {:.1} at the end, {:.1} after shutdown; file descriptors {} -> {}; tokio tasks {} -> {}; first window {:.0}/s, last {:.0}/s; samples (s, handled, MiB): {}",
            self.handled,
            self.total,
            self.elapsed.as_secs_f64(),
            mib(self.rss_before),
            mib(self.rss_warm),
            mib(self.rss_end),
            mib(self.rss_after),
            self.fds.0,
            self.fds.1,
            self.tasks.0,
            self.tasks.1,
            first,
            last,
            self.samples
                .iter()
                .map(|s| format!(
                    "({:.0}, {}, {:.1})",
                    s.at.as_secs_f64(),
                    s.handled,
                    mib(s.rss)
                ))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

/// Samples every `every` (and at the start) until `done`; the warm-up
/// sample is the first one after a tenth of `total` went through.
struct Sampler {
    samples: Arc<std::sync::Mutex<Vec<Sample>>>,
    warm: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
    start: Instant,
    handled: Arc<AtomicU64>,
}

impl Sampler {
    fn start(handled: Arc<AtomicU64>, total: u64, every: Duration) -> Sampler {
        let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
        let warm = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let task = {
            let (samples, warm, handled) = (samples.clone(), warm.clone(), handled.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                let mut warm_tick = tokio::time::interval(Duration::from_millis(20));
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            samples.lock().unwrap().push(Sample {
                                at: start.elapsed(),
                                handled: handled.load(Ordering::SeqCst),
                                rss: rss(),
                            });
                        }
                        _ = warm_tick.tick(), if warm.load(Ordering::SeqCst) == 0 => {
                            if handled.load(Ordering::SeqCst) * 10 >= total {
                                warm.store(rss(), Ordering::SeqCst);
                            }
                        }
                    }
                }
            })
        };
        Sampler {
            samples,
            warm,
            task,
            start,
            handled,
        }
    }

    /// The samples with a last one now, and the warm-up's memory.
    fn finish(self) -> (Vec<Sample>, u64, Duration) {
        self.task.abort();
        let mut samples = self.samples.lock().unwrap().clone();
        samples.push(Sample {
            at: self.start.elapsed(),
            handled: self.handled.load(Ordering::SeqCst),
            rss: rss(),
        });
        if samples.len() < 2 {
            samples.insert(0, samples[0]);
        }
        let warm = match self.warm.load(Ordering::SeqCst) {
            0 => samples[0].rss,
            w => w,
        };
        (samples, warm, self.start.elapsed())
    }
}

/// Waits until `handled` reaches `n` (or nothing moves for 30 s).
async fn wait_for(handled: &AtomicU64, n: u64) {
    let mut last = (handled.load(Ordering::SeqCst), Instant::now());
    loop {
        let now = handled.load(Ordering::SeqCst);
        if now >= n {
            return;
        }
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(30) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The file descriptors and tasks once they stop changing (a connection
/// dropped a moment ago closes a moment later), waiting at most 2 s.
async fn quiet() -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut last = (fds(), tasks());
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = (fds(), tasks());
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// Waits (up to 5 s) until the file descriptors and tasks are back to
/// `before` (a closed connection's task ends a moment later), and returns
/// what it saw last.
async fn settle(before: (usize, usize)) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = (fds(), tasks());
        if (now.0 <= before.0 && now.1 <= before.1) || Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------- phases

struct Orders(Arc<AtomicU64>);

impl orders::Handler for Orders {
    async fn handle_order(
        &self,
        message: orders::messages::HandleOrderMessage,
        _params: orders::channels::OrderRequests,
        _headers: orders::messages::HandleOrderHeaders,
        _ctx: Context,
    ) -> Result<orders::models::OrderAccepted, HandlerError> {
        let order_id = match message {
            orders::messages::HandleOrderMessage::PlaceOrder(o) => o.order_id,
            orders::messages::HandleOrderMessage::CancelOrder(c) => c.order_id,
        };
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(orders::models::OrderAccepted {
            order_id,
            total: 1.0,
        })
    }
}

fn an_order() -> orders::messages::HandleOrderMessage {
    orders::messages::HandleOrderMessage::PlaceOrder(orders::models::Order {
        order_id: faststream::uuid::Uuid::from_u128(7),
        lines: vec![orders::models::OrderLine {
            sku: "soak".into(),
            quantity: 1,
        }],
    })
}

async fn connect(server: &faststream::Server) -> Arc<dyn faststream::Broker> {
    faststream::connect(server)
        .await
        .unwrap_or_else(|e| panic!("the `{}` server is required: {e}", server.name))
}

/// The service (the router on a connection of its own) and a client app
/// on another connection, both started.
async fn apps(
    server: &faststream::Server,
    router: faststream::Router,
) -> (faststream::RunningApp, faststream::RunningApp) {
    let service = App::with_broker(connect(server).await)
        .include(router)
        .start()
        .await
        .expect("the service starts");
    let client = App::with_broker(connect(server).await)
        .start()
        .await
        .expect("the client starts");
    (service, client)
}

async fn nats(total: u64, every: Duration) -> Report {
    let before = quiet().await;
    let rss_before = rss();
    let handled = Arc::new(AtomicU64::new(0));
    let (service, client) = apps(
        &orders::servers::LOCAL,
        orders::router(Orders(handled.clone())),
    )
    .await;
    let message = an_order();
    let payload = message.encode().unwrap();
    let address = orders::channels::OrderRequests {
        store_id: "soak".into(),
    }
    .address();
    let sampler = Sampler::start(handled.clone(), total, every);
    for n in 0..total {
        if n >= WINDOW {
            wait_for(&handled, n - WINDOW).await;
        }
        client
            .publisher()
            .publish(
                Envelope::new(address.clone(), payload.clone())
                    .with_content_type(message.content_type()),
            )
            .await
            .expect("published");
    }
    wait_for(&handled, total).await;
    finish(
        total,
        handled,
        sampler,
        rss_before,
        before,
        [service, client],
    )
    .await
}

async fn nats_requests(total: u64, every: Duration) -> Report {
    use futures_util::StreamExt;
    let before = quiet().await;
    let rss_before = rss();
    let handled = Arc::new(AtomicU64::new(0));
    let (service, client) = apps(
        &orders::servers::LOCAL,
        orders::router(Orders(handled.clone())),
    )
    .await;
    let publisher = orders::ClientPublisher::new(client.publisher().clone());
    let params = orders::channels::OrderRequests {
        store_id: "soak".into(),
    };
    let message = an_order();
    let answered = Arc::new(AtomicU64::new(0));
    let sampler = Sampler::start(answered.clone(), total, every);
    futures_util::stream::iter(0..total)
        .for_each_concurrent(CONCURRENT_REQUESTS, |_| {
            let (publisher, params, message, answered) = (&publisher, &params, &message, &answered);
            async move {
                let reply = publisher
                    .handle_order(params, message, None, Duration::from_secs(10))
                    .await
                    .expect("answered");
                assert_eq!(reply.order_id, faststream::uuid::Uuid::from_u128(7));
                answered.fetch_add(1, Ordering::SeqCst);
            }
        })
        .await;
    // The client's publishers go with it (the reply inbox with them).
    drop(publisher);
    let mut report = finish(
        total,
        answered,
        sampler,
        rss_before,
        before,
        [service, client],
    )
    .await;
    // Every request reached the handler once.
    report.handled = report.handled.min(handled.load(Ordering::SeqCst));
    report
}

struct Numbers(Arc<AtomicU64>);

impl durable::Handler for Numbers {
    async fn on_number(
        &self,
        _message: durable::models::Number,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

async fn redis_stream(total: u64, every: Duration) -> Report {
    leftovers::remove("redis").await;
    let before = quiet().await;
    let rss_before = rss();
    let handled = Arc::new(AtomicU64::new(0));
    let (service, client) = apps(
        &durable::servers::REDIS,
        durable::router(Numbers(handled.clone())),
    )
    .await;
    let publisher = durable::Publisher::new(client.publisher().clone());
    let sampler = Sampler::start(handled.clone(), total, every);
    for n in 0..total {
        if n >= WINDOW {
            wait_for(&handled, n - WINDOW).await;
        }
        let number = durable::models::Number {
            run: "soak".into(),
            n: n as i64,
        };
        publisher.send_number(&number).await.expect("published");
    }
    wait_for(&handled, total).await;
    // The client's publisher goes with it (it holds the connection).
    drop(publisher);
    let report = finish(
        total,
        handled,
        sampler,
        rss_before,
        before,
        [service, client],
    )
    .await;
    leftovers::remove("redis").await;
    report
}

/// Stops the apps and takes the last figures.
async fn finish(
    total: u64,
    handled: Arc<AtomicU64>,
    sampler: Sampler,
    rss_before: u64,
    before: (usize, usize),
    apps: [faststream::RunningApp; 2],
) -> Report {
    let (samples, rss_warm, elapsed) = sampler.finish();
    let rss_end = samples.last().map_or(0, |s| s.rss);
    for app in apps {
        app.shutdown().await;
    }
    let after = settle(before).await;
    Report {
        total,
        handled: handled.load(Ordering::SeqCst),
        elapsed,
        samples,
        rss_before,
        rss_warm,
        rss_end,
        rss_after: rss(),
        fds: (before.0, after.0),
        tasks: (before.1, after.1),
    }
}
