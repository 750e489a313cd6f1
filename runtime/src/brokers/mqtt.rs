//! MQTT 5 through rumqttc: topics with `+` for `{parameters}`, shared
//! subscriptions (`$share/<group>/<filter>`) for groups, QoS 0/1/2 and
//! retain, clean or persistent sessions, reconnect with resubscribe.
//!
//! Wire compatible with FastStream's MQTT 5 broker: application headers
//! travel as user properties, the content type and the correlation id
//! (as correlation data) as their own properties, and a request's reply
//! address as the response topic.
//!
//! One connection publishes; each subscription has a connection of its own
//! (so that two subscribers of one process in one group share the work,
//! and each can keep a persistent session). A publish at QoS 1 or 2
//! returns when the broker acknowledged it. Deliveries are acked by the
//! runtime (manual acks): a nack hands the message to the handler again
//! after the retry backoff (MQTT has no negative acknowledgement); a
//! reject acknowledges it and, when [`MqttSettings::dead_letter`] names a
//! topic, publishes it there first. At QoS 0 nothing is acknowledged and a
//! message is lost when the connection is (at most once).
//!
//! Publishing: the publishing connection always starts a clean session. A
//! publish is handed to the client and its waiter queued under one lock,
//! so the order of rumqttc's `Outgoing::Publish(pkid)` events names each
//! waiter's packet id, and the PUBACK (PUBCOMP at QoS 2) answers it; a QoS
//! 0 publish returns once written. Deadlines (`publish_timeout`) are
//! checked by one sweeper task per broker (a timer per publish woke the
//! runtime's driver each time). A broken connection fails every waiting
//! publish (its caller may publish again), and publishes are refused until
//! the connection is back.
//!
//! Subscribing: with persistent sessions (`clean_start: false`), a grouped
//! subscription's client id is derived from its filter and group, so its
//! session is found again after a restart (else the id is fresh). Each
//! subscription subscribes again on every CONNACK and acks a message once
//! it is settled. Its receive maximum (how many unacknowledged messages
//! the broker sends it) is the route's prefetch but at least 1,024, with a
//! buffer as large: fewer starved the connection and let Mosquitto drop
//! what queued beyond its `max_queued_messages`.
//!
//! A publish's QoS comes from the envelope's `qos` meta, else the
//! operation's mqtt binding, else [`MqttSettings::qos`] (0, FastStream's
//! default), and its retain flag from the `retain` meta, else the binding;
//! a subscription takes its binding's QoS, else the settings'. TLS is
//! rustls with the ring provider, and needs the CA file.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet, Publish, PublishProperties};
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use tokio::sync::{mpsc, oneshot, watch};

use crate::address::matches_address;
use crate::bindings::{Bindings, MqttBindings};
use crate::broker::{
    Acker, Backoff, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec,
    Subscription, lock,
};
use crate::connect::{ConnectOptions, ServerInfo, redact};
use crate::envelope::Envelope;

/// The `meta` keys of an MQTT envelope.
pub const META_QOS: &str = "qos";
pub const META_RETAIN: &str = "retain";

fn err(kind: BrokerErrorKind, e: impl fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

/// How the MQTT adapter behaves; `Default` is FastStream's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttSettings {
    /// The client id of the publishing connection; subscriptions add a
    /// suffix of their own (derived from their filter and group, so that a
    /// persistent session is found again after a restart).
    pub client_id: String,
    /// QoS of publishes and subscriptions the bindings (an operation's
    /// mqtt `qos`) say nothing about
    /// (FastStream's default: 0, at most once).
    pub qos: u8,
    /// Start every connection with a clean session (FastStream's default).
    /// `false`: the broker keeps subscriptions and QoS 1/2 messages while a
    /// subscriber is away, for [`MqttSettings::session_expiry`]. Mosquitto
    /// 2.0 keeps a shared subscription (a subscriber's group) only while it
    /// runs: after a restart, what is published before the group's members
    /// are back finds no subscriber.
    pub clean_start: bool,
    pub session_expiry: Duration,
    pub keep_alive: Duration,
    /// A topic for rejected messages (`{topic}` is replaced by the
    /// message's topic); `None`: rejected messages are logged and dropped.
    pub dead_letter: Option<String>,
    /// How long a publish waits for the broker's acknowledgement.
    pub publish_timeout: Duration,
    /// How long `subscribe` waits for the broker's SUBACK.
    pub subscribe_timeout: Duration,
}

