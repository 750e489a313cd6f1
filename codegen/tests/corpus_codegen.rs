//! Code generation over the whole conformance corpus: every document the
//! official parser calls valid generates; all the generated modules compile
//! together in one crate with `#![deny(warnings)]` (one build for the
//! corpus); every message example decodes into its generated type and
//! encodes back to equal JSON.

use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use faststream_gen::emit::type_path;
use faststream_gen::{Settings, check_file, generate};
use serde_json::Value;

mod common;
use common::{corpus, corpus_options};

struct Doc {
    path: String,
    official: bool,
}

fn valid_docs(corpus: &Path) -> Vec<Doc> {
    let text = std::fs::read_to_string(corpus.join("INDEX.tsv"))
        .expect("corpus INDEX.tsv (../shared/corpus)");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (p, c, v) = (col("local_path"), col("collection"), col("validation"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() > v && f[v] == "valid")
        .map(|f| Doc {
            path: f[p].to_owned(),
            official: f[c].starts_with("official"),
        })
        .collect()
}

/// One example to check: (module, Rust type, JSON text, where it came
/// from, whether it conforms to its schema per the oracle).
type Example = (usize, String, String, String, bool);

/// Whether `value` conforms to the schema at `pointer` in `doc`, according
/// to an independent JSON Schema validator (draft 7, like the AsyncAPI
/// schema; formats are not asserted).
fn conforms(doc: &Value, pointer: &str, value: &Value) -> bool {
    let mut root = doc.clone();
    root.as_object_mut()
        .unwrap()
        .insert("$ref".into(), Value::String(format!("#{pointer}")));
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&root)
    {
        Ok(v) => v.is_valid(value),
        Err(_) => true,
    }
}

