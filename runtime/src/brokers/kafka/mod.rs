//! Apache Kafka through rdkafka (librdkafka, built from source by the
//! crate): topics, consumer groups, keys and partitions, request/reply on
//! a reply topic per process.
//!
//! Delivery is at least once. Each subscription is a consumer in a group
//! (the subscriber's group, or a group of its own, so that every subscriber
//! without a group gets every message). Messages of one partition are
//! handed to the handler one at a time, in offset order; partitions are
//! handled in parallel. An offset is committed only after its message has
//! been settled (acked, or rejected to the dead-letter topic), so a crash
//! redelivers what was not finished. A nack rewinds the partition to the
//! message after the retry backoff (no tight loop), with the attempt
//! counted; a reject commits past the message, as FastStream does, after
//! publishing it to the dead-letter topic when
//! [`KafkaSettings::dead_letter`] names one (`"{topic}.DLT"`, say); a
//! dead letter that cannot be published is read again after a pause, so
//! nothing is lost while the dead-letter topic is out of reach.
//!
//! A new subscription starts where its group committed; a group that has
//! committed nothing on a partition starts at the end the partition had
//! when the subscription was made (FastStream's `auto_offset_reset =
//! "latest"`, without losing what is published while the group forms), or
//! at the beginning for topics created after it subscribed.
//!
//! Wire compatible with FastStream: `content-type`, `correlation_id` and
//! `reply_to` travel as Kafka headers; the record key is
//! [`Envelope::meta`](crate::Envelope::meta)`["key"]`, and `meta["partition"]` picks a partition.
//!
//! Publishing: one `FutureProducer` per broker, with aiokafka's choices
//! (`linger.ms=0`; murmur2 partitioning of keys, a random partition for a
//! message without one), waiting for the broker's acknowledgement. Its
//! context keeps the last error librdkafka reported, so a failed connect
//! says why (a TLS handshake, SASL). librdkafka is built from source by
//! the crate, against the system's OpenSSL (TLS, SCRAM).
//!
//! Consuming: each subscription has a `StreamConsumer` and a task that
//! reads records, keeps a queue per partition and hands a partition's
//! records to the worker one at a time (a batch subscriber's up to a batch
//! at once, `SubscribeSpec::batch`). Every delivered envelope names its
//! `partition`, `offset` and `group` in its meta (`key` and `timestamp`
//! when the record has them). An acker tells the task when its record is
//! settled, and only then is the offset stored; auto-commit (every second)
//! and an asynchronous commit after every 256 stored offsets commit what
//! is stored (so that a crash hands out again a bounded number of
//! messages, not a second's worth), and a revocation and the end of the
//! subscription commit synchronously. A nack holds the partition's commits
//! at its offset at once and, after its delay, seeks the partition back to
//! the first record not settled; each partition has an epoch, bumped by a
//! rewind, so that what was handed out before it is read again and its
//! settling commits nothing. A reject holds the commits too while its dead
//! letter is published (with `x-death-reason`, `x-original-topic`,
//! `x-original-partition` and `x-original-offset` headers, and its key).
//!
//! The rebalance callback assigns explicit offsets: the group's commit,
//! else (with the default `OffsetReset::Latest`) the high watermark taken
//! when the subscription was made, else the beginning.
//! `subscribe` returns once the group has assigned partitions (a pattern
//! no topic matches yet returns at once); a `{param}` address subscribes by
//! regex, each topic then matched exactly. Topics are created only when
//! [`KafkaSettings::create_topics`] says so (`KAFKA_CREATE_TOPICS=1` for
//! `faststream::connect`; tansu, the tests' Kafka, creates none by
//! itself), shaped by the channel binding's `partitions` and `replicas`;
//! the reply topic, `faststream-inbox-<uuid>` (one per process), is always
//! created.
//! Consumers fetch with `fetch.wait.max.ms=10`: brokers that hold an idle
//! fetch for the whole wait (tansu) made librdkafka's default of 500 ms
//! cost half a second per request/reply round trip. A subscription signals
//! when its consumer has left the group (`Subscription::close`), and
//! `App::shutdown` returns after that, so that a topic can then be deleted
//! safely (a topic deleted under a live consumer crashed librdkafka's
//! metadata cache with tansu).
//!
//! Transactions: [`KafkaBroker::transactional`] (see [`KafkaTransactions`]).

