// Implementing the generated trait with `async fn`s compiles, and the
// router accepts the implementation.
use faststream::{Context, HandlerError};
use golden::orders::channels::OrderRequests;
use golden::orders::messages::{HandleOrderHeaders, HandleOrderMessage};
use golden::orders::models::OrderAccepted;

struct Shop;

impl golden::orders::Handler for Shop {
    async fn handle_order(&self, message: HandleOrderMessage, _params: OrderRequests, _headers: HandleOrderHeaders, _ctx: Context) -> Result<OrderAccepted, HandlerError> {
        let order_id = match message {
            HandleOrderMessage::PlaceOrder(o) => o.order_id,
            HandleOrderMessage::CancelOrder(c) => c.order_id,
        };
        Ok(OrderAccepted { order_id, total: 0.0 })
    }
}

fn main() {
    let _router = golden::orders::router(Shop);
}
