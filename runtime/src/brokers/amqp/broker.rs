//! [`AmqpBroker`](super::AmqpBroker): connecting, channels, declaring
//! queues and exchanges, publishing with confirms.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::{
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Connection, ConnectionProperties};

use super::topology::{
    binding_vhost, err, exclusive_queue, named_exchange, routing_pattern, vhost_of,
    with_explicit_vhost,
};
use crate::bindings::{AmqpBindings, AmqpExchange, AmqpExchangeKind, AmqpQueue};
use crate::broker::lock;
use crate::broker::{BrokerError, BrokerErrorKind, SubscribeSpec};
use crate::connect::{ConnectOptions, ServerInfo, redact, with_credentials};

/// A RabbitMQ broker.
#[derive(Clone)]
pub struct AmqpBroker {
    pub(super) connection: Arc<Connection>,
    pub(super) publish: lapin::Channel,
    pub(super) exchange: String,
    /// Queues this broker declared (for [`AmqpBroker::delete_declared`]).
    pub(super) declared: Arc<Mutex<Vec<String>>>,
    /// How long a publish may wait for a lost connection to come back
    /// (30 s unless set).
    pub publish_timeout: Duration,
    /// The connection's virtual host.
    pub(super) vhost: String,
    /// Exchanges of the spec declared so far.
    pub(super) exchanges: Arc<Mutex<HashSet<String>>>,
    /// Queues found with other arguments (warned about once).
    pub(super) warned: Arc<Mutex<HashSet<String>>>,
    pub(super) server: Arc<ServerInfo>,
}

