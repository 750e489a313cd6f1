//! [`MqttBroker`](super::MqttBroker): connecting, publishing, and how an
//! envelope maps to an MQTT 5 publish and back.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::AsyncClient;
use rumqttc::v5::mqttbytes::v5::{Publish, PublishProperties};
use tokio::sync::{oneshot, watch};

use super::config::{Endpoint, META_QOS, META_RETAIN, MqttSettings, err, qos_of};
use super::publisher::{Waiter, Waiters, publisher_loop, sweep};
use crate::bindings::MqttBindings;
use crate::broker::{BrokerError, BrokerErrorKind, lock};
use crate::connect::{ConnectOptions, ServerInfo, redact};
use crate::envelope::Envelope;

/// An MQTT 5 broker connection.
#[derive(Clone)]
pub struct MqttBroker {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) endpoint: Endpoint,
    pub(super) client: AsyncClient,
    pub(super) waiters: Arc<Mutex<Waiters>>,
    pub(super) connected: Arc<AtomicBool>,
    pub(super) server: ServerInfo,
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

/// `a/{x}/b` -> `a/+/b`: a level holding a parameter becomes `+`.
pub(crate) fn filter_of(address: &str) -> String {
    crate::address::level_wildcards(address, '/', "+")
}

/// Whether every parameter of an address is a whole level.
pub(super) fn levels_are_whole_parameters(address: &str) -> bool {
    crate::address::parameters_are_whole_levels(address, '/')
}

/// The MQTT 5 properties of an envelope (FastStream's mapping).
pub(super) fn properties_of(envelope: &Envelope) -> PublishProperties {
    PublishProperties {
        content_type: envelope.content_type.clone(),
        response_topic: envelope.reply_to.as_deref().map(str::to_owned),
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

pub(super) fn envelope_of(p: &Publish) -> Envelope {
    let mut envelope = Envelope {
        channel: String::from_utf8_lossy(&p.topic).into(),
        payload: p.payload.clone(),
        ..Envelope::default()
    };
    if let Some(props) = &p.properties {
        envelope.content_type = props.content_type.clone();
        envelope.reply_to = props.response_topic.as_deref().map(Into::into);
        envelope.correlation_id = props
            .correlation_data
            .as_ref()
            .map(|c| String::from_utf8_lossy(c).into());
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
    pub(super) async fn send(
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
