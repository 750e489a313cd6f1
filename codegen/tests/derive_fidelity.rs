//! The fidelity method of `tests/fidelity` pointed at
//! `#[derive(faststream::Message)]`: for types that derive it, instances
//! of the derived schema (valid ones and mutations) are decoded with
//! `faststream::decode_json` and judged by an independent JSON Schema
//! validator; the two must agree, and what a decoded value serializes to
//! must conform to the schema too.
//!
//! What serde decides on its own is counted apart, with its reason (and
//! listed in ARCHITECTURE.md): a `uuid::Uuid` also reads the forms other
//! than the hyphenated one `format: uuid` names; inside what serde buffers
//! (an untagged enum, a flattened field) an integer written `5.0` is
//! refused; and an untagged enum takes the first variant that reads, then
//! checks its constraints, where the schema's `anyOf` would try the next
//! (the types here keep constraints out of untagged variants).

use std::collections::{BTreeMap, HashMap};

use faststream::export::{Describe, SchemaComponents};
use faststream::{Message, decode_json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[path = "fidelity/instances.rs"]
#[allow(dead_code)]
mod instances;

use instances::{Gen, Rng, is_uuid, with_integer_formats};

/// A document's parts, as a shop writes them.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Order {
    #[message(min_length = 3, max_length = 12, pattern = "^[a-z][a-z0-9-]*$")]
    customer_id: String,
    #[message(min_items = 1, max_items = 4)]
    lines: Vec<Line>,
    delivery: Delivery,
    #[message(format = "email")]
    contact: Option<String>,
    #[serde(default)]
    #[message(maximum = 10)]
    priority: u8,
    #[serde(default)]
    #[message(unique_items, max_items = 3)]
    tags: Vec<String>,
    #[serde(default)]
    #[message(max_properties = 2)]
    attributes: BTreeMap<String, i32>,
}

