//! `#[derive(faststream::Message)]`: a code-first service written with the
//! derive and attributes only exports what a hand-written reference schema
//! says, passes the official parser, and refuses every violation of its
//! constraints on the memory broker, naming the field and the rule.

use std::time::Duration;

use faststream::serde::{Deserialize, Serialize};
use faststream::{Envelope, HandlerError, Headers, Message, Router, TestApp, decode_json};
use serde_json::{Value, json};

mod common;

/// An order as a shop's front end places it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(
    crate = "faststream::serde",
    rename_all = "camelCase",
    deny_unknown_fields
)]
struct PlacedOrder {
    /// Who placed it.
    #[message(min_length = 3, max_length = 16, pattern = "^[a-z][a-z0-9-]*$")]
    customer_id: String,
    #[message(min_items = 1, max_items = 50)]
    lines: Vec<Line>,
    delivery: Delivery,
    #[message(format = "email")]
    contact_email: Option<String>,
    #[serde(default)]
    #[message(maximum = 10)]
    priority: u8,
    #[serde(default)]
    #[message(unique_items)]
    tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(crate = "faststream::serde", rename_all = "camelCase")]
struct Line {
    #[message(pattern = "^[A-Z]{3}-[0-9]{4}$", example = "ABC-0001")]
    sku: String,
    #[message(minimum = 1, maximum = 1000)]
    quantity: u32,
    #[message(exclusive_minimum = 0, multiple_of = 0.01)]
    unit_price: f64,
}

/// How the order reaches its customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(crate = "faststream::serde", tag = "kind", rename_all = "snake_case")]
enum Delivery {
    /// Collected at a store.
    StorePickup {
        #[message(min_length = 1)]
        store: String,
    },
    Courier {
        address: Address,
        #[serde(default)]
        express: bool,
    },
    Digital,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(crate = "faststream::serde")]
struct Address {
    street: String,
    #[message(pattern = "^[0-9]{5}$")]
    zip: String,
    city: String,
}

/// The `tenant` header.
#[derive(Debug, Clone, PartialEq, Deserialize, Message)]
#[serde(crate = "faststream::serde")]
struct Tenant {
    #[message(min_length = 2)]
    tenant: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Message)]
#[serde(crate = "faststream::serde")]
struct Accepted {
    #[message(minimum = 0)]
    total: f64,
}

async fn place(order: PlacedOrder, Headers(_): Headers<Tenant>) -> Result<Accepted, HandlerError> {
    let total = order
        .lines
        .iter()
        .map(|l| f64::from(l.quantity) * l.unit_price)
        .sum();
    Ok(Accepted { total })
}

fn router() -> Router {
    Router::new()
        .info("Derived shop", "1.0.0")
        .subscriber("orders.placed", place)
        .publisher::<Accepted>("accepted", "orders.accepted")
}

/// The schemas written by hand from the types above, as their serde
/// attributes and constraints mean them.
fn reference() -> Value {
    json!({
        "PlacedOrder": {
            "description": "An order as a shop's front end places it.",
            "type": "object",
            "properties": {
                "customerId": {
                    "description": "Who placed it.",
                    "type": "string", "minLength": 3, "maxLength": 16,
                    "pattern": "^[a-z][a-z0-9-]*$"
                },
                "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}, "minItems": 1, "maxItems": 50},
                "delivery": {"$ref": "#/components/schemas/Delivery"},
                "contactEmail": {"type": ["string", "null"], "format": "email"},
                "priority": {"type": "integer", "minimum": 0, "maximum": 10},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
            },
            "required": ["customerId", "lines", "delivery"],
            "additionalProperties": false
        },
        "Line": {
            "type": "object",
            "properties": {
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "examples": ["ABC-0001"]},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
                "unitPrice": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01}
            },
            "required": ["sku", "quantity", "unitPrice"]
        },
        "Delivery": {
            "description": "How the order reaches its customer.",
            "oneOf": [
                {
                    "description": "Collected at a store.",
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "const": "store_pickup"},
                        "store": {"type": "string", "minLength": 1}
                    },
                    "required": ["kind", "store"]
                },
                {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "const": "courier"},
                        "address": {"$ref": "#/components/schemas/Address"},
                        "express": {"type": "boolean"}
                    },
                    "required": ["kind", "address"]
                },
                {
                    "type": "object",
                    "properties": {"kind": {"type": "string", "const": "digital"}},
                    "required": ["kind"]
                }
            ]
        },
        "Address": {
            "type": "object",
            "properties": {
                "street": {"type": "string"},
                "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                "city": {"type": "string"}
            },
            "required": ["street", "zip", "city"]
        },
        "Tenant": {
            "description": "The `tenant` header.",
            "type": "object",
            "properties": {"tenant": {"type": "string", "minLength": 2}},
            "required": ["tenant"]
        },
        "Accepted": {
            "type": "object",
            "properties": {"total": {"type": "number", "minimum": 0}},
            "required": ["total"]
        }
    })
}

