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
    Value => {},
    uuid::Uuid => {"type": "string", "format": "uuid"},
    chrono::DateTime<chrono::FixedOffset> => {"type": "string", "format": "date-time"},
    chrono::DateTime<chrono::Utc> => {"type": "string", "format": "date-time"},
    chrono::NaiveDate => {"type": "string", "format": "date"},
    chrono::NaiveTime => {"type": "string", "format": "time"},
    crate::bytes::Base64 => {"type": "string", "format": "byte"},
}

impl<T: Describe> Describe for Option<T> {
    /// The schema of `T`: whether the field may be missing is the
    /// containing object's `required`.
    fn describe(c: &mut SchemaComponents) -> Value {
        T::describe(c)
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
