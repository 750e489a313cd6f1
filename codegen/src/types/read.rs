//! Reading JSON Schema: keywords, descriptions, nullability, integer
//! formats, constraints, and which schemas need a type of their own.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::model::*;

pub(super) fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object().and_then(|m| m.get(key))
}

pub(super) fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    get(v, key).and_then(Value::as_str)
}

pub(super) fn f64_of(v: &Value, key: &str) -> Option<f64> {
    get(v, key).and_then(Value::as_f64)
}

pub(super) fn u64_of(v: &Value, key: &str) -> Option<u64> {
    get(v, key).and_then(Value::as_u64)
}

/// Documentation from a schema's title and description, made safe for
/// rustdoc (no indented or fenced code that would become a doctest).
pub fn doc_of(v: &Value) -> Option<String> {
    let text = str_of(v, "description").or_else(|| str_of(v, "title"))?;
    let doc = doc_of_text(text);
    (!doc.is_empty()).then_some(doc)
}

/// Documentation for something named `name`: as [`doc_of`], but a title
/// that only repeats the name (pydantic's `title: Amount Cents` for
/// `amount_cents`) says nothing and is left out.
pub fn doc_of_named(v: &Value, name: &str) -> Option<String> {
    if str_of(v, "description").is_none()
        && let Some(title) = str_of(v, "title")
        && plain_name(title) == plain_name(name)
    {
        return None;
    }
    doc_of(v)
}

