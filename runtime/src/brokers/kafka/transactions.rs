//! Kafka transactions: messages published in a transaction reach
//! read-committed consumers all together once it commits, or never when it
//! aborts; a consumed message's offset can be committed in the same
//! transaction (consume, transform, produce, exactly once within Kafka).
//!
//! ```no_run
//! # async fn run(broker: faststream::kafka::KafkaBroker) -> Result<(), faststream::BrokerError> {
//! use faststream::Envelope;
//! let transactions = broker.transactional("billing-1").await?;
//! let txn = transactions.begin().await?;
//! txn.publish(Envelope::new("invoices", r#"{"id":1}"#)).await?;
//! txn.publish(Envelope::new("ledger", r#"{"id":1}"#)).await?;
//! txn.commit().await?;
//! # Ok(()) }
//! ```
//!
//! [`KafkaBroker::transactional`] makes a second producer, with a
//! `transactional.id` (its `init_transactions` runs off the runtime).
//! [`KafkaTransactions::begin`] takes the producer's turn (an owned tokio
//! mutex guard: one transaction at a time) and returns a
//! [`KafkaTransaction`], which publishes through the same send path as the
//! broker and implements [`Broker`](crate::broker::Broker): its
//! [`publisher`](KafkaTransaction::publisher) feeds generated typed
//! publishers, and inside a handler `ctx.publisher().through(txn.clone())`
//! publishes in the transaction with the app's middleware.
//! [`KafkaTransaction::send_offsets`] commits a consumed message's offset
//! in the transaction: the broker keeps weak references to its consumers
//! per group, and the one whose assignment holds the message's partition
//! gives the group metadata (generation and member) librdkafka sends.
//!
//! Commit and abort run off the runtime and give the turn back after the
//! call. A commit failing with an error that requires an abort aborts; a
//! commit or abort that timed out is resumed (three calls in all), then
//! reported (a commit's outcome unknown). A transaction dropped open is
//! aborted (on a blocking thread, inside the runtime). Consumers read
//! committed messages only (librdkafka's default `isolation.level`).
//! Tested on librdkafka's mock cluster only
//! (`runtime/tests/transactions.rs`): no Kafka the project can run serves
//! transactions.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::OwnedMutexGuard;

use super::broker::KafkaBroker;
use super::config::{META_GROUP, META_OFFSET, META_PARTITION, ProducerCtx, err, producer_config};
use super::inner::Inner;
use crate::app::Publisher;
use crate::bindings::Bindings;
use crate::broker::{
    BoxFuture, Broker, BrokerError, BrokerErrorKind, SubscribeSpec, Subscription, lock,
};
use crate::connect::ServerInfo;
use crate::envelope::Envelope;

/// A producer with a `transactional.id`, from
/// [`KafkaBroker::transactional`]: it runs one transaction at a time
/// ([`KafkaTransactions::begin`] waits for the one before to end). Clones
/// share the producer.
///
/// Consumers of the adapter read committed messages only (librdkafka's
/// `isolation.level` default, `read_committed`), so a handler never sees
/// what an aborted transaction published. Producers without transactions,
/// FastStream's among them, are read the same either way.
#[derive(Clone)]
pub struct KafkaTransactions {
    shared: Arc<Shared>,
}

struct Shared {
    broker: KafkaBroker,
    producer: FutureProducer<ProducerCtx>,
    id: String,
    /// Held by the open transaction.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// How long commit, abort and the offsets' commit may take.
    timeout: Duration,
}

impl fmt::Debug for KafkaTransactions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaTransactions")
            .field("transactional_id", &self.shared.id)
            .finish_non_exhaustive()
    }
}

/// What a failed transactional call says, with librdkafka's reason.
fn txn_err(what: &str, e: &KafkaError) -> BrokerError {
    let kind = match e {
        KafkaError::Transaction(t) if t.is_fatal() => BrokerErrorKind::Closed,
        KafkaError::Transaction(t) if t.is_retriable() => BrokerErrorKind::Timeout,
        _ => BrokerErrorKind::Refused,
    };
    err(kind, format!("Kafka transaction: {what}: {e}"))
}

/// Runs a commit or an abort again while librdkafka says the call timed
/// out and may be resumed (three tries in all): its outcome is known only
/// once a call returns something else.
fn retried(call: impl Fn() -> Result<(), KafkaError>) -> Result<(), KafkaError> {
    let mut result = call();
    for _ in 1..3 {
        match &result {
            Err(KafkaError::Transaction(e)) if e.is_retriable() => result = call(),
            _ => break,
        }
    }
    result
}

