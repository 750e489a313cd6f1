//! JSON Schema -> a graph of Rust types.
//!
//! A [`TypeSpace`] is given schemas (by JSON pointer into the bundled 3.x
//! document) and turns each into a [`Ty`]: a Rust type expression whose
//! named parts ([`TypeDef`]s: structs, enums, newtypes, aliases) are kept
//! once, by the pointer they came from. Rendering is a separate step
//! ([`crate::emit`]). Everything is ordered (definitions in creation order,
//! maps in document order), so output is deterministic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use faststream_asyncapi::pointer;
use serde_json::{Map, Value};

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};
use crate::settings::{DateTimeRepr, Settings, UnknownFields};

/// Index of a [`TypeDef`] in [`TypeSpace::defs`].
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
    fn option(self) -> Ty {
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

/// The graph of generated types.
#[derive(Debug)]
pub struct TypeSpace<'d> {
    doc: &'d Value,
    settings: &'d Settings,
    pub defs: Vec<TypeDef>,
    by_pointer: HashMap<String, TypeId>,
    names: Namespace,
    pub notes: Vec<TypeNote>,
    /// Uses of each named type outside tagged-enum variants.
    uses: HashMap<TypeId, usize>,
    /// (tagged enum, variant index, tag field wire name)
    strip: Vec<(TypeId, usize, String)>,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

/// Names generated code uses without a path, which no generated type may
/// take.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "String",
    "Vec",
    "Option",
    "Some",
    "None",
    "Box",
    "Result",
    "Ok",
    "Err",
    "From",
    "Into",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "PartialOrd",
    "Ord",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "ToString",
    "AsRef",
];

/// What to call a type made from an inline schema.
#[derive(Debug, Clone)]
pub struct Hint {
    pub name: String,
}

impl Hint {
    pub fn new(name: impl Into<String>) -> Hint {
        Hint { name: name.into() }
    }

    fn child(&self, part: &str) -> Hint {
        Hint {
            name: format!("{} {part}", self.name),
        }
    }
}

fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object().and_then(|m| m.get(key))
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    get(v, key).and_then(Value::as_str)
}

fn f64_of(v: &Value, key: &str) -> Option<f64> {
    get(v, key).and_then(Value::as_f64)
}

