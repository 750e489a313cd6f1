//! `faststream-gen diff OLD NEW`: what changed between two versions of an
//! application's document, and whom it breaks.
//!
//! Both documents are compared as AsyncAPI 3.x (a 2.x one is converted
//! first), operation by operation. The document describes an application:
//! its peers send what it receives and receive what it sends. So a
//! received payload (or headers) that accepts less than before breaks the
//! **producers**; a sent payload that may carry more or other breaks the
//! **consumers**; a change of address, action, reply or content type
//! breaks both. Bindings and what this comparison cannot judge (changes
//! inside `oneOf`/`anyOf`/`allOf`, a `$ref` to another document) are
//! listed as needing review, never dropped; descriptions, titles,
//! examples and tags are not breaking.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::Checked;
use crate::load::Node;

/// How much a change matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Breaking,
    NeedsReview,
    NonBreaking,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::NeedsReview => "needs-review",
            Severity::NonBreaking => "non-breaking",
        }
    }
}

/// Whom a change breaks: the application's peers that send to it, those
/// that receive from it, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Affects {
    Producers,
    Consumers,
    Both,
    Nobody,
}

impl Affects {
    pub fn as_str(self) -> &'static str {
        match self {
            Affects::Producers => "producers",
            Affects::Consumers => "consumers",
            Affects::Both => "producers and consumers",
            Affects::Nobody => "nobody",
        }
    }
}

/// One change, with where it is in each document (JSON pointers into the
/// 3.x form, and `file:line:column` where the document has that place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub severity: Severity,
    pub affects: Affects,
    /// A short, stable name of the kind of change (`required-added`).
    pub kind: &'static str,
    pub message: String,
    pub old_pointer: Option<String>,
    pub new_pointer: Option<String>,
    pub old_location: Option<String>,
    pub new_location: Option<String>,
}

/// One side of the comparison: the 3.x document and, for positions, the
/// loaded file.
#[derive(Debug)]
pub struct Side<'a> {
    pub doc: Value,
    checked: &'a Checked,
    /// Whether the file itself is 3.x (a 2.x one cannot describe replies).
    v3: bool,
}

impl<'a> Side<'a> {
    /// The side of a loaded, valid document (`None` when it has no model).
    pub fn new(checked: &'a Checked) -> Option<Side<'a>> {
        let model = checked.model.as_ref()?;
        let doc = serde_json::to_value(model).ok()?;
        let v3 = checked
            .loaded
            .document
            .as_ref()
            .and_then(|d| d.get("asyncapi"))
            .and_then(Node::as_str)
            .is_some_and(|v| v.starts_with('3'));
        Some(Side { doc, checked, v3 })
    }

    /// `file:line:column` of `pointer`, or of its nearest ancestor the file
    /// has.
    fn location(&self, pointer: &str) -> Option<String> {
        let root = self.checked.loaded.document.as_ref()?;
        // A 2.x file has other paths for operations and channels; its
        // components are where a 3.x document has them. The nearest place
        // the file has is given.
        let mut p = pointer.to_owned();
        loop {
            if let Some(node) = root.pointer(&p) {
                let s = node.span;
                let name = self.checked.loaded.sources.display_name(s.file);
                return Some(format!("{name}:{}:{}", s.line, s.col));
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return None,
            }
        }
    }

    fn resolve<'v>(&'v self, v: &'v Value) -> &'v Value {
        faststream_asyncapi::pointer::follow_refs(v, |p| self.doc.pointer(p))
    }

    /// Where a local `$ref` points (or the pointer itself when `v` is no
    /// reference).
    fn target(&self, v: &Value, at: &str) -> String {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .map_or_else(|| at.to_owned(), str::to_owned)
    }
}

/// Compares two documents.
pub fn diff(old: &Side<'_>, new: &Side<'_>) -> Vec<Change> {
    let mut d = Differ {
        old,
        new,
        out: Vec::new(),
        seen: std::collections::HashSet::new(),
    };
    d.info();
    d.operations();
    d.out.sort_by(|a, b| {
        (a.severity, &a.old_pointer, &a.new_pointer).cmp(&(
            b.severity,
            &b.old_pointer,
            &b.new_pointer,
        ))
    });
    d.out.dedup();
    d.out
}

struct Differ<'a> {
    old: &'a Side<'a>,
    new: &'a Side<'a>,
    out: Vec<Change>,
    /// Pairs of referenced schemas compared already.
    seen: std::collections::HashSet<(String, String, bool)>,
}

fn escape(s: &str) -> String {
    faststream_asyncapi::pointer::escape(s)
}

/// The direction a schema is read in: received by the application (its
/// producers break when it accepts less) or sent (its consumers break when
/// it carries more or other).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Received,
    Sent,
}

