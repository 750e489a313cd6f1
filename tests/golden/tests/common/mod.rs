//! What the tests that talk to FastStream share.

use std::path::PathBuf;

#[allow(dead_code)]
pub mod meaning;

/// The interpreter of the virtualenv with FastStream that `cargo xtask ci`
/// (or `cargo xtask interop-setup`) makes, or the one `FASTSTREAM_PYTHON`
/// names; a missing one fails the test, naming the command that makes it.
pub fn python() -> PathBuf {
    let path = std::env::var_os("FASTSTREAM_PYTHON").map_or_else(
        || {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join("..")
                .join("faststream-venv")
                .join("bin")
                .join("python")
        },
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "no Python with FastStream at {}: run `cargo xtask interop-setup` (or `cargo xtask ci`), \
         or set FASTSTREAM_PYTHON",
        path.display()
    );
    path
}

/// The folder of the Python applications the tests talk to.
#[allow(dead_code)]
pub fn interop() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// Exports `interop/<module>.py`'s `app` with `faststream docs gen` (with
/// `env` set) and checks it is the pinned `interop/<export>-asyncapi.json`;
/// generates Rust from the pinned export with `settings` and checks it is
/// the pinned `generated/<golden>.rs`. A difference rewrites the pinned
/// file and fails (review and commit it). Returns the export's diagnostics.
#[allow(dead_code)]
pub fn pinned_export(
    module: &str,
    export: &str,
    env: &[(&str, &str)],
    golden: &str,
    settings: &faststream_gen::Settings,
) -> Vec<faststream_gen::diagnostics::Diagnostic> {
    let name = format!("{export}-asyncapi.json");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&name);
    let status = std::process::Command::new(python())
        .args([
            "-m",
            "faststream",
            "docs",
            "gen",
            &format!("{module}:app"),
            "--out",
        ])
        .arg(&out)
        .envs(env.iter().copied())
        .current_dir(interop())
        .status()
        .expect("python runs");
    assert!(status.success(), "faststream docs gen failed: {status}");
    let read = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let pinned = interop().join(&name);
    if read(&out) != read(&pinned) {
        std::fs::copy(&out, &pinned).unwrap();
        panic!("FastStream's export changed: interop/{name} rewritten (review it)");
    }
    let checked = faststream_gen::check_file(&pinned, &faststream_gen::LoadOptions::default());
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let generated =
        faststream_gen::generate(checked.loaded.document.as_ref().unwrap(), settings, &name)
            .unwrap_or_else(|d| panic!("{}", d.message));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("generated/{golden}.rs"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.code.single.as_str()) {
        std::fs::write(&path, &generated.code.single).unwrap();
        panic!("generated/{golden}.rs rewritten (review and commit it)");
    }
    checked.diagnostics
}

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

/// The fleet's Kafka topics (FastStream's fixed names).
#[allow(dead_code)]
pub const FLEET_KAFKA_TOPICS: &[&str] = &["fleet-orders", "fleet-orders-done"];

/// Fresh fleet topics on the local Kafka (tansu, like many clusters,
/// creates none by itself, and FastStream does not either): deleted, then
/// created with one partition. Returns the admin, to delete them after.
#[allow(dead_code)]
pub async fn fresh_fleet_kafka_topics() -> faststream::kafka::KafkaBroker {
    let admin = faststream::kafka::KafkaBroker::connect("127.0.0.1:9092")
        .await
        .unwrap_or_else(|e| {
            panic!("Kafka at 127.0.0.1:9092 is required (cargo xtask ci starts tansu): {e}")
        });
    admin
        .delete_topics(FLEET_KAFKA_TOPICS)
        .await
        .expect("old topics deleted");
    for topic in FLEET_KAFKA_TOPICS {
        admin
            .create_topic(topic, Some(1))
            .await
            .expect("the topics exist");
    }
    admin
}