/// A name with only its letters and digits, lowercase: `Amount Cents`,
/// `amount_cents` and `AmountCents` are one name.
pub(super) fn plain_name(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Text made safe for rustdoc: lines trimmed (no indented code blocks),
/// fences marked `text` (no doctests), an unclosed fence closed.
pub fn doc_of_text(text: &str) -> String {
    let lines: Vec<String> = text
        .trim()
        .lines()
        .map(|l| {
            let l = l.trim();
            if l.starts_with("```") {
                "```text".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    let fences = lines.iter().filter(|l| l.starts_with("```")).count();
    let mut doc = lines.join("\n");
    if fences % 2 == 1 {
        doc.push_str("\n```");
    }
    doc
}

pub(super) const PTR_KEY: &str = "x-faststream-pointer";

pub(super) fn strip_ptr(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        o.remove(PTR_KEY);
    }
    v
}

pub(super) fn direct_types(kind: &DefKind) -> Vec<&Ty> {
    match kind {
        DefKind::Struct { fields, .. } => fields.iter().map(|f| &f.ty).collect(),
        DefKind::Tagged { variants, .. } | DefKind::Untagged { variants, .. } => {
            variants.iter().map(|v| &v.ty).collect()
        }
        DefKind::Newtype { inner, .. } => vec![inner],
        DefKind::Alias(t) => vec![t],
        _ => Vec::new(),
    }
}

pub(super) fn collect_direct(ty: &Ty, out: &mut BTreeSet<usize>) {
    match ty {
        Ty::Named(id) => {
            out.insert(id.0);
        }
        Ty::Option(t) => collect_direct(t, out),
        Ty::Tuple(ts) => ts.iter().for_each(|t| collect_direct(t, out)),
        _ => {}
    }
}

pub(super) fn box_ty(ty: &mut Ty) {
    match ty {
        Ty::Option(inner) => box_ty(inner),
        Ty::Named(_) | Ty::Tuple(_) => {
            let inner = std::mem::replace(ty, Ty::Unit);
            *ty = Ty::Box(Box::new(inner));
        }
        _ => {}
    }
}

/// Whether a schema becomes a named definition (struct or enum) rather
/// than a plain type expression.
pub(super) fn needs_def(schema: &Value) -> bool {
    let Some(m) = schema.as_object() else {
        return false;
    };
    if m.contains_key("$ref") {
        return false;
    }
    if let Some(values) = m.get("enum").and_then(Value::as_array) {
        return values.iter().any(|v| !v.is_null());
    }
    if m.contains_key("oneOf") || m.contains_key("anyOf") || m.contains_key("allOf") {
        return true;
    }
    let (types, _) = types_of(m);
    let objectish =
        types.as_slice() == ["object"] || (types.is_empty() && m.contains_key("properties"));
    objectish
        && (m
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
            || m.get("additionalProperties") == Some(&Value::Bool(false)))
}

/// The value of a string property that can have only one: `const`, or
/// an `enum` of one string.
pub(super) fn string_constant(v: &Value) -> Option<String> {
    if let Some(c) = get(v, "const") {
        return c.as_str().map(str::to_owned);
    }
    match get(v, "enum").and_then(Value::as_array).map(Vec::as_slice) {
        Some([Value::String(s)]) => Some(s.clone()),
        _ => None,
    }
}

/// `{type: null}`, `{const: null}` or `{enum: [null]}`.
pub(super) fn is_null_schema(v: &Value) -> bool {
    str_of(v, "type") == Some("null")
        || get(v, "const") == Some(&Value::Null)
        || get(v, "enum")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_null))
}

/// The union's variants (`oneOf`, else `anyOf`), if it has any.
pub(super) fn union_variants(m: &Map<String, Value>) -> Option<(&'static str, &Vec<Value>)> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| m.get(k).and_then(Value::as_array).map(|v| (k, v)))
}

/// Whether a schema that gets a named type also admits `null` (so that
/// its uses are optional).
pub(super) fn admits_null(m: &Map<String, Value>) -> bool {
    types_of(m).1 || enum_has_null(m) || union_has_null(m)
}

/// Whether a union admits `null` besides other variants.
pub(super) fn union_has_null(m: &Map<String, Value>) -> bool {
    union_variants(m)
        .is_some_and(|(_, v)| v.iter().any(is_null_schema) && v.iter().any(|x| !is_null_schema(x)))
}

/// A schema that says nothing of values: only annotations.
pub(super) fn annotation_only(schema: &Value) -> bool {
    schema.as_object().is_some_and(|m| {
        m.keys().all(|k| {
            matches!(
                k.as_str(),
                "description"
                    | "title"
                    | "examples"
                    | "example"
                    | "deprecated"
                    | "readOnly"
                    | "writeOnly"
                    | "$comment"
                    | "externalDocs"
            ) || k.starts_with("x-")
        })
    })
}

/// The types a `not` schema names, when it says nothing else (`not:
/// {type: integer}`, `not: {type: [string, null]}`).
pub(super) fn not_types(not: &Value) -> Option<Vec<String>> {
    let m = not.as_object()?;
    if !m
        .keys()
        .all(|k| matches!(k.as_str(), "type" | "description" | "title"))
    {
        return None;
    }
    match m.get("type")? {
        Value::String(t) => Some(vec![t.clone()]),
        Value::Array(ts) => ts.iter().map(|t| t.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

/// `anyOf`/`oneOf` of exactly one schema besides `null`s, with nothing
/// else that shapes the value: (keyword, index of the schema, schema).
pub(super) fn nullable_single(m: &Map<String, Value>) -> Option<(&'static str, usize, &Value)> {
    const SHAPING: &[&str] = &[
        "type",
        "properties",
        "allOf",
        "items",
        "additionalProperties",
        "enum",
        "const",
        "patternProperties",
        "not",
    ];
    if SHAPING.iter().any(|k| m.contains_key(*k))
        || (m.contains_key("oneOf") && m.contains_key("anyOf"))
    {
        return None;
    }
    let (key, variants) = union_variants(m)?;
    let mut others = variants
        .iter()
        .enumerate()
        .filter(|(_, v)| !is_null_schema(v));
    let (index, inner) = others.next()?;
    (others.next().is_none() && variants.len() > 1).then_some((key, index, inner))
}

pub(super) fn enum_has_null(m: &Map<String, Value>) -> bool {
    m.get("enum")
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().any(Value::is_null))
}

/// The declared types (without "null") and whether null is allowed.
pub(super) fn types_of(m: &Map<String, Value>) -> (Vec<&str>, bool) {
    let mut nullable = m.get("nullable") == Some(&Value::Bool(true));
    let types = match m.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let without_null: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
    if without_null.len() < types.len() && !without_null.is_empty() {
        nullable = true;
        return (without_null, nullable);
    }
    (types, nullable)
}

pub(super) fn int_type(m: &Map<String, Value>) -> Ty {
    Ty::Int(match m.get("format").and_then(Value::as_str) {
        Some("int8") => Int::I8,
        Some("int16") => Int::I16,
        Some("int32") => Int::I32,
        Some("int64") => Int::I64,
        Some("uint8") => Int::U8,
        Some("uint16") => Int::U16,
        Some("uint32") => Int::U32,
        Some("uint64") => Int::U64,
        _ => {
            let min = m.get("minimum").and_then(Value::as_f64);
            let max = m.get("maximum").and_then(Value::as_f64);
            #[allow(clippy::cast_precision_loss)]
            let beyond_i64 = max.is_some_and(|x| x > i64::MAX as f64);
            if min.is_some_and(|x| x >= 0.0) && beyond_i64 {
                Int::U64
            } else {
                Int::I64
            }
        }
    })
}

pub(super) fn constraints_of(m: &Map<String, Value>) -> Constraints {
    let v = Value::Object(m.clone());
    let mut c = Constraints {
        min_length: u64_of(&v, "minLength"),
        max_length: u64_of(&v, "maxLength"),
        pattern: str_of(&v, "pattern").map(str::to_owned),
        minimum: f64_of(&v, "minimum"),
        maximum: f64_of(&v, "maximum"),
        exclusive_minimum: None,
        exclusive_maximum: None,
        multiple_of: f64_of(&v, "multipleOf").filter(|x| *x > 0.0),
        min_items: u64_of(&v, "minItems"),
        max_items: u64_of(&v, "maxItems"),
        unique_items: get(&v, "uniqueItems") == Some(&Value::Bool(true)),
        min_properties: u64_of(&v, "minProperties"),
        max_properties: u64_of(&v, "maxProperties"),
        format: None,
        const_str: None,
        not_types: None,
        positions: None,
    };
    // Draft 4 booleans and draft 6+ numbers.
    match get(&v, "exclusiveMinimum") {
        Some(Value::Bool(true)) => c.exclusive_minimum = c.minimum.take(),
        Some(Value::Number(n)) => c.exclusive_minimum = n.as_f64(),
        _ => {}
    }
    match get(&v, "exclusiveMaximum") {
        Some(Value::Bool(true)) => c.exclusive_maximum = c.maximum.take(),
        Some(Value::Number(n)) => c.exclusive_maximum = n.as_f64(),
        _ => {}
    }
    c
}

/// Whether a default value decodes into the field's type (checked at
/// generation time, so the generated default never fails to decode).
pub fn default_fits(ty: &Ty, d: &Value, defs: &[TypeDef]) -> bool {
    match (ty, d) {
        (Ty::Option(_) | Ty::Unit | Ty::Value, Value::Null) => true,
        (Ty::Option(t) | Ty::Box(t), d) => default_fits(t, d, defs),
        (Ty::Value, _) | (Ty::String, Value::String(_)) | (Ty::Bool, Value::Bool(_)) => true,
        (Ty::Int(i), Value::Number(n)) => int_fits(*i, n),
        (Ty::F32 | Ty::F64, Value::Number(_)) => true,
        (Ty::Vec(t), Value::Array(items)) => items.iter().all(|x| default_fits(t, x, defs)),
        (Ty::Map(t), Value::Object(m)) => m.values().all(|x| default_fits(t, x, defs)),
        (Ty::Tuple(ts), Value::Array(items)) => {
            ts.len() == items.len() && ts.iter().zip(items).all(|(t, x)| default_fits(t, x, defs))
        }
        (Ty::Named(id), d) => match defs.get(id.0).map(|def| &def.kind) {
            Some(DefKind::StringEnum(lits) | DefKind::ValueEnum(lits)) => {
                lits.iter().any(|l| l.value == *d)
            }
            Some(DefKind::Alias(t)) => !matches!(t, Ty::Value) && default_fits(t, d, defs),
            Some(DefKind::Newtype { inner, constraints }) => {
                constraints.is_empty() && default_fits(inner, d, defs)
            }
            Some(DefKind::Struct { fields, additional }) => {
                let Value::Object(m) = d else { return false };
                fields.iter().all(|f| match m.get(&f.wire) {
                    Some(x) => f.constraints.is_empty() && default_fits(&f.ty, x, defs),
                    None => !f.required,
                }) && (!matches!(additional, Additional::Deny)
                    || m.keys().all(|k| fields.iter().any(|f| f.wire == *k)))
            }
            _ => false,
        },
        _ => false,
    }
}

pub(super) fn int_fits(i: Int, n: &serde_json::Number) -> bool {
    let Some(x) = n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
    else {
        return false;
    };
    let (lo, hi): (i128, i128) = match i {
        Int::I8 => (i8::MIN.into(), i8::MAX.into()),
        Int::I16 => (i16::MIN.into(), i16::MAX.into()),
        Int::I32 => (i32::MIN.into(), i32::MAX.into()),
        Int::I64 => (i64::MIN.into(), i64::MAX.into()),
        Int::U8 => (0, u8::MAX.into()),
        Int::U16 => (0, u16::MAX.into()),
        Int::U32 => (0, u32::MAX.into()),
        Int::U64 => (0, u64::MAX.into()),
    };
    (lo..=hi).contains(&x)
}

/// Type definitions by name, for tests and tools.
pub fn by_name(defs: &[TypeDef]) -> BTreeMap<&str, &TypeDef> {
    defs.iter().map(|d| (d.name.as_str(), d)).collect()
}
