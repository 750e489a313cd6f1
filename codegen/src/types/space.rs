//! The [`TypeSpace`](super::TypeSpace): types kept once by the pointer they
//! came from, names, references, and the last pass (tags stripped,
//! recursion boxed).

use std::collections::{BTreeSet, HashMap};

use faststream_asyncapi::pointer;
use serde_json::Value;

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};
use crate::settings::Settings;

use super::model::*;
use super::read::*;

/// The graph of generated types.
#[derive(Debug)]
pub struct TypeSpace<'d> {
    pub(super) doc: &'d Value,
    pub(super) settings: &'d Settings,
    pub defs: Vec<TypeDef>,
    pub(super) by_pointer: HashMap<String, TypeId>,
    pub(super) names: Namespace,
    pub notes: Vec<TypeNote>,
    /// Uses of each named type outside tagged-enum variants.
    pub(super) uses: HashMap<TypeId, usize>,
    /// (tagged enum, variant index, tag field wire name)
    pub(super) strip: Vec<(TypeId, usize, String)>,
    pub(super) depth: usize,
}

pub(super) const MAX_DEPTH: usize = 64;

/// Names generated code uses without a path, which no generated type may
/// take.
pub(super) const RESERVED_TYPE_NAMES: &[&str] = &[
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

    pub(super) fn child(&self, part: &str) -> Hint {
        Hint {
            name: format!("{} {part}", self.name),
        }
    }
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

    pub(super) fn note(
        &mut self,
        severity: Severity,
        code: Code,
        pointer: &str,
        message: impl Into<String>,
    ) {
        self.notes.push(TypeNote {
            severity,
            code,
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    pub(super) fn resolve(&self, ptr: &str) -> Option<&'d Value> {
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
    pub(super) fn deref(&self, schema: &'d Value, at: &str) -> (&'d Value, String) {
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
    pub(super) fn conforms(&mut self, pointer: &str, value: &Value) -> bool {
        let Some(schema) = self.doc.pointer(pointer) else {
            return true;
        };
        crate::schema_check::conforms(self.doc, schema, value)
    }

    pub(super) fn new_def(
        &mut self,
        name_hint: &str,
        pointer: &str,
        doc: Option<String>,
    ) -> TypeId {
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

    pub(super) fn use_named(&mut self, id: TypeId) -> Ty {
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
    pub(super) fn name_value(
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
    pub(super) fn reference(&mut self, target: &str, at: &str, counted: bool) -> Ty {
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
    pub(super) fn box_recursion(&mut self) {
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
