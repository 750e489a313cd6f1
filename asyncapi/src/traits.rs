//! Trait application: operation and message traits merged into the
//! objects that list them, by the specification's rules, before anything
//! else reads the document.
//!
//! Both families merge with JSON Merge Patch (RFC 7386), trait by trait in
//! the order they are listed; they differ in who wins a field both give:
//!
//! - **2.x**: each trait is merged *into* the object, so a trait's field
//!   replaces the object's own (objects merged key by key, recursively).
//! - **3.x**: the traits are merged first and the object's own fields on
//!   top of them ("a property on a trait MUST NOT override the same
//!   property on the target object").
//!
//! Both are what the official parser (`@asyncapi/parser` 3.x) does. Where a
//! merge meets a `$ref` on one side and an object on the other, the
//! reference is resolved first (the parser works on a dereferenced
//! document); a reference that meets nothing to merge with stays a
//! reference, so component names survive. A trait given by `$ref` is
//! resolved first (references must be local: the loader bundles external
//! ones); a trait that does not resolve stays in the object's `traits`
//! list and is reported in [`Applied::unresolved`].
//!
//! Traits are applied where the specification allows them: 2.x
//! operations (`publish`/`subscribe` of channels and component channels),
//! their messages (and each `oneOf` message) and component messages; 3.x
//! operations, channel messages and component messages. The applied
//! object keeps its own keys first, in their order, then what traits added.

use serde_json::{Map, Value};

use crate::SpecVersion;
use crate::convert::resolve_pointer;
use crate::pointer::escape;

/// Where a part of the applied document came from: the part at `at` (a
/// JSON pointer into the applied document) was written at `from` (a JSON
/// pointer into the document as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub at: String,
    pub from: String,
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// How many objects had traits applied.
    pub objects: usize,
    /// Where the merged parts came from (most specific last for a place).
    pub origins: Vec<Origin>,
    /// Pointers of trait entries that did not resolve (left in place).
    pub unresolved: Vec<String>,
}

impl Applied {
    /// The pointer in the document as written of the part at `pointer` in
    /// the applied one: inside a field a trait gave, the trait's own field.
    pub fn source_of(&self, pointer: &str) -> String {
        let best = self
            .origins
            .iter()
            .filter(|o| {
                pointer == o.at
                    || (pointer.starts_with(o.at.as_str())
                        && pointer.as_bytes().get(o.at.len()) == Some(&b'/'))
            })
            .max_by_key(|o| o.at.len());
        match best {
            Some(o) => format!("{}{}", o.from, &pointer[o.at.len()..]),
            None => pointer.to_owned(),
        }
    }
}

/// Applies every operation and message trait of a document (2.x or 3.x,
/// by its `asyncapi` field) in place and removes the `traits` lists that
/// were fully applied. A document of no known version is left as it is.
pub fn apply(doc: &mut Value) -> Applied {
    let mut applied = Applied::default();
    let Some(version) = SpecVersion::of(doc) else {
        return applied;
    };
    if !has_traits(doc) {
        return applied;
    }
    let Some(root) = doc.as_object().cloned() else {
        return applied;
    };
    let rule = match version {
        SpecVersion::V2(_) => Rule::TraitWins,
        SpecVersion::V3(_) => Rule::ObjectWins,
    };
    let mut cx = Cx {
        root: &root,
        rule,
        out: &mut applied,
    };
    for pointer in targets(doc, version) {
        if let Some(Value::Object(obj)) = doc.pointer_mut(&pointer) {
            cx.apply_to(obj, &pointer);
        }
    }
    applied
}

/// Whether any object of the document lists traits (a cheap walk that
/// spares the copy of the root when there is nothing to apply).
fn has_traits(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            matches!(m.get("traits"), Some(Value::Array(a)) if !a.is_empty())
                || m.values().any(has_traits)
        }
        Value::Array(a) => a.iter().any(has_traits),
        _ => false,
    }
}

