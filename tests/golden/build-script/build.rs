fn main() -> Result<(), Box<dyn std::error::Error>> {
    faststream_gen::compile("asyncapi/orders.yaml")?;
    Ok(())
}
