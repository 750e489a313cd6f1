//! Hooks around consuming and publishing, and how a delivery ended.
//!
//! A middleware sees every delivery twice, when it is taken
//! ([`Middleware::before_consume`], [`Middleware::on_receive`]) and when it
//! is settled ([`Middleware::after_consume`], [`Middleware::on_processed`]),
//! and every publish twice, before it goes (where it may change the
//! envelope) and after the broker took it or refused it. The `on_*` hooks
//! say which route and which messaging system, how long it took and why it
//! failed: what metrics and traces need (the `prometheus` feature's
//! [`PrometheusMiddleware`](crate::prometheus::PrometheusMiddleware) is one).
//! With no middleware the runtime measures nothing.

use std::any::Any;
use std::time::Duration;

use super::handler::Failure;
use crate::bindings::Bindings;
use crate::broker::BrokerError;
use crate::envelope::Envelope;

/// Hooks around consuming and publishing. Every method has an empty
/// default: implement the ones you need.
pub trait Middleware: Any + Send + Sync + 'static {
    /// Before a delivery is decoded and handled.
    fn before_consume(&self, _envelope: &Envelope) {}
    /// After it was settled; `outcome` says how.
    fn after_consume(&self, _envelope: &Envelope, _outcome: Outcome) {}
    /// Before an envelope is published (it may be changed, e.g. headers).
    fn before_publish(&self, _envelope: &mut Envelope) {}
    /// A delivery was taken for a route, before it is decoded (right after
    /// [`Middleware::before_consume`]).
    fn on_receive(&self, _event: &Received<'_>) {}
    /// A delivery's handling is over: settled, with the handler's last
    /// failure and the time it took from [`Middleware::on_receive`] (right
    /// before [`Middleware::after_consume`]).
    fn on_processed(&self, _event: &Processed<'_>) {}
    /// A publish is over: the broker took the message or refused it.
    fn on_published(&self, _event: &Published<'_>) {}
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Acked: the handler succeeded, or the message was acked before it ran
    /// ([`AckPolicy::AckFirst`](crate::AckPolicy::AckFirst)), whatever became
    /// of it then.
    Acked,
    /// Handed back to the broker for redelivery.
    Nacked,
    /// Dead-lettered: undecodable, or failed after the last attempt.
    Rejected,
    /// Left to the handler (manual acks).
    Manual,
}

/// The route a delivery was taken for.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RouteInfo<'a> {
    /// The messaging system as OpenTelemetry and FastStream name it:
    /// `kafka`, `rabbitmq`, `nats`, `redis`, `mqtt` (and `memory`).
    pub system: &'static str,
    /// The route's operation (the spec's operation id, or the handler's
    /// name).
    pub operation: &'a str,
    /// The address the route subscribes to, `{param}` placeholders and
    /// all.
    pub address: &'a str,
}

/// A delivery taken for a route ([`Middleware::on_receive`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Received<'a> {
    /// The delivery as the adapter read it (not decoded yet).
    pub envelope: &'a Envelope,
    /// The route that took it.
    pub route: RouteInfo<'a>,
}

/// A delivery whose handling is over ([`Middleware::on_processed`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Processed<'a> {
    /// The delivery as the adapter read it.
    pub envelope: &'a Envelope,
    /// The route that handled it.
    pub route: RouteInfo<'a>,
    /// How it was settled.
    pub outcome: Outcome,
    /// An at-most-once delivery ([`crate::broker::Acker::at_most_once`]):
    /// its outcome stayed with the runtime, the broker was told nothing.
    pub at_most_once: bool,
    /// Why the message was not handled, at its last attempt (`None`: it
    /// was). A delivery is processed once, however many in-process retries
    /// it took.
    pub failure: Option<&'a Failure>,
    /// From the delivery's [`Middleware::on_receive`] to its settling.
    pub duration: Duration,
}

/// A publish that is over ([`Middleware::on_published`]).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Published<'a> {
    /// The address the message went to.
    pub destination: &'a str,
    /// The channel's bindings the publish was made with (the RabbitMQ
    /// exchange, the Kafka key, ...).
    pub bindings: &'a Bindings,
    /// The messaging system, named as in [`RouteInfo::system`].
    pub system: &'static str,
    /// A reply to a request (FastStream does not count those as
    /// publishes).
    pub reply: bool,
    /// What the broker said.
    pub result: Result<(), &'a BrokerError>,
    /// How long the broker took to take or refuse the message: from the
    /// hand-over (after [`Middleware::before_publish`]) to its answer.
    pub duration: Duration,
}

/// The messaging system of an adapter ([`crate::Broker::name`]), as
/// OpenTelemetry's messaging conventions and FastStream name it.
pub fn messaging_system(broker: &'static str) -> &'static str {
    match broker {
        "amqp" => "rabbitmq",
        "jetstream" => "nats",
        "redis-streams" => "redis",
        other => other,
    }
}

/// The middleware of type `T` among `middleware`, if there is one.
pub(crate) fn find<T: Middleware>(middleware: &[std::sync::Arc<dyn Middleware>]) -> Option<&T> {
    middleware
        .iter()
        .find_map(|m| (&**m as &dyn Any).downcast_ref::<T>())
}
