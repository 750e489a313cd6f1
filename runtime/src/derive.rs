//! What `#[derive(faststream::Message)]` expands to calls: the checks of
//! its `#[message(...)]` constraints on any type that has the property
//! they constrain (a string's length, a collection's items, a number's
//! bounds), and the builders of the schemas it describes. Not a public
//! API: it follows the derive of the same version.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value, json};

pub use crate::export::describe::{nullable, tuple, tuple_from};
pub use crate::export::{Describe, SchemaComponents};
pub use crate::validate::rules::Number;
pub use crate::validate::{LazyRegex, Path, Validate, ValidationError, rules};
pub use serde_json;

/// A value with a text: what the string constraints apply to.
#[diagnostic::on_unimplemented(
    message = "`min_length`, `max_length`, `pattern` and `format` apply to strings, and `{Self}` is not one",
    label = "not a string"
)]
pub trait Text {
    fn text(&self) -> &str;
}

impl Text for String {
    fn text(&self) -> &str {
        self
    }
}

impl Text for str {
    fn text(&self) -> &str {
        self
    }
}

impl Text for Box<str> {
    fn text(&self) -> &str {
        self
    }
}

impl Text for std::borrow::Cow<'_, str> {
    fn text(&self) -> &str {
        self
    }
}

/// A JSON array: what `min_items` and `max_items` apply to.
#[diagnostic::on_unimplemented(
    message = "`min_items` and `max_items` apply to sequences, and `{Self}` is not one",
    label = "not a sequence"
)]
pub trait Items {
    fn count(&self) -> usize;
}

/// A JSON array whose items can be compared: what `unique_items` applies
/// to.
#[diagnostic::on_unimplemented(
    message = "`unique_items` applies to sequences of comparable items (`PartialEq`), and `{Self}` is not one",
    label = "not a sequence of `PartialEq` items"
)]
pub trait UniqueItems {
    /// The first two equal items, by position.
    fn first_repeat(&self) -> Option<(usize, usize)>;
}

fn repeat<'a, T: PartialEq + 'a>(
    items: impl Iterator<Item = &'a T> + Clone,
) -> Option<(usize, usize)> {
    for (i, a) in items.clone().enumerate() {
        if let Some(j) = items.clone().take(i).position(|b| a == b) {
            return Some((j, i));
        }
    }
    None
}

macro_rules! sequences {
    ($($t:ty => $($g:ident),* $(; const $n:ident)?);* $(;)?) => {
        $(impl<$($g,)* $(const $n: usize)?> Items for $t {
            fn count(&self) -> usize {
                self.len()
            }
        })*
    };
}

sequences! {
    Vec<T> => T;
    VecDeque<T> => T;
    [T; N] => T; const N;
    BTreeSet<T> => T;
    HashSet<T, S> => T, S;
}

impl<T: PartialEq> UniqueItems for Vec<T> {
    fn first_repeat(&self) -> Option<(usize, usize)> {
        repeat(self.iter())
    }
}

impl<T: PartialEq> UniqueItems for VecDeque<T> {
    fn first_repeat(&self) -> Option<(usize, usize)> {
        repeat(self.iter())
    }
}

impl<T: PartialEq, const N: usize> UniqueItems for [T; N] {
    fn first_repeat(&self) -> Option<(usize, usize)> {
        repeat(self.iter())
    }
}

impl<T> UniqueItems for BTreeSet<T> {
    fn first_repeat(&self) -> Option<(usize, usize)> {
        None
    }
}

impl<T, S> UniqueItems for HashSet<T, S> {
    fn first_repeat(&self) -> Option<(usize, usize)> {
        None
    }
}

/// A JSON object read as a map: what the property constraints apply to.
#[diagnostic::on_unimplemented(
    message = "`min_properties` and `max_properties` apply to maps, and `{Self}` is not one",
    label = "not a map"
)]
pub trait Properties {
    fn count(&self) -> usize;
}

impl<T> Properties for BTreeMap<String, T> {
    fn count(&self) -> usize {
        self.len()
    }
}

impl<T, S> Properties for HashMap<String, T, S> {
    fn count(&self) -> usize {
        self.len()
    }
}

impl Properties for Map<String, Value> {
    fn count(&self) -> usize {
        self.len()
    }
}

pub fn min_length<T: Text + ?Sized>(v: &T, n: usize, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::min_length(v.text(), n, p, e);
}

pub fn max_length<T: Text + ?Sized>(v: &T, n: usize, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::max_length(v.text(), n, p, e);
}

