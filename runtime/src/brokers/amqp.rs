//! RabbitMQ (AMQP 0.9.1) on lapin, with FastStream's topology by default,
//! so a Rust service joins a fleet of FastStream services as it is:
//!
//! - A channel without parameters (and without an exchange binding) is a
//!   queue on the default exchange: publishing sends to `""` with the
//!   address as routing key; subscribing consumes the durable queue named
//!   by the address (or by the queue binding), shared by every subscriber
//!   of it (competing consumers), declared as FastStream declares it when
//!   it is missing.
//! - A parameterized address, or a channel whose binding names an
//!   exchange, goes through that exchange (the broker's own topic exchange
//!   by default: `{param}` tokens become `*`); a group shares one durable
//!   queue, a subscriber without a group gets an exclusive queue of its own.
//! - Queues that exist already are used as they are: one declared by
//!   someone else with other arguments is never a reason to fail (a warning
//!   says what differs). A queue this adapter declares on an exchange
//!   dead-letters to `<queue>.dead` by its own `x-dead-letter-*` arguments;
//!   on any other queue the runtime republishes a rejected message to
//!   `<queue>.dead` itself.
//!
//! Publisher confirms make publishing durable. Ack, nack (sent round again
//! after the delay, with an attempt count) and reject map onto
//! `basic.ack`, a counted republish and `basic.reject` (or the republish to
//! the dead-letter queue). Content type, correlation id and reply-to are
//! AMQP properties; replies go to the default exchange with the reply-to as
//! routing key, as FastStream sends and expects them (FastStream's
//! `amq.rabbitmq.reply-to` included).
//!
//! How it works inside:
//!
//! - Publishing goes to the default exchange with the address as routing
//!   key (an `is: queue` channel always, to its queue's name), unless
//!   a binding names an exchange or the address has parameters
//!   (`Bindings::parameterized`, which generated code sets): then through
//!   that exchange (or the broker's own), the address as routing key.
//! - Queues are looked for with a passive declare, and declared on channels
//!   of their own (a refused declare closes the channel it is made on,
//!   never the consumer's). A queue on the default exchange is declared as
//!   FastStream declares it (`x-queue-type: classic`); one that exists with
//!   other arguments is used as it is, with one warning in the server's
//!   words. Where the runtime dead-letters, it republishes the rejected
//!   message to `<queue>.dead` with an `x-faststream-reason` header, then
//!   acks it (when that publish fails, `basic.reject`).
//! - A nack, after its delay, publishes the message (confirmed) to the back
//!   of its queue with an `x-faststream-attempt` header (and its routing key
//!   in `x-faststream-routing-key`) and acks the original: classic queues
//!   count nothing but `redelivered`, so the attempt count survives, and a
//!   message that keeps failing is dead-lettered instead of coming back for
//!   ever. When that publish fails, a plain `basic.nack` requeues it.
//! - The amqp bindings declare the spec's exchange (once per broker) and
//!   queue, bind by the exchange's type, consume `is: queue` channels by
//!   name, and publish with `CC`, delivery mode (persistent unless the
//!   binding says otherwise), priority and expiration. A binding for another
//!   virtual host than the connection's is refused. An empty virtual host
//!   in the URL is `/`, as FastStream means it, and a binding's `vhost` is
//!   read as FastStream writes it (`/` and the name: `//` is `/`, `/shop`
//!   is `shop`).
//! - The worker polls the lapin consumer itself. lapin's automatic recovery
//!   reconnects (backoff from 100 ms doubling to 5 s, never giving up) and
//!   declares the topology and consumers again; a publish that fails
//!   meanwhile waits for the recovery, up to `publish_timeout` (30 s unless
//!   set).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    BasicRejectOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties};

use crate::address::matches_address;
use crate::bindings::{
    AmqpBindings, AmqpExchange, AmqpExchangeKind, AmqpQueue, Bindings, NO_BINDINGS,
};
use crate::broker::{
    Acker, BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, SubscribeSpec, Subscription,
};
use crate::connect::{ConnectOptions, ServerInfo, redact, with_credentials};
use crate::envelope::Envelope;

