//! How many distinct instances a case can have at most, where the schema
//! alone says it is fewer than any floor: the test holds a case below the
//! floor to this bound, so that a shortfall is the value space's, never
//! the instance generator's.

use serde_json::Value;

use crate::Via;
use crate::instances::{Gen, required};

/// The most distinct conforming (`valid`) and non-conforming (`invalid`)
/// instances a case can have, `None` where there is no small bound, and
/// why.
pub struct Bound {
    pub valid: Option<u64>,
    pub invalid: Option<u64>,
    pub why: &'static str,
}

impl Bound {
    const NONE: Bound = Bound {
        valid: None,
        invalid: None,
        why: "",
    };
}

/// The bound of a case's schema, read as the case reads it.
pub fn bound(g: &Gen<'_>, schema: &Value, via: &Via) -> Bound {
    match via {
        Via::Params(_) => params(g, schema),
        Via::Headers => headers(g, schema),
        Via::Json | Via::MessageEnum => Bound {
            valid: values(g, schema, 0),
            invalid: None,
            why: "a small value space (constants, enums, booleans, bounded integers, null)",
        },
    }
}

/// A channel's parameters in an address: each a non-empty string, from
/// its `enum` where it has one. Conforming addresses are as many as the
/// enums' product; a single parameter without an `enum` has one wrong
/// value an address can carry, the empty segment.
fn params(g: &Gen<'_>, schema: &Value) -> Bound {
    let props: Vec<&Value> = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .collect();
    let enums: Option<u64> = props
        .iter()
        .map(|p| {
            g.resolve(p)
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| e.len() as u64)
        })
        .try_fold(1u64, |n, e| Some(n.saturating_mul(e?)));
    let single_open = props.len() == 1 && enums.is_none();
    Bound {
        valid: enums,
        invalid: single_open.then_some(1),
        why: if single_open {
            "one parameter without an enum: the empty segment is the one wrong value an address carries"
        } else {
            "parameters from enums: as many addresses as the enums' product"
        },
    }
}

/// Headers as a broker carries them, a map of strings.
fn headers(g: &Gen<'_>, schema: &Value) -> Bound {
    let flat = g.flat(schema);
    let props = flat.get("properties").and_then(Value::as_object);
    let additional = flat.get("additionalProperties");
    let requires_some = !required(&flat).is_empty();
    // No header is `null` on the wire: where every name must be `null`
    // and none is named, only the empty map conforms.
    let only_nulls = |s: &Value| g.flat(s).get("type") == Some(&Value::String("null".into()));
    if props.is_none_or(|p| p.is_empty()) && additional.is_some_and(only_nulls) {
        return Bound {
            valid: Some(1),
            invalid: None,
            why: "every header must be null, which no header on the wire is: only the empty map conforms",
        };
    }
    // Every string map conforms: nothing required, and every property
    // (and any other name) takes any string.
    let any_string = |s: &Value| {
        let s = g.flat(s);
        let typed_string = match s.get("type") {
            None => true,
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
            Some(_) => false,
        };
        typed_string
            && [
                "enum",
                "const",
                "pattern",
                "minLength",
                "maxLength",
                "format",
                "oneOf",
                "anyOf",
                "not",
            ]
            .iter()
            .all(|k| s.get(k).is_none())
    };
    let open = match additional {
        None | Some(Value::Bool(true)) => true,
        Some(Value::Bool(false)) => false,
        Some(s) => any_string(s),
    };
    if !requires_some && open && props.is_none_or(|p| p.values().all(any_string)) {
        return Bound {
            valid: None,
            invalid: Some(0),
            why: "every map of strings conforms: no header can be wrong",
        };
    }
    Bound::NONE
}

/// How many values conform to `s`, where that is a small number the
/// schema alone tells: a constant, an enum, a boolean, `null`, a bounded
/// integer, or a closed object of those.
fn values(g: &Gen<'_>, s: &Value, depth: u32) -> Option<u64> {
    if depth > 8 {
        return None;
    }
    let s = g.flat(s);
    if s.get("const").is_some() {
        return Some(1);
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return Some(e.len() as u64);
    }
    match s.get("type").and_then(Value::as_str)? {
        "null" => Some(1),
        "boolean" => Some(2),
        "integer" => {
            let lo = s.get("minimum").and_then(Value::as_i64)?;
            let hi = s.get("maximum").and_then(Value::as_i64)?;
            u64::try_from(hi.checked_sub(lo)?.checked_add(1)?).ok()
        }
        "object" if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
            let required = required(&s);
            s.get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .try_fold(1u64, |n, (k, p)| {
                    let own = values(g, p, depth + 1)? + u64::from(!required.contains(&k.as_str()));
                    n.checked_mul(own)
                })
        }
        _ => None,
    }
}
