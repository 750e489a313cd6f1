//! Loading documents: files -> [`Node`] trees with positions -> one bundled
//! tree in which every `$ref` is local.
//!
//! External references (other files, mapped URLs) are brought into the
//! root document's `components` under the section their kind belongs to,
//! and the reference is rewritten to point there; nodes keep the file and
//! position they came from, so diagnostics on the bundled tree still name
//! the right file, line and column.

mod components;
mod node;
pub mod yaml;

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

pub use crate::source::{FileId, SourceFile, Sources, Span};
pub(crate) use components::schema_child_shape;
use components::{SECTIONS, canonical_refs, insert_components, set_ref};
pub use node::{Key, Node, NodeValue};
pub use yaml::Limits;

use crate::diagnostics::{Code, Diagnostic};
use crate::spec::{self, Kind, Shape};
use faststream_asyncapi::pointer;

/// How documents are loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The folder every referenced file must be inside. Default: the
    /// nearest ancestor of the root document holding `.git` or
    /// `Cargo.toml`, else the document's own folder.
    pub ref_root: Option<PathBuf>,
    /// URL prefix -> local folder, for `$ref`s to http(s) URLs (never
    /// fetched from the network).
    pub ref_map: Vec<(String, PathBuf)>,
    pub limits: Limits,
}

impl LoadOptions {
    pub fn ref_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.ref_root = Some(dir.into());
        self
    }

    pub fn map_url(mut self, prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.ref_map.push((prefix.into(), dir.into()));
        self
    }
}

/// A loaded (and bundled) document.
#[derive(Debug)]
pub struct Loaded {
    pub sources: Sources,
    pub root: FileId,
    /// The bundled document: every `$ref` in it is local. `None` when the
    /// root file could not be read or parsed.
    pub document: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
    /// Positions of `$ref` values that named another file (or a URL) in
    /// the source and now point into the bundled `components`.
    pub bundled_refs: HashSet<Span>,
}

/// Loads a document from a file, with every file it references.
pub fn load_file(path: &Path, options: &LoadOptions) -> Loaded {
    let mut loader = Loader::new(options);
    let root = loader.read(path, None);
    loader.finish(root)
}

/// Loads a document from text (`name` is used in diagnostics and to
/// resolve relative references).
pub fn load_str(name: &Path, text: &str, options: &LoadOptions) -> Loaded {
    let mut loader = Loader::new(options);
    let id = loader.sources.add(name.to_path_buf(), text.to_owned());
    let (node, mut d) = yaml::parse(text, id, options.limits);
    loader.diagnostics.append(&mut d);
    let canonical = std::fs::canonicalize(name).unwrap_or_else(|_| name.to_path_buf());
    loader.by_path.insert(canonical, id);
    loader.trees.insert(id, node);
    loader.finish(Some(id))
}

struct Loader<'o> {
    options: &'o LoadOptions,
    sources: Sources,
    /// canonical path -> file
    by_path: HashMap<PathBuf, FileId>,
    trees: HashMap<FileId, Option<Node>>,
    diagnostics: Vec<Diagnostic>,
    ref_root: Option<PathBuf>,
}

/// Where a reference was found, for diagnostics.
#[derive(Clone, Copy)]
struct Site<'a> {
    pointer: &'a str,
    span: Span,
}

impl<'o> Loader<'o> {
    fn new(options: &'o LoadOptions) -> Self {
        Loader {
            options,
            sources: Sources::default(),
            by_path: HashMap::new(),
            trees: HashMap::new(),
            diagnostics: Vec::new(),
            ref_root: None,
        }
    }

