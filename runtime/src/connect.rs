//! How to reach a broker: credentials and TLS ([`ConnectOptions`], from
//! code or the environment, never logged), and the servers a spec names
//! ([`Server`], which generated code lists in its `servers` module, and
//! [`connect`], which picks the adapter by the server's protocol).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use crate::broker::{Authentication, ServerInfo};
use crate::broker::{Broker, BrokerError, BrokerErrorKind};

/// Credentials and TLS settings shared by the adapters. Each adapter reads
/// what applies to it. `Debug` shows which secrets are set, not their
/// values; error messages never carry them either.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// User name (NATS, RabbitMQ, Redis ACL user). A user in the URL wins.
    pub user: Option<String>,
    /// The password that goes with [`ConnectOptions::user`] (for Kafka, the
    /// SASL password). `Debug` shows only whether it is set.
    pub password: Option<String>,
    /// Kafka's SASL mechanism: `PLAIN` (the default), `SCRAM-SHA-256` or
    /// `SCRAM-SHA-512`.
    pub sasl_mechanism: Option<String>,
    /// NATS token.
    pub token: Option<String>,
    /// NATS `.creds` file (JWT and nkey seed).
    pub creds_file: Option<PathBuf>,
    /// PEM file of the certificate authority that signed the server's
    /// certificate (else the system's roots are trusted).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate and key, for servers that ask for one.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of [`ConnectOptions::cert_file`]; one without the other
    /// is an error.
    pub key_file: Option<PathBuf>,
    /// Require TLS even when the URL does not say so (`tls://`,
    /// `rediss://`, `amqps://` always do).
    pub tls: bool,
    /// The connection's name, where the broker shows one.
    pub name: Option<String>,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("ConnectOptions")
            .field("user", &self.user)
            .field("password", &secret(&self.password))
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("token", &secret(&self.token))
            .field("creds_file", &self.creds_file)
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("tls", &self.tls)
            .field("name", &self.name)
            .finish()
    }
}

impl ConnectOptions {
    /// Options from the environment variables `<PREFIX>_USER`,
    /// `_PASSWORD`, `_TOKEN`, `_CREDS`, `_CA_FILE`, `_CERT_FILE`,
    /// `_KEY_FILE`, `_TLS` (`1` or `true`) and `_SASL_MECHANISM`, for the
    /// prefixes `NATS`, `REDIS`, `AMQP`, `KAFKA` and `MQTT`. Empty values count as unset.
    pub fn from_env(prefix: &str) -> ConnectOptions {
        ConnectOptions::from_lookup(prefix, |k| std::env::var(k).ok())
    }

    /// [`ConnectOptions::from_env`] over any lookup (tests use a map).
    pub fn from_lookup(prefix: &str, lookup: impl Fn(&str) -> Option<String>) -> ConnectOptions {
        let var = |k: &str| lookup(&format!("{prefix}_{k}")).filter(|v| !v.is_empty());
        ConnectOptions {
            user: var("USER"),
            password: var("PASSWORD"),
            sasl_mechanism: var("SASL_MECHANISM"),
            token: var("TOKEN"),
            creds_file: var("CREDS").map(PathBuf::from),
            ca_file: var("CA_FILE").map(PathBuf::from),
            cert_file: var("CERT_FILE").map(PathBuf::from),
            key_file: var("KEY_FILE").map(PathBuf::from),
            tls: var("TLS").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            name: None,
        }
    }

