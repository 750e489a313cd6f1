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
//! [`Envelope::meta`]`["key"]`, and `meta["partition"]` picks a partition.
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
//! commits what is stored, and a revocation and the end of the
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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::{mpsc, watch};

use crate::address::{has_params, matches_address};
use crate::bindings::{Bindings, KafkaBindings};
use crate::broker::{
    Acker, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec, Subscription,
    lock,
};
use crate::connect::{ConnectOptions, ServerInfo, redact};
use crate::envelope::Envelope;

mod transactions;
pub use transactions::{KafkaTransaction, KafkaTransactions};

const CONTENT_TYPE: &str = "content-type";
const CORRELATION_ID: &str = "correlation_id";
const REPLY_TO: &str = "reply_to";
/// Reply topics: one per process, created when its first request is made.
const INBOX_PREFIX: &str = "faststream-inbox-";

/// The `meta` keys of a Kafka envelope.
pub const META_KEY: &str = "key";
pub const META_PARTITION: &str = "partition";
pub const META_OFFSET: &str = "offset";
pub const META_TIMESTAMP: &str = "timestamp";
/// The consumer group that read the message.
pub const META_GROUP: &str = "group";

fn err(kind: BrokerErrorKind, e: impl fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

/// Where a group that has committed nothing on a partition starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OffsetReset {
    /// At the end the partition had when the subscription was made
    /// (FastStream's default, `latest`).
    #[default]
    Latest,
    /// At the beginning of the partition.
    Earliest,
}

/// How the Kafka adapter behaves; `Default` is FastStream's behaviour.
#[derive(Clone, PartialEq, Eq)]
pub struct KafkaSettings {
    /// `client.id` of the producer and the consumers.
    pub client_id: String,
    /// Create topics that do not exist (when subscribing, and before the
    /// first publish to a topic), with [`KafkaSettings::partitions`] and
    /// [`KafkaSettings::replicas`] unless the channel's binding says.
    /// Off by default: most clusters create topics through their own
    /// tooling (or auto-create them).
    pub create_topics: bool,
    pub partitions: i32,
    pub replicas: i32,
    /// The dead-letter topic of a topic: `{topic}` is replaced by the
    /// topic's name (`Some("{topic}.DLT".into())`). `None` (FastStream's
    /// way, the default): a rejected message is logged and skipped. The
    /// topic must exist, or be created by the broker or by
    /// [`KafkaSettings::create_topics`].
    pub dead_letter: Option<String>,
    pub offset_reset: OffsetReset,
    /// How long `subscribe` waits for the group to assign partitions.
    pub subscribe_timeout: Duration,
    /// How long a publish waits for the broker's acknowledgement.
    pub publish_timeout: Duration,
    /// More librdkafka properties for every client (they win over the
    /// adapter's own, except the group and commit settings).
    pub properties: BTreeMap<String, String>,
}

impl Default for KafkaSettings {
    fn default() -> KafkaSettings {
        KafkaSettings {
            client_id: "faststream".into(),
            create_topics: false,
            partitions: 1,
            replicas: 1,
            dead_letter: None,
            offset_reset: OffsetReset::Latest,
            subscribe_timeout: Duration::from_secs(30),
            publish_timeout: Duration::from_secs(30),
            properties: BTreeMap::new(),
        }
    }
}

impl KafkaSettings {
    /// The defaults, with `KAFKA_CLIENT_ID` and `KAFKA_CREATE_TOPICS`
    /// (`1` or `true`) from the environment ([`crate::connect`] uses it).
    pub fn from_env() -> KafkaSettings {
        KafkaSettings::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`KafkaSettings::from_env`] over any lookup.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> KafkaSettings {
        let mut s = KafkaSettings::default();
        if let Some(id) = lookup("KAFKA_CLIENT_ID").filter(|v| !v.is_empty()) {
            s.client_id = id;
        }
        s.create_topics = lookup("KAFKA_CREATE_TOPICS")
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
        s
    }
}

