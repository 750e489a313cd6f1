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

/// Every protocol of the cursed spec has an adapter now; WebSockets has
/// none (a generated `servers` constant of a `ws` server looks like this).
const FEED: faststream::Server = faststream::Server {
    name: "ui-feed",
    protocol: "ws",
    host: "localhost:8080",
    pathname: "/feed",
    variables: &[],
    bindings: faststream::ServerBindings::NONE,
};

#[tokio::test]
async fn a_protocol_without_an_adapter_is_refused_by_name() {
    let Err(e) = faststream::connect(&FEED).await else {
        panic!("there is no WebSocket adapter");
    };
    assert!(
        e.message.contains("server `ui-feed` speaks ws"),
        "{}",
        e.message
    );
}
