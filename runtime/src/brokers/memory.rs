//! The in-memory broker: everything in-process, for tests and local runs.
//!
//! Channels with `{param}` placeholders match concrete addresses; a group
//! of subscribers shares messages round-robin (one of N gets each); a
//! delivery is acked, nacked (redelivered, after a delay if asked) or
//! rejected (kept in the broker's dead letters with the reason). A
//! [`MemoryBroker::recording`] broker also keeps a copy of every published
//! envelope, for tests to assert on ([`TestApp`](crate::testing::TestApp)
//! uses one); [`MemoryBroker::new`] keeps none, and costs less per message.
//!
//! [`TestApp::start`](crate::testing::TestApp::start) runs routes on a
//! private one. With [`MemoryBroker::standing_in_for`] it stands in for a
//! real server: `faststream::connect` returns one while
//! `FASTSTREAM_ASYNCAPI_OUT` has the process only export its document, so
//! the export still lists the server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

mod queue;

use queue::{Sender, TrySendError};

use crate::address::matches_address;
use crate::broker::{
    AckHandle, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec,
    Subscription, SubscriptionAcker,
};
use crate::envelope::Envelope;

/// A message the broker gave up on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The rejected message, as it was delivered.
    pub envelope: Envelope,
    /// Why it was rejected: the runtime's `undecodable: ...` or
    /// `handler failed: ...`, or a handler's own reason.
    pub reason: String,
}

/// The in-memory broker. Cloning gives another handle to the same broker.
#[derive(Debug, Clone, Default)]
pub struct MemoryBroker {
    inner: Arc<Inner>,
    /// The server it stands in for (see [`MemoryBroker::standing_in_for`]).
    server: Option<Arc<crate::connect::ServerInfo>>,
}

#[derive(Debug, Default)]
struct Inner {
    subs: Mutex<Vec<Sub>>,
    round_robin: Mutex<HashMap<(String, String), usize>>,
    /// Every published envelope, when recording.
    published: Option<Mutex<Vec<Envelope>>>,
    dead: Mutex<Vec<DeadLetter>>,
    acked: AtomicU64,
    next_id: AtomicU64,
    closed: AtomicBool,
}

/// Deliveries that found their subscriber's queue full and wait for room
/// (the publish waits for them). A publish reaches one subscriber most of
/// the time: the first one waits without an allocation.
#[derive(Default)]
struct Waiting {
    first: Option<(Sender, Delivery)>,
    rest: Vec<(Sender, Delivery)>,
}

impl Waiting {
    fn push(&mut self, tx: Sender, delivery: Delivery) {
        if self.first.is_none() {
            self.first = Some((tx, delivery));
        } else {
            self.rest.push((tx, delivery));
        }
    }
}

#[derive(Debug)]
struct Sub {
    id: u64,
    address: String,
    group: Option<String>,
    tx: Sender,
    /// Settles what this subscriber is given (shared by its deliveries).
    acker: Arc<MemoryAcker>,
}

/// Where a delivery goes: one subscriber, or one member of a group.
#[derive(Debug, Clone)]
enum Target {
    Sub(u64),
    Group(String, String),
}

use crate::broker::lock;

impl MemoryBroker {
    /// A broker that keeps no copy of what is published (see
    /// [`MemoryBroker::recording`]).
    pub fn new() -> MemoryBroker {
        MemoryBroker::default()
    }

    /// A broker that also keeps a copy of every envelope published, for
    /// [`MemoryBroker::published`] and [`MemoryBroker::published_to`].
    pub fn recording() -> MemoryBroker {
        MemoryBroker {
            inner: Arc::new(Inner {
                published: Some(Mutex::default()),
                ..Inner::default()
            }),
            server: None,
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Vec<Envelope>> {
        let Some(published) = &self.inner.published else {
            panic!(
                "this MemoryBroker keeps no record of what is published: \
                 make it with MemoryBroker::recording() (TestApp does)"
            )
        };
        lock(published)
    }

    /// This broker, standing in for `server`: it still delivers in memory,
    /// and the export lists `server` as the application's (what
    /// [`crate::connect()`] returns while the process only exports its
    /// document, and what tests use to check an export's servers).
    #[must_use]
    pub fn standing_in_for(mut self, server: crate::connect::ServerInfo) -> MemoryBroker {
        self.server = Some(Arc::new(server));
        self
    }

    /// Every envelope published so far, in order. Panics unless the broker
    /// is [recording](MemoryBroker::recording).
    pub fn published(&self) -> Vec<Envelope> {
        self.record().clone()
    }

    /// Envelopes published to exactly this address. Panics unless the
    /// broker is [recording](MemoryBroker::recording).
    pub fn published_to(&self, address: &str) -> Vec<Envelope> {
        self.record()
            .iter()
            .filter(|e| e.channel == address)
            .cloned()
            .collect()
    }

    /// Messages rejected by subscribers.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        lock(&self.inner.dead).clone()
    }

    /// How many deliveries were acked.
    pub fn acked(&self) -> u64 {
        self.inner.acked.load(Ordering::SeqCst)
    }

    /// Stops delivering; subscriptions end.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        lock(&self.inner.subs).clear();
    }
}

