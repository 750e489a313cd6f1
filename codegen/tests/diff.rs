//! `faststream-gen diff`: each class of change on the project's own
//! document (`tests/diff/base.yaml`: an application that receives orders
//! and sends events) changed one way at a time, classified as breaking or
//! not and for whom; every spec in `specs/` compared with its own 2.6
//! conversion has nothing breaking; the JSON output is pinned; the exit
//! statuses are 0, 1 and 2.

use std::path::{Path, PathBuf};
use std::process::Command;

use faststream_gen::diff::{Affects, Change, Severity, diff, render_json};
use faststream_gen::{LoadOptions, check_file, check_str};

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff")
}

fn base() -> String {
    std::fs::read_to_string(here().join("base.yaml")).unwrap()
}

fn changes_between(old: &str, new: &str) -> Vec<Change> {
    let a = check_str(Path::new("old.yaml"), old, &LoadOptions::default());
    let b = check_str(Path::new("new.yaml"), new, &LoadOptions::default());
    assert!(
        !a.has_errors() && !b.has_errors(),
        "{:?} {:?}",
        a.diagnostics,
        b.diagnostics
    );
    let (a, b) = (
        faststream_gen::diff::Side::new(&a).unwrap(),
        faststream_gen::diff::Side::new(&b).unwrap(),
    );
    diff(&a, &b)
}

/// The base document with `from` replaced by `to` (which must occur).
fn changed(from: &str, to: &str) -> Vec<Change> {
    let text = base();
    assert!(text.contains(from), "`{from}` is not in base.yaml");
    changes_between(&text, &text.replacen(from, to, 1))
}

/// The one change of `kind`, checked for severity and whom it affects.
fn expect(changes: &[Change], kind: &str, severity: Severity, affects: Affects) {
    let found: Vec<&Change> = changes.iter().filter(|c| c.kind == kind).collect();
    assert!(
        found
            .iter()
            .any(|c| c.severity == severity && c.affects == affects),
        "no {kind} ({severity:?}, {affects:?}) in {changes:#?}"
    );
}

fn nothing_breaks(changes: &[Change]) {
    assert!(!faststream_gen::diff::has_breaking(changes), "{changes:#?}");
}

#[test]
fn received_payloads_that_accept_less_break_producers() {
    // A new required field.
    let c = changed("required: [id, quantity]", "required: [id, quantity, note]");
    expect(&c, "required-added", Severity::Breaking, Affects::Producers);
    // A type change.
    let c = changed(
        "        id:\n          type: string",
        "        id:\n          type: integer",
    );
    expect(&c, "type-changed", Severity::Breaking, Affects::Producers);
    // An enum narrowed.
    let c = changed("enum: [s, m, l]", "enum: [s, m]");
    expect(&c, "enum-narrowed", Severity::Breaking, Affects::Producers);
    // A bound tightened, a length tightened.
    let c = changed("minimum: 1", "minimum: 5");
    expect(
        &c,
        "bound-tightened",
        Severity::Breaking,
        Affects::Producers,
    );
    let c = changed("maxLength: 200", "maxLength: 20");
    expect(
        &c,
        "bound-tightened",
        Severity::Breaking,
        Affects::Producers,
    );
    // Closed to other properties.
    let c = changed(
        "    Order:\n      type: object\n",
        "    Order:\n      type: object\n      additionalProperties: false\n",
    );
    expect(&c, "closed", Severity::Breaking, Affects::Producers);
    // Typed headers: a header now required.
    let c = changed(
        "        type: object\n        properties:\n          tenant:",
        "        type: object\n        required: [tenant]\n        properties:\n          tenant:",
    );
    expect(&c, "required-added", Severity::Breaking, Affects::Producers);
}

#[test]
fn received_payloads_that_accept_more_break_nobody() {
    for (from, to, kind) in [
        (
            "required: [id, quantity]",
            "required: [id]",
            "required-removed",
        ),
        ("enum: [s, m, l]", "enum: [s, m, l, xl]", "enum-widened"),
        ("maximum: 100", "maximum: 1000", "bound-loosened"),
    ] {
        let c = changed(from, to);
        expect(&c, kind, Severity::NonBreaking, Affects::Nobody);
        nothing_breaks(&c);
    }
}

