//! Whether a running application is ready for work, for readiness probes
//! (the `http` feature serves it on `/health/ready`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::metrics::Metrics;
use crate::broker::{Broker, BrokerError};

/// A handle on a running app's health; clones share it. Taken from
/// [`RunningApp::health`](crate::RunningApp::health) and kept by whatever
/// serves the probes.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

struct Inner {
    /// Until the app begins to shut down.
    running: AtomicBool,
    /// The routes the app started.
    routes: u64,
    metrics: Arc<Metrics>,
    broker: Arc<dyn Broker>,
}

impl fmt::Debug for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Health")
            .field("running", &self.is_running())
            .field("routes", &self.inner.routes)
            .field("broker", &self.inner.broker.name())
            .finish()
    }
}

/// Why an app is not ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotReady {
    /// The app is shutting down, or has stopped.
    #[error("the app is not running")]
    Stopped,
    /// Some subscriptions ended without a shutdown (their routes take no
    /// more messages).
    #[error("{alive} of {routes} subscriptions are consuming: the others ended")]
    Subscriptions {
        /// Subscriptions still consuming.
        alive: u64,
        /// Routes the app started.
        routes: u64,
    },
    /// The connection to the broker is down (the adapter is reconnecting).
    #[error("the broker connection is down: {0}")]
    Broker(BrokerError),
}

impl NotReady {
    /// A short name of the reason (`stopped`, `subscriptions`, `broker`),
    /// for probes that answer in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            NotReady::Stopped => "stopped",
            NotReady::Subscriptions { .. } => "subscriptions",
            NotReady::Broker(_) => "broker",
        }
    }
}

impl Health {
    pub(super) fn new(routes: u64, metrics: Arc<Metrics>, broker: Arc<dyn Broker>) -> Health {
        Health {
            inner: Arc::new(Inner {
                running: AtomicBool::new(true),
                routes,
                metrics,
                broker,
            }),
        }
    }

    /// From the app's start until its shutdown begins.
    pub fn is_running(&self) -> bool {
        self.inner.running.load(Ordering::Acquire)
    }

    pub(super) fn stopping(&self) {
        self.inner.running.store(false, Ordering::Release);
    }

    /// Ready: the app runs, every route's subscription is consuming and
    /// the broker connection is up ([`Broker::check_connection`]).
    pub async fn ready(&self) -> Result<(), NotReady> {
        if !self.is_running() {
            return Err(NotReady::Stopped);
        }
        let alive = self.inner.metrics.subscribers.load(Ordering::Relaxed);
        if alive < self.inner.routes {
            return Err(NotReady::Subscriptions {
                alive,
                routes: self.inner.routes,
            });
        }
        self.inner
            .broker
            .check_connection()
            .await
            .map_err(NotReady::Broker)
    }
}
