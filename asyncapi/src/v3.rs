//! The AsyncAPI 3.x document model (3.0 and 3.1), the canonical model of
//! this crate.
//!
//! Every object keeps its `x-*` extensions (and any other field the typed
//! model does not name) in an `extensions` map, so a document survives a
//! load -> serialize round trip without losing anything. Maps keep the order
//! of the source document.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bindings::{ChannelBindings, MessageBindings, OperationBindings, ServerBindings};
use crate::common::{
    Extensions, ExternalDocs, Info, RefOr, Schema, SecurityScheme, ServerVariable, Tag,
};

/// An AsyncAPI 3.x document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncApi {
    /// The `asyncapi` version string, `3.0.0` or `3.1.0`.
    pub asyncapi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub info: Info,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub servers: IndexMap<String, RefOr<Server>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_content_type: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub channels: IndexMap<String, RefOr<Channel>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub operations: IndexMap<String, RefOr<Operation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A server: where the application connects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    pub host: String,
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pathname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, RefOr<ServerVariable>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<RefOr<SecurityScheme>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<RefOr<ServerBindings>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A channel: an addressable place messages travel through.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// The address, possibly with `{parameter}` expressions. `None` (or
    /// `null`) means the address is dynamic or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub messages: IndexMap<String, RefOr<Message>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// References to `#/servers/...` this channel is available on; empty
    /// means all servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<RefOr<Server>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, RefOr<Parameter>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<RefOr<ChannelBindings>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A channel parameter: one `{name}` in a channel address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<Vec<String>>,
    /// A runtime expression naming where the value is found in a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// What an operation does: the application sends, or receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Send,
    Receive,
}

impl Action {
    /// The other side of the conversation.
    pub fn mirror(self) -> Action {
        match self {
            Action::Send => Action::Receive,
            Action::Receive => Action::Send,
        }
    }
}

/// An operation of the application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub action: Action,
    /// A reference to a channel (`#/channels/...`).
    pub channel: RefOr<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<RefOr<SecurityScheme>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<RefOr<OperationBindings>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<RefOr<OperationTrait>>,
    /// References to messages of the operation's channel; absent means all
    /// of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<RefOr<Message>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<RefOr<OperationReply>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The fields an operation trait may carry (an operation without `action`,
/// `channel`, `messages`, `reply` and `traits`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationTrait {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<RefOr<SecurityScheme>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<RefOr<OperationBindings>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The reply of a request/reply operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<RefOr<OperationReplyAddress>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<RefOr<Channel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<RefOr<Message>>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Where a reply is sent: a runtime expression such as `$message.header#/replyTo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationReplyAddress {
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<RefOr<CorrelationId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<RefOr<MessageBindings>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<MessageExample>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<RefOr<MessageTrait>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The fields a message trait may carry (a message without `payload` and
/// `traits`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageTrait {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<RefOr<CorrelationId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_docs: Option<RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bindings: Option<RefOr<MessageBindings>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<MessageExample>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// An example of a message: headers and payload values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageExample {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Where a message's correlation id is found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrelationId {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A runtime expression, e.g. `$message.header#/correlationId`.
    pub location: String,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Reusable objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Components {
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub schemas: IndexMap<String, Schema>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub servers: IndexMap<String, RefOr<Server>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub channels: IndexMap<String, RefOr<Channel>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub operations: IndexMap<String, RefOr<Operation>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub messages: IndexMap<String, RefOr<Message>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub security_schemes: IndexMap<String, RefOr<SecurityScheme>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub server_variables: IndexMap<String, RefOr<ServerVariable>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, RefOr<Parameter>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub correlation_ids: IndexMap<String, RefOr<CorrelationId>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub replies: IndexMap<String, RefOr<OperationReply>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub reply_addresses: IndexMap<String, RefOr<OperationReplyAddress>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub external_docs: IndexMap<String, RefOr<ExternalDocs>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: IndexMap<String, RefOr<Tag>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub operation_traits: IndexMap<String, RefOr<OperationTrait>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub message_traits: IndexMap<String, RefOr<MessageTrait>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub server_bindings: IndexMap<String, RefOr<ServerBindings>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub channel_bindings: IndexMap<String, RefOr<ChannelBindings>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub operation_bindings: IndexMap<String, RefOr<OperationBindings>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub message_bindings: IndexMap<String, RefOr<MessageBindings>>,
    #[serde(flatten)]
    pub extensions: Extensions,
}
