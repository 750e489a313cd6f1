//! What the export tests share: the official parser, the corpus, the
//! exports written in every version and checked by the generator.

use std::path::PathBuf;

#[allow(dead_code)]
pub mod meaning;

/// Checks documents with the official JavaScript parser (@asyncapi/parser
/// 3.6, which `cargo xtask ci` or `cargo xtask parser-setup` installs into
/// `<target>/asyncapi-parser`, or the folder `ASYNCAPI_PARSER_DIR` names;
/// a missing one fails the test, naming the command that makes it).
/// Returns each file that has error-level diagnostics, with them.
#[allow(dead_code)]
pub fn official_parser_errors(files: &[PathBuf]) -> Vec<(String, Vec<String>)> {
    let dir = std::env::var_os("ASYNCAPI_PARSER_DIR").map_or_else(
        || {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join("..")
                .join("asyncapi-parser")
        },
        PathBuf::from,
    );
    assert!(
        dir.join("node_modules/@asyncapi/parser").is_dir(),
        "no @asyncapi/parser at {}: run `cargo xtask parser-setup` (or `cargo xtask ci`), or set ASYNCAPI_PARSER_DIR",
        dir.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("parser/validate.cjs");
    let out = std::process::Command::new("node")
        .arg(&script)
        .args(files)
        .env("ASYNCAPI_PARSER_DIR", &dir)
        .output()
        .expect("node runs (Node.js is needed for the official parser)");
    assert!(
        out.status.success(),
        "the official parser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut checked = 0;
    let mut failing = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        checked += 1;
        let errors: Vec<String> = v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{}: {} at /{}",
                    e["code"],
                    e["message"],
                    e["path"].as_str().unwrap_or("")
                )
            })
            .collect();
        if !errors.is_empty() {
            failing.push((v["file"].as_str().unwrap_or("").to_owned(), errors));
        }
    }
    assert_eq!(
        checked,
        files.len(),
        "the official parser checked every file"
    );
    failing
}

/// The AsyncAPI corpus (`../shared/corpus` beside the checkout, or
/// `FASTSTREAM_CORPUS`). Absent, it is a failure naming where it was looked
/// for, unless `cargo xtask ci` runs without it
/// (`FASTSTREAM_CORPUS_ABSENT=skip`, which it sets outside CI and reports
/// at the end): then `None`, and the suite does not run.
#[allow(dead_code)]
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("FASTSTREAM_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    if dir.join("INDEX.tsv").is_file() {
        return Some(dir);
    }
    if std::env::var("FASTSTREAM_CORPUS_ABSENT").as_deref() == Ok("skip") {
        eprintln!(
            "no AsyncAPI corpus at {}: this corpus suite does not run",
            dir.display()
        );
        return None;
    }
    panic!(
        "the AsyncAPI corpus is missing at {}: put it at ../shared/corpus beside the checkout, or set FASTSTREAM_CORPUS",
        dir.display()
    );
}

/// A folder of its own under the tests' scratch space, empty.
#[allow(dead_code)]
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The versions every export is checked in, with their file tags.
#[allow(dead_code)]
pub const VERSIONS: [(faststream::AsyncApiVersion, &str); 3] = [
    (faststream::AsyncApiVersion::V3_0, "3.0"),
    (faststream::AsyncApiVersion::V3_1, "3.1"),
    (faststream::AsyncApiVersion::V2_6, "2.6"),
];

/// Writes `export` in every version to `dir/<name>-<tag>.json`.
#[allow(dead_code)]
pub fn write_exports(
    dir: &std::path::Path,
    name: &str,
    export: &faststream::AsyncApiDocument,
) -> Vec<PathBuf> {
    VERSIONS
        .iter()
        .map(|(version, tag)| {
            let file = dir.join(format!("{name}-{tag}.json"));
            std::fs::write(&file, export.clone().version(*version).to_json().unwrap()).unwrap();
            file
        })
        .collect()
}

/// What the generator's validation refuses in `export`, in every version:
/// the first error of each version that has one.
#[allow(dead_code)]
pub fn generator_errors(export: &faststream::AsyncApiDocument) -> Vec<String> {
    VERSIONS
        .iter()
        .filter_map(|(version, tag)| {
            let text = export.clone().version(*version).to_json().unwrap();
            let checked = faststream_gen::check_str(
                std::path::Path::new(&format!("export-{tag}.json")),
                &text,
                &faststream_gen::LoadOptions::default(),
            );
            checked.diagnostics.iter().find(|d| d.is_error()).map(|d| {
                format!(
                    "the {tag} export is invalid: {} at {}",
                    d.message, d.pointer
                )
            })
        })
        .collect()
}
