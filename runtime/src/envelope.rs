//! The message as brokers carry it.

use std::collections::BTreeMap;

use bytes::Bytes;

pub use crate::text::Text;

/// The [`Envelope::meta`] entry that says why a delivery is malformed.
pub const MALFORMED: &str = "malformed";

/// A received header's value as text. One that is not UTF-8 keeps its
/// bad bytes replaced, and `malformed` (unless a header before it already
/// did) says which header: the adapter marks the delivery with
/// [`Envelope::malformed`], and it is refused before decoding.
#[cfg(any(feature = "kafka", feature = "amqp"))]
pub(crate) fn header_value(name: &str, bytes: &[u8], malformed: &mut Option<String>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            malformed.get_or_insert_with(|| format!("header `{name}` is not UTF-8"));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// A message on the wire: payload bytes plus everything around them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The concrete address (subject, topic, routing key, channel).
    pub channel: Text,
    /// Shared, so adapters hand over what the client received without a
    /// copy (and clones are cheap).
    pub payload: Bytes,
    /// Application headers.
    pub headers: BTreeMap<String, String>,
    /// The payload's media type (`application/json`, `text/plain`, ...);
    /// `None`: not said, and a subscriber reads the payload as its route's
    /// declared type.
    pub content_type: Option<String>,
    /// Ties a reply to its request; a [`Publisher`](crate::Publisher) gives
    /// every message it publishes without one a fresh id.
    pub correlation_id: Option<Text>,
    /// Where a reply goes, for requests.
    pub reply_to: Option<Text>,
    /// Broker-specific fields (Kafka key/partition/offset, AMQP properties,
    /// stream ids), as the adapter names them.
    pub meta: BTreeMap<String, String>,
}

impl Envelope {
    /// A message for `channel` with a payload.
    pub fn new(channel: impl Into<Text>, payload: impl Into<Bytes>) -> Envelope {
        Envelope {
            channel: channel.into(),
            payload: payload.into(),
            ..Envelope::default()
        }
    }

    /// Sets the application header `name`, replacing a value it had.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Envelope {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Sets the payload's content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Envelope {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sets the correlation id (without one, the publisher makes one when it
    /// publishes).
    pub fn with_correlation_id(mut self, id: impl Into<Text>) -> Envelope {
        self.correlation_id = Some(id.into());
        self
    }

    /// Sets where a reply goes, making the message a request
    /// ([`Publisher::request`](crate::Publisher::request) sets its own inbox).
    pub fn with_reply_to(mut self, reply_to: impl Into<Text>) -> Envelope {
        self.reply_to = Some(reply_to.into());
        self
    }

    /// Sets the broker-specific field `name` of [`Envelope::meta`] (a Kafka
    /// `partition`, an MQTT `qos`, ...), replacing a value it had.
    pub fn with_meta(mut self, name: impl Into<String>, value: impl Into<String>) -> Envelope {
        self.meta.insert(name.into(), value.into());
        self
    }

    /// Marks a delivery the adapter could not read whole (a header that is
    /// not UTF-8, a FastStream envelope whose lengths lie), saying why, in
    /// `meta[`[`MALFORMED`]`]`. A subscriber refuses it before decoding, as
    /// its policy refuses what does not decode; the handler never sees it.
    pub fn malformed(self, why: impl Into<String>) -> Envelope {
        self.with_meta(MALFORMED, why)
    }

    /// Why the adapter could not read this delivery whole, if it could not
    /// (see [`Envelope::malformed`]).
    pub fn malformation(&self) -> Option<&str> {
        self.meta.get(MALFORMED).map(String::as_str)
    }

    /// The record key (Kafka's; `meta["key"]`): messages with one key go
    /// to one partition, in order. Adapters without keys ignore it.
    pub fn with_key(self, key: impl Into<String>) -> Envelope {
        self.with_meta("key", key)
    }
}
