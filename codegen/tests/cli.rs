//! The `faststream-gen` binary as a user runs it: exit statuses, output
//! formats, written files.

use std::path::PathBuf;
use std::process::{Command, Output};

mod common;
use common::corpus;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_faststream-gen"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fsg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ORDERS: &str = "../specs/orders.yaml";
const FIXTURES: &str = "tests/fixtures/diagnostics";

#[test]
fn validate_exit_statuses() {
    let ok = bin().args(["validate", ORDERS]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("valid"));

    let bad = bin()
        .args([
            "validate",
            ORDERS,
            &format!("{FIXTURES}/required-field.yaml"),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("error[required-field]: missing required field `version`"));

    let usage = bin().args(["validate"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let usage = bin()
        .args(["validate", ORDERS, "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn validate_reports_json() {
    let out = bin()
        .args([
            "validate",
            "--format",
            "json",
            &format!("{FIXTURES}/ref-outside-root.yaml"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let diags = v[0]["diagnostics"].as_array().unwrap();
    assert_eq!(v[0]["valid"], false);
    assert_eq!(diags.len(), 2);
    assert_eq!(diags[0]["code"], "ref-outside-root");
    assert_eq!(diags[0]["line"], 8);
    assert_eq!(diags[0]["column"], 13);
    assert_eq!(diags[0]["pointer"], "#/components/schemas/Escapes");
}

#[test]
fn convert_writes_each_version_and_format() {
    let dir = scratch("convert");
    for (to, file) in [("2.6", "o26.yaml"), ("3.1", "o31.json"), ("3.0", "o30.yml")] {
        let out_path = dir.join(file);
        let out = bin()
            .args(["convert", ORDERS, "--to", to, "-o"])
            .arg(&out_path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // What was written is a valid document of the asked version.
        let check = bin().args(["validate"]).arg(&out_path).output().unwrap();
        assert_eq!(check.status.code(), Some(0), "{to}: {}", stderr(&check));
        let text = std::fs::read_to_string(&out_path).unwrap();
        assert!(text.contains(&format!("{to}.0")), "{to}: {text}");
        if file.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(&text).expect("JSON output");
        }
    }
    // 2.6 cannot express the reply: the user is told.
    let out = bin()
        .args(["convert", ORDERS, "--to", "2.6"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("no request/reply"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_run_leaves_existing_output_untouched() {
    let dir = scratch("nofail");
    let out_path = dir.join("out.yaml");
    std::fs::write(&out_path, "previous content\n").unwrap();
    let out = bin()
        .args([
            "convert",
            &format!("{FIXTURES}/type-mismatch.yaml"),
            "--to",
            "2.6",
            "-o",
        ])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing was written"));
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        "previous content\n"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bundle_inlines_external_refs_into_components() {
    let dir = scratch("bundle");
    let Some(corpus) = corpus() else {
        return;
    };
    for (name, rel) in [
        ("social", "official/v3/social-media/backend/asyncapi.yaml"),
        ("social2", "official/v2/social-media/backend/asyncapi.yaml"),
        ("ruter", "wild/RuterNo__adt-doc/asyncapi/asyncapi.yml"),
    ] {
        let out_path = dir.join(format!("{name}.yaml"));
        let out = bin()
            .arg("bundle")
            .arg(corpus.join(rel))
            .arg("--ref-root")
            .arg(&corpus)
            .arg("-o")
            .arg(&out_path)
            .output()
            .unwrap();
        // Ruter is invalid per the official parser (a `$ref` inside an
        // example): bundling refuses it and says why.
        if name == "ruter" {
            assert_eq!(out.status.code(), Some(1));
            assert!(stderr(&out).contains("ref-not-allowed"), "{}", stderr(&out));
            assert!(!out_path.exists());
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let text = std::fs::read_to_string(&out_path).unwrap();
        let refs: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("$ref: "))
            .collect();
        assert!(!refs.is_empty());
        assert!(
            refs.iter().all(|r| r.trim_matches('"').starts_with("#/")),
            "{name}: external refs left: {refs:?}"
        );
        // The bundle stands alone: it validates from a folder with nothing else.
        let check = bin().args(["validate"]).arg(&out_path).output().unwrap();
        assert_eq!(check.status.code(), Some(0), "{name}: {}", stderr(&check));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ref_map_serves_urls_from_a_folder() {
    let dir = scratch("refmap");
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(
        dir.join("schemas/user.json"),
        r#"{"type":"object","properties":{"id":{"type":"string"}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("api.yaml"),
        "asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\ncomponents:\n  schemas:\n    User:\n      $ref: 'https://example.com/schemas/user.json'\n",
    )
    .unwrap();
    let unmapped = bin()
        .arg("validate")
        .arg(dir.join("api.yaml"))
        .output()
        .unwrap();
    assert_eq!(unmapped.status.code(), Some(1));
    assert!(
        stderr(&unmapped).contains("error[ref-remote]"),
        "{}",
        stderr(&unmapped)
    );
    let mapped = bin()
        .arg("validate")
        .arg(dir.join("api.yaml"))
        .arg("--ref-map")
        .arg(format!("https://example.com/={}", dir.display()))
        .output()
        .unwrap();
    assert_eq!(mapped.status.code(), Some(0), "{}", stderr(&mapped));
    let bad = bin()
        .args(["validate", ORDERS, "--ref-map", "no-equals-sign"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn symlink_out_of_the_ref_root_is_refused() {
    let dir = scratch("symlink");
    let project = dir.join("project");
    let outside = dir.join("outside");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(project.join("Cargo.toml"), "").unwrap();
    std::fs::write(outside.join("secret.yaml"), "type: string\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.yaml"), project.join("link.yaml")).unwrap();
    std::fs::write(
        project.join("api.yaml"),
        "asyncapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\ncomponents:\n  schemas:\n    S:\n      $ref: 'link.yaml'\n    T:\n      $ref: '../outside/secret.yaml'\n",
    )
    .unwrap();
    let out = bin()
        .arg("validate")
        .arg(project.join("api.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).matches("error[ref-outside-root]").count(),
        2,
        "{}",
        stderr(&out)
    );
    // With the root set to the common parent, both resolve.
    let out = bin()
        .arg("validate")
        .arg(project.join("api.yaml"))
        .arg("--ref-root")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generate_writes_a_file_or_a_module_tree_and_checks_staleness() {
    let dir = scratch("generate");
    let file = dir.join("orders.rs");
    let out = bin()
        .args(["generate", ORDERS, "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("// @generated by faststream-gen"),
        "{text}"
    );
    assert!(text.contains("pub struct OrderRequests"));

    let check = bin()
        .args(["generate", ORDERS, "--check", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    std::fs::write(&file, format!("{text}// edited\n")).unwrap();
    let stale = bin()
        .args(["generate", ORDERS, "--check", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).contains("1 stale generated file(s)"),
        "{}",
        stderr(&stale)
    );
    // A unified diff from what is written to what would be generated.
    let diff = String::from_utf8_lossy(&stale.stdout).into_owned();
    let shown = file.display().to_string();
    assert!(
        diff.starts_with(&format!("--- {shown}\n+++ {shown} (generated)\n@@ ")),
        "{diff}"
    );
    assert!(diff.contains("\n-// edited\n"), "{diff}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .ends_with("// edited\n"),
        "--check writes nothing"
    );

    let tree = dir.join("gen/");
    let out = bin()
        .args(["generate", ORDERS, "-o"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in ["mod.rs", "models.rs", "channels.rs"] {
        let text = std::fs::read_to_string(tree.join(name)).unwrap();
        assert!(text.starts_with("// @generated"), "{name}");
    }
    assert!(
        std::fs::read_to_string(tree.join("mod.rs"))
            .unwrap()
            .contains("pub mod models;")
    );

    // Warnings are reported, generation still succeeds.
    let shapes = bin()
        .args(["generate", "../specs/shapes.yaml"])
        .output()
        .unwrap();
    assert_eq!(shapes.status.code(), Some(0));
    assert!(
        stderr(&shapes).contains("warning[untagged-union]"),
        "{}",
        stderr(&shapes)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bindings_the_runtime_cannot_apply_are_warned_about_at_their_position() {
    let dir = scratch("bindings");
    let spec = dir.join("spec.yaml");
    std::fs::write(
        &spec,
        "asyncapi: 3.0.0
info: {title: t, version: '1'}
channels:
  jobs:
    address: jobs
    bindings:
      amqp:
        is: stream
      redis:
        method: carrier-pigeon
operations:
  onJob:
    action: receive
    channel: {$ref: '#/channels/jobs'}
",
    )
    .unwrap();
    let out = bin().arg("generate").arg(&spec).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning[unsupported-binding]: amqp `is: stream` is neither")
            && err.contains("spec.yaml:8:13"),
        "{err}"
    );
    assert!(
        err.contains("warning[unsupported-binding]: redis method `carrier-pigeon` is unknown")
            && err.contains("spec.yaml:10:17"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn version_help_and_completions() {
    let version = bin().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("faststream-gen {}", env!("CARGO_PKG_VERSION"))
    );
    for (shell, marker) in [
        ("bash", "complete -F _faststream__gen"),
        ("zsh", "#compdef faststream-gen"),
        ("fish", "complete -c faststream-gen"),
    ] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("generate") && text.contains("validate"),
            "{shell}"
        );
    }
    let bad = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// The `--help` of the command and of every subcommand, pinned in
/// `tests/help/<command>.txt` (a difference rewrites the file and fails:
/// review and commit it). Every subcommand's help has examples.
#[test]
fn help_texts_are_pinned() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/help");
    std::fs::create_dir_all(&dir).unwrap();
    let mut changed = Vec::new();
    for command in [
        "",
        "validate",
        "convert",
        "generate",
        "bundle",
        "diff",
        "docs",
        "new",
        "completions",
    ] {
        let mut cmd = bin();
        if !command.is_empty() {
            cmd.arg(command);
        }
        let out = cmd.arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("Examples:\n  faststream-gen "),
            "{command}: {text}"
        );
        let name = if command.is_empty() {
            "faststream-gen"
        } else {
            command
        };
        let pinned = dir.join(format!("{name}.txt"));
        if std::fs::read_to_string(&pinned).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&pinned, &text).unwrap();
            changed.push(name);
        }
    }
    assert!(
        changed.is_empty(),
        "help texts rewritten (review and commit them): {changed:?}"
    );
}

/// `generate --watch` writes the module, then again when a file the
/// document reaches through `$ref` changes.
#[test]
fn watch_regenerates_when_a_referenced_file_changes() {
    let dir = scratch("watch");
    std::fs::write(
        dir.join("api.yaml"),
        "asyncapi: 3.0.0\ninfo: {title: W, version: '1'}\nchannels:\n  c:\n    address: c\n    messages:\n      m:\n        payload: {$ref: './schema.yaml#/Thing'}\noperations:\n  onC:\n    action: receive\n    channel: {$ref: '#/channels/c'}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("schema.yaml"),
        "Thing:\n  type: object\n  properties:\n    a: {type: string}\n",
    )
    .unwrap();
    let out = dir.join("w.rs");
    let mut child = bin()
        .args(["generate", "--watch", "--ref-root"])
        .arg(&dir)
        .arg(dir.join("api.yaml"))
        .arg("-o")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |needle: &str| {
        for _ in 0..100 {
            if std::fs::read_to_string(&out).is_ok_and(|t| t.contains(needle)) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let first = wait_for("pub a: Option<String>");
    // A new second, so the change is seen whatever the file system's
    // time resolution.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(
        dir.join("schema.yaml"),
        "Thing:\n  type: object\n  properties:\n    a: {type: string}\n    b: {type: integer}\n",
    )
    .unwrap();
    let second = wait_for("pub b: Option<i64>");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(first, "the first generation was not written");
    assert!(second, "the change was not regenerated");
    let _ = std::fs::remove_dir_all(&dir);
}
