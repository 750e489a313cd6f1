//! What the tests that talk to FastStream share.

use std::path::PathBuf;

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
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Exports `python/<module>.py`'s `app` with `faststream docs gen` (with
/// `env` set) and checks it is the pinned `python/<export>-asyncapi.json`;
/// generates Rust from the pinned export with `settings` and checks it is
/// the pinned `tests/golden/generated/<golden>.rs`. A difference rewrites the pinned
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
        panic!("FastStream's export changed: tests/interop/python/{name} rewritten (review it)");
    }
    let checked = faststream_gen::check_file(&pinned, &faststream_gen::LoadOptions::default());
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let generated =
        faststream_gen::generate(checked.loaded.document.as_ref().unwrap(), settings, &name)
            .unwrap_or_else(|d| panic!("{}", d.message));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../golden/generated")
        .join(format!("{golden}.rs"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.code.single.as_str()) {
        std::fs::write(&path, &generated.code.single).unwrap();
        panic!("tests/golden/generated/{golden}.rs rewritten (review and commit it)");
    }
    checked.diagnostics
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
