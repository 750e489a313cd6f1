//! A subscriber's bounded queue of deliveries: its ring is allocated once,
//! when the subscriber subscribes, and a message costs a lock and no
//! allocation (tokio's channel allocates a block of slots now and then as
//! messages pass).
//!
//! Senders (the broker, a nack's redelivery) take a delivery in while
//! there is room and wait for room otherwise (backpressure); the receiver
//! is the subscription's stream, which ends when every sender is gone.
//! Dropping the receiver closes the queue: what it held is dropped, and
//! the senders see it closed.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::broker::{Delivery, lock};

struct Queue {
    state: Mutex<State>,
    /// The receiver is gone (read without the lock, on every publish).
    closed: AtomicBool,
}

struct State {
    items: VecDeque<Delivery>,
    capacity: usize,
    /// The receiver, when it waits for a delivery.
    receiver: Option<Waker>,
    /// Senders waiting for room: all are woken when room is made (one
    /// whose send was dropped would otherwise swallow the wake).
    waiting: Vec<Waker>,
    senders: usize,
}

/// Why a delivery was not taken in.
pub(super) enum TrySendError {
    Full(Delivery),
    Closed,
}

/// A queue of `capacity` deliveries (at least 1).
pub(super) fn queue(capacity: usize) -> (Sender, Receiver) {
    let capacity = capacity.max(1);
    let queue = Arc::new(Queue {
        state: Mutex::new(State {
            items: VecDeque::with_capacity(capacity),
            capacity,
            receiver: None,
            waiting: Vec::new(),
            senders: 1,
        }),
        closed: AtomicBool::new(false),
    });
    (Sender(queue.clone()), Receiver(queue))
}

pub(super) struct Sender(Arc<Queue>);

impl Sender {
    /// Whether the receiver is gone.
    pub(super) fn is_closed(&self) -> bool {
        self.0.closed.load(Ordering::Acquire)
    }

    /// Takes `delivery` in when there is room.
    pub(super) fn try_send(&self, delivery: Delivery) -> Result<(), TrySendError> {
        let mut state = lock(&self.0.state);
        if self.is_closed() {
            return Err(TrySendError::Closed);
        }
        if state.items.len() >= state.capacity {
            return Err(TrySendError::Full(delivery));
        }
        state.items.push_back(delivery);
        if let Some(receiver) = state.receiver.take() {
            receiver.wake();
        }
        Ok(())
    }

    /// Takes `delivery` in, waiting for room; `false` when the receiver
    /// is gone (the delivery is dropped).
    pub(super) async fn send(&self, delivery: Delivery) -> bool {
        let mut delivery = Some(delivery);
        std::future::poll_fn(|cx| {
            let Some(d) = delivery.take() else {
                return Poll::Ready(false);
            };
            match self.try_send(d) {
                Ok(()) => Poll::Ready(true),
                Err(TrySendError::Closed) => Poll::Ready(false),
                Err(TrySendError::Full(d)) => {
                    delivery = Some(d);
                    let mut state = lock(&self.0.state);
                    // Room may have been made since `try_send` looked.
                    if state.items.len() < state.capacity || self.is_closed() {
                        cx.waker().wake_by_ref();
                    } else if !state.waiting.iter().any(|w| w.will_wake(cx.waker())) {
                        state.waiting.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        })
        .await
    }
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl Clone for Sender {
    fn clone(&self) -> Sender {
        lock(&self.0.state).senders += 1;
        Sender(self.0.clone())
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.senders -= 1;
        if state.senders == 0
            && let Some(receiver) = state.receiver.take()
        {
            // The stream ends once what is queued is read.
            receiver.wake();
        }
    }
}

pub(super) struct Receiver(Arc<Queue>);

impl futures_util::Stream for Receiver {
    type Item = Delivery;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        let mut state = lock(&self.0.state);
        if let Some(delivery) = state.items.pop_front() {
            for sender in state.waiting.drain(..) {
                sender.wake();
            }
            return Poll::Ready(Some(delivery));
        }
        if state.senders == 0 {
            return Poll::Ready(None);
        }
        match &mut state.receiver {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let (items, waiting) = {
            let mut state = lock(&self.0.state);
            self.0.closed.store(true, Ordering::Release);
            (
                std::mem::take(&mut state.items),
                std::mem::take(&mut state.waiting),
            )
        };
        // Outside the lock: a delivery's acker may do anything on drop.
        drop(items);
        for sender in waiting {
            sender.wake();
        }
    }
}
