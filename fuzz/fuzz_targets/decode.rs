//! The runtime's decoders on what a broker could deliver: FastStream's
//! Redis envelope, a generated model's payload (by content type), typed
//! headers and a channel's parameters from a concrete address. Each may
//! refuse its input; none may panic.
#![no_main]

use std::collections::BTreeMap;

use faststream::__codegen::FromAddress;
use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports, clippy::all)]
#[rustfmt::skip]
#[path = "../../tests/golden/generated/shapes.rs"]
mod shapes;

fuzz_target!(|data: &[u8]| {
    // FastStream's binary envelope (and its JSON form), as Redis delivers it.
    let envelope = faststream::redis::decode_message("fuzz", data);
    // The payload as a generated model (a tagged union), in each content
    // type the codec knows.
    for content_type in ["application/json", "text/plain", "application/octet-stream"] {
        let _ =
            faststream::__codegen::decode_payload_as::<shapes::models::Event>(content_type, data);
    }
    let _ = faststream::__codegen::decode_payload_as::<shapes::models::Event>(
        "application/json",
        &envelope.payload,
    );
    // Headers: `name: value` lines.
    let text = String::from_utf8_lossy(data);
    let headers: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let _ = faststream::__codegen::decode_headers::<shapes::models::ShipmentEventHeaders>(&headers);
    let _ = faststream::__codegen::decode_headers::<shapes::models::ShipmentEventHeaders>(
        &envelope.headers,
    );
    // A concrete address against the channel's template.
    let _ = shapes::channels::Shipments::from_address(&text);
    let _ = faststream::__codegen::match_address("shipments.{region}.{id}", &text);
});