impl Default for MqttSettings {
    fn default() -> MqttSettings {
        MqttSettings {
            client_id: format!(
                "faststream-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ),
            qos: 0,
            clean_start: true,
            session_expiry: Duration::from_secs(3600),
            keep_alive: Duration::from_secs(60),
            dead_letter: None,
            publish_timeout: Duration::from_secs(30),
            subscribe_timeout: Duration::from_secs(10),
        }
    }
}

fn qos_of(n: u8) -> QoS {
    match n {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Where and how to connect (the URL parsed once).
#[derive(Clone)]
struct Endpoint {
    host: String,
    port: u16,
    tls: bool,
    options: ConnectOptions,
    settings: MqttSettings,
}

impl Endpoint {
    fn parse(
        url: &str,
        options: ConnectOptions,
        settings: MqttSettings,
    ) -> Result<Endpoint, BrokerError> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("mqtt", url));
        let scheme = scheme.to_ascii_lowercase();
        let tls = options.tls || matches!(scheme.as_str(), "mqtts" | "secure-mqtt" | "ssl");
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        // `mqtt://user:password@host` carries credentials too.
        let (userinfo, authority) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_owned(),
                p.parse::<u16>().map_err(|_| {
                    err(
                        BrokerErrorKind::Refused,
                        format!("bad port in `{}`", redact(url)),
                    )
                })?,
            ),
            None => (authority.to_owned(), if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(err(
                BrokerErrorKind::Refused,
                format!("no host in `{}`", redact(url)),
            ));
        }
        let mut options = options;
        if let Some(userinfo) = userinfo {
            let (u, p) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            options.user.get_or_insert_with(|| u.to_owned());
            if !p.is_empty() {
                options.password.get_or_insert_with(|| p.to_owned());
            }
        }
        Ok(Endpoint {
            host,
            port,
            tls,
            options,
            settings,
        })
    }

    fn mqtt_options(
        &self,
        client_id: &str,
        receive_maximum: Option<u16>,
    ) -> Result<MqttOptions, BrokerError> {
        let mut o = MqttOptions::new(client_id, &self.host, self.port);
        o.set_keep_alive(self.settings.keep_alive)
            .set_clean_start(self.settings.clean_start)
            .set_manual_acks(true)
            .set_connection_timeout(10);
        if !self.settings.clean_start {
            o.set_session_expiry_interval(Some(
                u32::try_from(self.settings.session_expiry.as_secs()).unwrap_or(u32::MAX),
            ));
        }
        if let Some(n) = receive_maximum {
            o.set_receive_maximum(Some(n));
        }
        if let Some(user) = &self.options.user {
            o.set_credentials(
                user.clone(),
                self.options.password.clone().unwrap_or_default(),
            );
        }
        if self.tls {
            o.set_transport(rumqttc::Transport::tls_with_config(self.tls_config()?));
        }
        Ok(o)
    }

    fn tls_config(&self) -> Result<rumqttc::TlsConfiguration, BrokerError> {
        use rustls::pki_types::pem::PemObject;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        match self.options.ca_pem()? {
            Some(pem) => {
                for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
                    let cert =
                        cert.map_err(|e| err(BrokerErrorKind::Refused, format!("CA file: {e}")))?;
                    roots
                        .add(cert)
                        .map_err(|e| err(BrokerErrorKind::Refused, format!("CA file: {e}")))?;
                }
            }
            None => {
                return Err(err(
                    BrokerErrorKind::Refused,
                    "MQTT over TLS needs the CA that signed the server's certificate (MQTT_CA_FILE)",
                ));
            }
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| err(BrokerErrorKind::Refused, e))?
            .with_root_certificates(roots);
        let config = match self.options.client_identity()? {
            Some(id) => {
                let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&id.cert)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        err(BrokerErrorKind::Refused, format!("client certificate: {e}"))
                    })?;
                let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&id.key)
                    .map_err(|e| err(BrokerErrorKind::Refused, format!("client key: {e}")))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| err(BrokerErrorKind::Refused, e))?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(rumqttc::TlsConfiguration::Rustls(Arc::new(config)))
    }
}