/// The pointers of every object that may carry traits, in the order the
/// official parser visits them (operations before their messages).
fn targets(doc: &Value, version: SpecVersion) -> Vec<String> {
    let mut out = Vec::new();
    let keys = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    match version {
        SpecVersion::V2(_) => {
            for base in ["/channels", "/components/channels"] {
                for ch in keys(doc.pointer(base)) {
                    for action in ["publish", "subscribe"] {
                        let op = format!("{base}/{}/{action}", escape(&ch));
                        if doc.pointer(&op).is_none() {
                            continue;
                        }
                        out.push(op.clone());
                        let message = format!("{op}/message");
                        match doc.pointer(&format!("{message}/oneOf")) {
                            Some(Value::Array(list)) => {
                                out.extend((0..list.len()).map(|i| format!("{message}/oneOf/{i}")));
                            }
                            _ => out.push(message),
                        }
                    }
                }
            }
            for m in keys(doc.pointer("/components/messages")) {
                out.push(format!("/components/messages/{}", escape(&m)));
            }
        }
        SpecVersion::V3(_) => {
            for base in ["/operations", "/components/operations"] {
                for op in keys(doc.pointer(base)) {
                    out.push(format!("{base}/{}", escape(&op)));
                }
            }
            for base in ["/channels", "/components/channels"] {
                for ch in keys(doc.pointer(base)) {
                    let messages = format!("{base}/{}/messages", escape(&ch));
                    for m in keys(doc.pointer(&messages)) {
                        out.push(format!("{messages}/{}", escape(&m)));
                    }
                }
            }
            for m in keys(doc.pointer("/components/messages")) {
                out.push(format!("/components/messages/{}", escape(&m)));
            }
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Rule {
    /// 2.x: each trait merged into the object.
    TraitWins,
    /// 3.x: the object merged over its traits.
    ObjectWins,
}

struct Cx<'a> {
    /// The document as given (traits and references resolve in it).
    root: &'a Map<String, Value>,
    rule: Rule,
    out: &'a mut Applied,
}

impl Cx<'_> {
    fn apply_to(&mut self, obj: &mut Map<String, Value>, at: &str) {
        if obj.contains_key("$ref") {
            return;
        }
        let Some(Value::Array(list)) = obj.get("traits").cloned() else {
            return;
        };
        let mut traits = Vec::new();
        let mut unresolved = Vec::new();
        for (i, t) in list.iter().enumerate() {
            let here = format!("{at}/traits/{i}");
            match self.resolve(t, &here) {
                Some((Value::Object(fields), from)) => traits.push((fields, from)),
                _ => {
                    self.out.unresolved.push(here);
                    unresolved.push(t.clone());
                }
            }
        }
        obj.remove("traits");
        self.out.objects += 1;
        match self.rule {
            Rule::TraitWins => {
                for (fields, from) in &traits {
                    for (k, v) in fields {
                        let key_at = format!("{at}/{}", escape(k));
                        let key_from = format!("{from}/{}", escape(k));
                        let merged = self.merge(obj.remove(k), v, &key_at, &key_from);
                        set(obj, k, merged);
                    }
                }
            }
            Rule::ObjectWins => {
                let own = std::mem::take(obj);
                let mut result = Map::new();
                for (fields, from) in &traits {
                    for (k, v) in fields {
                        let key_at = format!("{at}/{}", escape(k));
                        let key_from = format!("{from}/{}", escape(k));
                        let merged = self.merge(result.remove(k), v, &key_at, &key_from);
                        set(&mut result, k, merged);
                    }
                }
                // The object's own keys first, in their order.
                for (k, v) in &own {
                    let key_at = format!("{at}/{}", escape(k));
                    let merged = self.merge(result.remove(k), v, &key_at, &key_at);
                    set(obj, k, merged);
                }
                for (k, v) in result {
                    obj.insert(k, v);
                }
            }
        }
        if !unresolved.is_empty() {
            obj.insert("traits".into(), Value::Array(unresolved));
        }
    }

    /// A trait entry, its `$ref`s followed: the object and where it is.
    fn resolve(&self, v: &Value, at: &str) -> Option<(Value, String)> {
        let mut cur = v;
        let mut here = at.to_owned();
        for _ in 0..32 {
            match cur.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let pointer = r.strip_prefix('#')?;
                    cur = resolve_pointer(self.root, pointer)?;
                    here = pointer.to_owned();
                }
                None => return Some((cur.clone(), here)),
            }
        }
        None
    }

    /// JSON Merge Patch of `patch` (written at `from`) over `origin`, the
    /// result placed at `at`. `None`: the key is removed.
    fn merge(
        &mut self,
        origin: Option<Value>,
        patch: &Value,
        at: &str,
        from: &str,
    ) -> Option<Value> {
        let Value::Object(p) = patch else {
            self.replaced(at, from);
            return match patch {
                Value::Null => None,
                other => Some(other.clone()),
            };
        };
        let origin = match origin {
            Some(Value::Object(o)) => o,
            _ => {
                self.replaced(at, from);
                return Some(strip_nulls(patch));
            }
        };
        if origin == *p {
            return Some(Value::Object(origin));
        }
        // A reference on either side is resolved before merging.
        let (origin, base_from) = if origin.contains_key("$ref") {
            match self.resolve(&Value::Object(origin.clone()), at) {
                Some((Value::Object(o), where_)) => (o, Some(where_)),
                _ => {
                    self.replaced(at, from);
                    return Some(strip_nulls(patch));
                }
            }
        } else {
            (origin, None)
        };
        let (p, from) = if p.contains_key("$ref") {
            match self.resolve(patch, from) {
                Some((Value::Object(o), where_)) => (o, where_),
                _ => {
                    self.replaced(at, from);
                    return Some(patch.clone());
                }
            }
        } else {
            (p.clone(), from.to_owned())
        };
        if let Some(base) = base_from {
            // What the resolved origin keeps comes from its target.
            self.replaced(at, &base);
        }
        let mut result = origin;
        for (k, v) in &p {
            let key_at = format!("{at}/{}", escape(k));
            let key_from = format!("{from}/{}", escape(k));
            let merged = self.merge(result.remove(k), v, &key_at, &key_from);
            set(&mut result, k, merged);
        }
        Some(Value::Object(result))
    }

    /// Records that the part at `at` is now wholly what was written at
    /// `from` (forgetting what was recorded inside it before).
    fn replaced(&mut self, at: &str, from: &str) {
        self.out.origins.retain(|o| {
            !(o.at == at || (o.at.starts_with(at) && o.at.as_bytes().get(at.len()) == Some(&b'/')))
        });
        // Recorded even where it is the same place: it hides what an
        // enclosing part recorded.
        self.out.origins.push(Origin {
            at: at.to_owned(),
            from: from.to_owned(),
        });
    }
}

