//! The spec's bindings applied by the adapters, checked on the brokers
//! themselves (through their own client crates): RabbitMQ exchanges and
//! queues declared as the amqp channel binding says, `cc` and
//! `deliveryMode` on published messages, `is: queue` channels, virtual
//! hosts; Redis lists and streams chosen by the redis binding.

#![cfg(any(feature = "amqp", feature = "redis"))]

use std::time::Duration;

use faststream::broker::{SubscribeSpec, Subscription};
use faststream::{Bindings, Broker, Envelope};

const TIMEOUT: Duration = Duration::from_secs(10);

fn new_id() -> String {
    faststream::__codegen::uuid::Uuid::new_v4()
        .simple()
        .to_string()
}

async fn next(sub: &mut Subscription) -> faststream::broker::Delivery {
    tokio::time::timeout(TIMEOUT, sub.next())
        .await
        .expect("a delivery in time")
        .expect("the subscription is open")
}

#[cfg(feature = "amqp")]
mod amqp_bindings {
    use super::*;
    use faststream::amqp::AmqpBroker;
    use faststream::{AmqpBindings, AmqpExchange, AmqpExchangeKind, AmqpQueue};
    use lapin::options::{
        BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
        QueueDeclareOptions, QueueDeleteOptions,
    };
    use lapin::types::{FieldTable, ShortString};