#[test]
fn sent_payloads_that_may_carry_more_or_other_break_consumers() {
    let c = changed("enum: [created, shipped]", "enum: [created, shipped, lost]");
    expect(&c, "enum-widened", Severity::Breaking, Affects::Consumers);
    let c = changed("required: [kind, at]", "required: [kind]");
    expect(
        &c,
        "required-removed",
        Severity::Breaking,
        Affects::Consumers,
    );
    let c = changed(
        "        at:\n          type: string",
        "        at:\n          type: integer",
    );
    expect(&c, "type-changed", Severity::Breaking, Affects::Consumers);
    // A closed object gains a property.
    let c = changed(
        "        by:\n          type: string\n",
        "        by:\n          type: string\n        via:\n          type: string\n",
    );
    expect(&c, "property-added", Severity::Breaking, Affects::Consumers);
    // Sending less than before breaks nobody.
    let c = changed("required: [kind, at]", "required: [kind, at, by]");
    expect(&c, "required-added", Severity::NonBreaking, Affects::Nobody);
    nothing_breaks(&c);
}

#[test]
fn operations_addresses_replies_messages_and_content_types() {
    // An operation removed: its producers break.
    let text = base();
    let without = text.replace(
        "  takeOrder:\n    action: receive\n    channel:\n      $ref: '#/channels/orders'\n",
        "",
    );
    let c = changes_between(&text, &without);
    expect(
        &c,
        "operation-removed",
        Severity::Breaking,
        Affects::Producers,
    );
    // Renamed (same action and address).
    let c = changed("  takeOrder:", "  acceptOrder:");
    expect(
        &c,
        "operation-renamed",
        Severity::Breaking,
        Affects::Producers,
    );
    // Added: breaks nobody.
    let c = changes_between(&without, &text);
    expect(
        &c,
        "operation-added",
        Severity::NonBreaking,
        Affects::Nobody,
    );
    nothing_breaks(&c);
    // The action.
    let c = changed("    action: send", "    action: receive");
    expect(&c, "action-changed", Severity::Breaking, Affects::Both);
    // The address and its parameters.
    let c = changed("address: shop.events", "address: shop.all-events");
    expect(&c, "address-changed", Severity::Breaking, Affects::Both);
    let c = changed("enum: [eu, us]", "enum: [eu]");
    expect(&c, "parameter-changed", Severity::Breaking, Affects::Both);
    // A reply added.
    let c = changed(
        "      $ref: '#/channels/orders'\n",
        "      $ref: '#/channels/orders'\n    reply:\n      channel:\n        $ref: '#/channels/events'\n",
    );
    expect(&c, "reply-added", Severity::Breaking, Affects::Both);
    // A message removed from an operation's channel.
    let c = changed(
        "    messages:\n      event:\n        $ref: '#/components/messages/Event'\n",
        "    messages: {}\n",
    );
    expect(
        &c,
        "message-removed",
        Severity::Breaking,
        Affects::Consumers,
    );
    // The content type.
    let c = changed(
        "contentType: application/json",
        "contentType: application/xml",
    );
    expect(
        &c,
        "content-type-changed",
        Severity::Breaking,
        Affects::Both,
    );
}

#[test]
fn bindings_need_review_and_docs_break_nobody() {
    let c = changed(
        "    address: shop.events\n",
        "    address: shop.events\n    bindings:\n      amqp:\n        is: queue\n",
    );
    expect(&c, "bindings-changed", Severity::NeedsReview, Affects::Both);
    let c = changed(
        "        id:\n          type: string",
        "        id:\n          type: string\n          oneOf: [{minLength: 1}, {const: x}]",
    );
    expect(&c, "needs-review", Severity::NeedsReview, Affects::Both);
    for (from, to) in [
        (
            "description: Something happened.",
            "description: Something else happened.",
        ),
        ("title: Shop", "title: The shop"),
        (
            "        note:\n          type: string\n",
            "        note:\n          type: string\n          examples: [hello]\n",
        ),
    ] {
        let c = changed(from, to);
        assert!(!c.is_empty(), "{from}: no change found");
        assert!(
            c.iter().all(|c| c.severity == Severity::NonBreaking),
            "{c:#?}"
        );
    }
}

