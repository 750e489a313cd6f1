//! `faststream-gen docs`: one self-contained HTML page per document. For
//! every spec in `specs/` and the five largest corpus documents, every
//! operation and every message appears on the page, and nothing is
//! fetched from elsewhere (no script, style, font or image from a URL).

use std::path::Path;

use faststream_gen::{LoadOptions, check_file};
use serde_json::Value;

mod common;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Every operation key and message of `doc` is on `page` (a message's key
/// is in its section's search text), and the page loads nothing from the
/// network.
fn check_page(name: &str, doc: &Value, page: &str) {
    let mut operations = 0;
    for key in doc["operations"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        assert!(
            page.contains(&esc(key)),
            "{name}: operation `{key}` is not on the page"
        );
        operations += 1;
    }
    let mut messages: Vec<String> = doc
        .pointer("/components/messages")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    for ch in doc["channels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, c)| c)
    {
        for (k, m) in ch["messages"].as_object().into_iter().flatten() {
            if m.get("$ref").is_none() {
                messages.push(k.clone());
            }
        }
    }
    for m in &messages {
        let searchable = format!(" {}\"", esc(&m.to_lowercase()));
        assert!(
            page.contains(&searchable),
            "{name}: message `{m}` is not on the page"
        );
    }
    assert!(operations + messages.len() > 0, "{name}: nothing to show");
    for external in [
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "url(http",
        "src=\"//",
    ] {
        assert!(
            !page.contains(external),
            "{name}: the page loads `{external}`"
        );
    }
}

#[test]
fn every_operation_and_message_is_on_the_page() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut pages = 0;
    for entry in std::fs::read_dir(&specs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let checked = check_file(&path, &LoadOptions::default());
        let doc = serde_json::to_value(checked.model.as_ref().unwrap()).unwrap();
        check_page(
            &path.display().to_string(),
            &doc,
            &faststream_gen::asyncapi::html::render(&doc),
        );
        pages += 1;
    }
    assert!(pages >= 7);
    let Some(corpus) = common::corpus() else {
        return;
    };
    for checked in common::largest_documents(&corpus, 5) {
        let name = checked.loaded.sources.display_name(checked.loaded.root);
        let doc = serde_json::to_value(checked.model.as_ref().unwrap()).unwrap();
        check_page(&name, &doc, &faststream_gen::asyncapi::html::render(&doc));
    }
}

#[test]
fn the_command_writes_the_page() {
    let out = std::env::temp_dir().join(format!("fsg-docs-{}.html", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_faststream-gen"))
        .args(["docs", "../specs/orders.yaml", "-o"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("handleOrder") && page.contains("Replies to"));
    let _ = std::fs::remove_file(&out);
}
