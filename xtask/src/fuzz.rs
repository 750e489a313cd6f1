//! `cargo xtask fuzz [--time SECS] [TARGET...]`: builds the fuzz targets
//! of `fuzz/` with cargo-fuzz (libFuzzer; `--sanitizer none`, which the
//! stable toolchain builds) and runs each for SECS seconds (60 unless
//! given), starting from its checked-in corpus `fuzz/corpus/<target>`
//! (seeds, and the input of every crash found so far) and, for the
//! targets that read documents, `specs/` or the pinned exports of
//! `tests/interop/python/`. New inputs go to
//! `target/fuzz/corpus/<target>`, a crash's input to
//! `target/fuzz/artifacts/<target>/`, and a crash fails the task naming
//! it. `ci` runs every target for a few seconds.

use super::{cargo, root, run, target_dir};

/// The targets, as `fuzz/Cargo.toml` names them.
pub const TARGETS: &[&str] = &["load", "refs", "convert", "generate", "decode"];

/// The cargo-fuzz release the task installs when none is.
const CARGO_FUZZ: &str = "0.13.2";

pub fn fuzz(args: &[String]) -> Result<(), String> {
    let mut seconds = 60u64;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--time" {
            seconds = args
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or("--time takes a number of seconds")?;
        } else if TARGETS.contains(&arg.as_str()) {
            targets.push(arg.clone());
        } else {
            return Err(format!(
                "unknown fuzz target `{arg}` (the targets: {})",
                TARGETS.join(", ")
            ));
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    run_targets(&targets, seconds)
}

pub fn run_targets(targets: &[String], seconds: u64) -> Result<(), String> {
    cargo_fuzz_setup()?;
    let out = target_dir().join("fuzz");
    let mut build = cargo();
    build
        .args(["fuzz", "build", "--sanitizer", "none", "--target-dir"])
        .arg(&out);
    run(build)?;
    for target in targets {
        let found = out.join("corpus").join(target);
        let artifacts = out.join("artifacts").join(target);
        std::fs::create_dir_all(&found).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
        // Crashes found so far (and seeds of the target's own).
        let regressions = root().join("fuzz").join("corpus").join(target);
        std::fs::create_dir_all(&regressions).map_err(|e| e.to_string())?;
        let mut fuzz = cargo();
        fuzz.args(["fuzz", "run", "--sanitizer", "none", "--target-dir"])
            .arg(&out)
            .arg(target)
            .arg(&found)
            .arg(&regressions);
        // The project's documents seed the targets that read documents.
        match target.as_str() {
            "load" | "generate" => {
                fuzz.arg(root().join("specs"));
            }
            "convert" => {
                fuzz.arg(root().join("tests/interop/python"));
            }
            _ => {}
        }
        fuzz.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            // A document that takes more than 10 s, or 2 GiB, is a bug.
            .arg("-timeout=10")
            .arg("-rss_limit_mb=2048")
            .arg("-print_final_stats=1");
        run(fuzz).map_err(|e| {
            format!(
                "{e}: the fuzz target `{target}` found a crash; its input is in {} (fix it, then copy it into fuzz/corpus/{target}/, which every run replays first)",
                artifacts.display()
            )
        })?;
    }
    Ok(())
}

/// cargo-fuzz, installed from crates.io when missing.
fn cargo_fuzz_setup() -> Result<(), String> {
    let installed = cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("cargo-fuzz is missing: installing it");
        let mut install = cargo();
        install.args(["install", "--locked", "cargo-fuzz", "--version", CARGO_FUZZ]);
        run(install)?;
    }
    Ok(())
}
