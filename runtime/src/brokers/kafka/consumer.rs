//! Subscriptions: a consumer per route, its partitions' queues, offsets
//! committed past what is settled, and the acker of each message.

use rdkafka::Message;
use rdkafka::consumer::Consumer;
use rdkafka::message::Headers;
use rdkafka::producer::Producer;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::Offset;
use tokio::sync::{mpsc, watch};

use super::config::{
    CONTENT_TYPE, CORRELATION_ID, INBOX_PREFIX, META_GROUP, META_KEY, META_OFFSET, META_PARTITION,
    META_TIMESTAMP, OffsetReset, REPLY_TO, err,
};
use super::inner::Inner;
use super::rebalance::{Ctx, Shared, Tp};
use crate::address::{has_params, matches_address};
use crate::bindings::KafkaBindings;
use crate::broker::{
    Acker, BoxFuture, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec, Subscription, lock,
};
use crate::envelope::Envelope;

/// How long a member may hold no partition of a topic that has some
/// before it rejoins its group, counted from the assignment that gave it
/// none (which comes after the group dropped any member that died: its
/// session timed out).
const REJOIN_AFTER: Duration = Duration::from_secs(5);
/// The longest wait between rejoins of a member that stays without a
/// partition (a standby member of a group with more members than
/// partitions rejoins this rarely).
const REJOIN_MAX: Duration = Duration::from_secs(300);
/// Settled messages between two commits at most: the auto-commit (every
/// second) alone leaves a second's worth uncommitted, thousands of
/// messages while a consumer catches up, all of which a crash hands out
/// again. An asynchronous commit every this many bounds that.
const COMMIT_EVERY: usize = 256;

/// `a.{x}.b` -> `^a\.(.+)\.b$`, librdkafka's topic pattern (parameters are
/// checked exactly with [`matches_address`] on every record).
pub(crate) fn topic_pattern(address: &str) -> String {
    let mut out = String::from("^");
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        escape_into(&mut out, &rest[..start]);
        out.push_str(".+");
        rest = &rest[start + len + 1..];
    }
    escape_into(&mut out, rest);
    out.push('$');
    out
}

pub(super) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() && c != '_' && c != '-' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A record read from Kafka, waiting for its partition to be free.
pub(super) struct Record {
    pub(super) envelope: Envelope,
    pub(super) offset: i64,
    pub(super) attempt: u32,
}

/// What ackers tell the subscription's task; each event names the epoch
/// of the partition its message was handed out in.
pub(super) enum Event {
    /// The message at `offset` is done: commit past it.
    Settled(Tp, i64, u64),
    /// A nack or a dead-letter publish of `offset` is under way: nothing
    /// at or after it is committed until it is settled or rewound.
    Hold(Tp, i64, u64),
    /// Read the partition again from `offset` (a nack, after its delay),
    /// as attempt `attempt` (from an earlier held offset, if any).
    Rewind(Tp, i64, u32, u64),
}

#[derive(Default)]
pub(super) struct PartitionState {
    pub(super) queue: VecDeque<Record>,
    /// Messages of this partition with the handler (one at a time, or up
    /// to a batch).
    pub(super) in_flight: usize,
    /// Bumped by a rewind (and a revocation): what was handed out before
    /// is read again, so its settling commits nothing.
    pub(super) epoch: u64,
    /// See [`Event::Hold`]: the offsets held.
    pub(super) holds: std::collections::BTreeSet<i64>,
    /// The highest offset settled in this epoch (committed once no hold
    /// is before it).
    pub(super) settled: Option<i64>,
    /// After a rewind: records before this offset are dropped until it
    /// comes again.
    pub(super) expect: Option<i64>,
    /// The attempt of a rewound offset.
    pub(super) attempts: HashMap<i64, u32>,
}

