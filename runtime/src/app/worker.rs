//! One worker loop per route: deliveries in flight as futures of the
//! route's task, the ack policy, retries, replies, dead letters.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use super::context::Context;
use super::context::{ManualAcker, ReplySlot};
use super::handler::{Failure, HandlerError, Reply, panic_text};
use super::metrics::Metrics;
use super::middleware::{Middleware, Outcome, Processed, Received, RouteInfo};
use super::publisher::Publisher;
use super::publisher::lock;
use super::router::{AckPolicy, Batch, BatchResult, Route};
use crate::DecodeError;
use crate::broker::{AckHandle, Delivery};
use crate::envelope::Envelope;

/// How a delivery was settled, for the middleware.
struct Settled<'a> {
    outcome: Outcome,
    at_most_once: bool,
    failure: Option<&'a Failure>,
}

/// A message's future that did not finish at its first poll (see
/// [`Worker::run`]).
struct InFlight<F>(Pin<Box<Option<F>>>);

impl<F: Future<Output = ()>> Future for InFlight<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.0.as_mut().as_pin_mut() {
            Some(f) => f.poll(cx),
            None => std::task::Poll::Ready(()),
        }
    }
}

pub(super) struct Worker {
    pub(super) route: Arc<Route>,
    pub(super) publisher: Publisher,
    /// The state values the route sees: its router's over the app's.
    pub(super) states: Arc<super::state::States>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) middleware: Arc<Vec<Arc<dyn Middleware>>>,
    /// The messaging system, as middleware is told it.
    pub(super) system: &'static str,
}

impl Worker {
    pub(super) async fn run(
        self,
        mut sub: crate::broker::Subscription,
        stop: watch::Receiver<bool>,
        grace: Duration,
    ) {
        if let Some(batch) = self.route.options.batch.clone() {
            return Arc::new(self).run_batches(sub, stop, grace, batch).await;
        }
        let this = Arc::new(self);
        let options = &this.route.options;
        let max_in_flight = options.max_in_flight.max(1);
        // Counted as a subscriber by `App::start` once subscribed (so the
        // count is right when `start` returns); uncounted when it ends.
        let ended = match options.workers {
            0 | 1 => {
                this.clone()
                    .consume(&mut sub, stop, grace, max_in_flight)
                    .await
            }
            n => this.clone().dispatch(&mut sub, stop, grace, n).await,
        };
        if ended {
            tracing::error!(operation = %this.route.operation, address = %this.route.address, "the subscription ended: no more messages for this route");
        }
        // The subscription goes, and the adapter lets go of the broker
        // before the route counts as stopped.
        sub.close(grace.max(Duration::from_secs(1))).await;
        this.metrics.subscribers.fetch_sub(1, Ordering::Relaxed);
    }

