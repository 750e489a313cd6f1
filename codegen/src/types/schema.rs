//! A schema as a type: strings and formats, arrays, maps, enumerations.

use serde_json::{Map, Value};

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};
use crate::settings::DateTimeRepr;

use super::model::*;
use super::read::*;
use super::space::*;

impl<'d> TypeSpace<'d> {
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

    pub(super) fn string(&self, m: &Map<String, Value>, constraints: &mut Constraints) -> Ty {
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

    pub(super) fn array(
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

    pub(super) fn map(&mut self, m: &'d Map<String, Value>, at: &str, hint: &Hint) -> Ty {
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
    pub(super) fn value_ty(&mut self, schema: &'d Value, at: &str, hint: &Hint) -> Ty {
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
    pub(super) fn def_kind(
        &mut self,
        schema: &'d Value,
        at: &str,
        hint: &Hint,
        id: TypeId,
    ) -> DefKind {
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

    pub(super) fn enumeration(&mut self, values: &[Value], at: &str) -> DefKind {
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
}
