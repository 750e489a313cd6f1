//! Kafka transactions, against librdkafka's own mock cluster (an
//! in-process Kafka that serves the transaction protocol: producer ids
//! and epochs, `AddPartitionsToTxn`, `TxnOffsetCommit`, `EndTxn`). No
//! broker this project can run serves transactions: tansu 0.6 does not
//! answer `EndTxn`, and its successor nisshi refuses transactional
//! producer ids. The mock checks the protocol, the one-at-a-time turns
//! and the error paths; it neither fences an older producer nor hides an open transaction's
//! messages from readers (its last stable offset is the end of the log),
//! so what a real broker's read-committed consumers see is not checked
//! here. (Once, by hand, against nisshi 0.7.0, the last release that
//! takes transactional ids: an open transaction's messages stayed hidden
//! until the commit; offsets sent in a committed transaction moved the
//! group on, in an aborted one they did not; but an aborted transaction's
//! messages were delivered, as that release does not report aborted
//! transactions to fetches, and a fenced producer's commit timed out
//! instead of failing as fenced.)

#![cfg(feature = "kafka")]

use std::time::Duration;

use faststream::broker::{BrokerErrorKind, Delivery, SubscribeSpec, Subscription};
use faststream::kafka::{KafkaBroker, KafkaSettings, META_GROUP};
use faststream::{Broker, Envelope};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

/// A mock cluster with `topics` (one partition each), and a broker on it.
async fn mock(topics: &[&str]) -> (MockCluster<'static, DefaultProducerContext>, KafkaBroker) {
    let cluster = MockCluster::new(1).expect("librdkafka's mock cluster");
    for t in topics {
        cluster.create_topic(t, 1, 1).expect("a mock topic");
    }
    let broker = KafkaBroker::connect_with(
        &cluster.bootstrap_servers(),
        faststream::ConnectOptions::default(),
        KafkaSettings::default(),
    )
    .await
    .expect("connects to the mock cluster");
    (cluster, broker)
}

fn text(envelope: &Envelope) -> String {
    String::from_utf8_lossy(&envelope.payload).into_owned()
}

/// The next delivery within `within`, if any.
async fn next(sub: &mut Subscription, within: Duration) -> Option<Delivery> {
    tokio::time::timeout(within, sub.next())
        .await
        .ok()
        .flatten()
}

async fn subscribe(broker: &KafkaBroker, topic: &str, group: &str) -> Subscription {
    let mut spec = SubscribeSpec::new(topic);
    spec.group = Some(group.to_owned());
    broker.subscribe(spec).await.expect("subscribes")
}

