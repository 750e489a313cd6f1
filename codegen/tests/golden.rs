//! Golden files: each spec in `specs/` generates exactly the checked-in
//! `tests/golden/generated/<name>.rs` (compiled by the `golden` crate with
//! `#![deny(warnings)]`). A difference rewrites the file and fails, so the
//! change shows up in review. Generation is deterministic byte for byte.

use std::path::{Path, PathBuf};

use faststream_gen::settings::{DateTimeRepr, MapType, Side, UnknownFields};
use faststream_gen::{LoadOptions, Settings, check_file, generate};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root().join("specs"))
        .expect("specs folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
}

/// Non-default settings, each pinned by a golden file of its own.
fn variants() -> Vec<(&'static str, &'static str, Settings)> {
    vec![
        (
            "shapes",
            "shapes_options",
            Settings::new()
                .date_time(DateTimeRepr::String)
                .unknown_fields(UnknownFields::Keep)
                .map_type(MapType::HashMap),
        ),
        ("orders", "orders_both", Settings::new().side(Side::Both)),
        ("billing", "billing_both", Settings::new().side(Side::Both)),
        (
            "bindings",
            "bindings_both",
            Settings::new().side(Side::Both),
        ),
    ]
}

fn generate_spec(spec: &Path) -> String {
    generate_with(spec, &Settings::default())
}

fn generate_with(spec: &Path, settings: &Settings) -> String {
    let checked = check_file(spec, &LoadOptions::default());
    assert!(
        !checked.has_errors(),
        "{}: {:?}",
        spec.display(),
        checked.diagnostics
    );
    let name = spec.file_name().unwrap().to_string_lossy().into_owned();
    let generated = generate(checked.loaded.document.as_ref().unwrap(), settings, &name)
        .unwrap_or_else(|d| panic!("{}: {}", spec.display(), d.message));
    generated.code.single
}

#[test]
fn generated_code_matches_the_golden_files() {
    let mut changed = Vec::new();
    let mut cases: Vec<(PathBuf, String, Settings)> = specs()
        .into_iter()
        .map(|spec| {
            let stem = spec.file_stem().unwrap().to_string_lossy().into_owned();
            (spec, stem, Settings::default())
        })
        .collect();
    for (spec, out, settings) in variants() {
        cases.push((
            root().join(format!("specs/{spec}.yaml")),
            out.to_owned(),
            settings,
        ));
    }
    for (spec, stem, settings) in cases {
        let code = generate_with(&spec, &settings);
        let golden = root()
            .join("tests/golden/generated")
            .join(format!("{stem}.rs"));
        let lib = std::fs::read_to_string(root().join("tests/golden/src/lib.rs")).unwrap();
        assert!(
            lib.contains(&format!("generated/{stem}.rs")),
            "tests/golden/src/lib.rs does not compile the golden file of {stem}"
        );
        if std::fs::read_to_string(&golden).ok().as_deref() != Some(code.as_str()) {
            std::fs::write(&golden, &code).unwrap();
            changed.push(stem);
        }
    }
    assert!(
        changed.is_empty(),
        "golden files rewritten (review and commit them): {changed:?}"
    );
}

/// Handler stubs (`emit::handler_stub`) for two specs, pinned in
/// `tests/golden/generated/stubs/` and compiled and run by the `golden`
/// crate's `stubs` test: the application side with logging, and a client
/// side without.
#[test]
fn handler_stubs_match_the_golden_files() {
    let mut changed = Vec::new();
    for (spec, settings, module, client, log, out) in [
        (
            "orders",
            Settings::default(),
            "golden::orders",
            false,
            true,
            "orders_handler",
        ),
        (
            "billing",
            Settings::new().side(Side::Both),
            "golden::billing_both",
            true,
            false,
            "billing_client_handler",
        ),
    ] {
        let checked = check_file(
            &root().join(format!("specs/{spec}.yaml")),
            &LoadOptions::default(),
        );
        let generated = generate(checked.loaded.document.as_ref().unwrap(), &settings, spec)
            .unwrap_or_else(|d| panic!("{spec}: {}", d.message));
        let stub = faststream_gen::emit::handler_stub(
            &generated.ir,
            &generated.types,
            &settings,
            module,
            "Service",
            client,
            log,
        )
        .unwrap();
        let golden = root()
            .join("tests/golden/generated/stubs")
            .join(format!("{out}.rs"));
        if std::fs::read_to_string(&golden).ok().as_deref() != Some(stub.as_str()) {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &stub).unwrap();
            changed.push(out);
        }
    }
    assert!(
        changed.is_empty(),
        "golden stubs rewritten (review and commit them): {changed:?}"
    );
}

#[test]
fn generation_is_deterministic() {
    for spec in specs() {
        assert_eq!(
            generate_spec(&spec),
            generate_spec(&spec),
            "{}",
            spec.display()
        );
    }
}

#[test]
fn extra_derives_are_added_to_every_type() {
    let code = generate_with(
        &root().join("specs/orders.yaml"),
        &Settings::new()
            .derive("Default")
            .only_channel("orderRequests"),
    );
    let models = &code[..code.find("pub mod messages").unwrap()];
    let structs = models.matches("pub struct").count();
    assert!(structs > 3);
    let with_default = models
        .split("#[derive(")
        .skip(1)
        .filter(|d| d[..d.find(")]").unwrap()].contains("Default"))
        .count();
    // Every model struct; channel structs keep their own derives.
    assert_eq!(with_default, structs - 1, "{code}");
    assert!(code.contains("pub struct OrderRequests"));
    assert!(
        !code.contains("pub struct OrderReplies"),
        "only the chosen channel"
    );
}
