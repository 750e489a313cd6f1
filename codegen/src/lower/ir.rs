//! The intermediate representation the emitter renders: messages with
//! their payload and header types, channels with typed parameters,
//! operations, servers, and the bindings the runtime reads.

use crate::types::Ty;

/// The lowered document.
#[derive(Debug, Clone, PartialEq)]
pub struct Ir {
    pub title: String,
    pub version: String,
    /// `defaultContentType` of the document.
    pub default_content_type: Option<String>,
    pub messages: Vec<MessageIr>,
    pub channels: Vec<ChannelIr>,
    pub operations: Vec<OperationIr>,
    pub servers: Vec<ServerIr>,
}

/// A server of the document, for `faststream::connect`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerIr {
    pub key: String,
    /// `SCREAMING_SNAKE_CASE` constant name.
    pub const_name: String,
    pub protocol: String,
    pub host: String,
    pub pathname: String,
    /// Each variable with its default (else its first enum value, else
    /// empty: it must then come from the environment).
    pub variables: Vec<(String, String)>,
    /// The server's mqtt binding, where it says anything the adapter uses.
    pub mqtt: Option<MqttServerIr>,
    pub doc: Option<String>,
}

/// An mqtt server binding's session fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MqttServerIr {
    pub client_id: Option<String>,
    pub clean_session: Option<bool>,
    pub session_expiry_interval: Option<u32>,
    pub keep_alive: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageIr {
    /// JSON pointer of the message object (after following references).
    pub pointer: String,
    /// The Rust name stem (`PlaceOrder`).
    pub rust_name: String,
    /// `name` on the message, if any.
    pub wire_name: Option<String>,
    pub content_type: Option<String>,
    pub payload: Option<Ty>,
    pub headers: Option<Ty>,
    /// The kafka message binding's `key` schema: the type of the record
    /// key the generated publisher takes.
    pub key: Option<Ty>,
    /// The message's title, summary and description.
    pub doc: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamIr {
    pub wire: String,
    pub rust: String,
    pub doc: Option<String>,
    pub enum_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelIr {
    pub key: String,
    pub pointer: String,
    pub rust_name: String,
    pub address: Option<String>,
    pub params: Vec<ParamIr>,
    pub doc: Option<String>,
    /// Indexes into [`Ir::messages`].
    pub messages: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperationIr {
    pub key: String,
    /// `snake_case` method name.
    pub method: String,
    /// The publisher's method that sends several messages at once
    /// (`<method>_batch`, unique among the methods); none for a request.
    pub batch_method: Option<String>,
    /// `PascalCase` stem for the operation's types.
    pub type_name: String,
    pub receive: bool,
    pub channel: Option<usize>,
    pub messages: Vec<usize>,
    /// How to tell the messages apart, when there are several.
    pub dispatch: Dispatch,
    pub reply: Option<ReplyIr>,
    /// Subscribers sharing the work (a NATS `queue` binding, ...).
    pub group: Option<String>,
    /// The channel's and the operation's amqp, redis, kafka and mqtt
    /// bindings.
    pub bindings: BindingsIr,
    pub doc: Option<String>,
}

/// What the bindings of an operation and its channel tell the runtime
/// (mirrors `faststream::Bindings`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BindingsIr {
    pub amqp: Option<AmqpIr>,
    pub redis: Option<RedisIr>,
    pub kafka: Option<KafkaIr>,
    pub mqtt: Option<MqttIr>,
    pub nats: Option<NatsIr>,
}

/// A nats binding's JetStream `stream` and `ackWait` (in milliseconds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NatsIr {
    pub stream: Option<String>,
    pub ack_wait_ms: Option<u64>,
}

/// A kafka channel binding's `partitions` and `replicas`, and the
/// operation binding's `clientId` (the one value its schema pins down).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KafkaIr {
    pub partitions: Option<i32>,
    pub replicas: Option<i16>,
    pub client_id: Option<String>,
}

/// An mqtt operation binding's `qos` and `retain`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MqttIr {
    pub qos: Option<u8>,
    pub retain: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AmqpIr {
    pub is_queue: bool,
    pub exchange: Option<AmqpExchangeIr>,
    pub queue: Option<AmqpQueueIr>,
    pub cc: Vec<String>,
    pub delivery_mode: Option<u8>,
    pub priority: Option<u8>,
    pub expiration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AmqpExchangeIr {
    pub name: String,
    /// `Topic`, `Direct`, `Fanout`, `Headers` or `Default`.
    pub kind: &'static str,
    pub durable: bool,
    pub auto_delete: bool,
    pub vhost: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AmqpQueueIr {
    pub name: Option<String>,
    pub durable: bool,
    pub exclusive: bool,
    pub auto_delete: bool,
    pub vhost: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedisIr {
    /// `PubSub`, `List` or `Stream`.
    pub kind: &'static str,
    pub group: Option<String>,
    pub consumer: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplyIr {
    pub messages: Vec<usize>,
    pub dispatch: Dispatch,
}

/// How a decoder tells several messages of one operation apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    /// One message (or none).
    Single,
    /// A payload property with a distinct constant per message.
    Field { name: String, values: Vec<String> },
    /// Distinct content types.
    ContentType(Vec<String>),
    /// Nothing tells them apart: try each in order (a warning at
    /// generation time).
    Trial,
}

/// One piece of an address template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Param(String),
}

/// Splits `a.{b}.c` into text and parameters.
pub fn address_segments(address: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(Segment::Text(rest[..start].to_owned()));
        }
        out.push(Segment::Param(rest[start + 1..start + len].to_owned()));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_owned()));
    }
    out
}