    /// The CA file's PEM bytes, when one is set.
    #[cfg_attr(
        not(any(feature = "redis", feature = "amqp", feature = "mqtt")),
        allow(dead_code)
    )]
    pub(crate) fn ca_pem(&self) -> Result<Option<Vec<u8>>, BrokerError> {
        self.ca_file
            .as_ref()
            .map(|p| read("CA file", p))
            .transpose()
    }

    /// The client certificate and key (PEM bytes), when both are set; one
    /// without the other is an error.
    #[cfg_attr(
        not(any(feature = "redis", feature = "amqp", feature = "mqtt")),
        allow(dead_code)
    )]
    pub(crate) fn client_identity(&self) -> Result<Option<ClientIdentity>, BrokerError> {
        match (&self.cert_file, &self.key_file) {
            (Some(c), Some(k)) => Ok(Some(ClientIdentity {
                cert: read("client certificate", c)?,
                key: read("client key", k)?,
            })),
            (None, None) => Ok(None),
            _ => Err(BrokerError::new(
                BrokerErrorKind::Refused,
                "a client certificate needs both a certificate and a key file",
            )),
        }
    }
}

/// A client certificate and its key, PEM.
#[cfg_attr(
    not(any(feature = "redis", feature = "amqp", feature = "mqtt")),
    allow(dead_code)
)]
pub(crate) struct ClientIdentity {
    pub(crate) cert: Vec<u8>,
    pub(crate) key: Vec<u8>,
}

/// Reads a PEM file of the options, with an error naming the setting.
fn read(what: &str, path: &PathBuf) -> Result<Vec<u8>, BrokerError> {
    std::fs::read(path).map_err(|e| {
        BrokerError::new(
            BrokerErrorKind::Refused,
            format!("cannot read the {what} `{}`: {e}", path.display()),
        )
    })
}

/// The environment variable that names this instance of a service.
pub const INSTANCE_VAR: &str = "FASTSTREAM_INSTANCE";

/// This instance's name, stable across its restarts: where a broker keeps
/// what a consumer held by the consumer's name (a Redis stream's pending
/// entries), a restarted instance takes it back at once. It is
/// `FASTSTREAM_INSTANCE` when set, else the host's name (a pod's, in
/// Kubernetes; read from `/proc/sys/kernel/hostname`, `HOSTNAME` or
/// `COMPUTERNAME`), else a random name for this process. Processes that
/// share a host share its name: give each its own `FASTSTREAM_INSTANCE`.
pub fn instance_name() -> String {
    instance_name_from(|k| std::env::var(k).ok())
}

/// This instance's name when the deployment gave it one
/// (`FASTSTREAM_INSTANCE`), not guessed from the host: what a broker
/// enforces as unique (a Kafka group's static member id) is taken from it
/// only then, so that two processes on one host never fence each other.
#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
pub(crate) fn named_instance() -> Option<String> {
    named(std::env::var(INSTANCE_VAR).ok())
}

/// A name as given, trimmed; none when it is empty.
fn named(v: Option<String>) -> Option<String> {
    v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The name of this process's member of `scope` (a stream and its group,
/// a consumer group): `instance` for the first subscriber, then
/// `instance-2`, `instance-3`, ... (the same on every start of the same
/// service, whose routes subscribe in the same order).
#[cfg_attr(not(any(feature = "redis", feature = "kafka")), allow(dead_code))]
pub(crate) fn member_name(instance: &str, scope: &str) -> String {
    static MADE: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    let nth = {
        let mut made = crate::broker::lock(&MADE);
        let n = made.entry(scope.to_owned()).or_default();
        *n += 1;
        *n
    };
    if nth == 1 {
        instance.to_owned()
    } else {
        format!("{instance}-{nth}")
    }
}

/// [`instance_name`] over any lookup.
pub(crate) fn instance_name_from(lookup: impl Fn(&str) -> Option<String>) -> String {
    named(lookup(INSTANCE_VAR))
        .or_else(|| named(std::fs::read_to_string("/proc/sys/kernel/hostname").ok()))
        .or_else(|| named(lookup("HOSTNAME")))
        .or_else(|| named(lookup("COMPUTERNAME")))
        .unwrap_or_else(|| {
            static RANDOM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            RANDOM
                .get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
                .clone()
        })
}

/// A URL without its password, for messages.
#[cfg_attr(
    not(any(
        feature = "nats",
        feature = "redis",
        feature = "amqp",
        feature = "kafka",
        feature = "mqtt"
    )),
    allow(dead_code)
)]
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