/// A publish waiting for the broker, until its deadline; `None` once it
/// timed out (its place in the queue is kept: it still gets a packet id).
struct Waiter {
    deadline: std::time::Instant,
    tx: Option<oneshot::Sender<Result<(), BrokerError>>>,
}

impl Waiter {
    fn answer(self, result: Result<(), BrokerError>) {
        if let Some(tx) = self.tx {
            let _ = tx.send(result);
        }
    }
}

/// Publishes waiting for the broker, in the order they were handed to the
/// client (rumqttc says which packet id each got, in that order). Their
/// deadlines are checked by one sweeper per broker, not a timer per
/// publish (registering a timer woke the runtime's driver every time).
#[derive(Default)]
struct Waiters {
    /// Handed to the client, packet id not yet known.
    queued: VecDeque<Waiter>,
    /// Sent with this packet id, acknowledgement not yet received.
    sent: HashMap<u16, Waiter>,
}

impl Waiters {
    fn fail_all(&mut self, why: &str) {
        for w in self
            .queued
            .drain(..)
            .chain(self.sent.drain().map(|(_, w)| w))
        {
            w.answer(Err(err(BrokerErrorKind::Connection, why)));
        }
    }

    /// Fails the publishes whose deadline has passed.
    fn expire(&mut self, now: std::time::Instant) {
        let timeout = || {
            Err(err(
                BrokerErrorKind::Timeout,
                "the MQTT broker did not acknowledge the message in time",
            ))
        };
        for w in &mut self.queued {
            if w.deadline <= now
                && let Some(tx) = w.tx.take()
            {
                let _ = tx.send(timeout());
            }
        }
        self.sent.retain(|_, w| {
            if w.deadline <= now
                && let Some(tx) = w.tx.take()
            {
                let _ = tx.send(timeout());
            }
            w.tx.is_some()
        });
    }
}

/// Fails overdue publishes every `every`, for as long as the broker lives.
async fn sweep(waiters: std::sync::Weak<Mutex<Waiters>>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(waiters) = waiters.upgrade() else {
            return;
        };
        lock(&waiters).expire(std::time::Instant::now());
    }
}

/// An MQTT 5 broker connection.
#[derive(Clone)]
pub struct MqttBroker {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    client: AsyncClient,
    waiters: Arc<Mutex<Waiters>>,
    connected: Arc<AtomicBool>,
    server: ServerInfo,
}

impl fmt::Debug for MqttBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttBroker")
            .field("server", &self.inner.server)
            .field("settings", &self.inner.endpoint.settings)
            .finish_non_exhaustive()
    }
}

impl MqttBroker {
    /// Connects to `url` (`mqtt://host:1883`, `mqtts://` for TLS), with
    /// credentials and TLS settings from the environment (`MQTT_USER`,
    /// `MQTT_PASSWORD`, `MQTT_TLS`, `MQTT_CA_FILE`,
    /// `MQTT_CERT_FILE`/`MQTT_KEY_FILE`) and the default settings.
    pub async fn connect(url: &str) -> Result<MqttBroker, BrokerError> {
        MqttBroker::connect_with(
            url,
            ConnectOptions::from_env("MQTT"),
            MqttSettings::default(),
        )
        .await
    }