impl KafkaBroker {
    /// A transactional producer (`transactional.id` = `transactional_id`),
    /// ready for [`KafkaTransactions::begin`]. The id names the producer
    /// across restarts: a new one with the same id fences the old one off
    /// and aborts what it left open. The broker must support transactions
    /// (Kafka 0.11 and later); one that does not fails this call or the
    /// first commit with its own error (tansu 0.6: "EndTxnRequest (KIP-98)
    /// not supported by broker" at the commit; nisshi 0.8: "Transactional
    /// Id authorization failed" here).
    pub async fn transactional(
        &self,
        transactional_id: &str,
    ) -> Result<KafkaTransactions, BrokerError> {
        if transactional_id.is_empty() {
            return Err(err(
                BrokerErrorKind::Refused,
                "a transactional id must not be empty",
            ));
        }
        let inner: &Inner = &self.inner;
        let mut config: ClientConfig = producer_config(&inner.base, &inner.settings);
        config.set("transactional.id", transactional_id);
        let timeout = inner.settings.publish_timeout;
        let producer: FutureProducer<ProducerCtx> = config
            .create_with_context(ProducerCtx::default())
            .map_err(|e| err(BrokerErrorKind::Refused, format!("Kafka producer: {e}")))?;
        let init = producer.clone();
        tokio::task::spawn_blocking(move || init.init_transactions(timeout))
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?
            .map_err(|e| txn_err(&format!("starting `{transactional_id}`"), &e))?;
        Ok(KafkaTransactions {
            shared: Arc::new(Shared {
                broker: self.clone(),
                producer,
                id: transactional_id.to_owned(),
                turn: Arc::new(tokio::sync::Mutex::new(())),
                timeout,
            }),
        })
    }
}

impl KafkaTransactions {
    /// The transactional id.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// Begins a transaction, once the one before it (if any) has ended.
    pub async fn begin(&self) -> Result<KafkaTransaction, BrokerError> {
        let turn = self.shared.turn.clone().lock_owned().await;
        self.shared
            .producer
            .begin_transaction()
            .map_err(|e| txn_err("begin", &e))?;
        Ok(KafkaTransaction {
            state: Arc::new(State {
                shared: self.shared.clone(),
                open: AtomicBool::new(true),
                turn: Mutex::new(Some(turn)),
            }),
        })
    }
}

/// An open transaction. What it publishes is visible to read-committed
/// consumers once [`KafkaTransaction::commit`] returns, and never if it
/// is aborted: by [`KafkaTransaction::abort`], by a failed commit, or by
/// dropping every clone without committing. Clones (and the
/// [`Publisher`] of [`KafkaTransaction::publisher`]) publish into the same
/// transaction; once it has ended they refuse to publish.
#[derive(Clone)]
pub struct KafkaTransaction {
    state: Arc<State>,
}

struct State {
    shared: Arc<Shared>,
    open: AtomicBool,
    /// The producer's turn, given back when the transaction ends.
    turn: Mutex<Option<OwnedMutexGuard<()>>>,
}

impl fmt::Debug for KafkaTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaTransaction")
            .field("transactional_id", &self.state.shared.id)
            .field("open", &self.state.open.load(Ordering::Acquire))
            .finish()
    }
}

