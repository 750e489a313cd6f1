//! `faststream-gen diff OLD NEW`: what changed between two versions of an
//! application's document, and whom it breaks.
//!
//! Both documents are compared as AsyncAPI 3.x (a 2.x one is converted
//! first), operation by operation. The document describes an application:
//! its peers send what it receives and receive what it sends. So a
//! received payload (or headers) that accepts less than before breaks the
//! **producers**; a sent payload that may carry more or other breaks the
//! **consumers**; a change of address, action, reply or content type
//! breaks both. Bindings and what this comparison cannot judge (changes
//! inside `oneOf`/`anyOf`/`allOf`, a `$ref` to another document) are
//! listed as needing review, never dropped; descriptions, titles,
//! examples and tags are not breaking.

mod change;
mod differ;
mod render;
mod schema;

pub use change::{Affects, Change, Severity, Side};
pub use render::{has_breaking, render_json, render_markdown, render_text};

use differ::Differ;

/// Compares two documents.
pub fn diff(old: &Side<'_>, new: &Side<'_>) -> Vec<Change> {
    let mut d = Differ {
        old,
        new,
        out: Vec::new(),
        seen: std::collections::HashSet::new(),
    };
    d.info();
    d.operations();
    d.out.sort_by(|a, b| {
        (a.severity, &a.old_pointer, &a.new_pointer).cmp(&(
            b.severity,
            &b.old_pointer,
            &b.new_pointer,
        ))
    });
    d.out.dedup();
    d.out
}
