//! The [`Broker`] an [`MqttBroker`](super::MqttBroker) is, and its
//! subscriptions: a client per subscription (shared subscriptions for
//! groups), its task and the acker of each message.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, EventLoop};
use tokio::sync::{mpsc, oneshot, watch};

use super::broker::{Inner, MqttBroker, envelope_of, filter_of, levels_are_whole_parameters};
use super::config::{MqttSettings, err, qos_of};
use crate::address::matches_address;
use crate::bindings::Bindings;
use crate::broker::{
    Acker, Backoff, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec,
    Subscription,
};
use crate::connect::ServerInfo;
use crate::envelope::Envelope;

impl Broker for MqttBroker {
    fn name(&self) -> &'static str {
        "mqtt"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        let mut info = self.inner.server.clone();
        info.protocol_version = Some("5".into());
        Some(info)
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        let up = self
            .inner
            .connected
            .load(std::sync::atomic::Ordering::Acquire);
        Box::pin(std::future::ready(if up {
            Ok(())
        } else {
            Err(err(
                BrokerErrorKind::Connection,
                "not connected to the MQTT broker (reconnecting)",
            ))
        }))
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(self.inner.send(envelope, None))
    }

    /// The operation binding's `qos` and `retain`.
    fn publish_with<'a>(
        &'a self,
        envelope: Envelope,
        bindings: &'a Bindings,
    ) -> BoxFuture<'a, Result<(), BrokerError>> {
        Box::pin(self.inner.send(envelope, bindings.mqtt.as_ref()))
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(subscribe(self.inner.clone(), spec))
    }

    fn new_inbox(&self) -> String {
        format!("faststream/inbox/{}", uuid::Uuid::new_v4().simple())
    }
}

