//! Each adapter says which server it is connected to, and the
//! application's export lists it under `servers` with a security scheme
//! for the way it authenticates, never a secret. Runs on the local brokers
//! (NATS 4222, Redis 6379, RabbitMQ 5672 with guest/guest).

use faststream::{App, Authentication, Broker, ConnectOptions, Router, ServerInfo};

fn export(broker: impl Broker) -> serde_json::Value {
    let router = Router::new().subscriber("server-info.{id}", |_: serde_json::Value| async {
        Ok::<(), faststream::HandlerError>(())
    });
    App::new(broker)
        .include(router)
        .asyncapi()
        .to_value()
        .unwrap()
}

#[tokio::test]
async fn nats_redis_and_rabbitmq_describe_their_server() {
    let nats = faststream::nats::NatsBroker::connect_with(
        "nats://127.0.0.1:4222",
        ConnectOptions::default(),
    )
    .await
    .expect("NATS on 127.0.0.1:4222");
    let info = nats.server_info().unwrap();
    assert_eq!(
        (info.protocol.as_str(), info.host.as_str()),
        ("nats", "127.0.0.1:4222")
    );
    assert!(info.authentication.is_empty());
    let doc = export(nats);
    assert_eq!(
        doc["servers"]["development"],
        serde_json::json!({"host": "127.0.0.1:4222", "protocol": "nats"})
    );

    let redis = faststream::redis::RedisBroker::connect_with(
        "redis://127.0.0.1:6379/0",
        ConnectOptions::default(),
    )
    .await
    .expect("Redis on 127.0.0.1:6379");
    let doc = export(redis);
    assert_eq!(
        doc["servers"]["development"],
        serde_json::json!({"host": "127.0.0.1:6379", "protocol": "redis", "pathname": "/0"})
    );

    let rabbit = faststream::amqp::AmqpBroker::connect_with(
        "amqp://guest:guest@127.0.0.1:5672/",
        "amq.topic",
        ConnectOptions::default(),
    )
    .await
    .expect("RabbitMQ on 127.0.0.1:5672 (guest/guest)");
    assert_eq!(
        rabbit.server_info().unwrap().authentication,
        [Authentication::UserPassword]
    );
    let doc = export(rabbit);
    assert_eq!(
        doc["servers"]["development"],
        serde_json::json!({
            "host": "127.0.0.1:5672",
            "protocol": "amqp",
            "pathname": "/",
            "protocolVersion": "0.9.1",
            "security": [{"$ref": "#/components/securitySchemes/user-password"}]
        })
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["user-password"],
        serde_json::json!({"type": "userPassword"})
    );
    assert!(!doc.to_string().contains("guest"), "{doc}");
}

#[tokio::test]
async fn a_spec_server_with_the_same_host_is_not_listed_twice() {
    let spec = r##"{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},
        "servers":{"main":{"host":"{host}:4222","protocol":"nats","variables":{"host":{"default":"broker"}}}},
        "channels":{"c":{"address":"c"}},
        "operations":{"onC":{"action":"receive","channel":{"$ref":"#/channels/c"}}}}"##;
    let same = ServerInfo::describe("nats://broker:4222", &ConnectOptions::default());
    let other = ServerInfo::describe(
        "nats://elsewhere:4222",
        &ConnectOptions {
            token: Some("s3cret".into()),
            ..ConnectOptions::default()
        },
    )
    .named("main");
    let router = || Router::new().with_document(spec).publishes("onC");
    let doc = App::new(faststream::MemoryBroker::new().standing_in_for(same))
        .include(router())
        .asyncapi()
        .to_value()
        .unwrap();
    assert_eq!(
        doc["servers"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["main"]
    );
    let doc = App::new(faststream::MemoryBroker::new().standing_in_for(other))
        .include(router())
        .asyncapi()
        .to_value()
        .unwrap();
    // Another host: listed too, under a name of its own.
    assert_eq!(doc["servers"]["main-2"]["host"], "elsewhere:4222");
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["type"],
        "apiKey"
    );
    assert!(!doc.to_string().contains("s3cret"));
}
