//! Documents compared by meaning (the round trip tests): each operation
//! with its action, channel address, parameters, reply, and the payload and
//! headers schemas of its messages (types, properties, required, enums,
//! consts, formats, bounds, items, additionalProperties; `$ref`s followed;
//! titles, descriptions and examples left out).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

/// The spec's canonical 3.x document (bundled, 2.x converted).
pub fn original(path: &Path) -> Value {
    let checked = faststream_gen::check_file(path, &faststream_gen::LoadOptions::default());
    assert!(
        !checked.has_errors(),
        "{}: {:?}",
        path.display(),
        checked.diagnostics
    );
    serde_json::to_value(checked.model.expect("a model")).unwrap()
}

/// The schema keywords that carry meaning (no titles, descriptions or
/// examples), with `$ref`s followed (a schema reached again inside itself
/// is named, not expanded).
fn schema_meaning(doc: &Value, schema: &Value, stack: &mut Vec<String>) -> Value {
    const KEEP: &[&str] = &[
        "type",
        "properties",
        "required",
        "enum",
        "const",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "multipleOf",
        "items",
        "additionalProperties",
        "oneOf",
        "anyOf",
        "allOf",
        "not",
        "minProperties",
        "maxProperties",
        "discriminator",
        "default",
        "patternProperties",
        "prefixItems",
        "contains",
    ];
    match schema {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let p = r.trim_start_matches('#').to_owned();
                if stack.contains(&p) {
                    return json!({"recursive": p.rsplit('/').next()});
                }
                let target = doc.pointer(&p).unwrap_or_else(|| panic!("dangling {r}"));
                stack.push(p);
                let v = schema_meaning(doc, target, stack);
                stack.pop();
                return v;
            }
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                if !KEEP.contains(&k.as_str()) {
                    continue;
                }
                let v = match k.as_str() {
                    "properties" | "patternProperties" => Value::Object(
                        v.as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, s)| (name.clone(), schema_meaning(doc, s, stack)))
                            .collect(),
                    ),
                    "required" => {
                        let mut r: Vec<Value> = v.as_array().cloned().unwrap_or_default();
                        r.sort_by_key(|x| x.to_string());
                        Value::Array(r)
                    }
                    "enum" | "const" | "default" | "type" | "format" => v.clone(),
                    _ => schema_meaning(doc, v, stack),
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|s| schema_meaning(doc, s, stack)).collect()),
        other => other.clone(),
    }
}

fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => deref(
            doc,
            doc.pointer(r.trim_start_matches('#')).expect("resolves"),
        ),
        None => v,
    }
}

fn messages_meaning(doc: &Value, messages: Option<&Value>) -> Vec<Value> {
    let mut out: Vec<Value> = messages
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            let m = deref(doc, m);
            json!({
                "payload": m.get("payload").map(|s| schema_meaning(doc, s, &mut Vec::new())),
                "headers": m.get("headers").map(|s| schema_meaning(doc, s, &mut Vec::new())),
                "contentType": m.get("contentType"),
            })
        })
        .collect();
    out.sort_by_key(Value::to_string);
    out
}

/// Each operation's meaning, by key.
pub fn meaning(doc: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (key, op) in doc["operations"].as_object().into_iter().flatten() {
        let op = deref(doc, op);
        let channel = deref(doc, &op["channel"]);
        let mut params: Vec<(String, Value)> = channel
            .get("parameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, p)| {
                let p = deref(doc, p);
                (
                    k.clone(),
                    json!({"enum": p.get("enum"), "default": p.get("default")}),
                )
            })
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        // An operation without `messages` has all of its channel's.
        let messages = match op.get("messages") {
            Some(m) => messages_meaning(doc, Some(m)),
            None => messages_meaning(
                doc,
                Some(&Value::Array(
                    channel
                        .get("messages")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .map(|(_, m)| m.clone())
                        .collect(),
                )),
            ),
        };
        let reply = op.get("reply").map(|r| {
            let r = deref(doc, r);
            json!({
                "address": r.get("address").map(|a| deref(doc, a).get("location").cloned()),
                "channel": r.get("channel").map(|c| deref(doc, c).get("address").cloned()),
                "messages": messages_meaning(doc, r.get("messages")),
            })
        });
        out.insert(
            key.clone(),
            json!({
                "action": op["action"],
                "address": channel.get("address"),
                "parameters": params,
                "messages": messages,
                "reply": reply,
            }),
        );
    }
    out
}
