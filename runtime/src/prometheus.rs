//! Prometheus metrics with FastStream's names and labels (feature
//! `prometheus`), so that one dashboard shows a fleet of Python and Rust
//! services alike.
//!
//! [`PrometheusMiddleware`] is FastStream's `PrometheusMiddleware`: add it
//! to the app, and serve [`PrometheusMiddleware::encode`] on `/metrics`.
//!
//! | Metric | Type | Labels |
//! |---|---|---|
//! | `faststream_received_messages_total` | counter | `app_name`, `broker`, `handler` |
//! | `faststream_received_messages_size_bytes` | histogram | `app_name`, `broker`, `handler` |
//! | `faststream_received_messages_in_process` | gauge | `app_name`, `broker`, `handler` |
//! | `faststream_received_processed_messages_total` | counter | `app_name`, `broker`, `handler`, `status` |
//! | `faststream_received_processed_messages_duration_seconds` | histogram | `app_name`, `broker`, `handler` |
//! | `faststream_received_processed_messages_exceptions_total` | counter | `app_name`, `broker`, `handler`, `exception_type` |
//! | `faststream_published_messages_total` | counter | `app_name`, `broker`, `destination`, `status` |
//! | `faststream_published_messages_duration_seconds` | histogram | `app_name`, `broker`, `destination` |
//! | `faststream_published_messages_exceptions_total` | counter | `app_name`, `broker`, `destination`, `exception_type` |
//!
//! As in FastStream:
//! - `broker` is the messaging system (`kafka`, `rabbitmq`, `nats`, `redis`,
//!   `mqtt`), `handler` the address a message came on (the subject on
//!   NATS, the topic on Kafka and MQTT, the channel, list or stream on
//!   Redis, `{exchange}.{routing key}` on RabbitMQ with `default` for the
//!   default exchange), `destination` where a publish went (on RabbitMQ
//!   `{exchange}.{routing key}` too);
//! - `status` is how a delivery was settled (`acked`, `nacked`,
//!   `rejected`), or, where nothing is settled with the broker (core NATS,
//!   Redis pub/sub, a handler that settles messages itself), `acked` or
//!   `error` as the handler ended; a delivery counts once, with its final
//!   status, however many in-process retries it took;
//! - `exception_type` names the handler's error
//!   ([`HandlerError::exception_type`](crate::HandlerError::exception_type)),
//!   `JSONDecodeError` for a payload that is not JSON, `ValidationError`
//!   for one of the wrong shape or that breaks its schema (the names
//!   FastStream's Python gives them);
//! - replies to requests are not counted as publishes;
//! - the prefix (`faststream`), the app name (the prefix unless set) and
//!   the size buckets are settings; durations use Prometheus' default
//!   buckets.
//!
//! ```
//! use faststream::prometheus::PrometheusMiddleware;
//!
//! let metrics = PrometheusMiddleware::builder().app_name("orders").build();
//! let app = faststream::App::new(faststream::MemoryBroker::new()).middleware(metrics.clone());
//! // ... serve `metrics.encode()` as text on /metrics.
//! assert!(metrics.encode().ends_with("# EOF\n"));
//! # drop(app);
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::app::Failure;
use crate::app::middleware::{Middleware, Outcome, Processed, Published, Received};
use crate::bindings::Bindings;
use crate::envelope::Envelope;

/// The content type of [`PrometheusMiddleware::encode`]'s text
/// (OpenMetrics, which Prometheus scrapes).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// FastStream's received-size buckets: 16 B to 16 MiB, by powers of 4.
pub const DEFAULT_SIZE_BUCKETS: [f64; 11] = [
    16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0,
];

/// Prometheus' default duration buckets (seconds), as FastStream uses
/// them.
pub const DEFAULT_DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// A metric's label set: `app_name`, `broker`, the handler or
/// destination, then the status or exception type where the metric has
/// one.
type Labels = Vec<(&'static str, Value)>;

/// A label's value: fixed, or shared by every label set that has it (no
/// copy of the app name per message).
#[derive(Clone, Debug)]
enum Value {
    Fixed(&'static str),
    Shared(Arc<str>),
}

impl std::ops::Deref for Value {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Value::Fixed(s) => s,
            Value::Shared(s) => s,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        **self == **other
    }
}

impl Eq for Value {}

impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl EncodeLabelValue for Value {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&&**self, encoder)
    }
}

/// Histograms with given buckets, for a [`Family`].
#[derive(Clone, Debug)]
struct Buckets(Arc<[f64]>);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// Builds a [`PrometheusMiddleware`] with settings other than FastStream's
/// defaults.
#[derive(Debug, Default)]
pub struct PrometheusBuilder {
    registry: Option<Registry>,
    prefix: Option<String>,
    app_name: Option<String>,
    size_buckets: Option<Vec<f64>>,
}

