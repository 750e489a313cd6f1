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
    // Every link inside the page leads somewhere on it.
    for link in page.split("href=\"#").skip(1) {
        let target = &link[..link.find('"').unwrap()];
        assert!(
            page.contains(&format!("id=\"{target}\"")),
            "{name}: the link to #{target} leads nowhere"
        );
    }
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

fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// `docs --serve` answers over loopback and serves the page made again
/// after a file the document references changes.
#[test]
fn serve_answers_and_follows_changes() {
    let dir = std::env::temp_dir().join(format!("fsg-docs-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/build-script/asyncapi");
    std::fs::copy(fixture.join("orders.yaml"), dir.join("orders.yaml")).unwrap();
    std::fs::copy(
        fixture.join("schemas/order.yaml"),
        dir.join("schemas/order.yaml"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_faststream-gen"))
        .args(["docs", "--serve", "--port", &port.to_string(), "--ref-root"])
        .arg(&dir)
        .arg(dir.join("orders.yaml"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |path: &str, needle: &str| {
        for _ in 0..100 {
            if get(port, path).is_some_and(|r| r.contains(needle)) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let first = wait_for("/", "onOrder");
    let version = get(port, "/version").unwrap_or_default();
    let missing = get(port, "/nothing").unwrap_or_default();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let schema = dir.join("schemas/order.yaml");
    let text = std::fs::read_to_string(&schema).unwrap();
    std::fs::write(
        &schema,
        format!("{text}    note:\n      type: string\n      description: a-fresh-note\n"),
    )
    .unwrap();
    let changed = wait_for("/", "a-fresh-note");
    let version_after = get(port, "/version").unwrap_or_default();
    // The spec itself changes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let spec = dir.join("orders.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replacen("title: Orders", "title: Renamed-Orders", 1),
    )
    .unwrap();
    let retitled = wait_for("/", "Renamed-Orders");
    child.kill().unwrap();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(first, "the page was not served");
    assert!(version.ends_with("\r\n\r\n0"), "{version}");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(changed, "the changed page was not served");
    assert!(version_after.ends_with("\r\n\r\n1"), "{version_after}");
    assert!(retitled, "the page of the changed spec was not served");
}
