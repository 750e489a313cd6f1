//! W3C trace context across services (feature `otel`).
//!
//! Every delivery's `traceparent`, `tracestate` and `baggage` headers
//! (what FastStream's `TelemetryMiddleware` writes) reach every publish
//! made while handling it: replies, generated publishers,
//! `ctx.publisher()`, batches, on every broker. So a trace that starts in
//! a FastStream service continues through a Rust service and back.
//!
//! - Without a tracer, the context passes through as it came (what
//!   OpenTelemetry does with no SDK configured).
//! - With a tracer set up through `tracing-opentelemetry` (the service's
//!   choice of exporter), the runtime's spans become OpenTelemetry spans:
//!   `process {destination}` (a consumer span whose parent is the
//!   incoming context; batches link every message's context instead) and
//!   `publish {destination}` (a producer span, child of the current one)
//!   and `ack`, `nack` or `reject {destination}` (the settling, a child of
//!   the delivery's span),
//!   with the messaging conventions' attributes (`messaging.system`,
//!   `messaging.operation.type`, `messaging.destination.name`,
//!   `messaging.destination.template` for `{param}` addresses,
//!   `messaging.message.id` (as FastStream names a message: see
//!   [`message_id`]), `messaging.message.conversation_id`,
//!   `messaging.consumer.group.name`,
//!   `messaging.message.body.size`, `error.type`); a publish carries the
//!   context of its own span.
//!
//! Headers a publish already has are kept. Without the feature none of
//! this is compiled.

use std::future::Future;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::envelope::Envelope;

pub(crate) const TRACEPARENT: &str = "traceparent";
pub(crate) const TRACESTATE: &str = "tracestate";
pub(crate) const BAGGAGE: &str = "baggage";
/// The header (and, for AMQP's property, the meta key) of a message id.
pub(crate) const MESSAGE_ID: &str = "message_id";

/// The trace headers of a delivery.
#[derive(Debug, Clone, Default)]
pub(crate) struct Incoming {
    traceparent: Option<String>,
    tracestate: Option<String>,
    baggage: Option<String>,
}

tokio::task_local! {
    /// The trace headers of the delivery being handled.
    static INCOMING: Incoming;
}

impl Incoming {
    pub(crate) fn of(envelope: &Envelope) -> Incoming {
        let header = |name: &str| envelope.headers.get(name).cloned();
        Incoming {
            traceparent: header(TRACEPARENT),
            tracestate: header(TRACESTATE),
            baggage: header(BAGGAGE),
        }
    }

    /// The remote span the delivery was published in, if it names a valid
    /// one.
    pub(crate) fn span_context(&self) -> Option<SpanContext> {
        parse(self.traceparent.as_deref()?, self.tracestate.as_deref())
    }

    /// Makes the delivery's remote span the parent of `span`.
    pub(crate) fn adopt(&self, span: &tracing::Span) {
        if let Some(remote) = self.span_context() {
            // Fails only without an OpenTelemetry layer: then there is no
            // span to parent, and the headers pass through as they came.
            let _ = span.set_parent(Context::new().with_remote_span_context(remote));
        }
    }

    /// Runs `fut` with these as the current delivery's headers.
    pub(crate) fn scope<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        INCOMING.scope(self, fut)
    }
}

/// A delivery's message id, as FastStream's parsers name it: its
/// `message_id` header (FastStream's NATS and Redis), the AMQP
/// `message-id` property, `{offset}-{timestamp}` on Kafka, else its
/// correlation id (FastStream's fallback).
pub(crate) fn message_id(envelope: &Envelope) -> Option<String> {
    let of = |map: &std::collections::BTreeMap<String, String>| map.get(MESSAGE_ID).cloned();
    of(&envelope.headers)
        .or_else(|| of(&envelope.meta))
        .or_else(|| {
            // The Kafka adapter's `META_OFFSET` and `META_TIMESTAMP`.
            let offset = envelope.meta.get("offset")?;
            let timestamp = envelope.meta.get("timestamp")?;
            Some(format!("{offset}-{timestamp}"))
        })
        .or_else(|| envelope.correlation_id.as_deref().map(str::to_owned))
}

/// Marks a delivery's span as failed: `error.type` is `kind`, the status
/// `ERROR`.
pub(crate) fn failed(span: &tracing::Span, kind: &str) {
    span.record("error.type", kind);
    span.record("otel.status_code", "ERROR");
}