pub fn pattern<T: Text + ?Sized>(
    v: &T,
    re: &LazyRegex,
    p: &Path<'_>,
    e: &mut Vec<ValidationError>,
) {
    rules::pattern(v.text(), re, p, e);
}

/// `format` on a string: the formats `#[message(format = ...)]` accepts.
pub fn format<T: Text + ?Sized>(v: &T, format: &str, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    let v = v.text();
    match format {
        "email" => rules::email(v, p, e),
        "uri" => rules::uri(v, p, e),
        "date-time" => rules::date_time(v, p, e),
        "date" => rules::date(v, p, e),
        "time" => rules::time(v, p, e),
        "uuid" if !crate::formats::is_uuid(v) => e.push(ValidationError {
            path: p.to_string(),
            rule: "format",
            message: format!("{v:?} is not a uuid"),
        }),
        _ => {}
    }
}

pub fn minimum<N: Number>(v: &N, bound: f64, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::minimum(*v, bound, p, e);
}

pub fn maximum<N: Number>(v: &N, bound: f64, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::maximum(*v, bound, p, e);
}

pub fn exclusive_minimum<N: Number>(v: &N, bound: f64, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::exclusive_minimum(*v, bound, p, e);
}

pub fn exclusive_maximum<N: Number>(v: &N, bound: f64, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::exclusive_maximum(*v, bound, p, e);
}

pub fn multiple_of<N: Number>(v: &N, of: f64, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::multiple_of(*v, of, p, e);
}

pub fn min_items<T: Items + ?Sized>(v: &T, n: usize, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::min_items(v.count(), n, p, e);
}

pub fn max_items<T: Items + ?Sized>(v: &T, n: usize, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    rules::max_items(v.count(), n, p, e);
}

pub fn unique_items<T: UniqueItems + ?Sized>(v: &T, p: &Path<'_>, e: &mut Vec<ValidationError>) {
    if let Some((j, i)) = v.first_repeat() {
        e.push(ValidationError {
            path: p.to_string(),
            rule: "uniqueItems",
            message: format!("items {j} and {i} are equal"),
        });
    }
}

pub fn min_properties<T: Properties + ?Sized>(
    v: &T,
    n: usize,
    p: &Path<'_>,
    e: &mut Vec<ValidationError>,
) {
    rules::min_properties(v.count(), n, p, e);
}

pub fn max_properties<T: Properties + ?Sized>(
    v: &T,
    n: usize,
    p: &Path<'_>,
    e: &mut Vec<ValidationError>,
) {
    rules::max_properties(v.count(), n, p, e);
}

/// The component name of an instance of a generic type: `base` and its
/// arguments' names, module paths dropped (`Page<Order>` is
/// `Page_for_Order`), in the characters a component name may hold.
pub fn generic_name(base: &str, type_name: &str) -> String {
    let args = type_name.find('<').map_or("", |i| &type_name[i..]);
    let mut out = String::from(base);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        // `alloc::vec::Vec` is `Vec`.
        if let Some(last) = word.rsplit("::").next() {
            out.push_str(last);
        }
        word.clear();
    };
    for c in args.chars() {
        match c {
            '<' => {
                flush(&mut word, &mut out);
                out.push_str("_for_");
            }
            ',' => {
                flush(&mut word, &mut out);
                out.push_str("_and_");
            }
            '>' | ' ' | '&' | '\'' => flush(&mut word, &mut out),
            '[' | ']' | ';' | '(' | ')' => {
                flush(&mut word, &mut out);
                out.push('_');
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == ':' => word.push(c),
            _ => flush(&mut word, &mut out),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `schema` with `keywords` beside it. Beside a `$ref` a keyword would be
/// ignored (draft-07), so a reference is wrapped in `allOf` first. Where
/// the type's own schema already bounds a number, the stricter bound
/// stays.
pub fn with_keywords(schema: Value, keywords: &[(&str, Value)]) -> Value {
    if keywords.is_empty() {
        return schema;
    }
    let mut schema = match schema {
        Value::Object(o) if !o.contains_key("$ref") => o,
        Value::Bool(true) => Map::new(),
        other => {
            let mut o = Map::new();
            o.insert("allOf".into(), json!([other]));
            o
        }
    };
    for (k, v) in keywords {
        let stricter = match (*k, schema.get(*k).and_then(Value::as_f64), v.as_f64()) {
            ("minimum", Some(old), Some(new)) => new > old,
            ("maximum", Some(old), Some(new)) => new < old,
            _ => true,
        };
        if stricter {
            schema.insert((*k).to_owned(), v.clone());
        }
    }
    Value::Object(schema)
}

/// Whether `schema` admits `null` (as [`nullable`] writes it).
fn admits_null(schema: &Value) -> bool {
    let null = |t: &Value| t == "null";
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(null),
        _ => schema
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|s| s.get("type").is_some_and(null))),
    }
}

