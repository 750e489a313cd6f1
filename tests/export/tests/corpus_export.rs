//! The round trip spec -> code -> spec on the AsyncAPI corpus
//! (`../shared/corpus` beside the checkout, or `FASTSTREAM_CORPUS`): for
//! every document the official parser calls valid whose servers the
//! runtime serves (NATS, Redis, RabbitMQ; or that names none), the module
//! `faststream-gen` generates and a handler stubbed by
//! `faststream_gen::emit::handler_stub` are built into one crate (one
//! build for the corpus), whose program exports each generated router
//! with `Router::asyncapi()`. Each export is compared with its document by
//! meaning, and each of its versions (3.0, 3.1, 2.6) validated by the
//! generator and by the official parser. Prints "round trip N/M"; at least
//! 95%.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::meaning::meaning;

/// Refs reach anywhere in the corpus; http(s) refs are served from its
/// offline copies in `remote-refs/`.
fn options(corpus: &Path) -> faststream_gen::LoadOptions {
    let mut options = faststream_gen::LoadOptions::default().ref_root(corpus);
    let remote = corpus.join("remote-refs");
    for entry in std::fs::read_dir(&remote).expect("the corpus's remote-refs folder") {
        let path = entry.expect("a readable corpus folder").path();
        if path.is_dir() {
            let host = path.file_name().unwrap().to_string_lossy().into_owned();
            options = options
                .map_url(format!("https://{host}/"), path.clone())
                .map_url(format!("http://{host}/"), path);
        }
    }
    options
}

const SERVED: &[&str] = &["nats", "redis", "rediss", "amqp", "amqps", "(none)"];

/// One corpus document on its way through the round trip.
struct Doc {
    path: String,
    module: String,
    original: Value,
}

/// The crate of generated modules and their stubbed handlers, whose
/// program writes every router's export, in every version, to `out`.
/// Modules that do not compile are left out and returned with rustc's
/// first error.
fn build_and_export(work: &Path, docs: &[Doc], out: &Path) -> Vec<(String, String)> {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime");
    std::fs::write(
        work.join("Cargo.toml"),
        format!(
            "[package]\nname = \"corpus-export\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n\
             [dependencies]\nfaststream = {{ path = {:?} }}\nserde_json = \"1\"\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    // The same target folder as the generator's corpus test: the runtime
    // is built once for both.
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nested-target");
    let mut kept: Vec<&Doc> = docs.iter().collect();
    let mut broken = Vec::new();
    for _ in 0..4 {
        let mut lib = String::from("#![deny(warnings)]\n");
        let mut main = String::from(
            "fn main() {\n    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap());\n    let versions = [(faststream::AsyncApiVersion::V3_0, \"3.0\"), (faststream::AsyncApiVersion::V3_1, \"3.1\"), (faststream::AsyncApiVersion::V2_6, \"2.6\")];\n",
        );
        for d in &kept {
            let m = &d.module;
            writeln!(lib, "#[rustfmt::skip]\npub mod {m};\npub mod {m}_handler;").unwrap();
            writeln!(
                main,
                "    let export = corpus_export::{m}::router(corpus_export::{m}_handler::Nobody).asyncapi();\n    \
                 for (v, tag) in versions {{ std::fs::write(out.join(format!(\"{m}-{{tag}}.json\")), export.clone().version(v).to_json().unwrap()).unwrap(); }}"
            )
            .unwrap();
        }
        main.push_str("}\n");
        std::fs::write(work.join("src/lib.rs"), lib).unwrap();
        std::fs::write(work.join("src/main.rs"), main).unwrap();
        let run = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--quiet",
                "--offline",
                "--message-format",
                "short",
                "--",
            ])
            .arg(out)
            .current_dir(work)
            .env("CARGO_TARGET_DIR", &target)
            // A throwaway build: no debug info and no incremental state.
            .env("CARGO_PROFILE_DEV_DEBUG", "false")
            .env("CARGO_INCREMENTAL", "0")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("cargo runs");
        if run.status.success() {
            return broken;
        }
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        let bad: Vec<&Doc> = kept
            .iter()
            .copied()
            .filter(|d| {
                stderr.contains(&format!("src/{}.rs", d.module))
                    || stderr.contains(&format!("src/{}_handler.rs", d.module))
            })
            .collect();
        assert!(
            !bad.is_empty(),
            "the corpus export crate does not build or run, and no module is to blame:\n{stderr}"
        );
        for d in &bad {
            let first = stderr
                .lines()
                .find(|l| l.contains(&format!("src/{}", d.module)) && l.contains("error"))
                .unwrap_or("")
                .to_owned();
            broken.push((d.path.clone(), format!("does not compile: {first}")));
        }
        kept.retain(|d| !bad.iter().any(|b| b.module == d.module));
    }
    panic!("the corpus export crate still does not build after leaving out {broken:?}");
}

