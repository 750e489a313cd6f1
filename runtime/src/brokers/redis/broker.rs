//! [`RedisBroker`](super::RedisBroker): connecting, publishing, and the
//! [`Broker`] it is.

use redis::AsyncCommands;
use std::time::Duration;

use super::wire::{encode_message, err};
use crate::bindings::{Bindings, NO_BINDINGS, RedisKind};
use crate::broker::{BoxFuture, Broker, BrokerError, BrokerErrorKind, SubscribeSpec, Subscription};
use crate::connect::{ConnectOptions, ServerInfo, redact, with_credentials};
use crate::envelope::Envelope;

/// Redis pub/sub: at most once, every subscriber gets every message
/// (Redis has no groups for pub/sub: a group is ignored, with a warning).
///
/// Commands go through a connection that reconnects by itself (with
/// backoff) after Redis restarts; subscriptions are made again on a new
/// connection. What was published while no subscriber was connected is
/// lost: that is pub/sub.
#[derive(Clone)]
pub struct RedisBroker {
    pub(super) client: redis::Client,
    pub(super) conn: redis::aio::ConnectionManager,
    pub(super) server: std::sync::Arc<ServerInfo>,
    /// How long a stream entry stays pending before another consumer
    /// claims it (for channels bound as streams; 30 s unless set).
    pub claim_idle: Duration,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker").finish_non_exhaustive()
    }
}

/// A connection that reconnects with backoff (100 ms doubling to 5 s).
pub(super) async fn managed(
    client: &redis::Client,
) -> redis::RedisResult<redis::aio::ConnectionManager> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(5))
        .set_number_of_retries(3)
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    client.get_connection_manager_with_config(config).await
}

impl RedisBroker {
    /// Connects to `redis://[user:password@]host:port[/db]` (or
    /// `rediss://` for TLS), with credentials and TLS settings from the
    /// environment (`REDIS_USER`/`REDIS_PASSWORD`, `REDIS_CA_FILE`,
    /// `REDIS_CERT_FILE`/`REDIS_KEY_FILE`, `REDIS_TLS`). The connection
    /// reconnects by itself.
    pub async fn connect(url: &str) -> Result<RedisBroker, BrokerError> {
        RedisBroker::connect_with(url, ConnectOptions::from_env("REDIS")).await
    }

    /// Connects with the given credentials and TLS settings.
    pub async fn connect_with(
        url: &str,
        options: ConnectOptions,
    ) -> Result<RedisBroker, BrokerError> {
        let server = std::sync::Arc::new(ServerInfo::describe(url, &options));
        let mut full = with_credentials(url, &options);
        if options.tls && full.starts_with("redis://") {
            full = full.replacen("redis://", "rediss://", 1);
        }
        let client = if options.ca_file.is_some() || options.cert_file.is_some() {
            let root_cert = options.ca_pem()?;
            let client_tls = options.client_identity()?.map(|id| redis::ClientTlsConfig {
                client_cert: id.cert,
                client_key: id.key,
            });
            redis::Client::build_with_tls(
                full.as_str(),
                redis::TlsCertificates {
                    client_tls,
                    root_cert,
                },
            )
        } else {
            redis::Client::open(full.as_str())
        }
        .map_err(|e| {
            err(
                BrokerErrorKind::Refused,
                format!("Redis at {}: {e}", redact(url)),
            )
        })?;
        let conn = tokio::time::timeout(Duration::from_secs(10), managed(&client))
            .await
            .map_err(|_| {
                err(
                    BrokerErrorKind::Connection,
                    format!("Redis at {} did not answer within 10 s", redact(url)),
                )
            })?
            .map_err(|e| {
                err(
                    BrokerErrorKind::Connection,
                    format!("Redis at {}: {e}", redact(url)),
                )
            })?;
        Ok(RedisBroker {
            client,
            conn,
            server,
            claim_idle: Duration::from_secs(30),
        })
    }
}

impl Broker for RedisBroker {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn server_info(&self) -> Option<ServerInfo> {
        Some((*self.server).clone())
    }

    fn check_connection(&self) -> BoxFuture<'_, Result<(), BrokerError>> {
        // A PING on the managed connection, answered within a second.
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let cmd = redis::cmd("PING");
            let ping = cmd.query_async::<String>(&mut conn);
            match tokio::time::timeout(Duration::from_secs(1), ping).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(BrokerError::new(
                    BrokerErrorKind::Connection,
                    format!("Redis PING: {e}"),
                )),
                Err(_) => Err(BrokerError::new(
                    BrokerErrorKind::Connection,
                    "Redis PING: no answer within 1 s",
                )),
            }
        })
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
            let mut conn = self.conn.clone();
            let bytes = encode_message(&envelope);
            match kind_of(bindings) {
                RedisKind::PubSub => {
                    let _: i64 = conn
                        .publish(envelope.channel.as_str(), bytes)
                        .await
                        .map_err(|e| err(BrokerErrorKind::Connection, e))?;
                }
                RedisKind::List => {
                    let _: i64 = conn
                        .rpush(envelope.channel.as_str(), bytes)
                        .await
                        .map_err(|e| err(BrokerErrorKind::Connection, e))?;
                }
                RedisKind::Stream => self.xadd(&envelope).await?,
            }
            Ok(())
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(self.subscribe_as_bound(spec, self.claim_idle))
    }
}

/// A list's or stream's key: the subscription's address, which must not
/// be a template.
pub(super) fn concrete_key(spec: &SubscribeSpec, what: &str) -> Result<String, BrokerError> {
    if spec.address.contains('{') {
        return Err(err(
            BrokerErrorKind::Refused,
            format!(
                "`{}`: a Redis {what} is one key; subscribe to a concrete {what}, not a template",
                spec.address
            ),
        ));
    }
    Ok(spec.address.clone())
}

pub(super) fn kind_of(bindings: &Bindings) -> RedisKind {
    bindings.redis.as_ref().map(|r| r.kind).unwrap_or_default()
}
