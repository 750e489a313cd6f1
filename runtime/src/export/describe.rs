//! Schemas from types: what the export says of a typed message.
//!
//! [`Describe`] gives a type's JSON Schema (the subset AsyncAPI schema
//! objects allow). The runtime implements it for the standard types the
//! generated code and users' messages are made of; a user's own struct
//! implements it by naming its fields ([`object`]), and registers itself as
//! a component so the export refers to it by name.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use serde_json::{Value, json};

/// The component schemas an export collects, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaComponents {
    schemas: IndexMap<String, Value>,
}

impl SchemaComponents {
    /// Registers the schema `name` (made by `make` the first time only: a
    /// recursive type refers to itself) and returns a reference to it.
    pub fn component(
        &mut self,
        name: &str,
        make: impl FnOnce(&mut SchemaComponents) -> Value,
    ) -> Value {
        if !self.schemas.contains_key(name) {
            // Taken before it is made, so a type that contains itself
            // stops here.
            self.schemas.insert(name.to_owned(), Value::Null);
            let schema = make(self);
            self.schemas.insert(name.to_owned(), schema);
        }
        json!({"$ref": format!("#/components/schemas/{}", faststream_asyncapi::pointer::escape(name))})
    }

    /// The schemas registered, by name.
    pub fn schemas(&self) -> &IndexMap<String, Value> {
        &self.schemas
    }

    /// Registers, as component `name`, the schema at `pointer` in the
    /// AsyncAPI `document` (JSON) and everything it reaches by `$ref`, and
    /// returns a reference to it: how a type generated from a spec
    /// describes itself with the schema it came from. A reference to
    /// another component schema keeps that component's name; one to a
    /// schema elsewhere (inside a message, say) becomes a component named
    /// after its place. The document is parsed once per process.
    pub fn from_document(&mut self, document: &'static str, pointer: &str, name: &str) -> Value {
        let doc = parsed(document);
        self.component(name, |c| c.copied(&doc, pointer))
    }

    /// The schema at `pointer` with its references registered and
    /// rewritten to point at the components.
    fn copied(&mut self, doc: &Value, pointer: &str) -> Value {
        let mut schema = doc.pointer(pointer).cloned().unwrap_or_else(|| json!({}));
        self.rewrite(doc, &mut schema);
        schema
    }

    fn rewrite(&mut self, doc: &Value, v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(target) = m
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'))
                    .map(str::to_owned)
                {
                    let name = match target.strip_prefix("/components/schemas/") {
                        Some(key) if !key.contains('/') => {
                            faststream_asyncapi::pointer::unescape(key)
                        }
                        _ => target
                            .trim_start_matches('/')
                            .split('/')
                            .map(faststream_asyncapi::pointer::unescape)
                            .collect::<Vec<_>>()
                            .join("_"),
                    };
                    let reference = self.component(&name, |c| c.copied(doc, &target));
                    m.insert("$ref".into(), reference["$ref"].clone());
                    return;
                }
                for child in m.values_mut() {
                    self.rewrite(doc, child);
                }
            }
            Value::Array(items) => {
                for child in items {
                    self.rewrite(doc, child);
                }
            }
            _ => {}
        }
    }
}

/// A type's schema from its `schemars::JsonSchema` implementation (feature
/// `schemars`), as AsyncAPI schema objects take it: JSON Schema draft-07
/// (schemars' own draft-07 settings: tuples as `items` arrays, no
/// `unevaluatedProperties`, no siblings beside `$ref`), no `$schema`, and
/// the definitions it refers to registered as components (first
/// registration of a name wins) with the references pointing at them. A
/// named type is a component itself; a type schemars inlines (a `String`,
/// an `Option`, a `Vec`) is returned inline.
///
/// [`crate::describe_with_schemars!`] implements [`Describe`] with it.
#[cfg(feature = "schemars")]
pub fn from_schemars<T: schemars::JsonSchema + ?Sized>(components: &mut SchemaComponents) -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft07();
    settings.meta_schema = None;
    settings.definitions_path = "/components/schemas".into();
    let mut root = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Some(object) = root.as_object_mut()
        && let Some(mut defs) = object.remove("components")
        && let Some(schemas) = defs.get_mut("schemas").and_then(Value::as_object_mut)
    {
        for (name, schema) in std::mem::take(schemas) {
            components.component(&name, |_| schema);
        }
    }
    if T::inline_schema() {
        root
    } else {
        components.component(&T::schema_name(), |_| root)
    }
}

/// Implements [`Describe`] for types that derive `schemars::JsonSchema`
/// (feature `schemars`), with [`from_schemars`]:
///
/// ```
/// # #[cfg(feature = "schemars")] {
/// #[derive(faststream::serde::Deserialize, faststream::schemars::JsonSchema)]
/// #[serde(crate = "faststream::serde")]
/// #[schemars(crate = "faststream::schemars")]
/// struct Order { id: String, quantity: u32 }
///
/// faststream::describe_with_schemars!(Order);
/// # }
/// ```
#[cfg(feature = "schemars")]
#[macro_export]
macro_rules! describe_with_schemars {
    ($($t:ty),+ $(,)?) => {
        $(impl $crate::export::Describe for $t {
            fn describe(components: &mut $crate::export::SchemaComponents) -> $crate::serde_json::Value {
                $crate::export::from_schemars::<$t>(components)
            }
        })+
    };
}