    fn url() -> String {
        std::env::var("FASTSTREAM_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
    }

    async fn broker() -> AmqpBroker {
        AmqpBroker::connect(&url(), "amq.topic")
            .await
            .unwrap_or_else(|e| panic!("RabbitMQ is not reachable at {} ({e})", url()))
    }

    async fn raw() -> lapin::Channel {
        let c = lapin::Connection::connect(&url(), lapin::ConnectionProperties::default())
            .await
            .expect("RabbitMQ");
        c.create_channel().await.expect("a channel")
    }

    #[tokio::test]
    async fn exchange_queue_cc_and_delivery_mode_come_from_the_binding() {
        let id = new_id();
        let exchange = format!("bindings-{id}");
        let queue = format!("bindings-{id}.orders");
        let copies = format!("bindings-{id}.copies");
        let address = format!("orders.{id}");
        let bindings = Bindings {
            amqp: Some(AmqpBindings {
                exchange: Some(AmqpExchange {
                    name: exchange.clone(),
                    kind: AmqpExchangeKind::Direct,
                    durable: false,
                    auto_delete: false,
                    vhost: Some("/".into()),
                }),
                queue: Some(AmqpQueue {
                    name: Some(queue.clone()),
                    durable: false,
                    exclusive: false,
                    auto_delete: false,
                    vhost: None,
                }),
                cc: vec![format!("copies.{id}")],
                delivery_mode: Some(1),
                ..AmqpBindings::default()
            }),
            ..Bindings::default()
        };
        let broker = broker().await;
        let mut sub = broker
            .subscribe(SubscribeSpec {
                bindings: bindings.clone(),
                ..SubscribeSpec::new(&address)
            })
            .await
            .expect("subscribes");

        // The exchange is there as the binding says: declaring it again as
        // a non-durable direct exchange is accepted only if that is what it is.
        let ch = raw().await;
        ch.exchange_declare(
            ShortString::from(exchange.as_str()),
            lapin::ExchangeKind::Direct,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("the exchange exists as declared (direct, not durable)");
        // A queue of the test's own catches the `cc` copies.
        ch.queue_declare(
            ShortString::from(copies.as_str()),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        ch.queue_bind(
            ShortString::from(copies.as_str()),
            ShortString::from(exchange.as_str()),
            ShortString::from(format!("copies.{id}").as_str()),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

        broker
            .publish_with(
                Envelope::new(&address, b"{\"n\":1}".to_vec())
                    .with_content_type("application/json"),
                &bindings,
            )
            .await
            .expect("publishes");
        let d = next(&mut sub).await;
        assert_eq!(&d.envelope.payload[..], b"{\"n\":1}");
        assert_eq!(d.envelope.channel, address, "routed by the address");
        d.acker.ack().await.unwrap();

        let copy = tokio::time::timeout(TIMEOUT, async {
            loop {
                if let Some(m) = ch
                    .basic_get(
                        ShortString::from(copies.as_str()),
                        BasicGetOptions { no_ack: true },
                    )
                    .await
                    .unwrap()
                {
                    return m;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the cc copy arrives");
        assert_eq!(copy.delivery.data, b"{\"n\":1}");
        assert_eq!(
            *copy.delivery.properties.delivery_mode(),
            Some(1),
            "deliveryMode 1 (transient) from the binding"
        );

        for q in [&queue, &copies, &format!("{queue}.dead")] {
            let _ = ch
                .queue_delete(ShortString::from(q.as_str()), QueueDeleteOptions::default())
                .await;
        }
        ch.exchange_delete(
            ShortString::from(exchange.as_str()),
            ExchangeDeleteOptions::default(),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_queue_channel_goes_through_the_default_exchange() {
        let queue = format!("bindings-q-{}", new_id());
        let bindings = Bindings {
            amqp: Some(AmqpBindings {
                is_queue: true,
                queue: Some(AmqpQueue {
                    name: Some(queue.clone()),
                    ..AmqpQueue::default()
                }),
                ..AmqpBindings::default()
            }),
            ..Bindings::default()
        };
        let broker = broker().await;
        let mut sub = broker
            .subscribe(SubscribeSpec {
                bindings: bindings.clone(),
                ..SubscribeSpec::new("jobs")
            })
            .await
            .expect("subscribes");
        broker
            .publish_with(Envelope::new("jobs", b"\"work\"".to_vec()), &bindings)
            .await
            .unwrap();
        let d = next(&mut sub).await;
        assert_eq!(&d.envelope.payload[..], b"\"work\"");
        assert_eq!(d.envelope.channel, "jobs", "the channel's address");
        d.acker.ack().await.unwrap();
        drop(sub);
        let ch = raw().await;
        for q in [&queue, &format!("{queue}.dead")] {
            let _ = ch
                .queue_delete(ShortString::from(q.as_str()), QueueDeleteOptions::default())
                .await;
        }
    }

    #[tokio::test]
    async fn a_queue_declared_by_someone_else_is_used_as_it_is() {
        // Another service declared the queue with arguments of its own (a
        // length limit, no dead-lettering).
        let queue = format!("bindings-theirs-{}", new_id());
        let ch = raw().await;
        let mut args = FieldTable::default();
        args.insert(
            ShortString::from("x-max-length"),
            lapin::types::AMQPValue::LongLongInt(1000),
        );
        ch.queue_declare(
            ShortString::from(queue.as_str()),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            args,
        )
        .await
        .unwrap();
        // FastStream's topology: the address names the queue.
        let broker = broker().await;
        let mut sub = broker
            .subscribe(SubscribeSpec::new(&queue))
            .await
            .expect("an existing queue with other arguments is no reason to fail");
        broker
            .publish(Envelope::new(&queue, b"\"good\"".to_vec()))
            .await
            .unwrap();
        broker
            .publish(Envelope::new(&queue, b"\"poison\"".to_vec()))
            .await
            .unwrap();
        let d = next(&mut sub).await;
        assert_eq!(&d.envelope.payload[..], b"\"good\"");
        d.acker.ack().await.unwrap();
        // Rejected: the queue has no dead-lettering of its own, so the
        // runtime republishes the message to `<queue>.dead`, with the reason.
        let d = next(&mut sub).await;
        d.acker.reject("refused by the test".into()).await.unwrap();
        let dead = format!("{queue}.dead");
        let got = tokio::time::timeout(TIMEOUT, async {
            loop {
                if let Some(m) = ch
                    .basic_get(ShortString::from(dead.as_str()), BasicGetOptions::default())
                    .await
                    .unwrap()
                {
                    return m;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the rejected message in the dead-letter queue");
        assert_eq!(&got.delivery.data[..], b"\"poison\"");
        let reason = got.delivery.properties.headers().as_ref().and_then(|h| {
            match h.inner().get("x-faststream-reason") {
                Some(lapin::types::AMQPValue::LongString(s)) => Some(s.to_string()),
                _ => None,
            }
        });
        assert_eq!(reason.as_deref(), Some("refused by the test"));
        drop(sub);
        for q in [&queue, &dead] {
            let _ = ch
                .queue_delete(ShortString::from(q.as_str()), QueueDeleteOptions::default())
                .await;
        }
    }

    #[tokio::test]
    async fn another_virtual_host_is_refused_with_a_clear_error() {
        let bindings = Bindings {
            amqp: Some(AmqpBindings {
                exchange: Some(AmqpExchange {
                    name: "shop".into(),
                    kind: AmqpExchangeKind::Topic,
                    durable: true,
                    auto_delete: false,
                    vhost: Some("shop-eu".into()),
                }),
                ..AmqpBindings::default()
            }),
            ..Bindings::default()
        };
        let e = broker()
            .await
            .publish_with(Envelope::new("orders", b"1".to_vec()), &bindings)
            .await
            .expect_err("refused");
        assert!(
            e.message.contains("virtual host `shop-eu`") && e.message.contains("`/`"),
            "{e}"
        );
    }
}

#[cfg(feature = "redis")]
mod redis_bindings {
    use super::*;
    use ::redis::AsyncCommands;
    use faststream::redis::RedisBroker;
    use faststream::{RedisBindings, RedisKind};

    fn url() -> String {
        std::env::var("FASTSTREAM_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    fn bound(kind: RedisKind, group: Option<&str>) -> Bindings {
        Bindings {
            redis: Some(RedisBindings {
                kind,
                group: group.map(str::to_owned),
                consumer: None,
            }),
            ..Bindings::default()
        }
    }

    async fn key_type(key: &str) -> String {
        let client = redis::Client::open(url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut c)
            .await
            .unwrap()
    }

    async fn delete(keys: &[&str]) {
        let client = redis::Client::open(url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let _: i64 = c.del(keys).await.unwrap();
    }

    #[tokio::test]
    async fn the_binding_chooses_list_or_stream_on_one_broker() {
        let broker = RedisBroker::connect(&url())
            .await
            .unwrap_or_else(|e| panic!("Redis is not reachable at {} ({e})", url()));
        let id = new_id();

        // A list: the entry waits in the list until a consumer pops it.
        let list = format!("bindings.list.{id}");
        let as_list = bound(RedisKind::List, None);
        broker
            .publish_with(Envelope::new(&list, b"1".to_vec()), &as_list)
            .await
            .unwrap();
        assert_eq!(key_type(&list).await, "list");
        let mut sub = broker
            .subscribe(SubscribeSpec {
                bindings: as_list,
                ..SubscribeSpec::new(&list)
            })
            .await
            .unwrap();
        assert_eq!(&next(&mut sub).await.envelope.payload[..], b"1");
        drop(sub);

        // A stream, in the consumer group the binding names.
        let stream = format!("bindings.stream.{id}");
        let as_stream = bound(RedisKind::Stream, Some("billing"));
        let mut sub = broker
            .subscribe(SubscribeSpec {
                bindings: as_stream.clone(),
                ..SubscribeSpec::new(&stream)
            })
            .await
            .unwrap();
        broker
            .publish_with(Envelope::new(&stream, b"2".to_vec()), &as_stream)
            .await
            .unwrap();
        let d = next(&mut sub).await;
        assert_eq!(&d.envelope.payload[..], b"2");
        d.acker.ack().await.unwrap();
        assert_eq!(key_type(&stream).await, "stream");
        let client = redis::Client::open(url()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let groups: redis::streams::StreamInfoGroupsReply = c.xinfo_groups(&stream).await.unwrap();
        let names: Vec<_> = groups.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["billing"]);
        drop(sub);
        delete(&[&list, &stream]).await;
    }
}