#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct Line {
    #[message(pattern = "^[A-Z]{3}-[0-9]{2}$")]
    sku: String,
    #[message(exclusive_minimum = 0, maximum = 99)]
    quantity: i64,
    #[message(minimum = 0, multiple_of = 0.5)]
    unit_price: f64,
    #[serde(alias = "remark")]
    note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Delivery {
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

#[derive(Debug, Serialize, Deserialize, Message)]
struct Address {
    street: String,
    #[message(pattern = "^[0-9]{5}$")]
    zip: String,
}

/// External tagging with every kind of variant.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(rename_all = "lowercase")]
enum Command {
    Start,
    Stop,
    Move(#[message(minimum = -10, maximum = 10)] i32),
    Resize(u16, u16),
    Rename {
        #[message(min_length = 1)]
        to: String,
    },
}

/// Adjacent tagging.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(tag = "t", content = "c", deny_unknown_fields)]
enum Event {
    Ping,
    Count(#[message(maximum = 5)] u32),
    Named { name: String },
}

/// Untagged: the first variant that reads.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(untagged)]
enum Reading {
    Pair { a: i64, b: i64 },
    Single(f64),
    Word(String),
}

/// Transparent and newtype wrappers with constraints of their own.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(transparent)]
struct Sku(#[message(min_length = 2, max_length = 5)] String);

#[derive(Debug, Serialize, Deserialize, Message)]
struct Catalog {
    skus: Vec<Sku>,
    #[serde(flatten)]
    meta: Meta,
    pair: (String, bool),
    stock: HashMap<String, u32>,
    #[serde(skip)]
    #[allow(dead_code)]
    cache: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Message)]
struct Meta {
    #[message(minimum = 1)]
    version: u32,
    label: Option<String>,
}

/// A generic wrapper, described per instance.
#[derive(Debug, Serialize, Deserialize, Message)]
struct Page<T> {
    #[message(max_items = 3)]
    items: Vec<T>,
    #[message(minimum = 0)]
    next: Option<i64>,
}

/// Formats by type.
#[derive(Debug, Serialize, Deserialize, Message)]
struct Stamp {
    id: faststream::uuid::Uuid,
    #[message(format = "date-time")]
    at: String,
    #[message(format = "date")]
    day: Option<String>,
}

/// A flattened externally tagged enum and a flattened `Option`.
#[derive(Debug, Serialize, Deserialize, Message)]
struct Shipment {
    #[message(minimum = 1)]
    id: u32,
    #[serde(flatten)]
    kind: Kind,
    #[serde(flatten)]
    extra: Option<Meta>,
}

#[derive(Debug, Serialize, Deserialize, Message)]
enum Kind {
    Parcel { weight: u32 },
    Letter { to: String },
    Pallet,
}

/// `other` on an externally tagged enum.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(rename_all = "lowercase")]
enum Level {
    Low,
    High,
    /// Read and written as a unit: its field is skipped.
    Gone(#[serde(skip)] String),
    #[serde(other)]
    Unknown,
}

/// Internally tagged newtype variants: a struct refusing unknown fields,
/// a map, a unit struct; and a tagged struct.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(tag = "t")]
enum Wrapped {
    Strict(Inner),
    Map(BTreeMap<String, u32>),
    Nothing(Unit),
    Tagged(TaggedStruct),
}

#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(deny_unknown_fields)]
struct Inner {
    #[message(maximum = 9)]
    a: u32,
}

#[derive(Debug, Serialize, Deserialize, Message)]
struct Unit;

#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(tag = "type")]
struct TaggedStruct {
    id: u32,
}

/// An internally tagged unit variant skips unknown keys even so.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(tag = "t", deny_unknown_fields)]
enum Switch {
    On,
    Off { level: u8 },
}

/// Adjacent tagging with a unit variant and an optional content.
#[derive(Debug, Serialize, Deserialize, Message)]
#[serde(tag = "t", content = "c")]
enum Signal {
    Ping,
    Maybe(Option<u32>),
}

/// A tuple struct whose last position has a default; a parameter only
/// in a `PhantomData` (no bound on it).
#[derive(Debug, Serialize, Deserialize, Message)]
struct Point(i32, #[serde(default)] i32);

#[derive(Debug, Serialize, Deserialize, Message)]
struct Marked<T> {
    id: u32,
    #[serde(skip)]
    marker: std::marker::PhantomData<T>,
}

/// Not a message type: `Marked<NotAMessage>` derives all the same.
#[derive(Debug)]
struct NotAMessage;

type Decode = fn(&[u8]) -> Result<Value, String>;

fn decoder<T: serde::de::DeserializeOwned + faststream::Validate + Serialize>(
    bytes: &[u8],
) -> Result<Value, String> {
    decode_json::<T>(bytes)
        .map_err(|e| e.to_string())
        .and_then(|v| serde_json::to_value(&v).map_err(|e| e.to_string()))
}

fn case<T>() -> (String, Value, Value, Decode)
where
    T: Describe + serde::de::DeserializeOwned + faststream::Validate + Serialize,
{
    let mut c = SchemaComponents::default();
    let schema = T::describe(&mut c);
    let name = std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or_default()
        .to_owned();
    let doc = json!({"components": {"schemas": c.schemas()}});
    (name, doc, schema, decoder::<T>)
}

/// Integers JSON Schema allows but no 64-bit type holds: outside what the
/// derive describes (counted apart, as in `tests/fidelity`).
fn beyond_64_bits(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_i64().is_none()
                && n.as_u64().is_none()
                && n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18)
        }
        Value::Array(a) => a.iter().any(beyond_64_bits),
        Value::Object(o) => o.values().any(beyond_64_bits),
        _ => false,
    }
}

/// Whether an integer is written with a zero fraction (`5.0`) somewhere.
fn integral_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0),
        Value::Array(a) => a.iter().any(integral_float),
        Value::Object(o) => o.values().any(integral_float),
        _ => false,
    }
}

/// The types that hold an untagged enum or a flattened field.
fn is_buffered(name: &str) -> bool {
    matches!(
        name,
        "Reading" | "Catalog" | "Shipment" | "Wrapped" | "Switch" | "Signal"
    )
}

