//! The publishing connection's event loop, and the waiters of publishes
//! the broker has yet to acknowledge (failed when overdue).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::{Event, EventLoop};
use tokio::sync::{oneshot, watch};

use super::config::err;
use crate::broker::{Backoff, BrokerError, BrokerErrorKind, lock};

/// A publish waiting for the broker, until its deadline; `None` once it
/// timed out (its place in the queue is kept: it still gets a packet id).
pub(super) struct Waiter {
    pub(super) deadline: std::time::Instant,
    pub(super) tx: Option<oneshot::Sender<Result<(), BrokerError>>>,
}

impl Waiter {
    pub(super) fn answer(self, result: Result<(), BrokerError>) {
        if let Some(tx) = self.tx {
            let _ = tx.send(result);
        }
    }
}

/// Publishes waiting for the broker, in the order they were handed to the
/// client (rumqttc says which packet id each got, in that order). Their
/// deadlines are checked by one sweeper per broker, not a timer per
/// publish (registering a timer woke the runtime's driver every time).
#[derive(Default)]
pub(super) struct Waiters {
    /// Handed to the client, packet id not yet known.
    pub(super) queued: VecDeque<Waiter>,
    /// Sent with this packet id, acknowledgement not yet received.
    pub(super) sent: HashMap<u16, Waiter>,
}

impl Waiters {
    pub(super) fn fail_all(&mut self, why: &str) {
        for w in self
            .queued
            .drain(..)
            .chain(self.sent.drain().map(|(_, w)| w))
        {
            w.answer(Err(err(BrokerErrorKind::Connection, why)));
        }
    }

    /// Fails the publishes whose deadline has passed.
    pub(super) fn expire(&mut self, now: std::time::Instant) {
        let timeout = || {
            Err(err(
                BrokerErrorKind::Timeout,
                "the MQTT broker did not acknowledge the message in time",
            ))
        };
        for w in &mut self.queued {
            if w.deadline <= now
                && let Some(tx) = w.tx.take()
            {
                let _ = tx.send(timeout());
            }
        }
        self.sent.retain(|_, w| {
            if w.deadline <= now
                && let Some(tx) = w.tx.take()
            {
                let _ = tx.send(timeout());
            }
            w.tx.is_some()
        });
    }
}

/// Fails overdue publishes every `every`, for as long as the broker lives.
pub(super) async fn sweep(waiters: std::sync::Weak<Mutex<Waiters>>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(waiters) = waiters.upgrade() else {
            return;
        };
        lock(&waiters).expire(std::time::Instant::now());
    }
}

/// Drives the publishing connection: matches acknowledgements to the
/// publishes waiting for them, reconnects with backoff.
pub(super) async fn publisher_loop(
    mut eventloop: EventLoop,
    waiters: Arc<Mutex<Waiters>>,
    connected: Arc<AtomicBool>,
    ready: watch::Sender<Option<Result<(), String>>>,
) {
    let mut backoff = Backoff::new();
    let mut first = true;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                connected.store(true, Ordering::Release);
                backoff.reset();
                if first {
                    first = false;
                    let _ = ready.send(Some(Ok(())));
                }
            }
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                let mut w = lock(&waiters);
                if pkid != 0 && w.sent.contains_key(&pkid) {
                    // Sent again after a reconnect: still waiting.
                    continue;
                }
                if let Some(waiter) = w.queued.pop_front() {
                    if pkid == 0 {
                        waiter.answer(Ok(()));
                    } else {
                        w.sent.insert(pkid, waiter);
                    }
                }
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                if ack.reason == rumqttc::v5::mqttbytes::v5::PubAckReason::NoMatchingSubscribers {
                    tracing::debug!(
                        pkid = ack.pkid,
                        "MQTT: the broker has no subscriber for a message it accepted"
                    );
                }
                if let Some(waiter) = lock(&waiters).sent.remove(&ack.pkid) {
                    let ok = (ack.reason as u8) < 0x80;
                    waiter.answer(if ok {
                        Ok(())
                    } else {
                        Err(err(
                            BrokerErrorKind::Refused,
                            format!("the broker refused the message: {:?}", ack.reason),
                        ))
                    });
                }
            }
            Ok(Event::Incoming(Packet::PubRec(rec))) => {
                if (rec.reason as u8) >= 0x80
                    && let Some(waiter) = lock(&waiters).sent.remove(&rec.pkid)
                {
                    waiter.answer(Err(err(
                        BrokerErrorKind::Refused,
                        format!("the broker refused the message: {:?}", rec.reason),
                    )));
                }
            }
            Ok(Event::Incoming(Packet::PubComp(comp))) => {
                if let Some(waiter) = lock(&waiters).sent.remove(&comp.pkid) {
                    waiter.answer(Ok(()));
                }
            }
            Ok(_) => {}
            Err(e) => {
                connected.store(false, Ordering::Release);
                // What was not acknowledged is not known to have arrived:
                // its publisher gets an error (and may publish again).
                lock(&waiters).fail_all(&format!("the MQTT connection broke: {e}"));
                if first {
                    let _ = ready.send(Some(Err(e.to_string())));
                    return;
                }
                tracing::warn!(error = %e, "MQTT connection lost; reconnecting");
                backoff.wait().await;
            }
        }
        if Arc::strong_count(&waiters) == 1 {
            // The broker is gone.
            return;
        }
    }
}
