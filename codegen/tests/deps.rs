//! Dependency rules (ARCHITECTURE.md): the generator never depends on the
//! runtime, an async runtime or a broker client; the document model depends
//! on nothing but serde.

use std::process::Command;

fn tree(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
            package,
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

const BROKERS_AND_RUNTIME: &[&str] = &[
    "faststream",
    "tokio",
    "async-std",
    "rdkafka",
    "lapin",
    "async-nats",
    "redis",
    "rumqttc",
];

#[test]
fn generator_does_not_depend_on_runtime_or_brokers() {
    let deps = tree("faststream-gen");
    assert!(deps.iter().any(|d| d == "faststream-asyncapi"), "{deps:?}");
    for forbidden in BROKERS_AND_RUNTIME {
        assert!(
            !deps.iter().any(|d| d == forbidden),
            "faststream-gen depends on {forbidden}"
        );
    }
}

#[test]
fn model_depends_only_on_serde_and_regex_lite() {
    let allowed = [
        "faststream-asyncapi",
        // The schema checker's `pattern` (no dependencies of its own).
        "regex-lite",
        "serde",
        "serde_core",
        "serde_derive",
        "serde_json",
        "indexmap",
        "equivalent",
        "foldhash",
        "hashbrown",
        "itoa",
        "memchr",
        "ryu",
        "proc-macro2",
        "quote",
        "syn",
        "unicode-ident",
        "zmij",
    ];
    let deps = tree("faststream-asyncapi");
    let extra: Vec<_> = deps
        .iter()
        .filter(|d| !allowed.contains(&d.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "faststream-asyncapi has unexpected dependencies: {extra:?}"
    );
}
