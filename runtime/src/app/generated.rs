//! The one entry point of generated routes: [`route`] takes a handler
//! method and reads everything else from the types of its arguments, so a
//! generated router states only what the document says (operation,
//! address, content types, bindings).
//!
//! What a generated type does for its route is a small trait:
//! [`Incoming`] decodes the message (a model by the document's content
//! type, a message enum by its own rules), [`FromAddress`] parses the
//! channel's parameters, [`HeadersBody`] decodes the headers (given the
//! message, whose variant decides them), [`ReplyBody`] encodes the reply.
//! A route's headers are `()` where the operation has none, else
//! [`Headers`]; its call returns `()` where the operation has no reply,
//! else [`Answer`]; a message without a payload is [`NoPayload`]. So a
//! type that is `()` by the document (`type: null`) still means `null`.
//!
//! Only generated code uses these (through `faststream::__codegen`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::Context;
use super::handler::{Failure, HandlerError, Reply};
use super::router::ErasedHandler;
use super::typed::{Decoding, Subscriber};
use crate::codec::{DecodeError, EncodeError};
use crate::envelope::Envelope;
use crate::validate::Validate;

/// The content type a generated route assumes where the document names
/// none.
pub const JSON: &str = crate::codec::JSON;

/// A received message of a generated operation.
pub trait Incoming: Sized + Send + 'static {
    /// Decodes (and validates) the delivery's payload; `content_type` is
    /// the document's for the operation's message.
    fn decode(content_type: &str, envelope: &Envelope) -> Result<Self, DecodeError>;
}

impl<T: DeserializeOwned + Validate + Send + 'static> Incoming for T {
    fn decode(content_type: &str, envelope: &Envelope) -> Result<Self, DecodeError> {
        crate::codec::decode_payload_as(content_type, &envelope.payload)
    }
}

/// A message the document gives no payload: whatever the body is, there
/// is nothing to decode (the handler takes `()`). A payload whose schema
/// is `type: null` is a `()` instead, and must be JSON `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoPayload;

impl Incoming for NoPayload {
    fn decode(_: &str, _: &Envelope) -> Result<Self, DecodeError> {
        Ok(NoPayload)
    }
}

/// The typed parameters of a channel's address.
pub trait FromAddress: Sized + Send + 'static {
    /// The parameters of a concrete address, if it matches the template.
    fn from_address(address: &str) -> Option<Self>;
}

/// A channel without parameters.
impl FromAddress for () {
    fn from_address(_: &str) -> Option<Self> {
        Some(())
    }
}

/// The headers of a route: `()` where the operation's messages have none,
/// else [`Headers`].
pub trait FromHeaders<M>: Sized + Send + 'static {
    /// Decodes (and validates) the headers of `message`.
    fn from_headers(message: &M, headers: &BTreeMap<String, String>) -> Result<Self, DecodeError>;
}

/// An operation whose messages have no headers: whatever arrives is not
/// read.
impl<M> FromHeaders<M> for () {
    fn from_headers(_: &M, _: &BTreeMap<String, String>) -> Result<Self, DecodeError> {
        Ok(())
    }
}

/// The typed headers of an operation that has some.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headers<T>(pub T);

impl<M, T: HeadersBody<M>> FromHeaders<M> for Headers<T> {
    fn from_headers(message: &M, headers: &BTreeMap<String, String>) -> Result<Self, DecodeError> {
        T::decode_headers(message, headers).map(Headers)
    }
}

/// A type the headers of a received message `M` decode into: any
/// deserializable model, or a generated headers enum (whose variant
/// follows the message's).
pub trait HeadersBody<M>: Sized + Send + 'static {
    /// Decodes (and validates) the headers of `message`.
    fn decode_headers(message: &M, headers: &BTreeMap<String, String>)
    -> Result<Self, DecodeError>;
}

impl<M, T: DeserializeOwned + Validate + Send + 'static> HeadersBody<M> for T {
    fn decode_headers(_: &M, headers: &BTreeMap<String, String>) -> Result<Self, DecodeError> {
        crate::codec::decode_headers(headers)
    }
}

/// What a generated route's call returns: `()` for an operation without a
/// reply, else [`Answer`].
pub trait Outgoing: Send + 'static {
    /// The reply's payload (`None`: no reply); `content_type` is the
    /// document's for the reply.
    fn encode(&self, content_type: &str) -> Result<Option<Vec<u8>>, EncodeError>;
}

/// An operation without a reply.
impl Outgoing for () {
    fn encode(&self, _: &str) -> Result<Option<Vec<u8>>, EncodeError> {
        Ok(None)
    }
}