impl Inner {
    fn matches(sub: &Sub, address: &str) -> bool {
        sub.address == address || matches_address(&sub.address, address)
    }

    /// Hands `envelope` to every ungrouped subscriber whose address
    /// matches its channel and to one member of each matching group: one
    /// envelope shared by every delivery, never copied, and no sender
    /// cloned for a subscriber with room. What a full subscriber has no
    /// room for goes into `waiting` with its sender, for the publisher to
    /// wait on (backpressure).
    fn deliver(&self, envelope: Envelope, waiting: &mut Waiting) {
        let mut subs = lock(&self.subs);
        if subs.iter().any(|s| s.tx.is_closed()) {
            subs.retain(|s| !s.tx.is_closed());
        }
        // Each subscriber's address is matched once (a parameterized one
        // is costly to match); publishing to nobody allocates nothing.
        let Some(first) = subs
            .iter()
            .position(|s| Self::matches(s, &envelope.channel))
        else {
            return;
        };
        let envelope = Arc::new(envelope);
        let mut groups: Vec<(String, String)> = Vec::new();
        let rest = subs[first + 1..]
            .iter()
            .filter(|s| Self::matches(s, &envelope.channel));
        for s in std::iter::once(&subs[first]).chain(rest) {
            match &s.group {
                None => Self::give(&s.acker, &s.tx, &envelope, waiting),
                Some(g) => {
                    let key = (s.address.clone(), g.clone());
                    if !groups.contains(&key) {
                        groups.push(key);
                    }
                }
            }
        }
        drop(subs);
        for (address, group) in groups {
            if let Some((acker, tx)) = self.group_member(&address, &group) {
                Self::give(&acker, &tx, &envelope, waiting);
            }
        }
    }

    /// One delivery of `envelope` to `tx`; when `tx` has no room, the
    /// delivery waits in `waiting` (a closed `tx` is skipped).
    fn give(
        acker: &Arc<MemoryAcker>,
        tx: &Sender,
        envelope: &Arc<Envelope>,
        waiting: &mut Waiting,
    ) {
        let delivery = Delivery {
            envelope: envelope.clone(),
            attempt: 1,
            acker: AckHandle::shared(acker.clone(), envelope.clone(), 1),
        };
        if let Err(TrySendError::Full(delivery)) = tx.try_send(delivery) {
            waiting.push(tx.clone(), delivery);
        }
    }

    /// The next member of a group, round-robin, with the group's acker.
    fn group_member(&self, address: &str, group: &str) -> Option<(Arc<MemoryAcker>, Sender)> {
        let subs = lock(&self.subs);
        let members: Vec<&Sub> = subs
            .iter()
            .filter(|s| {
                s.address == address && s.group.as_deref() == Some(group) && !s.tx.is_closed()
            })
            .collect();
        if members.is_empty() {
            return None;
        }
        let mut rr = lock(&self.round_robin);
        let n = rr
            .entry((address.to_owned(), group.to_owned()))
            .or_default();
        let member = members[*n % members.len()];
        *n = n.wrapping_add(1);
        Some((member.acker.clone(), member.tx.clone()))
    }

    fn sender_for(&self, target: &Target) -> Option<(Arc<MemoryAcker>, Sender)> {
        match target {
            Target::Sub(id) => lock(&self.subs)
                .iter()
                .find(|s| s.id == *id)
                .map(|s| (s.acker.clone(), s.tx.clone())),
            Target::Group(address, group) => self.group_member(address, group),
        }
    }
}

#[derive(Debug)]
struct MemoryAcker {
    broker: Weak<Inner>,
    /// Where a redelivery goes: the same subscriber, or the next member
    /// of the same group.
    target: Target,
}

impl SubscriptionAcker for MemoryAcker {
    fn ack(&self, _: Arc<Envelope>, _: u32) -> BoxFuture<'static, Result<(), BrokerError>> {
        if let Some(b) = self.broker.upgrade() {
            b.acked.fetch_add(1, Ordering::SeqCst);
        }
        crate::broker::settled()
    }

    fn nack(
        &self,
        envelope: Arc<Envelope>,
        attempt: u32,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        let (broker, target) = (self.broker.clone(), self.target.clone());
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let Some(broker) = broker.upgrade() else {
                return Err(BrokerError::new(
                    BrokerErrorKind::Closed,
                    "the broker is gone",
                ));
            };
            if let Some((acker, tx)) = broker.sender_for(&target) {
                let delivery = Delivery {
                    envelope: envelope.clone(),
                    attempt: attempt + 1,
                    acker: AckHandle::shared(acker, envelope, attempt + 1),
                };
                // Redeliver without blocking the nacking subscriber.
                tokio::spawn(async move {
                    let _ = tx.send(delivery).await;
                });
            }
            Ok(())
        })
    }

    fn reject(
        &self,
        envelope: Arc<Envelope>,
        _: u32,
        reason: String,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        if let Some(b) = self.broker.upgrade() {
            lock(&b.dead).push(DeadLetter {
                envelope: Arc::unwrap_or_clone(envelope),
                reason,
            });
        }
        crate::broker::settled()
    }
}

