//! The document loader and validator on any text: YAML or JSON (by the
//! first character, as a file's name would say), with the loader's limits.
//! Nothing may panic.
#![no_main]

use std::path::Path;

use faststream_gen::{LoadOptions, check_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = if text.trim_start().starts_with('{') {
        "fuzz.json"
    } else {
        "fuzz.yaml"
    };
    let checked = check_str(Path::new(name), text, &LoadOptions::default());
    let _ = checked.bundled_value();
});
