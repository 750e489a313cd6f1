//! The generator on every document the loader accepts: no panic, and the
//! code it writes parses as Rust.
#![no_main]

use std::path::Path;

use faststream_gen::{LoadOptions, Settings, check_str, generate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let checked = check_str(Path::new("fuzz.yaml"), text, &LoadOptions::default());
    if checked.has_errors() {
        return;
    }
    let Some(document) = checked.loaded.document.as_ref() else {
        return;
    };
    if let Ok(generated) = generate(document, &Settings::default(), "fuzz.yaml")
        && let Err(e) = syn::parse_file(&generated.code.single)
    {
        panic!(
            "the generated code does not parse: {e}\n{}",
            generated.code.single
        );
    }
});
