//! The side-by-side on NATS core: `natscost <framework> <N>` runs one
//! framework's service on a live NATS server (`NATS_URL`, else
//! 127.0.0.1:4222) and prints the wall time and the CPU time this process
//! spent per message. `cargo xtask bench --nats` runs each, alternately,
//! and writes the medians into docs/BENCHMARKS.md.
//!
//! - `faststream`: a code-first subscriber and the app's publisher; every
//!   message carries FastStream's headers (`correlation_id`,
//!   `content-type`), as FastStream's own publisher sends them.
//! - `ruststream`: RustStream 0.7.7 with ruststream-nats 0.7.1, as its
//!   users write a service: no headers.
//! - `ruststream-headers`: the same, each message carrying the same two
//!   headers as ours (the wire format a FastStream fleet expects).
//!
//! The work is `msgcost`'s: the body `{"id":1000000,"quantity":37}`
//! decoded into a plain struct, the handler reads both fields and counts a
//! latch down. Each framework publishes through its own publisher, on a
//! second connection, and subscribes on its own; at most `WINDOW`
//! messages are ahead of the handler, so that NATS core (which drops what
//! a slow consumer cannot take) loses none. Both run on a current-thread
//! runtime.

use std::hint::black_box;
use std::time::Duration;

#[path = "../../common/work.rs"]
mod work;
use work::{BODY, Latch, Order};

/// How many messages may be published and not yet handled.
const WINDOW: usize = 5_000;

/// Waits (yielding to the subscriber) while more than `WINDOW` of the
/// `sent` messages are not handled yet.
async fn keep_up(latch: &Latch, n: usize, sent: usize) {
    while sent - (n - latch.left()) > WINDOW {
        tokio::time::sleep(Duration::from_micros(50)).await;
    }
}

/// The CPU time this process has used (user and system), from
/// `/proc/self/stat` (clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The fields after the command's closing parenthesis: utime and stime
    // are the 12th and 13th of them.
    let rest = &stat[stat.rfind(')').expect("a command") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 10)
}

fn url() -> String {
    std::env::var("NATS_URL").unwrap_or_else(|_| "127.0.0.1:4222".into())
}

fn subject() -> String {
    format!("bench.natscost.{}", std::process::id())
}

mod ours {
    use std::sync::Arc;

    use faststream::nats::NatsBroker;
    use faststream::{App, Envelope, HandlerError, Publisher, Router, State};

    use super::{BODY, Latch, Order, black_box};

    async fn consume(order: Order, State(latch): State<Latch>) -> Result<(), HandlerError> {
        black_box((order.id, order.quantity));
        latch.arrived();
        Ok(())
    }

    pub async fn run(n: usize) -> (std::time::Duration, std::time::Duration) {
        let latch = Latch::new(n);
        let subject = super::subject();
        let app = App::new(
            NatsBroker::connect(&super::url())
                .await
                .expect("NATS at NATS_URL (127.0.0.1:4222): the side-by-side needs it"),
        )
        .include(
            Router::new()
                .state(latch.clone())
                .subscriber(subject.as_str(), consume),
        )
        .start()
        .await
        .expect("the app starts");
        let publisher = Publisher::new(Arc::new(
            NatsBroker::connect(&super::url())
                .await
                .expect("a second connection"),
        ));
        let body = bytes::Bytes::from_static(BODY);
        let (cpu, began) = (super::cpu_time(), std::time::Instant::now());
        for sent in 0..n {
            super::keep_up(&latch, n, sent).await;
            publisher
                .publish(Envelope::new(subject.as_str(), body.clone()))
                .await
                .expect("published");
        }
        latch.drained().await;
        let measured = (began.elapsed(), super::cpu_time() - cpu);
        app.shutdown().await;
        measured
    }
}

mod peer {
    //! RustStream's side, written as its users write a NATS service.
    use std::convert::Infallible;

    use ruststream::Publisher as _;
    use ruststream::{HeaderMap, OutgoingMessage};
    use ruststream_nats::prelude::*;

    use super::{BODY, Latch, Order, black_box};

    #[subscriber("bench.natscost.peer")]
    async fn consume(order: &Order, ctx: &mut Context<'_, (), Latch>) -> HandlerOutcome {
        black_box((order.id, order.quantity));
        ctx.state().arrived();
        HandlerOutcome::ack()
    }

    /// With `headers`, each message carries the two headers FastStream's
    /// (and this project's) publisher gives it: a fresh `correlation_id`
    /// and the `content-type`.
    pub async fn run(n: usize, headers: bool) -> (std::time::Duration, std::time::Duration) {
        let latch = Latch::new(n);
        let state = latch.clone();
        let url = format!("nats://{}", super::url().trim_start_matches("nats://"));
        let app = RustStream::new(AppInfo::new("bench", "0.0.0"))
            .on_startup(async move |()| Ok::<_, Infallible>(state))
            .with_broker(NatsBroker::new(url.clone()), |b| {
                b.include(consume);
            });
        let running = app.start().await.expect("the service starts");
        let connected = NatsBroker::new(url)
            .connect()
            .await
            .expect("a second connection");
        let publisher = connected.publisher(Publish);
        let (cpu, began) = (super::cpu_time(), std::time::Instant::now());
        for sent in 0..n {
            super::keep_up(&latch, n, sent).await;
            let mut message = OutgoingMessage::new("bench.natscost.peer", BODY);
            if headers {
                let mut map = HeaderMap::new();
                map.insert(
                    "correlation_id",
                    faststream::app::new_correlation_id().to_string(),
                );
                map.insert("content-type", "application/json");
                message = message.with_headers(map);
            }
            publisher.publish(message, None).await.expect("published");
        }
        latch.drained().await;
        let measured = (began.elapsed(), super::cpu_time() - cpu);
        drop(running);
        measured
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(framework), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: natscost <faststream|ruststream|ruststream-headers> <messages>");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("a number of messages");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (wall, cpu) = runtime.block_on(async {
        match framework.as_str() {
            "faststream" => ours::run(n).await,
            "ruststream" => peer::run(n, false).await,
            "ruststream-headers" => peer::run(n, true).await,
            other => panic!("no framework `{other}`"),
        }
    });
    // Nanoseconds per message: wall, then CPU.
    println!(
        "{} {}",
        wall.as_nanos() / n as u128,
        cpu.as_nanos() / n as u128
    );
}
