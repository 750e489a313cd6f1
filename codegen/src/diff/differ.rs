//! The comparison, operation by operation: info, operations (address,
//! action, reply, parameters, bindings) and their messages.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::change::{Affects, Change, Severity, Side};

pub(super) struct Differ<'a> {
    pub(super) old: &'a Side<'a>,
    pub(super) new: &'a Side<'a>,
    pub(super) out: Vec<Change>,
    /// Pairs of referenced schemas compared already.
    pub(super) seen: std::collections::HashSet<(String, String, bool)>,
}

pub(super) fn escape(s: &str) -> String {
    faststream_asyncapi::pointer::escape(s)
}

/// The direction a schema is read in: received by the application (its
/// producers break when it accepts less) or sent (its consumers break when
/// it carries more or other).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Received,
    Sent,
}

impl Flow {
    /// Who breaks when the schema narrows (accepts less).
    pub(super) fn narrowing(self) -> (Severity, Affects) {
        match self {
            Flow::Received => (Severity::Breaking, Affects::Producers),
            Flow::Sent => (Severity::NonBreaking, Affects::Nobody),
        }
    }

    /// Who breaks when the schema widens (may carry more or other).
    pub(super) fn widening(self) -> (Severity, Affects) {
        match self {
            Flow::Received => (Severity::NonBreaking, Affects::Nobody),
            Flow::Sent => (Severity::Breaking, Affects::Consumers),
        }
    }
}

/// Compares numbers as JSON does (`1` equals `1.0`).
pub(super) fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

pub(super) const NON_BREAKING: &[&str] = &[
    "description",
    "title",
    "summary",
    "examples",
    "example",
    "tags",
    "externalDocs",
    "$comment",
    "deprecated",
];