#[test]
fn places_are_given_in_both_files() {
    let c = changed("minimum: 1", "minimum: 5");
    let bound = c.iter().find(|c| c.kind == "bound-tightened").unwrap();
    assert_eq!(
        bound.old_pointer.as_deref(),
        Some("/components/schemas/Order/properties/quantity/minimum")
    );
    assert_eq!(bound.old_location.as_deref(), Some("old.yaml:52:20"));
    assert_eq!(bound.new_location.as_deref(), Some("new.yaml:52:20"));
}

#[test]
fn a_document_and_its_own_2_6_conversion_differ_in_nothing_breaking() {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut compared = 0;
    for entry in std::fs::read_dir(&specs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let a = check_file(&path, &LoadOptions::default());
        let value = serde_json::to_value(a.model.as_ref().unwrap()).unwrap();
        let v2 = faststream_gen::asyncapi::convert::v3_to_v2(&value).unwrap();
        let text = serde_json::to_string_pretty(&v2.document).unwrap();
        let b = check_str(Path::new("v2.json"), &text, &LoadOptions::default());
        assert!(!b.has_errors(), "{}: {:?}", path.display(), b.diagnostics);
        let c = diff(
            &faststream_gen::diff::Side::new(&a).unwrap(),
            &faststream_gen::diff::Side::new(&b).unwrap(),
        );
        // A reply 2.6 cannot carry is for review, not breaking.
        let breaking: Vec<_> = c
            .iter()
            .filter(|c| c.severity == Severity::Breaking)
            .collect();
        assert!(breaking.is_empty(), "{}: {breaking:#?}", path.display());
        compared += 1;
    }
    assert!(compared >= 7);
}

/// The JSON output of one document pair, pinned in `tests/diff/changes.json`
/// (a difference rewrites it and fails: review and commit it).
#[test]
fn json_output_is_pinned() {
    let text = base();
    let new = text
        .replacen(
            "required: [id, quantity]",
            "required: [id, quantity, note]",
            1,
        )
        .replacen(
            "enum: [created, shipped]",
            "enum: [created, shipped, lost]",
            1,
        )
        .replacen(
            "description: Something happened.",
            "description: It happened.",
            1,
        );
    let json = render_json(&changes_between(&text, &new));
    let pinned = here().join("changes.json");
    if std::fs::read_to_string(&pinned).ok().as_deref() != Some(json.as_str()) {
        std::fs::write(&pinned, &json).unwrap();
        panic!("tests/diff/changes.json rewritten (review and commit it):\n{json}");
    }
}

#[test]
fn exit_statuses() {
    let bin = env!("CARGO_BIN_EXE_faststream-gen");
    let dir = std::env::temp_dir().join(format!("fsg-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (old, new, broken) = (
        dir.join("old.yaml"),
        dir.join("new.yaml"),
        dir.join("broken.yaml"),
    );
    std::fs::write(&old, base()).unwrap();
    std::fs::write(&new, base().replacen("minimum: 1", "minimum: 5", 1)).unwrap();
    std::fs::write(&broken, "asyncapi: 3.0.0\ninfo: {title: x}\n").unwrap();
    let run = |a: &Path, b: &Path, extra: &[&str]| {
        Command::new(bin)
            .arg("diff")
            .arg(a)
            .arg(b)
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(run(&old, &old, &[]).status.code(), Some(0));
    let out = run(&old, &new, &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("| severity | affects |"));
    let out = run(&old, &broken, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken.yaml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run(&old, &new, &["--format", "xml"]).status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
