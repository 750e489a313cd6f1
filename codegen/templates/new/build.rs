//! Generates the module of `asyncapi/{{ spec_file }}` into `OUT_DIR` (again
//! whenever the document or a file it references changes).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    faststream_gen::compile("asyncapi/{{ spec_file }}")?;
    Ok(())
}
