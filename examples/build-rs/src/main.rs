//! The order service of `specs/orders.yaml`, generated at build time (see
//! `build.rs`) instead of checked in: the handler, and a `main` that plays
//! the client once on the in-memory broker.

pub mod orders {
    faststream::include_generated!("orders");
}

use std::time::Duration;

use faststream::{Context, HandlerError, TestApp};
use orders::channels::OrderRequests;
use orders::messages::{HandleOrderHeaders, HandleOrderMessage};
use orders::models::{Order, OrderAccepted, OrderLine};

/// Prices orders at 2.5 a unit; accepts cancellations at no cost.
struct Shop;

impl orders::Handler for Shop {
    async fn handle_order(
        &self,
        message: HandleOrderMessage,
        params: OrderRequests,
        _headers: HandleOrderHeaders,
        _ctx: Context,
    ) -> Result<OrderAccepted, HandlerError> {
        Ok(match message {
            HandleOrderMessage::PlaceOrder(order) => {
                let units: i64 = order.lines.iter().map(|l| l.quantity).sum();
                println!("[service] store {}: {units} unit(s)", params.store_id);
                OrderAccepted {
                    order_id: order.order_id,
                    total: units as f64 * 2.5,
                }
            }
            HandleOrderMessage::CancelOrder(cancel) => OrderAccepted {
                order_id: cancel.order_id,
                total: 0.0,
            },
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = TestApp::start(orders::router(Shop)).await;
    let client = orders::ClientPublisher::new(app.publisher());
    let order = HandleOrderMessage::PlaceOrder(Order {
        order_id: faststream::uuid::Uuid::from_u128(42),
        lines: vec![OrderLine {
            sku: "SKU-1".into(),
            quantity: 4,
        }],
    });
    let store = OrderRequests {
        store_id: "bergen".into(),
    };
    let reply = client
        .handle_order(&store, &order, None, Duration::from_secs(5))
        .await?;
    println!(
        "[client] order {} accepted: total {}",
        reply.order_id, reply.total
    );
    app.shutdown().await;
    Ok(())
}