pub(super) async fn subscribe(
    inner: Arc<Inner>,
    spec: SubscribeSpec,
) -> Result<Subscription, BrokerError> {
    let template = spec.address.clone();
    let pattern = has_params(&template);
    if template.starts_with(INBOX_PREFIX) {
        // A reply topic is this process's own: it is always created.
        let one = KafkaBindings {
            partitions: Some(1),
            ..KafkaBindings::default()
        };
        inner.create_topic(&template, Some(&one)).await?;
    } else if !pattern {
        inner
            .ensure_topic(&template, spec.bindings.kafka.as_ref())
            .await?;
    }
    // Where each partition stands now.
    let start = {
        let producer = inner.producer.clone();
        let template = template.clone();
        tokio::task::spawn_blocking(move || -> Result<_, KafkaError> {
            let client = producer.client();
            let metadata = if pattern {
                client.fetch_metadata(None, Duration::from_secs(10))?
            } else {
                client.fetch_metadata(Some(&template), Duration::from_secs(10))?
            };
            let mut start = HashMap::new();
            for t in metadata.topics() {
                let matching = if pattern {
                    matches_address(&template, t.name())
                } else {
                    t.name() == template
                };
                if !matching || t.error().is_some() {
                    continue;
                }
                for p in t.partitions() {
                    let (_, high) =
                        client.fetch_watermarks(t.name(), p.id(), Duration::from_secs(10))?;
                    start.insert((t.name().to_owned(), p.id()), high);
                }
            }
            Ok(start)
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?
        .map_err(|e| err(BrokerErrorKind::Connection, format!("Kafka metadata: {e}")))?
    };
    let (assignments, mut assigned) = watch::channel(0u64);
    let shared = Arc::new(Shared {
        start,
        reset: inner.settings.offset_reset,
        assignments,
        starved_since: Mutex::new(None),
        revoked: Mutex::new(Vec::new()),
    });
    let group = spec
        .group
        .clone()
        .unwrap_or_else(|| format!("faststream-{}", uuid::Uuid::new_v4().simple()));
    let mut config = inner.base.clone();
    config
        .set("group.id", &group)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.partition.eof", "false")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "3000")
        // A fetch returns within 10 ms when there is nothing (librdkafka
        // waits 500 ms by default, which brokers that hold a fetch until
        // then, tansu among them, turn into half a second per reply).
        .set("fetch.wait.max.ms", "10")
        .set(
            "auto.offset.reset",
            match inner.settings.offset_reset {
                OffsetReset::Latest => "latest",
                OffsetReset::Earliest => "earliest",
            },
        );
    if let Some(id) = spec
        .bindings
        .kafka
        .as_ref()
        .and_then(|k| k.client_id.as_deref())
    {
        // The operation binding's `clientId`.
        config.set("client.id", id);
    }
    if let Some(instance) = crate::connect::named_instance() {
        // A static member (KIP-345): restarted with the same id, it takes
        // its partitions back at once instead of waiting for the group to
        // time its old session out.
        config.set(
            "group.instance.id",
            crate::connect::member_name(&instance, &format!("kafka {group}")),
        );
    }
    if pattern {
        // New topics matching the pattern are found this often.
        config.set("topic.metadata.refresh.interval.ms", "1000");
    }
    let consumer: StreamConsumer<Ctx> = config
        .create_with_context(Ctx(shared.clone()))
        .map_err(|e| err(BrokerErrorKind::Refused, format!("Kafka consumer: {e}")))?;
    let topic = if pattern {
        topic_pattern(&template)
    } else {
        template.clone()
    };
    consumer.subscribe(&[&topic]).map_err(|e| {
        err(
            BrokerErrorKind::Refused,
            format!("subscribing to `{topic}`: {e}"),
        )
    })?;
    let consumer = Arc::new(consumer);
    {
        // Ended subscriptions' entries go (a group of its own per
        // subscriber without one would otherwise stay forever).
        let mut consumers = lock(&inner.consumers);
        consumers.retain(|_, members| {
            members.retain(|c| c.strong_count() > 0);
            !members.is_empty()
        });
        consumers
            .entry(group.clone())
            .or_default()
            .push(Arc::downgrade(&consumer));
    }
    let prefetch = spec.prefetch.max(1);
    let (tx, rx) = mpsc::channel(prefetch + 1);
    let (events_tx, events) = mpsc::unbounded_channel();
    let task = Task {
        consumer: consumer.clone(),
        shared: shared.clone(),
        inner: inner.clone(),
        template,
        topic: topic.clone(),
        group: group.clone(),
        pattern,
        rejoin_after: REJOIN_AFTER,
        prefetch,
        partitions: HashMap::new(),
        buffered: 0,
        uncommitted: 0,
        per_partition: spec.batch.unwrap_or(1).max(1),
        tx,
        events_tx,
    };
    let (closed_tx, closed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        task.run(events).await;
        let _ = closed_tx.send(());
    });
    // Subscribed means the group has given this consumer its partitions.
    // A pattern no topic matches yet gets none (librdkafka joins the group
    // once one does): every topic it matches later is read from its
    // beginning, so nothing published after this point is missed.
    let subscription = Subscription::new(rx).with_close_signal(closed);
    if shared.start.is_empty() && pattern {
        return Ok(subscription);
    }
    let timeout = inner.settings.subscribe_timeout;
    match tokio::time::timeout(timeout, assigned.wait_for(|n| *n > 0)).await {
        Ok(Ok(_)) => {
            if shared.starved() {
                // Not an error: a standby member of a group with more
                // members than partitions gets none. The app is not ready
                // meanwhile, and the consumer rejoins the group now and
                // then (see `Task::rejoin_if_starved`).
                tracing::warn!(
                    group = %group,
                    topic = %topic,
                    partitions = shared.start.len(),
                    "Kafka: the group gave this member none of the topic's partitions (a standby member, or a member that died holding them until its session times out); not ready until it holds one"
                );
            }
            Ok(subscription)
        }
        _ => Err(err(
            BrokerErrorKind::Timeout,
            format!(
                "Kafka group `{group}` assigned no partitions of `{topic}` within {} s",
                timeout.as_secs()
            ),
        )),
    }
}

/// One subscription's consumer loop: reads records, hands each partition's
/// records over one at a time, commits what was settled.
pub(super) struct Task {
    pub(super) consumer: Arc<StreamConsumer<Ctx>>,
    pub(super) shared: Arc<Shared>,
    pub(super) inner: Arc<Inner>,
    pub(super) template: String,
    /// What the consumer subscribed to (the topic, or its pattern).
    pub(super) topic: String,
    /// How long a member may hold no partition before it rejoins the
    /// group (doubled at each rejoin, up to [`REJOIN_MAX`]).
    pub(super) rejoin_after: Duration,
    /// The consumer group (written into every envelope's meta).
    pub(super) group: String,
    pub(super) pattern: bool,
    pub(super) prefetch: usize,
    pub(super) partitions: HashMap<Tp, PartitionState>,
    /// Records read and not yet settled (queued or with the handler).
    pub(super) buffered: usize,
    /// Offsets stored since the last commit this task asked for.
    pub(super) uncommitted: usize,
    /// Records of one partition handed out at once (1, or a batch).
    pub(super) per_partition: usize,
    pub(super) tx: mpsc::Sender<Delivery>,
    pub(super) events_tx: mpsc::UnboundedSender<Event>,
}

impl Task {
    pub(super) async fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        let consumer = self.consumer.clone();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.forget_revoked();
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(e) => self.on_event(e),
                    None => break,
                },
                () = self.tx.closed() => break,
                msg = consumer.recv(), if self.buffered < self.prefetch => match msg {
                    Ok(m) => self.on_record(&m),
                    Err(e) => {
                        if let Some((code, reason)) = self.consumer.client().fatal_error() {
                            // librdkafka gives up on this consumer: the
                            // subscription ends (the app stops counting it,
                            // and its readiness says so).
                            let hint = if code == RDKafkaErrorCode::FencedInstanceId {
                                "; another process is a member of the group under the same \
                                 instance name: give each instance its own FASTSTREAM_INSTANCE"
                            } else {
                                ""
                            };
                            tracing::error!(
                                group = %self.group,
                                topic = %self.template,
                                "Kafka: the consumer stopped on a fatal error: {reason}{hint}"
                            );
                            break;
                        }
                        tracing::warn!(error = %e, topic = %self.template, "Kafka consumer");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                // Last: a member that holds no partition gets no records,
                // and one that does need not look at the clock per record.
                _ = tick.tick() => self.rejoin_if_starved(),
            }
        }
        // What was settled before the subscription ended is committed, then
        // the consumer leaves its group (blocking calls: off the runtime).
        while let Ok(e) = events.try_recv() {
            self.on_event(e);
        }
        let consumer = self.consumer.clone();
        drop(self);
        let _ = tokio::task::spawn_blocking(move || {
            let _ = consumer.commit_consumer_state(CommitMode::Sync);
            drop(consumer);
        })
        .await;
    }

    /// A member the group's assignments have given none of the topic's
    /// partitions for `rejoin_after` leaves and joins the group again: a
    /// group whose coordinator kept a dead member's assignment (some
    /// brokers do, until every member rejoins) hands the partitions out
    /// anew. A member that holds some starts over at [`REJOIN_AFTER`].
    pub(super) fn rejoin_if_starved(&mut self) {
        let Some(since) = self.shared.starved_for() else {
            self.rejoin_after = REJOIN_AFTER;
            return;
        };
        if since < self.rejoin_after {
            return;
        }
        tracing::warn!(
            group = %self.group,
            topic = %self.topic,
            after = ?since,
            "Kafka: the group has given this member no partition of the topic; rejoining the group"
        );
        *lock(&self.shared.starved_since) = Some(Instant::now());
        self.rejoin_after = (self.rejoin_after * 2).min(REJOIN_MAX);
        self.consumer.unsubscribe();
        if let Err(e) = self.consumer.subscribe(&[&self.topic]) {
            tracing::error!(error = %e, topic = %self.topic, "Kafka: could not subscribe again");
        }
    }

    pub(super) fn forget_revoked(&mut self) {
        let revoked = std::mem::take(&mut *lock(&self.shared.revoked));
        for tp in revoked {
            if let Some(p) = self.partitions.remove(&tp) {
                // Queued records go back to the group; those with the
                // handler still count until they settle (in an epoch of
                // their own: the partition is not ours to commit).
                self.buffered -= p.queue.len();
                if p.in_flight > 0 {
                    self.partitions.insert(
                        tp,
                        PartitionState {
                            in_flight: p.in_flight,
                            epoch: p.epoch + 1,
                            ..PartitionState::default()
                        },
                    );
                }
            }
        }
    }

    pub(super) fn on_record(&mut self, m: &rdkafka::message::BorrowedMessage<'_>) {
        // A rebalance runs inside the poll that returned this record: what
        // it revoked goes before the record (of the new assignment) is
        // queued.
        self.forget_revoked();
        let topic = m.topic();
        if self.pattern && !matches_address(&self.template, topic) {
            return;
        }
        let tp = (topic.to_owned(), m.partition());
        let offset = m.offset();
        let state = self.partitions.entry(tp.clone()).or_default();
        if let Some(expected) = state.expect {
            if offset != expected {
                // Read before the rewind took effect.
                return;
            }
            state.expect = None;
        }
        let attempt = state.attempts.remove(&offset).unwrap_or(1);
        let mut envelope = envelope_of(m);
        envelope
            .meta
            .insert(META_OFFSET.to_owned(), offset.to_string());
        envelope
            .meta
            .insert(META_GROUP.to_owned(), self.group.clone());
        state.queue.push_back(Record {
            envelope,
            offset,
            attempt,
        });
        self.buffered += 1;
        self.pump(&tp);
    }

    pub(super) fn on_event(&mut self, event: Event) {
        match event {
            Event::Settled(tp, offset, epoch) => {
                let Some(state) = self.partitions.get_mut(&tp) else {
                    return;
                };
                state.in_flight = state.in_flight.saturating_sub(1);
                self.buffered = self.buffered.saturating_sub(1);
                if epoch == state.epoch {
                    state.settled = state.settled.max(Some(offset));
                    state.holds.remove(&offset);
                    // Stored now, committed by the next auto-commit, or
                    // after `COMMIT_EVERY` stores (or when the partition
                    // is revoked, or the subscription ends). librdkafka
                    // stores `offset + 1`, the next one to read.
                    if let Some(last) = state.settled
                        && state.holds.first().is_none_or(|h| last < *h)
                    {
                        match self.consumer.store_offset(&tp.0, tp.1, last) {
                            Ok(()) => {
                                self.uncommitted += 1;
                                if self.uncommitted >= COMMIT_EVERY {
                                    self.uncommitted = 0;
                                    // Returns at once; a failure reaches
                                    // the commit callback, which logs it.
                                    let _ = self.consumer.commit_consumer_state(CommitMode::Async);
                                }
                            }
                            Err(e) => {
                                tracing::debug!(error = %e, topic = %tp.0, "offset not stored (partition revoked?)");
                            }
                        }
                    }
                }
                self.pump(&tp);
            }
            Event::Hold(tp, offset, epoch) => {
                if let Some(state) = self.partitions.get_mut(&tp)
                    && epoch == state.epoch
                {
                    state.holds.insert(offset);
                }
            }
            Event::Rewind(tp, offset, attempt, epoch) => {
                let Some(state) = self.partitions.get_mut(&tp) else {
                    return;
                };
                state.in_flight = state.in_flight.saturating_sub(1);
                self.buffered = self.buffered.saturating_sub(1);
                if epoch != state.epoch {
                    // An earlier rewind reads this one again too.
                    self.pump(&tp);
                    return;
                }
                // The handler's message and everything after it are read
                // again, from the first one not settled.
                state.attempts.insert(offset, attempt);
                let offset = state.holds.first().map_or(offset, |h| offset.min(*h));
                state.epoch += 1;
                state.holds.clear();
                state.settled = None;
                self.buffered = self.buffered.saturating_sub(state.queue.len());
                state.queue.clear();
                state.expect = Some(offset);
                if let Err(e) =
                    self.consumer
                        .seek(&tp.0, tp.1, Offset::Offset(offset), Duration::from_secs(0))
                {
                    tracing::warn!(error = %e, topic = %tp.0, offset, "Kafka: could not rewind to a nacked message; it comes again after a restart or rebalance");
                }
            }
        }
    }

    /// Hands the partition's next records to the handler, up to
    /// `per_partition` with it at once.
    pub(super) fn pump(&mut self, tp: &Tp) {
        loop {
            let Some(state) = self.partitions.get_mut(tp) else {
                return;
            };
            if state.in_flight >= self.per_partition {
                return;
            }
            let Some(record) = state.queue.pop_front() else {
                return;
            };
            state.in_flight += 1;
            let epoch = state.epoch;
            self.hand_out(tp, record, epoch);
        }
    }

    pub(super) fn hand_out(&mut self, tp: &Tp, record: Record, epoch: u64) {
        let acker = KafkaAcker {
            tp: tp.clone(),
            offset: record.offset,
            epoch,
            attempt: record.attempt,
            events: self.events_tx.clone(),
            inner: self.inner.clone(),
            // A copy for the dead-letter topic, when there is one.
            envelope: self
                .inner
                .settings
                .dead_letter
                .is_some()
                .then(|| record.envelope.clone()),
        };
        let delivery = Delivery {
            acker: crate::broker::AckHandle::new(acker),
            envelope: record.envelope.into(),
            attempt: record.attempt,
        };
        // Never full: at most `prefetch` records are buffered.
        if self.tx.try_send(delivery).is_err() {
            tracing::debug!("the subscription is closing");
        }
    }
}

