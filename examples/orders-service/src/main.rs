//! The order service of `specs/orders.yaml`, run on the in-memory broker.
//!
//! The generated module is the checked-in output of
//! `faststream-gen generate specs/orders.yaml --side both -o tests/golden/generated/orders_both.rs`
//! (the golden test fails when it is stale). This file is what a user
//! writes: the handler, and a `main` that runs it. To show it working
//! without any broker installed, `main` also plays a client: it sends a
//! few orders (and one broken message), prints what happens, and shuts
//! the service down gracefully.

#[rustfmt::skip]
#[path = "../../../tests/golden/generated/orders_both.rs"]
mod orders;

use std::time::Duration;

use faststream::{App, Context, Envelope, HandlerError, MemoryBroker};
use orders::channels::OrderRequests;
use orders::messages::{HandleOrderHeaders, HandleOrderMessage};
use orders::models::{CancelOrder, Order, OrderAccepted, OrderHeaders, OrderLine};

/// The service: prices orders, accepts cancellations.
struct Shop;

impl orders::Handler for Shop {
    async fn handle_order(
        &self,
        message: HandleOrderMessage,
        params: OrderRequests,
        headers: HandleOrderHeaders,
        ctx: Context,
    ) -> Result<OrderAccepted, HandlerError> {
        let (order_id, total) = match &message {
            HandleOrderMessage::PlaceOrder(order) => {
                let total = order.lines.iter().map(|l| l.quantity as f64 * 9.5).sum();
                let tenant = match &headers {
                    HandleOrderHeaders::PlaceOrder(h) => h.tenant.as_deref(),
                    HandleOrderHeaders::CancelOrder => None,
                };
                println!(
                    "  [service] store {}: order {} with {} line(s), total {total:.2} (tenant {}, correlation id {})",
                    params.store_id,
                    order.order_id,
                    order.lines.len(),
                    tenant.unwrap_or("-"),
                    ctx.correlation_id().unwrap_or("-"),
                );
                (order.order_id, total)
            }
            HandleOrderMessage::CancelOrder(cancel) => {
                println!(
                    "  [service] store {}: cancel order {}",
                    params.store_id, cancel.order_id
                );
                (cancel.order_id, 0.0)
            }
        };
        Ok(OrderAccepted { order_id, total })
    }
}

fn order_id(n: u128) -> faststream::uuid::Uuid {
    faststream::uuid::Uuid::from_u128(n)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The runtime's warnings (the broken message, dead-lettered) on stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .init();
    let broker = MemoryBroker::new();
    let app = App::new(broker.clone())
        .include(orders::router(Shop))
        .after_startup(|| async { println!("order service is up (in-memory broker)") })
        .on_shutdown(|| async { println!("order service stopped") })
        .shutdown_timeout(Duration::from_secs(5));
    let running = app.start().await?;

    // A client of the service, from the same generated module.
    let client = orders::ClientPublisher::new(running.publisher().clone());
    let store = OrderRequests {
        store_id: "oslo-1".into(),
    };
    let place = HandleOrderMessage::PlaceOrder(Order {
        order_id: order_id(1),
        lines: vec![
            OrderLine {
                sku: "COFFEE".into(),
                quantity: 2,
            },
            OrderLine {
                sku: "CUP".into(),
                quantity: 1,
            },
        ],
    });
    println!("[client] placing order {}", order_id(1));
    let headers = HandleOrderHeaders::PlaceOrder(OrderHeaders {
        tenant: Some("acme".into()),
    });
    let reply = client
        .handle_order(&store, &place, Some(&headers), Duration::from_secs(5))
        .await?;
    println!(
        "[client] accepted: order {}, total {:.2}",
        reply.order_id, reply.total
    );

    let cancel = HandleOrderMessage::CancelOrder(CancelOrder {
        order_id: order_id(1),
    });
    println!("[client] cancelling order {}", order_id(1));
    let reply = client
        .handle_order(&store, &cancel, None, Duration::from_secs(5))
        .await?;
    println!("[client] cancellation acknowledged for {}", reply.order_id);

    // A message that violates the schema (quantity must be at least 1)
    // never reaches the handler: it is refused and dead-lettered.
    let broken = br#"{"kind":"place","orderId":"00000000-0000-0000-0000-000000000002","lines":[{"sku":"X","quantity":0}]}"#;
    println!("[client] sending an invalid order");
    running
        .publisher()
        .publish(Envelope::new("stores.oslo-1.orders", broken.to_vec()))
        .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    for dead in broker.dead_letters() {
        println!("[broker] dead letter: {}", dead.reason);
    }

    let metrics = running.shutdown().await;
    println!(
        "handled {}, replies {}, refused {} (of {} received)",
        metrics.handled, metrics.replies, metrics.decode_failures, metrics.received
    );
    Ok(())
}
