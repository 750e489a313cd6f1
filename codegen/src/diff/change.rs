//! What a comparison reports: each change, how much it matters and for
//! whom, and the two documents compared.

use serde_json::Value;

use crate::Checked;
use crate::load::Node;

/// How much a change matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Breaking,
    NeedsReview,
    NonBreaking,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::NeedsReview => "needs-review",
            Severity::NonBreaking => "non-breaking",
        }
    }
}

/// Whom a change breaks: the application's peers that send to it, those
/// that receive from it, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Affects {
    Producers,
    Consumers,
    Both,
    Nobody,
}

impl Affects {
    pub fn as_str(self) -> &'static str {
        match self {
            Affects::Producers => "producers",
            Affects::Consumers => "consumers",
            Affects::Both => "producers and consumers",
            Affects::Nobody => "nobody",
        }
    }
}

/// One change, with where it is in each document (JSON pointers into the
/// 3.x form, and `file:line:column` where the document has that place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub severity: Severity,
    pub affects: Affects,
    /// A short, stable name of the kind of change (`required-added`).
    pub kind: &'static str,
    pub message: String,
    pub old_pointer: Option<String>,
    pub new_pointer: Option<String>,
    pub old_location: Option<String>,
    pub new_location: Option<String>,
}

/// One side of the comparison: the 3.x document and, for positions, the
/// loaded file.
#[derive(Debug)]
pub struct Side<'a> {
    pub doc: Value,
    pub(super) checked: &'a Checked,
    /// Whether the file itself is 3.x (a 2.x one cannot describe replies).
    pub(super) v3: bool,
}

impl<'a> Side<'a> {
    /// The side of a loaded, valid document (`None` when it has no model).
    pub fn new(checked: &'a Checked) -> Option<Side<'a>> {
        let model = checked.model.as_ref()?;
        let doc = serde_json::to_value(model).ok()?;
        let v3 = checked
            .loaded
            .document
            .as_ref()
            .and_then(|d| d.get("asyncapi"))
            .and_then(Node::as_str)
            .is_some_and(|v| v.starts_with('3'));
        Some(Side { doc, checked, v3 })
    }

    /// `file:line:column` of `pointer`, or of its nearest ancestor the file
    /// has.
    pub(super) fn location(&self, pointer: &str) -> Option<String> {
        let root = self.checked.loaded.document.as_ref()?;
        // A 2.x file has other paths for operations and channels; its
        // components are where a 3.x document has them. The nearest place
        // the file has is given.
        let mut p = pointer.to_owned();
        loop {
            if let Some(node) = root.pointer(&p) {
                let s = node.span;
                let name = self.checked.loaded.sources.display_name(s.file);
                return Some(format!("{name}:{}:{}", s.line, s.col));
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return None,
            }
        }
    }

    pub(super) fn resolve<'v>(&'v self, v: &'v Value) -> &'v Value {
        faststream_asyncapi::pointer::follow_refs(v, |p| self.doc.pointer(p))
    }

    /// Where a local `$ref` points (or the pointer itself when `v` is no
    /// reference).
    pub(super) fn target(&self, v: &Value, at: &str) -> String {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .map_or_else(|| at.to_owned(), str::to_owned)
    }
}