/// `document`, parsed once per process (keyed by where the text lives:
/// generated code embeds it as a `'static` constant).
fn parsed(document: &'static str) -> std::sync::Arc<Value> {
    use std::sync::{Arc, Mutex, OnceLock};
    /// Parsed documents by (address, length) of their text.
    type Parsed = HashMap<(usize, usize), Arc<Value>>;
    static CACHE: OnceLock<Mutex<Parsed>> = OnceLock::new();
    let key = (document.as_ptr() as usize, document.len());
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(doc) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return doc.clone();
    }
    let doc = Arc::new(serde_json::from_str(document).unwrap_or(Value::Null));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, doc.clone());
    doc
}

/// A type whose JSON Schema the export writes.
///
/// ```
/// use faststream::export::{Describe, SchemaComponents, object};
///
/// struct Order { id: String, quantity: i64, note: Option<String> }
///
/// impl Describe for Order {
///     fn describe(c: &mut SchemaComponents) -> faststream::serde_json::Value {
///         c.component("Order", |c| {
///             object(c)
///                 .required::<String>("id")
///                 .required::<i64>("quantity")
///                 .optional::<String>("note")
///                 .into()
///         })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no schema for the AsyncAPI export",
    label = "no `Describe` for `{Self}`",
    note = "derive `faststream::Message` for it, or implement `faststream::export::Describe`"
)]
pub trait Describe {
    /// The schema of the type: a `$ref` to a component for a named type
    /// (registered in `components`), the schema itself for the rest.
    fn describe(components: &mut SchemaComponents) -> Value;
}

/// An object schema built field by field (see [`Describe`]).
#[derive(Debug)]
pub struct ObjectSchema<'c> {
    components: &'c mut SchemaComponents,
    properties: serde_json::Map<String, Value>,
    required: Vec<String>,
}

/// Starts an object schema.
pub fn object(components: &mut SchemaComponents) -> ObjectSchema<'_> {
    ObjectSchema {
        components,
        properties: serde_json::Map::new(),
        required: Vec::new(),
    }
}

impl ObjectSchema<'_> {
    /// A field that must be present.
    pub fn required<T: Describe + ?Sized>(mut self, name: &str) -> Self {
        let schema = T::describe(self.components);
        self.properties.insert(name.to_owned(), schema);
        self.required.push(name.to_owned());
        self
    }

    /// A field that may be missing.
    pub fn optional<T: Describe + ?Sized>(mut self, name: &str) -> Self {
        let schema = T::describe(self.components);
        self.properties.insert(name.to_owned(), schema);
        self
    }
}

impl From<ObjectSchema<'_>> for Value {
    fn from(o: ObjectSchema<'_>) -> Value {
        let mut schema = json!({"type": "object", "properties": o.properties});
        if !o.required.is_empty() {
            schema["required"] = json!(o.required);
        }
        schema
    }
}

macro_rules! described {
    ($($t:ty => $schema:tt),* $(,)?) => {
        $(impl Describe for $t {
            fn describe(_: &mut SchemaComponents) -> Value {
                json!($schema)
            }
        })*
    };
}

described! {
    str => {"type": "string"},
    String => {"type": "string"},
    bool => {"type": "boolean"},
    i8 => {"type": "integer", "minimum": i8::MIN, "maximum": i8::MAX},
    i16 => {"type": "integer", "minimum": i16::MIN, "maximum": i16::MAX},
    i32 => {"type": "integer", "format": "int32"},
    i64 => {"type": "integer", "format": "int64"},
    u8 => {"type": "integer", "minimum": 0, "maximum": u8::MAX},
    u16 => {"type": "integer", "minimum": 0, "maximum": u16::MAX},
    u32 => {"type": "integer", "minimum": 0, "maximum": u32::MAX},
    u64 => {"type": "integer", "minimum": 0},
    usize => {"type": "integer", "minimum": 0},
    isize => {"type": "integer"},
    f32 => {"type": "number", "format": "float"},
    f64 => {"type": "number"},
    char => {"type": "string", "minLength": 1, "maxLength": 1},
    Value => {},
    uuid::Uuid => {"type": "string", "format": "uuid"},
    chrono::DateTime<chrono::FixedOffset> => {"type": "string", "format": "date-time"},
    chrono::DateTime<chrono::Utc> => {"type": "string", "format": "date-time"},
    chrono::NaiveDate => {"type": "string", "format": "date"},
    chrono::NaiveTime => {"type": "string", "format": "time"},
    crate::bytes::Base64 => {"type": "string", "format": "byte"},
}

impl<T: Describe> Describe for Option<T> {
    /// The schema of `T` admitting `null` too, as serde reads `null` as
    /// `None`. Whether the field may be missing is the containing
    /// object's `required`.
    fn describe(c: &mut SchemaComponents) -> Value {
        nullable(T::describe(c))
    }
}

