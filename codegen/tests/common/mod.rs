//! The conformance corpus, as tests and benchmarks find it: beside the
//! checkout at `../shared/corpus`, or wherever `FASTSTREAM_CORPUS` says.
#![allow(dead_code)] // Each test target uses part of it.

use std::path::{Path, PathBuf};

use faststream_gen::LoadOptions;

pub fn corpus_dir() -> PathBuf {
    std::env::var_os("FASTSTREAM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
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