impl fmt::Debug for KafkaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Properties may hold secrets (`sasl.password`): names only.
        f.debug_struct("KafkaSettings")
            .field("client_id", &self.client_id)
            .field("create_topics", &self.create_topics)
            .field("partitions", &self.partitions)
            .field("replicas", &self.replicas)
            .field("dead_letter", &self.dead_letter)
            .field("offset_reset", &self.offset_reset)
            .field("subscribe_timeout", &self.subscribe_timeout)
            .field("publish_timeout", &self.publish_timeout)
            .field("properties", &self.properties.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A Kafka broker: one producer shared by every publish, one consumer per
/// subscription.
#[derive(Clone)]
pub struct KafkaBroker {
    inner: Arc<Inner>,
}

struct Inner {
    /// Bootstrap servers, security and `client.id`: what every client of
    /// this broker starts from.
    base: ClientConfig,
    producer: FutureProducer<ProducerCtx>,
    admin: AdminClient<DefaultClientContext>,
    settings: KafkaSettings,
    server: ServerInfo,
    /// Topics known to exist (created or seen), so that `create_topics`
    /// costs one round trip per topic, however many publish at once.
    topics: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<()>>>>,
    /// The consumers of each group, for a transaction that commits a
    /// consumed message's offset ([`KafkaTransaction::send_offsets`]).
    consumers: Mutex<HashMap<String, Vec<std::sync::Weak<StreamConsumer<Ctx>>>>>,
}

impl fmt::Debug for KafkaBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaBroker")
            .field("server", &self.inner.server)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// The bootstrap servers of a URL (`kafka://a:9092,kafka://b:9092`,
/// `kafka://a:9092,b:9092` or `a:9092`), and whether its scheme asks for
/// TLS (`kafka-secure`, `ssl`).
pub(crate) fn bootstrap_of(url: &str) -> (String, bool) {
    let mut tls = false;
    let servers = url
        .split(',')
        .map(|part| {
            let part = part.trim();
            let rest = match part.split_once("://") {
                Some((scheme, rest)) => {
                    let scheme = scheme.to_ascii_lowercase();
                    tls |= matches!(scheme.as_str(), "kafka-secure" | "ssl" | "sasl_ssl");
                    rest
                }
                None => part,
            };
            // No user information and no path.
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            rest.split(['/', '?']).next().unwrap_or_default().to_owned()
        })
        .collect::<Vec<_>>()
        .join(",");
    (servers, tls)
}

/// The client configuration every client of the broker starts from:
/// bootstrap servers, security (never logged) and the user's properties.
pub(crate) fn base_config(
    url: &str,
    options: &ConnectOptions,
    settings: &KafkaSettings,
) -> Result<ClientConfig, BrokerError> {
    let (servers, url_tls) = bootstrap_of(url);
    if servers.is_empty() {
        return Err(err(
            BrokerErrorKind::Refused,
            format!("no Kafka bootstrap server in `{}`", redact(url)),
        ));
    }
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", servers)
        .set("client.id", &settings.client_id)
        .set("log_level", "3");
    let tls = options.tls || url_tls;
    let sasl = options.user.is_some() || options.password.is_some();
    let protocol = match (sasl, tls) {
        (true, true) => "SASL_SSL",
        (true, false) => "SASL_PLAINTEXT",
        (false, true) => "SSL",
        (false, false) => "PLAINTEXT",
    };
    c.set("security.protocol", protocol);
    if sasl {
        let mechanism = options
            .sasl_mechanism
            .as_deref()
            .unwrap_or("PLAIN")
            .to_ascii_uppercase();
        if !matches!(
            mechanism.as_str(),
            "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512"
        ) {
            return Err(err(
                BrokerErrorKind::Refused,
                format!(
                    "SASL mechanism `{mechanism}` is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)"
                ),
            ));
        }
        c.set("sasl.mechanism", mechanism)
            .set("sasl.username", options.user.clone().unwrap_or_default())
            .set(
                "sasl.password",
                options.password.clone().unwrap_or_default(),
            );
    }
    if let Some(ca) = &options.ca_file {
        c.set("ssl.ca.location", ca.display().to_string());
    }
    match (&options.cert_file, &options.key_file) {
        (Some(cert), Some(key)) => {
            c.set("ssl.certificate.location", cert.display().to_string())
                .set("ssl.key.location", key.display().to_string());
        }
        (None, None) => {}
        _ => {
            return Err(err(
                BrokerErrorKind::Refused,
                "a client certificate needs both a certificate and a key file",
            ));
        }
    }
    for (k, v) in &settings.properties {
        c.set(k, v);
    }
    Ok(c)
}

/// The configuration of a producer of the broker (the shared one, or a
/// transaction's).
fn producer_config(base: &ClientConfig, settings: &KafkaSettings) -> ClientConfig {
    let mut config = base.clone();
    config
        // aiokafka's way: no waiting for a batch, a random partition
        // for a message without a key.
        .set("linger.ms", "0")
        .set("sticky.partitioning.linger.ms", "0")
        // The Java client's and aiokafka's partition for a key.
        .set("partitioner", "murmur2_random")
        .set(
            "message.timeout.ms",
            settings.publish_timeout.as_millis().to_string(),
        );
    for (k, v) in &settings.properties {
        config.set(k, v);
    }
    config
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

impl Inner {
    /// Creates `topic` once per process (with the bindings' partitions
    /// and replicas where given, else the settings').
    async fn create_topic(
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

    async fn create_topic_once(
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

    async fn ensure_topic(
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

    async fn send(
        &self,
        envelope: Envelope,
        bindings: Option<&KafkaBindings>,
    ) -> Result<(), BrokerError> {
        self.send_on(&self.producer, envelope, bindings).await
    }

    /// Publishes with `producer` (the broker's, or a transaction's) and
    /// waits for the broker's acknowledgement.
    async fn send_on(
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
            (CONTENT_TYPE, &envelope.content_type),
            (CORRELATION_ID, &envelope.correlation_id),
            (REPLY_TO, &envelope.reply_to),
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

impl Broker for KafkaBroker {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some(self.inner.server.clone())
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

/// `a.{x}.b` -> `^a\.(.+)\.b$`, librdkafka's topic pattern (parameters are
/// checked exactly with [`matches_address`] on every record).
pub(crate) fn topic_pattern(address: &str) -> String {
    let mut out = String::from("^");
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        escape_into(&mut out, &rest[..start]);
        out.push_str(".+");
        rest = &rest[start + len + 1..];
    }
    escape_into(&mut out, rest);
    out.push('$');
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() && c != '_' && c != '-' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A topic and partition.
type Tp = (String, i32);

/// What the consumer's rebalance callback shares with its task.
struct Shared {
    /// The high watermark of each partition when the subscription was
    /// made: where a group with no commit starts (`Latest`).
    start: HashMap<Tp, i64>,
    reset: OffsetReset,
    /// Counts assignments (the first one ends `subscribe`).
    assignments: watch::Sender<u64>,
    /// Partitions taken away since the task last looked.
    revoked: Mutex<Vec<Tp>>,
}

/// The producer's context: remembers the last error librdkafka reported
/// (why a broker could not be reached: a TLS handshake, SASL), for the
/// error [`KafkaBroker::connect_with`] returns.
#[derive(Default)]
pub(crate) struct ProducerCtx {
    last_error: Arc<Mutex<Option<String>>>,
}

impl ClientContext for ProducerCtx {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(error = %error, reason, "Kafka producer");
        // "n/n brokers are down" follows the error that says why.
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::AllBrokersDown) {
            *lock(&self.last_error) = Some(reason.to_owned());
        }
    }
}

struct Ctx(Arc<Shared>);

impl ClientContext for Ctx {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(error = %error, reason, "Kafka consumer");
    }
}

impl ConsumerContext for Ctx {
    fn rebalance(
        &self,
        base: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let shared = &self.0;
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                // Each partition starts where the group committed, else as
                // the reset policy says, from the watermarks taken when the
                // subscription was made.
                let committed = base
                    .committed_offsets(tpl.clone(), Duration::from_secs(10))
                    .ok();
                let mut start = TopicPartitionList::new();
                for e in tpl.elements() {
                    let (topic, partition) = (e.topic(), e.partition());
                    let done = committed
                        .as_ref()
                        .and_then(|c| c.find_partition(topic, partition))
                        .map(|c| c.offset());
                    let offset = match (done, shared.reset) {
                        (Some(Offset::Offset(n)), _) => Offset::Offset(n),
                        (_, OffsetReset::Earliest) => Offset::Beginning,
                        // A partition or topic that came after the
                        // subscription: all of it is new.
                        (_, OffsetReset::Latest) => shared
                            .start
                            .get(&(topic.to_owned(), partition))
                            .map_or(Offset::Beginning, |&high| Offset::Offset(high)),
                    };
                    let _ = start.add_partition_offset(topic, partition, offset);
                }
                if let Err(e) = base.assign(&start) {
                    tracing::error!(error = %e, "Kafka: could not take the assigned partitions");
                }
                shared.assignments.send_modify(|n| *n += 1);
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                // What was settled is committed before the partitions go.
                let _ = base.commit_consumer_state(CommitMode::Sync);
                lock(&shared.revoked).extend(
                    tpl.elements()
                        .iter()
                        .map(|e| (e.topic().to_owned(), e.partition())),
                );
                let _ = base.unassign();
            }
            other => {
                tracing::warn!(error = ?other, "Kafka rebalance failed");
                let _ = base.unassign();
            }
        }
    }
}

/// A record read from Kafka, waiting for its partition to be free.
struct Record {
    envelope: Envelope,
    offset: i64,
    attempt: u32,
}

/// What ackers tell the subscription's task; each event names the epoch
/// of the partition its message was handed out in.
enum Event {
    /// The message at `offset` is done: commit past it.
    Settled(Tp, i64, u64),
    /// A nack or a dead-letter publish of `offset` is under way: nothing
    /// at or after it is committed until it is settled or rewound.
    Hold(Tp, i64, u64),
    /// Read the partition again from `offset` (a nack, after its delay),
    /// as attempt `attempt` (from an earlier held offset, if any).
    Rewind(Tp, i64, u32, u64),
}

#[derive(Default)]
struct PartitionState {
    queue: VecDeque<Record>,
    /// Messages of this partition with the handler (one at a time, or up
    /// to a batch).
    in_flight: usize,
    /// Bumped by a rewind (and a revocation): what was handed out before
    /// is read again, so its settling commits nothing.
    epoch: u64,
    /// See [`Event::Hold`]: the offsets held.
    holds: std::collections::BTreeSet<i64>,
    /// The highest offset settled in this epoch (committed once no hold
    /// is before it).
    settled: Option<i64>,
    /// After a rewind: records before this offset are dropped until it
    /// comes again.
    expect: Option<i64>,
    /// The attempt of a rewound offset.
    attempts: HashMap<i64, u32>,
}

async fn subscribe(inner: Arc<Inner>, spec: SubscribeSpec) -> Result<Subscription, BrokerError> {
    let template = spec.address.clone();
    let pattern = has_params(&template);
    if template.starts_with(INBOX_PREFIX) {
        // A reply topic is this process's own: it is always created.
        let one = KafkaBindings {
            partitions: Some(1),
            ..KafkaBindings::default()
        };
        inner.create_topic(&template, Some(&one)).await?;
    } else if !pattern {
        inner
            .ensure_topic(&template, spec.bindings.kafka.as_ref())
            .await?;
    }
    // Where each partition stands now.
    let start = {
        let producer = inner.producer.clone();
        let template = template.clone();
        tokio::task::spawn_blocking(move || -> Result<_, KafkaError> {
            let client = producer.client();
            let metadata = if pattern {
                client.fetch_metadata(None, Duration::from_secs(10))?
            } else {
                client.fetch_metadata(Some(&template), Duration::from_secs(10))?
            };
            let mut start = HashMap::new();
            for t in metadata.topics() {
                let matching = if pattern {
                    matches_address(&template, t.name())
                } else {
                    t.name() == template
                };
                if !matching || t.error().is_some() {
                    continue;
                }
                for p in t.partitions() {
                    let (_, high) =
                        client.fetch_watermarks(t.name(), p.id(), Duration::from_secs(10))?;
                    start.insert((t.name().to_owned(), p.id()), high);
                }
            }
            Ok(start)
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?
        .map_err(|e| err(BrokerErrorKind::Connection, format!("Kafka metadata: {e}")))?
    };
    let (assignments, mut assigned) = watch::channel(0u64);
    let shared = Arc::new(Shared {
        start,
        reset: inner.settings.offset_reset,
        assignments,
        revoked: Mutex::new(Vec::new()),
    });
    let group = spec
        .group
        .clone()
        .unwrap_or_else(|| format!("faststream-{}", uuid::Uuid::new_v4().simple()));
    let mut config = inner.base.clone();
    config
        .set("group.id", &group)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.partition.eof", "false")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "3000")
        // A fetch returns within 10 ms when there is nothing (librdkafka
        // waits 500 ms by default, which brokers that hold a fetch until
        // then, tansu among them, turn into half a second per reply).
        .set("fetch.wait.max.ms", "10")
        .set(
            "auto.offset.reset",
            match inner.settings.offset_reset {
                OffsetReset::Latest => "latest",
                OffsetReset::Earliest => "earliest",
            },
        );
    if let Some(id) = spec
        .bindings
        .kafka
        .as_ref()
        .and_then(|k| k.client_id.as_deref())
    {
        // The operation binding's `clientId`.
        config.set("client.id", id);
    }
    if pattern {
        // New topics matching the pattern are found this often.
        config.set("topic.metadata.refresh.interval.ms", "1000");
    }
    let consumer: StreamConsumer<Ctx> = config
        .create_with_context(Ctx(shared.clone()))
        .map_err(|e| err(BrokerErrorKind::Refused, format!("Kafka consumer: {e}")))?;
    let topic = if pattern {
        topic_pattern(&template)
    } else {
        template.clone()
    };
    consumer.subscribe(&[&topic]).map_err(|e| {
        err(
            BrokerErrorKind::Refused,
            format!("subscribing to `{topic}`: {e}"),
        )
    })?;
    let consumer = Arc::new(consumer);
    {
        // Ended subscriptions' entries go (a group of its own per
        // subscriber without one would otherwise stay forever).
        let mut consumers = lock(&inner.consumers);
        consumers.retain(|_, members| {
            members.retain(|c| c.strong_count() > 0);
            !members.is_empty()
        });
        consumers
            .entry(group.clone())
            .or_default()
            .push(Arc::downgrade(&consumer));
    }
    let prefetch = spec.prefetch.max(1);
    let (tx, rx) = mpsc::channel(prefetch + 1);
    let (events_tx, events) = mpsc::unbounded_channel();
    let task = Task {
        consumer: consumer.clone(),
        shared: shared.clone(),
        inner: inner.clone(),
        template,
        group: group.clone(),
        pattern,
        prefetch,
        partitions: HashMap::new(),
        buffered: 0,
        per_partition: spec.batch.unwrap_or(1).max(1),
        tx,
        events_tx,
    };
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        task.run(events).await;
        let _ = closed_tx.send(());
    });
    // Subscribed means the group has given this consumer its partitions.
    // A pattern no topic matches yet gets none (librdkafka joins the group
    // once one does): every topic it matches later is read from its
    // beginning, so nothing published after this point is missed.
    let subscription = Subscription::new(rx).with_close_signal(closed);
    if shared.start.is_empty() && pattern {
        return Ok(subscription);
    }
    let timeout = inner.settings.subscribe_timeout;
    match tokio::time::timeout(timeout, assigned.wait_for(|n| *n > 0)).await {
        Ok(Ok(_)) => Ok(subscription),
        _ => Err(err(
            BrokerErrorKind::Timeout,
            format!(
                "Kafka group `{group}` assigned no partitions of `{topic}` within {} s",
                timeout.as_secs()
            ),
        )),
    }
}

/// One subscription's consumer loop: reads records, hands each partition's
/// records over one at a time, commits what was settled.
struct Task {
    consumer: Arc<StreamConsumer<Ctx>>,
    shared: Arc<Shared>,
    inner: Arc<Inner>,
    template: String,
    /// The consumer group (written into every envelope's meta).
    group: String,
    pattern: bool,
    prefetch: usize,
    partitions: HashMap<Tp, PartitionState>,
    /// Records read and not yet settled (queued or with the handler).
    buffered: usize,
    /// Records of one partition handed out at once (1, or a batch).
    per_partition: usize,
    tx: mpsc::Sender<Delivery>,
    events_tx: mpsc::UnboundedSender<Event>,
}

impl Task {
    async fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        let consumer = self.consumer.clone();
        loop {
            self.forget_revoked();
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(e) => self.on_event(e),
                    None => break,
                },
                () = self.tx.closed() => break,
                msg = consumer.recv(), if self.buffered < self.prefetch => match msg {
                    Ok(m) => self.on_record(&m),
                    Err(e) => {
                        tracing::warn!(error = %e, topic = %self.template, "Kafka consumer");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        // What was settled before the subscription ended is committed, then
        // the consumer leaves its group (blocking calls: off the runtime).
        while let Ok(e) = events.try_recv() {
            self.on_event(e);
        }
        let consumer = self.consumer.clone();
        drop(self);
        let _ = tokio::task::spawn_blocking(move || {
            let _ = consumer.commit_consumer_state(CommitMode::Sync);
            drop(consumer);
        })
        .await;
    }

    fn forget_revoked(&mut self) {
        let revoked = std::mem::take(&mut *lock(&self.shared.revoked));
        for tp in revoked {
            if let Some(p) = self.partitions.remove(&tp) {
                // Queued records go back to the group; those with the
                // handler still count until they settle (in an epoch of
                // their own: the partition is not ours to commit).
                self.buffered -= p.queue.len();
                if p.in_flight > 0 {
                    self.partitions.insert(
                        tp,
                        PartitionState {
                            in_flight: p.in_flight,
                            epoch: p.epoch + 1,
                            ..PartitionState::default()
                        },
                    );
                }
            }
        }
    }

    fn on_record(&mut self, m: &rdkafka::message::BorrowedMessage<'_>) {
        // A rebalance runs inside the poll that returned this record: what
        // it revoked goes before the record (of the new assignment) is
        // queued.
        self.forget_revoked();
        let topic = m.topic();
        if self.pattern && !matches_address(&self.template, topic) {
            return;
        }
        let tp = (topic.to_owned(), m.partition());
        let offset = m.offset();
        let state = self.partitions.entry(tp.clone()).or_default();
        if let Some(expected) = state.expect {
            if offset != expected {
                // Read before the rewind took effect.
                return;
            }
            state.expect = None;
        }
        let attempt = state.attempts.remove(&offset).unwrap_or(1);
        let mut envelope = envelope_of(m);
        envelope
            .meta
            .insert(META_OFFSET.to_owned(), offset.to_string());
        envelope
            .meta
            .insert(META_GROUP.to_owned(), self.group.clone());
        state.queue.push_back(Record {
            envelope,
            offset,
            attempt,
        });
        self.buffered += 1;
        self.pump(&tp);
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Settled(tp, offset, epoch) => {
                let Some(state) = self.partitions.get_mut(&tp) else {
                    return;
                };
                state.in_flight = state.in_flight.saturating_sub(1);
                self.buffered = self.buffered.saturating_sub(1);
                if epoch == state.epoch {
                    state.settled = state.settled.max(Some(offset));
                    state.holds.remove(&offset);
                    // Stored now, committed by the next auto-commit (or
                    // when the partition is revoked, or the subscription
                    // ends). librdkafka stores `offset + 1`, the next one
                    // to read.
                    if let Some(last) = state.settled
                        && state.holds.first().is_none_or(|h| last < *h)
                        && let Err(e) = self.consumer.store_offset(&tp.0, tp.1, last)
                    {
                        tracing::debug!(error = %e, topic = %tp.0, "offset not stored (partition revoked?)");
                    }
                }
                self.pump(&tp);
            }
            Event::Hold(tp, offset, epoch) => {
                if let Some(state) = self.partitions.get_mut(&tp)
                    && epoch == state.epoch
                {
                    state.holds.insert(offset);
                }
            }
            Event::Rewind(tp, offset, attempt, epoch) => {
                let Some(state) = self.partitions.get_mut(&tp) else {
                    return;
                };
                state.in_flight = state.in_flight.saturating_sub(1);
                self.buffered = self.buffered.saturating_sub(1);
                if epoch != state.epoch {
                    // An earlier rewind reads this one again too.
                    self.pump(&tp);
                    return;
                }
                // The handler's message and everything after it are read
                // again, from the first one not settled.
                state.attempts.insert(offset, attempt);
                let offset = state.holds.first().map_or(offset, |h| offset.min(*h));
                state.epoch += 1;
                state.holds.clear();
                state.settled = None;
                self.buffered = self.buffered.saturating_sub(state.queue.len());
                state.queue.clear();
                state.expect = Some(offset);
                if let Err(e) =
                    self.consumer
                        .seek(&tp.0, tp.1, Offset::Offset(offset), Duration::from_secs(0))
                {
                    tracing::warn!(error = %e, topic = %tp.0, offset, "Kafka: could not rewind to a nacked message; it comes again after a restart or rebalance");
                }
            }
        }
    }

    /// Hands the partition's next records to the handler, up to
    /// `per_partition` with it at once.
    fn pump(&mut self, tp: &Tp) {
        loop {
            let Some(state) = self.partitions.get_mut(tp) else {
                return;
            };
            if state.in_flight >= self.per_partition {
                return;
            }
            let Some(record) = state.queue.pop_front() else {
                return;
            };
            state.in_flight += 1;
            let epoch = state.epoch;
            self.hand_out(tp, record, epoch);
        }
    }

    fn hand_out(&mut self, tp: &Tp, record: Record, epoch: u64) {
        let acker = KafkaAcker {
            tp: tp.clone(),
            offset: record.offset,
            epoch,
            attempt: record.attempt,
            events: self.events_tx.clone(),
            inner: self.inner.clone(),
            // A copy for the dead-letter topic, when there is one.
            envelope: self
                .inner
                .settings
                .dead_letter
                .is_some()
                .then(|| record.envelope.clone()),
        };
        let delivery = Delivery {
            acker: Box::new(acker),
            envelope: record.envelope,
            attempt: record.attempt,
        };
        // Never full: at most `prefetch` records are buffered.
        if self.tx.try_send(delivery).is_err() {
            tracing::debug!("the subscription is closing");
        }
    }
}

/// The envelope of a Kafka record.
fn envelope_of(m: &rdkafka::message::BorrowedMessage<'_>) -> Envelope {
    let mut envelope = Envelope {
        channel: m.topic().to_owned(),
        payload: bytes::Bytes::copy_from_slice(m.payload().unwrap_or_default()),
        ..Envelope::default()
    };
    if let Some(headers) = m.headers() {
        for h in headers.iter() {
            let value = String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned();
            match h.key {
                CONTENT_TYPE => envelope.content_type = Some(value),
                CORRELATION_ID => envelope.correlation_id = Some(value),
                REPLY_TO => envelope.reply_to = Some(value),
                other => {
                    envelope.headers.insert(other.to_owned(), value);
                }
            }
        }
    }
    if let Some(key) = m.key() {
        envelope.meta.insert(
            META_KEY.to_owned(),
            String::from_utf8_lossy(key).into_owned(),
        );
    }
    envelope
        .meta
        .insert(META_PARTITION.to_owned(), m.partition().to_string());
    if let Some(ts) = m.timestamp().to_millis() {
        envelope
            .meta
            .insert(META_TIMESTAMP.to_owned(), ts.to_string());
    }
    envelope
}

struct KafkaAcker {
    tp: Tp,
    offset: i64,
    epoch: u64,
    attempt: u32,
    events: mpsc::UnboundedSender<Event>,
    inner: Arc<Inner>,
    /// A copy for the dead-letter topic (when there is one).
    envelope: Option<Envelope>,
}

impl Acker for KafkaAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        let _ = self
            .events
            .send(Event::Settled(self.tp, self.offset, self.epoch));
        Box::pin(async { Ok(()) })
    }

    fn nack(
        self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        // Nothing after it is committed while the delay runs.
        let _ = self
            .events
            .send(Event::Hold(self.tp.clone(), self.offset, self.epoch));
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let _ = self.events.send(Event::Rewind(
                self.tp,
                self.offset,
                self.attempt + 1,
                self.epoch,
            ));
            Ok(())
        })
    }

    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        if self.envelope.is_some() {
            // Nothing after it is committed while the dead letter goes out.
            let _ = self
                .events
                .send(Event::Hold(self.tp.clone(), self.offset, self.epoch));
        }
        Box::pin(async move {
            let KafkaAcker {
                tp,
                offset,
                epoch,
                attempt,
                events,
                inner,
                envelope,
            } = *self;
            let (Some(template), Some(mut envelope)) =
                (inner.settings.dead_letter.clone(), envelope)
            else {
                tracing::warn!(reason = %reason, topic = %tp.0, partition = tp.1, offset, "message skipped (no dead-letter topic)");
                let _ = events.send(Event::Settled(tp, offset, epoch));
                return Ok(());
            };
            let dead = template.replace("{topic}", &tp.0);
            envelope.channel = dead.clone();
            envelope
                .headers
                .insert("x-death-reason".into(), reason.clone());
            envelope
                .headers
                .insert("x-original-topic".into(), tp.0.clone());
            envelope
                .headers
                .insert("x-original-partition".into(), tp.1.to_string());
            envelope
                .headers
                .insert("x-original-offset".into(), offset.to_string());
            // Dead letters keep their key (and go where the key sends them).
            envelope.meta.remove(META_PARTITION);
            match inner.send(envelope, None).await {
                Ok(()) => {
                    tracing::warn!(reason = %reason, topic = %tp.0, dead_letter = %dead, "message moved to the dead-letter topic");
                    let _ = events.send(Event::Settled(tp, offset, epoch));
                    Ok(())
                }
                Err(e) => {
                    // Not committed: read again after a backoff, so nothing
                    // is lost while the dead-letter topic is out of reach.
                    tracing::error!(error = %e, dead_letter = %dead, "could not publish to the dead-letter topic; the message comes again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let _ = events.send(Event::Rewind(tp, offset, attempt, epoch));
                    Err(e)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
