//! A JSON Schema (draft-07) checker for the values a document carries
//! itself: a schema's `examples` and `default`, a message's `examples`.
//! The generator reports what breaks (it maps each [`Violation`]'s path
//! back to the place in the file); the 3.x -> 2.6 conversion drops message
//! examples 2.x tools would refuse. It is a small implementation of the
//! keywords, free of I/O, so the runtime can carry it.
//!
//! Formats are checked as the official parser's validator does for the
//! common ones (`date-time`, `date`, `time`, `email`, `uri`, `uuid`,
//! `ipv4`, `ipv6`, `hostname`); others are not asserted.

use serde_json::Value;

/// One rule a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the checked value (`""` for the value itself).
    pub path: String,
    pub message: String,
}

/// Checks `instance` against `schema`; local `$ref`s (`#/...`) resolve in
/// `root`.
pub fn check(root: &Value, schema: &Value, instance: &Value) -> Vec<Violation> {
    let mut c = Checker {
        root,
        out: Vec::new(),
        quiet: false,
        failed: false,
        stack: Vec::new(),
    };
    c.check(schema, instance, "", 0);
    c.out
}

/// Whether `instance` conforms to `schema`.
pub fn conforms(root: &Value, schema: &Value, instance: &Value) -> bool {
    let mut c = Checker {
        root,
        out: Vec::new(),
        quiet: true,
        failed: false,
        stack: Vec::new(),
    };
    c.check(schema, instance, "", 0);
    !c.failed
}

const MAX_DEPTH: usize = 64;

struct Checker<'r> {
    root: &'r Value,
    out: Vec<Violation>,
    /// Only whether the value conforms matters (inside `anyOf`, `oneOf`,
    /// `not`, `if`, `contains`): stop at the first failure, describe none.
    quiet: bool,
    failed: bool,
    /// (schema, value) pairs being checked: a schema that reaches itself
    /// for the same value (`A: oneOf [B]`, `B: allOf [A]`) is taken to hold
    /// there, instead of recursing without end.
    stack: Vec<(usize, usize)>,
}

fn number(n: &Value) -> Option<f64> {
    n.as_f64()
}

