//! The changes written for people (text, Markdown) and for tools (JSON).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::change::{Change, Severity};

/// Whether any change breaks someone.
pub fn has_breaking(changes: &[Change]) -> bool {
    changes.iter().any(|c| c.severity == Severity::Breaking)
}

/// The changes as text, one per line with its places.
pub fn render_text(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = write!(out, "{}: {}", c.severity.as_str(), c.message);
        if c.severity != Severity::NonBreaking {
            let _ = write!(out, " (affects {})", c.affects.as_str());
        }
        out.push('\n');
        if let Some(l) = &c.old_location {
            let _ = writeln!(
                out,
                "  old: {l} ({})",
                c.old_pointer.as_deref().unwrap_or("")
            );
        }
        if let Some(l) = &c.new_location {
            let _ = writeln!(
                out,
                "  new: {l} ({})",
                c.new_pointer.as_deref().unwrap_or("")
            );
        }
    }
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    let review = changes
        .iter()
        .filter(|c| c.severity == Severity::NeedsReview)
        .count();
    let _ = writeln!(
        out,
        "{} change(s): {breaking} breaking, {review} to review, {} not breaking",
        changes.len(),
        changes.len() - breaking - review
    );
    out
}

/// The changes as JSON (an object with the list and the counts).
pub fn render_json(changes: &[Change]) -> String {
    let list: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!({
                "severity": c.severity.as_str(),
                "affects": c.affects.as_str(),
                "kind": c.kind,
                "message": c.message,
                "old": {"pointer": c.old_pointer, "location": c.old_location},
                "new": {"pointer": c.new_pointer, "location": c.new_location},
            })
        })
        .collect();
    let doc = json!({
        "breaking": has_breaking(changes),
        "changes": list,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The changes as a Markdown table.
pub fn render_markdown(changes: &[Change]) -> String {
    let mut out = String::from(
        "| severity | affects | change | old | new |\n| --- | --- | --- | --- | --- |\n",
    );
    let cell = |s: &str| s.replace('|', "\\|");
    for c in changes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            c.severity.as_str(),
            c.affects.as_str(),
            cell(&c.message),
            cell(c.old_location.as_deref().unwrap_or("")),
            cell(c.new_location.as_deref().unwrap_or(""))
        );
    }
    out
}
