//! The [`Broker`] an [`AmqpBroker`](super::AmqpBroker) is: publishing
//! and consuming.

use std::sync::Arc;

use lapin::BasicProperties;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

use super::acker::{AmqpAcker, envelope_of};
use super::broker::AmqpBroker;
use super::topology::{err, exclusive_queue, is_inbox, named_exchange};
use crate::address::matches_address;
use crate::bindings::{Bindings, NO_BINDINGS};
use crate::broker::{
    BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec, Subscription,
};
use crate::connect::ServerInfo;
use crate::envelope::Envelope;

impl Broker for AmqpBroker {
    fn name(&self) -> &'static str {
        "amqp"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some((*self.server).clone())
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        let status = self.connection.status();
        let state = if status.connected() {
            return Box::pin(std::future::ready(Ok(())));
        } else if status.reconnecting() || status.connecting() {
            "reconnecting"
        } else if status.closing() || status.closed() {
            "closed"
        } else {
            "down"
        };
        Box::pin(std::future::ready(Err(err(
            BrokerErrorKind::Connection,
            format!("RabbitMQ connection: {state}"),
        ))))
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        self.publish_with(envelope, &NO_BINDINGS)
    }

    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        Box::pin(async move {
            let b = bindings
                .amqp
                .as_ref()
                .filter(|_| !is_inbox(&envelope.channel));
            if let Some(b) = b {
                self.check_vhost(&envelope.channel, b)?;
            }
            // FastStream's topology: a channel without parameters (and
            // without an exchange) is a queue on the default exchange.
            let (exchange, routing_key) = match (b, b.and_then(named_exchange)) {
                (Some(b), _) if b.is_queue => {
                    let queue = b
                        .queue
                        .as_ref()
                        .and_then(|q| q.name.clone())
                        .unwrap_or_else(|| envelope.channel.to_string());
                    (String::new(), queue)
                }
                (_, Some(x)) => {
                    self.ensure_exchange(x).await?;
                    (x.name.clone(), envelope.channel.to_string())
                }
                _ if bindings.parameterized && !is_inbox(&envelope.channel) => {
                    (self.exchange.clone(), envelope.channel.to_string())
                }
                _ => (String::new(), envelope.channel.to_string()),
            };
            let mut table = FieldTable::default();
            for (k, v) in &envelope.headers {
                table.insert(
                    ShortString::from(k.as_str()),
                    AMQPValue::LongString(LongString::from(v.as_str())),
                );
            }
            if let Some(b) = b
                && !b.cc.is_empty()
            {
                let keys =
                    b.cc.iter()
                        .map(|k| AMQPValue::LongString(LongString::from(k.as_str())))
                        .collect::<Vec<_>>();
                table.insert(ShortString::from("CC"), AMQPValue::FieldArray(keys.into()));
            }
            let mut props = BasicProperties::default()
                .with_headers(table)
                .with_delivery_mode(b.and_then(|b| b.delivery_mode).unwrap_or(2));
            if let Some(p) = b.and_then(|b| b.priority) {
                props = props.with_priority(p);
            }
            if let Some(ms) = b.and_then(|b| b.expiration_ms) {
                props = props.with_expiration(ShortString::from(ms.to_string()));
            }
            if let Some(ct) = &envelope.content_type {
                props = props.with_content_type(ShortString::from(ct.as_str()));
            }
            if let Some(id) = &envelope.correlation_id {
                props = props.with_correlation_id(ShortString::from(id.as_str()));
            }
            if let Some(r) = &envelope.reply_to {
                props = props.with_reply_to(ShortString::from(r.as_str()));
            }
            // A publish that fails because the connection broke waits for
            // the reconnection and goes again, for up to `publish_timeout`.
            let deadline = tokio::time::Instant::now() + self.publish_timeout;
            loop {
                let attempt = async {
                    self.publish
                        .basic_publish(
                            ShortString::from(exchange.as_str()),
                            ShortString::from(routing_key.as_str()),
                            BasicPublishOptions::default(),
                            &envelope.payload,
                            props.clone(),
                        )
                        .await?
                        .await
                };
                // Bounded too: a publish whose confirmation never comes
                // (the connection died under it and its recovery stalls)
                // must not hang the caller.
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                let Ok(outcome) = tokio::time::timeout(left, attempt).await else {
                    return Err(err(
                        BrokerErrorKind::Timeout,
                        format!(
                            "RabbitMQ did not confirm the message within {:?}",
                            self.publish_timeout
                        ),
                    ));
                };
                match outcome {
                    Ok(confirmation) if confirmation.is_nack() => {
                        return Err(err(
                            BrokerErrorKind::Refused,
                            "RabbitMQ did not take the message (negative publisher confirm)",
                        ));
                    }
                    Ok(_) => return Ok(()),
                    Err(e) if e.can_be_recovered() && tokio::time::Instant::now() < deadline => {
                        tracing::warn!(error = %e, "RabbitMQ publish failed; waiting for the connection to recover");
                        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                        match tokio::time::timeout(left, self.publish.wait_for_recovery(e)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => return Err(err(BrokerErrorKind::Connection, e)),
                            Err(_) => {
                                return Err(err(
                                    BrokerErrorKind::Timeout,
                                    "RabbitMQ did not come back in time",
                                ));
                            }
                        }
                    }
                    Err(e) => return Err(err(BrokerErrorKind::Connection, e)),
                }
            }
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(async move {
            let ch = self
                .connection
                .create_channel()
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            ch.basic_qos(
                u16::try_from(spec.prefetch.max(1)).unwrap_or(u16::MAX),
                BasicQosOptions::default(),
            )
            .await
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
            let (queue, dead_letter) = if is_inbox(&spec.address) {
                self.declare_on_own_channel(
                    &spec.address,
                    &exclusive_queue(),
                    FieldTable::default(),
                )
                .await?;
                (spec.address.clone(), None)
            } else {
                self.subscribe_queue(&ch, &spec).await?
            };
            let consumer = ch
                .basic_consume(
                    ShortString::from(queue.as_str()),
                    ShortString::from(""),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(|e| err(BrokerErrorKind::Refused, e))?;
            let template = spec.address.clone();
            let publish = Arc::new(self.publish.clone());
            let queue: Arc<str> = Arc::from(queue.as_str());
            // The worker polls the consumer itself (no task and no hand-over
            // per message); the stream keeps the channel open.
            let deliveries = Subscription::from_messages(consumer, move |next| {
                let _channel = &ch;
                // An error is the connection's (lapin recovers it and the
                // consumer goes on): said, not handed to the worker.
                next.inspect_err(|e| {
                    tracing::warn!(queue = %queue, error = %e, "RabbitMQ consumer error; waiting for the connection to recover");
                })
                .ok()
                .and_then(|mut d| {
                    // One buffer for the envelope and the acker (no copy).
                    let data = bytes::Bytes::from(std::mem::take(&mut d.data));
                    let (mut envelope, attempt) = envelope_of(&d, data.clone());
                    let routing_key = envelope.channel.clone();
                    if !template.contains('{') {
                        // The channel, whatever the routing key (a queue
                        // channel, a fanout exchange, `cc` copies).
                        envelope.channel = template.as_str().into();
                    } else if !matches_address(&template, &envelope.channel) {
                        // Not this channel's (a pattern wider than the
                        // address): settled, never handled.
                        let acker = d.acker;
                        tokio::spawn(async move { acker.ack(BasicAckOptions::default()).await });
                        return None;
                    }
                    Some(Delivery {
                        envelope: envelope.into(),
                        attempt,
                        acker: crate::broker::AckHandle::new(AmqpAcker {
                            acker: d.acker,
                            publish: publish.clone(),
                            queue: queue.clone(),
                            routing_key,
                            data,
                            properties: d.properties,
                            attempt,
                            dead_letter: dead_letter.clone(),
                        }),
                    })
                })
            });
            Ok(deliveries)
        })
    }
}
