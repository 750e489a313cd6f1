//! The Prometheus metrics (feature `prometheus`) on the memory broker:
//! after messages that are acked, that do not decode, that make the
//! handler fail and that are retried, the exposition's counts are the
//! runtime's own counters, under FastStream's names and labels.
#![cfg(feature = "prometheus")]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use faststream::prometheus::PrometheusMiddleware;
use faststream::{
    AckPolicy, App, Context, Envelope, HandlerError, MemoryBroker, Retry, Router, Subscriber,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, faststream::Message)]
struct Order {
    #[message(minimum = 1)]
    quantity: u32,
    note: String,
}

/// Acks, fails with a `ParseIntError` when the note is not a number, and
/// publishes onward.
async fn take(order: Order, ctx: Context) -> Result<(), HandlerError> {
    let n: u32 = order.note.parse()?;
    ctx.publisher()
        .publish(Envelope::new("prom.shipped", n.to_string()))
        .await?;
    Ok(())
}

/// One sample line: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value.parse().expect("a number"))
        })
        .collect()
}

/// The sum of a metric's samples whose labels include `with`.
fn total(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|(n, labels, _)| {
            n == name
                && with
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

async fn settle(running: &faststream::RunningApp, finished: u64) {
    for _ in 0..500 {
        if running.metrics().finished >= finished {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not settled: {:?}", running.metrics());
}

#[tokio::test]
async fn the_exposition_counts_what_the_runtime_counts_with_faststreams_names() {
    let broker = MemoryBroker::new();
    let metrics = PrometheusMiddleware::builder().app_name("orders").build();
    let router = Router::new().subscribe(
        Subscriber::new("prom.orders", take)
            .ack(AckPolicy::AckAfterSuccess)
            .retry(Retry {
                max_attempts: 2,
                initial_backoff: Duration::from_millis(1),
                ..Retry::default()
            }),
    );
    let running = App::new(broker.clone())
        .include(router)
        .middleware(metrics.clone())
        .start()
        .await
        .unwrap();
    let publisher = running.publisher();
    let body = |q: u32, note: &str| format!(r#"{{"quantity": {q}, "note": "{note}"}}"#);
    // 5 handled, 3 refused by the schema, 2 that make the handler fail
    // (each retried once in process), 1 that is not JSON.
    let mut sent = Vec::new();
    for i in 1..=5 {
        sent.push(body(i, &i.to_string()));
    }
    for _ in 0..3 {
        sent.push(body(0, "1"));
    }
    for _ in 0..2 {
        sent.push(body(1, "many"));
    }
    sent.push("not json".to_owned());
    for payload in &sent {
        publisher
            .publish(Envelope::new("prom.orders", payload.clone()))
            .await
            .unwrap();
    }
    settle(&running, sent.len() as u64).await;
    let counters = running.metrics();
    let text = metrics.encode();
    let s = samples(&text);

    let handler = [
        ("app_name", "orders"),
        ("broker", "memory"),
        ("handler", "prom.orders"),
    ];
    let count = |name: &str, extra: &[(&str, &str)]| {
        let mut with = handler.to_vec();
        with.extend_from_slice(extra);
        total(&s, name, &with)
    };
    assert_eq!(
        count("faststream_received_messages_total", &[]) as u64,
        counters.received,
        "{text}"
    );
    assert_eq!(counters.received, 11);
    assert_eq!(
        count(
            "faststream_received_processed_messages_total",
            &[("status", "acked")]
        ) as u64,
        counters.acked
    );
    assert_eq!(
        count(
            "faststream_received_processed_messages_total",
            &[("status", "rejected")]
        ) as u64,
        counters.rejected
    );
    assert_eq!((counters.acked, counters.rejected), (5, 6));
    assert_eq!(
        count("faststream_received_processed_messages_total", &[]) as u64,
        counters.finished,
        "a delivery counts once, however many retries it took"
    );
    // What never reached the handler, named as FastStream's Python names
    // it: 3 break the schema, 1 is not JSON.
    let exceptions = |kind: &str| {
        count(
            "faststream_received_processed_messages_exceptions_total",
            &[("exception_type", kind)],
        )
    };
    assert_eq!(exceptions("ValidationError"), 3.0);
    assert_eq!(exceptions("JSONDecodeError"), 1.0);
    assert_eq!(counters.decode_failures, 4);
    assert_eq!(
        count(
            "faststream_received_processed_messages_exceptions_total",
            &[("exception_type", "ParseIntError")]
        ),
        2.0
    );
    assert_eq!(count("faststream_received_messages_in_process", &[]), 0.0);
    assert_eq!(
        count("faststream_received_messages_size_bytes_count", &[]) as u64,
        counters.received
    );
    let bytes: usize = sent.iter().map(String::len).sum();
    assert_eq!(
        count("faststream_received_messages_size_bytes_sum", &[]),
        bytes as f64
    );
    assert_eq!(
        count(
            "faststream_received_processed_messages_duration_seconds_count",
            &[]
        ) as u64,
        counters.finished
    );
    // Publishes: the 11 sent here and the 5 onward.
    let published = |status: &str| {
        total(
            &s,
            "faststream_published_messages_total",
            &[("app_name", "orders"), ("status", status)],
        )
    };
    assert_eq!(published("success"), 16.0);
    assert_eq!(
        total(
            &s,
            "faststream_published_messages_total",
            &[("destination", "prom.shipped"), ("broker", "memory")]
        ),
        5.0
    );
    assert_eq!(published("error"), 0.0);

    // FastStream's metric names and label names, all of them present.
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, labels, _) in &s {
        let family = names.entry(name.clone()).or_default();
        family.extend(labels.keys().filter(|k| *k != "le").cloned());
    }
    let expect = |name: &str, labels: &[&str]| {
        let got = names
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        let want: BTreeSet<String> = labels.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, &want, "{name}");
    };
    let base = ["app_name", "broker", "handler"];
    expect("faststream_received_messages_total", &base);
    expect("faststream_received_messages_size_bytes_bucket", &base);
    expect("faststream_received_messages_in_process", &base);
    expect(
        "faststream_received_processed_messages_total",
        &["app_name", "broker", "handler", "status"],
    );
    expect(
        "faststream_received_processed_messages_duration_seconds_bucket",
        &base,
    );
    expect(
        "faststream_received_processed_messages_exceptions_total",
        &["app_name", "broker", "handler", "exception_type"],
    );
    expect(
        "faststream_published_messages_total",
        &["app_name", "broker", "destination", "status"],
    );
    expect(
        "faststream_published_messages_duration_seconds_bucket",
        &["app_name", "broker", "destination"],
    );
    running.shutdown().await;
}

#[tokio::test]
async fn prefix_app_name_and_buckets_are_settings() {
    let metrics = PrometheusMiddleware::builder()
        .metrics_prefix("shop")
        .received_messages_size_buckets([10.0, 100.0])
        .build();
    let running = App::new(MemoryBroker::new())
        .include(Router::new().subscriber("prom.settings", take))
        .middleware(metrics.clone())
        .start()
        .await
        .unwrap();
    running
        .publisher()
        .publish(Envelope::new(
            "prom.settings",
            r#"{"quantity": 1, "note": "1"}"#,
        ))
        .await
        .unwrap();
    settle(&running, 1).await;
    let s = samples(&metrics.encode());
    // The app name is the prefix unless it is set, as in FastStream.
    assert_eq!(
        total(&s, "shop_received_messages_total", &[("app_name", "shop")]),
        1.0
    );
    let buckets: BTreeSet<String> = s
        .iter()
        .filter(|(n, _, _)| n == "shop_received_messages_size_bytes_bucket")
        .map(|(_, l, _)| l["le"].clone())
        .collect();
    assert_eq!(buckets, ["10.0", "100.0", "+Inf"].map(String::from).into());
    assert!(!s.iter().any(|(n, _, _)| n.starts_with("faststream_")));
    running.shutdown().await;
}

/// A broker that refuses every publish (for the publish-failure metrics).
struct Refusing;

impl faststream::Broker for Refusing {
    fn name(&self) -> &'static str {
        "nats"
    }

    fn publish(
        &self,
        _envelope: Envelope,
    ) -> faststream::__codegen::BoxFuture<'_, Result<(), faststream::BrokerError>> {
        Box::pin(async {
            Err(faststream::BrokerError::new(
                faststream::broker::BrokerErrorKind::Connection,
                "refused",
            ))
        })
    }

    fn subscribe(
        &self,
        _spec: faststream::broker::SubscribeSpec,
    ) -> faststream::__codegen::BoxFuture<
        '_,
        Result<faststream::broker::Subscription, faststream::BrokerError>,
    > {
        Box::pin(async { unreachable!("no routes") })
    }
}

#[tokio::test]
async fn a_refused_publish_counts_as_an_error() {
    let metrics = PrometheusMiddleware::new();
    let running = App::new(Refusing)
        .middleware(metrics.clone())
        .start()
        .await
        .unwrap();
    let refused = running
        .publisher()
        .publish(Envelope::new("prom.nowhere", "{}"))
        .await;
    assert!(refused.is_err());
    let s = samples(&metrics.encode());
    let on = [("broker", "nats"), ("destination", "prom.nowhere")];
    assert_eq!(
        total(
            &s,
            "faststream_published_messages_total",
            &[on[0], on[1], ("status", "error")]
        ),
        1.0
    );
    assert_eq!(
        total(
            &s,
            "faststream_published_messages_exceptions_total",
            &[on[0], on[1], ("exception_type", "ConnectionError")]
        ),
        1.0
    );
    running.shutdown().await;
}

/// `examples/grafana/faststream.json` queries only metrics and labels the
/// runtime exposes.
#[tokio::test]
async fn the_grafana_dashboard_queries_what_the_runtime_exposes() {
    // Every metric, with what makes each family show: handled, refused
    // and failing messages, publishes that work and one that is refused.
    let metrics = PrometheusMiddleware::new();
    let running = App::new(MemoryBroker::new())
        .include(Router::new().subscriber("prom.dashboard", take))
        .middleware(metrics.clone())
        .start()
        .await
        .unwrap();
    for body in [
        r#"{"quantity": 1, "note": "1"}"#,
        r#"{"quantity": 1, "note": "x"}"#,
        "nope",
    ] {
        running
            .publisher()
            .publish(Envelope::new("prom.dashboard", body))
            .await
            .unwrap();
    }
    settle(&running, 3).await;
    let failing = App::new(Refusing)
        .middleware(metrics.clone())
        .start()
        .await
        .unwrap();
    let _ = failing
        .publisher()
        .publish(Envelope::new("prom.nowhere", "{}"))
        .await;
    let mut exposed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, labels, _) in samples(&metrics.encode()) {
        exposed.entry(name).or_default().extend(labels.into_keys());
    }

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/grafana/faststream.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queries: Vec<String> = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queries.push(target["expr"].as_str().unwrap().to_owned());
        }
    }
    for var in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(q) = var["query"]["query"].as_str() {
            queries.push(q.to_owned());
        }
    }
    assert!(queries.len() >= 12, "{queries:?}");
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut metrics_seen = BTreeSet::new();
    for q in &queries {
        // Every metric the query names, with every label it uses.
        let mut used = BTreeSet::new();
        for part in q.split("by (").skip(1) {
            let inside = part.split(')').next().unwrap();
            used.extend(inside.split(',').map(|l| l.trim().to_owned()));
        }
        for part in q.split('{').skip(1) {
            let inside = part.split('}').next().unwrap();
            used.extend(
                inside
                    .split(',')
                    .map(|m| word(m.trim()))
                    .filter(|l| !l.is_empty()),
            );
        }
        if let Some(rest) = q.strip_prefix("label_values(") {
            used.insert(
                rest.rsplit(',')
                    .next()
                    .unwrap()
                    .trim_end_matches(')')
                    .trim()
                    .to_owned(),
            );
        }
        used.remove("le");
        for (i, _) in q.match_indices("faststream_") {
            let metric = word(&q[i..]);
            let labels = exposed.get(&metric).unwrap_or_else(|| {
                panic!("the dashboard queries {metric}, which is not exposed: {q}")
            });
            for label in &used {
                assert!(labels.contains(label), "{metric} has no label {label}: {q}");
            }
            metrics_seen.insert(metric);
        }
    }
    // Every family is on the dashboard.
    for family in [
        "faststream_received_messages_total",
        "faststream_received_messages_size_bytes_bucket",
        "faststream_received_messages_in_process",
        "faststream_received_processed_messages_total",
        "faststream_received_processed_messages_duration_seconds_bucket",
        "faststream_received_processed_messages_exceptions_total",
        "faststream_published_messages_total",
        "faststream_published_messages_duration_seconds_bucket",
        "faststream_published_messages_exceptions_total",
    ] {
        assert!(
            metrics_seen.contains(family),
            "{family} is not on the dashboard"
        );
    }
    running.shutdown().await;
    failing.shutdown().await;
}