mod broker;
mod config;
mod consumer;
mod inner;
mod rebalance;
mod transactions;

pub use broker::KafkaBroker;
pub use config::{
    KafkaSettings, META_GROUP, META_KEY, META_OFFSET, META_PARTITION, META_TIMESTAMP, OffsetReset,
};
pub use transactions::{KafkaTransaction, KafkaTransactions};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::config::*;
    use super::consumer::topic_pattern;
    use crate::connect::ConnectOptions;

    #[test]
    fn bootstrap_servers_from_urls() {
        assert_eq!(
            bootstrap_of("kafka://a:9092,kafka://b:9093"),
            ("a:9092,b:9093".into(), false)
        );
        assert_eq!(bootstrap_of("a:9092"), ("a:9092".into(), false));
        assert_eq!(
            bootstrap_of("kafka-secure://u:p@a:9093/"),
            ("a:9093".into(), true)
        );
    }

    #[test]
    fn settings_from_the_environment() {
        let env = std::collections::HashMap::from([
            ("KAFKA_CLIENT_ID", "billing"),
            ("KAFKA_CREATE_TOPICS", "true"),
        ]);
        let s = KafkaSettings::from_lookup(|k| env.get(k).map(|v| (*v).to_owned()));
        assert_eq!((s.client_id.as_str(), s.create_topics), ("billing", true));
        let s = KafkaSettings::from_lookup(|_| None);
        assert_eq!(s, KafkaSettings::default());
    }

    #[test]
    fn patterns_for_parameterized_topics() {
        assert_eq!(topic_pattern("logs.{level}"), r"^logs\..+$");
        assert_eq!(topic_pattern("a-{x}_b"), r"^a-.+_b$");
    }

    #[test]
    fn security_settings_never_show_the_password() {
        let options = ConnectOptions {
            user: Some("svc".into()),
            password: Some("s3cret".into()),
            sasl_mechanism: Some("scram-sha-512".into()),
            tls: true,
            ..ConnectOptions::default()
        };
        let c = base_config("kafka://k:9093", &options, &KafkaSettings::default()).unwrap();
        assert_eq!(c.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(c.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
        assert_eq!(c.get("sasl.username"), Some("svc"));
        let plain = ConnectOptions {
            user: Some("svc".into()),
            password: Some("pw".into()),
            ..ConnectOptions::default()
        };
        let c = base_config("k:9092", &plain, &KafkaSettings::default()).unwrap();
        assert_eq!(c.get("security.protocol"), Some("SASL_PLAINTEXT"));
        assert_eq!(c.get("sasl.mechanism"), Some("PLAIN"));
        let bad = ConnectOptions {
            sasl_mechanism: Some("GSSAPI".into()),
            ..plain
        };
        let e = base_config("k:9092", &bad, &KafkaSettings::default()).unwrap_err();
        assert!(e.message.contains("GSSAPI"), "{e}");
        let settings = KafkaSettings {
            properties: BTreeMap::from([("sasl.password".to_owned(), "hidden".to_owned())]),
            ..KafkaSettings::default()
        };
        assert!(!format!("{settings:?}").contains("hidden"));
        let tls_only = ConnectOptions {
            tls: true,
            ca_file: Some("ca.pem".into()),
            ..ConnectOptions::default()
        };
        let c = base_config("k:9093", &tls_only, &KafkaSettings::default()).unwrap();
        assert_eq!(c.get("security.protocol"), Some("SSL"));
        assert_eq!(c.get("ssl.ca.location"), Some("ca.pem"));
    }
}
