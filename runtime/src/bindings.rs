//! What a spec's protocol bindings say about a channel, in the form the
//! adapters read. Generated code fills these from the channel's and the
//! operation's bindings; each adapter reads its own part and ignores the
//! others, so one generated service runs on any broker.
//!
//! On NATS the `queue` binding becomes the subscriber's group
//! ([`crate::SubscriberOptions::group`]), as Kafka's `groupId` does, and a
//! `stream` makes the channel a JetStream one ([`NatsBindings`]).
//! A Kafka message's `key` binding types the key parameter of the
//! generated publisher, which sets the envelope's `key` meta.

/// The bindings of one operation on its channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings {
    /// RabbitMQ's part (exchange, queue, publishing properties); `None`:
    /// FastStream's topology.
    pub amqp: Option<AmqpBindings>,
    /// Redis's part (pub/sub, list or stream); `None`: pub/sub, unless the
    /// broker is a `RedisStreamBroker` and the address starts with one of its
    /// stream prefixes.
    pub redis: Option<RedisBindings>,
    /// Kafka's part (a created topic's partitions and replicas, a consumer's
    /// client id); `None`: the adapter's settings.
    pub kafka: Option<KafkaBindings>,
    /// MQTT's part (QoS and retain; an envelope's `qos` and `retain` meta win
    /// over it); `None`: the settings' QoS, not retained.
    pub mqtt: Option<MqttBindings>,
    /// NATS's part (a JetStream stream and its ack wait); `None`: core NATS,
    /// unless the broker is a `JetStreamBroker` with a stream for the subject.
    pub nats: Option<NatsBindings>,
    /// The channel's address has `{parameters}`: a publish names one of
    /// many concrete addresses. On RabbitMQ such a channel goes through a
    /// topic exchange; one without parameters (and without an exchange
    /// binding) is a queue on the default exchange, as FastStream does it.
    pub parameterized: bool,
}

impl Bindings {
    /// No bindings: every adapter uses its defaults. Generated code fills
    /// what the spec says and takes the rest from here
    /// (`Bindings { amqp: ..., ..Bindings::NONE }`), so that a field added
    /// later does not break it.
    pub const NONE: Bindings = Bindings {
        amqp: None,
        redis: None,
        kafka: None,
        mqtt: None,
        nats: None,
        parameterized: false,
    };
}

/// No bindings: every adapter uses its defaults.
pub(crate) static NO_BINDINGS: Bindings = Bindings::NONE;

/// Kafka: the channel binding's `partitions` and `replicas`, used when the
/// adapter creates the topic ([`crate::kafka::KafkaSettings::create_topics`]);
/// an existing topic is left as it is. The operation binding's `clientId`
/// names a subscription's consumer (librdkafka's `client.id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KafkaBindings {
    /// Partitions of the topic when the adapter creates it (`None`:
    /// [`KafkaSettings::partitions`](crate::kafka::KafkaSettings::partitions)).
    pub partitions: Option<i32>,
    /// Replication factor of the topic when the adapter creates it (`None`:
    /// [`KafkaSettings::replicas`](crate::kafka::KafkaSettings::replicas)).
    pub replicas: Option<i16>,
    /// The `client.id` of a subscription's consumer (`None`:
    /// [`KafkaSettings::client_id`](crate::kafka::KafkaSettings::client_id));
    /// publishing does not use it.
    pub client_id: Option<String>,
}

/// NATS: a channel whose binding names a JetStream `stream` is published
/// into that stream (each publish waits for the stream's acknowledgement)
/// and consumed by a durable pull consumer named after the subscriber's
/// group (the operation's `queue`), else after the address, with explicit
/// acks. The stream is created when missing and given the channel's
/// subject when it does not capture it yet.
///
/// AsyncAPI's nats binding defines only an operation's `queue`; these come
/// from the channel's or the operation's nats binding, as `stream` and
/// `ackWait` with `bindingVersion: custom` (the form of FastStream's own
/// nats channel binding) or as the extensions `x-stream` and `x-ack-wait`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsBindings {
    /// The JetStream stream; `None`: core NATS (at most once).
    pub stream: Option<String>,
    /// How long a delivery may stay unacked before JetStream sends it
    /// again (the adapter's [`crate::nats::NatsBroker::ack_wait`] when
    /// absent: 30 s). A service killed mid-message gets its unacked
    /// messages back this long after it took them: short enough to
    /// recover quickly, longer than the slowest handler.
    pub ack_wait: Option<std::time::Duration>,
}

/// MQTT: the operation binding's `qos` and `retain`. A publish takes them
/// (unless its envelope's `qos`/`retain` meta says otherwise), a
/// subscription its `qos`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MqttBindings {
    /// 0, 1 or 2.
    pub qos: Option<u8>,
    /// Publish retained: the broker keeps the topic's last retained message
    /// for subscribers that come later. The envelope's `retain` meta wins;
    /// `None`: not retained.
    pub retain: Option<bool>,
}

/// AMQP 0.9.1 (RabbitMQ): the channel binding's `is`, `exchange` and
/// `queue`, and the operation binding's publishing properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmqpBindings {
    /// `is: queue`: the channel is a queue, published to through the
    /// default exchange with the queue's name as routing key. Otherwise
    /// (`is: routingKey`, the default) the channel's address is a routing
    /// key on [`AmqpBindings::exchange`].
    pub is_queue: bool,
    /// The exchange (the adapter's own when absent).
    pub exchange: Option<AmqpExchange>,
    /// The queue subscribers consume (declared with these properties).
    pub queue: Option<AmqpQueue>,
    /// More routing keys for each published message (the `CC` header:
    /// RabbitMQ's sender-selected distribution).
    pub cc: Vec<String>,
    /// 1 transient, 2 persistent (the default).
    pub delivery_mode: Option<u8>,
    /// The `priority` property of each published message (it orders messages
    /// in a queue declared with `x-max-priority`); `None`: none is set.
    pub priority: Option<u8>,
    /// Time to live of a published message, in milliseconds.
    pub expiration_ms: Option<u64>,
}