fn shown(n: &Value) -> String {
    let s = n.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// JSON equality as JavaScript sees it (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => number(a) == number(b),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn type_matches(t: &str, n: &Value) -> bool {
    match (t, n) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(_)) => number(n).is_some_and(|x| x.fract() == 0.0),
        _ => false,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Checker<'_> {
    fn fail(&mut self, _instance: &Value, path: &str, message: impl FnOnce() -> String) {
        self.failed = true;
        if self.quiet {
            return;
        }
        self.out.push(Violation {
            path: path.to_owned(),
            message: message(),
        });
    }

    /// Whether `instance` conforms, without reporting.
    fn passes(&self, schema: &Value, instance: &Value, path: &str, depth: usize) -> bool {
        let mut inner = Checker {
            root: self.root,
            out: Vec::new(),
            quiet: true,
            failed: false,
            stack: self.stack.clone(),
        };
        inner.check(schema, instance, path, depth);
        !inner.failed
    }

    fn check(&mut self, schema: &Value, instance: &Value, path: &str, depth: usize) {
        let key = (
            std::ptr::from_ref(schema) as usize,
            std::ptr::from_ref(instance) as usize,
        );
        if depth > MAX_DEPTH || self.stack.contains(&key) {
            return;
        }
        self.stack.push(key);
        self.check_inner(schema, instance, path, depth);
        self.stack.pop();
    }

    fn check_inner(&mut self, schema: &Value, instance: &Value, path: &str, depth: usize) {
        let entries = match schema {
            Value::Bool(false) => {
                self.fail(instance, path, || "no value is allowed here".into());
                return;
            }
            Value::Object(entries) => entries,
            _ => return,
        };
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            // Draft-07: beside `$ref`, other keywords are ignored.
            if let Some(target) = r.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                self.check(target, instance, path, depth + 1);
            }
            return;
        }
        for (k, v) in entries {
            if self.quiet && self.failed {
                return;
            }
            self.keyword(k, v, schema, instance, path, depth);
        }
    }

    #[allow(clippy::too_many_lines)]
    fn keyword(
        &mut self,
        name: &str,
        v: &Value,
        schema: &Value,
        instance: &Value,
        path: &str,
        depth: usize,
    ) {
        match name {
            "type" => {
                let types: Vec<&str> = match v {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => return,
                };
                if !types.is_empty() && !types.iter().any(|t| type_matches(t, instance)) {
                    self.fail(instance, path, || {
                        format!("{} is not of type {}", shown(instance), types.join(" or "))
                    });
                }
            }
            "enum" => {
                if let Some(values) = v.as_array()
                    && !values.iter().any(|x| same(x, instance))
                {
                    let allowed: Vec<String> = values.iter().map(shown).collect();
                    self.fail(instance, path, || {
                        format!("{} is not one of {}", shown(instance), allowed.join(", "))
                    });
                }
            }
            "const" if !same(v, instance) => {
                self.fail(instance, path, || {
                    format!("{} is not the constant {}", shown(instance), shown(v))
                });
            }
            "multipleOf" => {
                if let (Some(m), Some(x)) = (number(v), number(instance))
                    && m > 0.0
                {
                    let q = x / m;
                    if (q - q.round()).abs() > 1e-9 {
                        self.fail(instance, path, || format!("{x} is not a multiple of {m}"));
                    }
                }
            }
            "maximum" | "minimum" | "exclusiveMaximum" | "exclusiveMinimum" => {
                let (Some(bound), Some(x)) = (number(v), number(instance)) else {
                    return;
                };
                let ok = match name {
                    "maximum" => x <= bound,
                    "minimum" => x >= bound,
                    "exclusiveMaximum" => x < bound,
                    _ => x > bound,
                };
                if !ok {
                    self.fail(instance, path, || format!("{x} breaks `{name}: {bound}`"));
                }
            }
            "maxLength" | "minLength" | "maxItems" | "minItems" | "maxProperties"
            | "minProperties" => {
                // The size the keyword bounds: characters, items or properties.
                let (len, what) = match instance {
                    Value::String(s) if name.ends_with("Length") => {
                        (s.chars().count(), "characters")
                    }
                    Value::Array(items) if name.ends_with("Items") => (items.len(), "items"),
                    Value::Object(m) if name.ends_with("Properties") => (m.len(), "properties"),
                    _ => return,
                };
                let Some(bound) = number(v) else { return };
                #[allow(clippy::cast_precision_loss)]
                let ok = if name.starts_with("max") {
                    len as f64 <= bound
                } else {
                    len as f64 >= bound
                };
                if !ok {
                    self.fail(instance, path, || {
                        format!(
                            "{} has {len} {what}, breaking `{name}: {bound}`",
                            shown(instance)
                        )
                    });
                }
            }
            "pattern" => {
                if let (Some(p), Some(s)) = (v.as_str(), instance.as_str())
                    && let Ok(re) = regex_lite::Regex::new(p)
                    && !re.is_match(s)
                {
                    self.fail(instance, path, || {
                        format!("{} does not match the pattern `{p}`", shown(instance))
                    });
                }
            }
            "format" => {
                if let (Some(f), Some(s)) = (v.as_str(), instance.as_str())
                    && !format_ok(f, s)
                {
                    self.fail(instance, path, || {
                        format!("{} is not a valid `{f}`", shown(instance))
                    });
                }
            }
            "items" => {
                let Some(items) = instance.as_array() else {
                    return;
                };
                match v {
                    Value::Array(schemas) => {
                        for (i, (s, item)) in schemas.iter().zip(items).enumerate() {
                            self.check(s, item, &format!("{path}/{i}"), depth + 1);
                        }
                        if let Some(extra) = schema.get("additionalItems") {
                            for (i, item) in items.iter().enumerate().skip(schemas.len()) {
                                self.check(extra, item, &format!("{path}/{i}"), depth + 1);
                            }
                        }
                    }
                    _ => {
                        for (i, item) in items.iter().enumerate() {
                            self.check(v, item, &format!("{path}/{i}"), depth + 1);
                        }
                    }
                }
            }
            "uniqueItems" => {
                if matches!(v, Value::Bool(true))
                    && let Some(items) = instance.as_array()
                {
                    for (i, a) in items.iter().enumerate() {
                        if items[..i].iter().any(|b| same(a, b)) {
                            self.fail(a, &format!("{path}/{i}"), || {
                                format!("{} appears twice (`uniqueItems`)", shown(a))
                            });
                        }
                    }
                }
            }
            "contains" => {
                if let Some(items) = instance.as_array()
                    && !items
                        .iter()
                        .enumerate()
                        .any(|(i, item)| self.passes(v, item, &format!("{path}/{i}"), depth + 1))
                {
                    self.fail(instance, path, || "no item matches `contains`".into());
                }
            }
            "required" => {
                if let (Some(names), Some(_)) = (v.as_array(), instance.as_object()) {
                    for n in names.iter().filter_map(Value::as_str) {
                        if instance.get(n).is_none() {
                            self.fail(instance, path, || {
                                format!("the required property `{n}` is missing")
                            });
                        }
                    }
                }
            }
            "properties" => {
                if let (Some(props), Some(_)) = (v.as_object(), instance.as_object()) {
                    for (k, s) in props {
                        if let Some(value) = instance.get(k) {
                            self.check(s, value, &format!("{path}/{}", escape(k)), depth + 1);
                        }
                    }
                }
            }
            "patternProperties" => {
                if let (Some(props), Some(m)) = (v.as_object(), instance.as_object()) {
                    for (pattern, s) in props {
                        let Ok(re) = regex_lite::Regex::new(pattern) else {
                            continue;
                        };
                        for (k, value) in m.iter().filter(|(k, _)| re.is_match(k)) {
                            self.check(s, value, &format!("{path}/{}", escape(k)), depth + 1);
                        }
                    }
                }
            }
            "additionalProperties" => {
                let Some(m) = instance.as_object() else {
                    return;
                };
                let named = |k: &str| {
                    schema.get("properties").and_then(|p| p.get(k)).is_some()
                        || schema
                            .get("patternProperties")
                            .and_then(Value::as_object)
                            .into_iter()
                            .flatten()
                            .any(|(p, _)| regex_lite::Regex::new(p).is_ok_and(|re| re.is_match(k)))
                };
                for (k, value) in m.iter().filter(|(k, _)| !named(k)) {
                    let at = format!("{path}/{}", escape(k));
                    if matches!(v, Value::Bool(false)) {
                        self.fail(value, &at, || {
                            format!("the property `{}` is not allowed", k)
                        });
                    } else {
                        self.check(v, value, &at, depth + 1);
                    }
                }
            }
            "propertyNames" => {
                if let Some(m) = instance.as_object() {
                    for (k, _) in m {
                        let key = Value::String(k.clone());
                        self.check(v, &key, &format!("{path}/{}", escape(k)), depth + 1);
                    }
                }
            }
            "dependencies" => {
                let (Some(deps), Some(_)) = (v.as_object(), instance.as_object()) else {
                    return;
                };
                for (k, dep) in deps {
                    if instance.get(k).is_none() {
                        continue;
                    }
                    match dep {
                        Value::Array(names) => {
                            for n in names.iter().filter_map(Value::as_str) {
                                if instance.get(n).is_none() {
                                    self.fail(instance, path, || {
                                        format!("`{}` needs the property `{n}`", k)
                                    });
                                }
                            }
                        }
                        _ => self.check(dep, instance, path, depth + 1),
                    }
                }
            }
            "allOf" => {
                for s in v.as_array().into_iter().flatten() {
                    self.check(s, instance, path, depth + 1);
                }
            }
            "anyOf" => {
                if let Some(schemas) = v.as_array()
                    && !schemas
                        .iter()
                        .any(|s| self.passes(s, instance, path, depth + 1))
                {
                    self.fail(instance, path, || {
                        format!("{} matches none of the `anyOf` schemas", shown(instance))
                    });
                }
            }
            "oneOf" => {
                if let Some(schemas) = v.as_array() {
                    let matching = schemas
                        .iter()
                        .filter(|s| self.passes(s, instance, path, depth + 1))
                        .count();
                    if matching != 1 {
                        self.fail(
                            instance,
                            path,
                            || format!(
                                "{} matches {matching} of the `oneOf` schemas (exactly one must match)",
                                shown(instance)
                            ),
                        );
                    }
                }
            }
            "not" if self.passes(v, instance, path, depth + 1) => {
                self.fail(instance, path, || {
                    format!("{} matches the `not` schema", shown(instance))
                });
            }
            "if" => {
                let branch = if self.passes(v, instance, path, depth + 1) {
                    schema.get("then")
                } else {
                    schema.get("else")
                };
                if let Some(b) = branch {
                    self.check(b, instance, path, depth + 1);
                }
            }
            _ => {}
        }
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

fn date_ok(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `HH:MM:SS[.frac]` with a zone (`Z` or `±HH:MM`), the zone optional
/// unless `zone` is set.
fn time_ok(s: &str, zone: bool) -> bool {
    let s = s.to_ascii_uppercase();
    let (clock, has_zone) = if let Some(c) = s.strip_suffix('Z') {
        (c.to_owned(), true)
    } else if let Some(i) = s.rfind(['+', '-']) {
        let z = &s[i + 1..];
        let ok = z.len() == 5
            && digits(&z[..2], 2).is_some_and(|h| h <= 23)
            && &z[2..3] == ":"
            && digits(&z[3..], 2).is_some_and(|m| m <= 59);
        if !ok {
            return false;
        }
        (s[..i].to_owned(), true)
    } else {
        (s, false)
    };
    if zone && !has_zone {
        return false;
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a.to_owned(), Some(f.to_owned())),
        None => (clock, None),
    };
    if frac
        .as_deref()
        .is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    matches!(parts.as_slice(), [h, m, sec]
        if digits(h, 2).is_some_and(|h| h <= 23)
            && digits(m, 2).is_some_and(|m| m <= 59)
            && digits(sec, 2).is_some_and(|s| s <= 60))
}

fn format_ok(format: &str, s: &str) -> bool {
    match format {
        "date" => date_ok(s),
        "time" => time_ok(s, false),
        "date-time" => {
            let Some(i) = s.find(['T', 't', ' ']) else {
                return false;
            };
            date_ok(&s[..i]) && time_ok(&s[i + 1..], true)
        }
        "email" => {
            let Some((local, domain)) = s.rsplit_once('@') else {
                return false;
            };
            !local.is_empty()
                && !s.contains(char::is_whitespace)
                && domain.contains('.')
                && domain.split('.').all(|l| !l.is_empty())
        }
        "uri" => {
            let Some((scheme, _)) = s.split_once(':') else {
                return false;
            };
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !s.contains(char::is_whitespace)
        }
        "uuid" => {
            let u = s.strip_prefix("urn:uuid:").unwrap_or(s);
            let groups: Vec<&str> = u.split('-').collect();
            groups.len() == 5
                && groups
                    .iter()
                    .zip([8, 4, 4, 4, 12])
                    .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        "ipv4" => s.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<std::net::Ipv6Addr>().is_ok(),
        "hostname" => {
            s.len() <= 253
                && !s.is_empty()
                && s.trim_end_matches('.').split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violations(schema: &Value, value: &Value) -> Vec<String> {
        check(schema, schema, value)
            .into_iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect()
    }

    #[test]
    fn keywords_are_checked_with_the_place_that_breaks_them() {
        let schema = json!({
            "type": "object",
            "required": ["id", "amount"],
            "additionalProperties": false,
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "amount": { "type": "integer", "minimum": 1, "multipleOf": 5 },
                "tags": { "type": "array", "items": { "type": "string", "minLength": 2 }, "uniqueItems": true, "maxItems": 3 },
                "kind": { "const": "payment" },
                "level": { "enum": ["info", "error"] },
                "at": { "type": "string", "format": "date-time" }
            }
        });
        assert!(
            violations(
                &schema,
                &json!({"id": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "amount": 10})
            )
            .is_empty()
        );
        assert_eq!(
            violations(
                &schema,
                &json!({"id": "nope", "amount": 3, "tags": ["a", "bb", "bb", "cc"], "kind": "refund", "level": "warn", "at": "2024-02-30T10:00:00Z", "extra": 1})
            ),
            [
                "/extra: the property `extra` is not allowed",
                "/id: \"nope\" is not a valid `uuid`",
                "/amount: 3 is not a multiple of 5",
                "/tags/0: \"a\" has 1 characters, breaking `minLength: 2`",
                "/tags/2: \"bb\" appears twice (`uniqueItems`)",
                "/tags: [\"a\",\"bb\",\"bb\",\"cc\"] has 4 items, breaking `maxItems: 3`",
                "/kind: \"refund\" is not the constant \"payment\"",
                "/level: \"warn\" is not one of \"info\", \"error\"",
                "/at: \"2024-02-30T10:00:00Z\" is not a valid `date-time`",
            ]
        );
    }

    #[test]
    fn combinators_refs_and_types() {
        let schema = json!({
            "definitions": { "positive": { "type": "number", "exclusiveMinimum": 0 } },
            "oneOf": [
                { "$ref": "#/definitions/positive" },
                { "type": "string", "pattern": "^[a-z]+$" }
            ]
        });
        assert!(violations(&schema, &json!(5)).is_empty());
        assert!(violations(&schema, &json!("abc")).is_empty());
        assert_eq!(
            violations(&schema, &json!(-1)),
            [": -1 matches 0 of the `oneOf` schemas (exactly one must match)"]
        );
        assert_eq!(
            violations(&json!({"type": "integer"}), &json!(1.5)),
            [": 1.5 is not of type integer"]
        );
        assert!(
            violations(&json!({"type": "integer"}), &json!(2.0)).is_empty(),
            "2.0 is an integer in JSON Schema"
        );
        assert!(violations(&json!({"type": ["string", "null"]}), &Value::Null).is_empty());
        assert!(violations(&json!({"not": {"type": "string"}}), &json!(1)).is_empty());
        assert_eq!(
            violations(
                &json!({"anyOf": [{"type": "string"}, {"type": "boolean"}]}),
                &json!(1)
            ),
            [": 1 matches none of the `anyOf` schemas"]
        );
        assert!(conforms(&schema, &schema, &json!(2)));
        assert!(!conforms(&schema, &schema, &json!(true)));
    }

    #[test]
    fn formats() {
        for (f, good, bad) in [
            (
                "date-time",
                "2024-05-01T10:00:00.5+02:00",
                "2024-05-01T10:00:00",
            ),
            ("date", "2024-02-29", "2023-02-29"),
            ("time", "23:59:60Z", "24:00:00"),
            ("email", "a.b@example.com", "a b@example"),
            ("uri", "https://example.com/x?y", "not a uri"),
            (
                "uuid",
                "6A2F41A3-C54C-FCE8-32D2-0324E1C32E22",
                "6a2f41a3c54cfce832d20324e1c32e22",
            ),
            ("ipv4", "10.0.0.1", "10.0.0.256"),
            ("hostname", "broker-1.example.com", "-bad.example"),
        ] {
            assert!(format_ok(f, good), "{f}: {good}");
            assert!(!format_ok(f, bad), "{f}: {bad}");
        }
        assert!(format_ok("something-else", "anything"));
    }
}