impl PrometheusBuilder {
    /// The prefix of every metric's name (default `faststream`).
    pub fn metrics_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The `app_name` label (default: the prefix, as in FastStream).
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// The buckets of `received_messages_size_bytes` (default
    /// [`DEFAULT_SIZE_BUCKETS`]).
    pub fn received_messages_size_buckets(
        mut self,
        buckets: impl IntoIterator<Item = f64>,
    ) -> Self {
        self.size_buckets = Some(buckets.into_iter().collect());
        self
    }

    /// Registers the metrics in `registry` (with the service's own metrics
    /// in it) instead of a new one; [`PrometheusMiddleware::encode`]
    /// encodes all of it.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Builds the middleware, its metrics registered in the given registry (or
    /// a new one); give it to the app with
    /// [`App::middleware`](crate::App::middleware).
    pub fn build(self) -> PrometheusMiddleware {
        let prefix = self.prefix.unwrap_or_else(|| "faststream".to_owned());
        let app_name: Arc<str> = self.app_name.unwrap_or_else(|| prefix.clone()).into();
        let mut registry = self.registry.unwrap_or_default();
        let scope = registry.sub_registry_with_prefix(&prefix);
        let sizes = Buckets(
            self.size_buckets
                .unwrap_or_else(|| DEFAULT_SIZE_BUCKETS.to_vec())
                .into(),
        );
        let durations = Buckets(DEFAULT_DURATION_BUCKETS.into());
        let metrics = Metrics {
            app_name,
            received: Family::default(),
            received_size: Family::new_with_constructor(sizes),
            in_process: Family::default(),
            processed: Family::default(),
            processed_duration: Family::new_with_constructor(durations.clone()),
            processed_exceptions: Family::default(),
            published: Family::default(),
            published_duration: Family::new_with_constructor(durations),
            published_exceptions: Family::default(),
        };
        // Counters get their `_total` from the encoder.
        let m = &metrics;
        scope.register(
            "received_messages",
            "Count of received messages by broker and handler",
            m.received.clone(),
        );
        scope.register(
            "received_messages_size_bytes",
            "Histogram of received messages size in bytes by broker and handler",
            m.received_size.clone(),
        );
        scope.register(
            "received_messages_in_process",
            "Gauge of received messages in process by broker and handler",
            m.in_process.clone(),
        );
        scope.register(
            "received_processed_messages",
            "Count of received processed messages by broker, handler and status",
            m.processed.clone(),
        );
        scope.register(
            "received_processed_messages_duration_seconds",
            "Histogram of received processed messages duration in seconds by broker and handler",
            m.processed_duration.clone(),
        );
        scope.register(
            "received_processed_messages_exceptions",
            "Count of received processed messages exceptions by broker, handler and exception_type",
            m.processed_exceptions.clone(),
        );
        scope.register(
            "published_messages",
            "Count of published messages by destination and status",
            m.published.clone(),
        );
        scope.register(
            "published_messages_duration_seconds",
            "Histogram of published messages duration in seconds by broker and destination",
            m.published_duration.clone(),
        );
        scope.register(
            "published_messages_exceptions",
            "Count of published messages exceptions by broker, destination and exception_type",
            m.published_exceptions.clone(),
        );
        PrometheusMiddleware {
            inner: Arc::new(Inner {
                registry: Mutex::new(registry),
                metrics,
            }),
        }
    }
}

/// FastStream's `PrometheusMiddleware`: the app's deliveries and publishes
/// as Prometheus metrics (see the [module](self)). Clones share the
/// metrics.
#[derive(Clone, Debug)]
pub struct PrometheusMiddleware {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Mutex<Registry>,
    metrics: Metrics,
}

#[derive(Debug)]
struct Metrics {
    app_name: Arc<str>,
    received: Family<Labels, Counter>,
    received_size: Family<Labels, Histogram, Buckets>,
    in_process: Family<Labels, Gauge>,
    processed: Family<Labels, Counter>,
    processed_duration: Family<Labels, Histogram, Buckets>,
    processed_exceptions: Family<Labels, Counter>,
    published: Family<Labels, Counter>,
    published_duration: Family<Labels, Histogram, Buckets>,
    published_exceptions: Family<Labels, Counter>,
}

impl Default for PrometheusMiddleware {
    fn default() -> Self {
        PrometheusMiddleware::new()
    }
}

impl PrometheusMiddleware {
    /// With FastStream's defaults: prefix and app name `faststream`.
    pub fn new() -> PrometheusMiddleware {
        PrometheusMiddleware::builder().build()
    }