/// The schema a `$ref` to a registered component points at.
fn resolved(c: &SchemaComponents, schema: Value) -> Value {
    let target = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(faststream_asyncapi::pointer::unescape);
    match target.and_then(|name| c.schemas().get(&name)) {
        Some(s) if !s.is_null() => s.clone(),
        _ => schema,
    }
}

/// A flattened enum's schema, read beside other fields: no alternative
/// refuses the keys it does not name, and a string alternative (external
/// unit variants) becomes its names as keys.
fn beside_fields(schema: Value) -> Value {
    match schema {
        Value::Object(mut o) => {
            if o.get("type").is_some_and(|t| t == "string")
                && let Some(Value::Array(names)) = o.get("enum")
            {
                let alternatives: Vec<Value> = names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|n| json!({"type": "object", "properties": {n: {"type": "null"}}, "required": [n]}))
                    .collect();
                return json!({"oneOf": alternatives});
            }
            if o.get("additionalProperties") == Some(&json!(false)) {
                o.remove("additionalProperties");
                o.remove("maxProperties");
            }
            for key in ["oneOf", "anyOf", "allOf"] {
                if let Some(Value::Array(items)) = o.remove(key) {
                    o.insert(
                        key.to_owned(),
                        Value::Array(items.into_iter().map(beside_fields).collect()),
                    );
                }
            }
            Value::Object(o)
        }
        other => other,
    }
}

/// A struct's object schema, field by field.
#[derive(Debug, Default)]
pub struct Object {
    properties: Map<String, Value>,
    required: Vec<Value>,
    /// A field with aliases: how many of its names may be present.
    one_of_names: Vec<Value>,
    all_of: Vec<Value>,
    additional: Option<Value>,
}

impl Object {
    /// A struct's `#[serde(tag = "...")]`: serde writes its name under the
    /// tag and never reads it (any value, or none, is accepted; with
    /// `deny_unknown_fields` the key is refused as unknown).
    pub fn tag(&mut self, tag: &str, name: &str, deny_unknown: bool) {
        if !deny_unknown {
            self.properties.insert(
                tag.to_owned(),
                json!({"description": format!("Written as {name:?}; not read.")}),
            );
        }
    }

    /// A field read under `name` (or one of its `aliases`).
    pub fn property(&mut self, name: &str, aliases: &[&str], schema: Value, required: bool) {
        for alias in aliases {
            self.properties.insert((*alias).to_owned(), schema.clone());
        }
        self.properties.insert(name.to_owned(), schema);
        if aliases.is_empty() {
            if required {
                self.required.push(json!(name));
            }
            return;
        }
        // serde reads one of the names and refuses a second ("duplicate
        // field"): exactly one when required, at most one otherwise.
        let names: Vec<&str> = std::iter::once(name)
            .chain(aliases.iter().copied())
            .collect();
        if required {
            let one: Vec<Value> = names.iter().map(|n| json!({"required": [n]})).collect();
            self.one_of_names.push(json!({"oneOf": one}));
        } else {
            for (i, a) in names.iter().enumerate() {
                for b in &names[i + 1..] {
                    self.one_of_names.push(json!({"not": {"required": [a, b]}}));
                }
            }
        }
    }

    /// A `#[serde(flatten)]` field: its properties read as this object's.
    pub fn flatten(&mut self, c: &SchemaComponents, schema: Value, optional: bool) {
        let mut schema = resolved(c, schema);
        if let Some(o) = schema.as_object_mut()
            && o.get("type").is_none_or(|t| t == "object")
            && !o.contains_key("oneOf")
            && !o.contains_key("anyOf")
            && !o.contains_key("allOf")
        {
            if let Some(Value::Object(props)) = o.remove("properties") {
                if optional {
                    // serde reads `None` whenever the inner type does not
                    // read: its keys are known, their values unchecked.
                    self.properties
                        .extend(props.into_iter().map(|(k, _)| (k, Value::Bool(true))));
                } else {
                    self.properties.extend(props);
                }
            }
            if let Some(Value::Array(required)) = o.remove("required")
                && !optional
            {
                self.required.extend(required);
            }
            if let Some(extra) = o.remove("additionalProperties")
                && extra != json!(false)
            {
                self.additional = Some(extra);
            }
            return;
        }
        // An enum's variants read beside this object's fields: each
        // alternative lets the other keys be, and an externally tagged
        // unit variant is its name as a key (with `null`).
        let schema = beside_fields(schema);
        self.all_of.push(if optional {
            json!({"anyOf": [schema, {}]})
        } else {
            schema
        });
    }

