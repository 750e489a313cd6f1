//! Testing without a broker, in the spirit of FastStream's TestBroker: the
//! real routes run on the in-memory broker in-process; tests publish (typed,
//! through generated publishers), wait for the handlers, and look at what
//! was published, replied and dead-lettered. Failures surface in the test:
//! [`TestApp::shutdown`] reports them instead of swallowing them.

use std::time::Duration;

use crate::app::{App, MetricsSnapshot, Publisher, Router, RunningApp};
use crate::envelope::Envelope;
use crate::memory::{DeadLetter, MemoryBroker};

/// An application running on a private in-memory broker.
#[derive(Debug)]
pub struct TestApp {
    broker: MemoryBroker,
    running: RunningApp,
}

impl TestApp {
    /// Starts the routes of `router`.
    pub async fn start(router: Router) -> TestApp {
        TestApp::start_with(router, |app| app).await
    }

    /// Starts the routes of `router` with an app configured by `configure`
    /// (middleware, hooks, shutdown timeout).
    pub async fn start_with(router: Router, configure: impl FnOnce(App) -> App) -> TestApp {
        let broker = MemoryBroker::new();
        let app = configure(App::new(broker.clone()).include(router));
        let running = app
            .start()
            .await
            .expect("the in-memory broker always subscribes");
        TestApp { broker, running }
    }

    pub fn broker(&self) -> &MemoryBroker {
        &self.broker
    }

    /// Publishes into the app (use it to build generated publishers).
    pub fn publisher(&self) -> Publisher {
        self.running.publisher().clone()
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.running.metrics()
    }

    /// Waits until `n` deliveries in all have been handled and settled.
    /// Panics (failing the test) after `timeout`, with the counters.
    pub async fn wait_finished(&self, n: u64, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let m = self.metrics();
            if m.finished >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {n} messages to be handled: {m:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Everything published to an address (requests, replies, sends).
    pub fn published_to(&self, address: &str) -> Vec<Envelope> {
        self.broker.published_to(address)
    }

    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.broker.dead_letters()
    }

    /// Shuts down gracefully and returns the final counters.
    pub async fn shutdown(self) -> MetricsSnapshot {
        self.running.shutdown().await
    }
}
