//! The 2.x <-> 3.x converter on any JSON value: no panic either way, and
//! what converts to 3.x converts back to 2.6 without a panic too.
#![no_main]

use faststream_asyncapi::convert::{v2_to_v3, v3_to_v2};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(v3) = v2_to_v3(&value) {
        let _ = v3_to_v2(&v3.document);
    }
    let _ = v3_to_v2(&value);
    let _ = faststream_asyncapi::to_v3_model(&value);
});