/// A client id for a subscription: with persistent sessions, stable for
/// its filter and group (so the session is found again after a restart);
/// fresh otherwise.
pub(super) fn subscription_client_id(
    settings: &MqttSettings,
    filter: &str,
    group: Option<&str>,
) -> String {
    if settings.clean_start {
        return format!(
            "{}-{}",
            settings.client_id,
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
    }
    // FNV-1a: stable across runs and builds.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in filter
        .bytes()
        .chain([0])
        .chain(group.unwrap_or_default().bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}-{h:016x}", settings.client_id)
}

pub(super) async fn subscribe(
    inner: Arc<Inner>,
    spec: SubscribeSpec,
) -> Result<Subscription, BrokerError> {
    let settings = &inner.endpoint.settings;
    let filter = filter_of(&spec.address);
    let full = match &spec.group {
        Some(g) => format!("$share/{g}/{filter}"),
        None => filter.clone(),
    };
    let qos = qos_of(
        spec.bindings
            .mqtt
            .as_ref()
            .and_then(|b| b.qos)
            .unwrap_or(settings.qos),
    );
    let client_id = subscription_client_id(settings, &filter, spec.group.as_deref());
    // The broker sends up to this many unacknowledged QoS 1/2 messages;
    // fewer starves the connection, and Mosquitto drops what queues up
    // beyond its `max_queued_messages` (1,000) for a slow session. They
    // wait in the subscription's buffer (as large) for the handlers.
    let receive_maximum = u16::try_from(spec.prefetch.clamp(1024, 65_535)).ok();
    let mqtt = inner.endpoint.mqtt_options(&client_id, receive_maximum)?;
    let (client, eventloop) = AsyncClient::new(mqtt, 1024);
    // Room for bursts: while this buffer is full the connection is not
    // read, and the broker drops QoS 0 messages it cannot queue.
    let (tx, rx) = mpsc::channel(spec.prefetch.max(1024));
    let (subscribed_tx, mut subscribed) = watch::channel(None::<Result<(), String>>);
    let (closed_tx, closed) = oneshot::channel();
    let template = spec.address.clone();
    let check = !levels_are_whole_parameters(&template);
    let task = SubscriptionTask {
        client: client.clone(),
        filter: full.clone(),
        qos,
        template,
        check,
        tx,
        broker: inner.clone(),
    };
    tokio::spawn(async move {
        task.run(eventloop, subscribed_tx).await;
        let _ = closed_tx.send(());
    });
    match tokio::time::timeout(
        settings.subscribe_timeout,
        subscribed.wait_for(Option::is_some),
    )
    .await
    {
        Ok(Ok(r)) => match &*r {
            Some(Err(e)) => Err(err(
                BrokerErrorKind::Refused,
                format!("subscribing to `{full}`: {e}"),
            )),
            _ => Ok(Subscription::new(rx).with_close_signal(closed)),
        },
        _ => Err(err(
            BrokerErrorKind::Timeout,
            format!("the MQTT broker did not confirm the subscription to `{full}` in time"),
        )),
    }
}

pub(super) struct SubscriptionTask {
    pub(super) client: AsyncClient,
    pub(super) filter: String,
    pub(super) qos: QoS,
    pub(super) template: String,
    pub(super) check: bool,
    pub(super) tx: mpsc::Sender<Delivery>,
    pub(super) broker: Arc<Inner>,
}

impl SubscriptionTask {
    pub(super) async fn run(
        self,
        mut eventloop: EventLoop,
        subscribed: watch::Sender<Option<Result<(), String>>>,
    ) {
        let mut backoff = Backoff::new();
        let mut first = true;
        // QoS 1 and 2 deliveries the subscription's buffer has no room for,
        // oldest first: they go in as the handlers make room, while the
        // connection is still read, because a handler's ack (and every
        // ping) goes out only while this loop polls the client. Waiting on
        // the buffer instead deadlocks once the acks fill the client's
        // request queue: the handlers wait on the loop, the loop on them.
        // The broker sends no more of them than the session's receive
        // maximum before acks come back, so this stays bounded. (Before the
        // first SUBACK nothing reads the buffer yet: what a resumed
        // session's broker sends early waits here too.)
        let mut waiting: std::collections::VecDeque<Delivery> = std::collections::VecDeque::new();
        loop {
            let event = if waiting.is_empty() {
                tokio::select! {
                    e = eventloop.poll() => e,
                    () = self.tx.closed() => break,
                }
            } else {
                // `EventLoop::poll` may be cancelled (rumqttc keeps what it
                // read and what it was writing for the next poll).
                tokio::select! {
                    e = eventloop.poll() => e,
                    room = self.tx.reserve() => {
                        let Ok(room) = room else { break };
                        if let Some(delivery) = waiting.pop_front() {
                            room.send(delivery);
                        }
                        continue;
                    }
                }
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff.reset();
                    // Subscribe on every connection: a clean session has
                    // forgotten it, a persistent one keeps it (no harm).
                    let f = Filter::new(self.filter.clone(), self.qos);
                    if let Err(e) = self.client.try_subscribe_many(vec![f]) {
                        tracing::warn!(error = %e, filter = %self.filter, "MQTT subscribe");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    let refused = ack.return_codes.iter().find(|c| {
                        !matches!(
                            c,
                            rumqttc::v5::mqttbytes::v5::SubscribeReasonCode::Success(_)
                        )
                    });
                    if first {
                        first = false;
                        let _ = subscribed.send(Some(match refused {
                            Some(code) => Err(format!("refused: {code:?}")),
                            None => Ok(()),
                        }));
                    } else if let Some(code) = refused {
                        tracing::error!(filter = %self.filter, code = ?code, "MQTT broker refused the subscription after a reconnect");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let envelope = envelope_of(&p);
                    if self.check && !matches_address(&self.template, &envelope.channel) {
                        let _ = self.client.try_ack(&p);
                        continue;
                    }
                    let at_most_once = p.qos == QoS::AtMostOnce;
                    let acker = MqttAcker {
                        client: self.client.clone(),
                        publish: p,
                        attempt: 1,
                        tx: self.tx.clone(),
                        broker: self.broker.clone(),
                    };
                    let delivery = Delivery {
                        envelope: envelope.into(),
                        attempt: 1,
                        acker: crate::broker::AckHandle::new(acker),
                    };
                    if !waiting.is_empty() {
                        // After those before it.
                        waiting.push_back(delivery);
                        continue;
                    }
                    match self.tx.try_send(delivery) {
                        Ok(()) => {}
                        // QoS 0 has no ack to wait for: while the buffer is
                        // full the connection is not read, and the broker
                        // drops what it cannot queue (MQTT's QoS 0).
                        Err(mpsc::error::TrySendError::Full(d)) if at_most_once && !first => {
                            if self.tx.send(d).await.is_err() {
                                break;
                            }
                        }
                        Err(mpsc::error::TrySendError::Full(d)) => waiting.push_back(d),
                        Err(mpsc::error::TrySendError::Closed(_)) => break,
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if first {
                        let _ = subscribed.send(Some(Err(e.to_string())));
                        return;
                    }
                    tracing::warn!(error = %e, filter = %self.filter, "MQTT subscription connection lost; reconnecting");
                    tokio::select! {
                        () = backoff.wait() => {}
                        () = self.tx.closed() => return,
                    }
                }
            }
        }
        self.disconnect(&mut eventloop).await;
    }

    /// The subscription was dropped (the app stops): the acks its handlers
    /// made wait in the client's queue. They go out before a DISCONNECT
    /// (the client sends in order), so that a persistent session's broker
    /// does not send those messages again.
    async fn disconnect(&self, eventloop: &mut EventLoop) {
        if self.client.try_disconnect().is_err() {
            return;
        }
        let sent = async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), sent)
            .await
            .is_err()
        {
            tracing::warn!(filter = %self.filter, "MQTT: the DISCONNECT was not sent within 5 s; the broker may send the last acknowledged messages again");
        }
    }
}

pub(super) struct MqttAcker {
    pub(super) client: AsyncClient,
    pub(super) publish: Publish,
    pub(super) attempt: u32,
    pub(super) tx: mpsc::Sender<Delivery>,
    pub(super) broker: Arc<Inner>,
}

impl Acker for MqttAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            if self.publish.qos == QoS::AtMostOnce {
                return Ok(());
            }
            self.client
                .ack(&self.publish)
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }

    fn nack(
        self: Box<Self>,
        delay: Option<Duration>,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            // MQTT has no negative acknowledgement: the message goes to the
            // handler again, still unacknowledged.
            let attempt = self.attempt + 1;
            let tx = self.tx.clone();
            let envelope = envelope_of(&self.publish);
            let acker = MqttAcker { attempt, ..*self };
            let _ = tx
                .send(Delivery {
                    envelope: envelope.into(),
                    attempt,
                    acker: crate::broker::AckHandle::new(acker),
                })
                .await;
            Ok(())
        })
    }

    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            let topic = String::from_utf8_lossy(&self.publish.topic).into_owned();
            match &self.broker.endpoint.settings.dead_letter {
                Some(template) => {
                    let dead = template.replace("{topic}", &topic);
                    let mut envelope = envelope_of(&self.publish);
                    envelope.channel = dead.as_str().into();
                    envelope
                        .headers
                        .insert("x-death-reason".into(), reason.clone());
                    envelope
                        .headers
                        .insert("x-original-topic".into(), topic.clone());
                    self.broker.send(envelope, None).await?;
                    tracing::warn!(reason = %reason, topic = %topic, dead_letter = %dead, "message moved to the dead-letter topic");
                }
                None => {
                    tracing::warn!(reason = %reason, topic = %topic, "message dropped (no dead-letter topic)")
                }
            }
            if self.publish.qos == QoS::AtMostOnce {
                return Ok(());
            }
            self.client
                .ack(&self.publish)
                .await
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }
}
