//! An operation's bindings, as the runtime's `Bindings` takes them: what
//! each adapter reads of the channel's and the operation's protocol
//! bindings (AsyncAPI's, and the custom ones FastStream writes).

use serde_json::Value;

use super::{
    AmqpExchangeIr, AmqpIr, AmqpQueueIr, BindingsIr, KafkaIr, Lowerer, MqttIr, NatsIr, RedisIr,
    pinned_string, str_of,
};

impl Lowerer<'_> {
    /// The amqp, redis, kafka, mqtt and nats bindings of an operation and
    /// its channel.
    pub(super) fn bindings(
        &mut self,
        channel: &Value,
        channel_ptr: Option<&str>,
        op: &Value,
        op_ptr: &str,
    ) -> BindingsIr {
        use faststream_asyncapi::bindings::{
            AmqpChannelBinding, AmqpOperationBinding, KafkaChannelBinding, MqttOperationBinding,
        };
        let channel_ptr = channel_ptr.unwrap_or_default();
        let typed = |v: Option<&Value>| v.map(|v| self.deref_value(v));
        let amqp_channel = typed(channel.pointer("/bindings/amqp"))
            .and_then(|v| serde_json::from_value::<AmqpChannelBinding>(v).ok());
        let amqp_op = typed(op.pointer("/bindings/amqp"))
            .and_then(|v| serde_json::from_value::<AmqpOperationBinding>(v).ok());
        let kafka_channel = typed(channel.pointer("/bindings/kafka"))
            .and_then(|v| serde_json::from_value::<KafkaChannelBinding>(v).ok());
        let mqtt_op = typed(op.pointer("/bindings/mqtt"))
            .and_then(|v| serde_json::from_value::<MqttOperationBinding>(v).ok());
        let amqp = if amqp_channel.is_some() || amqp_op.is_some() {
            let c = amqp_channel.unwrap_or_default();
            let o = amqp_op.unwrap_or_default();
            let is_queue = match c.is.as_deref() {
                None | Some("routingKey") => false,
                Some("queue") => true,
                Some(other) => {
                    self.binding_note(
                        format!("{channel_ptr}/bindings/amqp/is"),
                        format!("amqp `is: {other}` is neither `routingKey` nor `queue`; the channel is taken as a routing key"),
                    );
                    false
                }
            };
            // A queue bound to an exchange: amqp 0.3.0 names only one of
            // them, the other may come as `x-queue` / `x-exchange` (what
            // the 2.x -> 3.x conversion keeps of a 0.2.0 binding).
            let extension = |name: &str| c.extensions.get(name).cloned();
            let c_exchange = c
                .exchange
                .clone()
                .or_else(|| extension("x-exchange").and_then(|v| serde_json::from_value(v).ok()));
            let c_queue = c
                .queue
                .clone()
                .or_else(|| extension("x-queue").and_then(|v| serde_json::from_value(v).ok()));
            let exchange = c_exchange.as_ref().and_then(|x| {
                let name = x.name.clone()?;
                let kind = match x.exchange_type.as_deref() {
                    None | Some("topic") => "Topic",
                    Some("direct") => "Direct",
                    Some("fanout") => "Fanout",
                    Some("headers") => "Headers",
                    Some("default") => "Default",
                    Some(other) => {
                        self.binding_note(
                            format!("{channel_ptr}/bindings/amqp/exchange/type"),
                            format!("amqp exchange type `{other}` is unknown; a topic exchange is declared"),
                        );
                        "Topic"
                    }
                };
                Some(AmqpExchangeIr {
                    name,
                    kind,
                    durable: x.durable.unwrap_or(true),
                    auto_delete: x.auto_delete.unwrap_or(false),
                    vhost: x.vhost.clone(),
                })
            });
            let queue = c_queue.as_ref().map(|q| AmqpQueueIr {
                name: q.name.clone(),
                durable: q.durable.unwrap_or(true),
                exclusive: q.exclusive.unwrap_or(false),
                auto_delete: q.auto_delete.unwrap_or(false),
                vhost: q.vhost.clone(),
            });
            // FastStream writes the routing key itself under `cc`: that is
            // the address, not a copy to another key.
            let address = channel.get("address").and_then(Value::as_str);
            let cc =
                o.cc.unwrap_or_default()
                    .into_iter()
                    .filter(|k| Some(k.as_str()) != address && !k.contains('{'))
                    .collect();
            Some(AmqpIr {
                is_queue,
                exchange,
                queue,
                cc,
                delivery_mode: o.delivery_mode.filter(|m| matches!(m, 1 | 2)),
                priority: o.priority,
                expiration_ms: o.expiration,
            })
        } else {
            None
        };
        // Redis: FastStream's own binding fields, or `x-` extensions.
        let mut redis = None;
        for (at, v) in [
            (
                format!("{op_ptr}/bindings/redis"),
                op.pointer("/bindings/redis"),
            ),
            (
                format!("{channel_ptr}/bindings/redis"),
                channel.pointer("/bindings/redis"),
            ),
        ] {
            let Some(v) = v.map(|v| self.deref_value(v)) else {
                continue;
            };
            let field =
                |a: &str, b: &str| str_of(&v, a).or_else(|| str_of(&v, b)).map(str::to_owned);
            let method = field("method", "x-method");
            let group = field("groupName", "x-group-name");
            let consumer = field("consumerName", "x-consumer-name");
            if method.is_none() && group.is_none() && consumer.is_none() {
                continue;
            }
            let kind = match method.as_deref().map(str::to_ascii_lowercase).as_deref() {
                None if group.is_some() => "Stream",
                None | Some("publish" | "subscribe" | "psubscribe" | "ssubscribe") => "PubSub",
                Some("rpush" | "lpush" | "lpop" | "blpop" | "rpop" | "brpop") => "List",
                Some("xadd" | "xread" | "xreadgroup") => "Stream",
                Some(other) => {
                    self.binding_note(
                        format!("{at}/method"),
                        format!("redis method `{other}` is unknown (pub/sub: publish, subscribe, psubscribe; lists: rpush, lpop; streams: xadd, xreadgroup); the channel uses pub/sub"),
                    );
                    "PubSub"
                }
            };
            redis = Some(RedisIr {
                kind,
                group,
                consumer,
            });
            break;
        }
        let k = kafka_channel.unwrap_or_default();
        let partitions = k.partitions.and_then(|n| i32::try_from(n).ok());
        let replicas = k.replicas.and_then(|n| i16::try_from(n).ok());
        let client_id = op
            .pointer("/bindings/kafka/clientId")
            .map(|s| self.deref_value(s))
            .and_then(|s| pinned_string(&s).map(str::to_owned));
        let kafka = (partitions.is_some() || replicas.is_some() || client_id.is_some()).then_some(
            KafkaIr {
                partitions,
                replicas,
                client_id,
            },
        );
        let mqtt = mqtt_op.and_then(|m| {
            let qos = match m.qos {
                Some(q @ 0..=2) => Some(q),
                Some(other) => {
                    self.binding_note(
                        format!("{op_ptr}/bindings/mqtt/qos"),
                        format!("mqtt qos {other} is not 0, 1 or 2; the adapter's default is used"),
                    );
                    None
                }
                None => None,
            };
            (qos.is_some() || m.retain.is_some()).then_some(MqttIr {
                qos,
                retain: m.retain,
            })
        });
        // NATS: a JetStream stream, from the operation's binding, else
        // the channel's (`stream`/`ackWait` in a custom binding, as
        // FastStream writes its nats binding, or `x-` extensions).
        let mut nats = None;
        for (at, v) in [
            (
                format!("{op_ptr}/bindings/nats"),
                op.pointer("/bindings/nats"),
            ),
            (
                format!("{channel_ptr}/bindings/nats"),
                channel.pointer("/bindings/nats"),
            ),
        ] {
            let Some(v) = v.map(|v| self.deref_value(v)) else {
                continue;
            };
            let stream = str_of(&v, "stream")
                .or_else(|| str_of(&v, "x-stream"))
                .map(str::to_owned);
            let wait = v.get("ackWait").or_else(|| v.get("x-ack-wait"));
            let ack_wait_ms = match wait {
                None => None,
                Some(w) => match w.as_f64().filter(|s| s.is_finite() && *s > 0.0) {
                    // Milliseconds: JetStream's resolution is finer, a
                    // spec's need is not.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Some(secs) => Some((secs * 1000.0).round().max(1.0) as u64),
                    None => {
                        self.binding_note(
                            format!("{at}/ackWait"),
                            "nats `ackWait` is a positive number of seconds; JetStream's default (30 s) is used".into(),
                        );
                        None
                    }
                },
            };
            if stream.is_none() && ack_wait_ms.is_none() {
                continue;
            }
            if stream.is_none() {
                self.binding_note(
                    format!("{at}/ackWait"),
                    "nats `ackWait` without a `stream`: core NATS has no acks, so it is ignored"
                        .into(),
                );
                continue;
            }
            nats = Some(NatsIr {
                stream,
                ack_wait_ms,
            });
            break;
        }
        BindingsIr {
            amqp,
            redis,
            kafka,
            mqtt,
            nats,
        }
    }
}
