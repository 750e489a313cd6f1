//! The `$ref` resolver over a small tree of files: the input is split at
//! lines `---8<---` into `root.yaml`, `common.yaml` and `parts/more.yaml`,
//! written to a folder of this process's, and the root is loaded. No
//! panic, no endless resolution.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use faststream_gen::{LoadOptions, check_file};
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 3] = ["root.yaml", "common.yaml", "parts/more.yaml"];

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("faststream-fuzz-refs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("parts")).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = dir();
    let mut parts = text.split("\n---8<---\n");
    for file in FILES {
        std::fs::write(dir.join(file), parts.next().unwrap_or("")).unwrap();
    }
    let _ = check_file(&dir.join("root.yaml"), &LoadOptions::default());
});
