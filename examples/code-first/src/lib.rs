//! A shop written code-first: messages derive their checks and schemas (`faststream::Message`),
//! subscribers are plain `async fn`s, and the AsyncAPI document comes from the code.

use faststream::{Context, HandlerError, Headers, Message, Params, Router, Subscriber};
use serde::{Deserialize, Serialize};

/// An order placed at a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
pub struct Order {
    #[message(min_length = 1)]
    pub id: String,
    #[message(minimum = 1)]
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The answer to an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
pub struct Accepted {
    pub id: String,
    pub total: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Store {
    pub store: String,
}

/// Who sends the order: the `tenant` header, at least two characters.
#[derive(Debug, Clone, PartialEq, Deserialize, Message)]
pub struct Tenant {
    #[message(min_length = 2)]
    pub tenant: String,
}

/// Prices an order placed at a store (the `{store}` of its address): 2.50 an item.
pub async fn take_order(
    Order { id, quantity, .. }: Order,
    Params(Store { store }): Params<Store>,
    Headers(Tenant { tenant }): Headers<Tenant>,
    ctx: Context,
) -> Result<Accepted, HandlerError> {
    let from = ctx.correlation_id().unwrap_or("-");
    println!("  [service] {store}: {id} x{quantity} for {tenant} ({from})");
    let total = quantity as f64 * 2.5;
    Ok(Accepted { id, total })
}

/// Keeps a record of every order, shared by the auditors' group.
pub async fn audit(order: Order) -> Result<(), HandlerError> {
    println!("  [audit] {}", order.id);
    Ok(())
}

/// The service's routes, and what it publishes.
pub fn router() -> Router {
    let audit = Subscriber::new("orders.audit", audit).group("auditors");
    Router::new()
        .info("Shop", "1.0.0")
        .description("Prices the orders placed at the stores, code-first.")
        .subscriber("stores.{store}.orders", take_order)
        .subscribe(audit.description("Every order, audited"))
        .publisher::<Accepted>("accepted", "orders.accepted")
}
