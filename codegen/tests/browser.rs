//! The `docs` page in a real browser: headless Chromium (Debian's
//! `chromium`, which `cargo xtask ci` installs when it is missing; or the
//! one `CHROMIUM` names), from `file://`, with the network off (every host
//! unresolvable, a dead proxy). For `specs/` and the five largest corpus
//! documents, every operation and message is in the rendered page; the
//! search (`?q=`, as typed in its box) finds a message by name and hides
//! the rest; a screenshot of each page is saved under
//! `<target>/tmp/docs-screenshots/` as the test's artifact.

use std::path::{Path, PathBuf};
use std::process::Command;

use faststream_gen::{LoadOptions, check_file};
use serde_json::Value;

mod common;

fn chromium() -> PathBuf {
    let candidate = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        candidate.is_file(),
        "no Chromium at {}: install Debian's `chromium` (cargo xtask ci does it when missing), or set CHROMIUM",
        candidate.display()
    );
    candidate
}

fn offline(c: &mut Command) -> &mut Command {
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ])
}

/// The DOM after scripts ran.
fn dom(url: &str) -> String {
    let out = offline(&mut Command::new(chromium()))
        .args(["--virtual-time-budget=2000", "--dump-dom", url])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check(name: &str, doc: &Value, dir: &Path, shots: &Path) {
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, faststream_gen::asyncapi::html::render(doc)).unwrap();
    let url = format!("file://{}", file.display());
    let page = dom(&url);
    for key in doc["operations"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        let shown = key
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            page.contains(&shown),
            "{name}: operation `{key}` is not in the rendered page"
        );
    }
    // The search box is shown (scripts ran) and finds a message by name.
    assert!(
        page.contains("id=\"search\"") && !page.contains("hidden=\"\""),
        "{name}: no search box"
    );
    let messages: Vec<&String> = doc
        .pointer("/components/messages")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    for m in &messages {
        assert!(
            page.contains(&format!(" {}\"", m.to_lowercase())),
            "{name}: message `{m}` missing"
        );
    }
    if let Some(m) = messages.last() {
        let searched = dom(&format!("{url}?q={}", m.to_lowercase()));
        let section = searched
            .split("<section")
            .find(|s| s.contains(&format!(" {}\"", m.to_lowercase())))
            .unwrap_or_else(|| panic!("{name}: the section of `{m}` is gone"));
        let tag = &section[..section.find('>').unwrap()];
        assert!(
            !tag.contains("display: none"),
            "{name}: the search hid `{m}`"
        );
        assert!(
            searched.contains("display: none"),
            "{name}: the search hid nothing"
        );
    }
    let shot = shots.join(format!("{name}.png"));
    let out = offline(&mut Command::new(chromium()))
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1280,1600", &url])
        .output()
        .expect("chromium runs");
    assert!(out.status.success());
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "{name}: no screenshot"
    );
}

#[test]
fn the_page_works_in_a_browser_offline() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("docs-pages");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("docs-screenshots");
    for d in [&dir, &shots] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
    }
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&specs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let loaded = check_file(&path, &LoadOptions::default());
        let doc = serde_json::to_value(loaded.model.as_ref().unwrap()).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        check(&name, &doc, &dir, &shots);
        checked += 1;
    }
    if let Some(corpus) = common::corpus() {
        for (i, loaded) in common::largest_documents(&corpus, 5).iter().enumerate() {
            let doc = serde_json::to_value(loaded.model.as_ref().unwrap()).unwrap();
            check(&format!("corpus-{}", i + 1), &doc, &dir, &shots);
            checked += 1;
        }
    }
    println!(
        "{checked} pages checked in Chromium; screenshots in {}",
        shots.display()
    );
}