impl Broker for MemoryBroker {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn server_info(&self) -> Option<crate::connect::ServerInfo> {
        self.server.as_deref().cloned()
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        if self.inner.closed.load(Ordering::SeqCst) {
            return Box::pin(std::future::ready(Err(BrokerError::new(
                BrokerErrorKind::Closed,
                "the memory broker is closed",
            ))));
        }
        if let Some(published) = &self.inner.published {
            lock(published).push(envelope.clone());
        }
        let mut waiting = Waiting::default();
        self.inner.deliver(envelope, &mut waiting);
        let Some((tx, delivery)) = waiting.first else {
            return crate::broker::settled();
        };
        Box::pin(async move {
            let _ = tx.send(delivery).await;
            for (tx, delivery) in waiting.rest {
                let _ = tx.send(delivery).await;
            }
            Ok(())
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(async move {
            if self.inner.closed.load(Ordering::SeqCst) {
                return Err(BrokerError::new(
                    BrokerErrorKind::Closed,
                    "the memory broker is closed",
                ));
            }
            let (tx, rx) = queue::queue(spec.prefetch);
            let id = self.inner.next_id.fetch_add(1, Ordering::SeqCst);
            let target = match &spec.group {
                None => Target::Sub(id),
                Some(g) => Target::Group(spec.address.clone(), g.clone()),
            };
            let acker = Arc::new(MemoryAcker {
                broker: Arc::downgrade(&self.inner),
                target,
            });
            lock(&self.inner.subs).push(Sub {
                id,
                address: spec.address,
                group: spec.group,
                tx,
                acker,
            });
            Ok(Subscription::from_stream(rx))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wildcards_groups_and_settling() {
        let b = MemoryBroker::recording();
        let mut all = b
            .subscribe(SubscribeSpec::new("stores.{id}.orders"))
            .await
            .unwrap();
        let mut g1 = b
            .subscribe(SubscribeSpec {
                group: Some("g".into()),
                ..SubscribeSpec::new("stores.{id}.orders")
            })
            .await
            .unwrap();
        let mut g2 = b
            .subscribe(SubscribeSpec {
                group: Some("g".into()),
                ..SubscribeSpec::new("stores.{id}.orders")
            })
            .await
            .unwrap();
        for i in 0..4 {
            b.publish(Envelope::new(format!("stores.s{i}.orders"), vec![i]))
                .await
                .unwrap();
        }
        b.publish(Envelope::new("other", vec![9])).await.unwrap();
        for i in 0..4 {
            let d = all.next().await.unwrap();
            assert_eq!(d.envelope.payload, vec![i]);
            d.acker.ack().await.unwrap();
        }
        let a = g1.next().await.unwrap();
        let c = g2.next().await.unwrap();
        assert_eq!(
            (a.envelope.payload.to_vec(), c.envelope.payload.to_vec()),
            (vec![0], vec![1])
        );
        // Nack: redelivered to the group (round-robin: to g1) as attempt 2.
        a.acker.nack(None).await.unwrap();
        let two = g1.next().await.unwrap();
        assert_eq!((two.envelope.payload.to_vec(), two.attempt), (vec![2], 1));
        let redelivered = tokio::time::timeout(Duration::from_secs(1), g1.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (redelivered.envelope.payload.to_vec(), redelivered.attempt),
            (vec![0], 2)
        );
        // Reject: kept as a dead letter with the reason.
        c.acker.reject("bad".into()).await.unwrap();
        assert_eq!(b.dead_letters().len(), 1);
        assert_eq!(b.dead_letters()[0].reason, "bad");
        assert_eq!(b.published().len(), 5);
        assert_eq!(b.acked(), 4);
    }

    #[tokio::test]
    async fn only_a_recording_broker_keeps_what_is_published() {
        let plain = MemoryBroker::new();
        plain.publish(Envelope::new("a", "1")).await.unwrap();
        let refused = std::panic::catch_unwind(|| plain.published_to("a"));
        let message = refused.unwrap_err();
        let text = message
            .downcast_ref::<&str>()
            .map(|m| m.to_string())
            .or_else(|| message.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(text.contains("MemoryBroker::recording()"), "{text}");
        let recording = MemoryBroker::recording();
        recording.publish(Envelope::new("a", "1")).await.unwrap();
        assert_eq!(recording.published_to("a").len(), 1);
    }
}
