//! Generates both sides of `shop.yaml` into `OUT_DIR/shop.rs`: the
//! service's handlers and publisher, and the client the HTTP side uses to
//! ask for quotes.

use faststream_gen::settings::Side;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    faststream_gen::configure()
        .side(Side::Both)
        .compile("shop.yaml")?;
    Ok(())
}
