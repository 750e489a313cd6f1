//! Avro schemas (`schemaFormat: application/vnd.apache.avro...`) -> Rust
//! types: records, enums, arrays, maps, unions, fixed, logical types.

use std::collections::HashMap;

use serde_json::Value;

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};
use crate::types::{Additional, DefKind, Field, Int, Literal, Ty, TypeNote, TypeSpace, Variant};

/// Lowers the Avro schema at `pointer` in `doc`.
pub fn lower(
    types: &mut TypeSpace<'_>,
    doc: &Value,
    pointer: &str,
    name: &str,
    notes: &mut Vec<TypeNote>,
) -> Ty {
    // Follow a `$ref` to where the Avro schema is (a bundled file).
    let mut pointer = pointer.to_owned();
    for _ in 0..8 {
        match doc
            .pointer(&pointer)
            .and_then(|v| v.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(next) => pointer = next.to_owned(),
            None => break,
        }
    }
    let pointer = pointer.as_str();
    if let Some(ty) = types.lookup(pointer) {
        return ty;
    }
    let Some(schema) = doc.pointer(pointer) else {
        return Ty::Value;
    };
    let mut cx = Avro {
        types,
        named: HashMap::new(),
        notes,
        pointer,
    };
    let ty = cx.ty(schema, name, None);
    cx.types.remember(pointer, &ty);
    ty
}

struct Avro<'t, 'd, 'n> {
    types: &'t mut TypeSpace<'d>,
    /// Full Avro names -> types, for references by name.
    named: HashMap<String, Ty>,
    notes: &'n mut Vec<TypeNote>,
    pointer: &'n str,
}

