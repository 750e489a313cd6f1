//! Generates `specs/orders.yaml` into `OUT_DIR/orders.rs`, so that the
//! guide's `include_generated!("orders")` snippets compile as this crate's
//! doc tests, as they do in a user's crate with a build script.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    faststream_gen::compile("../../specs/orders.yaml")?;
    Ok(())
}
