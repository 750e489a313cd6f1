//! Golden files: each spec in `specs/` generates exactly the checked-in
//! `tests/golden/generated/<name>.rs` (compiled by the `golden` crate with
//! `#![deny(warnings)]`). A difference rewrites the file and fails, so the
//! change shows up in review. Generation is deterministic byte for byte.

use std::path::{Path, PathBuf};

use faststream_gen::settings::{DateTimeRepr, MapType, Side, UnknownFields};
use faststream_gen::{LoadOptions, Settings, check_file, generate};

mod common;

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

/// A document whose headers, content types, correlation ids, groups and
/// client ids come only from message and operation traits generates what
/// the same document with the traits written in place generates (3.0,
/// where the object's own fields win, and 2.6, where the trait's do): the
/// same models, handler signatures, publishers and router options. Only
/// the embedded document differs (it keeps the trait definitions).
#[test]
fn traits_generate_what_they_would_written_in_place() {
    /// The generated module without its source's name and its embedded
    /// document.
    fn without_document(code: &str) -> String {
        let start = code
            .find("pub const ASYNCAPI: &str = r##\"")
            .expect("the document");
        let end = start + code[start..].find("\"##;").expect("its end");
        code[..start]
            .lines()
            .chain(code[end..].lines())
            .filter(|l| !l.starts_with("// @generated") && !l.starts_with("//! Generated from"))
            .collect::<Vec<_>>()
            .join("\n")
    }
    for (with_traits, in_place) in [
        (
            "specs/traits.yaml",
            "codegen/tests/fixtures/traits/in-place.yaml",
        ),
        (
            "specs/traits_v2.yaml",
            "codegen/tests/fixtures/traits/in-place_v2.yaml",
        ),
    ] {
        let a = generate_spec(&root().join(with_traits));
        let b = generate_spec(&root().join(in_place));
        // Not vacuous: the traits' parts are there.
        for part in [
            "headers: models::ReadingHeaders",
            "headers: models::NoteHeaders",
            ".group(\"sensors\")",
            "client_id: Some(String::from(\"sensor-service\"))",
            "/// A note an operator wrote.",
            ".with_content_type(\"application/json\")",
        ] {
            assert!(a.contains(part), "{with_traits}: no `{part}`");
        }
        let (a, b) = (without_document(&a), without_document(&b));
        if a != b {
            let diff: Vec<String> = a
                .lines()
                .zip(b.lines())
                .enumerate()
                .filter(|(_, (x, y))| x != y)
                .take(10)
                .map(|(i, (x, y))| format!("line {}:\n  traits:   {x}\n  in place: {y}", i + 1))
                .collect();
            panic!(
                "{with_traits} and {in_place} generate different code:\n{}",
                diff.join("\n")
            );
        }
    }
}

/// The AsyncAPI specification's own streetlights example, in 3.0 and 2.6,
/// from the corpus: every message carries `my-app-header` only through its
/// `commonHeaders` trait, and every operation its kafka bindings only
/// through the `kafka` operation trait. Pinned in
/// `tests/golden/generated/streetlights_kafka*.rs` (compiled with
/// `#![deny(warnings)]` by the `golden` crate).
#[test]
fn the_streetlights_examples_apply_their_traits() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let options = common::corpus_options(&corpus);
    let mut changed = Vec::new();
    for (path, stem) in [
        (
            "official/v3/streetlights-kafka-asyncapi.yml",
            "streetlights_kafka",
        ),
        (
            "official/v2/streetlights-kafka.yml",
            "streetlights_kafka_v2",
        ),
    ] {
        let checked = check_file(&corpus.join(path), &options);
        assert!(!checked.has_errors(), "{path}: {:?}", checked.diagnostics);
        let name = Path::new(path).file_name().unwrap().to_string_lossy();
        let code = generate(
            checked.loaded.document.as_ref().unwrap(),
            &Settings::default(),
            &name,
        )
        .unwrap_or_else(|d| panic!("{path}: {}", d.message))
        .code
        .single;
        let handler = &code[code.find("pub trait Handler").expect("a handler trait")..];
        let method = &handler[handler
            .find("fn receive_light_measurement(")
            .expect("receiveLightMeasurement")..];
        let method = &method[..method.find(';').unwrap()];
        assert!(
            method.contains("headers: models::"),
            "{path}: the handler takes no headers:\n{method}"
        );
        assert!(code.contains("pub my_app_header: Option<i64>"), "{path}");
        assert!(
            code.contains("client_id: Some(String::from(\"my-app-id\"))"),
            "{path}: the kafka operation trait's clientId does not reach the subscriber"
        );
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