impl KafkaTransaction {
    fn check_open(&self) -> Result<(), BrokerError> {
        if self.state.open.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(err(
                BrokerErrorKind::Closed,
                "the Kafka transaction has ended (committed or aborted)",
            ))
        }
    }

    /// Publishes in the transaction (waiting for the broker's
    /// acknowledgement; the message is visible only after the commit).
    pub async fn publish(&self, envelope: Envelope) -> Result<(), BrokerError> {
        self.publish_on(envelope, None).await
    }

    async fn publish_on(
        &self,
        envelope: Envelope,
        bindings: Option<&crate::bindings::KafkaBindings>,
    ) -> Result<(), BrokerError> {
        self.check_open()?;
        let shared = &self.state.shared;
        shared
            .broker
            .inner
            .send_on(&shared.producer, envelope, bindings)
            .await
    }

    /// A [`Publisher`] whose messages go into this transaction: hand it to
    /// a generated publisher (`OrdersPublisher::new(txn.publisher())`) to
    /// publish typed messages in the transaction. Requests through it get
    /// no reply before the commit, so they wait for their timeout. It has
    /// no middleware: inside a handler, `ctx.publisher().through(txn.clone())`
    /// publishes in the transaction with the app's (see
    /// [`Publisher::through`]).
    pub fn publisher(&self) -> Publisher {
        Publisher::new(Arc::new(self.clone()))
    }

    /// Commits, in the transaction, the offset of a message a subscriber
    /// of the same broker consumed (`consumed`, as the handler got it:
    /// `ctx.envelope()`): its group moves past it when the transaction
    /// commits, and only then. Consume, transform and produce, exactly
    /// once within Kafka. The handler still returns as usual: its ack
    /// stores the same offset; an error after the commit would have the
    /// message read again, so a handler commits last.
    pub async fn send_offsets(&self, consumed: &Envelope) -> Result<(), BrokerError> {
        self.check_open()?;
        let missing = |key: &str| {
            err(
                BrokerErrorKind::Refused,
                format!(
                    "the message has no `{key}` meta: only a message a Kafka subscriber of this broker consumed has an offset to commit"
                ),
            )
        };
        let group = consumed
            .meta
            .get(META_GROUP)
            .ok_or_else(|| missing(META_GROUP))?;
        let partition: i32 = consumed
            .meta
            .get(META_PARTITION)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| missing(META_PARTITION))?;
        let offset: i64 = consumed
            .meta
            .get(META_OFFSET)
            .and_then(|o| o.parse().ok())
            .ok_or_else(|| missing(META_OFFSET))?;
        let topic = consumed.channel.as_str();
        let shared = &self.state.shared;
        // The consumer of the group that holds the partition now: its
        // generation fences off a consumer that lost the partition.
        let consumer = lock(&shared.broker.inner.consumers)
            .get(group)
            .into_iter()
            .flatten()
            .filter_map(std::sync::Weak::upgrade)
            .find(|c| {
                c.assignment()
                    .is_ok_and(|a| a.find_partition(topic, partition).is_some())
            })
            .ok_or_else(|| {
                err(
                    BrokerErrorKind::Refused,
                    format!(
                        "no consumer of group `{group}` holds `{topic}` partition {partition} (it was reassigned, or the subscription ended)"
                    ),
                )
            })?;
        let metadata = consumer.group_metadata().ok_or_else(|| {
            err(
                BrokerErrorKind::Refused,
                format!("the consumer of group `{group}` has no group metadata"),
            )
        })?;
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset(topic, partition, Offset::Offset(offset + 1))
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        let producer = shared.producer.clone();
        let timeout = shared.timeout;
        tokio::task::spawn_blocking(move || {
            producer.send_offsets_to_transaction(&offsets, &metadata, timeout)
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?
        .map_err(|e| txn_err("committing the consumed offset", &e))
    }

    /// Commits: everything published in the transaction becomes visible,
    /// and the offsets sent with [`KafkaTransaction::send_offsets`] are
    /// committed. A commit that fails in a way that requires it is
    /// aborted, and the error says so.
    pub async fn commit(self) -> Result<(), BrokerError> {
        self.finish(true).await
    }

    /// Aborts: nothing published in the transaction is ever delivered to
    /// read-committed consumers.
    pub async fn abort(self) -> Result<(), BrokerError> {
        self.finish(false).await
    }

    async fn finish(self, commit: bool) -> Result<(), BrokerError> {
        if !self.state.open.swap(false, Ordering::AcqRel) {
            return Err(err(
                BrokerErrorKind::Closed,
                "the Kafka transaction has already ended",
            ));
        }
        let turn = lock(&self.state.turn).take();
        let producer = self.state.shared.producer.clone();
        let timeout = self.state.shared.timeout;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            if !commit {
                return retried(|| producer.abort_transaction(timeout))
                    .map_err(|e| txn_err("abort", &e));
            }
            match retried(|| producer.commit_transaction(timeout)) {
                Ok(()) => Ok(()),
                Err(KafkaError::Transaction(e)) if e.txn_requires_abort() => {
                    let why = KafkaError::Transaction(e);
                    let aborted = producer.abort_transaction(timeout);
                    Err(txn_err(
                        &format!(
                            "commit failed, {}",
                            if aborted.is_ok() {
                                "the transaction was aborted"
                            } else {
                                "and so did the abort"
                            }
                        ),
                        &why,
                    ))
                }
                Err(e) => Err(txn_err(
                    "commit (its outcome is unknown: a new `transactional` producer with the same id aborts it if it is still open)",
                    &e,
                )),
            }
        })
        .await
        .map_err(|e| err(BrokerErrorKind::Connection, e))?
    }
}

impl Drop for State {
    /// A transaction dropped open is aborted (off the runtime: the call
    /// blocks), and the producer's turn is given back after that.
    fn drop(&mut self) {
        if !self.open.swap(false, Ordering::AcqRel) {
            return;
        }
        let turn = lock(&self.turn).take();
        let producer = self.shared.producer.clone();
        let timeout = self.shared.timeout;
        let abort = move || {
            let _turn = turn;
            if let Err(e) = retried(|| producer.abort_transaction(timeout)) {
                tracing::warn!(error = %e, "Kafka: aborting a dropped transaction failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn_blocking(abort);
            }
            Err(_) => abort(),
        }
    }
}

/// A transaction publishes as the broker does, into the transaction;
/// subscribing goes to the broker itself.
impl Broker for KafkaTransaction {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        self.state.shared.broker.server_info()
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.state.shared.broker.check_connection()
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(self.publish_on(envelope, None))
    }

    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        Box::pin(self.publish_on(envelope, bindings.kafka.as_ref()))
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        self.state.shared.broker.subscribe(spec)
    }

    fn new_inbox(&self) -> String {
        self.state.shared.broker.new_inbox()
    }
}