/// Puts `user:password` (or only one of them) into a URL that has no user
/// information, percent-encoding them.
#[cfg_attr(not(any(feature = "redis", feature = "amqp")), allow(dead_code))]
pub(crate) fn with_credentials(url: &str, options: &ConnectOptions) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    if options.user.is_none() && options.password.is_none() {
        return url.to_owned();
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    if rest[..authority_end].contains('@') {
        return url.to_owned();
    }
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let user = encode(options.user.as_deref().unwrap_or_default());
    let userinfo = match options.password.as_deref() {
        Some(p) => format!("{user}:{}", encode(p)),
        None => user,
    };
    format!("{scheme}://{userinfo}@{rest}")
}

impl ServerInfo {
    /// The server a `url` and `options` reach: the URL's scheme (made the
    /// secure one when `options.tls` asks for TLS), its host and path
    /// without user information or query, and each way of authenticating
    /// the URL or the options carry.
    pub fn describe(url: &str, options: &ConnectOptions) -> ServerInfo {
        // A NATS URL may list several servers (`nats://a:4222,nats://b:4222`).
        let parts: Vec<(String, &str, Option<&str>, &str)> = url
            .split(',')
            .map(|part| {
                let (scheme, rest) = part.split_once("://").unwrap_or(("", part));
                let rest = rest.split(['?', '#']).next().unwrap_or_default();
                let (authority, pathname) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                let (userinfo, host) = match authority.rsplit_once('@') {
                    Some((u, h)) => (Some(u), h),
                    None => (None, authority),
                };
                (scheme.to_ascii_lowercase(), host, userinfo, pathname)
            })
            .collect();
        let scheme = parts[0].0.clone();
        let host = parts.iter().map(|p| p.1).collect::<Vec<_>>().join(",");
        let pathname = parts[0].3;
        let protocol = match scheme.as_str() {
            "tls" => "nats",
            "redis" if options.tls => "rediss",
            "amqp" if options.tls => "amqps",
            "kafka" if options.tls => "kafka-secure",
            "ssl" | "sasl_ssl" => "kafka-secure",
            "mqtt" if options.tls => "mqtts",
            other => other,
        }
        .to_owned();
        let mut authentication = Vec::new();
        let mut add = |a: Authentication| {
            if !authentication.contains(&a) {
                authentication.push(a);
            }
        };
        for userinfo in parts.iter().filter_map(|p| p.2) {
            // `nats://token@host`: a token; elsewhere a user (and password).
            if protocol == "nats" && !userinfo.contains(':') {
                add(Authentication::Token);
            } else {
                add(Authentication::UserPassword);
            }
        }
        if options.user.is_some() || options.password.is_some() {
            add(if protocol.starts_with("kafka") {
                match options
                    .sasl_mechanism
                    .as_deref()
                    .map(str::to_ascii_uppercase)
                    .as_deref()
                {
                    Some("SCRAM-SHA-256") => Authentication::ScramSha256,
                    Some("SCRAM-SHA-512") => Authentication::ScramSha512,
                    _ => Authentication::SaslPlain,
                }
            } else {
                Authentication::UserPassword
            });
        }
        if options.token.is_some() {
            add(Authentication::Token);
        }
        if options.creds_file.is_some() {
            add(Authentication::Credentials);
        }
        if options.cert_file.is_some() {
            add(Authentication::ClientCertificate);
        }
        let protocol_version = protocol.starts_with("amqp").then(|| "0.9.1".to_owned());
        ServerInfo {
            name: "development".into(),
            protocol,
            host,
            pathname: pathname.to_owned(),
            protocol_version,
            authentication,
        }
    }
}

