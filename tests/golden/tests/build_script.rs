//! build.rs integration, as a user's crate outside the workspace uses it
//! (`tests/golden/build-script/`: a build script calling
//! `faststream_gen::compile`, a spec that `$ref`s a second file, and
//! `faststream::include_generated!`): it builds and runs; editing the
//! referenced file regenerates; a build with nothing changed does not run
//! the build script again; a broken spec fails the build with the rendered
//! diagnostic (pinned in `build-script/broken.stderr`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("build-script")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nested-target"),
        )
        // A throwaway build: no debug info and no incremental state.
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS")
        .env_remove("OUT_DIR")
        .output()
        .expect("cargo runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_build_script_generates_regenerates_and_reports() {
    let app = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("build-script-app");
    let _ = std::fs::remove_dir_all(&app);
    copy_dir(&fixture(), &app);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest = std::fs::read_to_string(app.join("Cargo.toml.in"))
        .unwrap()
        .replace("@RUNTIME@", &root.join("runtime").display().to_string())
        .replace("@CODEGEN@", &root.join("codegen").display().to_string());
    std::fs::write(app.join("Cargo.toml"), manifest).unwrap();
    let _ = std::fs::remove_file(app.join("broken.stderr"));

    // Builds and runs.
    let run = cargo(&app, &["run", "--quiet"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(
        text(&run.stdout).trim(),
        r#"Order { id: "o-1", quantity: Some(2) }"#
    );

    // Nothing changed: the build script does not run again.
    let again = cargo(&app, &["build", "-v"]);
    let stderr = text(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("Fresh build-script-app") && !stderr.contains("build-script-build`"),
        "{stderr}"
    );

    // The referenced file gains a field: regenerated.
    let schema = app.join("asyncapi/schemas/order.yaml");
    let original = std::fs::read_to_string(&schema).unwrap();
    std::fs::write(
        &schema,
        format!("{original}    note:\n      type: string\n"),
    )
    .unwrap();
    let run = cargo(&app, &["run", "--quiet"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(
        text(&run.stdout).trim(),
        r#"Order { id: "o-1", quantity: Some(2), note: None }"#
    );

    // Broken: the build fails with the rendered diagnostic.
    std::fs::write(&schema, original.replace("minimum: 1", "minimum: one")).unwrap();
    let broken = cargo(&app, &["build", "--quiet"]);
    assert!(!broken.status.success());
    let stderr = text(&broken.stderr);
    let start = stderr
        .find("Error: ")
        .unwrap_or_else(|| panic!("no error from the build script:\n{stderr}"));
    let shown = format!("{}\n", stderr[start..].trim_end());
    let pinned = fixture().join("broken.stderr");
    if std::fs::read_to_string(&pinned).ok().as_deref() != Some(shown.as_str()) {
        std::fs::write(&pinned, &shown).unwrap();
        panic!("build-script/broken.stderr rewritten (review and commit it):\n{shown}");
    }
}