impl Avro<'_, '_, '_> {
    fn note(&mut self, message: String) {
        self.notes.push(TypeNote {
            severity: Severity::Warning,
            code: Code::UnsupportedSchema,
            pointer: self.pointer.to_owned(),
            message,
        });
    }

    fn full_name(schema: &Value, namespace: Option<&str>) -> Option<String> {
        let name = schema.get("name")?.as_str()?;
        if name.contains('.') {
            return Some(name.to_owned());
        }
        let ns = schema
            .get("namespace")
            .and_then(Value::as_str)
            .or(namespace);
        Some(match ns {
            Some(ns) if !ns.is_empty() => format!("{ns}.{name}"),
            _ => name.to_owned(),
        })
    }

    fn ty(&mut self, schema: &Value, hint: &str, namespace: Option<&str>) -> Ty {
        match schema {
            Value::String(s) => self.primitive(s, namespace),
            Value::Array(branches) => self.union(branches, hint, namespace),
            Value::Object(m) => {
                let ty_name = m.get("type");
                if let Some(Value::Array(_) | Value::Object(_)) = ty_name {
                    return self.ty(ty_name.unwrap_or(&Value::Null), hint, namespace);
                }
                let t = ty_name.and_then(Value::as_str).unwrap_or("null");
                let logical = m.get("logicalType").and_then(Value::as_str);
                match (t, logical) {
                    ("string", Some("uuid")) => Ty::Uuid,
                    ("record" | "error", _) => self.record(schema, hint, namespace),
                    ("enum", _) => self.enumeration(schema, hint, namespace),
                    ("array", _) => {
                        let item = m.get("items").map_or(Ty::Value, |i| {
                            self.ty(i, &format!("{hint} item"), namespace)
                        });
                        Ty::Vec(Box::new(item))
                    }
                    ("map", _) => {
                        let v = m.get("values").map_or(Ty::Value, |i| {
                            self.ty(i, &format!("{hint} value"), namespace)
                        });
                        Ty::Map(Box::new(v))
                    }
                    ("fixed", _) => {
                        if let Some(full) = Self::full_name(schema, namespace) {
                            self.named.insert(full, Ty::String);
                        }
                        Ty::String
                    }
                    (other, _) => self.primitive(other, namespace),
                }
            }
            _ => Ty::Value,
        }
    }

    fn primitive(&mut self, name: &str, namespace: Option<&str>) -> Ty {
        match name {
            "null" => Ty::Unit,
            "boolean" => Ty::Bool,
            "int" => Ty::Int(Int::I32),
            "long" => Ty::Int(Int::I64),
            "float" => Ty::F32,
            "double" => Ty::F64,
            "bytes" | "string" => Ty::String,
            other => {
                let full = if other.contains('.') {
                    other.to_owned()
                } else {
                    namespace.map_or_else(|| other.to_owned(), |ns| format!("{ns}.{other}"))
                };
                match self.named.get(&full).or_else(|| self.named.get(other)) {
                    Some(t) => t.clone(),
                    None => {
                        self.note(format!("Avro type `{other}` is not defined in this schema; typed as a JSON value"));
                        Ty::Value
                    }
                }
            }
        }
    }

    fn union(&mut self, branches: &[Value], hint: &str, namespace: Option<&str>) -> Ty {
        let non_null: Vec<&Value> = branches
            .iter()
            .filter(|b| b.as_str() != Some("null"))
            .collect();
        if non_null.len() == 1 {
            let t = self.ty(non_null[0], hint, namespace);
            return if non_null.len() < branches.len() {
                Ty::Option(Box::new(t))
            } else {
                t
            };
        }
        self.note("an Avro union of several types is decoded by trying each type in order".into());
        let mut names = Namespace::new();
        let variants = non_null
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let base = b
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| b.get("name").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_else(|| format!("Variant{i}"));
                Variant {
                    name: names.unique(&ident::type_name(&base, &format!("Variant{i}"))),
                    wire: None,
                    ty: self.ty(b, &format!("{hint} {base}"), namespace),
                    doc: None,
                }
            })
            .collect();
        let ty = self.types.define(
            hint,
            self.pointer,
            None,
            DefKind::Untagged {
                variants,
                one_of: false,
            },
        );
        if non_null.len() < branches.len() {
            Ty::Option(Box::new(ty))
        } else {
            ty
        }
    }

    fn record(&mut self, schema: &Value, hint: &str, namespace: Option<&str>) -> Ty {
        let full = Self::full_name(schema, namespace);
        let name = schema.get("name").and_then(Value::as_str).unwrap_or(hint);
        let ns = full
            .as_deref()
            .and_then(|f| f.rsplit_once('.'))
            .map(|(ns, _)| ns.to_owned());
        // Register before the fields, for recursive records.
        let ty = self
            .types
            .define(name, self.pointer, doc(schema), DefKind::Alias(Ty::Value));
        if let Some(full) = &full {
            self.named.insert(full.clone(), ty.clone());
        }
        let mut names = Namespace::new();
        let mut fields = Vec::new();
        for f in schema
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(wire) = f.get("name").and_then(Value::as_str) else {
                continue;
            };
            let fty = self.ty(
                f.get("type").unwrap_or(&Value::Null),
                &format!("{name} {wire}"),
                ns.as_deref(),
            );
            fields.push(Field {
                name: names.unique(&ident::field_name(wire, "field")),
                wire: wire.to_owned(),
                required: !fty.is_option(),
                nullable: fty.is_option(),
                ty: fty,
                doc: doc(f),
                constraints: Default::default(),
                default: None,
                constant: None,
            });
        }
        if let Ty::Named(id) = ty {
            self.types.set_kind(
                id,
                DefKind::Struct {
                    fields,
                    additional: Additional::Drop,
                },
            );
        }
        ty
    }

    fn enumeration(&mut self, schema: &Value, hint: &str, namespace: Option<&str>) -> Ty {
        let mut names = Namespace::new();
        let lits = schema
            .get("symbols")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| Literal {
                name: names.unique(&ident::type_name(s, "Symbol")),
                value: Value::String(s.to_owned()),
            })
            .collect();
        let name = schema.get("name").and_then(Value::as_str).unwrap_or(hint);
        let ty = self
            .types
            .define(name, self.pointer, doc(schema), DefKind::StringEnum(lits));
        if let Some(full) = Self::full_name(schema, namespace) {
            self.named.insert(full, ty.clone());
        }
        ty
    }
}

fn doc(v: &Value) -> Option<String> {
    v.get("doc")
        .and_then(Value::as_str)
        .map(crate::types::doc_of_text)
}
