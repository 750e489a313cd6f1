//! A route on several workers (`SubscriberOptions::workers`): tasks of
//! the multi-threaded runtime, fed from the route's one subscription.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::worker::Worker;
use crate::envelope::Envelope;

impl Worker {
    /// `n` workers: tasks of the multi-threaded runtime, each with its
    /// share of `max_in_flight`, fed from `sub` by this task. A route that
    /// handles one message at a time (`max_in_flight` 1) keeps the order
    /// the broker promises: each Kafka partition, record key or channel
    /// goes to one worker. Otherwise a delivery goes to the next worker
    /// with room. True when `sub` ended.
    pub(super) async fn dispatch(
        self: Arc<Self>,
        sub: &mut crate::broker::Subscription,
        mut stop: watch::Receiver<bool>,
        grace: Duration,
        n: usize,
    ) -> bool {
        use tokio::sync::mpsc::error::TrySendError;
        let max_in_flight = self.route.options.max_in_flight.max(1);
        let ordered = max_in_flight == 1;
        let share = max_in_flight.div_ceil(n).max(1);
        let mut workers = Vec::with_capacity(n);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (tx, rx) = tokio::sync::mpsc::channel(share);
            workers.push(tx);
            let (this, stop) = (self.clone(), stop.clone());
            tasks.spawn(async move {
                let mut own = crate::broker::Subscription::new(rx);
                this.consume(&mut own, stop, grace, share).await;
            });
        }
        let mut next = 0;
        let ended = loop {
            let delivery = tokio::select! {
                biased;
                _ = stop.changed() => break false,
                d = sub.next() => match d {
                    Some(d) => d,
                    None => break true,
                },
            };
            let sent = if ordered {
                workers[shard(&delivery.envelope, n)].send(delivery).await
            } else {
                // The next worker with room; when none has, wait for it.
                let mut delivery = Some(delivery);
                for i in 0..n {
                    let w = (next + i) % n;
                    match workers[w].try_send(delivery.take().expect("not sent yet")) {
                        Ok(()) => {
                            next = (w + 1) % n;
                            break;
                        }
                        Err(TrySendError::Full(d) | TrySendError::Closed(d)) => delivery = Some(d),
                    }
                }
                match delivery {
                    None => Ok(()),
                    Some(d) => {
                        let w = next;
                        next = (next + 1) % n;
                        workers[w].send(d).await
                    }
                }
            };
            if sent.is_err() {
                break false;
            }
        };
        // The workers finish what they hold, then end.
        drop(workers);
        while tasks.join_next().await.is_some() {}
        ended
    }
}

/// The worker of a delivery whose order the broker promises: by its Kafka
/// partition, else its record key, else its channel.
fn shard(envelope: &Envelope, n: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match (envelope.meta.get("partition"), envelope.meta.get("key")) {
        (Some(p), _) => p.hash(&mut h),
        (None, Some(k)) => k.hash(&mut h),
        (None, None) => envelope.channel.hash(&mut h),
    }
    (h.finish() % n as u64) as usize
}