fn u64_of(v: &Value, key: &str) -> Option<u64> {
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
fn plain_name(s: &str) -> String {
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

impl<'d> TypeSpace<'d> {
    pub fn new(doc: &'d Value, settings: &'d Settings) -> TypeSpace<'d> {
        let mut names = Namespace::new();
        // Generated code uses these prelude names unqualified.
        for reserved in RESERVED_TYPE_NAMES {
            names.reserve(reserved);
        }
        TypeSpace {
            doc,
            settings,
            defs: Vec::new(),
            by_pointer: HashMap::new(),
            names,
            notes: Vec::new(),
            uses: HashMap::new(),
            strip: Vec::new(),
            depth: 0,
        }
    }

    /// A named type defined from outside (Avro): returns its type.
    pub fn define(&mut self, name: &str, pointer: &str, doc: Option<String>, kind: DefKind) -> Ty {
        let id = self.new_def(name, pointer, doc);
        self.defs[id.0].kind = kind;
        self.use_named(id)
    }

    /// Replaces the definition of a type registered with [`Self::define`].
    pub fn set_kind(&mut self, id: TypeId, kind: DefKind) {
        self.defs[id.0].kind = kind;
    }

    /// The type already made for a pointer, if any.
    pub fn lookup(&mut self, pointer: &str) -> Option<Ty> {
        let id = self.by_pointer.get(pointer).copied()?;
        Some(self.use_named(id))
    }

    /// Records the type made for a pointer (when it is a named type).
    pub fn remember(&mut self, pointer: &str, ty: &Ty) {
        if let Ty::Named(id) = ty {
            self.by_pointer.entry(pointer.to_owned()).or_insert(*id);
        }
    }

    /// Reserves a name in the type namespace (for names the caller emits).
    pub fn reserve_name(&mut self, name: &str) {
        self.names.reserve(name);
    }

    fn note(&mut self, severity: Severity, code: Code, pointer: &str, message: impl Into<String>) {
        self.notes.push(TypeNote {
            severity,
            code,
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    fn resolve(&self, ptr: &str) -> Option<&'d Value> {
        let mut cur = self.doc;
        for seg in pointer::segments(ptr) {
            cur = match cur {
                Value::Object(m) => m.get(&seg)?,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Follows `$ref`s to the schema they name: (schema, its pointer).
    fn deref(&self, schema: &'d Value, at: &str) -> (&'d Value, String) {
        let mut cur = schema;
        let mut ptr = at.to_owned();
        for _ in 0..32 {
            match str_of(cur, "$ref").and_then(|r| r.strip_prefix('#')) {
                Some(p) => match self.resolve(p) {
                    Some(t) => {
                        cur = t;
                        ptr = p.to_owned();
                    }
                    None => break,
                },
                None => break,
            }
        }
        (cur, ptr)
    }

    /// Whether `value` conforms to the schema at `pointer` (every keyword:
    /// a default filled in on decode must pass the decoder's checks).
    fn conforms(&mut self, pointer: &str, value: &Value) -> bool {
        let Some(schema) = self.doc.pointer(pointer) else {
            return true;
        };
        crate::schema_check::conforms(self.doc, schema, value)
    }

    fn new_def(&mut self, name_hint: &str, pointer: &str, doc: Option<String>) -> TypeId {
        let name = self.names.unique(&ident::type_name(name_hint, "Type"));
        // A doc that is only the type's own name (its title) says nothing.
        let doc = doc.filter(|d| {
            let d = plain_name(d);
            d != plain_name(&name) && d != plain_name(name_hint)
        });
        let id = TypeId(self.defs.len());
        self.defs.push(TypeDef {
            name,
            doc,
            pointer: pointer.to_owned(),
            kind: DefKind::Alias(Ty::Value),
        });
        id
    }

    fn use_named(&mut self, id: TypeId) -> Ty {
        *self.uses.entry(id).or_default() += 1;
        Ty::Named(id)
    }

    /// The type of a schema that lives at `pointer` and should be named
    /// (a component schema, a message payload): named types get `name`
    /// unless a title or an earlier use named them already.
    pub fn named(&mut self, pointer: &str, name: &str) -> Ty {
        let Some(schema) = self.resolve(pointer) else {
            return Ty::Value;
        };
        if let Some(r) = str_of(schema, "$ref").and_then(|r| r.strip_prefix('#')) {
            return self.reference(r, pointer, true);
        }
        if let Some(id) = self.by_pointer.get(pointer).copied() {
            return self.use_named(id);
        }
        let (ty, constraints) = self.schema(schema, pointer, &Hint::new(name), true);
        self.name_value(ty, constraints, pointer, name, schema)
    }

    /// Registers a component schema under its component name; unlike
    /// [`Self::named`], this is not a use of the type.
    pub fn register(&mut self, pointer: &str, name: &str) {
        if let Ty::Named(id) = self.named(pointer, name)
            && let Some(n) = self.uses.get_mut(&id)
        {
            *n = n.saturating_sub(1);
        }
    }

    /// Makes sure a value type has a name: named types stay, others get a
    /// newtype (with constraints) or an alias.
    fn name_value(
        &mut self,
        ty: Ty,
        constraints: Constraints,
        pointer: &str,
        name: &str,
        schema: &Value,
    ) -> Ty {
        if matches!(ty, Ty::Named(_)) && constraints.is_empty() {
            return ty;
        }
        let id = self.new_def(name, pointer, doc_of(schema));
        self.by_pointer.insert(pointer.to_owned(), id);
        self.defs[id.0].kind = if constraints.is_empty() {
            DefKind::Alias(ty)
        } else {
            DefKind::Newtype {
                inner: ty,
                constraints,
            }
        };
        self.use_named(id)
    }

    /// A `$ref` to `target` (a pointer), found at `at`.
    fn reference(&mut self, target: &str, at: &str, counted: bool) -> Ty {
        if let Some(id) = self.by_pointer.get(target).copied() {
            return if counted {
                let ty = self.use_named(id);
                // A named schema that admits `null` (an enum or union with
                // it, `nullable: true`) is optional wherever it is used.
                match self.resolve(target).and_then(Value::as_object) {
                    Some(m) if admits_null(m) => ty.option(),
                    _ => ty,
                }
            } else {
                Ty::Named(id)
            };
        }
        let Some(schema) = self.resolve(target) else {
            self.note(
                Severity::Error,
                Code::RefUnresolved,
                at,
                format!("`#{target}` does not resolve"),
            );
            return Ty::Value;
        };
        if self.depth > MAX_DEPTH {
            self.note(
                Severity::Warning,
                Code::RefCycle,
                at,
                "references nest too deeply; typed as a JSON value",
            );
            return Ty::Value;
        }
        self.depth += 1;
        let name = pointer::segments(target).last().unwrap_or_default();
        let ty = if needs_def(schema) {
            // Register first so recursive references find it.
            let title = str_of(schema, "title");
            let component = target.starts_with("/components/schemas/");
            let hint = if component {
                name.clone()
            } else {
                title.map_or(name.clone(), str::to_owned)
            };
            let id = self.new_def(&hint, target, doc_of(schema));
            self.by_pointer.insert(target.to_owned(), id);
            let kind = self.def_kind(schema, target, &Hint::new(self.defs[id.0].name.clone()), id);
            self.defs[id.0].kind = kind;
            if counted {
                let ty = self.use_named(id);
                match schema.as_object() {
                    Some(m) if admits_null(m) => ty.option(),
                    _ => ty,
                }
            } else {
                Ty::Named(id)
            }
        } else {
            let (ty, constraints) = self.schema(schema, target, &Hint::new(&name), false);
            if constraints.is_empty() && !target.starts_with("/components/schemas/") {
                ty
            } else {
                self.name_value(ty, constraints, target, &name, schema)
            }
        };
        self.depth -= 1;
        ty
    }

    /// The type of an inline schema, and the constraints on the value.
    pub fn schema(
        &mut self,
        schema: &'d Value,
        at: &str,
        hint: &Hint,
        top: bool,
    ) -> (Ty, Constraints) {
        let Some(m) = schema.as_object() else {
            return (Ty::Value, Constraints::default());
        };
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            return match r.strip_prefix('#') {
                Some(p) => (self.reference(p, at, true), Constraints::default()),
                None => (Ty::Value, Constraints::default()),
            };
        }
        let title_hint;
        let hint = match m.get("title").and_then(Value::as_str) {
            Some(t) if !top => {
                title_hint = Hint::new(t);
                &title_hint
            }
            _ => hint,
        };
        // `anyOf`/`oneOf` of one schema and `null` (pydantic's
        // `Optional[T]`) is that schema's type, optional.
        if let Some((key, index, inner)) = nullable_single(m) {
            let (ty, constraints) = self.schema(inner, &format!("{at}/{key}/{index}"), hint, top);
            return (ty.option(), constraints);
        }
        if needs_def(schema) {
            if let Some(id) = self.by_pointer.get(at).copied() {
                return (self.use_named(id), Constraints::default());
            }
            // allOf of one reference and annotations (a description, a
            // title): that reference (a common way to describe a use of a
            // shared schema). Its type is the reference's, whatever that is.
            if let Some(all) = m.get("allOf").and_then(Value::as_array)
                && !m.contains_key("properties")
                && let [(index, only)] = all
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| !annotation_only(b))
                    .collect::<Vec<_>>()
                    .as_slice()
                && only.get("$ref").is_some()
            {
                return self.schema(only, &format!("{at}/allOf/{index}"), hint, false);
            }
            let id = self.new_def(&hint.name, at, doc_of(schema));
            self.by_pointer.insert(at.to_owned(), id);
            let name = self.defs[id.0].name.clone();
            let kind = self.def_kind(schema, at, &Hint::new(name), id);
            self.defs[id.0].kind = kind;
            let ty = self.use_named(id);
            let nullable = admits_null(m);
            return (
                if nullable { ty.option() } else { ty },
                Constraints::default(),
            );
        }
        let mut constraints = constraints_of(m);
        if let Some(p) = &constraints.pattern
            && faststream_asyncapi::ecma::to_rust(p).is_none()
        {
            self.note(
                Severity::Warning,
                Code::UnsupportedSchema,
                &format!("{at}/pattern"),
                format!(
                    "the pattern `{p}` uses what the runtime's regular expressions cannot match \
                     (lookaround, backreferences, Unicode properties), or does not compile: \
                     it is not checked on decode"
                ),
            );
        }
        let (types, nullable) = types_of(m);
        let ty = match types.as_slice() {
            [] if m.contains_key("items") || m.contains_key("prefixItems") => {
                self.array(m, at, hint, &mut constraints)
            }
            [] if m.contains_key("additionalProperties") || m.contains_key("patternProperties") => {
                self.map(m, at, hint)
            }
            [] => {
                let not_types = m
                    .get("not")
                    .and_then(|not| not_types(self.deref(not, &format!("{at}/not")).0));
                if let Some(types) = not_types {
                    constraints.not_types = Some(Box::new(types));
                } else if m.contains_key("not") {
                    self.note(
                        Severity::Warning,
                        Code::UnsupportedSchema,
                        at,
                        "`not` cannot be expressed as a Rust type; the value is typed as a JSON value",
                    );
                }
                if let Some(c) = m.get("const") {
                    match c {
                        Value::String(s) => {
                            constraints.const_str = Some(s.clone());
                            Ty::String
                        }
                        _ => Ty::Value,
                    }
                } else {
                    Ty::Value
                }
            }
            [single] => match *single {
                "string" => self.string(m, &mut constraints),
                "integer" => int_type(m),
                "number" => match m.get("format").and_then(Value::as_str) {
                    Some("float") => Ty::F32,
                    _ => Ty::F64,
                },
                "boolean" => Ty::Bool,
                "null" => Ty::Unit,
                "array" => self.array(m, at, hint, &mut constraints),
                "object" => self.map(m, at, hint),
                other => {
                    self.note(
                        Severity::Warning,
                        Code::UnsupportedSchema,
                        at,
                        format!("unknown type `{other}`; typed as a JSON value"),
                    );
                    Ty::Value
                }
            },
            _ => {
                self.note(
                    Severity::Warning,
                    Code::UnsupportedSchema,
                    at,
                    format!(
                        "a value of several types ({}) is typed as a JSON value",
                        types.join(", ")
                    ),
                );
                Ty::Value
            }
        };
        if let Some(c) = m.get("const").filter(|c| c.is_string()) {
            constraints.const_str = c.as_str().map(str::to_owned);
        }
        let ty = if nullable { ty.option() } else { ty };
        (ty, constraints)
    }

    fn string(&self, m: &Map<String, Value>, constraints: &mut Constraints) -> Ty {
        match m.get("format").and_then(Value::as_str) {
            Some("date-time") => match self.settings.date_time {
                DateTimeRepr::Chrono => Ty::DateTime,
                DateTimeRepr::String => {
                    constraints.format = Some(FormatCheck::DateTime);
                    Ty::String
                }
            },
            Some("date") => match self.settings.date_time {
                DateTimeRepr::Chrono => Ty::Date,
                DateTimeRepr::String => {
                    constraints.format = Some(FormatCheck::Date);
                    Ty::String
                }
            },
            // A time of day with its offset: no chrono type holds both.
            Some("time") => {
                constraints.format = Some(FormatCheck::Time);
                Ty::String
            }
            Some("uuid") => Ty::Uuid,
            Some("byte") => Ty::Bytes,
            Some("email") => {
                constraints.format = Some(FormatCheck::Email);
                Ty::String
            }
            Some("uri") => {
                constraints.format = Some(FormatCheck::Uri);
                Ty::String
            }
            _ => Ty::String,
        }
    }

    fn array(
        &mut self,
        m: &'d Map<String, Value>,
        at: &str,
        hint: &Hint,
        constraints: &mut Constraints,
    ) -> Ty {
        let tuple = m
            .get("prefixItems")
            .map(|p| ("prefixItems", p))
            .or_else(|| {
                m.get("items")
                    .filter(|i| i.is_array())
                    .map(|i| ("items", i))
            });
        if let Some((key, Value::Array(items))) = tuple {
            // What may follow the positions: draft 07's `additionalItems`,
            // 2020-12's `items` beside `prefixItems`. Absent, anything.
            let rest = if key == "prefixItems" {
                m.get("items")
            } else {
                m.get("additionalItems")
            };
            let n = items.len() as u64;
            let closed = rest == Some(&Value::Bool(false))
                || constraints.max_items.is_some_and(|max| max <= n);
            let full = constraints.min_items.is_some_and(|min| min >= n);
            let positions: Vec<Ty> = items
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    self.value_ty(
                        s,
                        &format!("{at}/{key}/{i}"),
                        &hint.child(&format!("item {i}")),
                    )
                })
                .collect();
            // Exactly n items: a Rust tuple.
            if closed && full && (1..=5).contains(&n) {
                constraints.min_items = None;
                constraints.max_items = None;
                return Ty::Tuple(positions);
            }
            // Otherwise the items stay JSON values, each checked against
            // its position's type (fewer are allowed, and more unless the
            // schema closes the array).
            let rest_ty = match rest {
                Some(schema @ Value::Object(_)) => Some(self.value_ty(
                    schema,
                    &format!(
                        "{at}/{}",
                        if key == "prefixItems" {
                            "items"
                        } else {
                            "additionalItems"
                        }
                    ),
                    &hint.child("item"),
                )),
                Some(Value::Bool(false)) => {
                    constraints.max_items = Some(constraints.max_items.map_or(n, |max| max.min(n)));
                    None
                }
                _ => None,
            };
            constraints.positions = Some(Box::new(Positions {
                items: positions,
                rest: rest_ty,
            }));
            return Ty::Vec(Box::new(Ty::Value));
        }
        let item = match m.get("items") {
            Some(items) => self.value_ty(items, &format!("{at}/items"), &hint.child("item")),
            None => Ty::Value,
        };
        Ty::Vec(Box::new(item))
    }

    fn map(&mut self, m: &'d Map<String, Value>, at: &str, hint: &Hint) -> Ty {
        match m.get("additionalProperties") {
            Some(schema @ Value::Object(_)) => {
                let v = self.value_ty(
                    schema,
                    &format!("{at}/additionalProperties"),
                    &hint.child("value"),
                );
                Ty::Map(Box::new(v))
            }
            _ => Ty::Map(Box::new(Ty::Value)),
        }
    }

    /// A type for a position that cannot carry constraints itself (array
    /// items, map values, variants): constraints make a newtype.
    fn value_ty(&mut self, schema: &'d Value, at: &str, hint: &Hint) -> Ty {
        let (ty, constraints) = self.schema(schema, at, hint, false);
        if constraints.is_empty() {
            return ty;
        }
        let (inner, optional) = match ty {
            Ty::Option(inner) => (*inner, true),
            other => (other, false),
        };
        let id = self.new_def(&hint.name, at, doc_of(schema));
        self.defs[id.0].kind = DefKind::Newtype { inner, constraints };
        let ty = self.use_named(id);
        if optional { ty.option() } else { ty }
    }

    /// The definition for a schema that needs a named type.
    fn def_kind(&mut self, schema: &'d Value, at: &str, hint: &Hint, id: TypeId) -> DefKind {
        let m = schema
            .as_object()
            .expect("needs_def is only true for objects");
        if let Some(values) = m.get("enum").and_then(Value::as_array) {
            return self.enumeration(values, at);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(variants) = m.get(key).and_then(Value::as_array) {
                return self.union(schema, variants, &format!("{at}/{key}"), hint, id);
            }
        }
        if m.contains_key("allOf") {
            return self.all_of(schema, at, hint);
        }
        self.object(schema, at, hint)
    }

    fn enumeration(&mut self, values: &[Value], at: &str) -> DefKind {
        let mut names = Namespace::new();
        let non_null: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        let literals: Vec<Literal> = non_null
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let base = match v {
                    Value::String(s) => ident::type_name(s, &format!("Variant{i}")),
                    Value::Number(n) => format!("V{}", n.to_string().replace(['-', '.'], "_")),
                    Value::Bool(b) => ident::type_name(&b.to_string(), "Bool"),
                    _ => format!("Variant{i}"),
                };
                Literal {
                    name: names.unique(&base),
                    value: (*v).clone(),
                }
            })
            .collect();
        if literals.is_empty() {
            self.note(
                Severity::Warning,
                Code::UnsupportedSchema,
                at,
                "an enum with no values other than null",
            );
        }
        if literals.iter().all(|l| l.value.is_string()) {
            DefKind::StringEnum(literals)
        } else {
            DefKind::ValueEnum(literals)
        }
    }

    fn union(
        &mut self,
        schema: &'d Value,
        variants: &'d [Value],
        at: &str,
        hint: &Hint,
        id: TypeId,
    ) -> DefKind {
        // `null` variants make the use of the type optional (see
        // `union_has_null`); the enum holds the others.
        let variants: Vec<(usize, &'d Value)> = variants
            .iter()
            .enumerate()
            .filter(|(_, v)| !is_null_schema(v))
            .collect();
        if let [(i, v)] = variants.as_slice() {
            let ty = self.value_ty(v, &format!("{at}/{i}"), hint);
            return DefKind::Alias(ty);
        }
        if let Some((tag, values)) = self.find_tag(schema, &variants, at) {
            let mut names = Namespace::new();
            let mut out = Vec::new();
            for ((i, v), value) in variants.iter().copied().zip(&values) {
                let vat = format!("{at}/{i}");
                let name = names.unique(&ident::type_name(value, &format!("Variant{i}")));
                let ty = match str_of(v, "$ref").and_then(|r| r.strip_prefix('#')) {
                    Some(target) => self.reference(target, &vat, false),
                    None => {
                        let vhint = hint.child(value);
                        let (ty, _) = self.schema(v, &vat, &vhint, false);
                        // Inline variants are used only here.
                        if let Ty::Named(vid) = ty
                            && let Some(n) = self.uses.get_mut(&vid)
                        {
                            *n = n.saturating_sub(1);
                        }
                        ty
                    }
                };
                self.strip.push((id, i, tag.clone()));
                out.push(Variant {
                    name,
                    wire: Some(value.clone()),
                    ty,
                    doc: doc_of(v),
                });
            }
            return DefKind::Tagged { tag, variants: out };
        }
        self.note(
            Severity::Warning,
            Code::UntaggedUnion,
            at,
            "the variants share no discriminator (a `discriminator`, or a property that is `const` in every variant); \
             decoding tries each variant (`oneOf`: exactly one must match; `anyOf`: the one keeping the most properties)",
        );
        let mut names = Namespace::new();
        let mut out = Vec::new();
        for (i, v) in variants.iter().copied() {
            let vat = format!("{at}/{i}");
            let (target, _) = self.deref(v, &vat);
            let base = str_of(v, "$ref")
                .and_then(|r| r.rsplit('/').next().map(pointer::unescape))
                .or_else(|| str_of(target, "title").map(str::to_owned))
                .or_else(|| str_of(target, "type").map(str::to_owned))
                .unwrap_or_else(|| format!("Variant{i}"));
            let name = names.unique(&ident::type_name(&base, &format!("Variant{i}")));
            let ty = self.value_ty(v, &vat, &hint.child(&base));
            out.push(Variant {
                name,
                wire: None,
                ty,
                doc: doc_of(target),
            });
        }
        DefKind::Untagged {
            variants: out,
            one_of: at.ends_with("/oneOf"),
        }
    }

    /// A property that is `const` (or a one-value `enum`) with distinct
    /// values in each of the schemas at `pointers` (message payloads):
    /// how to tell those messages apart.
    pub fn common_tag(&self, pointers: &[String]) -> Option<(String, Vec<String>)> {
        let props: Vec<Map<String, Value>> = pointers
            .iter()
            .map(|p| {
                self.resolve(p)
                    .map(|s| self.collect_properties(s, p).0)
                    .unwrap_or_default()
            })
            .collect();
        if props.iter().any(Map::is_empty) {
            return None;
        }
        let const_of = |props: &Map<String, Value>, tag: &str| -> Option<String> {
            let (p, _) = self.deref(props.get(tag)?, "");
            if let Some(c) = p.get("const").and_then(Value::as_str) {
                return Some(c.to_owned());
            }
            match p.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
                Some([Value::String(s)]) => Some(s.clone()),
                _ => None,
            }
        };
        for tag in props[0].keys() {
            let values: Option<Vec<String>> = props.iter().map(|p| const_of(p, tag)).collect();
            if let Some(values) = values {
                let distinct: BTreeSet<&String> = values.iter().collect();
                if distinct.len() == values.len() {
                    return Some((tag.clone(), values));
                }
            }
        }
        None
    }

    /// The discriminating property of a union and each variant's value:
    /// from `discriminator` (with its mapping), else a property that is
    /// `const` (or a one-value `enum`) in every variant, with distinct
    /// values.
    fn find_tag(
        &self,
        schema: &Value,
        variants: &[(usize, &'d Value)],
        at: &str,
    ) -> Option<(String, Vec<String>)> {
        let objects: Vec<(Map<String, Value>, Option<String>)> = variants
            .iter()
            .copied()
            .map(|(i, v)| {
                let (props, _) = self.collect_properties(v, &format!("{at}/{i}"));
                let name = str_of(v, "$ref")
                    .and_then(|r| r.rsplit('/').next())
                    .map(pointer::unescape);
                (props, name)
            })
            .collect();
        if objects.iter().any(|(p, _)| p.is_empty()) {
            return None;
        }
        let const_of = |props: &Map<String, Value>, tag: &str| -> Option<String> {
            let (p, _) = self.deref(props.get(tag)?, "");
            if let Some(c) = p.get("const").and_then(Value::as_str) {
                return Some(c.to_owned());
            }
            match p.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
                Some([Value::String(s)]) => Some(s.clone()),
                _ => None,
            }
        };
        let discriminator = get(schema, "discriminator").and_then(|d| match d {
            Value::String(s) => Some((s.clone(), Map::new())),
            Value::Object(o) => Some((
                o.get("propertyName")?.as_str()?.to_owned(),
                o.get("mapping")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            )),
            _ => None,
        });
        if let Some((tag, mapping)) = discriminator {
            let mut values = Vec::new();
            for (props, name) in &objects {
                let from_mapping = mapping.iter().find_map(|(value, target)| {
                    let target = target.as_str()?;
                    let n = target.rsplit('/').next()?;
                    (Some(pointer::unescape(n)) == *name).then(|| value.clone())
                });
                let value = from_mapping
                    .or_else(|| const_of(props, &tag))
                    .or_else(|| name.clone())?;
                values.push(value);
            }
            let distinct: BTreeSet<&String> = values.iter().collect();
            return (distinct.len() == values.len()).then_some((tag, values));
        }
        let first = &objects[0].0;
        for tag in first.keys() {
            let values: Option<Vec<String>> =
                objects.iter().map(|(p, _)| const_of(p, tag)).collect();
            if let Some(values) = values {
                let distinct: BTreeSet<&String> = values.iter().collect();
                if distinct.len() == values.len() {
                    return Some((tag.clone(), values));
                }
            }
        }
        None
    }

    /// The properties of an object schema, following references and
    /// merging `allOf`: (name -> schema with `x-fsg-pointer`), required.
    fn collect_properties(
        &self,
        schema: &'d Value,
        at: &str,
    ) -> (Map<String, Value>, BTreeSet<String>) {
        let mut props = Map::new();
        let mut required = BTreeSet::new();
        let mut conflicts = Vec::new();
        self.collect_into(schema, at, &mut props, &mut required, &mut conflicts, 0);
        (props, required)
    }

    fn collect_into(
        &self,
        schema: &'d Value,
        at: &str,
        props: &mut Map<String, Value>,
        required: &mut BTreeSet<String>,
        conflicts: &mut Vec<(String, String)>,
        depth: usize,
    ) {
        if depth > 16 {
            return;
        }
        let (schema, at) = self.deref(schema, at);
        let Some(m) = schema.as_object() else { return };
        for (k, v) in m
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let mut tagged = v.clone();
            let ptr = format!("{at}/properties/{}", pointer::escape(k));
            match props.get(k) {
                Some(existing) if strip_ptr(existing) != *v => conflicts.push((k.clone(), ptr)),
                Some(_) => {}
                None => {
                    if let Value::Object(o) = &mut tagged {
                        o.insert(PTR_KEY.into(), Value::String(ptr));
                    } else {
                        tagged = serde_json::json!({ "allOf": [v], PTR_KEY: ptr });
                    }
                    props.insert(k.clone(), tagged);
                }
            }
        }
        for r in m
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_str() {
                required.insert(r.to_owned());
            }
        }
        for (i, branch) in m
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.collect_into(
                branch,
                &format!("{at}/allOf/{i}"),
                props,
                required,
                conflicts,
                depth + 1,
            );
        }
    }

    fn all_of(&mut self, schema: &'d Value, at: &str, hint: &Hint) -> DefKind {
        let mut props = Map::new();
        let mut required = BTreeSet::new();
        let mut conflicts = Vec::new();
        self.collect_into(schema, at, &mut props, &mut required, &mut conflicts, 0);
        for (name, ptr) in conflicts {
            self.note(
                Severity::Warning,
                Code::SchemaConflict,
                &ptr,
                format!("`allOf` branches define property `{name}` differently; the first definition is used"),
            );
        }
        // additionalProperties: false in any branch closes the object.
        let closed = std::iter::once(schema)
            .chain(
                get(schema, "allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            )
            .any(|b| get(self.deref(b, at).0, "additionalProperties") == Some(&Value::Bool(false)));
        self.build_struct(props, &required, closed, None, at, hint)
    }

    fn object(&mut self, schema: &'d Value, at: &str, hint: &Hint) -> DefKind {
        let mut props = Map::new();
        let mut required = BTreeSet::new();
        let mut conflicts = Vec::new();
        self.collect_into(schema, at, &mut props, &mut required, &mut conflicts, 0);
        let additional = get(schema, "additionalProperties");
        let closed = additional == Some(&Value::Bool(false));
        let extra = additional.filter(|a| a.is_object());
        self.build_struct(
            props,
            &required,
            closed,
            extra.map(|e| (e, format!("{at}/additionalProperties"))),
            at,
            hint,
        )
    }

    fn build_struct(
        &mut self,
        props: Map<String, Value>,
        required: &BTreeSet<String>,
        closed: bool,
        extra: Option<(&'d Value, String)>,
        at: &str,
        hint: &Hint,
    ) -> DefKind {
        let mut names = Namespace::new();
        let mut fields = Vec::new();
        for (wire, prop) in &props {
            let ptr = prop.get(PTR_KEY).and_then(Value::as_str).map_or_else(
                || format!("{at}/properties/{}", pointer::escape(wire)),
                str::to_owned,
            );
            // Re-resolve the property from the document so that borrowed
            // schemas live as long as the document.
            let Some(prop_schema) = self.resolve(&ptr) else {
                continue;
            };
            let (ty, constraints) = self.schema(prop_schema, &ptr, &hint.child(wire), false);
            let nullable = ty.is_option() || ty == Ty::Value;
            let is_required = required.contains(wire.as_str());
            // A default the type can hold makes a plain field filled in on
            // decode; `default: null` (and no default) an optional one.
            let (ty, default) = match get(prop_schema, "default") {
                Some(Value::Null) if is_required => (ty, None),
                Some(Value::Null) => (ty.option(), None),
                Some(d) if default_fits(&ty, d, &self.defs) && self.conforms(&ptr, d) => {
                    (ty, Some(d.clone()))
                }
                _ if is_required => (ty, None),
                _ => (ty.option(), None),
            };
            let constant = string_constant(self.deref(prop_schema, &ptr).0);
            fields.push(Field {
                name: names.unique(&ident::field_name(wire, "field")),
                wire: wire.clone(),
                ty,
                required: is_required,
                nullable,
                doc: doc_of_named(prop_schema, wire),
                constraints: if constant.is_some() {
                    Constraints::default()
                } else {
                    constraints
                },
                default: if constant.is_some() { None } else { default },
                constant,
            });
        }
        let additional = if closed {
            Additional::Deny
        } else if let Some((schema, ptr)) = extra {
            let ty = self.value_ty(schema, &ptr, &hint.child("value"));
            Additional::Keep {
                field: names.unique("additional_properties"),
                ty,
            }
        } else if self.settings.unknown_fields == UnknownFields::Keep {
            Additional::Keep {
                field: names.unique("additional_properties"),
                ty: Ty::Value,
            }
        } else {
            Additional::Drop
        };
        DefKind::Struct { fields, additional }
    }

    /// Final passes: tag fields removed from tagged-enum variant structs
    /// (a struct also used elsewhere gets a tag-less copy), and recursion
    /// broken with `Box`.
    pub fn finish(&mut self) {
        let strip = std::mem::take(&mut self.strip);
        let mut copies: HashMap<(TypeId, String), TypeId> = HashMap::new();
        for (union, index, tag) in strip {
            let DefKind::Tagged { variants, .. } = &self.defs[union.0].kind else {
                continue;
            };
            let Ty::Named(vid) = variants[index].ty else {
                continue;
            };
            let target = vid;
            let used_elsewhere = self.uses.get(&target).copied().unwrap_or(0) > 0;
            let id = if used_elsewhere {
                match copies.get(&(target, tag.clone())) {
                    Some(c) => *c,
                    None => {
                        let mut copy = self.defs[target.0].clone();
                        copy.name = self.names.unique(&format!("{}Variant", copy.name));
                        let cid = TypeId(self.defs.len());
                        self.defs.push(copy);
                        copies.insert((target, tag.clone()), cid);
                        cid
                    }
                }
            } else {
                target
            };
            if let DefKind::Struct { fields, .. } = &mut self.defs[id.0].kind {
                fields.retain(|f| f.wire != tag);
            }
            if let DefKind::Tagged { variants, .. } = &mut self.defs[union.0].kind {
                variants[index].ty = Ty::Named(id);
            }
        }
        self.box_recursion();
    }

    /// Boxes struct fields and variants whose type contains the enclosing
    /// type without indirection (a `Vec` or map is indirection; `Option`
    /// is not).
    fn box_recursion(&mut self) {
        let n = self.defs.len();
        let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for (i, def) in self.defs.iter().enumerate() {
            for ty in direct_types(&def.kind) {
                collect_direct(ty, &mut edges[i]);
            }
        }
        // reach[i]: types reachable from i by direct containment.
        let reach: Vec<BTreeSet<usize>> = (0..n)
            .map(|start| {
                let mut seen = BTreeSet::new();
                let mut stack: Vec<usize> = edges[start].iter().copied().collect();
                while let Some(x) = stack.pop() {
                    if seen.insert(x) {
                        stack.extend(edges[x].iter().copied());
                    }
                }
                seen
            })
            .collect();
        for i in 0..n {
            let boxed = |ty: &mut Ty| {
                let mut direct = BTreeSet::new();
                collect_direct(ty, &mut direct);
                if direct.iter().any(|d| *d == i || reach[*d].contains(&i)) {
                    box_ty(ty);
                }
            };
            match &mut self.defs[i].kind {
                DefKind::Struct { fields, .. } => fields.iter_mut().for_each(|f| boxed(&mut f.ty)),
                DefKind::Tagged { variants, .. } | DefKind::Untagged { variants, .. } => {
                    variants.iter_mut().for_each(|v| boxed(&mut v.ty));
                }
                DefKind::Newtype { inner, .. } => boxed(inner),
                _ => {}
            }
        }
    }
}

const PTR_KEY: &str = "x-faststream-pointer";

fn strip_ptr(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        o.remove(PTR_KEY);
    }
    v
}

fn direct_types(kind: &DefKind) -> Vec<&Ty> {
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

fn collect_direct(ty: &Ty, out: &mut BTreeSet<usize>) {
    match ty {
        Ty::Named(id) => {
            out.insert(id.0);
        }
        Ty::Option(t) => collect_direct(t, out),
        Ty::Tuple(ts) => ts.iter().for_each(|t| collect_direct(t, out)),
        _ => {}
    }
}

fn box_ty(ty: &mut Ty) {
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
fn needs_def(schema: &Value) -> bool {
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
fn string_constant(v: &Value) -> Option<String> {
    if let Some(c) = get(v, "const") {
        return c.as_str().map(str::to_owned);
    }
    match get(v, "enum").and_then(Value::as_array).map(Vec::as_slice) {
        Some([Value::String(s)]) => Some(s.clone()),
        _ => None,
    }
}

/// `{type: null}`, `{const: null}` or `{enum: [null]}`.
fn is_null_schema(v: &Value) -> bool {
    str_of(v, "type") == Some("null")
        || get(v, "const") == Some(&Value::Null)
        || get(v, "enum")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_null))
}

/// The union's variants (`oneOf`, else `anyOf`), if it has any.
fn union_variants(m: &Map<String, Value>) -> Option<(&'static str, &Vec<Value>)> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| m.get(k).and_then(Value::as_array).map(|v| (k, v)))
}

/// Whether a schema that gets a named type also admits `null` (so that
/// its uses are optional).
fn admits_null(m: &Map<String, Value>) -> bool {
    types_of(m).1 || enum_has_null(m) || union_has_null(m)
}

/// Whether a union admits `null` besides other variants.
fn union_has_null(m: &Map<String, Value>) -> bool {
    union_variants(m)
        .is_some_and(|(_, v)| v.iter().any(is_null_schema) && v.iter().any(|x| !is_null_schema(x)))
}

/// A schema that says nothing of values: only annotations.
fn annotation_only(schema: &Value) -> bool {
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
fn not_types(not: &Value) -> Option<Vec<String>> {
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
fn nullable_single(m: &Map<String, Value>) -> Option<(&'static str, usize, &Value)> {
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

fn enum_has_null(m: &Map<String, Value>) -> bool {
    m.get("enum")
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().any(Value::is_null))
}

/// The declared types (without "null") and whether null is allowed.
fn types_of(m: &Map<String, Value>) -> (Vec<&str>, bool) {
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

fn int_type(m: &Map<String, Value>) -> Ty {
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

fn constraints_of(m: &Map<String, Value>) -> Constraints {
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

fn int_fits(i: Int, n: &serde_json::Number) -> bool {
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
