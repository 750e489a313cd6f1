//! The conformance corpus (`../shared/corpus`, beside the checkout): every
//! document the official parser calls valid loads and validates without
//! errors; every one it calls invalid gets at least one positioned error;
//! none panics or takes more than a second. Valid documents also survive a
//! load -> serialize -> load round trip.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::{Duration, Instant};

use faststream_gen::asyncapi::{self, emit};
use faststream_gen::{LoadOptions, check_file, check_str};

mod common;
use common::{corpus, corpus_options};

struct Row {
    path: String,
    collection: String,
    valid: bool,
}

fn rows(corpus: &Path) -> Vec<Row> {
    let index = corpus.join("INDEX.tsv");
    let text = std::fs::read_to_string(&index).unwrap_or_else(|e| {
        panic!(
            "the AsyncAPI corpus is missing: cannot read {} ({e}); it is expected at ../shared/corpus beside the checkout, or set FASTSTREAM_CORPUS",
            index.display()
        )
    });
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .expect("INDEX.tsv header")
        .split('\t')
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (p, c, v) = (col("local_path"), col("collection"), col("validation"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                path: f[p].to_owned(),
                collection: f[c].to_owned(),
                valid: f[v] == "valid",
            }
        })
        .collect()
}

#[test]
fn corpus_agrees_with_the_official_parser() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = corpus_options(&corpus);
    let rows = rows(&corpus);
    assert!(
        rows.len() > 100,
        "expected the whole corpus, found {} rows",
        rows.len()
    );
    let (mut official, mut official_ok, mut wild, mut wild_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for row in &rows {
        let path = corpus.join(&row.path);
        let started = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| check_file(&path, &options)));
        let elapsed = started.elapsed();
        let agrees = match &result {
            Err(_) => {
                failures.push(format!("{}: PANIC", row.path));
                false
            }
            Ok(checked) => {
                let errors: Vec<_> = checked
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .collect();
                if elapsed > Duration::from_secs(1) {
                    failures.push(format!("{}: took {elapsed:?}", row.path));
                }
                if row.valid && !errors.is_empty() {
                    failures.push(format!(
                        "{}: valid per the official parser, but: {}",
                        row.path,
                        errors
                            .iter()
                            .take(3)
                            .map(|d| format!(
                                "[{}] {} at #{}",
                                d.code.as_str(),
                                d.message,
                                d.pointer
                            ))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                    false
                } else if !row.valid && errors.iter().all(|d| d.span.is_none()) {
                    failures.push(format!(
                        "{}: invalid per the official parser, no positioned error found",
                        row.path
                    ));
                    false
                } else {
                    elapsed <= Duration::from_secs(1)
                }
            }
        };
        if row.collection.starts_with("official") {
            official += 1;
            official_ok += usize::from(agrees);
        } else {
            wild += 1;
            wild_ok += usize::from(agrees);
        }
    }
    println!("official: {official_ok}/{official} agree");
    println!("wild: {wild_ok}/{wild} agree");
    for f in &failures {
        println!("  {f}");
    }
    assert_eq!(
        official_ok,
        official,
        "official examples must all agree:\n{}",
        failures.join("\n")
    );
    assert!(
        wild_ok * 100 >= wild * 95,
        "wild documents: {wild_ok}/{wild} agree, below 95%:\n{}",
        failures.join("\n")
    );
}

#[test]
fn valid_corpus_documents_round_trip() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = corpus_options(&corpus);
    let mut checked_docs = 0;
    for row in rows(&corpus).iter().filter(|r| r.valid) {
        let path = corpus.join(&row.path);
        let first = check_file(&path, &options);
        let Some(model) = first.model.as_ref() else {
            continue; // Reported by the agreement test.
        };
        let value = first.bundled_value().expect("a loaded document");
        // The model survives serialization to YAML and back.
        let yaml = emit::to_yaml(model).expect("serializable model");
        let again = check_str(Path::new("roundtrip.yaml"), &yaml, &LoadOptions::default());
        let reparsed = again.bundled_value().expect("the serialized model parses");
        let (model_again, _) = asyncapi::to_v3_model(&reparsed)
            .unwrap_or_else(|e| panic!("{}: the serialized model does not load: {e}", row.path));
        assert_eq!(
            &model_again, model,
            "{}: model changed in a round trip",
            row.path
        );
        // The bundled document survives YAML and JSON serialization exactly.
        let yaml = emit::value_to_yaml(&value);
        let again = check_str(Path::new("roundtrip.yaml"), &yaml, &LoadOptions::default());
        assert_eq!(
            again.bundled_value().as_ref(),
            Some(&value),
            "{}: YAML round trip",
            row.path
        );
        let json = emit::to_json(&value).expect("json");
        let again = check_str(Path::new("roundtrip.json"), &json, &LoadOptions::default());
        assert_eq!(
            again.bundled_value().as_ref(),
            Some(&value),
            "{}: JSON round trip",
            row.path
        );
        let _ = asyncapi::SpecVersion::of(&value).expect("a known version");
        checked_docs += 1;
    }
    println!("round-tripped {checked_docs} documents");
    assert!(
        checked_docs > 90,
        "only {checked_docs} valid documents round-tripped"
    );
}
