//! The adapter's settings, meta names, and the endpoint a URL names
//! (host, port, TLS, credentials).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::v5::MqttOptions;
use rumqttc::v5::mqttbytes::QoS;

use crate::broker::{BrokerError, BrokerErrorKind};
use crate::connect::{ConnectOptions, redact};

/// The `meta` keys of an MQTT envelope.
pub const META_QOS: &str = "qos";
/// `true` on a message the broker delivered as retained. On an envelope to
/// publish, `true` publishes it retained and any other value not, whatever the
/// binding says.
pub const META_RETAIN: &str = "retain";

pub(super) fn err(kind: BrokerErrorKind, e: impl fmt::Display) -> BrokerError {
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
    /// How long the broker keeps a persistent session after the connection
    /// drops (sent in whole seconds, only when [`MqttSettings::clean_start`]
    /// is `false`). Default 1 hour.
    pub session_expiry: Duration,
    /// The MQTT keep-alive: the client pings the broker when it has sent
    /// nothing for this long, and the broker drops a client silent for one and
    /// a half times as long. Default 60 s.
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

impl MqttSettings {
    /// The defaults, changed by a spec's server bindings (what
    /// [`crate::connect()`] passes) and then by the environment:
    /// `MQTT_CLIENT_ID`, `MQTT_CLEAN_SESSION` (`true`/`false`, or `1`/`0`),
    /// `MQTT_SESSION_EXPIRY` and `MQTT_KEEP_ALIVE` (seconds). A persistent
    /// session (`cleanSession: false`) without a client id gets
    /// `faststream-` and the instance's name ([`crate::instance_name`]), the
    /// same after a restart.
    pub fn from_env(bindings: Option<&crate::bindings::MqttServerBindings>) -> MqttSettings {
        MqttSettings::from_lookup(bindings, |k| std::env::var(k).ok())
    }

    /// [`MqttSettings::from_env`] over any lookup.
    pub fn from_lookup(
        bindings: Option<&crate::bindings::MqttServerBindings>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> MqttSettings {
        let mut s = MqttSettings::default();
        let get = |k: &str| lookup(k).filter(|v| !v.is_empty());
        let flag = |v: String| match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Some(true),
            "0" | "false" | "no" => Some(false),
            _ => None,
        };
        let secs = |v: String| v.parse::<u64>().ok().map(Duration::from_secs);
        let b = bindings.copied().unwrap_or_default();
        if let Some(clean) = get("MQTT_CLEAN_SESSION").and_then(flag).or(b.clean_session) {
            s.clean_start = clean;
        }
        if let Some(e) = get("MQTT_SESSION_EXPIRY").and_then(secs).or(b
            .session_expiry_interval
            .map(|n| Duration::from_secs(n.into())))
        {
            s.session_expiry = e;
        }
        if let Some(k) = get("MQTT_KEEP_ALIVE")
            .and_then(secs)
            .or(b.keep_alive.map(|n| Duration::from_secs(n.into())))
        {
            s.keep_alive = k;
        }
        match get("MQTT_CLIENT_ID").or(b.client_id.map(str::to_owned)) {
            Some(id) => s.client_id = id,
            None if !s.clean_start => {
                s.client_id = format!(
                    "faststream-{}",
                    crate::connect::instance_name_from(|k| lookup(k))
                );
            }
            None => {}
        }
        s
    }
}

/// The largest packet MQTT can carry (its variable byte integer's limit).
const MAX_PACKET_SIZE: u32 = 268_435_455;

pub(super) fn qos_of(n: u8) -> QoS {
    match n {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Where and how to connect (the URL parsed once).
#[derive(Clone)]
pub(super) struct Endpoint {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) tls: bool,
    pub(super) options: ConnectOptions,
    pub(super) settings: MqttSettings,
}

impl Endpoint {
    pub(super) fn parse(
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

    pub(super) fn mqtt_options(
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
        // The client takes any packet MQTT allows (rumqttc's own limit is
        // 10 KiB: a larger message broke the connection, and at QoS 1 came
        // back after each reconnect). A route's `max_body_size` refuses
        // what is too large for it.
        o.set_max_packet_size(Some(MAX_PACKET_SIZE));
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

    pub(super) fn tls_config(&self) -> Result<rumqttc::TlsConfiguration, BrokerError> {
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
