//! Protocol bindings. The bindings the runtime uses (kafka, amqp, nats,
//! mqtt, redis, ws, http) are typed; any other protocol's binding is kept as
//! a value in `extensions`.
//!
//! Every binding struct keeps fields it does not name in `extensions`, so
//! newer binding versions lose nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{Extensions, Schema};

macro_rules! bindings_container {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $(
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Bindings of other protocols, and extensions.
            #[serde(flatten)]
            pub extensions: Extensions,
        }
    };
}

bindings_container!(
    /// Server bindings, by protocol.
    ServerBindings {
        kafka: KafkaServerBinding,
        amqp: Binding,
        nats: Binding,
        mqtt: MqttServerBinding,
        redis: Binding,
        ws: Binding,
        http: Binding,
    }
);

bindings_container!(
    /// Channel bindings, by protocol.
    ChannelBindings {
        kafka: KafkaChannelBinding,
        amqp: AmqpChannelBinding,
        nats: Binding,
        mqtt: Binding,
        redis: Binding,
        ws: WsChannelBinding,
        http: Binding,
    }
);

bindings_container!(
    /// Operation bindings, by protocol.
    OperationBindings {
        kafka: KafkaOperationBinding,
        amqp: AmqpOperationBinding,
        nats: NatsOperationBinding,
        mqtt: MqttOperationBinding,
        redis: Binding,
        ws: Binding,
        http: HttpOperationBinding,
    }
);

bindings_container!(
    /// Message bindings, by protocol.
    MessageBindings {
        kafka: KafkaMessageBinding,
        amqp: AmqpMessageBinding,
        nats: Binding,
        mqtt: MqttMessageBinding,
        redis: Binding,
        ws: Binding,
        http: HttpMessageBinding,
    }
);

/// A binding with no typed fields (the protocol defines none, or none the
/// runtime reads); everything is kept in `extensions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaServerBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry_vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaChannelBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_configuration: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaOperationBinding {
    /// A schema describing the consumer group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Schema>,
    /// A schema describing the client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaMessageBinding {
    /// The schema of the record key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id_payload_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_lookup_strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// An AMQP channel: an exchange a routing key is published to, or a queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmqpChannelBinding {
    /// `routingKey` (the channel is an exchange plus routing key) or `queue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<AmqpExchange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<AmqpQueue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmqpExchange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `topic`, `direct`, `fanout`, `default` or `headers`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub exchange_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmqpQueue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmqpOperationBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Routing keys (a single string is accepted on input).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub cc: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// 1 = transient, 2 = persistent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_mode: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub bcc: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmqpMessageBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NatsOperationBinding {
    /// The queue group subscribers of this operation join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttServerBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_session: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_will: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expiry_interval: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_packet_size: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttOperationBinding {
    /// 0, 1 or 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qos: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_expiry_interval: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttMessageBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_format_indicator: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_data: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsChannelBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpOperationBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpMessageBinding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_version: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A list of strings, or one string standing for a list of one.
fn one_or_many<'de, D>(deserializer: D) -> Result<Option<Vec<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(
        Option::<OneOrMany>::deserialize(deserializer)?.map(|v| match v {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }),
    )
}
