//! Runs the code-first shop on the in-memory broker and plays its client:
//! a request answered with the typed reply, an order that breaks its type
//! refused, then a graceful shutdown. With `FASTSTREAM_ASYNCAPI_OUT=PATH`
//! it writes its AsyncAPI document instead and exits.

use std::time::Duration;

use code_first::{Accepted, Order, router};
use faststream::{App, Envelope, MemoryBroker, encode_json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = App::new(MemoryBroker::new()).include(router());
    if faststream::export::exporting() {
        return Ok(app.run().await?);
    }
    let running = app.start().await?;
    let order = Order {
        id: "o-1".into(),
        quantity: 4,
        note: None,
    };
    let reply = running
        .publisher()
        .request(
            Envelope::new("stores.berlin.orders", encode_json(&order)?)
                .with_content_type("application/json")
                .with_header("tenant", "acme"),
            Duration::from_secs(5),
        )
        .await?;
    let accepted: Accepted = faststream::decode_json(&reply.payload)?;
    println!(
        "  [client] accepted {} for {:.2}",
        accepted.id, accepted.total
    );
    // Breaks the schema (quantity 0): refused before any handler.
    running
        .publisher()
        .publish(
            Envelope::new("stores.berlin.orders", r#"{"id":"o-2","quantity":0}"#)
                .with_header("tenant", "acme"),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let m = running.shutdown().await;
    println!(
        "handled {}, refused {}, replies {}",
        m.handled, m.decode_failures, m.replies
    );
    Ok(())
}
