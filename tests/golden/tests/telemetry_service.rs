//! The service generated from `specs/telemetry.yaml`, run on Kafka and
//! MQTT: what the spec's bindings say is what the brokers get, checked with
//! the brokers' own client crates.
//!
//! - Kafka: the topic the adapter creates has the three partitions of the
//!   kafka channel binding; the generated publisher takes the record key
//!   the kafka message binding types, so one sensor's readings share a
//!   partition, whether sent one by one or as one batch.
//! - MQTT: the mqtt operation bindings' QoS 1 reaches both the publish and
//!   the subscription, and `retain: true` leaves the last status with the
//!   broker for a client that subscribes later.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faststream::{App, Context, HandlerError};
use golden::telemetry::channels::{Readings, Status};
use golden::telemetry::models::{DeviceStatus, Reading};
use golden::telemetry::{Handler, Publisher, router};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A reading as the handler saw it: (site, sensor, key, partition).
type SeenReading = (String, String, Option<String>, String);

/// What the handler saw: readings, and statuses as (device, QoS meta).
#[derive(Default)]
struct Seen {
    readings: Mutex<Vec<SeenReading>>,
    statuses: Mutex<Vec<(String, Option<String>)>>,
}

struct Telemetry(Arc<Seen>);

impl Handler for Telemetry {
    async fn on_reading(
        &self,
        message: Reading,
        params: Readings,
        ctx: Context,
    ) -> Result<(), HandlerError> {
        let meta = &ctx.envelope().meta;
        self.0.readings.lock().unwrap().push((
            params.site,
            message.sensor_id,
            meta.get("key").cloned(),
            meta.get("partition").cloned().unwrap_or_default(),
        ));
        Ok(())
    }

    async fn on_status(
        &self,
        message: DeviceStatus,
        _params: Status,
        ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0
            .statuses
            .lock()
            .unwrap()
            .push((message.device, ctx.envelope().meta.get("qos").cloned()));
        Ok(())
    }
}