#[test]
fn the_corpus_round_trips_through_generated_code() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let index = std::fs::read_to_string(corpus.join("INDEX.tsv")).unwrap();
    let mut lines = index.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (path_col, valid_col, protocols_col) =
        (col("local_path"), col("validation"), col("protocols"));
    let options = options(&corpus);
    let settings = faststream_gen::Settings::default();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus-export-crate");
    let _ = std::fs::remove_dir_all(work.join("src"));
    std::fs::create_dir_all(work.join("src")).unwrap();
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut docs = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let served = f[protocols_col]
            .split(',')
            .all(|p| SERVED.contains(&p.trim()));
        if f[valid_col] != "valid" || !served {
            continue;
        }
        let path = corpus.join(f[path_col]);
        let checked = faststream_gen::check_file(&path, &options);
        let (Some(model), Some(document)) = (checked.model, checked.loaded.document.as_ref())
        else {
            failures.push((f[path_col].to_owned(), "does not load".into()));
            continue;
        };
        let original = serde_json::to_value(&model).unwrap();
        if original["operations"]
            .as_object()
            .is_none_or(|o| o.is_empty())
        {
            continue;
        }
        let module = format!("m{:03}", docs.len() + failures.len());
        let generated = match faststream_gen::generate(document, &settings, f[path_col]) {
            Ok(g) => g,
            Err(e) => {
                failures.push((
                    f[path_col].to_owned(),
                    format!("does not generate: {}", e.message),
                ));
                continue;
            }
        };
        let handler = faststream_gen::emit::handler_stub(
            &generated.ir,
            &generated.types,
            &settings,
            &format!("crate::{module}"),
            "Nobody",
            false,
            false,
        )
        .expect("a handler stub");
        std::fs::write(
            work.join(format!("src/{module}.rs")),
            &generated.code.single,
        )
        .unwrap();
        std::fs::write(work.join(format!("src/{module}_handler.rs")), handler).unwrap();
        docs.push(Doc {
            path: f[path_col].to_owned(),
            module,
            original,
        });
    }
    // Every qualifying document counts: the ones that did not load or
    // generate (failed already) and the ones built.
    let total = docs.len() + failures.len();
    let out = common::scratch("exports-corpus");
    failures.extend(build_and_export(&work, &docs, &out));
    let mut passed = 0;
    let mut exports: Vec<(PathBuf, String)> = Vec::new();
    for d in &docs {
        if failures.iter().any(|(p, _)| *p == d.path) {
            continue;
        }
        let mut problems = Vec::new();
        for (_, tag) in common::VERSIONS {
            let file = out.join(format!("{}-{tag}.json", d.module));
            let text =
                std::fs::read_to_string(&file).expect("the export program wrote every version");
            let checked = faststream_gen::check_str(
                Path::new(&format!("export-{tag}.json")),
                &text,
                &faststream_gen::LoadOptions::default(),
            );
            if let Some(e) = checked.diagnostics.iter().find(|d| d.is_error()) {
                problems.push(format!(
                    "the {tag} export is invalid: {} at {}",
                    e.message, e.pointer
                ));
            }
            if tag == "3.0" {
                let exported: Value = serde_json::from_str(&text).unwrap();
                let (want, got) = (meaning(&d.original), meaning(&exported));
                if want != got {
                    let op = want.keys().find(|k| got.get(*k) != want.get(*k)).cloned();
                    problems.push(format!("differs by meaning (operation {op:?})"));
                }
            }
            exports.push((file, d.path.clone()));
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push((d.path.clone(), problems.join("; ")));
        }
    }
    println!("round trip {passed}/{total}");
    for (path, why) in &failures {
        println!("  {path}: {why}");
    }
    // Every export, in every version, through the official parser: any
    // error-level diagnostic fails.
    let files: Vec<PathBuf> = exports.iter().map(|(f, _)| f.clone()).collect();
    let mut refused = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (file, errors) in common::official_parser_errors(&files) {
        let source = exports
            .iter()
            .find(|(f, _)| f.to_string_lossy() == file)
            .map_or(file.clone(), |(_, s)| s.clone());
        refused.entry(source).or_default().extend(errors);
    }
    let documents = exports.len() / 3;
    println!(
        "official parser: {} of {documents} documents' exports accepted in every version ({} files)",
        documents - refused.len(),
        files.len()
    );
    assert!(
        refused.is_empty(),
        "the official parser refuses: {refused:#?}"
    );
    assert!(total > 20, "only {total} corpus documents qualify");
    assert!(
        passed * 100 >= total * 95,
        "round trip {passed}/{total} is below 95%"
    );
}
