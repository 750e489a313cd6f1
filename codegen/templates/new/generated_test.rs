//! src/{{ module }}.rs is what `faststream-gen` generates from
//! asyncapi/{{ spec_file }}: a stale module fails here.

#[test]
fn the_generated_module_is_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let checked = faststream_gen::check_file(
        &root.join("asyncapi/{{ spec_file }}"),
        &faststream_gen::LoadOptions::default(),
    );
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let generated = faststream_gen::generate(
        checked.loaded.document.as_ref().unwrap(),
        &faststream_gen::Settings::default(),
        "{{ spec_file }}",
    )
    .unwrap();
    let written = std::fs::read_to_string(root.join("src/{{ module }}.rs")).unwrap();
    assert!(
        written == generated.code.single,
        "src/{{ module }}.rs is stale: run `faststream-gen generate asyncapi/{{ spec_file }} -o src/{{ module }}.rs`"
    );
}
