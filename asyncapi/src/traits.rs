//! Trait application: operation and message traits merged into the
//! objects that list them.
//!
//! As the specification says, traits are applied in order and the object's
//! own fields take precedence: a field is taken from a trait only when
//! neither the object nor an earlier trait defines it (a shallow merge).
//! Objects (maps) present in both are merged one level deeper, so a trait's
//! `bindings.kafka` completes an object's `bindings.amqp`.

use serde_json::{Map, Value};

use crate::convert::resolve_pointer;

/// Applies every message and operation trait in a 3.x document value (or a
/// 2.x one: the shapes of traits are the same) and removes the `traits`
/// lists. Trait references must be local (bundle the document first);
/// one that does not resolve is left in place.
pub fn apply(doc: &mut Value) {
    let Some(root) = doc.as_object().cloned() else {
        return;
    };
    apply_in(doc, &root);
}

fn apply_in(v: &mut Value, root: &Map<String, Value>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(traits)) = m.get("traits").cloned() {
                let mut unresolved = Vec::new();
                for t in &traits {
                    match resolve(root, t) {
                        Some(Value::Object(fields)) => merge_missing(m, &fields),
                        _ => unresolved.push(t.clone()),
                    }
                }
                if unresolved.is_empty() {
                    m.remove("traits");
                } else {
                    m.insert("traits".into(), Value::Array(unresolved));
                }
            }
            for (k, child) in m.iter_mut() {
                // Traits themselves, examples and schemas hold no traits
                // to apply.
                if !matches!(
                    k.as_str(),
                    "operationTraits" | "messageTraits" | "examples" | "payload"
                ) {
                    apply_in(child, root);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| apply_in(i, root)),
        _ => {}
    }
}

fn resolve(root: &Map<String, Value>, t: &Value) -> Option<Value> {
    let mut cur = t.clone();
    for _ in 0..16 {
        match cur.get("$ref").and_then(Value::as_str) {
            Some(r) => cur = resolve_pointer(root, r.strip_prefix('#')?)?.clone(),
            None => return Some(cur),
        }
    }
    None
}

fn merge_missing(target: &mut Map<String, Value>, fields: &Map<String, Value>) {
    for (k, v) in fields {
        match (target.get_mut(k), v) {
            (None, _) => {
                target.insert(k.clone(), v.clone());
            }
            (Some(Value::Object(existing)), Value::Object(more))
                if !existing.contains_key("$ref") =>
            {
                for (ik, iv) in more {
                    existing.entry(ik.clone()).or_insert_with(|| iv.clone());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_fields_win_and_traits_apply_in_order() {
        let mut doc = json!({
            "asyncapi": "3.0.0",
            "components": {
                "messageTraits": {
                    "common": {
                        "contentType": "application/json",
                        "headers": { "type": "object" },
                        "bindings": { "kafka": { "key": { "type": "string" } } }
                    }
                }
            },
            "channels": { "a": { "messages": { "m": {
                "contentType": "text/plain",
                "bindings": { "amqp": { "messageType": "x" } },
                "traits": [
                    { "$ref": "#/components/messageTraits/common" },
                    { "summary": "second", "contentType": "ignored" }
                ]
            } } } }
        });
        apply(&mut doc);
        assert_eq!(
            doc["channels"]["a"]["messages"]["m"],
            json!({
                "contentType": "text/plain",
                "bindings": {
                    "amqp": { "messageType": "x" },
                    "kafka": { "key": { "type": "string" } }
                },
                "headers": { "type": "object" },
                "summary": "second"
            })
        );
    }

    #[test]
    fn unresolved_trait_is_kept() {
        let mut doc = json!({ "operations": { "o": { "traits": [{ "$ref": "#/nowhere" }] } } });
        apply(&mut doc);
        assert_eq!(
            doc["operations"]["o"]["traits"],
            json!([{ "$ref": "#/nowhere" }])
        );
    }
}