/// The envelope of a Kafka record.
pub(super) fn envelope_of(m: &rdkafka::message::BorrowedMessage<'_>) -> Envelope {
    let mut envelope = Envelope {
        channel: m.topic().into(),
        payload: bytes::Bytes::copy_from_slice(m.payload().unwrap_or_default()),
        ..Envelope::default()
    };
    // A header that is not UTF-8 makes the record malformed: refused
    // before decoding, never handed over with its bytes replaced.
    let mut malformed = None;
    if let Some(headers) = m.headers() {
        for h in headers.iter() {
            let bytes = h.value.unwrap_or_default();
            let value = crate::envelope::header_value(h.key, bytes, &mut malformed);
            match h.key {
                CONTENT_TYPE => envelope.content_type = Some(value),
                CORRELATION_ID => envelope.correlation_id = Some(value.into()),
                REPLY_TO => envelope.reply_to = Some(value.into()),
                other => {
                    envelope.headers.insert(other.to_owned(), value);
                }
            }
        }
    }
    if let Some(key) = m.key() {
        envelope.meta.insert(
            META_KEY.to_owned(),
            String::from_utf8_lossy(key).into_owned(),
        );
    }
    envelope
        .meta
        .insert(META_PARTITION.to_owned(), m.partition().to_string());
    if let Some(ts) = m.timestamp().to_millis() {
        envelope
            .meta
            .insert(META_TIMESTAMP.to_owned(), ts.to_string());
    }
    match malformed {
        Some(why) => envelope.malformed(why),
        None => envelope,
    }
}