/// A schema by its meaning: key order, the order of `required` and the
/// spelling of numbers (`1` and `1.0`) do not count.
fn meaning(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let v = if k == "required" {
                        let mut names: Vec<Value> = v.as_array().cloned().unwrap_or_default();
                        names.sort_by_key(ToString::to_string);
                        Value::Array(names)
                    } else {
                        meaning(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(meaning).collect()),
        Value::Number(n) => json!(n.as_f64()),
        other => other.clone(),
    }
}

#[test]
fn the_derived_schemas_mean_what_the_reference_says() {
    let export = router().asyncapi();
    let invalid = common::generator_errors(&export);
    assert!(invalid.is_empty(), "{invalid:#?}");
    let doc = export.to_value().unwrap();
    let schemas = &doc["components"]["schemas"];
    let reference = reference();
    for (name, expected) in reference.as_object().unwrap() {
        assert_eq!(
            meaning(&schemas[name]),
            meaning(expected),
            "component {name}:\n{}",
            serde_json::to_string_pretty(&schemas[name]).unwrap()
        );
    }
    assert_eq!(
        schemas.as_object().unwrap().len(),
        reference.as_object().unwrap().len(),
        "{schemas:#}"
    );
}

#[test]
fn the_official_parser_accepts_the_derived_export() {
    let dir = common::scratch("exports-derive");
    let files = common::write_exports(&dir, "derive", &router().asyncapi());
    let failing = common::official_parser_errors(&files);
    assert!(
        failing.is_empty(),
        "the official parser refuses: {failing:#?}"
    );
}

fn valid() -> Value {
    json!({
        "customerId": "ada-1",
        "lines": [{"sku": "ABC-0001", "quantity": 2, "unitPrice": 2.5}],
        "delivery": {"kind": "courier", "address": {"street": "1 Main St", "zip": "12345", "city": "X"}},
        "contactEmail": "ada@example.com",
        "tags": ["gift"]
    })
}