    /// The schema: unknown fields refused when `deny_unknown` (and no
    /// field is flattened), `description` from the doc comment.
    pub fn finish(self, deny_unknown: bool, description: Option<&str>) -> Value {
        let mut o = Map::new();
        if let Some(d) = description {
            o.insert("description".into(), json!(d));
        }
        o.insert("type".into(), json!("object"));
        o.insert("properties".into(), Value::Object(self.properties));
        if !self.required.is_empty() {
            o.insert("required".into(), Value::Array(self.required));
        }
        let flattened = !self.all_of.is_empty() || self.additional.is_some();
        if let Some(extra) = self.additional {
            o.insert("additionalProperties".into(), extra);
        } else if deny_unknown && !flattened {
            o.insert("additionalProperties".into(), json!(false));
        }
        let mut all_of = self.one_of_names;
        all_of.extend(self.all_of);
        if !all_of.is_empty() {
            o.insert("allOf".into(), Value::Array(all_of));
        }
        Value::Object(o)
    }
}

/// How an enum's variants are written (serde's representations).
#[derive(Debug, Clone, Copy)]
pub enum Repr<'a> {
    /// `{"Variant": ...}`, a unit variant as its name.
    External,
    /// `#[serde(tag = "t")]`: the name under `t`, beside the fields.
    Internal(&'a str),
    /// `#[serde(tag = "t", content = "c")]`.
    Adjacent(&'a str, &'a str),
    /// `#[serde(untagged)]`: the content alone.
    Untagged,
}

/// An enum's schema, variant by variant.
#[derive(Debug, Default)]
pub struct Enum {
    deny_unknown: bool,
    tagged: Vec<Value>,
    untagged: Vec<Value>,
    /// External unit variants without a description: one string enum.
    units: Vec<Value>,
    names: Vec<Value>,
    /// A `#[serde(other)]` variant: under its tag (`Some(Some(tag))`) or
    /// as a string (`Some(None)`).
    other: Option<Option<String>>,
}

impl Enum {
    pub fn new(deny_unknown: bool) -> Enum {
        Enum {
            deny_unknown,
            ..Enum::default()
        }
    }

