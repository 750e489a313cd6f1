//! [`KafkaBroker`]: connecting, and the [`Broker`] it is.

use rdkafka::producer::Producer;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;

use super::config::{INBOX_PREFIX, KafkaSettings, ProducerCtx, base_config, err, producer_config};
use super::consumer::subscribe;
use super::inner::Inner;
use crate::bindings::{Bindings, KafkaBindings};
use crate::broker::{
    BoxFuture, Broker, BrokerError, BrokerErrorKind, SubscribeSpec, Subscription, lock,
};
use crate::connect::{ConnectOptions, ServerInfo, redact};
use crate::envelope::Envelope;

/// A Kafka broker: one producer shared by every publish, one consumer per
/// subscription.
#[derive(Clone)]
pub struct KafkaBroker {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for KafkaBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaBroker")
            .field("server", &self.inner.server)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl KafkaBroker {
    /// Connects to `url` (`kafka://host:port`, several comma-separated;
    /// `kafka-secure://` for TLS), with credentials and TLS settings from
    /// the environment (`KAFKA_USER`/`KAFKA_PASSWORD` with
    /// `KAFKA_SASL_MECHANISM` = `PLAIN` (the default), `SCRAM-SHA-256` or
    /// `SCRAM-SHA-512`; `KAFKA_TLS`, `KAFKA_CA_FILE`,
    /// `KAFKA_CERT_FILE`/`KAFKA_KEY_FILE`) and the default settings.
    pub async fn connect(url: &str) -> Result<KafkaBroker, BrokerError> {
        KafkaBroker::connect_with(
            url,
            ConnectOptions::from_env("KAFKA"),
            KafkaSettings::default(),
        )
        .await
    }

    /// Connects with the given credentials, TLS and settings. The first
    /// connection is checked (metadata within 10 s); afterwards librdkafka
    /// reconnects by itself.
    pub async fn connect_with(
        url: &str,
        options: ConnectOptions,
        settings: KafkaSettings,
    ) -> Result<KafkaBroker, BrokerError> {
        let normalized = if url.contains("://") {
            url.to_owned()
        } else {
            format!("kafka://{url}")
        };
        let server = ServerInfo::describe(&normalized, &options);
        let base = base_config(url, &options, &settings)?;
        let producer_config = producer_config(&base, &settings);
        let context = ProducerCtx::default();
        let last_error = context.last_error.clone();
        let producer: FutureProducer<ProducerCtx> = producer_config
            .create_with_context(context)
            .map_err(|e| err(BrokerErrorKind::Refused, format!("Kafka producer: {e}")))?;
        let admin: AdminClient<DefaultClientContext> = base
            .create()
            .map_err(|e| err(BrokerErrorKind::Refused, format!("Kafka admin client: {e}")))?;
        let shown = redact(url);
        let probe = producer.clone();
        let metadata = tokio::task::spawn_blocking(move || {
            probe
                .client()
                .fetch_metadata(None, Duration::from_secs(10))
                .map(|m| m.brokers().len())
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        match metadata {
            Ok(_) => {}
            Err(e) => {
                // librdkafka says why a connection failed (a TLS handshake,
                // SASL) only to the client's error callback.
                let why = lock(&last_error)
                    .take()
                    .map(|reason| format!(" ({reason})"))
                    .unwrap_or_default();
                return Err(err(
                    BrokerErrorKind::Connection,
                    format!("Kafka at {shown} did not answer within 10 s: {e}{why}"),
                ));
            }
        }
        Ok(KafkaBroker {
            inner: Arc::new(Inner {
                base,
                producer,
                admin,
                settings,
                server,
                topics: Mutex::new(HashMap::new()),
                consumers: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The settings this broker runs with.
    pub fn settings(&self) -> &KafkaSettings {
        &self.inner.settings
    }

    /// Creates a topic if it does not exist (with `partitions`, or the
    /// settings' default), whatever [`KafkaSettings::create_topics`] says.
    pub async fn create_topic(
        &self,
        topic: &str,
        partitions: Option<i32>,
    ) -> Result<(), BrokerError> {
        let bindings = KafkaBindings {
            partitions,
            ..KafkaBindings::default()
        };
        self.inner.create_topic(topic, Some(&bindings)).await
    }

    /// Deletes topics (tests clean up after themselves with it); missing
    /// ones are not an error.
    pub async fn delete_topics(&self, topics: &[&str]) -> Result<(), BrokerError> {
        let results = self
            .inner
            .admin
            .delete_topics(
                topics,
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
            )
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        for r in results {
            if let Err((topic, code)) = r
                && code != RDKafkaErrorCode::UnknownTopicOrPartition
            {
                return Err(err(
                    BrokerErrorKind::Refused,
                    format!("deleting topic `{topic}`: {code}"),
                ));
            }
        }
        let mut known = lock(&self.inner.topics);
        for t in topics {
            known.remove(*t);
        }
        Ok(())
    }

    /// The topics whose name starts with `prefix`.
    pub async fn topics_with_prefix(&self, prefix: &str) -> Result<Vec<String>, BrokerError> {
        let producer = self.inner.producer.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, Duration::from_secs(10))
                .map(|m| {
                    m.topics()
                        .iter()
                        .map(|t| t.name().to_owned())
                        .filter(|n| n.starts_with(&prefix))
                        .collect()
                })
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?
        .map_err(|e| err(BrokerErrorKind::Connection, e))
    }

    /// How many messages sit in a topic (the sum of its partitions'
    /// high watermarks minus their low ones); 0 for a missing topic.
    pub async fn message_count(&self, topic: &str) -> Result<u64, BrokerError> {
        let producer = self.inner.producer.clone();
        let topic = topic.to_owned();
        tokio::task::spawn_blocking(move || -> Result<u64, KafkaError> {
            let client = producer.client();
            let metadata = client.fetch_metadata(Some(&topic), Duration::from_secs(10))?;
            let mut n = 0u64;
            for t in metadata.topics() {
                if t.error().is_some() {
                    continue;
                }
                for p in t.partitions() {
                    let (low, high) =
                        client.fetch_watermarks(&topic, p.id(), Duration::from_secs(10))?;
                    n += u64::try_from(high - low).unwrap_or(0);
                }
            }
            Ok(n)
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?
        .map_err(|e| err(BrokerErrorKind::Connection, e))
    }
}

impl Broker for KafkaBroker {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some(self.inner.server.clone())
    }

    /// Also not ready: a subscription the group gave none of its topic's
    /// partitions (it rejoins the group by itself).
    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        // librdkafka reconnects by itself and keeps no state to read: ask
        // a broker for the cluster's metadata, within 2 s.
        let inner = self.inner.clone();
        Box::pin(async move {
            let asking = inner.clone();
            let asked = tokio::task::spawn_blocking(move || {
                asking
                    .producer
                    .client()
                    .fetch_metadata(None, Duration::from_secs(2))
                    .map(|_| ())
            })
            .await;
            match asked {
                Ok(Ok(())) => inner.check_assignments(),
                Ok(Err(e)) => Err(err(
                    BrokerErrorKind::Connection,
                    format!("Kafka metadata: {e}"),
                )),
                Err(e) => Err(err(BrokerErrorKind::Connection, e.to_string())),
            }
        })
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(self.inner.send(envelope, None))
    }

    /// The channel binding's `partitions` and `replicas` shape a topic the
    /// adapter creates ([`KafkaSettings::create_topics`]).
    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        Box::pin(self.inner.send(envelope, bindings.kafka.as_ref()))
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(subscribe(self.inner.clone(), spec))
    }

    fn new_inbox(&self) -> String {
        format!("{INBOX_PREFIX}{}", uuid::Uuid::new_v4().simple())
    }
}