/// Each constraint broken once: the message, where it is broken and the
/// rule that refuses it.
fn violations() -> Vec<(Value, &'static str, &'static str)> {
    let with = |pointer: &str, v: Value| {
        let mut doc = valid();
        *doc.pointer_mut(pointer).unwrap() = v;
        doc
    };
    vec![
        (with("/customerId", json!("ad")), "/customerId", "minLength"),
        (
            with("/customerId", json!("a234567890123456x")),
            "/customerId",
            "maxLength",
        ),
        (with("/customerId", json!("Ada")), "/customerId", "pattern"),
        (with("/lines", json!([])), "/lines", "minItems"),
        (
            with(
                "/lines",
                Value::Array(vec![valid()["lines"][0].clone(); 51]),
            ),
            "/lines",
            "maxItems",
        ),
        (
            with("/lines/0/sku", json!("abc-1")),
            "/lines/0/sku",
            "pattern",
        ),
        (
            with("/lines/0/quantity", json!(0)),
            "/lines/0/quantity",
            "minimum",
        ),
        (
            with("/lines/0/quantity", json!(1001)),
            "/lines/0/quantity",
            "maximum",
        ),
        (
            with("/lines/0/unitPrice", json!(0)),
            "/lines/0/unitPrice",
            "exclusiveMinimum",
        ),
        (
            with("/lines/0/unitPrice", json!(0.005)),
            "/lines/0/unitPrice",
            "multipleOf",
        ),
        (
            with("/contactEmail", json!("nobody")),
            "/contactEmail",
            "format",
        ),
        (
            with("/delivery", json!({"kind": "store_pickup", "store": ""})),
            "/delivery/store",
            "minLength",
        ),
        (
            with("/delivery/address/zip", json!("1234")),
            "/delivery/address/zip",
            "pattern",
        ),
        (
            {
                let mut d = valid();
                d["priority"] = json!(11);
                d
            },
            "/priority",
            "maximum",
        ),
        (with("/tags", json!(["a", "a"])), "/tags", "uniqueItems"),
    ]
}

#[test]
fn every_constraint_names_its_field_and_rule() {
    let ok: PlacedOrder = decode_json(valid().to_string().as_bytes()).unwrap();
    assert_eq!(ok.priority, 0);
    for (message, path, rule) in violations() {
        let err = decode_json::<PlacedOrder>(message.to_string().as_bytes())
            .expect_err(&format!("{path} {rule} accepted"));
        let faststream::DecodeError::Invalid(errors) = err else {
            panic!("{path} {rule}: not a validation error: {err}");
        };
        assert!(
            errors.0.iter().any(|e| e.path == path && e.rule == rule),
            "expected {path}: {rule}, got {errors}"
        );
    }
    // What serde itself refuses: an unknown field (deny_unknown_fields),
    // a missing required one, an unknown tag.
    let mut unknown = valid();
    unknown["extra"] = json!(1);
    let mut missing = valid();
    missing.as_object_mut().unwrap().remove("delivery");
    let tag = {
        let mut d = valid();
        d["delivery"] = json!({"kind": "teleport"});
        d
    };
    for bad in [unknown, missing, tag] {
        assert!(matches!(
            decode_json::<PlacedOrder>(bad.to_string().as_bytes()),
            Err(faststream::DecodeError::Json(_))
        ));
    }
}

#[tokio::test]
async fn violations_never_reach_the_handler_on_the_memory_broker() {
    const TIMEOUT: Duration = Duration::from_secs(5);
    let app = TestApp::start(router()).await;
    let cases = violations();
    for (message, _, _) in &cases {
        app.publisher()
            .publish(
                Envelope::new("orders.placed", message.to_string()).with_header("tenant", "acme"),
            )
            .await
            .unwrap();
    }
    // A header that breaks its constraint, and a valid message.
    app.publisher()
        .publish(Envelope::new("orders.placed", valid().to_string()).with_header("tenant", "a"))
        .await
        .unwrap();
    app.publisher()
        .publish(Envelope::new("orders.placed", valid().to_string()).with_header("tenant", "acme"))
        .await
        .unwrap();
    app.wait_finished(cases.len() as u64 + 2, TIMEOUT).await;
    // Each refused message is dead-lettered with the field and the rule.
    let dead = app.dead_letters();
    assert_eq!(dead.len(), cases.len() + 1);
    for ((_, path, rule), letter) in cases.iter().zip(&dead) {
        assert!(
            letter.reason.contains(&format!("{path}: {rule}:")),
            "{path} {rule}: {}",
            letter.reason
        );
    }
    assert!(
        dead[cases.len()].reason.contains("/tenant: minLength:"),
        "{}",
        dead[cases.len()].reason
    );
    let m = app.shutdown().await;
    assert_eq!(
        (m.handled, m.decode_failures),
        (1, cases.len() as u64 + 1),
        "{m:?}"
    );
}