/// The reply of an operation that has one. A reply of `()` (a message
/// without a payload, or a `type: null` one) is sent as JSON `null`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer<T>(pub T);

impl<T: ReplyBody> Outgoing for Answer<T> {
    fn encode(&self, content_type: &str) -> Result<Option<Vec<u8>>, EncodeError> {
        self.0.encode_reply(content_type).map(Some)
    }
}

/// A type a reply encodes from: any serializable model, or a generated
/// message enum (whose variant names its content type).
pub trait ReplyBody: Send + 'static {
    /// The reply's payload; `content_type` is the document's for the
    /// reply.
    fn encode_reply(&self, content_type: &str) -> Result<Vec<u8>, EncodeError>;
}

impl<T: Serialize + Send + 'static> ReplyBody for T {
    fn encode_reply(&self, content_type: &str) -> Result<Vec<u8>, EncodeError> {
        crate::codec::encode_payload_as(content_type, self)
    }
}

/// A generated route whose message and reply are JSON: see [`route_as`].
pub fn route<H, M, P, Hd, R, F, Fut>(
    operation: &str,
    address: &str,
    handler: &Arc<H>,
    call: F,
) -> Subscriber<Decoding>
where
    H: Send + Sync + 'static,
    M: Incoming,
    P: FromAddress,
    Hd: FromHeaders<M>,
    R: Outgoing,
    F: Fn(Arc<H>, M, P, Hd, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, HandlerError>> + Send + 'static,
{
    route_as(operation, address, JSON, JSON, handler, call)
}

/// The route of operation `operation` on `address`: each delivery's
/// message (decoded as `message_type`), parameters and headers, in that
/// order, then `call` with the handler; a request's reply is encoded as
/// `reply_type`. Anything that does not decode never reaches the handler.
pub fn route_as<H, M, P, Hd, R, F, Fut>(
    operation: &str,
    address: &str,
    message_type: &'static str,
    reply_type: &'static str,
    handler: &Arc<H>,
    call: F,
) -> Subscriber<Decoding>
where
    H: Send + Sync + 'static,
    M: Incoming,
    P: FromAddress,
    Hd: FromHeaders<M>,
    R: Outgoing,
    F: Fn(Arc<H>, M, P, Hd, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, HandlerError>> + Send + 'static,
{
    let route = Arc::new((handler.clone(), call, Box::<str>::from(address)));
    let erased: ErasedHandler = Arc::new(move |envelope: Arc<Envelope>, ctx: Context| {
        let route = route.clone();
        // Everything happens in the future, which the worker runs with its
        // panic guard.
        Box::pin(async move {
            let (handler, call, template) = &*route;
            let content_type =
                crate::codec::reading_type(envelope.content_type.as_deref(), message_type)
                    .map_err(Failure::Decode)?;
            let message = M::decode(content_type, &envelope).map_err(Failure::Decode)?;
            let params = P::from_address(&envelope.channel).ok_or_else(|| {
                Failure::Decode(DecodeError::Address {
                    address: envelope.channel.to_string(),
                    template: template.to_string(),
                })
            })?;
            let headers = Hd::from_headers(&message, &envelope.headers).map_err(Failure::Decode)?;
            let reply = call(handler.clone(), message, params, headers, ctx)
                .await
                .map_err(Failure::Handler)?;
            // Nobody waits for a reply: it is not encoded.
            if envelope.reply_to.is_none() {
                return Ok(None);
            }
            let payload = reply.encode(reply_type).map_err(|e| {
                Failure::Handler(HandlerError::new(format!("cannot encode the reply: {e}")))
            })?;
            Ok(payload.map(|payload| Reply {
                payload,
                content_type: Some(reply_type.to_owned()),
                ..Reply::default()
            }))
        })
    });
    Subscriber::decoding(operation, address, erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_reply_is_null_and_null_headers_match_nothing() {
        // `()` as the reply of an operation that has one (a `type: null`
        // schema under any name) is JSON `null`; as the whole reply, none.
        assert_eq!(Answer(()).encode(JSON).unwrap(), Some(b"null".to_vec()));
        assert_eq!(().encode(JSON).unwrap(), None);
        assert_eq!(
            Answer(vec![(), ()]).encode(JSON).unwrap(),
            Some(b"[null,null]".to_vec())
        );
        // `()` headers of an operation that has headers (`type: null`):
        // no headers map is `null`, so every message is refused; `()` as
        // the whole headers (none in the document) reads nothing.
        let empty = BTreeMap::new();
        assert!(Headers::<()>::from_headers(&(), &empty).is_err());
        assert!(<() as FromHeaders<()>>::from_headers(&(), &empty).is_ok());
    }
}
