//! The conformance corpus, as tests and benchmarks find it: beside the
//! checkout at `../shared/corpus`, or wherever `FASTSTREAM_CORPUS` says.
#![allow(dead_code)] // Each test target uses part of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faststream_gen::LoadOptions;

pub fn corpus_dir() -> PathBuf {
    std::env::var_os("FASTSTREAM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
}

/// The corpus folder. Absent, it is a failure naming where it was looked
/// for, unless `cargo xtask ci` runs without it
/// (`FASTSTREAM_CORPUS_ABSENT=skip`, which it sets outside CI and reports
/// at the end): then `None`, and the suite does not run.
pub fn corpus() -> Option<PathBuf> {
    let dir = corpus_dir();
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

/// Refs may reach anywhere in the corpus; http(s) refs are served from the
/// offline copies in `remote-refs/` (never fetched).
pub fn corpus_options(corpus: &Path) -> LoadOptions {
    let mut options = LoadOptions::default().ref_root(corpus);
    let remote = corpus.join("remote-refs");
    for entry in std::fs::read_dir(&remote).expect("the corpus's remote-refs folder") {
        let entry = entry.expect("a readable corpus folder");
        if entry.path().is_dir() {
            let host = entry.file_name().to_string_lossy().into_owned();
            options = options
                .map_url(format!("https://{host}/"), entry.path())
                .map_url(format!("http://{host}/"), entry.path());
        }
    }
    options
}

/// The `n` largest documents (by lines) the official parser calls valid
/// that load without errors here, largest first, loaded.
pub fn largest_documents(corpus: &Path, n: usize) -> Vec<faststream_gen::Checked> {
    let text = std::fs::read_to_string(corpus.join("INDEX.tsv")).expect("INDEX.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (p, l, v) = (col("local_path"), col("lines"), col("validation"));
    let mut docs: Vec<(PathBuf, usize)> = lines
        .map(|x| x.split('\t').collect::<Vec<_>>())
        .filter(|f| f[v] == "valid")
        .map(|f| (corpus.join(f[p]), f[l].parse().unwrap_or(0)))
        .collect();
    docs.sort_by_key(|(_, lines)| std::cmp::Reverse(*lines));
    let options = corpus_options(corpus);
    docs.iter()
        .map(|(path, _)| faststream_gen::check_file(path, &options))
        .filter(|c| c.model.is_some())
        .take(n)
        .collect()
}

/// Writes the manifest of a scratch crate that uses the runtime (and
/// `serde_json`), with the workspace's lock file beside it so that it
/// builds with the versions the workspace builds with.
pub fn scratch_crate(work: &Path, name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::write(
        work.join("Cargo.toml"),
        format!(
            "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n\
             [dependencies]\nfaststream = {{ path = {:?} }}\nserde_json = \"1\"\n",
            root.join("runtime").display().to_string()
        ),
    )
    .unwrap();
    if !work.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock")).unwrap();
    }
}

/// Runs `cargo <args>` offline in `work`. When a crate of the lock file
/// has not been downloaded yet (a fresh machine that has built only this
/// package), it fetches once and runs again.
pub fn cargo_offline(work: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let run = || {
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(args)
            .arg("--offline")
            .current_dir(work)
            .envs(envs.iter().copied())
            // A throwaway build: no debug info and no incremental state,
            // the two that make a target folder several times larger.
            .env("CARGO_PROFILE_DEV_DEBUG", "false")
            .env("CARGO_INCREMENTAL", "0")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("cargo runs")
    };
    fetched_if_missing(work, run(), run)
}

/// `out` of an offline cargo run in `dir`; when it failed because a crate
/// is not downloaded yet (a fresh machine that has built only this
/// package), fetches once and returns what `again` gives.
pub fn fetched_if_missing(dir: &Path, out: Output, again: impl FnOnce() -> Output) -> Output {
    if !String::from_utf8_lossy(&out.stderr).contains("--offline was specified") {
        return out;
    }
    let fetch = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("fetch")
        .current_dir(dir)
        .status()
        .expect("cargo fetch runs");
    assert!(fetch.success(), "cargo fetch failed in {}", dir.display());
    again()
}
