//! W3C trace context across a service (feature `otel`), on the memory
//! broker: a delivery's `traceparent`, `tracestate` and `baggage` reach
//! what its handler publishes and its reply, as they came without a
//! tracer; with a tracer set up as a service sets one up
//! (`tracing-opentelemetry` over the OpenTelemetry SDK, an in-memory
//! exporter here), the runtime's spans sit between the upstream span and
//! the downstream handler's, parent by parent.
#![cfg(feature = "otel")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faststream::{App, Context, Envelope, HandlerError, MemoryBroker, Router};
use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

/// The upstream span: the W3C specification's example.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const UPSTREAM: &str = "00f067aa0ba902b7";

fn upstream() -> String {
    format!("00-{TRACE}-{UPSTREAM}-01")
}

/// The headers of what reached `otel.out`.
type Seen = Arc<Mutex<Vec<std::collections::BTreeMap<String, String>>>>;

fn router(seen: Seen) -> Router {
    // Forwards what it gets, and answers requests.
    async fn forward(text: String, ctx: Context) -> Result<String, HandlerError> {
        ctx.publisher()
            .publish(Envelope::new("otel.out", format!("\"{text}\"")))
            .await?;
        Ok(text)
    }
    Router::new().subscriber("otel.in", forward).subscriber(
        "otel.out",
        move |_text: String, ctx: Context| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(ctx.envelope().headers.clone());
                Ok::<(), HandlerError>(())
            }
        },
    )
}

async fn first(seen: &Seen) -> std::collections::BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(h) = seen.lock().unwrap().first() {
            return h.clone();
        }
        assert!(Instant::now() < deadline, "nothing reached otel.out");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn without_a_tracer_the_context_passes_through() {
    let seen = Seen::default();
    let running = App::new(MemoryBroker::new())
        .include(router(seen.clone()))
        .start()
        .await
        .unwrap();
    let request = Envelope::new("otel.in", r#""hello""#)
        .with_header("traceparent", upstream())
        .with_header("tracestate", "congo=t61rcWkgMzE")
        .with_header("baggage", "tenant=acme");
    let reply = running
        .publisher()
        .request(request, Duration::from_secs(5))
        .await
        .unwrap();
    let onward = first(&seen).await;
    for headers in [&onward, &reply.headers] {
        assert_eq!(headers["traceparent"], upstream(), "{headers:?}");
        assert_eq!(headers["tracestate"], "congo=t61rcWkgMzE");
        assert_eq!(headers["baggage"], "tenant=acme");
    }
    running.shutdown().await;
}

/// A tracer as a service sets one up, for this thread: its spans go to
/// the returned exporter while the guard lives.
fn tracer() -> (InMemorySpanExporter, tracing::subscriber::DefaultGuard) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("otel-test")));
    (exporter, tracing::subscriber::set_default(subscriber))
}

fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
        panic!("no span {name} in {names:?}")
    })
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test]
async fn with_a_tracer_the_runtimes_spans_sit_between_upstream_and_downstream() {
    // The test's runtime runs on this thread: the tracer sees it all.
    let (exporter, _tracing) = tracer();

    let seen = Seen::default();
    let running = App::new(MemoryBroker::new())
        .include(router(seen.clone()))
        .start()
        .await
        .unwrap();
    running
        .publisher()
        .publish(
            Envelope::new("otel.in", r#""hello""#)
                .with_header("traceparent", upstream())
                .with_header("message_id", "m-1"),
        )
        .await
        .unwrap();
    let onward = first(&seen).await;
    running.shutdown().await;
    let spans = exporter.get_finished_spans().unwrap();

    let process_in = span(&spans, "process otel.in");
    let publish_out = span(&spans, "publish otel.out");
    let process_out = span(&spans, "process otel.out");
    // One trace, from the upstream span down.
    for s in [process_in, publish_out, process_out] {
        assert_eq!(s.span_context.trace_id().to_string(), TRACE, "{}", s.name);
    }
    assert_eq!(process_in.parent_span_id.to_string(), UPSTREAM);
    assert!(process_in.parent_span_is_remote);
    assert_eq!(
        publish_out.parent_span_id,
        process_in.span_context.span_id()
    );
    assert_eq!(
        process_out.parent_span_id,
        publish_out.span_context.span_id()
    );
    // The message carried its publish span.
    assert_eq!(
        onward["traceparent"],
        format!("00-{TRACE}-{}-01", publish_out.span_context.span_id())
    );
    assert_eq!(process_in.span_kind, SpanKind::Consumer);
    assert_eq!(publish_out.span_kind, SpanKind::Producer);
    assert_eq!(
        attribute(process_in, "messaging.system").as_deref(),
        Some("memory")
    );
    assert_eq!(
        attribute(process_in, "messaging.operation.type").as_deref(),
        Some("process")
    );
    assert_eq!(
        attribute(process_in, "messaging.destination.name").as_deref(),
        Some("otel.in")
    );
    assert_eq!(
        attribute(publish_out, "messaging.operation.type").as_deref(),
        Some("send")
    );
    assert_eq!(
        attribute(process_in, "messaging.message.body.size").as_deref(),
        Some("7")
    );
    assert!(attribute(process_in, "error.type").is_none());
    // The message id as FastStream reads it: the `message_id` header, else
    // the correlation id every publish gets.
    assert_eq!(
        attribute(process_in, "messaging.message.id").as_deref(),
        Some("m-1")
    );
    let conversation = attribute(process_out, "messaging.message.conversation_id");
    assert!(conversation.is_some());
    assert_eq!(attribute(process_out, "messaging.message.id"), conversation);
    // Settling is a span of its own, a child of the delivery's.
    let ack_in = span(&spans, "ack otel.in");
    assert_eq!(ack_in.parent_span_id, process_in.span_context.span_id());
    assert_eq!(
        attribute(ack_in, "messaging.operation.type").as_deref(),
        Some("settle")
    );
}

#[tokio::test]
async fn a_failed_delivery_marks_its_span() {
    let (exporter, _tracing) = tracer();
    async fn strict(n: u32) -> Result<(), HandlerError> {
        let _ = n;
        Ok(())
    }
    let running = App::new(MemoryBroker::new())
        .include(Router::new().subscriber("otel.strict", strict))
        .start()
        .await
        .unwrap();
    running
        .publisher()
        .publish(Envelope::new("otel.strict", "not json"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while running.metrics().finished < 1 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.shutdown().await;
    let spans = exporter.get_finished_spans().unwrap();
    let process = span(&spans, "process otel.strict");
    assert_eq!(
        attribute(process, "error.type").as_deref(),
        Some("JSONDecodeError")
    );
    assert!(matches!(
        process.status,
        opentelemetry::trace::Status::Error { .. }
    ));
    let reject = span(&spans, "reject otel.strict");
    assert_eq!(reject.parent_span_id, process.span_context.span_id());
}
