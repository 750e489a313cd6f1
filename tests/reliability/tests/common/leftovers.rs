//! What the tests of the service generated from `specs/durable.yaml`
//! (`kill.rs`, `hostile.rs`) share: the broker state an earlier run left,
//! removed before a run.

/// Removes what an earlier run left: the stream (and its group), the
/// queue, the JetStream stream (and its consumer). The Kafka topic stays
/// (its group's committed offsets with it), as does the MQTT session
/// (what it kept is read first); each run's numbers carry the run's id.
pub async fn remove(path: &str) {
    match path {
        "redis" => {
            let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
            let mut conn = client
                .get_multiplexed_async_connection()
                .await
                .unwrap_or_else(|e| panic!("Redis at 127.0.0.1:6379 is required: {e}"));
            let _: () = redis::cmd("DEL")
                .arg("golden-durable-numbers")
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        "rabbitmq" => {
            let url = "amqp://guest:guest@127.0.0.1:5672/%2f";
            let c = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
                .await
                .unwrap_or_else(|e| panic!("RabbitMQ at {url} is required: {e}"));
            let ch = c.create_channel().await.unwrap();
            for q in ["golden-durable-numbers", "golden-durable-numbers.dead"] {
                let _ = ch
                    .queue_delete(
                        lapin::types::ShortString::from(q),
                        lapin::options::QueueDeleteOptions::default(),
                    )
                    .await;
            }
        }
        "kafka" => {
            let admin = faststream::kafka::KafkaBroker::connect("127.0.0.1:9092")
                .await
                .unwrap_or_else(|e| {
                    panic!("Kafka at 127.0.0.1:9092 is required (cargo xtask ci starts tansu): {e}")
                });
            // Created once; an existing topic is kept.
            let _ = admin.create_topic("golden-durable-numbers", Some(1)).await;
        }
        "nats" => {
            let url = "nats://127.0.0.1:4222";
            let js = faststream::nats::JetStreamBroker::connect(url, Vec::new())
                .await
                .unwrap_or_else(|e| panic!("NATS JetStream at {url} is required: {e}"));
            // Absent the first time.
            let _ = js.delete_stream("golden-durable").await;
        }
        "mqtt" => {}
        other => panic!("no path `{other}`"),
    }
}