    /// Handles `sub`'s deliveries until `stop` or the end of `sub`, then
    /// lets those in flight finish (up to `grace`). True when `sub` ended.
    pub(super) async fn consume(
        self: Arc<Self>,
        sub: &mut crate::broker::Subscription,
        mut stop: watch::Receiver<bool>,
        grace: Duration,
        max_in_flight: usize,
    ) -> bool {
        use futures_util::StreamExt;
        // The messages in flight are futures of this task (no task per
        // message): they interleave at their await points, up to
        // `max_in_flight` at once; beyond, no delivery is taken
        // (backpressure to the broker).
        let mut in_flight = futures_util::stream::FuturesUnordered::new();
        let this = self;
        let mut stopped = std::pin::pin!(stop.changed());
        // A message's future is first polled in this reusable slot: when it
        // finishes at once (a handler that does not wait), it costs no
        // allocation and no bookkeeping in `in_flight`. One that waits moves
        // to `in_flight`, box and all, and a new slot is made.
        let start =
            |envelope, acker, attempt| Worker::handle(this.clone(), envelope, acker, attempt);
        let mut slot = Box::pin(None);
        // One poll takes every delivery that is ready (up to a limit, then
        // it yields so that the other tasks of the thread run) and starts
        // it at once, instead of a round of `select!` per message.
        const PER_POLL: usize = 64;
        let ended = std::future::poll_fn(|cx| {
            use std::task::Poll;
            if stopped.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            for _ in 0..PER_POLL {
                // Runs what waits and settles what is done.
                while !in_flight.is_empty()
                    && let Poll::Ready(Some(())) = in_flight.poll_next_unpin(cx)
                {}
                if in_flight.len() >= max_in_flight {
                    return Poll::Pending;
                }
                match sub.poll_next(cx) {
                    Poll::Ready(Some(Delivery {
                        envelope,
                        attempt,
                        acker,
                    })) => {
                        slot.set(Some(start(envelope, acker, attempt)));
                        let done = slot
                            .as_mut()
                            .as_pin_mut()
                            .is_some_and(|f| f.poll(cx).is_ready());
                        if done {
                            slot.set(None);
                        } else {
                            in_flight.push(InFlight(std::mem::replace(&mut slot, Box::pin(None))));
                        }
                    }
                    Poll::Ready(None) => return Poll::Ready(true),
                    Poll::Pending => return Poll::Pending,
                }
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        // Graceful: the in-flight messages finish and settle.
        let drained =
            tokio::time::timeout(grace, async { while in_flight.next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(operation = %this.route.operation, abandoned = in_flight.len(), "shutdown timeout: abandoning in-flight messages (they will be redelivered where the broker supports it)");
        }
        ended
    }

    /// A batch subscriber's loop: a batch is the deliveries that come
    /// within `max_wait` of the first (up to `max_records`), handled and
    /// settled as one before the next is taken (so a Kafka partition's
    /// batches stay in order).
    async fn run_batches(
        self: Arc<Self>,
        mut sub: crate::broker::Subscription,
        mut stop: watch::Receiver<bool>,
        grace: Duration,
        batch: Batch,
    ) {
        let max = batch.max_records.max(1);
        loop {
            let first = tokio::select! {
                biased;
                _ = stop.changed() => break,
                d = sub.next() => match d {
                    Some(d) => d,
                    None => {
                        tracing::error!(operation = %self.route.operation, address = %self.route.address, "the subscription ended: no more messages for this route");
                        break;
                    }
                },
            };
            let mut deliveries = vec![first];
            let deadline = tokio::time::Instant::now() + batch.max_wait;
            while deliveries.len() < max {
                tokio::select! {
                    biased;
                    d = sub.next() => match d {
                        Some(d) => deliveries.push(d),
                        None => break,
                    },
                    () = tokio::time::sleep_until(deadline) => break,
                }
            }
            self.settle_batch(deliveries, &batch).await;
        }
        sub.close(grace.max(Duration::from_secs(1))).await;
        self.metrics.subscribers.fetch_sub(1, Ordering::Relaxed);
    }

    /// Runs the batch handler once; a panic becomes an error.
    async fn call_batch(&self, batch: &Batch, envelopes: &[Arc<Envelope>]) -> BatchResult {
        use futures_util::FutureExt;
        match std::panic::AssertUnwindSafe((batch.handler)(
            envelopes.to_vec(),
            self.publisher.clone(),
        ))
        .catch_unwind()
        .await
        {
            Ok(r) => r,
            Err(panic) => BatchResult {
                undecodable: Vec::new(),
                handled: Some(Err(match self.panicked(panic) {
                    Failure::Handler(e) => e,
                    Failure::Decode(d) => HandlerError::new(d.to_string()),
                })),
            },
        }
    }

    /// Handles a batch and settles its deliveries, in their order: all
    /// acked, or (the handler failed) retried, nacked or rejected as one.
    async fn settle_batch(&self, deliveries: Vec<Delivery>, batch: &Batch) {
        let m = &self.metrics;
        let options = &self.route.options;
        let policy = options.ack;
        let n = deliveries.len() as u64;
        m.received.fetch_add(n, Ordering::Relaxed);
        m.in_flight.fetch_add(n, Ordering::Relaxed);
        let mut envelopes = Vec::with_capacity(deliveries.len());
        let mut ackers = Vec::with_capacity(deliveries.len());
        let mut attempt = 1;
        let watched = !self.middleware.is_empty();
        let began = std::time::Instant::now();
        let at_most_once = watched && deliveries.iter().all(|d| d.acker.at_most_once());
        for d in deliveries {
            let envelope = d.envelope;
            if watched {
                self.received(&envelope);
            }
            envelopes.push(envelope);
            ackers.push(Some(d.acker));
            attempt = attempt.max(d.attempt);
        }
        let mut outcomes = vec![Outcome::Acked; envelopes.len()];
        if policy == AckPolicy::AckFirst {
            for a in &mut ackers {
                if let Some(a) = a.take() {
                    let _ = self.settling("ack", &envelopes[0].channel, a.ack()).await;
                    m.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let span = self.process_span(&envelopes[0], attempt, envelopes.len());
        // A batch's span links each message's context; the first message's
        // headers pass through where no tracer records.
        #[cfg(feature = "otel")]
        let incoming = {
            use tracing_opentelemetry::OpenTelemetrySpanExt;
            for e in &envelopes {
                if let Some(remote) = crate::otel::Incoming::of(e).span_context() {
                    span.add_link(remote);
                }
            }
            crate::otel::Incoming::of(&envelopes[0])
        };
        // Malformed deliveries and bodies over the limit are refused before
        // anything decodes them; the handler gets the others.
        let oversized: Vec<(usize, DecodeError)> = envelopes
            .iter()
            .enumerate()
            .filter_map(|(i, e)| self.unreadable(e).map(|r| (i, r)))
            .collect();
        let result = if oversized.is_empty() {
            let calling = self.call_batch(batch, &envelopes);
            #[cfg(feature = "otel")]
            let calling = incoming.clone().scope(calling);
            calling.instrument(span.clone()).await
        } else {
            let kept: Vec<usize> = (0..envelopes.len())
                .filter(|i| !oversized.iter().any(|(o, _)| o == i))
                .collect();
            let rest: Vec<Arc<Envelope>> = kept.iter().map(|&i| envelopes[i].clone()).collect();
            let mut result = if rest.is_empty() {
                BatchResult::default()
            } else {
                let calling = self.call_batch(batch, &rest);
                #[cfg(feature = "otel")]
                let calling = incoming.clone().scope(calling);
                calling.instrument(span.clone()).await
            };
            for (i, _) in &mut result.undecodable {
                *i = kept[*i];
            }
            result.undecodable.extend(oversized);
            result
        };
        // What does not decode is refused alone.
        let undecodable: std::collections::HashSet<usize> =
            result.undecodable.iter().map(|(i, _)| *i).collect();
        // Why each message was not handled, for the middleware.
        let mut failures: Vec<Option<Failure>> = Vec::new();
        if watched {
            failures.resize_with(envelopes.len(), || None);
        }
        for (i, reason) in result.undecodable {
            m.decode_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(reason = %reason, channel = %envelopes[i].channel, "refused a message of a batch that does not decode; the handler did not get it");
            outcomes[i] = self
                .reject(
                    &envelopes[i].channel,
                    ackers[i].take(),
                    format!("undecodable: {reason}"),
                )
                .await;
            if watched {
                failures[i] = Some(Failure::Decode(reason));
            }
        }
        let mut handled = result.handled;
        if let Some(Err(e)) = &handled {
            self.handler_failed(e, 1);
            if policy == AckPolicy::AckAfterSuccess {
                // In-process retries, with the messages that decoded.
                let retried: Vec<Arc<Envelope>> = envelopes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !undecodable.contains(i))
                    .map(|(_, e)| e.clone())
                    .collect();
                let mut n = 1;
                while n < options.retry.max_attempts {
                    m.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(options.retry.backoff(n)).await;
                    n += 1;
                    let calling = self.call_batch(batch, &retried);
                    #[cfg(feature = "otel")]
                    let calling = incoming.clone().scope(calling);
                    let again = calling.instrument(span.clone()).await;
                    handled = again.handled;
                    match &handled {
                        Some(Err(e)) => self.handler_failed(e, n),
                        _ => break,
                    }
                }
            }
        }
        let settled = (0..envelopes.len()).filter(|i| !undecodable.contains(i));
        // The settling calls are made in the batch's order (an adapter
        // may note each as it is made) and awaited together: a nack's
        // delay is waited once, not once per message.
        let mut settling = Vec::new();
        match &handled {
            None | Some(Ok(())) => {
                for i in settled {
                    m.handled.fetch_add(1, Ordering::Relaxed);
                    if let Some(a) = ackers[i].take() {
                        settling.push(self.settling("ack", &envelopes[i].channel, a.ack()));
                        m.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    outcomes[i] = Outcome::Acked;
                }
            }
            Some(Err(e)) => {
                let nack = policy == AckPolicy::NackOnError && attempt < options.retry.max_attempts;
                let reason = format!("handler failed: {e}");
                for i in settled {
                    let Some(a) = ackers[i].take() else {
                        continue;
                    };
                    if nack {
                        let nack = a.nack(Some(options.retry.backoff(attempt)));
                        settling.push(self.settling("nack", &envelopes[i].channel, nack));
                        m.nacked.fetch_add(1, Ordering::Relaxed);
                        outcomes[i] = Outcome::Nacked;
                    } else {
                        let reject = a.reject(reason.clone());
                        settling.push(self.settling("reject", &envelopes[i].channel, reject));
                        m.rejected.fetch_add(1, Ordering::Relaxed);
                        outcomes[i] = Outcome::Rejected;
                    }
                }
            }
        }
        futures_util::future::join_all(settling).await;
        if watched {
            let error = match handled {
                Some(Err(e)) => Some(Failure::Handler(e)),
                _ => None,
            };
            for (i, (envelope, outcome)) in envelopes.iter().zip(outcomes).enumerate() {
                let settled = Settled {
                    outcome,
                    at_most_once,
                    failure: failures[i].as_ref().or(error.as_ref()),
                };
                self.processed(envelope, settled, began);
            }
        }
        m.in_flight.fetch_sub(n, Ordering::Relaxed);
        m.finished.fetch_add(n, Ordering::Relaxed);
    }

    /// Handles one delivery. This future is allocated and moved once per
    /// message, so it holds only what every message needs: the rare paths
    /// (retries, replies, failures) are boxed when they are taken. A panic
    /// outside the handler (the handler's own are caught in
    /// [`Worker::call`]) is logged, not spread to the route's loop.
    async fn handle(this: Arc<Self>, envelope: Arc<Envelope>, acker: AckHandle, attempt: u32) {
        use futures_util::FutureExt;
        let m = &this.metrics;
        m.received.fetch_add(1, Ordering::Relaxed);
        m.in_flight.fetch_add(1, Ordering::Relaxed);
        if std::panic::AssertUnwindSafe(this.process(&envelope, acker, attempt))
            .catch_unwind()
            .await
            .is_err()
        {
            tracing::error!(operation = %this.route.operation, "a panic while settling a message");
        }
        m.in_flight.fetch_sub(1, Ordering::Relaxed);
        m.finished.fetch_add(1, Ordering::Relaxed);
    }

    async fn process(&self, envelope: &Arc<Envelope>, acker: AckHandle, attempt: u32) {
        let span = self.process_span(envelope, attempt, 1);
        // Nothing is measured for an app without middleware.
        let began = (!self.middleware.is_empty()).then(|| {
            self.received(envelope);
            (std::time::Instant::now(), acker.at_most_once())
        });
        #[cfg(feature = "otel")]
        let incoming = crate::otel::Incoming::of(envelope);
        #[cfg(feature = "otel")]
        incoming.adopt(&span);
        let settling = self.settle(envelope, acker, attempt);
        #[cfg(feature = "otel")]
        let (settling, marked) = (incoming.scope(settling), span.clone());
        let (outcome, failure) = settling.instrument(span).await;
        #[cfg(feature = "otel")]
        if let Some(failure) = &failure {
            crate::otel::failed(&marked, failure.exception_type());
        }
        if let Some((began, at_most_once)) = began {
            let settled = Settled {
                outcome,
                at_most_once,
                failure: failure.as_ref(),
            };
            self.processed(envelope, settled, began);
        }
    }

    /// The span of a delivery's handling (or of a batch's: `count`).
    fn process_span(&self, envelope: &Envelope, attempt: u32, count: usize) -> tracing::Span {
        #[cfg(not(feature = "otel"))]
        let span = if count > 1 {
            tracing::info_span!(
                "process",
                messaging.system = self.system,
                messaging.destination.name = %envelope.channel,
                messaging.operation = "process",
                messaging.batch.message_count = count,
                operation = %self.route.operation,
                attempt = attempt,
            )
        } else {
            tracing::info_span!(
                "process",
                messaging.system = self.system,
                messaging.destination.name = %envelope.channel,
                messaging.operation = "process",
                messaging.message.conversation_id = envelope.correlation_id.as_deref().unwrap_or(""),
                operation = %self.route.operation,
                attempt = attempt,
            )
        };
        // The messaging conventions' names, for OpenTelemetry.
        #[cfg(feature = "otel")]
        let span = {
            let route = &self.route;
            let template = route
                .address
                .contains('{')
                .then_some(route.address.as_str());
            tracing::info_span!(
                "process",
                otel.name = %format_args!("process {}", envelope.channel),
                otel.kind = "consumer",
                otel.status_code = tracing::field::Empty,
                messaging.system = self.system,
                messaging.operation.type = "process",
                messaging.operation.name = "process",
                messaging.destination.name = %envelope.channel,
                messaging.destination.template = template,
                messaging.consumer.group.name = route.options.group.as_deref(),
                messaging.message.id = crate::otel::message_id(envelope).as_deref(),
                messaging.message.conversation_id = envelope.correlation_id.as_deref(),
                messaging.message.body.size = envelope.payload.len(),
                messaging.batch.message_count = (count > 1).then_some(count),
                error.type = tracing::field::Empty,
                operation = %route.operation,
                attempt = attempt,
            )
        };
        span
    }

    /// A settling call (`ack`, `nack`, `reject`): with the `otel` feature,
    /// in a span of its own (`{operation} {destination}`, the messaging
    /// conventions' `settle`), a child of the delivery's.
    #[cfg(feature = "otel")]
    fn settling<F: Future>(
        &self,
        operation: &'static str,
        channel: &str,
        settle: F,
    ) -> tracing::instrument::Instrumented<F> {
        settle.instrument(tracing::info_span!(
            "settle",
            otel.name = %format_args!("{operation} {channel}"),
            otel.kind = "consumer",
            messaging.system = self.system,
            messaging.operation.type = "settle",
            messaging.operation.name = operation,
            messaging.destination.name = %channel,
        ))
    }

    /// A settling call, as it is without the `otel` feature.
    #[cfg(not(feature = "otel"))]
    #[inline(always)]
    fn settling<F: Future>(&self, _operation: &'static str, _channel: &str, settle: F) -> F {
        settle
    }

    fn route_info(&self) -> RouteInfo<'_> {
        RouteInfo {
            system: self.system,
            operation: &self.route.operation,
            address: &self.route.address,
        }
    }

    /// Tells the middleware a delivery was taken.
    fn received(&self, envelope: &Envelope) {
        let event = Received {
            envelope,
            route: self.route_info(),
        };
        for mw in self.middleware.iter() {
            mw.before_consume(envelope);
            mw.on_receive(&event);
        }
    }

    /// Tells the middleware how a delivery ended.
    fn processed(&self, envelope: &Envelope, settled: Settled<'_>, began: std::time::Instant) {
        let event = Processed {
            envelope,
            route: self.route_info(),
            outcome: settled.outcome,
            at_most_once: settled.at_most_once,
            failure: settled.failure,
            duration: began.elapsed(),
        };
        for mw in self.middleware.iter() {
            mw.on_processed(&event);
            mw.after_consume(envelope, settled.outcome);
        }
    }

    /// Runs the handler once, isolated: a panic becomes an error (and the
    /// subscriber goes on).
    async fn call(
        &self,
        envelope: &Arc<Envelope>,
        acker: Option<ManualAcker>,
        attempt: u32,
    ) -> Result<Option<Reply>, Failure> {
        use futures_util::FutureExt;
        let reply = envelope.reply_to.is_some().then(ReplySlot::default);
        let ctx = Context {
            envelope: envelope.clone(),
            publisher: self.publisher.clone(),
            acker,
            reply: reply.clone(),
            attempt,
            states: self.states.clone(),
        };
        match std::panic::AssertUnwindSafe((self.route.handler)(envelope.clone(), ctx))
            .catch_unwind()
            .await
        {
            // A typed reply wins; else what the handler gave its context.
            Ok(Ok(None)) => Ok(reply.and_then(|slot| lock(&slot).take())),
            Ok(r) => r,
            Err(panic) => Err(self.panicked(panic)),
        }
    }

    fn panicked(&self, panic: Box<dyn std::any::Any + Send>) -> Failure {
        self.metrics.panics.fetch_add(1, Ordering::Relaxed);
        let what = panic_text(&*panic);
        tracing::error!(panic = %what, "handler panicked");
        Failure::Handler(HandlerError::panicked(what))
    }

    fn handler_failed(&self, e: &HandlerError, attempt: u32) {
        self.metrics
            .handler_failures
            .fetch_add(1, Ordering::Relaxed);
        tracing::warn!(error = %e, attempt, "handler failed");
    }

    async fn settle(
        &self,
        envelope: &Arc<Envelope>,
        acker: AckHandle,
        attempt: u32,
    ) -> (Outcome, Option<Failure>) {
        let m = &self.metrics;
        let options = &self.route.options;
        let policy = options.ack;
        let mut acker = Some(acker);
        if policy == AckPolicy::AckFirst
            && let Some(a) = acker.take()
        {
            let _ = self.settling("ack", &envelope.channel, a.ack()).await;
            m.acked.fetch_add(1, Ordering::Relaxed);
        }
        // Shared with the handler's context only when it settles itself.
        let shared: Option<ManualAcker> =
            (policy == AckPolicy::Manual).then(|| Arc::new(tokio::sync::Mutex::new(acker.take())));
        let mut result = match self.unreadable(envelope) {
            Some(reason) => Err(Failure::Decode(reason)),
            None => self.call(envelope, shared.clone(), attempt).await,
        };
        if let Err(Failure::Handler(e)) = &result {
            self.handler_failed(e, 1);
            // In-process retries only where the policy asks for them.
            if policy == AckPolicy::AckAfterSuccess && options.retry.max_attempts > 1 {
                result = Box::pin(self.retry(envelope, attempt)).await;
            }
        }
        let reply = match result {
            Ok(reply) => reply,
            Err(failure) => {
                let outcome =
                    Box::pin(self.failed(envelope, &failure, acker, shared, attempt)).await;
                return (outcome, Some(failure));
            }
        };
        m.handled.fetch_add(1, Ordering::Relaxed);
        if envelope.reply_to.is_some() {
            // FastStream answers every request, a handler's `None` with an
            // empty body: so do we, where the handler gave no answer.
            Box::pin(self.send_reply(envelope, reply.unwrap_or_default())).await;
        }
        let outcome = match acker.take() {
            Some(a) => {
                let _ = self.settling("ack", &envelope.channel, a.ack()).await;
                m.acked.fetch_add(1, Ordering::Relaxed);
                Outcome::Acked
            }
            None if policy == AckPolicy::Manual => Outcome::Manual,
            None => Outcome::Acked,
        };
        (outcome, None)
    }

    /// Why a message is refused before decoding, if it is: the adapter
    /// could not read it whole, or its body is too large for this route.
    fn unreadable(&self, envelope: &Envelope) -> Option<DecodeError> {
        if let Some(why) = envelope.malformation() {
            return Some(DecodeError::Malformed(why.to_owned()));
        }
        let limit = self.route.options.max_body_size;
        let size = envelope.payload.len();
        (size > limit).then_some(DecodeError::TooLarge { size, limit })
    }

    /// The in-process retries after a failed first attempt, with backoff.
    async fn retry(
        &self,
        envelope: &Arc<Envelope>,
        attempt: u32,
    ) -> Result<Option<Reply>, Failure> {
        let retry = &self.route.options.retry;
        let mut n = 1;
        loop {
            self.metrics.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(retry.backoff(n)).await;
            n += 1;
            let result = self.call(envelope, None, attempt.max(n)).await;
            let Err(Failure::Handler(e)) = &result else {
                return result;
            };
            self.handler_failed(e, n);
            if n >= retry.max_attempts {
                return result;
            }
        }
    }

    async fn send_reply(&self, envelope: &Envelope, reply: Reply) {
        let Some(out) = reply.answering(envelope) else {
            return;
        };
        match self.publisher.reply(out).await {
            Ok(()) => {
                self.metrics.replies.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::error!(error = %e, "could not publish the reply"),
        }
    }

    /// Settles a message that was not handled.
    async fn failed(
        &self,
        envelope: &Envelope,
        failure: &Failure,
        acker: Option<AckHandle>,
        shared: Option<ManualAcker>,
        attempt: u32,
    ) -> Outcome {
        let m = &self.metrics;
        let options = &self.route.options;
        match failure {
            Failure::Decode(reason) => {
                m.decode_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(reason = %reason, channel = %envelope.channel, "refused a message that does not decode; the handler was not called");
                let acker = match (acker, &shared) {
                    (Some(a), _) => Some(a),
                    (None, Some(shared)) => shared.lock().await.take(),
                    (None, None) => None,
                };
                self.reject(&envelope.channel, acker, format!("undecodable: {reason}"))
                    .await
            }
            Failure::Handler(e) => match (options.ack, acker) {
                (AckPolicy::NackOnError, Some(a)) if attempt < options.retry.max_attempts => {
                    let nack = a.nack(Some(options.retry.backoff(attempt)));
                    let _ = self.settling("nack", &envelope.channel, nack).await;
                    m.nacked.fetch_add(1, Ordering::Relaxed);
                    Outcome::Nacked
                }
                (_, Some(a)) => {
                    self.reject(&envelope.channel, Some(a), format!("handler failed: {e}"))
                        .await
                }
                (AckPolicy::Manual, None) => Outcome::Manual,
                (_, None) => Outcome::Acked,
            },
        }
    }

    async fn reject(&self, channel: &str, acker: Option<AckHandle>, reason: String) -> Outcome {
        match acker {
            Some(a) => {
                let _ = self.settling("reject", channel, a.reject(reason)).await;
                self.metrics.rejected.fetch_add(1, Ordering::Relaxed);
                Outcome::Rejected
            }
            // Acked first: nothing left to settle.
            None => Outcome::Acked,
        }
    }
}
