//! Generates both sides of `specs/orders.yaml` into `OUT_DIR/orders.rs`;
//! cargo runs this again when the spec changes.

use faststream_gen::settings::Side;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    faststream_gen::configure()
        .side(Side::Both)
        .compile("../../specs/orders.yaml")?;
    Ok(())
}