fn err(kind: BrokerErrorKind, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

/// A RabbitMQ broker.
#[derive(Clone)]
pub struct AmqpBroker {
    connection: Arc<Connection>,
    publish: lapin::Channel,
    exchange: String,
    /// Queues this broker declared (for [`AmqpBroker::delete_declared`]).
    declared: Arc<Mutex<Vec<String>>>,
    /// How long a publish may wait for a lost connection to come back
    /// (30 s unless set).
    pub publish_timeout: Duration,
    /// The connection's virtual host.
    vhost: String,
    /// Exchanges of the spec declared so far.
    exchanges: Arc<Mutex<HashSet<String>>>,
    /// Queues found with other arguments (warned about once).
    warned: Arc<Mutex<HashSet<String>>>,
    server: Arc<ServerInfo>,
}

impl std::fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpBroker")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

use crate::broker::lock;

/// `a.{x}.b` -> `a.*.b`.
fn routing_pattern(address: &str) -> String {
    address
        .split('.')
        .map(|t| if t.contains('{') { "*" } else { t })
        .collect::<Vec<_>>()
        .join(".")
}

/// A queue of one subscriber, gone with its connection.
fn exclusive_queue() -> AmqpQueue {
    AmqpQueue {
        name: None,
        durable: false,
        exclusive: true,
        auto_delete: true,
        vhost: None,
    }
}

/// The virtual host of an `amqp://` URL (`/` when it names none).
fn vhost_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split_once('/').map_or("", |(_, p)| p);
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() {
        return "/".into();
    }
    // Percent-decoding (`%2f` is `/`).
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = path.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL as lapin must read it: an empty virtual host (`amqp://host/`
/// or `amqp://host`) means `/`, as FastStream (aio-pika) and the servers
/// FastStream exports (`pathname: /`) mean it; lapin would ask for the
/// virtual host "" instead.
fn with_explicit_vhost(url: &str) -> String {
    let (main, query) = match url.find(['?', '#']) {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let rest = main.split_once("://").map_or(main, |(_, r)| r);
    match rest.split_once('/') {
        Some((_, "")) => format!("{main}%2f{query}"),
        None => format!("{main}/%2f{query}"),
        Some(_) => url.to_owned(),
    }
}

/// The virtual host a binding's `vhost` names, as FastStream means it.
/// FastStream writes the path of its URL there: `/` followed by the
/// virtual host's name, so `//` is the virtual host `/` named explicitly
/// (`amqp://host/%2f`, as aio-pika and RabbitMQ document it), `/shop` is
/// `shop`, and `/` is the default virtual host `/` (a URL that names
/// none). A name without a leading `/` is taken as it is.
fn binding_vhost(vhost: &str) -> &str {
    match vhost {
        "" | "/" => "/",
        v => v.strip_prefix('/').unwrap_or(v),
    }
}

/// The exchange a binding names, unless it is the default exchange.
fn named_exchange(b: &AmqpBindings) -> Option<&AmqpExchange> {
    b.exchange
        .as_ref()
        .filter(|x| !x.name.is_empty() && x.kind != AmqpExchangeKind::Default)
}

fn is_inbox(address: &str) -> bool {
    address.starts_with("_INBOX.") || address.starts_with("amq.")
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
    fn check_vhost(&self, address: &str, b: &AmqpBindings) -> Result<(), BrokerError> {
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
    async fn ensure_exchange(&self, x: &AmqpExchange) -> Result<(), BrokerError> {
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
    async fn subscribe_queue(
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
    async fn ensure_queue(
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
    async fn queue_exists(&self, name: &str) -> Result<bool, BrokerError> {
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
    async fn declare_on_own_channel(
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

/// The header that carries how many times a message was delivered, when
/// a nack sends it round again (RabbitMQ's classic queues count nothing
/// but `redelivered`).
const ATTEMPT: &str = "x-faststream-attempt";
/// The routing key a message had before a nack sent it round again
/// through its queue.
const ROUTING_KEY: &str = "x-faststream-routing-key";

struct AmqpAcker {
    acker: lapin::Acker,
    /// To send a nacked message round again, with its attempt count.
    publish: Arc<lapin::Channel>,
    queue: Arc<str>,
    routing_key: String,
    data: bytes::Bytes,
    properties: BasicProperties,
    attempt: u32,
    /// Where the runtime republishes a rejected message (a queue without
    /// dead-lettering of its own); `None`: `basic.reject` dead-letters it.
    dead_letter: Option<Arc<str>>,
}

/// The header that says why a message was dead-lettered by the runtime.
const REASON: &str = "x-faststream-reason";

impl AmqpAcker {
    /// Publishes the message (confirmed) to a queue through the default
    /// exchange, with extra headers.
    async fn republish(&self, queue: &str, extra: &[(&str, String)]) -> Result<(), lapin::Error> {
        let mut headers = self.properties.headers().clone().unwrap_or_default();
        for (k, v) in extra {
            headers.insert(
                ShortString::from(*k),
                AMQPValue::LongString(LongString::from(v.as_str())),
            );
        }
        let properties = self.properties.clone().with_headers(headers);
        let confirm = self
            .publish
            .basic_publish(
                ShortString::from(""),
                ShortString::from(queue),
                BasicPublishOptions::default(),
                &self.data,
                properties,
            )
            .await?
            .await?;
        if confirm.is_nack() {
            return Err(lapin::ErrorKind::InvalidChannelState(
                lapin::ChannelState::Error,
                "negative publisher confirm",
            )
            .into());
        }
        Ok(())
    }

    /// Publishes the message to the back of its queue with the next
    /// attempt number (confirmed), so the count survives the round.
    async fn requeue_counted(&self) -> Result<(), lapin::Error> {
        self.republish(
            &self.queue,
            &[
                (ATTEMPT, (self.attempt + 1).to_string()),
                (ROUTING_KEY, self.routing_key.clone()),
            ],
        )
        .await
    }
}

impl Acker for AmqpAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            self.acker
                .ack(BasicAckOptions::default())
                .await
                .map(|_| ())
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
            match self.requeue_counted().await {
                Ok(()) => self
                    .acker
                    .ack(BasicAckOptions::default())
                    .await
                    .map(|_| ())
                    .map_err(|e| err(BrokerErrorKind::Connection, e)),
                // Without the counted copy, plain redelivery.
                Err(e) => {
                    tracing::warn!(error = %e, "could not requeue with an attempt count; nacking");
                    self.acker
                        .nack(BasicNackOptions {
                            requeue: true,
                            ..BasicNackOptions::default()
                        })
                        .await
                        .map(|_| ())
                        .map_err(|e| err(BrokerErrorKind::Connection, e))
                }
            }
        })
    }

    fn reject(self: Box<Self>, reason: String) -> BoxFuture<'static, Result<(), BrokerError>> {
        Box::pin(async move {
            tracing::warn!(reason = %reason, "message rejected to the dead-letter queue");
            if let Some(dead) = &self.dead_letter {
                match self.republish(dead, &[(REASON, reason.clone())]).await {
                    Ok(()) => {
                        return self
                            .acker
                            .ack(BasicAckOptions::default())
                            .await
                            .map(|_| ())
                            .map_err(|e| err(BrokerErrorKind::Connection, e));
                    }
                    Err(e) => {
                        tracing::error!(queue = %dead, error = %e, "could not republish the rejected message to its dead-letter queue; rejecting it");
                    }
                }
            }
            self.acker
                .reject(BasicRejectOptions { requeue: false })
                .await
                .map(|_| ())
                .map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }
}

/// The envelope of a delivery and its attempt number (our attempt header
/// when a nack sent it round, else 2 when redelivered, else 1).
fn envelope_of(d: &lapin::message::Delivery, payload: bytes::Bytes) -> (Envelope, u32) {
    let p = &d.properties;
    let mut headers = BTreeMap::new();
    let mut attempt = if d.redelivered { 2 } else { 1 };
    let mut channel = d.routing_key.as_str().to_owned();
    if let Some(table) = p.headers() {
        for (k, v) in table {
            let value = match v {
                AMQPValue::LongString(s) => s.to_string(),
                AMQPValue::ShortString(s) => s.as_str().to_owned(),
                other => format!("{other:?}"),
            };
            match k.as_str() {
                ATTEMPT => attempt = value.parse().unwrap_or(attempt),
                ROUTING_KEY => channel = value,
                k => {
                    headers.insert(k.to_owned(), value);
                }
            }
        }
    }
    let envelope = Envelope {
        channel,
        payload,
        headers,
        content_type: p.content_type().as_ref().map(|s| s.as_str().to_owned()),
        correlation_id: p.correlation_id().as_ref().map(|s| s.as_str().to_owned()),
        reply_to: p.reply_to().as_ref().map(|s| s.as_str().to_owned()),
        meta: BTreeMap::new(),
    };
    (envelope, attempt)
}

impl Broker for AmqpBroker {
    fn name(&self) -> &'static str {
        "amqp"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some((*self.server).clone())
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
                        .unwrap_or_else(|| envelope.channel.clone());
                    (String::new(), queue)
                }
                (_, Some(x)) => {
                    self.ensure_exchange(x).await?;
                    (x.name.clone(), envelope.channel.clone())
                }
                _ if bindings.parameterized && !is_inbox(&envelope.channel) => {
                    (self.exchange.clone(), envelope.channel.clone())
                }
                _ => (String::new(), envelope.channel.clone()),
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
                        envelope.channel.clone_from(&template);
                    } else if !matches_address(&template, &envelope.channel) {
                        // Not this channel's (a pattern wider than the
                        // address): settled, never handled.
                        let acker = d.acker;
                        tokio::spawn(async move { acker.ack(BasicAckOptions::default()).await });
                        return None;
                    }
                    Some(Delivery {
                        envelope,
                        attempt,
                        acker: Box::new(AmqpAcker {
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

#[cfg(test)]
mod tests {
    #[test]
    fn binding_vhosts_mean_what_faststream_writes() {
        // FastStream exports `/` + the virtual host of its URL.
        for (url, exported) in [
            ("amqp://guest:guest@h:5672/", "/"),
            ("amqp://guest:guest@h:5672", "/"),
            ("amqp://guest:guest@h:5672/%2f", "//"),
            ("amqp://guest:guest@h:5672/%2F", "//"),
            ("amqp://guest:guest@h:5672/shop", "/shop"),
        ] {
            assert_eq!(
                super::binding_vhost(exported),
                super::vhost_of(&super::with_explicit_vhost(url)),
                "{url}"
            );
        }
        assert_eq!(super::binding_vhost("shop"), "shop");
        assert_eq!(super::binding_vhost(""), "/");
    }

    #[test]
    fn routing_keys() {
        assert_eq!(super::routing_pattern("orders.{id}.new"), "orders.*.new");
        assert!(super::is_inbox("_INBOX.abc"));
        assert_eq!(
            super::vhost_of("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "/"
        );
        assert_eq!(super::vhost_of("amqp://h:5672"), "/");
        assert_eq!(
            super::vhost_of("amqp://h/shop%2Feu?heartbeat=10"),
            "shop/eu"
        );
        // An empty virtual host is `/`, as FastStream means it.
        for (url, explicit) in [
            ("amqp://h:5672/", "amqp://h:5672/%2f"),
            ("amqp://h:5672", "amqp://h:5672/%2f"),
            (
                "amqp://u:p@h/?heartbeat=10",
                "amqp://u:p@h/%2f?heartbeat=10",
            ),
            ("amqp://h/%2f", "amqp://h/%2f"),
            ("amqp://h/shop", "amqp://h/shop"),
        ] {
            assert_eq!(super::with_explicit_vhost(url), explicit);
            assert_eq!(
                super::vhost_of(&super::with_explicit_vhost(url)),
                super::vhost_of(url)
            );
        }
    }
}