fn set(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), v);
    }
}

/// A patch applied to nothing: its object members that are `null` removed,
/// at every depth (RFC 7386).
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v3(channel_message: Value, components: Value) -> Value {
        json!({
            "asyncapi": "3.0.0",
            "info": { "title": "t", "version": "1" },
            "channels": { "a": { "messages": { "m": channel_message } } },
            "components": components
        })
    }

    #[test]
    fn in_3x_the_object_wins_and_traits_apply_in_order() {
        let mut doc = v3(
            json!({
                "contentType": "text/plain",
                "bindings": { "amqp": { "messageType": "x" }, "kafka": { "bindingVersion": "0.5.0" } },
                "traits": [
                    { "$ref": "#/components/messageTraits/common" },
                    { "summary": "second", "contentType": "ignored", "title": "t2" }
                ]
            }),
            json!({
                "messageTraits": {
                    "common": {
                        "contentType": "application/json",
                        "title": "t1",
                        "headers": { "type": "object" },
                        "bindings": { "kafka": { "key": { "type": "string" } } }
                    }
                }
            }),
        );
        let applied = apply(&mut doc);
        assert_eq!(applied.objects, 1);
        let m = &doc["channels"]["a"]["messages"]["m"];
        assert_eq!(
            *m,
            json!({
                "contentType": "text/plain",
                "bindings": {
                    "amqp": { "messageType": "x" },
                    "kafka": { "key": { "type": "string" }, "bindingVersion": "0.5.0" }
                },
                "title": "t2",
                "headers": { "type": "object" },
                "summary": "second"
            })
        );
        // Own keys first, in their order.
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(keys[..2], ["contentType", "bindings"]);
        assert_eq!(
            applied.source_of("/channels/a/messages/m/headers/type"),
            "/components/messageTraits/common/headers/type"
        );
        assert_eq!(
            applied.source_of("/channels/a/messages/m/bindings/kafka/key"),
            "/components/messageTraits/common/bindings/kafka/key"
        );
        assert_eq!(
            applied.source_of("/channels/a/messages/m/bindings/amqp"),
            "/channels/a/messages/m/bindings/amqp"
        );
        assert_eq!(
            applied.source_of("/channels/a/messages/m/summary"),
            "/channels/a/messages/m/traits/1/summary"
        );
    }

    #[test]
    fn in_2x_each_trait_wins_over_the_object() {
        let mut doc = json!({
            "asyncapi": "2.6.0",
            "info": { "title": "t", "version": "1" },
            "channels": { "a": { "subscribe": {
                "operationId": "onA",
                "bindings": { "kafka": { "clientId": { "type": "string" } } },
                "traits": [{ "$ref": "#/components/operationTraits/kafka" }],
                "message": { "oneOf": [
                    { "contentType": "text/plain", "traits": [{ "contentType": "application/json" }] },
                    { "$ref": "#/components/messages/B" }
                ] }
            } } },
            "components": {
                "messages": { "B": {
                    "payload": { "type": "string" },
                    "traits": [{ "$ref": "#/components/messageTraits/h" }]
                } },
                "messageTraits": { "h": { "headers": { "$ref": "#/components/schemas/H" } } },
                "operationTraits": { "kafka": { "bindings": { "kafka": {
                    "groupId": { "type": "string", "enum": ["g"] },
                    "clientId": { "type": "string", "enum": ["c"] }
                } } } },
                "schemas": { "H": { "type": "object" } }
            }
        });
        apply(&mut doc);
        let op = &doc["channels"]["a"]["subscribe"];
        assert_eq!(
            op["bindings"]["kafka"],
            json!({
                "clientId": { "type": "string", "enum": ["c"] },
                "groupId": { "type": "string", "enum": ["g"] }
            })
        );
        assert!(op.get("traits").is_none());
        assert_eq!(
            op["message"]["oneOf"][0],
            json!({ "contentType": "application/json" })
        );
        // A reference that meets nothing stays a reference.
        assert_eq!(
            doc["components"]["messages"]["B"]["headers"],
            json!({ "$ref": "#/components/schemas/H" })
        );
    }

    #[test]
    fn references_are_resolved_before_they_merge_and_null_removes() {
        let mut doc = v3(
            json!({
                "headers": { "$ref": "#/components/schemas/Own" },
                "summary": null,
                "traits": [{ "headers": { "properties": { "t": { "type": "string" } } }, "summary": "s", "description": "d" }]
            }),
            json!({ "schemas": { "Own": { "type": "object", "properties": { "o": { "type": "integer" } } } } }),
        );
        let applied = apply(&mut doc);
        let m = &doc["channels"]["a"]["messages"]["m"];
        assert_eq!(
            m["headers"],
            json!({ "properties": { "t": { "type": "string" }, "o": { "type": "integer" } }, "type": "object" })
        );
        assert!(m.get("summary").is_none(), "{m}");
        assert_eq!(m["description"], "d");
        assert_eq!(
            applied.source_of("/channels/a/messages/m/headers/properties/o"),
            "/components/schemas/Own/properties/o"
        );
        assert_eq!(
            applied.source_of("/channels/a/messages/m/headers/properties/t/type"),
            "/channels/a/messages/m/traits/0/headers/properties/t/type"
        );
    }

    #[test]
    fn operation_traits_apply_and_unresolved_ones_are_kept() {
        let mut doc = json!({
            "asyncapi": "3.0.0",
            "operations": {
                "o": { "action": "receive", "traits": [{ "$ref": "#/nowhere" }, { "summary": "s" }] }
            }
        });
        let applied = apply(&mut doc);
        assert_eq!(
            doc["operations"]["o"],
            json!({ "action": "receive", "summary": "s", "traits": [{ "$ref": "#/nowhere" }] })
        );
        assert_eq!(applied.unresolved, ["/operations/o/traits/0"]);
    }

    #[test]
    fn traits_outside_their_places_and_documents_without_version_are_untouched() {
        // A schema property named `traits` is data, not a trait list.
        let schema = json!({ "type": "object", "properties": { "traits": { "type": "array" } }, "default": { "traits": [{ "a": 1 }] } });
        let mut doc = v3(json!({ "payload": schema.clone() }), json!({}));
        let before = doc.clone();
        assert_eq!(apply(&mut doc).objects, 0);
        assert_eq!(doc, before);
        let mut unversioned = json!({ "operations": { "o": { "traits": [{ "summary": "s" }] } } });
        let before = unversioned.clone();
        apply(&mut unversioned);
        assert_eq!(unversioned, before);
    }

    #[test]
    fn applying_twice_changes_nothing_more() {
        let mut doc = v3(
            json!({ "traits": [{ "headers": { "type": "object" } }] }),
            json!({}),
        );
        apply(&mut doc);
        let once = doc.clone();
        assert_eq!(apply(&mut doc).objects, 0);
        assert_eq!(doc, once);
    }
}
