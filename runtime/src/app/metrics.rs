//! The counters of a running application.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a running application.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Deliveries the routes took from the broker, counted as each is taken,
    /// before anything decodes it (each message of a batch counts).
    pub received: AtomicU64,
    /// Deliveries whose handler succeeded, at the first attempt or after
    /// in-process retries, whatever the ack policy (each decoded message of a
    /// successful batch counts).
    pub handled: AtomicU64,
    /// Acks the runtime sent, before the handler ran
    /// ([`AckPolicy::AckFirst`](crate::AckPolicy::AckFirst)) or after it
    /// succeeded. Acks a handler sends itself under
    /// [`AckPolicy::Manual`](crate::AckPolicy::Manual) are not counted.
    pub acked: AtomicU64,
    /// Nacks the runtime sent: under
    /// [`AckPolicy::NackOnError`](crate::AckPolicy::NackOnError), a handler
    /// failure with attempts left hands the message back to the broker, for
    /// redelivery after the retry backoff.
    pub nacked: AtomicU64,
    /// Rejects the runtime sent (dead letters, where the broker keeps them):
    /// deliveries refused before the handler ([`Metrics::decode_failures`])
    /// and handler failures with no attempt left (at once under
    /// [`AckPolicy::RejectOnError`](crate::AckPolicy::RejectOnError)). Under
    /// [`AckPolicy::AckFirst`](crate::AckPolicy::AckFirst) nothing is
    /// rejected; a handler's own rejects under
    /// [`AckPolicy::Manual`](crate::AckPolicy::Manual) are not counted.
    pub rejected: AtomicU64,
    /// Deliveries refused before the handler was called: the payload did not
    /// decode or broke the schema, an argument the handler takes (`Params`,
    /// `Headers`, a `State`) could not be made, the adapter could not read the
    /// delivery whole, or the body was over the route's `max_body_size`. Each
    /// message of a batch counts alone.
    pub decode_failures: AtomicU64,
    /// Handler calls that failed, by an error or a panic: every attempt
    /// counts, in-process retries included (a batch handler's failed call
    /// counts once).
    pub handler_failures: AtomicU64,
    /// Handler calls that panicked. The panic is caught (the route goes on),
    /// and the call also counts in [`Metrics::handler_failures`].
    pub panics: AtomicU64,
    /// In-process retries under
    /// [`AckPolicy::AckAfterSuccess`](crate::AckPolicy::AckAfterSuccess): each
    /// call of the handler after a failed one (a batch's retry counts once).
    /// Redeliveries after a nack are not counted here.
    pub retries: AtomicU64,
    /// Replies published to requests (messages with a `reply_to`); a reply
    /// whose publish failed is not counted.
    pub replies: AtomicU64,
    /// Deliveries taken and not finished yet, at this moment (it goes down
    /// again as they finish).
    pub in_flight: AtomicU64,
    /// Deliveries whose handling is over (settled one way or another).
    pub finished: AtomicU64,
    /// Subscriptions still consuming (one per route while the app runs;
    /// fewer means a subscription ended without a shutdown).
    pub subscribers: AtomicU64,
}

impl Metrics {
    /// A plain copy of the counters.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MetricsSnapshot {
            received: g(&self.received),
            handled: g(&self.handled),
            acked: g(&self.acked),
            nacked: g(&self.nacked),
            rejected: g(&self.rejected),
            decode_failures: g(&self.decode_failures),
            handler_failures: g(&self.handler_failures),
            panics: g(&self.panics),
            retries: g(&self.retries),
            replies: g(&self.replies),
            in_flight: g(&self.in_flight),
            finished: g(&self.finished),
            subscribers: g(&self.subscribers),
        }
    }
}

/// A copy of [`Metrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Deliveries taken from the broker ([`Metrics::received`]).
    pub received: u64,
    /// Deliveries whose handler succeeded ([`Metrics::handled`]).
    pub handled: u64,
    /// Acks the runtime sent ([`Metrics::acked`]).
    pub acked: u64,
    /// Nacks the runtime sent, for redelivery ([`Metrics::nacked`]).
    pub nacked: u64,
    /// Rejects (dead letters) the runtime sent ([`Metrics::rejected`]).
    pub rejected: u64,
    /// Deliveries refused before the handler ([`Metrics::decode_failures`]).
    pub decode_failures: u64,
    /// Failed handler calls, retries included ([`Metrics::handler_failures`]).
    pub handler_failures: u64,
    /// Handler calls that panicked ([`Metrics::panics`]).
    pub panics: u64,
    /// In-process retries ([`Metrics::retries`]).
    pub retries: u64,
    /// Replies published to requests ([`Metrics::replies`]).
    pub replies: u64,
    /// Deliveries being handled when the snapshot was taken
    /// ([`Metrics::in_flight`]).
    pub in_flight: u64,
    /// Deliveries whose handling is over ([`Metrics::finished`]).
    pub finished: u64,
    /// Subscriptions still consuming ([`Metrics::subscribers`]).
    pub subscribers: u64,
}