/// A W3C `traceparent` (version 00, or a later version read as 00 says)
/// with its `tracestate`, as a remote span context; `None` when invalid.
pub(crate) fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<SpanContext> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && hex(span, 16)
        && hex(flags, 2)
        && (version != "00" || parts.next().is_none());
    if !valid {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let state = tracestate
        .and_then(|s| s.parse::<TraceState>().ok())
        .unwrap_or_default();
    let context = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags) & TraceFlags::SAMPLED,
        true,
        state,
    );
    context.is_valid().then_some(context)
}

/// The `traceparent` of a span context.
pub(crate) fn format(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8() & TraceFlags::SAMPLED.to_u8()
    )
}

/// Writes the trace context into a publish: the current span's where a
/// tracer records one, else the delivery's headers as they came; the
/// delivery's baggage either way. Headers the envelope has are kept.
pub(crate) fn inject(envelope: &mut Envelope) {
    let current = tracing::Span::current().context();
    let span = current.span();
    let own = span.span_context();
    let headers = &mut envelope.headers;
    let mut put = |name: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty())
            && !headers.contains_key(name)
        {
            headers.insert(name.to_owned(), value.to_owned());
        }
    };
    if own.is_valid() {
        put(TRACEPARENT, Some(&format(own)));
        put(TRACESTATE, Some(&own.trace_state().header()));
    }
    // Outside a delivery there is nothing to pass on.
    let _ = INCOMING.try_with(|incoming| {
        if !own.is_valid() {
            put(TRACEPARENT, incoming.traceparent.as_deref());
            put(TRACESTATE, incoming.tracestate.as_deref());
        }
        put(BAGGAGE, incoming.baggage.as_deref());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn traceparents_read_and_write_as_w3c_says() {
        let context = parse(PARENT, Some("congo=t61rcWkgMzE")).unwrap();
        assert_eq!(
            context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(context.span_id().to_string(), "00f067aa0ba902b7");
        assert!(context.is_sampled() && context.is_remote());
        assert_eq!(context.trace_state().header(), "congo=t61rcWkgMzE");
        assert_eq!(format(&context), PARENT);
        // A later version may add fields; 00 may not.
        assert!(parse(&format!("01{}-extra", &PARENT[2..]), None).is_some());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        ] {
            assert!(parse(bad, None).is_none(), "{bad}");
        }
    }

    #[test]
    fn message_ids_are_read_as_faststream_reads_them() {
        let plain = Envelope::new("in", "{}").with_correlation_id("c-1");
        assert_eq!(message_id(&plain).as_deref(), Some("c-1"));
        let kafka = plain
            .clone()
            .with_meta("offset", "42")
            .with_meta("timestamp", "1700000000000");
        assert_eq!(message_id(&kafka).as_deref(), Some("42-1700000000000"));
        let amqp = plain.clone().with_meta(MESSAGE_ID, "p-1");
        assert_eq!(message_id(&amqp).as_deref(), Some("p-1"));
        let header = amqp.with_header(MESSAGE_ID, "h-1");
        assert_eq!(message_id(&header).as_deref(), Some("h-1"));
        assert_eq!(message_id(&Envelope::new("in", "{}")), None);
    }

    #[tokio::test]
    async fn without_a_tracer_the_delivery_headers_pass_through() {
        let delivery = Envelope::new("in", "{}")
            .with_header(TRACEPARENT, PARENT)
            .with_header(TRACESTATE, "a=1")
            .with_header(BAGGAGE, "user=7");
        let out = Incoming::of(&delivery)
            .scope(async {
                let mut out = Envelope::new("out", "{}");
                inject(&mut out);
                out
            })
            .await;
        assert_eq!(out.headers[TRACEPARENT], PARENT);
        assert_eq!(out.headers[TRACESTATE], "a=1");
        assert_eq!(out.headers[BAGGAGE], "user=7");
        // Outside a delivery, and where the publish has its own: nothing
        // is written over.
        let mut alone = Envelope::new("out", "{}");
        inject(&mut alone);
        assert!(alone.headers.is_empty());
        let mut own = Envelope::new("out", "{}").with_header(TRACEPARENT, "mine");
        Incoming::of(&delivery)
            .scope(async { inject(&mut own) })
            .await;
        assert_eq!(own.headers[TRACEPARENT], "mine");
    }
}