impl Flow {
    /// Who breaks when the schema narrows (accepts less).
    fn narrowing(self) -> (Severity, Affects) {
        match self {
            Flow::Received => (Severity::Breaking, Affects::Producers),
            Flow::Sent => (Severity::NonBreaking, Affects::Nobody),
        }
    }

    /// Who breaks when the schema widens (may carry more or other).
    fn widening(self) -> (Severity, Affects) {
        match self {
            Flow::Received => (Severity::NonBreaking, Affects::Nobody),
            Flow::Sent => (Severity::Breaking, Affects::Consumers),
        }
    }
}

/// Compares numbers as JSON does (`1` equals `1.0`).
fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

const NON_BREAKING: &[&str] = &[
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
    fn push(
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

    fn info(&mut self) {
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

    fn operations(&mut self) {
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

    fn address(&self, side: &Side<'_>, op: &Value) -> Option<String> {
        side.resolve(&op["channel"])
            .get("address")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn operation(&mut self, old: &Value, new: &Value, old_at: &str, new_at: &str) {
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

    fn parameters(
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

    fn bindings(&mut self, old: &Value, new: &Value, old_at: &str, new_at: &str) {
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
    fn messages(
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

    /// Compares two schemas (references followed) in the direction they
    /// flow.
    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    fn schema(
        &mut self,
        old: &Value,
        new: &Value,
        old_at: &str,
        new_at: &str,
        label: &str,
        flow: Flow,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        // Behind a reference: compare what it points at, reported there,
        // once per pair of places (recursive schemas end here).
        let (old_at, new_at) = (self.old.target(old, old_at), self.new.target(new, new_at));
        if (old.get("$ref").is_some() || new.get("$ref").is_some())
            && !self
                .seen
                .insert((old_at.clone(), new_at.clone(), flow == Flow::Received))
        {
            return;
        }
        let (old, new) = (self.old.resolve(old), self.new.resolve(new));
        if old == new && !has_ref(old) {
            return;
        }
        let (old_at, new_at) = (old_at.as_str(), new_at.as_str());
        let narrowing = flow.narrowing();
        let widening = flow.widening();
        let changed = (
            Severity::Breaking,
            if flow == Flow::Received {
                Affects::Producers
            } else {
                Affects::Consumers
            },
        );
        let types = |v: &Value| -> BTreeSet<String> {
            match v.get("type") {
                Some(Value::String(t)) => [t.clone()].into(),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => BTreeSet::new(),
            }
        };
        let (ta, tb) = (types(old), types(new));
        if ta != tb {
            let (severity, affects) = if !ta.is_empty() && tb.is_superset(&ta) || tb.is_empty() {
                widening
            } else if !tb.is_empty() && ta.is_superset(&tb) || ta.is_empty() {
                narrowing
            } else {
                changed
            };
            self.push(
                severity,
                affects,
                "type-changed",
                format!(
                    "{label}: the type {} is now {}",
                    show_types(&ta),
                    show_types(&tb)
                ),
                Some(&format!("{old_at}/type")),
                Some(&format!("{new_at}/type")),
            );
        }
        // enum / const.
        if old.get("enum") != new.get("enum") {
            let set = |v: &Value| v.get("enum").and_then(Value::as_array).cloned();
            let (ea, eb) = (set(old), set(new));
            let removed = match (&ea, &eb) {
                (Some(a), Some(b)) => a.iter().any(|v| !b.contains(v)),
                (None, Some(_)) => true,
                _ => false,
            };
            let added = match (&ea, &eb) {
                (Some(a), Some(b)) => b.iter().any(|v| !a.contains(v)),
                (Some(_), None) => true,
                _ => false,
            };
            if removed {
                self.push(
                    narrowing.0,
                    narrowing.1,
                    "enum-narrowed",
                    format!("{label}: the enum accepts fewer values"),
                    Some(&format!("{old_at}/enum")),
                    Some(&format!("{new_at}/enum")),
                );
            }
            if added {
                self.push(
                    widening.0,
                    widening.1,
                    "enum-widened",
                    format!("{label}: the enum has more values"),
                    Some(&format!("{old_at}/enum")),
                    Some(&format!("{new_at}/enum")),
                );
            }
        }
        if old.get("const") != new.get("const") {
            let (severity, affects, kind) = match (old.get("const"), new.get("const")) {
                (None, Some(_)) => (narrowing.0, narrowing.1, "const-added"),
                (Some(_), None) => (widening.0, widening.1, "const-removed"),
                _ => (changed.0, changed.1, "const-changed"),
            };
            self.push(
                severity,
                affects,
                kind,
                format!("{label}: the constant changed"),
                Some(&format!("{old_at}/const")),
                Some(&format!("{new_at}/const")),
            );
        }
        // Bounds: a larger lower bound or a smaller upper one narrows.
        for (keyword, lower) in [
            ("minimum", true),
            ("exclusiveMinimum", true),
            ("minLength", true),
            ("minItems", true),
            ("minProperties", true),
            ("maximum", false),
            ("exclusiveMaximum", false),
            ("maxLength", false),
            ("maxItems", false),
            ("maxProperties", false),
            ("multipleOf", true),
        ] {
            let (a, b) = (num(old.get(keyword)), num(new.get(keyword)));
            if a == b {
                continue;
            }
            let tighter = match (a, b) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(x), Some(y)) => {
                    if keyword == "multipleOf" {
                        (y / x).fract() != 0.0 || y > x
                    } else if lower {
                        y > x
                    } else {
                        y < x
                    }
                }
                (None, None) => continue,
            };
            let (severity, affects) = if tighter { narrowing } else { widening };
            self.push(
                severity,
                affects,
                if tighter {
                    "bound-tightened"
                } else {
                    "bound-loosened"
                },
                format!(
                    "{label}: `{keyword}` {} is now {}",
                    a.map_or("(none)".into(), |x| x.to_string()),
                    b.map_or("(none)".into(), |x| x.to_string())
                ),
                Some(&format!("{old_at}/{keyword}")),
                Some(&format!("{new_at}/{keyword}")),
            );
        }
        for keyword in ["pattern", "format"] {
            if old.get(keyword) != new.get(keyword) {
                let (severity, affects) = match (old.get(keyword), new.get(keyword)) {
                    (None, Some(_)) => narrowing,
                    (Some(_), None) => widening,
                    _ => changed,
                };
                self.push(
                    severity,
                    affects,
                    "constraint-changed",
                    format!("{label}: `{keyword}` changed"),
                    Some(&format!("{old_at}/{keyword}")),
                    Some(&format!("{new_at}/{keyword}")),
                );
            }
        }
        // Required properties.
        let required = |v: &Value| -> BTreeSet<String> {
            v.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (ra, rb) = (required(old), required(new));
        for name in rb.difference(&ra) {
            self.push(
                narrowing.0,
                narrowing.1,
                "required-added",
                format!("{label}: the property `{name}` is now required"),
                Some(&format!("{old_at}/required")),
                Some(&format!("{new_at}/required")),
            );
        }
        for name in ra.difference(&rb) {
            self.push(
                widening.0,
                widening.1,
                "required-removed",
                format!("{label}: the property `{name}` is no longer required"),
                Some(&format!("{old_at}/required")),
                Some(&format!("{new_at}/required")),
            );
        }
        // additionalProperties: `false` closes the object.
        let closed = |v: &Value| v.get("additionalProperties") == Some(&Value::Bool(false));
        let (ca, cb) = (closed(old), closed(new));
        if !ca && cb {
            self.push(
                narrowing.0,
                narrowing.1,
                "closed",
                format!("{label}: `additionalProperties: false` was added"),
                Some(old_at),
                Some(&format!("{new_at}/additionalProperties")),
            );
        } else if ca && !cb {
            self.push(
                widening.0,
                widening.1,
                "opened",
                format!("{label}: `additionalProperties: false` was removed"),
                Some(&format!("{old_at}/additionalProperties")),
                Some(new_at),
            );
        }
        // Properties, added, removed, and changed (recursively).
        let empty = Map::new();
        let pa = old
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let pb = new
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (name, sa) in pa {
            let at_a = format!("{old_at}/properties/{}", escape(name));
            match pb.get(name) {
                Some(sb) => {
                    let at_b = format!("{new_at}/properties/{}", escape(name));
                    self.schema(
                        sa,
                        sb,
                        &at_a,
                        &at_b,
                        &format!("{label}.{name}"),
                        flow,
                        depth + 1,
                    );
                }
                None if cb => self.push(
                    narrowing.0,
                    narrowing.1,
                    "property-removed",
                    format!(
                        "{label}: the property `{name}` was removed (and others are not allowed)"
                    ),
                    Some(&at_a),
                    None,
                ),
                None => self.push(
                    Severity::NonBreaking,
                    Affects::Nobody,
                    "property-removed",
                    format!("{label}: the property `{name}` was removed"),
                    Some(&at_a),
                    None,
                ),
            }
        }
        for name in pb.keys().filter(|n| !pa.contains_key(*n)) {
            let at_b = format!("{new_at}/properties/{}", escape(name));
            let (severity, affects) = if ca {
                widening
            } else {
                (Severity::NonBreaking, Affects::Nobody)
            };
            self.push(
                severity,
                affects,
                "property-added",
                format!("{label}: the property `{name}` was added"),
                None,
                Some(&at_b),
            );
        }
        // Items and additionalProperties schemas.
        for keyword in ["items", "additionalProperties"] {
            if let (Some(a), Some(b)) = (old.get(keyword), new.get(keyword))
                && a.is_object()
                && b.is_object()
            {
                self.schema(
                    a,
                    b,
                    &format!("{old_at}/{keyword}"),
                    &format!("{new_at}/{keyword}"),
                    &format!("{label}[]"),
                    flow,
                    depth + 1,
                );
            }
        }
        // What this comparison does not judge.
        for keyword in [
            "oneOf",
            "anyOf",
            "allOf",
            "not",
            "if",
            "then",
            "else",
            "patternProperties",
            "dependencies",
            "propertyNames",
            "contains",
        ] {
            if old.get(keyword) != new.get(keyword) {
                self.push(
                    Severity::NeedsReview,
                    Affects::Both,
                    "needs-review",
                    format!("{label}: `{keyword}` changed"),
                    old.get(keyword)
                        .map(|_| format!("{old_at}/{keyword}"))
                        .as_deref()
                        .or(Some(old_at)),
                    new.get(keyword)
                        .map(|_| format!("{new_at}/{keyword}"))
                        .as_deref()
                        .or(Some(new_at)),
                );
            }
        }
        for keyword in NON_BREAKING.iter().chain(&["default"]) {
            if old.get(*keyword) != new.get(*keyword) {
                self.push(
                    Severity::NonBreaking,
                    Affects::Nobody,
                    "docs-changed",
                    format!("{label}: `{keyword}` changed"),
                    old.get(*keyword)
                        .map(|_| format!("{old_at}/{keyword}"))
                        .as_deref(),
                    new.get(*keyword)
                        .map(|_| format!("{new_at}/{keyword}"))
                        .as_deref(),
                );
            }
        }
    }
}

/// Whether a value holds a `$ref` anywhere (equal text may then still
/// mean different schemas).
fn has_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$ref") || m.values().any(has_ref),
        Value::Array(a) => a.iter().any(has_ref),
        _ => false,
    }
}

/// The JSON Schema of a message part and where it is (a multi-format
/// schema's `schema`; else the part itself, its `$ref` kept).
fn schema_of(side: &Side<'_>, v: &Value, at: &str) -> (String, Value) {
    let target = side.resolve(v);
    match (target.get("schemaFormat"), target.get("schema")) {
        (Some(_), Some(s)) => (format!("{}/schema", side.target(v, at)), s.clone()),
        _ => (at.to_owned(), v.clone()),
    }
}

fn show_types(t: &BTreeSet<String>) -> String {
    if t.is_empty() {
        "any".into()
    } else {
        t.iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}

/// Whether any change breaks someone.
pub fn has_breaking(changes: &[Change]) -> bool {
    changes.iter().any(|c| c.severity == Severity::Breaking)
}

/// The changes as text, one per line with its places.
pub fn render_text(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = write!(out, "{}: {}", c.severity.as_str(), c.message);
        if c.severity != Severity::NonBreaking {
            let _ = write!(out, " (affects {})", c.affects.as_str());
        }
        out.push('\n');
        if let Some(l) = &c.old_location {
            let _ = writeln!(
                out,
                "  old: {l} ({})",
                c.old_pointer.as_deref().unwrap_or("")
            );
        }
        if let Some(l) = &c.new_location {
            let _ = writeln!(
                out,
                "  new: {l} ({})",
                c.new_pointer.as_deref().unwrap_or("")
            );
        }
    }
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    let review = changes
        .iter()
        .filter(|c| c.severity == Severity::NeedsReview)
        .count();
    let _ = writeln!(
        out,
        "{} change(s): {breaking} breaking, {review} to review, {} not breaking",
        changes.len(),
        changes.len() - breaking - review
    );
    out
}

/// The changes as JSON (an object with the list and the counts).
pub fn render_json(changes: &[Change]) -> String {
    let list: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!({
                "severity": c.severity.as_str(),
                "affects": c.affects.as_str(),
                "kind": c.kind,
                "message": c.message,
                "old": {"pointer": c.old_pointer, "location": c.old_location},
                "new": {"pointer": c.new_pointer, "location": c.new_location},
            })
        })
        .collect();
    let doc = json!({
        "breaking": has_breaking(changes),
        "changes": list,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The changes as a Markdown table.
pub fn render_markdown(changes: &[Change]) -> String {
    let mut out = String::from(
        "| severity | affects | change | old | new |\n| --- | --- | --- | --- | --- |\n",
    );
    let cell = |s: &str| s.replace('|', "\\|");
    for c in changes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            c.severity.as_str(),
            c.affects.as_str(),
            cell(&c.message),
            cell(c.old_location.as_deref().unwrap_or("")),
            cell(c.new_location.as_deref().unwrap_or(""))
        );
    }
    out
}