#[test]
fn derived_types_accept_exactly_what_their_schemas_accept() {
    let per_kind: usize = std::env::var("FIDELITY_INSTANCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let cases = [
        case::<Order>(),
        case::<Line>(),
        case::<Delivery>(),
        case::<Command>(),
        case::<Event>(),
        case::<Reading>(),
        case::<Sku>(),
        case::<Catalog>(),
        case::<Page<Line>>(),
        case::<Page<Sku>>(),
        case::<Stamp>(),
        case::<Shipment>(),
        case::<Level>(),
        case::<Wrapped>(),
        case::<Switch>(),
        case::<Signal>(),
        case::<Point>(),
        case::<Marked<NotAMessage>>(),
    ];
    let (mut valid, mut invalid, mut apart) = (0, 0, 0);
    let (mut uuid_forms, mut buffered) = (0, 0);
    let mut disagreements = Vec::new();
    for (i, (name, doc, schema, decode)) in cases.iter().enumerate() {
        let mut root = doc.clone();
        with_integer_formats(&mut root);
        root["$ref"] = schema["$ref"].clone();
        let oracle = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .with_format("uuid", is_uuid)
            .build(&root)
            .unwrap_or_else(|e| {
                panic!("{name}: the derived schema does not compile: {e}\n{doc:#}")
            });
        let mut g = Gen {
            root: doc,
            rng: Rng::new(0x5eed_d3e1 + i as u64),
            bottomed: false,
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut tries = 0;
        let (mut v_n, mut i_n) = (0, 0);
        while (v_n < per_kind || i_n < per_kind) && tries < per_kind * 20 {
            tries += 1;
            let base = g.valid(schema, 0);
            let instance = if tries % 2 == 0 {
                base.clone()
            } else {
                g.mutate(schema, &base)
            };
            if !seen.insert(instance.to_string()) {
                continue;
            }
            let conforms = oracle.is_valid(&instance);
            if (conforms && v_n >= per_kind) || (!conforms && i_n >= per_kind) {
                continue;
            }
            if beyond_64_bits(&instance) {
                apart += 1;
                continue;
            }
            let decoded = decode(instance.to_string().as_bytes());
            if conforms {
                v_n += 1;
            } else {
                i_n += 1;
            }
            match (&decoded, conforms) {
                (Ok(out), true) => {
                    if !oracle.is_valid(out) {
                        disagreements.push(format!(
                            "{name}: {instance} reads, but what it writes does not conform: {out}"
                        ));
                    }
                }
                (Err(_), false) => {}
                // uuid::Uuid also reads its simple, braced and URN forms,
                // where `format: uuid` names the hyphenated one.
                (Ok(_), false)
                    if oracle.iter_errors(&instance).all(|e| {
                        matches!(e.kind(), jsonschema::error::ValidationErrorKind::Format { format } if format == "uuid")
                    }) =>
                {
                    uuid_forms += 1;
                }
                (Ok(_), false) => {
                    let why: Vec<String> = oracle.iter_errors(&instance).map(|e| e.to_string()).collect();
                    disagreements.push(format!("{name}: accepted {instance}, the schema refuses it: {why:?}"));
                }
                // Inside what serde buffers (an untagged enum, a flattened
                // field), `5.0` stays a float an integer type refuses.
                (Err(_), true) if is_buffered(name) && integral_float(&instance) => {
                    buffered += 1;
                }
                (Err(e), true) => disagreements.push(format!(
                    "{name}: refused {instance}, the schema accepts it: {e}"
                )),
            }
        }
        // A small schema (a short string) has few distinct mutations; it
        // is also checked inside the types that hold it.
        assert!(
            v_n >= per_kind / 3 && i_n >= 2,
            "{name}: only {v_n} valid and {i_n} invalid instances"
        );
        println!("  {name}: {v_n} valid, {i_n} invalid");
        valid += v_n;
        invalid += i_n;
    }
    println!(
        "derive fidelity: {} types, {valid} valid and {invalid} invalid instances, {} disagreements \
         (apart: {apart} beyond 64 bits, {uuid_forms} other uuid forms, {buffered} integral floats in serde's buffer)",
        cases.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .step_by(disagreements.len() / 30 + 1)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