/// A server of an AsyncAPI document (generated code lists them as
/// constants in its `servers` module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// The key under `servers`.
    pub name: &'static str,
    /// `nats`, `redis`, `rediss`, `amqp`, `amqps`, ...
    pub protocol: &'static str,
    /// `host[:port]`, possibly with `{variables}`.
    pub host: &'static str,
    /// A path (`/vhost` for AMQP, `/0` for a Redis database); may be empty.
    pub pathname: &'static str,
    /// Each variable's default value.
    pub variables: &'static [(&'static str, &'static str)],
    /// What the server's bindings say about the connection (an MQTT
    /// persistent session, its client id).
    pub bindings: crate::bindings::ServerBindings,
}

impl Server {
    /// The environment variable name for this server and `what`
    /// (`FASTSTREAM_SERVER_<NAME>_<WHAT>`, upper-cased, other characters
    /// as `_`).
    pub fn env_name(&self, what: &str) -> String {
        format!(
            "FASTSTREAM_SERVER_{}_{}",
            env_part(self.name),
            env_part(what)
        )
    }

    /// The URL to connect to: `FASTSTREAM_SERVER_<NAME>_URL` when set;
    /// otherwise the protocol's scheme, the host and the pathname, each
    /// `{variable}` replaced by `FASTSTREAM_SERVER_<NAME>_<VARIABLE>` or
    /// else its default.
    pub fn url(&self) -> String {
        self.url_from(|k| std::env::var(k).ok())
    }

    /// [`Server::url`] over any lookup.
    pub fn url_from(&self, lookup: impl Fn(&str) -> Option<String>) -> String {
        if let Some(url) = lookup(&self.env_name("url")).filter(|u| !u.is_empty()) {
            return url;
        }
        let fill = |template: &str| {
            let mut out = template.to_owned();
            for (name, default) in self.variables {
                let value = lookup(&self.env_name(name))
                    .filter(|v| !v.is_empty())
                    .or_else(|| (!default.is_empty()).then(|| (*default).to_owned()));
                // A variable without a value stays `{name}`: `connect`
                // refuses it, naming the environment variable.
                if let Some(value) = value {
                    out = out.replace(&format!("{{{name}}}"), &value);
                }
            }
            out
        };
        let host = fill(self.host);
        // A host written as a URL keeps its scheme.
        if host.contains("://") {
            return format!("{host}{}", fill(self.pathname));
        }
        let pathname = fill(self.pathname);
        let scheme = match self.protocol.to_ascii_lowercase().as_str() {
            "secure-mqtt" | "mqtts" => "mqtts".to_owned(),
            other => other.to_owned(),
        };
        format!("{scheme}://{host}{pathname}")
    }
}