fn unique() -> String {
    faststream::uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_creates_the_topic_of_the_binding_and_keys_each_reading() {
    use faststream::kafka::{KafkaBroker, KafkaSettings};
    use rdkafka::producer::{BaseProducer, Producer};

    let site = format!("s{}", unique());
    let topic = format!("golden.telemetry.{site}");
    let url = golden::telemetry::servers::KAFKA.url();
    // The adapter creates topics when told to (tansu creates none itself).
    let settings = KafkaSettings {
        create_topics: true,
        ..KafkaSettings::from_env()
    };
    let broker = KafkaBroker::connect_with(&url, faststream::ConnectOptions::default(), settings)
        .await
        .unwrap_or_else(|e| {
            panic!("Kafka at {url} is required (cargo xtask ci starts tansu): {e}")
        });

    let seen = Arc::new(Seen::default());
    let app = App::with_broker(Arc::new(broker.clone()))
        .include(router(Telemetry(seen.clone())))
        .start()
        .await
        .expect("the service starts");
    let publisher = Publisher::new(app.publisher().clone());
    let sensors = ["boiler", "pump", "valve", "fan"];
    let params = Readings { site: site.clone() };
    for i in 0..16 {
        let sensor = sensors[i % sensors.len()];
        let reading = Reading {
            sensor_id: sensor.to_owned(),
            value: i as f64,
        };
        publisher
            .send_reading(&params, &reading, Some(sensor))
            .await
            .expect("published with its key");
    }
    // The generated batch method: one call, one key for the batch.
    let batch: Vec<Reading> = (0..8)
        .map(|i| Reading {
            sensor_id: "chiller".to_owned(),
            value: f64::from(100 + i),
        })
        .collect();
    publisher
        .send_reading_batch(&params, &batch, Some("chiller"))
        .await
        .expect("the batch is published with its key");
    let ours = |seen: &Seen| {
        seen.readings
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == site)
            .cloned()
            .collect::<Vec<_>>()
    };
    until("24 readings", || ours(&seen).len() >= 24).await;
    let readings = ours(&seen);
    assert_eq!(readings.len(), 24, "{readings:?}");
    // Each record carries its sensor as the key, and one sensor's
    // readings are in one partition.
    for (_, sensor, key, _) in &readings {
        assert_eq!(key.as_deref(), Some(sensor.as_str()), "{readings:?}");
    }
    for sensor in sensors.into_iter().chain(["chiller"]) {
        let partitions: std::collections::BTreeSet<&str> = readings
            .iter()
            .filter(|r| r.1 == sensor)
            .map(|r| r.3.as_str())
            .collect();
        assert_eq!(partitions.len(), 1, "{sensor}: {readings:?}");
    }

    // The topic has the binding's three partitions (read with rdkafka).
    let metadata_topic = topic.clone();
    let bootstrap = url.trim_start_matches("kafka://").to_owned();
    let partitions = tokio::task::spawn_blocking(move || {
        let producer: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .expect("an rdkafka client");
        let metadata = producer
            .client()
            .fetch_metadata(Some(&metadata_topic), Duration::from_secs(10))
            .expect("metadata");
        metadata
            .topics()
            .iter()
            .find(|t| t.name() == metadata_topic)
            .map(|t| t.partitions().len())
    })
    .await
    .unwrap();
    assert_eq!(
        partitions,
        Some(3),
        "`{topic}` has the partitions of its binding"
    );

    app.shutdown().await;
    broker
        .delete_topics(&[&topic])
        .await
        .expect("the topic is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_takes_qos_and_retain_from_the_operation_bindings() {
    use rumqttc::v5::mqttbytes::QoS;
    use rumqttc::v5::mqttbytes::v5::Packet;
    use rumqttc::v5::{AsyncClient, Event, MqttOptions};

    let device = format!("d{}", unique());
    let server = golden::telemetry::servers::MQTT;
    let url = server.url();
    // The adapter's default QoS is FastStream's, 0: what is 1 here comes
    // from the bindings.
    let broker = faststream::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("MQTT is not reachable at {url}: {e}"));
    let seen = Arc::new(Seen::default());
    let app = App::with_broker(broker)
        .include(router(Telemetry(seen.clone())))
        .start()
        .await
        .expect("the service starts");
    let publisher = Publisher::new(app.publisher().clone());
    let status = DeviceStatus {
        device: device.clone(),
        online: true,
    };
    publisher
        .send_status(
            &Status {
                device: device.clone(),
            },
            &status,
        )
        .await
        .expect("published (and acknowledged: QoS 1)");
    let ours = |seen: &Seen| {
        seen.statuses
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.0 == device)
            .cloned()
            .collect::<Vec<_>>()
    };
    until("the status", || !ours(&seen).is_empty()).await;
    // Delivered at the lower of the publish's and the subscription's QoS:
    // both are the bindings' 1.
    assert_eq!(ours(&seen)[0].1.as_deref(), Some("1"));
    app.shutdown().await;

    // Retained: a client subscribing now still gets it, flagged so.
    let topic = format!("golden/status/{device}");
    let mut options = MqttOptions::new(format!("golden-{}", unique()), "127.0.0.1", 1883);
    options.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = AsyncClient::new(options, 16);
    client
        .subscribe(topic.clone(), QoS::AtLeastOnce)
        .await
        .unwrap();
    let retained = tokio::time::timeout(TIMEOUT, async {
        loop {
            if let Event::Incoming(Packet::Publish(p)) = events.poll().await.expect("MQTT") {
                return p;
            }
        }
    })
    .await
    .expect("the retained status");
    assert!(retained.retain, "the status is retained");
    let payload: serde_json::Value = serde_json::from_slice(&retained.payload).unwrap();
    assert_eq!(payload["device"], device.as_str());
    // Clean up: an empty retained message clears it.
    client
        .publish(topic, QoS::AtLeastOnce, true, Vec::<u8>::new())
        .await
        .unwrap();
    tokio::time::timeout(TIMEOUT, async {
        loop {
            if let Event::Incoming(Packet::PubAck(_)) = events.poll().await.expect("MQTT") {
                return;
            }
        }
    })
    .await
    .expect("the retained status is cleared");
}