impl std::fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpBroker")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl AmqpBroker {
    /// Connects to `amqp://user:password@host:port/vhost` (`amqps://` for
    /// TLS) and routes through `exchange` (a topic exchange; `amq.topic`
    /// exists on every RabbitMQ), with credentials and TLS settings from
    /// the environment (`AMQP_USER`/`AMQP_PASSWORD`, `AMQP_CA_FILE`,
    /// `AMQP_CERT_FILE`/`AMQP_KEY_FILE`, `AMQP_TLS`).
    pub async fn connect(
        url: &str,
        exchange: impl Into<String>,
    ) -> Result<AmqpBroker, BrokerError> {
        AmqpBroker::connect_with(url, exchange, ConnectOptions::from_env("AMQP")).await
    }

    /// Connects with the given credentials and TLS settings.
    pub async fn connect_with(
        url: &str,
        exchange: impl Into<String>,
        options: ConnectOptions,
    ) -> Result<AmqpBroker, BrokerError> {
        let server = Arc::new(ServerInfo::describe(url, &options));
        let mut full = with_credentials(url, &options);
        if options.tls && full.starts_with("amqp://") {
            full = full.replacen("amqp://", "amqps://", 1);
        }
        let full = with_explicit_vhost(&full);
        // Reconnect after a lost connection (100 ms doubling to 5 s,
        // without giving up) and declare the exchanges, queues, bindings
        // and consumers again.
        let mut properties = ConnectionProperties::default()
            .configure_backoff(|b| {
                b.with_min_delay(Duration::from_millis(100))
                    .with_max_delay(Duration::from_secs(5))
                    .with_max_times(usize::MAX)
            })
            .enable_auto_recover();
        if let Some(name) = &options.name {
            properties = properties.with_connection_name(LongString::from(name.as_str()));
        }
        let tls =
            lapin::tcp::OwnedTLSConfig {
                identity: options
                    .client_identity()?
                    .map(|id| lapin::tcp::OwnedIdentity::PKCS8 {
                        pem: id.cert,
                        key: id.key,
                    }),
                cert_chain: match options.ca_pem()? {
                    Some(pem) => Some(String::from_utf8(pem).map_err(|_| {
                        err(BrokerErrorKind::Refused, "the CA file is not PEM text")
                    })?),
                    None => None,
                },
            };
        let runtime =
            lapin::runtime::default_runtime().map_err(|e| err(BrokerErrorKind::Refused, e))?;
        let connection = tokio::time::timeout(
            Duration::from_secs(10),
            Connection::connect_with_config(&full, properties, tls, runtime),
        )
        .await
        .map_err(|_| {
            err(
                BrokerErrorKind::Connection,
                format!("RabbitMQ at {} did not answer within 10 s", redact(&full)),
            )
        })?
        .map_err(|e| {
            err(
                BrokerErrorKind::Connection,
                format!("RabbitMQ at {}: {e}", redact(&full)),
            )
        })?;
        let publish = connection
            .create_channel()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        publish
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        Ok(AmqpBroker {
            connection: Arc::new(connection),
            publish,
            exchange: exchange.into(),
            declared: Arc::default(),
            publish_timeout: Duration::from_secs(30),
            vhost: vhost_of(&full),
            exchanges: Arc::default(),
            warned: Arc::default(),
            server,
        })
    }

    /// Messages waiting in the dead-letter queues of every queue this
    /// broker declared.
    pub async fn dead_letters(&self) -> Result<u32, BrokerError> {
        let ch = self
            .connection
            .create_channel()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        let mut total = 0;
        let queues = lock(&self.declared).clone();
        for q in queues.iter().filter(|q| q.ends_with(".dead")) {
            let info = ch
                .queue_declare(
                    ShortString::from(q.as_str()),
                    QueueDeclareOptions {
                        passive: true,
                        ..QueueDeclareOptions::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map_err(|e| err(BrokerErrorKind::Refused, e))?;
            total += info.message_count();
        }
        Ok(total)
    }

    /// Deletes every queue this broker declared (tests clean up with it).
    pub async fn delete_declared(&self) -> Result<(), BrokerError> {
        let ch = self
            .connection
            .create_channel()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        let queues = std::mem::take(&mut *lock(&self.declared));
        for q in queues {
            let _ = ch
                .queue_delete(ShortString::from(q.as_str()), QueueDeleteOptions::default())
                .await;
        }
        Ok(())
    }

    /// Refuses a binding for another virtual host than the connection's.
    pub(super) fn check_vhost(&self, address: &str, b: &AmqpBindings) -> Result<(), BrokerError> {
        let wanted = b
            .exchange
            .as_ref()
            .and_then(|x| x.vhost.as_deref())
            .or_else(|| b.queue.as_ref().and_then(|q| q.vhost.as_deref()))
            .map(binding_vhost);
        match wanted {
            Some(v) if v != self.vhost => Err(err(
                BrokerErrorKind::Refused,
                format!(
                    "`{address}`: the spec binds it to virtual host `{v}`, but this connection is to `{}` (connect to a URL ending in /{})",
                    self.vhost,
                    v.replace('/', "%2f")
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Declares an exchange of the spec once per broker (RabbitMQ's own
    /// `amq.*` exchanges and the default exchange exist already).
    pub(super) async fn ensure_exchange(&self, x: &AmqpExchange) -> Result<(), BrokerError> {
        if x.name.is_empty()
            || x.name.starts_with("amq.")
            || x.kind == AmqpExchangeKind::Default
            || lock(&self.exchanges).contains(&x.name)
        {
            return Ok(());
        }
        let kind = match x.kind {
            AmqpExchangeKind::Direct => lapin::ExchangeKind::Direct,
            AmqpExchangeKind::Fanout => lapin::ExchangeKind::Fanout,
            AmqpExchangeKind::Headers => lapin::ExchangeKind::Headers,
            AmqpExchangeKind::Topic | AmqpExchangeKind::Default => lapin::ExchangeKind::Topic,
        };
        let ch = self
            .connection
            .create_channel()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        ch.exchange_declare(
            ShortString::from(x.name.as_str()),
            kind,
            ExchangeDeclareOptions {
                durable: x.durable,
                auto_delete: x.auto_delete,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| {
            err(
                BrokerErrorKind::Refused,
                format!("exchange `{}` ({}): {e}", x.name, x.kind.as_str()),
            )
        })?;
        let _ = ch.close(200, ShortString::from("declared")).await;
        lock(&self.exchanges).insert(x.name.clone());
        Ok(())
    }

    /// Declares (and binds) the queue a subscription consumes, as the
    /// bindings say (FastStream's topology where they say nothing); returns
    /// its name and the queue the runtime republishes its rejected messages
    /// to (`None`: the queue dead-letters them itself).
    pub(super) async fn subscribe_queue(
        &self,
        ch: &lapin::Channel,
        spec: &SubscribeSpec,
    ) -> Result<(String, Option<Arc<str>>), BrokerError> {
        let b = spec.bindings.amqp.clone().unwrap_or_default();
        self.check_vhost(&spec.address, &b)?;
        let pattern = routing_pattern(&spec.address);
        let named = named_exchange(&b);
        if b.is_queue || (named.is_none() && !spec.address.contains('{')) {
            // A queue on the default exchange: consumed by name (the
            // binding's, else the address), shared by every subscriber.
            let props = b.queue.clone().unwrap_or_default();
            let name = props.name.clone().unwrap_or_else(|| spec.address.clone());
            if name.contains('{') {
                return Err(err(
                    BrokerErrorKind::Refused,
                    format!("`{}`: a queue's name cannot hold parameters", spec.address),
                ));
            }
            let dead = self.ensure_queue(&name, &props, false).await?;
            return Ok((name, dead));
        }
        let (exchange, kind) = match named {
            Some(x) => {
                self.ensure_exchange(x).await?;
                (x.name.clone(), x.kind)
            }
            None => (self.exchange.clone(), AmqpExchangeKind::Topic),
        };
        let key = match kind {
            AmqpExchangeKind::Fanout | AmqpExchangeKind::Headers => String::new(),
            AmqpExchangeKind::Direct if spec.address.contains('{') => {
                return Err(err(
                    BrokerErrorKind::Refused,
                    format!(
                        "`{}`: a direct exchange routes exact keys; a parameterized address needs a topic exchange",
                        spec.address
                    ),
                ));
            }
            _ => pattern.clone(),
        };
        let props = match (&b.queue, &spec.group) {
            (Some(q), _) => AmqpQueue {
                name: Some(q.name.clone().unwrap_or_else(|| match &spec.group {
                    Some(g) => format!("{g}.{pattern}"),
                    None => format!("{pattern}.{}", uuid::Uuid::new_v4().simple()),
                })),
                ..q.clone()
            },
            // A group shares one durable queue: competing consumers.
            (None, Some(g)) => AmqpQueue {
                name: Some(format!("{g}.{pattern}")),
                ..AmqpQueue::default()
            },
            // Without a group every subscriber gets every message.
            (None, None) => AmqpQueue {
                name: Some(format!("{pattern}.{}", uuid::Uuid::new_v4().simple())),
                ..exclusive_queue()
            },
        };
        let name = props.name.clone().unwrap_or_default();
        let dead = self.ensure_queue(&name, &props, true).await?;
        ch.queue_bind(
            ShortString::from(name.as_str()),
            ShortString::from(exchange.as_str()),
            ShortString::from(key.as_str()),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        Ok((name, dead))
    }

    /// Makes sure the queue `name` is there for a subscriber and says where
    /// the runtime republishes its rejected messages (`None`: the queue
    /// dead-letters them itself). A queue that exists is used as it is;
    /// when it was declared with other arguments than `props` asks for, a
    /// warning says what differs (the server's words) and the runtime
    /// dead-letters by republishing. `own_dead_letters`: declare the queue
    /// (when this adapter creates it) with `x-dead-letter-*` arguments of
    /// its own; else (FastStream's queues) with FastStream's arguments only.
    pub(super) async fn ensure_queue(
        &self,
        name: &str,
        props: &AmqpQueue,
        own_dead_letters: bool,
    ) -> Result<Option<Arc<str>>, BrokerError> {
        let dead = format!("{name}.dead");
        let existed = self.queue_exists(name).await?;
        let mut args = FieldTable::default();
        if own_dead_letters {
            args.insert(
                ShortString::from("x-dead-letter-exchange"),
                AMQPValue::LongString(LongString::from("")),
            );
            args.insert(
                ShortString::from("x-dead-letter-routing-key"),
                AMQPValue::LongString(LongString::from(dead.as_str())),
            );
        } else {
            args.insert(
                ShortString::from("x-queue-type"),
                AMQPValue::LongString(LongString::from("classic")),
            );
        }
        // The dead-letter queue first (a queue that dead-letters to it may
        // receive messages at once). The dead letters of an exclusive queue
        // (a subscriber's own, named afresh by each run) go with the
        // connection as the queue does; else every run would leave a
        // durable queue behind.
        let dead_existed = self.queue_exists(&dead).await?;
        self.declare_on_own_channel(
            &dead,
            &AmqpQueue {
                name: None,
                durable: !props.exclusive,
                exclusive: props.exclusive,
                auto_delete: false,
                vhost: None,
            },
            FieldTable::default(),
        )
        .await
        .or_else(|e| if dead_existed { Ok(()) } else { Err(e) })?;
        if !dead_existed {
            lock(&self.declared).push(dead.clone());
        }
        match self.declare_on_own_channel(name, props, args).await {
            Ok(()) => {
                if !existed && !props.exclusive && !props.auto_delete {
                    lock(&self.declared).push(name.to_owned());
                }
                Ok((!own_dead_letters).then(|| Arc::from(dead.as_str())))
            }
            Err(e) if existed => {
                if lock(&self.warned).insert(name.to_owned()) {
                    tracing::warn!(
                        queue = %name,
                        difference = %e,
                        "the queue exists with other arguments than this service would declare; it is used as it is, and rejected messages are republished to `{dead}`"
                    );
                }
                Ok(Some(Arc::from(dead.as_str())))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether a queue exists (a passive declare, on a channel of its own:
    /// a missing queue closes the channel it is asked on).
    pub(super) async fn queue_exists(&self, name: &str) -> Result<bool, BrokerError> {
        let ch = self
            .connection
            .create_channel()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        let found = ch
            .queue_declare(
                ShortString::from(name),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .is_ok();
        if found {
            let _ = ch.close(200, ShortString::from("checked")).await;
        }
        Ok(found)
    }

    /// Declares a queue on a channel of its own (a refused declare closes
    /// the channel it is made on, never the consumer's).
    pub(super) async fn declare_on_own_channel(
        &self,
        name: &str,
        props: &AmqpQueue,
        args: FieldTable,
    ) -> Result<(), BrokerError> {
        let ch = self
            .connection
            .create_channel()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))?;
        ch.queue_declare(
            ShortString::from(name),
            QueueDeclareOptions {
                durable: props.durable,
                exclusive: props.exclusive,
                auto_delete: props.auto_delete,
                ..QueueDeclareOptions::default()
            },
            args,
        )
        .await
        .map_err(|e| err(BrokerErrorKind::Refused, format!("queue `{name}`: {e}")))?;
        // An exclusive queue belongs to the connection, not the channel.
        let _ = ch.close(200, ShortString::from("declared")).await;
        Ok(())
    }
}
