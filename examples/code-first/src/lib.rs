//! A shop written code-first, FastStream's way in Rust, with no spec at
//! all: the messages are plain types, the subscribers plain `async fn`s,
//! and the AsyncAPI document comes from the code
//! (`router().asyncapi()`, pinned in `asyncapi.yaml`).

use faststream::export::{Describe, SchemaComponents, object};
use faststream::serde_json::{Value, json};
use faststream::validate::{Path, rules};
use faststream::{Context, HandlerError, Headers, Params, Router, Subscriber, ValidationError};
use serde::{Deserialize, Serialize};

/// An order placed at a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl faststream::Validate for Order {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        rules::min_length(&self.id, 1, &path.field("id"), errors);
        rules::minimum(self.quantity, 1.0, &path.field("quantity"), errors);
    }
}

impl Describe for Order {
    fn describe(c: &mut SchemaComponents) -> Value {
        c.component("Order", |c| {
            let mut schema: Value = object(c)
                .required::<String>("id")
                .required::<i64>("quantity")
                .optional::<String>("note")
                .into();
            schema["properties"]["id"]["minLength"] = json!(1);
            schema["properties"]["quantity"]["minimum"] = json!(1);
            schema
        })
    }
}

/// The answer to an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: String,
    pub total: f64,
}

impl faststream::Validate for Accepted {
    fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
}

impl Describe for Accepted {
    fn describe(c: &mut SchemaComponents) -> Value {
        c.component("Accepted", |c| {
            object(c)
                .required::<String>("id")
                .required::<f64>("total")
                .into()
        })
    }
}

/// The store an order is placed at: the `{store}` of its address.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Store {
    pub store: String,
}

/// Who sends the order: the `tenant` header, at least two characters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tenant {
    pub tenant: String,
}

impl faststream::Validate for Tenant {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        rules::min_length(&self.tenant, 2, &path.field("tenant"), errors);
    }
}

impl Describe for Tenant {
    fn describe(c: &mut SchemaComponents) -> Value {
        let mut schema: Value = object(c).required::<String>("tenant").into();
        schema["properties"]["tenant"]["minLength"] = json!(2);
        schema
    }
}

/// Prices an order: 2.50 an item.
pub async fn take_order(
    order: Order,
    Params(at): Params<Store>,
    Headers(who): Headers<Tenant>,
    ctx: Context,
) -> Result<Accepted, HandlerError> {
    println!(
        "  [service] store {}: order {} x{} for {} (correlation id {})",
        at.store,
        order.id,
        order.quantity,
        who.tenant,
        ctx.correlation_id().unwrap_or("-")
    );
    Ok(Accepted {
        total: order.quantity as f64 * 2.5,
        id: order.id,
    })
}

/// Keeps a record of every order, shared by the auditors' group.
pub async fn audit(order: Order) -> Result<(), HandlerError> {
    println!("  [audit] {}", order.id);
    Ok(())
}

/// The service's routes, and what it publishes.
pub fn router() -> Router {
    Router::new()
        .info("Shop", "1.0.0")
        .description("Prices the orders placed at the stores, code-first.")
        .subscriber("stores.{store}.orders", take_order)
        .subscribe(
            Subscriber::new("orders.audit", audit)
                .group("auditors")
                .description("Every order, audited"),
        )
        .publisher::<Accepted>("accepted", "orders.accepted")
}