    /// A variant named `name` (or an alias), its content `body` (`None` for
    /// a unit variant); `c` resolves the body's reference where serde
    /// reads the tag beside the content's own fields.
    pub fn variant(
        &mut self,
        c: &SchemaComponents,
        repr: Repr<'_>,
        name: &str,
        aliases: &[&str],
        body: Option<Value>,
        description: Option<&str>,
    ) {
        let names: Vec<Value> = std::iter::once(name)
            .chain(aliases.iter().copied())
            .map(Value::from)
            .collect();
        if !matches!(repr, Repr::Untagged) {
            self.names.extend(names.iter().cloned());
        }
        let tag_value = if names.len() == 1 {
            json!({"type": "string", "const": name})
        } else {
            json!({"type": "string", "enum": names})
        };
        // An internally tagged unit variant skips every other key, whatever
        // `deny_unknown_fields` says.
        let tag_only = |tag: &str| json!({"type": "object", "properties": {tag: tag_value}, "required": [tag]});
        let schema = match (repr, body) {
            (Repr::Untagged, None) => json!({"type": "null"}),
            (Repr::Untagged, Some(b)) => b,
            (Repr::External, None) if description.is_none() => {
                self.units.extend(names);
                return;
            }
            (Repr::External, None) => tag_value.clone(),
            (Repr::External, Some(b)) => {
                let properties: Map<String, Value> = names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|n| (n.to_owned(), b.clone()))
                    .collect();
                if names.len() == 1 {
                    json!({"type": "object", "properties": properties, "required": [name], "additionalProperties": false})
                } else {
                    json!({"type": "object", "properties": properties, "minProperties": 1, "maxProperties": 1, "additionalProperties": false})
                }
            }
            (Repr::Internal(tag), None) => tag_only(tag),
            // The content may be missing or null, and nothing else.
            (Repr::Adjacent(tag, content), None) => {
                let mut o = json!({
                    "type": "object",
                    "properties": {tag: tag_value, content: {"type": "null"}},
                    "required": [tag]
                });
                if self.deny_unknown {
                    o["additionalProperties"] = json!(false);
                }
                o
            }
            // serde takes the tag out, then reads the rest as the content:
            // the tag joins the content's own properties.
            (Repr::Internal(tag), Some(b)) => match resolved(c, b) {
                Value::Object(mut o)
                    if !o.contains_key("$ref")
                        && o.get("type").is_some_and(|t| t == "object")
                        && !o.contains_key("oneOf")
                        && !o.contains_key("anyOf")
                        && !o.contains_key("allOf") =>
                {
                    let mut properties = Map::new();
                    properties.insert(tag.to_owned(), tag_value.clone());
                    if let Some(Value::Object(p)) = o.remove("properties") {
                        properties.extend(p);
                    }
                    o.insert("properties".into(), Value::Object(properties));
                    let mut required = vec![json!(tag)];
                    if let Some(Value::Array(r)) = o.remove("required") {
                        required.extend(r);
                    }
                    o.insert("required".into(), Value::Array(required));
                    Value::Object(o)
                }
                // A unit struct or `()`: the tag alone, nothing beside it.
                Value::Object(o) if o.get("type").is_some_and(|t| t == "null") => {
                    let mut only = tag_only(tag);
                    only["additionalProperties"] = json!(false);
                    only
                }
                other => json!({"allOf": [beside_fields(other), tag_only(tag)]}),
            },
            (Repr::Adjacent(tag, content), Some(b)) => {
                // A content that may be null may be missing too (serde reads
                // `None`).
                let required = if admits_null(&b) {
                    json!([tag])
                } else {
                    json!([tag, content])
                };
                let mut o = json!({
                    "type": "object",
                    "properties": {tag: tag_value, content: b},
                    "required": required
                });
                if self.deny_unknown {
                    o["additionalProperties"] = json!(false);
                }
                o
            }
        };
        let schema = match description {
            Some(d) => with_keywords(schema, &[("description", json!(d))]),
            None => schema,
        };
        if matches!(repr, Repr::Untagged) {
            self.untagged.push(schema);
        } else {
            self.tagged.push(schema);
        }
    }

    /// The `#[serde(other)]` variant: a name no other variant has (under
    /// the tag, or as the string of an externally tagged enum).
    pub fn other(&mut self, repr: Repr<'_>) {
        self.other = match repr {
            Repr::Internal(tag) | Repr::Adjacent(tag, _) => Some(Some(tag.to_owned())),
            Repr::External => Some(None),
            Repr::Untagged => None,
        };
    }

    pub fn finish(self, description: Option<&str>) -> Value {
        let mut one_of = self.tagged;
        match &self.other {
            Some(Some(tag)) => one_of.push(json!({
                "type": "object",
                "properties": {tag: {"type": "string", "not": {"enum": self.names}}},
                "required": [tag]
            })),
            Some(None) => one_of.push(json!({"type": "string", "not": {"enum": self.names}})),
            None => {}
        }
        if !self.units.is_empty() {
            one_of.insert(0, json!({"type": "string", "enum": self.units}));
        }
        let tagged = match one_of.len() {
            0 => None,
            1 => one_of.pop(),
            _ => Some(json!({"oneOf": one_of})),
        };
        let mut any_of: Vec<Value> = tagged.into_iter().chain(self.untagged).collect();
        let schema = match any_of.len() {
            // An enum without variants: no value is one.
            0 => json!({"not": {}}),
            1 => any_of.pop().unwrap_or_default(),
            _ => json!({"anyOf": any_of}),
        };
        match description {
            Some(d) => with_keywords(schema, &[("description", json!(d))]),
            None => schema,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_names_drop_module_paths() {
        assert_eq!(
            generic_name("Page", "my_crate::Page<my_crate::Order>"),
            "Page_for_Order"
        );
        assert_eq!(
            generic_name("Pair", "a::Pair<alloc::vec::Vec<a::b::X>, u32>"),
            "Pair_for_Vec_for_X_and_u32"
        );
        assert_eq!(generic_name("Page", "x::Page"), "Page");
    }

    #[test]
    fn nullable_keeps_the_schema_and_admits_null() {
        assert_eq!(
            nullable(json!({"type": "string"})),
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            nullable(json!({"type": "string", "enum": ["a"]})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            nullable(json!({"$ref": "#/components/schemas/A"})),
            json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]})
        );
        assert_eq!(nullable(json!({})), json!({}));
    }

    #[test]
    fn keywords_beside_a_reference_go_through_all_of() {
        assert_eq!(
            with_keywords(json!({"$ref": "#/x"}), &[("description", json!("d"))]),
            json!({"allOf": [{"$ref": "#/x"}], "description": "d"})
        );
        // u8's own minimum 0 stays under a looser one.
        assert_eq!(
            with_keywords(
                json!({"type": "integer", "minimum": 0}),
                &[("minimum", json!(-5))]
            ),
            json!({"type": "integer", "minimum": 0})
        );
    }
}
