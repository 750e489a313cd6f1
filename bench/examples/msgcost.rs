//! One scenario, N messages, one process: `msgcost <scenario> <N>`.
//! `cargo xtask bench` runs it under callgrind and DHAT at N and 2N and
//! reads the difference over N as what one message costs.
//!
//! Every scenario is the same work as RustStream's `consume_json`: the
//! body `{"id":1000000,"quantity":37}` decoded into a plain struct, the
//! handler reads both fields and counts a latch down, the delivery is
//! acknowledged; messages go in through the framework's own in-process
//! publisher, and the run ends when the latch reaches zero.
//!
//! - `consume`: a code-first subscriber on `MemoryBroker`, the latch a
//!   `State`.
//! - `publish`: publishing alone, to an address nobody subscribes to.
//! - `request`: a code-first request/reply, one request at a time.
//! - `generated`: the route generated from `specs/orders.yaml` (a message
//!   enum, a channel parameter, typed headers and a typed reply), one
//!   request at a time.
//! - `batch`: a code-first batch subscriber, batches of 100.
//! - `ruststream-consume`: RustStream 0.7.7's `consume_json` service on
//!   its in-memory broker.

use std::hint::black_box;
use std::time::Duration;

use faststream::{App, Envelope, HandlerError, MemoryBroker, Message, Router, State, Subscriber};
use serde::Serialize;

#[path = "../common/work.rs"]
mod work;
use work::{BODY, Latch, Order};

/// A request's answer.
#[derive(Debug, Serialize, Message)]
struct Receipt {
    id: u64,
}

/// For the batch scenario, whose handler takes no state.
static BATCH_LATCH: std::sync::OnceLock<Latch> = std::sync::OnceLock::new();

async fn consume(order: Order, State(latch): State<Latch>) -> Result<(), HandlerError> {
    black_box((order.id, order.quantity));
    latch.arrived();
    Ok(())
}

async fn answer(order: Order) -> Result<Receipt, HandlerError> {
    black_box(order.quantity);
    Ok(Receipt { id: order.id })
}

async fn consume_batch(orders: Vec<Order>) -> Result<(), HandlerError> {
    let latch = BATCH_LATCH.get().expect("the latch is set");
    for order in orders {
        black_box((order.id, order.quantity));
        latch.arrived();
    }
    Ok(())
}

/// Publishes the body `n` times to `orders`, one publish at a time.
async fn publish_orders(app: &faststream::RunningApp, n: usize) {
    let body = bytes::Bytes::from_static(BODY);
    for _ in 0..n {
        app.publisher()
            .publish(Envelope::new("orders", body.clone()))
            .await
            .expect("published");
    }
}

async fn faststream_consume(n: usize) {
    let latch = Latch::new(n);
    let router = Router::new()
        .state(latch.clone())
        .subscriber("orders", consume);
    let app = App::new(MemoryBroker::new())
        .include(router)
        .start()
        .await
        .expect("the app starts");
    publish_orders(&app, n).await;
    latch.drained().await;
    app.shutdown().await;
}

async fn faststream_publish(n: usize) {
    let app = App::new(MemoryBroker::new())
        .start()
        .await
        .expect("the app starts");
    publish_orders(&app, n).await;
    app.shutdown().await;
}

async fn faststream_request(n: usize) {
    let app = App::new(MemoryBroker::new())
        .include(Router::new().subscriber("quotes", answer))
        .start()
        .await
        .expect("the app starts");
    let body = bytes::Bytes::from_static(BODY);
    for _ in 0..n {
        let reply = app
            .publisher()
            .request(
                Envelope::new("quotes", body.clone()),
                Duration::from_secs(10),
            )
            .await
            .expect("a reply");
        black_box(reply.payload.len());
    }
    app.shutdown().await;
}

/// The generated `handleOrder`: a place order, its store as a parameter,
/// its tenant as a header, and an `OrderAccepted` reply.
struct Orders;

