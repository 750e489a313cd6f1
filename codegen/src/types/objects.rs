//! Objects as structs: their properties (through `allOf` too), required
//! and optional fields, defaults, additional properties.

use std::collections::BTreeSet;

use faststream_asyncapi::pointer;
use serde_json::{Map, Value};

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};
use crate::settings::UnknownFields;

use super::model::*;
use super::read::*;
use super::space::*;

impl<'d> TypeSpace<'d> {
    /// The properties of an object schema, following references and
    /// merging `allOf`: (name -> schema with `x-fsg-pointer`), required.
    pub(super) fn collect_properties(
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

    pub(super) fn collect_into(
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

    pub(super) fn all_of(&mut self, schema: &'d Value, at: &str, hint: &Hint) -> DefKind {
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

    pub(super) fn object(&mut self, schema: &'d Value, at: &str, hint: &Hint) -> DefKind {
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

    pub(super) fn build_struct(
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
}
