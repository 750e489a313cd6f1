//! `oneOf`/`anyOf` as enums: tagged by a discriminator or a constant
//! property where one tells the variants apart, else untagged.

use std::collections::BTreeSet;

use faststream_asyncapi::pointer;
use serde_json::{Map, Value};

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};

use super::model::*;
use super::read::*;
use super::space::*;

impl<'d> TypeSpace<'d> {
    pub(super) fn union(
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
        for tag in props[0].keys() {
            let values: Option<Vec<String>> = props.iter().map(|p| self.const_of(p, tag)).collect();
            if let Some(values) = values {
                let distinct: BTreeSet<&String> = values.iter().collect();
                if distinct.len() == values.len() {
                    return Some((tag.clone(), values));
                }
            }
        }
        None
    }

    /// The one string property `tag` of `props` is pinned to: its `const`,
    /// or its one-value `enum`.
    fn const_of(&self, props: &Map<String, Value>, tag: &str) -> Option<String> {
        let (p, _) = self.deref(props.get(tag)?, "");
        if let Some(c) = p.get("const").and_then(Value::as_str) {
            return Some(c.to_owned());
        }
        match p.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
            Some([Value::String(s)]) => Some(s.clone()),
            _ => None,
        }
    }

    /// The discriminating property of a union and each variant's value:
    /// from `discriminator` (with its mapping), else a property that is
    /// `const` (or a one-value `enum`) in every variant, with distinct
    /// values.
    pub(super) fn find_tag(
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
                    .or_else(|| self.const_of(props, &tag))
                    .or_else(|| name.clone())?;
                values.push(value);
            }
            let distinct: BTreeSet<&String> = values.iter().collect();
            return (distinct.len() == values.len()).then_some((tag, values));
        }
        // A union of no variants (`oneOf: []`, or every branch dropped)
        // has no tag to find.
        let (first, _) = objects.first()?;
        for tag in first.keys() {
            let values: Option<Vec<String>> =
                objects.iter().map(|(p, _)| self.const_of(p, tag)).collect();
            if let Some(values) = values {
                let distinct: BTreeSet<&String> = values.iter().collect();
                if distinct.len() == values.len() {
                    return Some((tag.clone(), values));
                }
            }
        }
        None
    }
}