impl<T: ?Sized> Describe for std::marker::PhantomData<T> {
    /// serde writes a `PhantomData` as unit (`null`).
    fn describe(_: &mut SchemaComponents) -> Value {
        json!({"type": "null"})
    }
}

impl<T: Describe + ?Sized> Describe for std::sync::Arc<T> {
    fn describe(c: &mut SchemaComponents) -> Value {
        T::describe(c)
    }
}

impl<T: Describe> Describe for std::collections::VecDeque<T> {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "array", "items": T::describe(c)})
    }
}

impl<T: Describe, const N: usize> Describe for [T; N] {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "array", "items": T::describe(c), "minItems": N, "maxItems": N})
    }
}

impl<T: Describe> Describe for std::collections::BTreeSet<T> {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "array", "items": T::describe(c), "uniqueItems": true})
    }
}

impl<T: Describe, S> Describe for std::collections::HashSet<T, S> {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "array", "items": T::describe(c), "uniqueItems": true})
    }
}

impl<T: Describe + ?Sized> Describe for Box<T> {
    fn describe(c: &mut SchemaComponents) -> Value {
        T::describe(c)
    }
}

impl<T: Describe> Describe for Vec<T> {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "array", "items": T::describe(c)})
    }
}

impl<T: Describe> Describe for BTreeMap<String, T> {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "object", "additionalProperties": T::describe(c)})
    }
}

impl<T: Describe, S> Describe for HashMap<String, T, S> {
    fn describe(c: &mut SchemaComponents) -> Value {
        json!({"type": "object", "additionalProperties": T::describe(c)})
    }
}

/// A schema that also admits `null` (what serde reads as `None`).
pub fn nullable(schema: Value) -> Value {
    match schema {
        Value::Object(mut o) if !o.contains_key("$ref") => {
            let types = match o.get("type") {
                None if o.is_empty() => return Value::Object(o),
                None => None,
                Some(Value::String(t)) if t == "null" => return Value::Object(o),
                Some(Value::String(t)) => Some(vec![json!(t), json!("null")]),
                Some(Value::Array(ts)) if ts.iter().any(|t| t == "null") => {
                    return Value::Object(o);
                }
                Some(Value::Array(ts)) => Some(ts.iter().cloned().chain([json!("null")]).collect()),
                Some(_) => None,
            };
            match types {
                Some(types) if !o.contains_key("const") => {
                    o.insert("type".into(), Value::Array(types));
                    if let Some(Value::Array(values)) = o.get_mut("enum") {
                        values.push(Value::Null);
                    }
                    Value::Object(o)
                }
                _ => json!({"anyOf": [Value::Object(o), {"type": "null"}]}),
            }
        }
        other => json!({"anyOf": [other, {"type": "null"}]}),
    }
}

/// A tuple struct or variant of more than one field: an array of fixed
/// length, each position its type.
pub fn tuple(items: Vec<Value>) -> Value {
    let n = items.len();
    tuple_from(items, n)
}

/// A tuple whose last positions have defaults: at least `required`
/// items (serde fills the missing ones in).
pub fn tuple_from(items: Vec<Value>, required: usize) -> Value {
    let n = items.len();
    json!({"type": "array", "items": items, "minItems": required, "maxItems": n, "additionalItems": false})
}

macro_rules! tuples {
    ($(($($t:ident),+)),*) => {
        $(impl<$($t: Describe),+> Describe for ($($t,)+) {
            /// An array of fixed length, each position its type (serde
            /// writes a tuple as an array).
            fn describe(c: &mut SchemaComponents) -> Value {
                tuple(vec![$($t::describe(c)),+])
            }
        })*
    };
}

tuples!((A), (A, B), (A, B, C), (A, B, C, D), (A, B, C, D, E));

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r##"{
        "components": {
            "messages": {"Tree": {"payload": {"type": "object", "properties": {"label": {"type": "string"}}}}},
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                        "tree": {"$ref": "#/components/messages/Tree/payload"}
                    }
                }
            }
        }
    }"##;

    #[test]
    fn a_schema_from_a_document_brings_what_it_reaches() {
        let mut c = SchemaComponents::default();
        let reference = c.from_document(DOC, "/components/schemas/Node", "Node");
        assert_eq!(reference, json!({"$ref": "#/components/schemas/Node"}));
        // Itself (recursive) by name; a schema inside a message as a
        // component named after its place.
        assert_eq!(
            c.schemas()["Node"]["properties"]["children"]["items"],
            json!({"$ref": "#/components/schemas/Node"})
        );
        assert_eq!(
            c.schemas()["Node"]["properties"]["tree"],
            json!({"$ref": "#/components/schemas/components_messages_Tree_payload"})
        );
        assert_eq!(
            c.schemas()["components_messages_Tree_payload"]["properties"]["label"],
            json!({"type": "string"})
        );
        assert_eq!(c.schemas().len(), 2);
    }
}
