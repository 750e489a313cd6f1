//! The types a schema becomes: [`Ty`] expressions, the named [`TypeDef`]s
//! (structs, enums, newtypes, aliases), their fields, variants and
//! constraints.

use serde_json::Value;

use crate::diagnostics::{Code, Severity};

/// Index of a [`TypeDef`] in [`TypeSpace::defs`](super::TypeSpace::defs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

/// A Rust type expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Unit,
    Bool,
    Int(Int),
    F32,
    F64,
    String,
    DateTime,
    Date,
    Uuid,
    Bytes,
    Value,
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Option(Box<Ty>),
    Box(Box<Ty>),
    Tuple(Vec<Ty>),
    Named(TypeId),
}

impl Ty {
    pub(super) fn option(self) -> Ty {
        match self {
            Ty::Option(_) | Ty::Unit => self,
            other => Ty::Option(Box::new(other)),
        }
    }

    /// The type inside `Option`/`Box`.
    pub fn peel(&self) -> &Ty {
        match self {
            Ty::Option(t) | Ty::Box(t) => t.peel(),
            other => other,
        }
    }

    pub fn is_option(&self) -> bool {
        matches!(self, Ty::Option(_))
    }
}

/// Constraints checked on decode, for one value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub format: Option<FormatCheck>,
    /// `const` on a string.
    pub const_str: Option<String>,
    /// `not: {type: ...}`: the JSON types a value must not have (boxed:
    /// rare, and it keeps every type definition small).
    pub not_types: Option<Box<Vec<String>>>,
    /// Tuple-form `items` (or `prefixItems`) that is not exactly a Rust
    /// tuple: the type each position's item must read as (boxed: rare).
    pub positions: Option<Box<Positions>>,
}

/// The positions of a tuple-form array kept as JSON values.
#[derive(Debug, Clone, PartialEq)]
pub struct Positions {
    /// The type of the item at each position.
    pub items: Vec<Ty>,
    /// The type of the items after them (`additionalItems` as a schema).
    pub rest: Option<Ty>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatCheck {
    Email,
    Uri,
    /// RFC 3339 `date-time` (a string field: `--date-time string`).
    DateTime,
    /// RFC 3339 `full-date` (a string field: `--date-time string`).
    Date,
    /// RFC 3339 `full-time`, offset included (chrono has no type for it).
    Time,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    /// The name on the wire (serde rename when it differs).
    pub wire: String,
    pub ty: Ty,
    pub required: bool,
    /// Whether its schema allows `null` (a present `null` is `None`).
    pub nullable: bool,
    pub doc: Option<String>,
    pub constraints: Constraints,
    /// A default applied on decode (a Rust literal expression's value).
    pub default: Option<Value>,
    /// The only value a constant property (`const`, or an `enum` of one
    /// string) may have: not a Rust field; written on encode, checked on
    /// decode.
    pub constant: Option<String>,
}

/// Where unknown object fields go.
#[derive(Debug, Clone, PartialEq)]
pub enum Additional {
    /// `additionalProperties: false`: refused.
    Deny,
    /// Kept in a flattened map of this value type.
    Keep { field: String, ty: Ty },
    /// Dropped silently (the keep-unknown-fields setting is off).
    Drop,
}

/// A variant of a tagged or untagged enum.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    /// The tag value (tagged enums) on the wire.
    pub wire: Option<String>,
    pub ty: Ty,
    pub doc: Option<String>,
}

/// A literal of an enum (`enum: [...]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefKind {
    Struct {
        fields: Vec<Field>,
        additional: Additional,
    },
    /// An enum of strings: serde renames.
    StringEnum(Vec<Literal>),
    /// An enum of integers, numbers, booleans and/or strings: matched as
    /// JSON values.
    ValueEnum(Vec<Literal>),
    /// Internally tagged (`#[serde(tag = ...)]`).
    Tagged { tag: String, variants: Vec<Variant> },
    /// Untagged: with `one_of` (`oneOf`), the value must match exactly one
    /// variant; otherwise (`anyOf`, Avro unions) the one that keeps the
    /// most properties of the value wins, the first of equals.
    Untagged {
        variants: Vec<Variant>,
        one_of: bool,
    },
    /// A constrained value: `struct Name(pub T)`.
    Newtype { inner: Ty, constraints: Constraints },
    /// `type Name = T;`
    Alias(Ty),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    pub name: String,
    pub doc: Option<String>,
    /// JSON pointer of the schema it came from.
    pub pointer: String,
    pub kind: DefKind,
}

/// A problem found while building types (pointer into the bundled 3.x
/// document; the caller maps it to a position).
#[derive(Debug, Clone, PartialEq)]
pub struct TypeNote {
    pub severity: Severity,
    pub code: Code,
    pub pointer: String,
    pub message: String,
}