    /// Connects with the given credentials, TLS and settings; the first
    /// connection is checked (a CONNACK within 10 s), later ones are made
    /// by the adapter, with backoff, for as long as the broker lives.
    pub async fn connect_with(
        url: &str,
        options: ConnectOptions,
        settings: MqttSettings,
    ) -> Result<MqttBroker, BrokerError> {
        let normalized = if url.contains("://") {
            url.to_owned()
        } else {
            format!("mqtt://{url}")
        };
        let server = ServerInfo::describe(&normalized, &options);
        let endpoint = Endpoint::parse(url, options, settings)?;
        // The publishing connection always starts clean: a publish the
        // broker did not acknowledge fails (and its caller publishes it
        // again), instead of being replayed where no one waits for it.
        let mut mqtt = endpoint.mqtt_options(&endpoint.settings.client_id, None)?;
        mqtt.set_clean_start(true).set_session_expiry_interval(None);
        let (client, eventloop) = AsyncClient::new(mqtt, 1024);
        let waiters = Arc::new(Mutex::new(Waiters::default()));
        // Deadlines are checked ten times per timeout (at most once per
        // 10 ms).
        tokio::spawn(sweep(
            Arc::downgrade(&waiters),
            (endpoint.settings.publish_timeout / 10).max(Duration::from_millis(10)),
        ));
        let connected = Arc::new(AtomicBool::new(false));
        let (ready_tx, mut ready) = watch::channel(None::<Result<(), String>>);
        tokio::spawn(publisher_loop(
            eventloop,
            waiters.clone(),
            connected.clone(),
            ready_tx,
        ));
        let shown = redact(url);
        match tokio::time::timeout(Duration::from_secs(10), ready.wait_for(Option::is_some)).await {
            Ok(Ok(r)) => {
                if let Some(Err(e)) = &*r {
                    return Err(err(
                        BrokerErrorKind::Connection,
                        format!("MQTT at {shown}: {e}"),
                    ));
                }
            }
            _ => {
                return Err(err(
                    BrokerErrorKind::Connection,
                    format!("MQTT at {shown} did not answer within 10 s"),
                ));
            }
        }
        Ok(MqttBroker {
            inner: Arc::new(Inner {
                endpoint,
                client,
                waiters,
                connected,
                server,
            }),
        })
    }

    /// The settings this broker runs with.
    pub fn settings(&self) -> &MqttSettings {
        &self.inner.endpoint.settings
    }
}

/// Drives the publishing connection: matches acknowledgements to the
/// publishes waiting for them, reconnects with backoff.
async fn publisher_loop(
    mut eventloop: EventLoop,
    waiters: Arc<Mutex<Waiters>>,
    connected: Arc<AtomicBool>,
    ready: watch::Sender<Option<Result<(), String>>>,
) {
    let mut backoff = Backoff::new();
    let mut first = true;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                connected.store(true, Ordering::Release);
                backoff.reset();
                if first {
                    first = false;
                    let _ = ready.send(Some(Ok(())));
                }
            }
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                let mut w = lock(&waiters);
                if pkid != 0 && w.sent.contains_key(&pkid) {
                    // Sent again after a reconnect: still waiting.
                    continue;
                }
                if let Some(waiter) = w.queued.pop_front() {
                    if pkid == 0 {
                        waiter.answer(Ok(()));
                    } else {
                        w.sent.insert(pkid, waiter);
                    }
                }
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                if ack.reason == rumqttc::v5::mqttbytes::v5::PubAckReason::NoMatchingSubscribers {
                    tracing::debug!(
                        pkid = ack.pkid,
                        "MQTT: the broker has no subscriber for a message it accepted"
                    );
                }
                if let Some(waiter) = lock(&waiters).sent.remove(&ack.pkid) {
                    let ok = (ack.reason as u8) < 0x80;
                    waiter.answer(if ok {
                        Ok(())
                    } else {
                        Err(err(
                            BrokerErrorKind::Refused,
                            format!("the broker refused the message: {:?}", ack.reason),
                        ))
                    });
                }
            }
            Ok(Event::Incoming(Packet::PubRec(rec))) => {
                if (rec.reason as u8) >= 0x80
                    && let Some(waiter) = lock(&waiters).sent.remove(&rec.pkid)
                {
                    waiter.answer(Err(err(
                        BrokerErrorKind::Refused,
                        format!("the broker refused the message: {:?}", rec.reason),
                    )));
                }
            }
            Ok(Event::Incoming(Packet::PubComp(comp))) => {
                if let Some(waiter) = lock(&waiters).sent.remove(&comp.pkid) {
                    waiter.answer(Ok(()));
                }
            }
            Ok(_) => {}
            Err(e) => {
                connected.store(false, Ordering::Release);
                // What was not acknowledged is not known to have arrived:
                // its publisher gets an error (and may publish again).
                lock(&waiters).fail_all(&format!("the MQTT connection broke: {e}"));
                if first {
                    let _ = ready.send(Some(Err(e.to_string())));
                    return;
                }
                tracing::warn!(error = %e, "MQTT connection lost; reconnecting");
                backoff.wait().await;
            }
        }
        if Arc::strong_count(&waiters) == 1 {
            // The broker is gone.
            return;
        }
    }
}

