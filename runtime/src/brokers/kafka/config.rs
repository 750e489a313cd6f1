//! The adapter's settings, the client configuration every client starts
//! from, header and meta names, and the producer's context.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::broker::{BrokerError, BrokerErrorKind, lock};
use crate::connect::{ConnectOptions, redact};

pub(super) const CONTENT_TYPE: &str = "content-type";
pub(super) const CORRELATION_ID: &str = "correlation_id";
pub(super) const REPLY_TO: &str = "reply_to";
/// Reply topics: one per process, created when its first request is made.
pub(super) const INBOX_PREFIX: &str = "faststream-inbox-";

/// The `meta` keys of a Kafka envelope.
pub const META_KEY: &str = "key";
/// A consumed record's partition (a number, as text). On an envelope to
/// publish, the partition it goes to.
pub const META_PARTITION: &str = "partition";
/// A consumed record's offset in its partition.
pub const META_OFFSET: &str = "offset";
/// A consumed record's timestamp, in milliseconds since the Unix epoch (absent
/// when the record has none).
pub const META_TIMESTAMP: &str = "timestamp";
/// The consumer group that read the message.
pub const META_GROUP: &str = "group";

pub(super) fn err(kind: BrokerErrorKind, e: impl fmt::Display) -> BrokerError {
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
    /// Partitions of a topic the adapter creates, unless the channel's binding
    /// says (default 1).
    pub partitions: i32,
    /// Replication factor of a topic the adapter creates, unless the channel's
    /// binding says (default 1).
    pub replicas: i32,
    /// The dead-letter topic of a topic: `{topic}` is replaced by the
    /// topic's name (`Some("{topic}.DLT".into())`). `None` (FastStream's
    /// way, the default): a rejected message is logged and skipped. The
    /// topic must exist, or be created by the broker or by
    /// [`KafkaSettings::create_topics`].
    pub dead_letter: Option<String>,
    /// Where a group that has committed nothing on a partition starts (default
    /// [`OffsetReset::Latest`]).
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
    /// (`1` or `true`) from the environment ([`crate::connect()`] uses it).
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
pub(super) fn producer_config(base: &ClientConfig, settings: &KafkaSettings) -> ClientConfig {
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

/// The producer's context: remembers the last error librdkafka reported
/// (why a broker could not be reached: a TLS handshake, SASL), for the
/// error [`KafkaBroker::connect_with`] returns.
#[derive(Default)]
pub(crate) struct ProducerCtx {
    pub(super) last_error: Arc<Mutex<Option<String>>>,
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