    /// A builder, for settings other than FastStream's defaults (prefix, app
    /// name, size buckets, registry).
    pub fn builder() -> PrometheusBuilder {
        PrometheusBuilder::default()
    }

    /// The registry's metrics in the text format Prometheus scrapes
    /// ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Writing into a `String` does not fail.
        let _ = encode(&mut text, &registry);
        text
    }

    /// Runs `f` on the registry, to register the service's own metrics
    /// beside these.
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        f(&mut self
            .inner
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    fn labels(&self, system: &'static str, place: &'static str, value: Value) -> Labels {
        vec![
            (
                "app_name",
                Value::Shared(self.inner.metrics.app_name.clone()),
            ),
            ("broker", Value::Fixed(system)),
            (place, value),
        ]
    }
}

/// Where a delivery came from, as FastStream's metrics name it.
fn handler_name(system: &str, envelope: &Envelope) -> Value {
    Value::Shared(if system == "rabbitmq" {
        let exchange = envelope
            .meta
            .get("exchange")
            .map_or("default", String::as_str);
        format!("{exchange}.{}", envelope.channel).into()
    } else {
        envelope.channel.as_str().into()
    })
}

/// Where a publish went, as FastStream's metrics name it.
fn destination_name(system: &str, destination: &str, bindings: &Bindings) -> Value {
    Value::Shared(if system == "rabbitmq" {
        let exchange = bindings
            .amqp
            .as_ref()
            .and_then(|b| b.exchange.as_ref())
            .map(|x| x.name.as_str())
            .filter(|name| !name.is_empty())
            .unwrap_or("default");
        format!("{exchange}.{destination}").into()
    } else {
        destination.into()
    })
}

/// `labels` with one more.
fn with(mut labels: Labels, name: &'static str, value: &'static str) -> Labels {
    labels.push((name, Value::Fixed(value)));
    labels
}

impl Middleware for PrometheusMiddleware {
    fn on_receive(&self, event: &Received<'_>) {
        let m = &self.inner.metrics;
        let labels = self.labels(
            event.route.system,
            "handler",
            handler_name(event.route.system, event.envelope),
        );
        m.received.get_or_create(&labels).inc();
        m.received_size
            .get_or_create(&labels)
            .observe(event.envelope.payload.len() as f64);
        m.in_process.get_or_create(&labels).inc();
    }

    fn on_processed(&self, event: &Processed<'_>) {
        let m = &self.inner.metrics;
        let labels = self.labels(
            event.route.system,
            "handler",
            handler_name(event.route.system, event.envelope),
        );
        m.in_process.get_or_create(&labels).dec();
        m.processed_duration
            .get_or_create(&labels)
            .observe(event.duration.as_secs_f64());
        let exception = event.failure.map(Failure::exception_type);
        if let Some(exception) = exception {
            m.processed_exceptions
                .get_or_create(&with(labels.clone(), "exception_type", exception))
                .inc();
        }
        let status = match event.outcome {
            // Nothing was settled with the broker: FastStream says how the
            // handler ended.
            _ if event.at_most_once && exception.is_some() => "error",
            _ if event.at_most_once => "acked",
            Outcome::Acked => "acked",
            Outcome::Nacked => "nacked",
            Outcome::Rejected => "rejected",
            Outcome::Manual if exception.is_some() => "error",
            Outcome::Manual => "acked",
        };
        m.processed
            .get_or_create(&with(labels, "status", status))
            .inc();
    }

    fn on_published(&self, event: &Published<'_>) {
        if event.reply {
            return;
        }
        let m = &self.inner.metrics;
        let labels = self.labels(
            event.system,
            "destination",
            destination_name(event.system, event.destination, event.bindings),
        );
        m.published_duration
            .get_or_create(&labels)
            .observe(event.duration.as_secs_f64());
        let status = match event.result {
            Ok(()) => "success",
            Err(e) => {
                m.published_exceptions
                    .get_or_create(&with(labels.clone(), "exception_type", error_type(e)))
                    .inc();
                "error"
            }
        };
        m.published
            .get_or_create(&with(labels, "status", status))
            .inc();
    }
}

/// A broker's refusal, as `exception_type` names it.
fn error_type(e: &crate::broker::BrokerError) -> &'static str {
    use crate::broker::BrokerErrorKind;
    match e.kind {
        BrokerErrorKind::Connection => "ConnectionError",
        BrokerErrorKind::Refused => "BrokerError",
        BrokerErrorKind::Timeout => "TimeoutError",
        BrokerErrorKind::Closed => "BrokerClosedError",
    }
}