impl golden::orders::Handler for Orders {
    async fn handle_order(
        &self,
        message: golden::orders::messages::HandleOrderMessage,
        params: golden::orders::channels::OrderRequests,
        headers: golden::orders::messages::HandleOrderHeaders,
        _ctx: faststream::Context,
    ) -> Result<golden::orders::models::OrderAccepted, HandlerError> {
        use golden::orders::messages::HandleOrderMessage;
        black_box((&params, &headers));
        match message {
            HandleOrderMessage::PlaceOrder(order) => Ok(golden::orders::models::OrderAccepted {
                order_id: order.order_id,
                total: 1.5,
            }),
            HandleOrderMessage::CancelOrder(_) => Err(HandlerError::new("not a placed order")),
        }
    }
}

async fn faststream_generated(n: usize) {
    let app = App::new(MemoryBroker::new())
        .include(golden::orders::router(Orders))
        .start()
        .await
        .expect("the app starts");
    let body = bytes::Bytes::from_static(
        br#"{"kind":"place","orderId":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","lines":[{"sku":"a-1","quantity":2}]}"#,
    );
    for _ in 0..n {
        let reply = app
            .publisher()
            .request(
                Envelope::new("stores.s1.orders", body.clone()).with_header("tenant", "t1"),
                Duration::from_secs(10),
            )
            .await
            .expect("a reply");
        assert!(!reply.payload.is_empty(), "an OrderAccepted");
    }
    app.shutdown().await;
}

async fn faststream_batch(n: usize) {
    let latch = BATCH_LATCH.get_or_init(|| Latch::new(n)).clone();
    let app = App::new(MemoryBroker::new())
        .include(
            Router::new().subscribe(
                Subscriber::batch("orders", consume_batch)
                    .batch_size(100)
                    .batch_wait(Duration::from_millis(1)),
            ),
        )
        .start()
        .await
        .expect("the app starts");
    publish_orders(&app, n).await;
    latch.drained().await;
    app.shutdown().await;
}

mod peer {
    //! RustStream's side: its `consume_json` service, written as its users
    //! write one.
    use std::convert::Infallible;
    use std::hint::black_box;

    use ruststream::memory::MemoryBroker;
    use ruststream::memory::prelude::*;
    use ruststream::{OutgoingMessage, Publisher};

    use super::{BODY, Latch, Order};

    #[subscriber("orders")]
    async fn consume(order: &Order, ctx: &mut Context<'_, (), Latch>) -> HandlerOutcome {
        black_box((order.id, order.quantity));
        ctx.state().arrived();
        HandlerOutcome::ack()
    }

    pub async fn run(n: usize) {
        let latch = Latch::new(n);
        let broker = MemoryBroker::new();
        let state = latch.clone();
        let app = RustStream::new(AppInfo::new("bench", "0.0.0"))
            .on_startup(async move |()| Ok::<_, Infallible>(state))
            .with_broker(broker.clone(), |b| {
                b.include(consume);
            });
        let running = app.start().await.expect("the service starts");
        let publisher = broker.publisher();
        for _ in 0..n {
            publisher
                .publish(OutgoingMessage::new("orders", BODY), None)
                .await
                .expect("in-process publish");
        }
        latch.drained().await;
        drop(running);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(scenario), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: msgcost <scenario> <messages>");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("a number of messages");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    match scenario.as_str() {
        "consume" => runtime.block_on(faststream_consume(n)),
        "publish" => runtime.block_on(faststream_publish(n)),
        "request" => runtime.block_on(faststream_request(n)),
        "generated" => runtime.block_on(faststream_generated(n)),
        "batch" => runtime.block_on(faststream_batch(n)),
        "ruststream-consume" => runtime.block_on(peer::run(n)),
        other => {
            eprintln!("msgcost: no scenario `{other}`");
            std::process::exit(2);
        }
    }
}
