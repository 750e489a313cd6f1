//! The connection every clone of a [`KafkaBroker`](super::KafkaBroker)
//! shares: the producer, the admin client, topics known to exist, each
//! group's consumers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::config::{
    CONTENT_TYPE, CORRELATION_ID, KafkaSettings, META_KEY, META_PARTITION, ProducerCtx, REPLY_TO,
    err,
};
use super::rebalance::Ctx;
use crate::bindings::KafkaBindings;
use crate::broker::{BrokerError, BrokerErrorKind, lock};
use crate::connect::ServerInfo;
use crate::envelope::Envelope;

pub(super) struct Inner {
    /// Bootstrap servers, security and `client.id`: what every client of
    /// this broker starts from.
    pub(super) base: ClientConfig,
    pub(super) producer: FutureProducer<ProducerCtx>,
    pub(super) admin: AdminClient<DefaultClientContext>,
    pub(super) settings: KafkaSettings,
    pub(super) server: ServerInfo,
    /// Topics known to exist (created or seen), so that `create_topics`
    /// costs one round trip per topic, however many publish at once.
    pub(super) topics: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<()>>>>,
    /// The consumers of each group, for a transaction that commits a
    /// consumed message's offset ([`KafkaTransaction::send_offsets`]).
    pub(super) consumers: Mutex<HashMap<String, Vec<std::sync::Weak<StreamConsumer<Ctx>>>>>,
}

impl Inner {
    /// An error naming a group whose member here holds none of its
    /// topic's partitions.
    pub(super) fn check_assignments(&self) -> Result<(), BrokerError> {
        let consumers = lock(&self.consumers);
        for (group, members) in consumers.iter() {
            if members
                .iter()
                .filter_map(std::sync::Weak::upgrade)
                .any(|c| c.context().0.starved())
            {
                return Err(err(
                    BrokerErrorKind::Connection,
                    format!(
                        "Kafka group `{group}` gave a subscriber here none of its topic's partitions (it rejoins the group by itself)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Creates `topic` once per process (with the bindings' partitions
    /// and replicas where given, else the settings').
    pub(super) async fn create_topic(
        &self,
        topic: &str,
        bindings: Option<&KafkaBindings>,
    ) -> Result<(), BrokerError> {
        let cell = lock(&self.topics)
            .entry(topic.to_owned())
            .or_default()
            .clone();
        cell.get_or_try_init(|| self.create_topic_once(topic, bindings))
            .await
            .map(|_| ())
    }

    pub(super) async fn create_topic_once(
        &self,
        topic: &str,
        bindings: Option<&KafkaBindings>,
    ) -> Result<(), BrokerError> {
        let partitions = bindings
            .and_then(|b| b.partitions)
            .unwrap_or(self.settings.partitions)
            .max(1);
        let replicas = bindings
            .and_then(|b| b.replicas)
            .map_or(self.settings.replicas, i32::from)
            .max(1);
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replicas));
        let results = self
            .admin
            .create_topics(
                [&new],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
            )
            .await
            .map_err(|e| {
                err(
                    BrokerErrorKind::Connection,
                    format!("creating topic `{topic}`: {e}"),
                )
            })?;
        for r in results {
            if let Err((_, code)) = r
                && code != RDKafkaErrorCode::TopicAlreadyExists
            {
                return Err(err(
                    BrokerErrorKind::Refused,
                    format!("creating topic `{topic}`: {code}"),
                ));
            }
        }
        Ok(())
    }

    pub(super) async fn ensure_topic(
        &self,
        topic: &str,
        bindings: Option<&KafkaBindings>,
    ) -> Result<(), BrokerError> {
        if self.settings.create_topics {
            self.create_topic(topic, bindings).await
        } else {
            Ok(())
        }
    }

    pub(super) async fn send(
        &self,
        envelope: Envelope,
        bindings: Option<&KafkaBindings>,
    ) -> Result<(), BrokerError> {
        self.send_on(&self.producer, envelope, bindings).await
    }

    /// Publishes with `producer` (the broker's, or a transaction's) and
    /// waits for the broker's acknowledgement.
    pub(super) async fn send_on(
        &self,
        producer: &FutureProducer<ProducerCtx>,
        envelope: Envelope,
        bindings: Option<&KafkaBindings>,
    ) -> Result<(), BrokerError> {
        self.ensure_topic(&envelope.channel, bindings).await?;
        let mut headers = OwnedHeaders::new_with_capacity(envelope.headers.len() + 3);
        for (k, v) in &envelope.headers {
            headers = headers.insert(Header {
                key: k,
                value: Some(v.as_bytes()),
            });
        }
        for (name, value) in [
            (CONTENT_TYPE, envelope.content_type.as_deref()),
            (CORRELATION_ID, envelope.correlation_id.as_deref()),
            (REPLY_TO, envelope.reply_to.as_deref()),
        ] {
            if let Some(v) = value {
                headers = headers.insert(Header {
                    key: name,
                    value: Some(v.as_bytes()),
                });
            }
        }
        let key = envelope.meta.get(META_KEY);
        let partition = match envelope.meta.get(META_PARTITION) {
            Some(p) => Some(p.parse::<i32>().map_err(|_| {
                err(
                    BrokerErrorKind::Refused,
                    format!("partition `{p}` is not a number"),
                )
            })?),
            None => None,
        };
        let mut record: FutureRecord<'_, str, [u8]> = FutureRecord::to(&envelope.channel)
            .payload(&envelope.payload[..])
            .headers(headers);
        if let Some(k) = key {
            record = record.key(k.as_str());
        }
        if let Some(p) = partition {
            record = record.partition(p);
        }
        let delivered = loop {
            match producer.send_result(record) {
                Ok(delivery) => break delivery,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    // The local queue is full: wait for deliveries.
                    record = r;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => return Err(err(BrokerErrorKind::Refused, e)),
            }
        };
        match delivered.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err((e, _))) => Err(match e {
                KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut) => err(
                    BrokerErrorKind::Timeout,
                    format!(
                        "Kafka did not acknowledge the message to `{}` in time (does the topic exist?)",
                        envelope.channel
                    ),
                ),
                e => err(BrokerErrorKind::Connection, e),
            }),
            Err(_) => Err(err(BrokerErrorKind::Closed, "the Kafka producer is gone")),
        }
    }
}