    /// Reads and parses a file once; later calls return the same id.
    fn read(&mut self, path: &Path, site: Option<Site<'_>>) -> Option<FileId> {
        let canonical = match std::fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) => {
                let d = match site {
                    Some(s) => Diagnostic::error(
                        Code::RefFileNotFound,
                        format!("referenced file `{}` cannot be opened: {e}", path.display()),
                    )
                    .at(s.pointer, s.span),
                    None => Diagnostic::error(
                        Code::Io,
                        format!("cannot open `{}`: {e}", path.display()),
                    ),
                };
                self.diagnostics.push(d);
                return None;
            }
        };
        if let Some(id) = self.by_path.get(&canonical) {
            return Some(*id);
        }
        let bytes = match std::fs::metadata(&canonical).and_then(|m| {
            if m.len() > self.options.limits.max_bytes {
                Ok(None)
            } else {
                std::fs::read(&canonical).map(Some)
            }
        }) {
            Ok(Some(b)) => b,
            Ok(None) => {
                let d = Diagnostic::error(
                    Code::FileTooLarge,
                    format!(
                        "`{}` is larger than the limit of {} bytes",
                        path.display(),
                        self.options.limits.max_bytes
                    ),
                );
                self.diagnostics
                    .push(site.map_or(d.clone(), |s| d.at(s.pointer, s.span)));
                return None;
            }
            Err(e) => {
                let d =
                    Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", path.display()));
                self.diagnostics
                    .push(site.map_or(d.clone(), |s| d.at(s.pointer, s.span)));
                return None;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                let line = u32::try_from(prefix.matches('\n').count() + 1).unwrap_or(u32::MAX);
                let col =
                    u32::try_from(prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1)
                        .unwrap_or(u32::MAX);
                let id = self.sources.add(path.to_path_buf(), prefix);
                self.by_path.insert(canonical, id);
                self.trees.insert(id, None);
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::NotUtf8,
                        format!(
                            "`{}` is not UTF-8 text (invalid byte at offset {valid}); is it a binary file?",
                            path.display()
                        ),
                    )
                    .at("", Span { file: id, line, col }),
                );
                return Some(id);
            }
        };
        let id = self.sources.add(path.to_path_buf(), text);
        self.by_path.insert(canonical, id);
        let text = &self
            .sources
            .get(id)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        let (node, mut d) = yaml::parse(text, id, self.options.limits);
        self.diagnostics.append(&mut d);
        self.trees.insert(id, node);
        Some(id)
    }

    fn finish(mut self, root: Option<FileId>) -> Loaded {
        let Some(root) = root else {
            return Loaded {
                sources: self.sources,
                root: FileId(0),
                document: None,
                diagnostics: self.diagnostics,
                bundled_refs: HashSet::new(),
            };
        };
        let root_path = self
            .sources
            .get(root)
            .map(|f| f.path.clone())
            .unwrap_or_default();
        self.ref_root = Some(match &self.options.ref_root {
            Some(r) => std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()),
            None => default_ref_root(&root_path),
        });
        let mut document = self.trees.get(&root).and_then(|n| n.clone());
        let mut bundled_refs = HashSet::new();
        if let Some(doc) = document.as_mut() {
            let v3 = doc
                .get("asyncapi")
                .and_then(Node::as_str)
                .is_some_and(|v| v.starts_with('3'));
            let mut bundler = Bundler {
                loader: &mut self,
                root,
                v3,
                added: Vec::new(),
                assigned: HashMap::new(),
                inlining: HashSet::new(),
                taken: HashSet::new(),
                rewritten: HashSet::new(),
            };
            bundler.reserve_existing(doc);
            bundler.walk(doc, root, Shape::Obj(Kind::Document), String::new());
            let added = std::mem::take(&mut bundler.added);
            bundled_refs = std::mem::take(&mut bundler.rewritten);
            insert_components(doc, added);
            canonical_refs(doc);
        }
        Loaded {
            sources: self.sources,
            root,
            document,
            diagnostics: self.diagnostics,
            bundled_refs,
        }
    }

    /// Resolves a reference string found in `file` to (file, pointer).
    fn resolve_target(
        &mut self,
        reference: &str,
        file: FileId,
        site: Site<'_>,
    ) -> Option<(FileId, String)> {
        let (location, fragment) = match reference.split_once('#') {
            Some((l, f)) => (l, f.to_owned()),
            None => (reference, String::new()),
        };
        if location.is_empty() {
            return Some((file, fragment));
        }
        let path = if location.starts_with("http://") || location.starts_with("https://") {
            let mapped = self
                .options
                .ref_map
                .iter()
                .filter(|(prefix, _)| location.starts_with(prefix.as_str()))
                .max_by_key(|(prefix, _)| prefix.len());
            match mapped {
                Some((prefix, dir)) => dir.join(&location[prefix.len()..]),
                None => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::RefRemote,
                            format!("`{reference}` is a remote reference; remote references are never fetched"),
                        )
                        .at(site.pointer, site.span)
                        .with_help("map the URL prefix to a local folder: --ref-map https://example.com/=./schemas/"),
                    );
                    return None;
                }
            }
        } else {
            if location.contains("://") || Path::new(location).is_absolute() {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::RefOutsideRoot,
                        format!("`{reference}` is an absolute path or an unsupported URL scheme; references must be relative paths inside the ref root"),
                    )
                    .at(site.pointer, site.span),
                );
                return None;
            }
            let base = self
                .sources
                .get(file)
                .and_then(|f| f.path.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            let joined = normalize(&base.join(location));
            // Refuse anything that leaves the ref root, including through
            // a symbolic link.
            if let (Some(root), Ok(canonical)) = (&self.ref_root, std::fs::canonicalize(&joined))
                && !canonical.starts_with(root)
                && !self.is_mapped_dir(&canonical)
            {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::RefOutsideRoot,
                        format!(
                            "`{reference}` resolves outside the reference root `{}`",
                            relative_to_cwd(root).display()
                        ),
                    )
                    .at(site.pointer, site.span)
                    .with_help(
                        "move the file inside the project, or set the root with --ref-root DIR",
                    ),
                );
                return None;
            }
            joined
        };
        let id = self.read(&path, Some(site))?;
        Some((id, fragment))
    }

    fn is_mapped_dir(&self, canonical: &Path) -> bool {
        self.options
            .ref_map
            .iter()
            .any(|(_, dir)| std::fs::canonicalize(dir).is_ok_and(|d| canonical.starts_with(d)))
    }
}