fn env_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Connects to `server` with the adapter for its protocol, credentials and
/// TLS settings from the environment (`NATS_*`, `REDIS_*`, `AMQP_*`: see
/// [`ConnectOptions::from_env`]). On RabbitMQ, a parameterized address
/// goes through `amq.topic` (unless the spec's bindings name an exchange)
/// and other channels are queues on the default exchange. A protocol whose adapter
/// is not compiled in (a cargo feature of this crate) is an error saying
/// which feature to enable.
///
/// While the process only exports its AsyncAPI document
/// (`FASTSTREAM_ASYNCAPI_OUT` set: see [`crate::App::run`]), it connects
/// nowhere and returns an in-memory broker.
pub async fn connect(server: &Server) -> Result<Arc<dyn Broker>, BrokerError> {
    let url = server.url();
    if crate::export::exporting() {
        // Described, not connected: the export lists the server the
        // process would have used.
        let prefix = match server.protocol.to_ascii_lowercase().as_str() {
            "redis" | "rediss" => "REDIS",
            "amqp" | "amqps" => "AMQP",
            "kafka" | "kafka-secure" => "KAFKA",
            "mqtt" | "mqtts" | "secure-mqtt" => "MQTT",
            _ => "NATS",
        };
        let info = ServerInfo::describe(&url, &ConnectOptions::from_env(prefix)).named(server.name);
        return Ok(Arc::new(
            crate::memory::MemoryBroker::new().standing_in_for(info),
        ));
    }
    if let Some((name, _)) = server
        .variables
        .iter()
        .find(|(name, _)| url.contains(&format!("{{{name}}}")))
    {
        return Err(BrokerError::new(
            BrokerErrorKind::Refused,
            format!(
                "server `{}`: the variable `{name}` has no default; set {}",
                server.name,
                server.env_name(name)
            ),
        ));
    }
    let protocol = server.protocol.to_ascii_lowercase();
    // Unused when every adapter is compiled in.
    #[allow(unused_variables)]
    let missing = |feature: &str| -> Result<Arc<dyn Broker>, BrokerError> {
        Err(BrokerError::new(
            BrokerErrorKind::Refused,
            format!(
                "server `{}` speaks {protocol}: enable the `{feature}` feature of the `faststream` crate",
                server.name
            ),
        ))
    };
    match protocol.as_str() {
        "nats" | "tls" => {
            #[cfg(feature = "nats")]
            {
                let mut options = ConnectOptions::from_env("NATS");
                options.name.get_or_insert_with(|| server.name.to_owned());
                let broker = crate::nats::NatsBroker::connect_with(&url, options).await?;
                Ok(Arc::new(broker))
            }
            #[cfg(not(feature = "nats"))]
            missing("nats")
        }
        "redis" | "rediss" => {
            #[cfg(feature = "redis")]
            {
                let options = ConnectOptions::from_env("REDIS");
                let broker = crate::redis::RedisBroker::connect_with(&url, options).await?;
                Ok(Arc::new(broker))
            }
            #[cfg(not(feature = "redis"))]
            missing("redis")
        }
        "amqp" | "amqps" => {
            #[cfg(feature = "amqp")]
            {
                let mut options = ConnectOptions::from_env("AMQP");
                options.name.get_or_insert_with(|| server.name.to_owned());
                let broker =
                    crate::amqp::AmqpBroker::connect_with(&url, "amq.topic", options).await?;
                Ok(Arc::new(broker))
            }
            #[cfg(not(feature = "amqp"))]
            missing("amqp")
        }
        "kafka" | "kafka-secure" => {
            #[cfg(feature = "kafka")]
            {
                let broker = crate::kafka::KafkaBroker::connect_with(
                    &url,
                    ConnectOptions::from_env("KAFKA"),
                    crate::kafka::KafkaSettings::from_env(),
                )
                .await?;
                Ok(Arc::new(broker))
            }
            #[cfg(not(feature = "kafka"))]
            missing("kafka")
        }
        "mqtt" | "mqtts" | "secure-mqtt" => {
            #[cfg(feature = "mqtt")]
            {
                let broker = crate::mqtt::MqttBroker::connect_with(
                    &url,
                    ConnectOptions::from_env("MQTT"),
                    crate::mqtt::MqttSettings::from_env(server.bindings.mqtt.as_ref()),
                )
                .await?;
                Ok(Arc::new(broker))
            }
            #[cfg(not(feature = "mqtt"))]
            missing("mqtt")
        }
        _ => Err(BrokerError::new(
            BrokerErrorKind::Refused,
            format!(
                "server `{}` speaks {protocol}, which has no adapter yet (NATS, Redis, RabbitMQ, Kafka and MQTT do)",
                server.name
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const LOCAL: Server = Server {
        name: "eu-west.main",
        protocol: "amqp",
        host: "{host}:{port}",
        pathname: "/shop",
        variables: &[("host", "rabbit.internal"), ("port", "5672")],
        bindings: crate::bindings::ServerBindings::NONE,
    };

    #[test]
    fn the_instance_is_named_by_the_environment_else_the_host() {
        let set = instance_name_from(|k| (k == INSTANCE_VAR).then(|| " billing-7 ".to_owned()));
        assert_eq!(set, "billing-7");
        // Unset or empty: the host's name (or a random one), the same on
        // every call.
        let unset = instance_name_from(|k| (k == INSTANCE_VAR).then(String::new));
        assert!(!unset.is_empty());
        assert_eq!(unset, instance_name_from(|_| None));
    }

    #[test]
    fn urls_from_the_spec_and_the_environment() {
        let env: HashMap<&str, &str> = HashMap::new();
        assert_eq!(
            LOCAL.url_from(|k| env.get(k).map(|v| (*v).to_owned())),
            "amqp://rabbit.internal:5672/shop"
        );
        let env = HashMap::from([("FASTSTREAM_SERVER_EU_WEST_MAIN_PORT", "5673")]);
        assert_eq!(
            LOCAL.url_from(|k| env.get(k).map(|v| (*v).to_owned())),
            "amqp://rabbit.internal:5673/shop"
        );
        let env = HashMap::from([("FASTSTREAM_SERVER_EU_WEST_MAIN_URL", "amqps://h/")]);
        assert_eq!(
            LOCAL.url_from(|k| env.get(k).map(|v| (*v).to_owned())),
            "amqps://h/"
        );
    }

    #[test]
    fn a_server_is_described_without_its_secrets() {
        let none = ConnectOptions::default();
        let s = ServerInfo::describe("amqp://shop:secret@rabbit:5672/%2f?heartbeat=10", &none);
        assert_eq!(
            (s.protocol.as_str(), s.host.as_str(), s.pathname.as_str()),
            ("amqp", "rabbit:5672", "/%2f")
        );
        assert_eq!(s.protocol_version.as_deref(), Some("0.9.1"));
        assert_eq!(s.authentication, [Authentication::UserPassword]);
        assert!(!format!("{s:?}").contains("secret"));
        let tls = ConnectOptions {
            tls: true,
            cert_file: Some("c.pem".into()),
            ..ConnectOptions::default()
        };
        let s = ServerInfo::describe("redis://127.0.0.1:6379/0", &tls);
        assert_eq!((s.protocol.as_str(), s.pathname.as_str()), ("rediss", "/0"));
        assert_eq!(s.authentication, [Authentication::ClientCertificate]);
        let s = ServerInfo::describe("nats://s3cr3t@a:4222,nats://u:p@b:4222", &none);
        assert_eq!(s.host, "a:4222,b:4222");
        assert_eq!(
            s.authentication,
            [Authentication::Token, Authentication::UserPassword]
        );
        let s = ServerInfo::describe(
            "tls://n:4222",
            &ConnectOptions {
                creds_file: Some("u.creds".into()),
                ..ConnectOptions::default()
            },
        );
        assert_eq!(s.protocol, "nats");
        assert_eq!(s.authentication, [Authentication::Credentials]);
        assert_eq!(s.name, "development");
        assert_eq!(s.named("prod").name, "prod");
    }

    #[test]
    fn credentials_go_into_the_url_and_never_into_debug_output() {
        let env = HashMap::from([
            ("AMQP_USER", "shop"),
            ("AMQP_PASSWORD", "p@ss:word"),
            ("AMQP_TLS", "true"),
        ]);
        let o = ConnectOptions::from_lookup("AMQP", |k| env.get(k).map(|v| (*v).to_owned()));
        assert!(o.tls);
        assert_eq!(
            with_credentials("amqp://h:5672/%2f", &o),
            "amqp://shop:p%40ss%3Aword@h:5672/%2f"
        );
        assert_eq!(
            with_credentials("amqp://a:b@h/", &o),
            "amqp://a:b@h/",
            "credentials in the URL win"
        );
        let shown = format!("{o:?}");
        assert!(!shown.contains("p@ss") && shown.contains("***"), "{shown}");
        assert_eq!(redact("amqp://shop:secret@h/"), "amqp://***@h/");
        let password_only = ConnectOptions {
            password: Some("pw".into()),
            ..ConnectOptions::default()
        };
        assert_eq!(
            with_credentials("redis://h:6379/0", &password_only),
            "redis://:pw@h:6379/0"
        );
    }
}