/// `a/{x}/b` -> `a/+/b`: a level holding a parameter becomes `+`.
pub(crate) fn filter_of(address: &str) -> String {
    crate::address::level_wildcards(address, '/', "+")
}

/// Whether every parameter of an address is a whole level.
fn levels_are_whole_parameters(address: &str) -> bool {
    crate::address::parameters_are_whole_levels(address, '/')
}

/// The MQTT 5 properties of an envelope (FastStream's mapping).
fn properties_of(envelope: &Envelope) -> PublishProperties {
    PublishProperties {
        content_type: envelope.content_type.clone(),
        response_topic: envelope.reply_to.clone(),
        correlation_data: envelope
            .correlation_id
            .as_ref()
            .map(|c| Bytes::copy_from_slice(c.as_bytes())),
        user_properties: envelope
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..PublishProperties::default()
    }
}

fn envelope_of(p: &Publish) -> Envelope {
    let mut envelope = Envelope {
        channel: String::from_utf8_lossy(&p.topic).into_owned(),
        payload: p.payload.clone(),
        ..Envelope::default()
    };
    if let Some(props) = &p.properties {
        envelope.content_type = props.content_type.clone();
        envelope.reply_to = props.response_topic.clone();
        envelope.correlation_id = props
            .correlation_data
            .as_ref()
            .map(|c| String::from_utf8_lossy(c).into_owned());
        for (k, v) in &props.user_properties {
            envelope.headers.insert(k.clone(), v.clone());
        }
    }
    envelope
        .meta
        .insert(META_QOS.to_owned(), (p.qos as u8).to_string());
    if p.retain {
        envelope.meta.insert(META_RETAIN.to_owned(), "true".into());
    }
    envelope
}

impl Inner {
    /// Publishes with the envelope's `qos`/`retain` meta, else the
    /// bindings', else the settings'.
    async fn send(
        &self,
        envelope: Envelope,
        bindings: Option<&MqttBindings>,
    ) -> Result<(), BrokerError> {
        let qos = envelope
            .meta
            .get(META_QOS)
            .and_then(|q| q.parse::<u8>().ok())
            .or_else(|| bindings.and_then(|b| b.qos))
            .map_or(qos_of(self.endpoint.settings.qos), qos_of);
        let retain = match envelope.meta.get(META_RETAIN) {
            Some(r) => r == "true",
            None => bindings.and_then(|b| b.retain).unwrap_or(false),
        };
        if !self.connected.load(Ordering::Acquire) {
            return Err(err(
                BrokerErrorKind::Connection,
                "not connected to the MQTT broker (reconnecting)",
            ));
        }
        let properties = properties_of(&envelope);
        let (tx, rx) = oneshot::channel();
        {
            // Handed to the client in the order the waiters are queued.
            let mut w = lock(&self.waiters);
            self.client
                .try_publish_with_properties(
                    envelope.channel,
                    qos,
                    retain,
                    envelope.payload,
                    properties,
                )
                .map_err(|e| err(BrokerErrorKind::Connection, e))?;
            w.queued.push_back(Waiter {
                deadline: std::time::Instant::now() + self.endpoint.settings.publish_timeout,
                tx: Some(tx),
            });
        }
        // The sweeper answers it when its deadline passes.
        rx.await
            .unwrap_or_else(|_| Err(err(BrokerErrorKind::Closed, "the MQTT connection is gone")))
    }
}