/// What a transaction publishes arrives once it commits, on two topics,
/// in order; the next transaction of the producer waits for the one
/// before to end; an ended transaction's publisher refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_one_at_a_time() {
    let (_cluster, broker) = mock(&["txn.a", "txn.b"]).await;
    let mut sub_a = subscribe(&broker, "txn.a", "reader-a").await;
    let mut sub_b = subscribe(&broker, "txn.b", "reader-b").await;
    let transactions = broker
        .transactional("shop-1")
        .await
        .expect("a transactional producer");
    assert_eq!(transactions.id(), "shop-1");
    let txn = transactions.begin().await.expect("begins");
    for n in 1..=3 {
        txn.publish(Envelope::new("txn.a", format!("a{n}")))
            .await
            .expect("published in the transaction");
    }
    // Through a Publisher too, as a generated publisher would.
    txn.publisher()
        .publish(Envelope::new("txn.b", "b1"))
        .await
        .expect("published through the transaction's publisher");
    // A second transaction of the producer waits for this one.
    let waiting = {
        let transactions = transactions.clone();
        tokio::spawn(async move { transactions.begin().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "two transactions at once");
    let publisher = txn.publisher();
    txn.commit().await.expect("commits");
    for n in 1..=3 {
        let d = next(&mut sub_a, Duration::from_secs(20))
            .await
            .expect("a committed message arrives");
        assert_eq!(text(&d.envelope), format!("a{n}"));
        d.acker.ack().await.unwrap();
    }
    let d = next(&mut sub_b, Duration::from_secs(20))
        .await
        .expect("the other topic's message arrives");
    assert_eq!(text(&d.envelope), "b1");
    d.acker.ack().await.unwrap();
    let e = publisher
        .publish(Envelope::new("txn.a", "late"))
        .await
        .expect_err("an ended transaction refuses to publish");
    assert!(e.to_string().contains("ended"), "{e}");

    let second = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the waiting transaction begins once the first ended")
        .unwrap()
        .expect("begins");
    second.publish(Envelope::new("txn.a", "a4")).await.unwrap();
    second.abort().await.expect("aborts");
    // Dropped open: aborted, and the producer's turn comes back.
    let third = transactions.begin().await.unwrap();
    third.publish(Envelope::new("txn.a", "a5")).await.unwrap();
    drop(third);
    let fourth = tokio::time::timeout(Duration::from_secs(10), transactions.begin())
        .await
        .expect("the turn of a dropped transaction comes back")
        .expect("begins after the dropped one was aborted");
    fourth.commit().await.expect("an empty transaction commits");
    sub_a.close(Duration::from_secs(10)).await;
    sub_b.close(Duration::from_secs(10)).await;
}

/// A consumed message's offset joins the transaction: the transaction
/// finds the consumer of the message's group that holds its partition.
/// A message no subscriber consumed has no offset to commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumed_offset_joins_the_transaction() {
    let (_cluster, broker) = mock(&["ctp.in", "ctp.out"]).await;
    let mut sub = subscribe(&broker, "ctp.in", "transformers").await;
    broker
        .publish(Envelope::new("ctp.in", "one"))
        .await
        .unwrap();
    let d = next(&mut sub, Duration::from_secs(20))
        .await
        .expect("the input arrives");
    assert_eq!(
        d.envelope.meta.get(META_GROUP).map(String::as_str),
        Some("transformers")
    );
    let transactions = broker.transactional("transformer-1").await.unwrap();
    let txn = transactions.begin().await.unwrap();
    txn.publish(Envelope::new("ctp.out", "ONE")).await.unwrap();
    txn.send_offsets(&d.envelope)
        .await
        .expect("the offset joins the transaction");
    txn.commit().await.expect("commits");
    d.acker.ack().await.unwrap();

    let txn = transactions.begin().await.unwrap();
    let e = txn
        .send_offsets(&Envelope::new("ctp.in", "made up"))
        .await
        .expect_err("no offset to commit");
    assert_eq!(e.kind, BrokerErrorKind::Refused);
    assert!(e.to_string().contains("group"), "{e}");
    // A group that does not hold the partition (here: no such group).
    let mut stranger = Envelope::new("ctp.in", "x");
    for (k, v) in [("group", "nobody"), ("partition", "0"), ("offset", "0")] {
        stranger.meta.insert(k.into(), v.into());
    }
    let e = txn.send_offsets(&stranger).await.expect_err("no consumer");
    assert!(
        e.to_string().contains("no consumer of group `nobody`"),
        "{e}"
    );
    txn.abort().await.unwrap();
    sub.close(Duration::from_secs(10)).await;
}

/// A publish the broker refuses makes the transaction abortable: the
/// commit fails, aborts, says so, and the producer goes on with the next
/// transaction. (Fencing, a second producer with the same transactional
/// id stopping the first, is not checked: the mock does not fence.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_aborts() {
    let (cluster, broker) = mock(&["fail.a", "fail.b"]).await;
    let transactions = broker.transactional("failing-1").await.unwrap();
    let txn = transactions.begin().await.unwrap();
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED],
    );
    let e = txn
        .publish(Envelope::new("fail.a", "refused"))
        .await
        .expect_err("the broker refuses the publish");
    assert!(e.to_string().to_lowercase().contains("authoriz"), "{e}");
    let e = txn.commit().await.expect_err("the commit fails");
    assert!(e.to_string().contains("the transaction was aborted"), "{e}");
    let txn = transactions
        .begin()
        .await
        .expect("the next transaction begins");
    // (librdkafka remembers the refusal for the topic until its metadata
    // is refreshed.)
    txn.publish(Envelope::new("fail.b", "fine")).await.unwrap();
    txn.commit().await.expect("and commits");
}
