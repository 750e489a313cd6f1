//! Pinned diagnostics: each fixture in `tests/fixtures/diagnostics/` is
//! named after the diagnostic code it must produce; its rendered output is
//! pinned in a `.stderr` file beside it. A differing snapshot is rewritten
//! and the test fails, so the change shows up in review.

use std::path::{Path, PathBuf};

use faststream_gen::diagnostics::{Code, render_human, render_json};
use faststream_gen::load::Limits;
use faststream_gen::{LoadOptions, check_file};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics")
}

/// Compares with the pinned snapshot; rewrites it and reports on change.
fn check_snapshot(path: &Path, actual: &str, changed: &mut Vec<String>) {
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        std::fs::write(path, actual).expect("snapshot written");
        changed.push(path.display().to_string());
    }
}

/// Runs a fixture from the package folder so paths print relative.
fn render(name: &str, options: &LoadOptions) -> (Vec<Code>, String, String) {
    let rel = Path::new("tests/fixtures/diagnostics").join(format!("{name}.yaml"));
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("package dir");
    let checked = check_file(&rel, options);
    let codes = checked.diagnostics.iter().map(|d| d.code).collect();
    (
        codes,
        render_human(&checked.diagnostics, &checked.loaded.sources),
        render_json(&checked.diagnostics, &checked.loaded.sources),
    )
}

#[test]
fn every_code_has_a_pinned_fixture() {
    let mut changed = Vec::new();
    let mut covered = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        let (codes, human, json) = render(name, &LoadOptions::default());
        let code = Code::ALL
            .iter()
            .find(|c| c.as_str() == name)
            .unwrap_or_else(|| panic!("fixture `{name}` is not named after a diagnostic code"));
        assert!(
            codes.contains(code),
            "fixture `{name}` must produce `{name}`, got {codes:?}\n{human}"
        );
        assert!(
            !human.contains(env!("CARGO_MANIFEST_DIR")),
            "absolute path in output"
        );
        check_snapshot(
            &fixtures().join(format!("{name}.stderr")),
            &human,
            &mut changed,
        );
        check_snapshot(
            &fixtures().join(format!("{name}.json")),
            &json,
            &mut changed,
        );
        covered.push(*code);
    }
    // Codes that need a situation rather than a file.
    let (codes, human, _) = render("does-not-exist", &LoadOptions::default());
    assert_eq!(codes, [Code::Io], "{human}");
    covered.push(Code::Io);
    let tiny = LoadOptions {
        limits: Limits {
            max_bytes: 16,
            ..Limits::default()
        },
        ..LoadOptions::default()
    };
    let (codes, human, _) = render("required-field", &tiny);
    assert_eq!(codes, [Code::FileTooLarge], "{human}");
    check_snapshot(
        &fixtures().join("file-too-large.stderr"),
        &human,
        &mut changed,
    );
    covered.push(Code::FileTooLarge);

    let missing: Vec<_> = Code::ALL
        .iter()
        .filter(|c| !covered.contains(c) && !Code::GENERATION.contains(c))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
    assert!(
        changed.is_empty(),
        "snapshots changed (rewritten, review them): {changed:?}"
    );
}

#[test]
fn recursive_schemas_load_but_self_pointing_chains_do_not() {
    let (codes, human, _) = render("ref-cycle", &LoadOptions::default());
    // Only the A <-> B chain is an error; the recursive Tree is fine.
    assert_eq!(codes, [Code::RefCycle, Code::RefCycle], "{human}");
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let (codes, human, _) = render("ref-outside-root", &LoadOptions::default());
    assert_eq!(
        codes,
        [Code::RefOutsideRoot, Code::RefOutsideRoot],
        "{human}"
    );
}