pub(super) struct KafkaAcker {
    pub(super) tp: Tp,
    pub(super) offset: i64,
    pub(super) epoch: u64,
    pub(super) attempt: u32,
    pub(super) events: mpsc::UnboundedSender<Event>,
    pub(super) inner: Arc<Inner>,
    /// A copy for the dead-letter topic (when there is one).
    pub(super) envelope: Option<Envelope>,
}

impl Acker for KafkaAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        let _ = self
            .events
            .send(Event::Settled(self.tp, self.offset, self.epoch));
        crate::broker::settled()
    }

    fn nack(
        self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        // Nothing after it is committed while the delay runs.
        let _ = self
            .events
            .send(Event::Hold(self.tp.clone(), self.offset, self.epoch));
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let _ = self.events.send(Event::Rewind(
                self.tp,
                self.offset,
                self.attempt + 1,
                self.epoch,
            ));
            Ok(())
        })
    }

    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        if self.envelope.is_some() {
            // Nothing after it is committed while the dead letter goes out.
            let _ = self
                .events
                .send(Event::Hold(self.tp.clone(), self.offset, self.epoch));
        }
        Box::pin(async move {
            let KafkaAcker {
                tp,
                offset,
                epoch,
                attempt,
                events,
                inner,
                envelope,
            } = *self;
            let (Some(template), Some(mut envelope)) =
                (inner.settings.dead_letter.clone(), envelope)
            else {
                tracing::warn!(reason = %reason, topic = %tp.0, partition = tp.1, offset, "message skipped (no dead-letter topic)");
                let _ = events.send(Event::Settled(tp, offset, epoch));
                return Ok(());
            };
            let dead = template.replace("{topic}", &tp.0);
            envelope.channel = dead.as_str().into();
            envelope
                .headers
                .insert("x-death-reason".into(), reason.clone());
            envelope
                .headers
                .insert("x-original-topic".into(), tp.0.clone());
            envelope
                .headers
                .insert("x-original-partition".into(), tp.1.to_string());
            envelope
                .headers
                .insert("x-original-offset".into(), offset.to_string());
            // Dead letters keep their key (and go where the key sends them).
            envelope.meta.remove(META_PARTITION);
            match inner.send(envelope, None).await {
                Ok(()) => {
                    tracing::warn!(reason = %reason, topic = %tp.0, dead_letter = %dead, "message moved to the dead-letter topic");
                    let _ = events.send(Event::Settled(tp, offset, epoch));
                    Ok(())
                }
                Err(e) => {
                    // Not committed: read again after a backoff, so nothing
                    // is lost while the dead-letter topic is out of reach.
                    tracing::error!(error = %e, dead_letter = %dead, "could not publish to the dead-letter topic; the message comes again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let _ = events.send(Event::Rewind(tp, offset, attempt, epoch));
                    Err(e)
                }
            }
        })
    }
}
