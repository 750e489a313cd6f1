//! `App::start()` returns only when the broker has every subscription: a
//! peer on another connection that publishes the instant `start()` returns
//! loses nothing, even on brokers that drop what arrives before a
//! subscription exists (core NATS, Redis pub/sub). Many rounds, each on a
//! fresh subject, each message counted.

#![cfg(any(feature = "nats", feature = "redis"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use faststream::__codegen::{ErasedHandler, Failure};
use faststream::{App, Broker, Envelope, Route, Router, SubscriberOptions};

const ROUNDS: usize = 300;

fn counting(count: Arc<AtomicU64>) -> ErasedHandler {
    Arc::new(move |_envelope: Arc<Envelope>, _ctx| {
        let count = count.clone();
        Box::pin(async move {
            count.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Failure>(None)
        })
    })
}

/// `ROUNDS` times: start an app subscribed to a fresh address, publish
/// from `other` the instant `start()` returns, and see the message arrive.
async fn nothing_is_lost_after_start(
    subscriber: Arc<dyn Broker>,
    other: Arc<dyn Broker>,
    root: &str,
) {
    let mut lost = Vec::new();
    for round in 0..ROUNDS {
        let address = format!(
            "{root}.{round}.{}",
            faststream::uuid::Uuid::new_v4().simple()
        );
        let count = Arc::new(AtomicU64::new(0));
        let app = App::with_broker(subscriber.clone())
            .include(Router::new().route(Route {
                operation: "ready".into(),
                address: address.clone(),
                options: SubscriberOptions::default(),
                handler: counting(count.clone()),
            }))
            .start()
            .await
            .expect("subscribes");
        other
            .publish(Envelope::new(&address, b"1".to_vec()))
            .await
            .expect("publishes");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while count.load(Ordering::SeqCst) == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if count.load(Ordering::SeqCst) == 0 {
            lost.push(round);
        }
        app.shutdown().await;
    }
    assert!(
        lost.is_empty(),
        "lost the first message in rounds {lost:?} of {ROUNDS}"
    );
}

#[cfg(feature = "nats")]
#[tokio::test]
async fn nats_core_has_the_subscription_when_start_returns() {
    let url =
        std::env::var("FASTSTREAM_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let connect = || async {
        faststream::nats::NatsBroker::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("NATS is not reachable at {url} ({e}); this test needs it"))
    };
    let (a, b) = (connect().await, connect().await);
    nothing_is_lost_after_start(Arc::new(a), Arc::new(b), "readiness.nats").await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_pubsub_has_the_subscription_when_start_returns() {
    let url =
        std::env::var("FASTSTREAM_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let connect = || async {
        faststream::redis::RedisBroker::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("Redis is not reachable at {url} ({e}); this test needs it"))
    };
    let (a, b) = (connect().await, connect().await);
    nothing_is_lost_after_start(Arc::new(a), Arc::new(b), "readiness.redis").await;
}
