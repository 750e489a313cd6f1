//! Every core: one route with 1 and with 2 workers
//! (`Subscriber::workers`), side by side in one run, on the memory broker
//! and on NATS, on this process's multi-threaded runtime (two threads).
//!
//! - **CPU-bound**: a handler that computes for about 50 µs a message and
//!   never waits. With one worker the route's messages are futures of one
//!   task, so they take one core at a time; with two they take both. The
//!   row's ratio is the speed-up (target: at least 1.8 on two cores).
//! - **Light**: a handler that does nothing. The ratio is what handing
//!   deliveries over to worker tasks (a channel per worker, another task
//!   to wake) costs a handler with no work to spread.
//!
//! Each row runs 11 rounds, a 1-worker and a 2-worker run next to each
//! other in each (in alternating order); the ratio printed is the median
//! of the rounds' ratios (2 workers over 1), with the extremes. Wall-clock
//! time: a speed-up from a second core is what is measured, which an
//! instruction count cannot show.
//!
//! `cargo bench -p faststream-bench-throughput --bench workers` (NATS must run locally at
//! 127.0.0.1:4222). `--test` (or `cargo test --benches`) runs a small count once, to
//! keep it working in CI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use faststream::{App, Broker, Envelope, HandlerError, MemoryBroker, Router, Subscriber};

/// About 50 µs of work that does not wait (calibrated once).
fn compute(iterations: u64) -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..iterations {
        x = x.rotate_left(7) ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    std::hint::black_box(x)
}

fn iterations_for(target: Duration) -> u64 {
    let mut n = 1_000u64;
    loop {
        let start = Instant::now();
        compute(n);
        let took = start.elapsed();
        if took >= Duration::from_millis(20) {
            return (n as f64 * target.as_secs_f64() / took.as_secs_f64()) as u64;
        }
        n *= 2;
    }
}

/// Messages per second through one route with `workers` workers.
async fn run(broker: Arc<dyn Broker>, workers: usize, messages: u64, iterations: u64) -> f64 {
    let address = format!(
        "bench.workers.{}",
        faststream::uuid::Uuid::new_v4().simple()
    );
    let done = Arc::new(AtomicU64::new(0));
    let seen = done.clone();
    let handler = move |_n: u64| {
        let seen = seen.clone();
        async move {
            if iterations > 0 {
                compute(iterations);
            }
            seen.fetch_add(1, Ordering::Relaxed);
            Ok::<(), HandlerError>(())
        }
    };
    let running = App::with_broker(broker.clone())
        .include(
            Router::new().subscribe(
                Subscriber::new(address.clone(), handler)
                    .workers(workers)
                    .max_in_flight(64),
            ),
        )
        .start()
        .await
        .expect("starts");
    let start = Instant::now();
    let publisher = running.publisher().clone();
    let sender = tokio::spawn(async move {
        for i in 0..messages {
            publisher
                .publish(Envelope::new(address.clone(), i.to_string()))
                .await
                .expect("published");
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while done.load(Ordering::Relaxed) < messages {
        assert!(Instant::now() < deadline, "the route did not finish");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let rate = messages as f64 / start.elapsed().as_secs_f64();
    sender.await.expect("the sender");
    running.shutdown().await;
    rate
}

async fn row(name: &str, broker: Arc<dyn Broker>, rounds: usize, messages: u64, iterations: u64) {
    let mut ratios = Vec::new();
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = run(broker.clone(), 1, messages, iterations).await;
            (a, run(broker.clone(), 2, messages, iterations).await)
        } else {
            let b = run(broker.clone(), 2, messages, iterations).await;
            (run(broker.clone(), 1, messages, iterations).await, b)
        };
        one.push(a);
        two.push(b);
        ratios.push(b / a);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (lo, hi) = (
        ratios.iter().copied().fold(f64::MAX, f64::min),
        ratios.iter().copied().fold(f64::MIN, f64::max),
    );
    println!(
        "{name:<24} 1 worker {:>9.0} msg/s   2 workers {:>9.0} msg/s   ratio {:.2} (min {lo:.2}, max {hi:.2})",
        median(&mut one),
        median(&mut two),
        median(&mut ratios),
    );
}

fn main() {
    // Criterion's rule: only `cargo bench` (which passes --bench, and
    // not --test) measures; `cargo test --benches` runs a quick check.
    let quick =
        std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let iterations = iterations_for(Duration::from_micros(50));
    let (rounds, cpu_messages, light_messages) = if quick {
        (1, 100, 500)
    } else {
        (11, 4_000, 40_000)
    };
    runtime.block_on(async {
        let memory: Arc<dyn Broker> = Arc::new(MemoryBroker::new());
        let nats: Arc<dyn Broker> = Arc::new(
            faststream::nats::NatsBroker::connect("nats://127.0.0.1:4222")
                .await
                .expect("NATS at 127.0.0.1:4222 (the benchmark needs it)"),
        );
        println!("one route, 1 and 2 workers, {} runtime threads", 2);
        row(
            "memory, CPU-bound 50 µs",
            memory.clone(),
            rounds,
            cpu_messages,
            iterations,
        )
        .await;
        row(
            "nats, CPU-bound 50 µs",
            nats.clone(),
            rounds,
            cpu_messages,
            iterations,
        )
        .await;
        row("memory, light", memory, rounds, light_messages, 0).await;
        row("nats, light", nats, rounds, light_messages, 0).await;
    });
}
