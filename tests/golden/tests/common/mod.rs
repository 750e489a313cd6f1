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