/// An exchange (AsyncAPI amqp channel binding `exchange`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpExchange {
    /// Empty: the default exchange.
    pub name: String,
    /// How it routes messages to its queues: the type it is declared with.
    pub kind: AmqpExchangeKind,
    /// Declared durable (the default: `true`).
    pub durable: bool,
    /// Declared auto-delete: the broker deletes the exchange once no queue is
    /// bound to it any more.
    pub auto_delete: bool,
    /// The virtual host the spec expects (it must be the connection's).
    /// Written as FastStream writes it, a leading `/` is not part of the
    /// name (`//` is the virtual host `/`, `/shop` is `shop`).
    pub vhost: Option<String>,
}

/// An exchange's type: how it routes messages to the queues bound to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AmqpExchangeKind {
    /// By routing-key pattern (`*` one word, `#` any number of them): what a
    /// parameterized address needs. The default.
    #[default]
    Topic,
    /// By exact routing key (a parameterized address cannot subscribe through
    /// one).
    Direct,
    /// To every bound queue; the routing key is ignored.
    Fanout,
    /// By message headers instead of the routing key (the adapter binds its
    /// queues with no header arguments).
    Headers,
    /// The nameless default exchange (routing key = queue name).
    Default,
}

impl AmqpExchangeKind {
    /// The type as AMQP and the AsyncAPI binding name it (`topic`, `direct`,
    /// `fanout`, `headers`), or `default` for the default exchange.
    pub fn as_str(self) -> &'static str {
        match self {
            AmqpExchangeKind::Topic => "topic",
            AmqpExchangeKind::Direct => "direct",
            AmqpExchangeKind::Fanout => "fanout",
            AmqpExchangeKind::Headers => "headers",
            AmqpExchangeKind::Default => "default",
        }
    }
}

/// A queue (AsyncAPI amqp channel binding `queue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpQueue {
    /// The queue's name (the adapter names it when absent).
    pub name: Option<String>,
    /// Survives a broker restart (the default: `true`).
    pub durable: bool,
    /// Declared exclusive: only this connection may use the queue, and the
    /// queue goes when the connection closes.
    pub exclusive: bool,
    /// Declared auto-delete: the broker deletes the queue when its last
    /// consumer is gone.
    pub auto_delete: bool,
    /// As [`AmqpExchange::vhost`].
    pub vhost: Option<String>,
}

impl Default for AmqpQueue {
    fn default() -> AmqpQueue {
        AmqpQueue {
            name: None,
            durable: true,
            exclusive: false,
            auto_delete: false,
            vhost: None,
        }
    }
}

/// Redis: which of its three messaging structures a channel is.
///
/// AsyncAPI's redis binding defines no fields; these come from FastStream's
/// own redis binding (`method`, `groupName`, `consumerName`, with
/// `bindingVersion: custom`, as FastStream 0.7 writes them in the documents
/// it exports) or from the extensions `x-method`, `x-group-name` and
/// `x-consumer-name` on the redis binding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedisBindings {
    /// Which structure carries the channel (default pub/sub).
    pub kind: RedisKind,
    /// A stream's consumer group (the subscriber's group when absent).
    pub group: Option<String>,
    /// A stream consumer's name (when absent, this instance's name:
    /// [`crate::instance_name`]).
    pub consumer: Option<String>,
}

/// Which of Redis's messaging structures a channel is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RedisKind {
    /// `PUBLISH`/`SUBSCRIBE` (or `PSUBSCRIBE` for a template): at most once.
    #[default]
    PubSub,
    /// `RPUSH`/`BLPOP`: each message to one consumer.
    List,
    /// `XADD`/`XREADGROUP`: consumer groups, acks, at least once.
    Stream,
}

/// What a spec's server bindings say about a connection (generated code
/// lists them with each server: [`crate::Server::bindings`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerBindings {
    /// The server's mqtt binding; `None`: the adapter's defaults (and the
    /// `MQTT_*` environment variables).
    pub mqtt: Option<MqttServerBindings>,
}

impl ServerBindings {
    /// No server bindings. Generated code writes
    /// `ServerBindings { mqtt: ..., ..ServerBindings::NONE }`, so that a
    /// field added later does not break it.
    pub const NONE: ServerBindings = ServerBindings { mqtt: None };
}

/// MQTT: the server binding's `clientId`, `cleanSession`,
/// `sessionExpiryInterval` and `keepAlive`, which
/// [`crate::connect()`] turns into [`crate::mqtt::MqttSettings`] (the
/// `MQTT_*` environment variables win over them).
///
/// `cleanSession: false` is a persistent session: the broker keeps each
/// subscription and its QoS 1 and 2 messages while the service is away,
/// and a restarted service gets them. Its client id must be the same after
/// a restart and unique among the running instances: without `clientId`
/// it is `faststream-` and the instance's name ([`crate::instance_name`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MqttServerBindings {
    /// The client id (`MQTT_CLIENT_ID` wins over it); `None`: `faststream-`
    /// followed by a random suffix, or by the instance's name for a
    /// persistent session.
    pub client_id: Option<&'static str>,
    /// Start with a clean session; `false` asks for a persistent one
    /// (`MQTT_CLEAN_SESSION` wins over it). `None`: a clean session.
    pub clean_session: Option<bool>,
    /// Seconds the broker keeps a persistent session after a disconnect.
    pub session_expiry_interval: Option<u32>,
    /// Seconds.
    pub keep_alive: Option<u32>,
}