impl Broker for MqttBroker {
    fn name(&self) -> &'static str {
        "mqtt"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        let mut info = self.inner.server.clone();
        info.protocol_version = Some("5".into());
        Some(info)
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

/// A client id for a subscription: stable for a group and filter (so a
/// persistent session is found again), unique otherwise.
fn subscription_client_id(settings: &MqttSettings, filter: &str, group: Option<&str>) -> String {
    if settings.clean_start || group.is_none() {
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

async fn subscribe(inner: Arc<Inner>, spec: SubscribeSpec) -> Result<Subscription, BrokerError> {
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
        let _ = client.try_disconnect();
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

struct SubscriptionTask {
    client: AsyncClient,
    filter: String,
    qos: QoS,
    template: String,
    check: bool,
    tx: mpsc::Sender<Delivery>,
    broker: Arc<Inner>,
}

impl SubscriptionTask {
    async fn run(
        self,
        mut eventloop: EventLoop,
        subscribed: watch::Sender<Option<Result<(), String>>>,
    ) {
        let mut backoff = Backoff::new();
        let mut first = true;
        loop {
            let event = tokio::select! {
                e = eventloop.poll() => e,
                () = self.tx.closed() => return,
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
                    let acker = MqttAcker {
                        client: self.client.clone(),
                        publish: p,
                        attempt: 1,
                        tx: self.tx.clone(),
                        broker: self.broker.clone(),
                    };
                    let delivery = Delivery {
                        envelope,
                        attempt: 1,
                        acker: Box::new(acker),
                    };
                    if self.tx.send(delivery).await.is_err() {
                        return;
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
    }
}

struct MqttAcker {
    client: AsyncClient,
    publish: Publish,
    attempt: u32,
    tx: mpsc::Sender<Delivery>,
    broker: Arc<Inner>,
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
                    envelope,
                    attempt,
                    acker: Box::new(acker),
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
                    envelope.channel = dead.clone();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_single_level_wildcards() {
        assert_eq!(filter_of("sensors/{id}/temp"), "sensors/+/temp");
        assert_eq!(filter_of("a/b-{x}/c"), "a/+/c");
        assert!(levels_are_whole_parameters("sensors/{id}/temp"));
        assert!(!levels_are_whole_parameters("a/b-{x}/c"));
    }

    #[test]
    fn urls_and_credentials() {
        let e = Endpoint::parse(
            "mqtt://u:p@h:1884",
            ConnectOptions::default(),
            MqttSettings::default(),
        )
        .unwrap();
        assert_eq!((e.host.as_str(), e.port, e.tls), ("h", 1884, false));
        assert_eq!(e.options.user.as_deref(), Some("u"));
        assert_eq!(e.options.password.as_deref(), Some("p"));
        let e = Endpoint::parse(
            "mqtts://h",
            ConnectOptions::default(),
            MqttSettings::default(),
        )
        .unwrap();
        assert_eq!((e.port, e.tls), (8883, true));
        let e = Endpoint::parse(
            "127.0.0.1:1883",
            ConnectOptions::default(),
            MqttSettings::default(),
        )
        .unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 1883));
    }

    #[test]
    fn overdue_publishes_fail_and_keep_their_place() {
        let now = std::time::Instant::now();
        let mut w = Waiters::default();
        let (late_tx, mut late) = oneshot::channel();
        let (on_time_tx, mut on_time) = oneshot::channel();
        let (sent_tx, mut sent) = oneshot::channel();
        w.queued.push_back(Waiter {
            deadline: now - Duration::from_millis(1),
            tx: Some(late_tx),
        });
        w.queued.push_back(Waiter {
            deadline: now + Duration::from_secs(30),
            tx: Some(on_time_tx),
        });
        w.sent.insert(
            7,
            Waiter {
                deadline: now,
                tx: Some(sent_tx),
            },
        );
        w.expire(now);
        let timed_out = |r: Result<Result<(), BrokerError>, _>| {
            matches!(
                r,
                Ok(Err(BrokerError {
                    kind: BrokerErrorKind::Timeout,
                    ..
                }))
            )
        };
        assert!(timed_out(late.try_recv()));
        assert!(timed_out(sent.try_recv()));
        assert!(on_time.try_recv().is_err(), "still waiting");
        // The overdue one still takes the next packet id, in order.
        assert_eq!(w.queued.len(), 2);
        assert!(w.sent.is_empty());
    }

    #[test]
    fn persistent_sessions_keep_their_client_id() {
        let s = MqttSettings {
            client_id: "svc".into(),
            clean_start: false,
            ..MqttSettings::default()
        };
        let a = subscription_client_id(&s, "orders/+", Some("g"));
        assert_eq!(a, subscription_client_id(&s, "orders/+", Some("g")));
        assert_ne!(a, subscription_client_id(&s, "orders/+", Some("h")));
        let clean = MqttSettings::default();
        assert_ne!(
            subscription_client_id(&clean, "x", Some("g")),
            subscription_client_id(&clean, "x", Some("g"))
        );
    }
}