/// The nearest ancestor holding `.git` or `Cargo.toml`, else the folder of
/// the document.
fn default_ref_root(document: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(document).unwrap_or_else(|_| document.to_path_buf());
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cur = Some(dir.as_path());
    while let Some(d) = cur {
        if d.join(".git").exists() || d.join("Cargo.toml").exists() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    dir
}

/// A path relative to the working directory when it is inside it (for
/// messages that should not depend on where the checkout lives).
fn relative_to_cwd(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    match cwd.as_ref().ok().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel.to_path_buf(),
        None => path.to_path_buf(),
    }
}

/// Lexical normalization of `.` and `..` (no file system access).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

struct Bundler<'l, 'o> {
    loader: &'l mut Loader<'o>,
    root: FileId,
    v3: bool,
    /// (section, name, node) to add to the root's components.
    added: Vec<(&'static str, String, Node)>,
    /// (file, pointer) -> local reference it was bundled as.
    assigned: HashMap<(FileId, String), String>,
    /// (file, pointer) being inlined right now (cycle guard).
    inlining: HashSet<(FileId, String)>,
    /// (section, name) already used.
    taken: HashSet<(&'static str, String)>,
    /// Positions of the `$ref` values rewritten to bundled components.
    rewritten: HashSet<Span>,
}

impl Bundler<'_, '_> {
    fn reserve_existing(&mut self, doc: &Node) {
        let Some(components) = doc.get("components").and_then(Node::as_map) else {
            return;
        };
        for (section, entries) in components {
            let Some(section) = SECTIONS.iter().find(|s| **s == section.name) else {
                continue;
            };
            for (name, _) in entries.as_map().into_iter().flatten() {
                self.taken.insert((section, name.name.clone()));
            }
        }
    }

    /// Walks `node` (found in `file`, with the expected `shape`), bundling
    /// external references.
    fn walk(&mut self, node: &mut Node, file: FileId, shape: Shape, at: String) {
        match shape {
            Shape::RefOr(kind) => {
                if let Some(reference) = node.ref_target().map(str::to_owned) {
                    self.reference(node, file, kind, &reference, &at);
                    return;
                }
                self.walk_kind(node, file, kind, at);
            }
            Shape::Obj(kind) => self.walk_kind(node, file, kind, at),
            Shape::Map(inner) => {
                for (k, child) in node.as_map_mut().into_iter().flatten() {
                    let child_at = format!("{at}/{}", pointer::escape(&k.name));
                    self.walk(child, file, *inner, child_at);
                }
            }
            Shape::List(inner) => {
                if let NodeValue::Seq(items) = &mut node.value {
                    for (i, child) in items.iter_mut().enumerate() {
                        self.walk(child, file, *inner, format!("{at}/{i}"));
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_kind(&mut self, node: &mut Node, file: FileId, kind: Kind, at: String) {
        let v3 = self.v3;
        match kind {
            Kind::Schema => {
                let Some(entries) = node.as_map_mut() else {
                    return;
                };
                for (k, child) in entries.iter_mut() {
                    let child_at = format!("{at}/{}", pointer::escape(&k.name));
                    if let Some(shape) = schema_child_shape(&k.name, child) {
                        self.walk(child, file, shape, child_at);
                    }
                }
            }
            Kind::Payload => {
                let format = node
                    .get("schemaFormat")
                    .and_then(Node::as_str)
                    .map(str::to_owned);
                if v3 && let Some(format) = format {
                    if let Some(schema) = node.get_mut("schema") {
                        let kind = if spec::is_json_schema_format(&format) {
                            Kind::Schema
                        } else {
                            Kind::ForeignSchema
                        };
                        self.walk(schema, file, Shape::RefOr(kind), format!("{at}/schema"));
                    }
                    return;
                }
                self.walk_kind(node, file, Kind::Schema, at);
            }
            Kind::ForeignSchema | Kind::Any => {}
            Kind::MessageChoice => {
                if let Some(NodeValue::Seq(items)) = node.get_mut("oneOf").map(|n| &mut n.value) {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.walk(
                            item,
                            file,
                            Shape::RefOr(Kind::Message),
                            format!("{at}/oneOf/{i}"),
                        );
                    }
                } else {
                    self.walk(node, file, Shape::RefOr(Kind::Message), at);
                }
            }
            _ => {
                let Some(spec) = spec::object_spec(kind, v3) else {
                    return;
                };
                // 2.x message payloads: a schema unless schemaFormat says
                // otherwise.
                let payload_kind = if !v3 && matches!(kind, Kind::Message) {
                    match node.get("schemaFormat").and_then(Node::as_str) {
                        Some(f) if !spec::is_json_schema_format(f) => Some(Kind::ForeignSchema),
                        _ => Some(Kind::Schema),
                    }
                } else {
                    None
                };
                let Some(entries) = node.as_map_mut() else {
                    return;
                };
                for (k, child) in entries.iter_mut() {
                    let child_at = format!("{at}/{}", pointer::escape(&k.name));
                    if let (Some(pk), "payload") = (payload_kind, k.name.as_str()) {
                        self.walk(child, file, Shape::RefOr(pk), child_at);
                        continue;
                    }
                    if let Some(field) = spec.fields.iter().find(|f| f.name == k.name) {
                        self.walk(child, file, field.shape, child_at);
                    }
                }
            }
        }
    }

    /// A `$ref` found at `node` in `file`, expected to point at `kind`.
    fn reference(&mut self, node: &mut Node, file: FileId, kind: Kind, reference: &str, at: &str) {
        if file == self.root && reference.starts_with('#') {
            return; // Local to the root: checked by the validator.
        }
        let span = node.get("$ref").map_or(node.span, |n| n.span);
        let site = Site { pointer: at, span };
        let Some((target_file, target_ptr)) = self.loader.resolve_target(reference, file, site)
        else {
            return;
        };
        let target_ptr = if target_ptr.is_empty() || target_ptr.starts_with('/') {
            target_ptr
        } else {
            self.loader.diagnostics.push(
                Diagnostic::error(
                    Code::RefUnresolved,
                    format!("`{reference}`: the fragment must be a JSON pointer starting with `/`"),
                )
                .at(at, span),
            );
            return;
        };
        if file == self.root {
            self.rewritten.insert(span);
        }
        if target_file == self.root {
            set_ref(node, format!("#{target_ptr}"));
            return;
        }
        let key = (target_file, target_ptr.clone());
        if let Some(local) = self.assigned.get(&key) {
            set_ref(node, local.clone());
            return;
        }
        let target = self
            .loader
            .trees
            .get(&target_file)
            .and_then(|t| t.as_ref())
            .map(|t| t.pointer(&target_ptr).cloned());
        let mut target = match target {
            Some(Some(t)) => t,
            Some(None) => {
                self.loader.diagnostics.push(
                    Diagnostic::error(
                        Code::RefUnresolved,
                        format!(
                            "`{reference}` does not resolve: `{}` has nothing at `#{target_ptr}`",
                            self.loader.sources.display_name(target_file)
                        ),
                    )
                    .at(at, span),
                );
                return;
            }
            None => return, // The file did not parse; already reported.
        };
        match spec::component_section(kind, self.v3) {
            Some(section) => {
                let name = self.name_for(section, target_file, &target_ptr);
                let local = format!("#/components/{section}/{}", pointer::escape(&name));
                self.assigned.insert(key, local.clone());
                let comp_at = format!("/components/{section}/{}", pointer::escape(&name));
                self.walk(&mut target, target_file, Shape::RefOr(kind), comp_at);
                self.added.push((section, name, target));
                set_ref(node, local);
            }
            None => {
                if !self.inlining.insert(key.clone()) {
                    self.loader.diagnostics.push(
                        Diagnostic::error(
                            Code::RefCycle,
                            format!("`{reference}` refers back to itself and cannot be inlined"),
                        )
                        .at(at, span),
                    );
                    return;
                }
                self.walk(&mut target, target_file, Shape::RefOr(kind), at.to_owned());
                self.inlining.remove(&key);
                *node = target;
            }
        }
    }

    /// A component name for an external object: the last pointer segment,
    /// or the file stem, made unique within its section.
    fn name_for(&mut self, section: &'static str, file: FileId, ptr: &str) -> String {
        let base = pointer::segments(ptr)
            .last()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                self.loader
                    .sources
                    .get(file)
                    .and_then(|f| f.path.file_stem())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "external".into())
            });
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut name = base.clone();
        let mut n = 2;
        while !self.taken.insert((section, name.clone())) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escaped_fragments_become_one_canonical_spelling() {
        let text = r##"
asyncapi: 3.0.0
info: { title: t, version: '1' }
channels:
  'logs.{level}:OnLog':
    address: 'logs.{level}'
    messages:
      m: { $ref: '#/components/messages/a~1b%20c' }
operations:
  op:
    action: receive
    channel: { $ref: '#/channels/logs.%7Blevel%7D:OnLog' }
    messages: [{ $ref: '#/channels/logs.%7Blevel%7D:OnLog/messages/m' }]
components:
  messages:
    'a/b c': { payload: { type: string } }
"##;
        let loaded = load_str(Path::new("t.yaml"), text, &LoadOptions::default());
        let doc = loaded.document.expect("loads");
        let r = |p: &str| doc.pointer(p).and_then(Node::as_str).map(str::to_owned);
        assert_eq!(
            r("/operations/op/channel/$ref").as_deref(),
            Some("#/channels/logs.{level}:OnLog")
        );
        assert_eq!(
            r("/operations/op/messages/0/$ref").as_deref(),
            Some("#/channels/logs.{level}:OnLog/messages/m")
        );
        assert_eq!(
            r("/channels/logs.{level}:OnLog/messages/m/$ref").as_deref(),
            Some("#/components/messages/a~1b c")
        );
    }
}
