//! The codec's errors, typed. [`DecodeError`]: why a delivery was refused
//! before its handler ran, one type for every route (generated or
//! code-first), so that what reports a refusal (logs, dead letters,
//! metrics' `exception_type`, spans' `error.type`) reads its kind from the
//! variant, never from the words of a message. [`EncodeError`]: why a
//! message or reply could not be encoded.

use crate::validate::ValidationErrors;

/// Why a delivery was refused. A refused message never reaches a handler:
/// it is rejected (dead-lettered where the broker has dead letters) with
/// this error's text as the reason.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or JSON of the wrong shape (the message names the path).
    #[error("malformed payload: {0}")]
    Json(#[source] serde_json::Error),
    /// Well-formed, but violates the schema's constraints.
    #[error("payload violates the schema: {0}")]
    Invalid(#[source] ValidationErrors),
    /// A `text/*` payload that is not UTF-8.
    #[error("the text payload is not UTF-8: {0}")]
    NotUtf8(#[source] std::string::FromUtf8Error),
    /// The delivery says it is a content type the route does not read (the
    /// route reads its own, JSON, `text/*` and `application/octet-stream`).
    #[error(
        "content type `{delivered}` is not one this route reads (`{declared}`, JSON, text/* or application/octet-stream)"
    )]
    ContentType {
        /// The delivery's content type.
        delivered: String,
        /// The route's (the document's).
        declared: String,
    },
    /// An operation whose messages are told apart by content type got one
    /// that is none of theirs (`None`: the delivery had none).
    #[error("unexpected content type {0:?}")]
    UnknownContentType(Option<String>),
    /// An operation whose messages are told apart by a field got a value
    /// of it that names none of them.
    #[error("`{field}` is {found:?}; expected one of: {expected}")]
    Discriminator {
        /// The field that tells the messages apart.
        field: &'static str,
        /// Its value in the delivery.
        found: Option<String>,
        /// The values that name a message, comma-separated.
        expected: &'static str,
    },
    /// The payload decodes as none of the operation's messages: why not,
    /// for each of them.
    #[error("the payload is none of this operation's messages: {}", joined(.0))]
    NoMessage(Vec<DecodeError>),
    /// The headers do not decode into the operation's headers type.
    #[error("malformed headers: {0}")]
    Headers(#[source] serde::de::value::Error),
    /// The headers decode, but violate their schema.
    #[error("headers violate the schema: {0}")]
    InvalidHeaders(#[source] ValidationErrors),
    /// The address's parameters do not decode into their types.
    #[error("malformed channel parameters: {0}")]
    Parameters(#[source] serde::de::value::Error),
    /// The delivery's address does not match the route's template.
    #[error("address `{address}` does not match `{template}`")]
    Address {
        /// The delivery's address.
        address: String,
        /// The route's address template.
        template: String,
    },
    /// A body larger than the route allows (`max_body_size`).
    #[error("a body of {size} bytes is over this route's limit of {limit} bytes (max_body_size)")]
    TooLarge {
        /// The body's size, in bytes.
        size: usize,
        /// The route's limit, in bytes.
        limit: usize,
    },
    /// The broker's adapter could not read the delivery whole (a
    /// FastStream envelope that does not parse, headers that are not
    /// text): [`Envelope::malformation`](crate::envelope::Envelope::malformation).
    #[error("{0}")]
    Malformed(String),
    /// An argument of a code-first handler could not be taken from the
    /// delivery ([`FromMessage`](crate::app::FromMessage)'s error).
    #[error("{0}")]
    Rejected(String),
}

fn joined(errors: &[DecodeError]) -> String {
    let mut text = String::new();
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        text.push_str(&e.to_string());
    }
    text
}

impl DecodeError {
    /// What the refusal is called where FastStream names it (Python's
    /// exception types, for metrics' `exception_type` and a span's
    /// `error.type`): `JSONDecodeError` for a payload that is not JSON at
    /// all (also where an operation's messages were each tried on it, as
    /// FastStream parses the JSON before it picks a model),
    /// `ValidationError` (pydantic's) for anything else: JSON of the wrong
    /// shape, a broken constraint, headers, parameters.
    pub fn exception_type(&self) -> &'static str {
        match self {
            DecodeError::Json(e) if e.is_syntax() || e.is_eof() => "JSONDecodeError",
            DecodeError::NoMessage(tried)
                if !tried.is_empty()
                    && tried
                        .iter()
                        .all(|e| e.exception_type() == "JSONDecodeError") =>
            {
                "JSONDecodeError"
            }
            _ => "ValidationError",
        }
    }
}

/// Why a message (its payload, headers or record key) or a reply could not
/// be encoded. Nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// serde_json refused the value (a map whose keys are not strings, a
    /// `Serialize` implementation that failed).
    #[error("{0}")]
    Json(#[source] serde_json::Error),
    /// Headers are a JSON object of names and values; these were not.
    #[error("headers must serialize to an object")]
    HeadersNotAnObject,
    /// A record key that is `null`.
    #[error("a record key cannot be null")]
    NullKey,
    /// An `application/octet-stream` payload whose value (base64 text) is
    /// not base64.
    #[error("{0}")]
    Base64(String),
}
