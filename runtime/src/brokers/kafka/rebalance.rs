//! The consumer's context: what librdkafka's rebalance callback does with
//! the partitions it assigns and revokes.

use rdkafka::consumer::Consumer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::watch;

use super::config::OffsetReset;
use crate::broker::lock;

/// A topic and partition.
pub(super) type Tp = (String, i32);

/// What the consumer's rebalance callback shares with its task.
pub(super) struct Shared {
    /// The high watermark of each partition when the subscription was
    /// made: where a group with no commit starts (`Latest`).
    pub(super) start: HashMap<Tp, i64>,
    pub(super) reset: OffsetReset,
    /// Counts assignments (the first one ends `subscribe`).
    pub(super) assignments: watch::Sender<u64>,
    /// Since when the group's assignments have given this member no
    /// partition (`None` before the first one, and while it holds some;
    /// a revoke, the first half of every rebalance, changes nothing).
    pub(super) starved_since: Mutex<Option<Instant>>,
    /// Partitions taken away since the task last looked.
    pub(super) revoked: Mutex<Vec<Tp>>,
}

pub(super) struct Ctx(pub(super) Arc<Shared>);

impl ClientContext for Ctx {
    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(error = %error, reason, "Kafka consumer");
    }
}

impl ConsumerContext for Ctx {
    fn commit_callback(
        &self,
        result: rdkafka::error::KafkaResult<()>,
        offsets: &TopicPartitionList,
    ) {
        match result {
            // Nothing new to commit.
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => tracing::warn!(
                error = %e,
                partitions = offsets.count(),
                "Kafka: committing offsets failed (what was handled since the last commit comes again after a restart or rebalance)"
            ),
        }
    }

    /// librdkafka calls this inside the poll that `consumer.recv()` makes,
    /// on a worker of the app's runtime; what it does blocks (a committed
    /// offsets request, a synchronous commit: up to seconds). On a
    /// multi-threaded runtime the worker hands its other tasks to another
    /// thread first, so that nothing else of the app (another consumer, a
    /// TLS connection this very request needs) waits behind it.
    fn rebalance(
        &self,
        base: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let multi_threaded = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_threaded {
            tokio::task::block_in_place(|| self.rebalance_now(base, err, tpl));
        } else {
            self.rebalance_now(base, err, tpl);
        }
    }
}

impl Ctx {
    fn rebalance_now(
        &self,
        base: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let shared = &self.0;
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                // Each partition starts where the group committed, else as
                // the reset policy says, from the watermarks taken when the
                // subscription was made.
                // When the group's commits cannot be read (a coordinator
                // still busy with the rebalance answers with an error),
                // librdkafka reads them itself as it starts fetching
                // (`Offset::Stored`): falling back to the reset policy
                // would read the whole partition again, or skip it.
                let committed = match base.committed_offsets(tpl.clone(), Duration::from_secs(10)) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "Kafka: could not read the group's committed offsets; the consumer reads them as it starts");
                        None
                    }
                };
                let mut start = TopicPartitionList::new();
                for e in tpl.elements() {
                    let (topic, partition) = (e.topic(), e.partition());
                    let found = committed
                        .as_ref()
                        .and_then(|c| c.find_partition(topic, partition));
                    let offset = match found {
                        None => Offset::Stored,
                        Some(c) if c.error().is_err() => {
                            tracing::warn!(topic, partition, error = ?c.error(), "Kafka: could not read the group's committed offset of a partition; the consumer reads it as it starts");
                            Offset::Stored
                        }
                        Some(c) => match (c.offset(), shared.reset) {
                            (Offset::Offset(n), _) => Offset::Offset(n),
                            // Nothing committed yet.
                            (_, OffsetReset::Earliest) => Offset::Beginning,
                            // A partition or topic that came after the
                            // subscription: all of it is new.
                            (_, OffsetReset::Latest) => shared
                                .start
                                .get(&(topic.to_owned(), partition))
                                .map_or(Offset::Beginning, |&high| Offset::Offset(high)),
                        },
                    };
                    let _ = start.add_partition_offset(topic, partition, offset);
                }
                if let Err(e) = base.assign(&start) {
                    tracing::error!(error = %e, "Kafka: could not take the assigned partitions");
                }
                {
                    let mut starved = lock(&shared.starved_since);
                    if tpl.count() == 0 {
                        starved.get_or_insert_with(Instant::now);
                    } else {
                        *starved = None;
                    }
                }
                shared.assignments.send_modify(|n| *n += 1);
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                // What was settled is committed before the partitions go.
                let _ = base.commit_consumer_state(CommitMode::Sync);
                lock(&shared.revoked).extend(
                    tpl.elements()
                        .iter()
                        .map(|e| (e.topic().to_owned(), e.partition())),
                );
                let _ = base.unassign();
            }
            other => {
                tracing::warn!(error = ?other, "Kafka rebalance failed");
                let _ = base.unassign();
            }
        }
    }
}

impl Shared {
    /// Whether the group gave this member none of the partitions the topic
    /// has (a pattern that matches no topic yet has none to give).
    pub(super) fn starved(&self) -> bool {
        self.starved_for().is_some()
    }

    /// How long [`Shared::starved`] has been true.
    pub(super) fn starved_for(&self) -> Option<Duration> {
        if self.start.is_empty() {
            return None;
        }
        lock(&self.starved_since).map(|since| since.elapsed())
    }
}
