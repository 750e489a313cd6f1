//! Two schemas compared in the direction they flow: what narrows breaks
//! the producers of a received message, what widens the consumers of a
//! sent one.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::change::{Affects, Severity};
use super::differ::{Differ, Flow, NON_BREAKING, escape, has_ref, num, show_types};

impl Differ<'_> {
    /// Compares two schemas (references followed) in the direction they
    /// flow.
    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    pub(super) fn schema(
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