impl Differ<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        severity: Severity,
        affects: Affects,
        kind: &'static str,
        message: String,
        old_pointer: Option<&str>,
        new_pointer: Option<&str>,
    ) {
        let affects = if severity == Severity::NonBreaking {
            Affects::Nobody
        } else {
            affects
        };
        self.out.push(Change {
            severity,
            affects,
            kind,
            message,
            old_location: old_pointer.and_then(|p| self.old.location(p)),
            new_location: new_pointer.and_then(|p| self.new.location(p)),
            old_pointer: old_pointer.map(str::to_owned),
            new_pointer: new_pointer.map(str::to_owned),
        });
    }

    pub(super) fn info(&mut self) {
        for key in ["title", "version", "description"] {
            let (a, b) = (
                self.old.doc.pointer(&format!("/info/{key}")),
                self.new.doc.pointer(&format!("/info/{key}")),
            );
            if a != b {
                let at = format!("/info/{key}");
                self.push(
                    Severity::NonBreaking,
                    Affects::Nobody,
                    "info-changed",
                    format!("info.{key} changed"),
                    a.map(|_| at.as_str()),
                    b.map(|_| at.as_str()),
                );
            }
        }
    }

    pub(super) fn operations(&mut self) {
        let empty = Map::new();
        let old_ops = self.old.doc["operations"].as_object().unwrap_or(&empty);
        let new_ops = self.new.doc["operations"].as_object().unwrap_or(&empty);
        let mut matched_new = BTreeSet::new();
        for (key, old_op) in old_ops {
            let at = format!("/operations/{}", escape(key));
            if let Some(new_op) = new_ops.get(key) {
                matched_new.insert(key.clone());
                self.operation(old_op, new_op, &at, &at);
                continue;
            }
            // Renamed: the same action on the same address under another key.
            let address = self.address(self.old, old_op);
            let action = old_op["action"].as_str();
            let renamed = new_ops.iter().find(|(k, op)| {
                !old_ops.contains_key(*k)
                    && !matched_new.contains(*k)
                    && op["action"].as_str() == action
                    && self.address(self.new, op) == address
            });
            let affects = if action == Some("receive") {
                Affects::Producers
            } else {
                Affects::Consumers
            };
            match renamed {
                Some((new_key, new_op)) => {
                    matched_new.insert(new_key.clone());
                    let new_at = format!("/operations/{}", escape(new_key));
                    self.push(
                        Severity::Breaking,
                        affects,
                        "operation-renamed",
                        format!("operation `{key}` is now `{new_key}` (same action and address)"),
                        Some(&at),
                        Some(&new_at),
                    );
                    self.operation(old_op, new_op, &at, &new_at);
                }
                None => self.push(
                    Severity::Breaking,
                    affects,
                    "operation-removed",
                    format!(
                        "operation `{key}` ({} {}) was removed",
                        action.unwrap_or("?"),
                        address.as_deref().unwrap_or("?")
                    ),
                    Some(&at),
                    None,
                ),
            }
        }
        for (key, op) in new_ops {
            if old_ops.contains_key(key) || matched_new.contains(key) {
                continue;
            }
            let at = format!("/operations/{}", escape(key));
            self.push(
                Severity::NonBreaking,
                Affects::Nobody,
                "operation-added",
                format!(
                    "operation `{key}` ({} {}) was added",
                    op["action"].as_str().unwrap_or("?"),
                    self.address(self.new, op).as_deref().unwrap_or("?")
                ),
                None,
                Some(&at),
            );
        }
    }

    pub(super) fn address(&self, side: &Side<'_>, op: &Value) -> Option<String> {
        side.resolve(&op["channel"])
            .get("address")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    pub(super) fn operation(&mut self, old: &Value, new: &Value, old_at: &str, new_at: &str) {
        let (old, new) = (self.old.resolve(old), self.new.resolve(new));
        let key = old_at.rsplit('/').next().unwrap_or_default().to_owned();
        let action = old["action"].as_str().unwrap_or("");
        if old["action"] != new["action"] {
            self.push(
                Severity::Breaking,
                Affects::Both,
                "action-changed",
                format!(
                    "operation `{key}`: action `{action}` is now `{}`",
                    new["action"].as_str().unwrap_or("")
                ),
                Some(&format!("{old_at}/action")),
                Some(&format!("{new_at}/action")),
            );
            return;
        }
        let flow = if action == "receive" {
            Flow::Received
        } else {
            Flow::Sent
        };
        // The channel: address and parameters.
        let old_ch_at = self
            .old
            .target(&old["channel"], &format!("{old_at}/channel"));
        let new_ch_at = self
            .new
            .target(&new["channel"], &format!("{new_at}/channel"));
        let (old_ch, new_ch) = (
            self.old.resolve(&old["channel"]),
            self.new.resolve(&new["channel"]),
        );
        if old_ch.get("address") != new_ch.get("address") {
            self.push(
                Severity::Breaking,
                Affects::Both,
                "address-changed",
                format!(
                    "operation `{key}`: the address `{}` is now `{}`",
                    old_ch["address"].as_str().unwrap_or("(dynamic)"),
                    new_ch["address"].as_str().unwrap_or("(dynamic)")
                ),
                Some(&format!("{old_ch_at}/address")),
                Some(&format!("{new_ch_at}/address")),
            );
        }
        self.parameters(old_ch, new_ch, &old_ch_at, &new_ch_at, &key);
        self.bindings(
            &old_ch["bindings"],
            &new_ch["bindings"],
            &format!("{old_ch_at}/bindings"),
            &format!("{new_ch_at}/bindings"),
        );
        self.bindings(
            &old["bindings"],
            &new["bindings"],
            &format!("{old_at}/bindings"),
            &format!("{new_at}/bindings"),
        );
        // The reply.
        match (old.get("reply"), new.get("reply")) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => {
                // A 2.x document cannot describe a reply: its absence there
                // says nothing, and is for a person to judge.
                let silent = if old.get("reply").is_some() {
                    !self.new.v3
                } else {
                    !self.old.v3
                };
                let (severity, note) = if silent {
                    (
                        Severity::NeedsReview,
                        " (AsyncAPI 2.x cannot describe replies)",
                    )
                } else {
                    (Severity::Breaking, "")
                };
                self.push(
                    severity,
                    Affects::Both,
                    if old.get("reply").is_some() {
                        "reply-removed"
                    } else {
                        "reply-added"
                    },
                    format!(
                        "operation `{key}`: {}{note}",
                        if old.get("reply").is_some() {
                            "the reply was removed"
                        } else {
                            "a reply was added"
                        }
                    ),
                    old.get("reply")
                        .map(|_| format!("{old_at}/reply"))
                        .as_deref(),
                    new.get("reply")
                        .map(|_| format!("{new_at}/reply"))
                        .as_deref(),
                );
            }
            (Some(a), Some(b)) => {
                let (a, b) = (self.old.resolve(a), self.new.resolve(b));
                let addr = |s: &Side<'_>, r: &Value| {
                    s.resolve(&r["address"])
                        .get("location")
                        .cloned()
                        .or_else(|| s.resolve(&r["channel"]).get("address").cloned())
                };
                if addr(self.old, a) != addr(self.new, b) {
                    self.push(
                        Severity::Breaking,
                        Affects::Both,
                        "reply-address-changed",
                        format!("operation `{key}`: the reply goes elsewhere"),
                        Some(&format!("{old_at}/reply")),
                        Some(&format!("{new_at}/reply")),
                    );
                }
                // The reply flows the other way.
                let reply_flow = if flow == Flow::Received {
                    Flow::Sent
                } else {
                    Flow::Received
                };
                let (oc, nc) = (
                    self.old.resolve(&a["channel"]),
                    self.new.resolve(&b["channel"]),
                );
                let oc_at = self
                    .old
                    .target(&a["channel"], &format!("{old_at}/reply/channel"));
                let nc_at = self
                    .new
                    .target(&b["channel"], &format!("{new_at}/reply/channel"));
                self.messages(
                    (a, b),
                    (oc, nc),
                    (&format!("{old_at}/reply"), &format!("{new_at}/reply")),
                    (&oc_at, &nc_at),
                    &key,
                    reply_flow,
                );
            }
        }
        self.messages(
            (old, new),
            (old_ch, new_ch),
            (old_at, new_at),
            (&old_ch_at, &new_ch_at),
            &key,
            flow,
        );
    }

    pub(super) fn parameters(
        &mut self,
        old_ch: &Value,
        new_ch: &Value,
        old_at: &str,
        new_at: &str,
        key: &str,
    ) {
        let empty = Map::new();
        let a = old_ch["parameters"].as_object().unwrap_or(&empty);
        let b = new_ch["parameters"].as_object().unwrap_or(&empty);
        for name in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let pa = format!("{old_at}/parameters/{}", escape(name));
            let pb = format!("{new_at}/parameters/{}", escape(name));
            match (a.get(name), b.get(name)) {
                (Some(_), None) | (None, Some(_)) => self.push(
                    Severity::Breaking,
                    Affects::Both,
                    "parameter-changed",
                    format!(
                        "operation `{key}`: the channel parameter `{name}` was {}",
                        if a.contains_key(name) {
                            "removed"
                        } else {
                            "added"
                        }
                    ),
                    a.get(name).map(|_| pa.as_str()),
                    b.get(name).map(|_| pb.as_str()),
                ),
                (Some(x), Some(y)) => {
                    let (x, y) = (self.old.resolve(x), self.new.resolve(y));
                    for field in ["enum", "default", "location"] {
                        if x.get(field) != y.get(field) {
                            let narrowed = field == "enum"
                                && y.get("enum").is_some()
                                && x.get("enum").is_none_or(|xe| {
                                    xe.as_array().into_iter().flatten().any(|v| {
                                        !y["enum"].as_array().is_some_and(|ye| ye.contains(v))
                                    })
                                });
                            let (severity, kind) = if field == "default" {
                                (Severity::NonBreaking, "parameter-default-changed")
                            } else if field == "enum" && !narrowed {
                                (Severity::NonBreaking, "parameter-enum-widened")
                            } else {
                                (Severity::Breaking, "parameter-changed")
                            };
                            self.push(
                                severity,
                                Affects::Both,
                                kind,
                                format!(
                                    "operation `{key}`: the parameter `{name}`'s `{field}` changed"
                                ),
                                Some(&format!("{pa}/{field}")),
                                Some(&format!("{pb}/{field}")),
                            );
                        }
                    }
                }
                (None, None) => {}
            }
        }
    }

    pub(super) fn bindings(&mut self, old: &Value, new: &Value, old_at: &str, new_at: &str) {
        let (old, new) = (self.old.resolve(old), self.new.resolve(new));
        if old == new || (old.is_null() && new.as_object().is_some_and(Map::is_empty)) {
            return;
        }
        let empty = Map::new();
        let a = old.as_object().unwrap_or(&empty);
        let b = new.as_object().unwrap_or(&empty);
        for protocol in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            if a.get(protocol) != b.get(protocol) {
                self.push(
                    Severity::NeedsReview,
                    Affects::Both,
                    "bindings-changed",
                    format!("the {protocol} bindings changed"),
                    a.get(protocol)
                        .map(|_| format!("{old_at}/{}", escape(protocol)))
                        .as_deref(),
                    b.get(protocol)
                        .map(|_| format!("{new_at}/{}", escape(protocol)))
                        .as_deref(),
                );
            }
        }
    }

    /// The messages of an operation (or its reply), matched by the key
    /// they have in their channel (else by name).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn messages(
        &mut self,
        (old, new): (&Value, &Value),
        (old_ch, new_ch): (&Value, &Value),
        (old_at, new_at): (&str, &str),
        (old_ch_at, new_ch_at): (&str, &str),
        key: &str,
        flow: Flow,
    ) {
        let list = |side: &Side<'_>,
                    op: &Value,
                    ch: &Value,
                    at: &str,
                    ch_at: &str|
         -> Vec<(String, String, Value)> {
            match op.get("messages").and_then(Value::as_array) {
                Some(refs) => refs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let target = side.target(r, &format!("{at}/messages/{i}"));
                        let name = target.rsplit('/').next().unwrap_or_default().to_owned();
                        (name, target, side.resolve(r).clone())
                    })
                    .collect(),
                None => ch
                    .get("messages")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(n, m)| {
                        let at = side.target(m, &format!("{ch_at}/messages/{}", escape(n)));
                        (n.clone(), at, side.resolve(m).clone())
                    })
                    .collect(),
            }
        };
        let a = list(self.old, old, old_ch, old_at, old_ch_at);
        let b = list(self.new, new, new_ch, new_at, new_ch_at);
        // Matched by key, else by the message's `name`, else the one left
        // on each side with the one left on the other.
        let mut pairs: Vec<Option<usize>> = a
            .iter()
            .map(|(n, _, _)| b.iter().position(|(m, _, _)| m == n))
            .collect();
        for (i, (_, _, ma)) in a.iter().enumerate() {
            if pairs[i].is_none() && ma.get("name").is_some() {
                pairs[i] = b.iter().enumerate().position(|(j, (_, _, mb))| {
                    mb.get("name") == ma.get("name") && !pairs.contains(&Some(j))
                });
            }
        }
        for (i, (_, _, ma)) in a.iter().enumerate() {
            if pairs[i].is_none() {
                let same = |mb: &Value| {
                    ["payload", "headers", "contentType"]
                        .iter()
                        .all(|k| ma.get(*k) == mb.get(*k))
                };
                pairs[i] = b
                    .iter()
                    .enumerate()
                    .position(|(j, (_, _, mb))| same(mb) && !pairs.contains(&Some(j)));
            }
        }
        let unmatched_a: Vec<usize> = (0..a.len()).filter(|i| pairs[*i].is_none()).collect();
        let unmatched_b: Vec<usize> = (0..b.len())
            .filter(|j| !pairs.contains(&Some(*j)))
            .collect();
        if let ([i], [j]) = (unmatched_a.as_slice(), unmatched_b.as_slice()) {
            pairs[*i] = Some(*j);
        }
        for (i, (name, at_a, ma)) in a.iter().enumerate() {
            let found = pairs[i].map(|j| &b[j]);
            let Some((_, at_b, mb)) = found else {
                self.push(
                    Severity::Breaking,
                    if flow == Flow::Received {
                        Affects::Producers
                    } else {
                        Affects::Consumers
                    },
                    "message-removed",
                    format!("operation `{key}`: the message `{name}` was removed"),
                    Some(at_a.as_str()).filter(|s| !s.is_empty()),
                    None,
                );
                continue;
            };
            let (at_a, at_b) = (at_a.clone(), at_b.clone());
            if ma.get("contentType") != mb.get("contentType") {
                self.push(
                    Severity::Breaking,
                    Affects::Both,
                    "content-type-changed",
                    format!(
                        "operation `{key}`, message `{name}`: the content type `{}` is now `{}`",
                        ma["contentType"].as_str().unwrap_or("(default)"),
                        mb["contentType"].as_str().unwrap_or("(default)")
                    ),
                    Some(&at_a)
                        .filter(|s| !s.is_empty())
                        .map(|s| format!("{s}/contentType"))
                        .as_deref(),
                    Some(&at_b)
                        .filter(|s| !s.is_empty())
                        .map(|s| format!("{s}/contentType"))
                        .as_deref(),
                );
            }
            for part in ["payload", "headers"] {
                let (pa, pb) = (format!("{at_a}/{part}"), format!("{at_b}/{part}"));
                match (ma.get(part), mb.get(part)) {
                    (None, None) => {}
                    (Some(x), Some(y)) => {
                        let (x_at, x) = schema_of(self.old, x, &pa);
                        let (y_at, y) = schema_of(self.new, y, &pb);
                        let label = format!("operation `{key}`, message `{name}`, {part}");
                        self.schema(&x, &y, &x_at, &y_at, &label, flow, 0);
                    }
                    (Some(_), None) | (None, Some(_)) => {
                        let (severity, affects) = if ma.get(part).is_some() {
                            flow.widening()
                        } else {
                            flow.narrowing()
                        };
                        self.push(
                            severity,
                            affects,
                            "schema-changed",
                            format!(
                                "operation `{key}`, message `{name}`: the {part} schema was {}",
                                if ma.get(part).is_some() {
                                    "removed"
                                } else {
                                    "added"
                                }
                            ),
                            ma.get(part).map(|_| pa.as_str()),
                            mb.get(part).map(|_| pb.as_str()),
                        );
                    }
                }
            }
            for field in NON_BREAKING.iter().chain(&["name"]) {
                if ma.get(*field) != mb.get(*field) {
                    self.push(
                        Severity::NonBreaking,
                        Affects::Nobody,
                        "docs-changed",
                        format!("operation `{key}`, message `{name}`: `{field}` changed"),
                        Some(&at_a)
                            .filter(|s| !s.is_empty())
                            .map(|s| format!("{s}/{field}"))
                            .as_deref(),
                        Some(&at_b)
                            .filter(|s| !s.is_empty())
                            .map(|s| format!("{s}/{field}"))
                            .as_deref(),
                    );
                }
            }
        }
        for (j, (name, at_b, _)) in b.iter().enumerate() {
            if pairs.contains(&Some(j)) {
                continue;
            }
            let (severity, affects) = flow.widening();
            self.push(
                severity,
                affects,
                "message-added",
                format!("operation `{key}`: the message `{name}` was added"),
                None,
                Some(at_b.as_str()).filter(|s| !s.is_empty()),
            );
        }
    }
}

/// Whether a value holds a `$ref` anywhere (equal text may then still
/// mean different schemas).
pub(super) fn has_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$ref") || m.values().any(has_ref),
        Value::Array(a) => a.iter().any(has_ref),
        _ => false,
    }
}

/// The JSON Schema of a message part and where it is (a multi-format
/// schema's `schema`; else the part itself, its `$ref` kept).
pub(super) fn schema_of(side: &Side<'_>, v: &Value, at: &str) -> (String, Value) {
    let target = side.resolve(v);
    match (target.get("schemaFormat"), target.get("schema")) {
        (Some(_), Some(s)) => (format!("{}/schema", side.target(v, at)), s.clone()),
        _ => (at.to_owned(), v.clone()),
    }
}

pub(super) fn show_types(t: &BTreeSet<String>) -> String {
    if t.is_empty() {
        "any".into()
    } else {
        t.iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}
