//! The work both bench programs do (`msgcost` in-process, `natscost` on
//! NATS core), RustStream's `consume_json`: this body, decoded into this
//! struct, counted down on this latch. Included by each with `#[path]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use tokio::sync::Notify;

pub const BODY: &[u8] = br#"{"id":1000000,"quantity":37}"#;

/// The payload: two integer fields, so the decode allocates nothing.
#[derive(Debug, Deserialize, faststream::Message)]
pub struct Order {
    pub id: u64,
    pub quantity: u32,
}

/// Counts deliveries down; the run waits once, for the last one.
#[derive(Clone, Debug)]
pub struct Latch(Arc<(AtomicUsize, Notify)>);

impl Latch {
    pub fn new(count: usize) -> Latch {
        Latch(Arc::new((AtomicUsize::new(count), Notify::new())))
    }

    pub fn arrived(&self) {
        if self.0.0.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.1.notify_one();
        }
    }

    /// How many have not arrived yet.
    pub fn left(&self) -> usize {
        self.0.0.load(Ordering::Acquire)
    }

    pub async fn drained(&self) {
        while self.left() > 0 {
            self.0.1.notified().await;
        }
    }
}
