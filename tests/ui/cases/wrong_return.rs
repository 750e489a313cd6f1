// Returning the wrong type from a handler with a reply.
use faststream::{Context, HandlerError};
use golden::orders::channels::OrderRequests;
use golden::orders::messages::{HandleOrderHeaders, HandleOrderMessage};

struct Shop;

impl golden::orders::Handler for Shop {
    async fn handle_order(&self, _message: HandleOrderMessage, _params: OrderRequests, _headers: HandleOrderHeaders, _ctx: Context) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn main() {}
