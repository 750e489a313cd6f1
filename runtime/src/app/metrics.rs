//! The counters of a running application.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a running application.
#[derive(Debug, Default)]
pub struct Metrics {
    pub received: AtomicU64,
    pub handled: AtomicU64,
    pub acked: AtomicU64,
    pub nacked: AtomicU64,
    pub rejected: AtomicU64,
    pub decode_failures: AtomicU64,
    pub handler_failures: AtomicU64,
    pub panics: AtomicU64,
    pub retries: AtomicU64,
    pub replies: AtomicU64,
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
    pub received: u64,
    pub handled: u64,
    pub acked: u64,
    pub nacked: u64,
    pub rejected: u64,
    pub decode_failures: u64,
    pub handler_failures: u64,
    pub panics: u64,
    pub retries: u64,
    pub replies: u64,
    pub in_flight: u64,
    pub finished: u64,
    pub subscribers: u64,
}
