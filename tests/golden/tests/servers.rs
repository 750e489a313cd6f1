//! The generated `servers` constants: addresses built from the spec
//! (variables filled with their defaults or first enum value), names that
//! are keywords or start with digits, and `faststream::connect` refusing a
//! protocol without an adapter, naming it.

use golden::cursed::servers;

#[test]
fn addresses_come_from_the_spec() {
    let none = |_: &str| None;
    assert_eq!(servers::TYPE.url_from(none), "nats://localhost:4222");
    assert_eq!(servers::SELF_.url_from(none), "redis://localhost:6379");
    assert_eq!(servers::_1ST.url_from(none), "amqp://localhost:5672/shop");
    assert_eq!(
        servers::TYPE.url_from(|k| (k == "FASTSTREAM_SERVER_TYPE_PORT").then(|| "4223".into())),
        "nats://localhost:4223"
    );
}

#[tokio::test]
async fn a_protocol_without_an_adapter_is_refused_by_name() {
    let Err(e) = faststream::connect(&servers::A_B).await else {
        panic!("no Kafka adapter in this build");
    };
    assert!(
        e.message.contains("server `a-b` speaks kafka"),
        "{}",
        e.message
    );
}
