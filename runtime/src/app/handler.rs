//! What a handler gives back: a reply to a request, or why the message was
//! not handled.

use std::any::Any;
use std::fmt;

use crate::envelope::Envelope;

/// What a handler returns when it fails. Any error converts into it with
/// `?`; the ack policy decides what happens to the message.
pub struct HandlerError {
    message: String,
    /// What only failures that came from another error (or a panic)
    /// have, boxed: a `Result<_, HandlerError>` stays small on the paths
    /// every message takes.
    detail: Option<Box<Detail>>,
}

struct Detail {
    kind: &'static str,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    /// A failure saying `message`, caused by no other error (its
    /// [`HandlerError::exception_type`] is `HandlerError`).
    pub fn new(message: impl Into<String>) -> HandlerError {
        HandlerError {
            message: message.into(),
            detail: None,
        }
    }

    /// The error's type, as metrics name it (FastStream's
    /// `exception_type`: the class name): the short name of the error a
    /// handler's `?` converted (`ParseIntError` for a
    /// `std::num::ParseIntError`), `HandlerError` for one made with
    /// [`HandlerError::new`], `Panic` for a handler's panic.
    pub fn exception_type(&self) -> &'static str {
        self.detail.as_ref().map_or("HandlerError", |d| d.kind)
    }

    /// What went wrong: the text given to [`HandlerError::new`], or the
    /// `Display` of the error it was converted from.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error this one was converted from (by `?`); `None` for one made
    /// with [`HandlerError::new`] and for a panic.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync)> {
        self.detail.as_ref()?.source.as_deref()
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
            detail: Some(Box::new(Detail {
                kind: short_type_name(std::any::type_name::<E>()),
                source: Some(Box::new(e)),
            })),
        }
    }
}

/// Why a message was not handled.
#[derive(Debug)]
pub enum Failure {
    /// The message could not be decoded or violates the schema: the handler
    /// was never called, and retrying cannot help.
    Decode(crate::DecodeError),
    /// The handler failed.
    Handler(HandlerError),
}

impl Failure {
    /// What the failure is called where FastStream names it (metrics'
    /// `exception_type`, a span's `error.type`): the handler error's type
    /// ([`HandlerError::exception_type`]), or `JSONDecodeError` /
    /// `ValidationError` for a message that never reached the handler.
    pub fn exception_type(&self) -> &'static str {
        match self {
            Failure::Decode(reason) => reason.exception_type(),
            Failure::Handler(e) => e.exception_type(),
        }
    }
}

/// A reply to a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// The reply's body, as it goes on the wire.
    pub payload: Vec<u8>,
    /// The reply's application headers.
    pub headers: std::collections::BTreeMap<String, String>,
    /// The reply's content type (`application/json` for a typed reply or a
    /// [`Context::reply`](crate::Context::reply) answer); `None`: sent without
    /// one.
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
        HandlerError {
            message: format!("handler panicked: {what}"),
            detail: Some(Box::new(Detail {
                kind: "Panic",
                source: None,
            })),
        }
    }
}

/// `Error` of `std::io::error::Error`, `Error` of `a::Error<b::C>`.
fn short_type_name(full: &'static str) -> &'static str {
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_types_are_short_type_names() {
        let parse: HandlerError = "x".parse::<u32>().unwrap_err().into();
        assert_eq!(parse.exception_type(), "ParseIntError");
        let io: HandlerError = std::io::Error::other("down").into();
        assert_eq!(io.exception_type(), "Error");
        assert_eq!(HandlerError::new("no").exception_type(), "HandlerError");
        assert_eq!(HandlerError::panicked("boom").exception_type(), "Panic");
        assert_eq!(short_type_name("a::b::Wrapper<c::D>"), "Wrapper");
    }
}