#[test]
fn corpus_generates_compiles_and_round_trips_examples() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = corpus_options(&corpus);
    let docs = valid_docs(&corpus);
    let settings = Settings::default();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus-crate");
    let src = work.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(work.join("tests")).unwrap();

    let mut generated = Vec::new(); // (index into docs, module name)
    let mut failures = Vec::new();
    let mut examples: Vec<Example> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let path = corpus.join(&doc.path);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let checked = check_file(&path, &options);
            let document = checked.loaded.document.as_ref().ok_or("did not load")?;
            generate(document, &settings, &doc.path).map_err(|d| d.message)
        }));
        let module = format!("m{i:03}");
        match result {
            Ok(Ok(g)) => {
                std::fs::write(src.join(format!("{module}.rs")), &g.code.single).unwrap();
                for m in &g.ir.messages {
                    let Some(list) = g
                        .document
                        .pointer(&format!("{}/examples", m.pointer))
                        .and_then(Value::as_array)
                    else {
                        continue;
                    };
                    for (part, ty) in [("payload", &m.payload), ("headers", &m.headers)] {
                        let Some(ty) = ty else { continue };
                        let schema_ptr = format!("{}/{part}", m.pointer);
                        let json_schema = g
                            .document
                            .pointer(&schema_ptr)
                            .is_some_and(|p| p.get("schemaFormat").is_none());
                        for (n, ex) in list.iter().enumerate() {
                            let Some(value) = ex.get(part) else { continue };
                            let rust =
                                type_path(ty, &g.types, &settings, &format!("crate::{module}"));
                            let ok = !json_schema || conforms(&g.document, &schema_ptr, value);
                            let origin = format!("{}#{}/examples/{n}/{part}", doc.path, m.pointer);
                            examples.push((i, rust, value.to_string(), origin, ok));
                        }
                    }
                }
                generated.push((i, module));
            }
            Ok(Err(e)) => failures.push(format!("{}: generation failed: {e}", doc.path)),
            Err(_) => failures.push(format!("{}: generation panicked", doc.path)),
        }
    }

    // Build all modules in one crate; a module that fails to compile is
    // reported and left out, and the rest built again.
    common::scratch_crate(&work, "corpus-generated");
    let mut compiled: Vec<(usize, String)> = generated.clone();
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nested-target");
    let mut attempts = 0;
    let example_results = loop {
        attempts += 1;
        let mut lib = String::from("#![deny(warnings)]\n");
        for (_, module) in &compiled {
            writeln!(lib, "#[rustfmt::skip]\npub mod {module};").unwrap();
        }
        std::fs::write(src.join("lib.rs"), lib).unwrap();
        let kept: Vec<&Example> = examples
            .iter()
            .filter(|e| compiled.iter().any(|(i, _)| *i == e.0))
            .collect();
        let mut test = String::from(
            "use corpus_generated as _;\n\
             use serde_json::Value;\n\
             /// JSON equality; numbers compare by value (`1` equals `1.0`).\n\
             fn same(a: &Value, b: &Value) -> bool {\n\
                 match (a, b) {\n\
                     (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),\n\
                     (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),\n\
                     (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),\n\
                     _ => a == b,\n\
                 }\n\
             }\n\
             fn check<T: faststream::__codegen::serde::de::DeserializeOwned + faststream::__codegen::serde::Serialize + faststream::Validate>(json: &str) -> Result<(), String> {\n\
                 let value: Value = serde_json::from_str(json).unwrap();\n\
                 let decoded: T = faststream::decode_json(json.as_bytes()).map_err(|e| e.to_string())?;\n\
                 let back = serde_json::to_value(&decoded).map_err(|e| e.to_string())?;\n\
                 if same(&back, &value) { Ok(()) } else { Err(format!(\"re-encoded as {back}\")) }\n\
             }\n\
             #[test]\nfn examples() {\n    let mut results = Vec::new();\n",
        );
        for (_, ty, json, origin, conforming) in &kept {
            writeln!(
                test,
                "    results.push(({origin:?}, {conforming}, check::<{ty}>({json:?})));",
                ty = ty.replace("crate::", "corpus_generated::")
            )
            .unwrap();
        }
        test.push_str(
            "    let out: Vec<String> = results.iter().map(|(o, c, r)| match (c, r) { (true, Ok(())) => format!(\"ok\\t{o}\"), (true, Err(e)) => format!(\"fail\\t{o}\\t{e}\"), (false, Err(e)) => format!(\"rejected\\t{o}\\t{e}\"), (false, Ok(())) => format!(\"accepted\\t{o}\") }).collect();\n    std::fs::write(std::env::var(\"EXAMPLES_OUT\").unwrap(), out.join(\"\\n\")).unwrap();\n}\n",
        );
        std::fs::write(work.join("tests/examples.rs"), test).unwrap();
        let results_file = work.join("examples.out");
        let _ = std::fs::remove_file(&results_file);
        let out = common::cargo_offline(
            &work,
            &[
                "test",
                "--quiet",
                "--message-format",
                "short",
                "--test",
                "examples",
            ],
            &[
                ("CARGO_TARGET_DIR", target.as_path()),
                ("EXAMPLES_OUT", results_file.as_path()),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if let Ok(text) = std::fs::read_to_string(&results_file) {
            break text;
        }
        // Which modules failed?
        let bad: Vec<String> = compiled
            .iter()
            .filter(|(_, m)| stderr.contains(&format!("src/{m}.rs")))
            .map(|(_, m)| m.clone())
            .collect();
        assert!(
            !bad.is_empty() && attempts < 4,
            "the generated corpus crate does not build, and no module is to blame:\n{stderr}"
        );
        for m in &bad {
            let i = compiled.iter().find(|(_, x)| x == m).unwrap().0;
            let first_error = stderr
                .lines()
                .find(|l| l.contains(&format!("src/{m}.rs")) && l.contains("error"))
                .unwrap_or("")
                .to_owned();
            failures.push(format!("{}: does not compile: {first_error}", docs[i].path));
        }
        compiled.retain(|(_, m)| !bad.contains(m));
    };

    let ok_examples = example_results
        .lines()
        .filter(|l| l.starts_with("ok\t"))
        .count();
    let total_examples = example_results
        .lines()
        .filter(|l| l.starts_with("ok\t") || l.starts_with("fail\t"))
        .count();
    let rejected = example_results
        .lines()
        .filter(|l| l.starts_with("rejected\t"))
        .count();
    let accepted = example_results
        .lines()
        .filter(|l| l.starts_with("accepted\t"))
        .count();
    for l in example_results.lines().filter(|l| !l.starts_with("ok\t")) {
        failures.push(format!("example {l}"));
    }
    let count = |official: bool, set: &[(usize, String)]| {
        set.iter()
            .filter(|(i, _)| docs[*i].official == official)
            .count()
    };
    let official_total = docs.iter().filter(|d| d.official).count();
    let all = docs.len();
    println!(
        "generated {}/{all}, compiled {}/{all}, examples {ok_examples}/{total_examples}",
        generated.len(),
        compiled.len()
    );
    println!(
        "examples that do not conform to their own schema (per an independent validator): {} rejected, {accepted} accepted",
        rejected
    );
    println!(
        "official: generated {}/{official_total}, compiled {}/{official_total}",
        count(true, &generated),
        count(true, &compiled)
    );
    for f in &failures {
        println!("  {f}");
    }
    let official_examples_failed = example_results
        .lines()
        .filter(|l| l.starts_with("fail\t") && l.contains("\tofficial/"))
        .count();
    assert_eq!(
        count(true, &compiled),
        official_total,
        "every official example must generate and compile"
    );
    assert_eq!(
        official_examples_failed, 0,
        "every official message example must round-trip"
    );
    assert!(
        compiled.len() * 100 >= all * 95,
        "compiled {}/{all}, below 95%",
        compiled.len()
    );
    assert!(
        ok_examples * 100 >= total_examples * 95,
        "examples {ok_examples}/{total_examples}, below 95%"
    );
    assert!(
        total_examples >= 15,
        "too few examples checked: {total_examples}"
    );
    assert_eq!(
        accepted, 0,
        "non-conforming examples must be refused on decode"
    );
}

#[test]
fn corpus_generation_is_deterministic() {
    let Some(corpus) = corpus() else {
        return;
    };
    let options = corpus_options(&corpus);
    let settings = Settings::default();
    let run = || -> Vec<String> {
        valid_docs(&corpus)
            .iter()
            .map(|doc| {
                let checked = check_file(&corpus.join(&doc.path), &options);
                let document = checked.loaded.document.as_ref().expect("loads");
                generate(document, &settings, &doc.path)
                    .map(|g| g.code.single)
                    .unwrap_or_default()
            })
            .collect()
    };
    let (first, second) = (run(), run());
    assert_eq!(first.len(), second.len());
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        assert!(
            a == b,
            "document {i} generated different bytes on a second run"
        );
    }
    assert!(first.iter().all(|c| !c.is_empty()));
}
