//! The export on the AsyncAPI corpus (`../shared/corpus` beside the
//! checkout, or `FASTSTREAM_CORPUS`): for every document the official
//! parser calls valid whose servers the runtime serves (NATS, Redis,
//! RabbitMQ; or that names none), a router carrying the bundled document
//! with every operation registered (what a generated router registers:
//! its receive operations as routes, its send operations as publishers;
//! `export.rs` checks that on `specs/`) is exported, the export compared
//! with the document by meaning, and each version of it (3.0, 3.1, 2.6)
//! validated by the generator. Prints "round trip N/M"; at least 95%.

use std::path::{Path, PathBuf};

use faststream::Router;

mod common;
use common::meaning::meaning;

fn corpus_dir() -> PathBuf {
    std::env::var_os("FASTSTREAM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

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

#[test]
fn the_corpus_round_trips_through_the_export() {
    let corpus = corpus_dir();
    let index = std::fs::read_to_string(corpus.join("INDEX.tsv")).unwrap_or_else(|e| {
        panic!(
            "the AsyncAPI corpus is missing at {} ({e}): put it at ../shared/corpus beside the checkout, or set FASTSTREAM_CORPUS",
            corpus.display()
        )
    });
    let mut lines = index.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (path_col, valid_col, protocols_col) =
        (col("local_path"), col("validation"), col("protocols"));
    let options = options(&corpus);
    let (mut total, mut passed, mut failures) = (0, 0, Vec::new());
    let scratch = common::scratch("exports-corpus");
    let mut exports = Vec::new();
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
        let Some(model) = checked.model else {
            failures.push(format!("{}: does not load", f[path_col]));
            total += 1;
            continue;
        };
        let original = serde_json::to_value(&model).unwrap();
        if original["operations"]
            .as_object()
            .is_none_or(|o| o.is_empty())
        {
            continue;
        }
        total += 1;
        let document: &'static str =
            Box::leak(serde_json::to_string(&original).unwrap().into_boxed_str());
        let mut router = Router::new().with_document(document);
        for key in original["operations"].as_object().unwrap().keys() {
            router = router.publishes(key.clone());
        }
        let export = router.asyncapi();
        let exported = export.to_value().unwrap();
        let mut problems = common::generator_errors(&export);
        for file in common::write_exports(&scratch, &total.to_string(), &export) {
            exports.push((file, f[path_col].to_owned()));
        }
        let (want, got) = (meaning(&original), meaning(&exported));
        if want != got {
            let op = want.keys().find(|k| got.get(*k) != want.get(*k)).cloned();
            problems.push(format!("differs by meaning (operation {op:?})"));
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!("{}: {}", f[path_col], problems.join("; ")));
        }
    }
    println!("round trip {passed}/{total}");
    for f in &failures {
        println!("  {f}");
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
        "round trip {passed}/{total} is below 95%:\n{}",
        failures.join("\n")
    );
}
