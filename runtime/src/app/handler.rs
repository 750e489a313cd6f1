//! What a handler gives back: a reply to a request, or why the message was
//! not handled.

use std::any::Any;
use std::fmt;

use crate::envelope::Envelope;

/// What a handler returns when it fails. Any error converts into it with
/// `?`; the ack policy decides what happens to the message.
pub struct HandlerError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    pub fn new(message: impl Into<String>) -> HandlerError {
        HandlerError {
            message: message.into(),
            source: None,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync)> {
        self.source.as_deref()
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandlerError({:?})", self.message)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(e: E) -> HandlerError {
        HandlerError {
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

/// Why a message was not handled.
#[derive(Debug)]
pub enum Failure {
    /// The message could not be decoded or violates the schema: the handler
    /// was never called, and retrying cannot help.
    Decode(String),
    /// The handler failed.
    Handler(HandlerError),
}

/// A reply to a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub payload: Vec<u8>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub content_type: Option<String>,
}

impl Reply {
    /// The envelope that answers `request` with this reply: to its
    /// `reply_to`, with its correlation id (`None`: not a request).
    pub(crate) fn answering(self, request: &Envelope) -> Option<Envelope> {
        Some(Envelope {
            channel: request.reply_to.clone()?,
            payload: self.payload.into(),
            headers: self.headers,
            content_type: self.content_type,
            correlation_id: request.correlation_id.clone(),
            reply_to: None,
            meta: Default::default(),
        })
    }
}

/// What a handler's panic says (`panic!("...")`), else "a panic".
pub(crate) fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic")
}

impl HandlerError {
    /// The error a handler's panic becomes.
    pub(crate) fn panicked(what: &str) -> HandlerError {
        HandlerError::new(format!("handler panicked: {what}"))
    }
}
