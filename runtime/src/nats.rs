//! NATS core: subjects, `*` wildcards for `{parameters}`, queue groups,
//! request/reply through inboxes. Delivery is at most once (core NATS has
//! no acknowledgements): ack, nack and reject are no-ops, which the
//! conformance suite accounts for.
//!
//! Wire compatible with FastStream: `content-type`, `correlation_id` and
//! `reply_to` travel as NATS headers (the reply subject too).

use std::collections::BTreeMap;

use async_nats::HeaderMap;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::address::match_address;
use crate::broker::{
    BoxFuture, Broker, BrokerError, BrokerErrorKind, Delivery, NoAck, SubscribeSpec, Subscription,
};
use crate::envelope::Envelope;

/// How to connect. Credentials are read from here or from the
/// environment (`NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`, `NATS_CREDS`);
/// they are never logged.
#[derive(Clone, Default)]
pub struct NatsOptions {
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// Path of a `.creds` file (JWT + nkey).
    pub creds_file: Option<String>,
    /// The connection name the server shows.
    pub name: Option<String>,
}

impl std::fmt::Debug for NatsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsOptions")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("creds_file", &self.creds_file)
            .field("name", &self.name)
            .finish()
    }
}

impl NatsOptions {
    /// Options from the environment.
    pub fn from_env() -> NatsOptions {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        NatsOptions {
            user: var("NATS_USER"),
            password: var("NATS_PASSWORD"),
            token: var("NATS_TOKEN"),
            creds_file: var("NATS_CREDS"),
            name: None,
        }
    }
}

/// A NATS core broker.
#[derive(Debug, Clone)]
pub struct NatsBroker {
    client: async_nats::Client,
}

fn err(kind: BrokerErrorKind, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

impl NatsBroker {
    /// Connects to `url` (`nats://host:port`, several comma-separated),
    /// with credentials from the environment. The client reconnects by
    /// itself after the server restarts, and resubscribes.
    pub async fn connect(url: &str) -> Result<NatsBroker, BrokerError> {
        NatsBroker::connect_with(url, NatsOptions::from_env()).await
    }

    pub async fn connect_with(url: &str, options: NatsOptions) -> Result<NatsBroker, BrokerError> {
        let mut o = async_nats::ConnectOptions::new().retry_on_initial_connect();
        if let (Some(u), Some(p)) = (options.user, options.password) {
            o = o.user_and_password(u, p);
        }
        if let Some(t) = options.token {
            o = o.token(t);
        }
        if let Some(c) = options.creds_file {
            o = o
                .credentials_file(c)
                .await
                .map_err(|e| err(BrokerErrorKind::Refused, e))?;
        }
        if let Some(n) = options.name {
            o = o.name(n);
        }
        // `retry_on_initial_connect` would wait forever for a server that
        // is not there: bound the first connection.
        let client = tokio::time::timeout(std::time::Duration::from_secs(10), o.connect(url))
            .await
            .map_err(|_| {
                err(
                    BrokerErrorKind::Connection,
                    format!("NATS at {url} did not answer within 10 s"),
                )
            })?
            .map_err(|e| err(BrokerErrorKind::Connection, format!("NATS at {url}: {e}")))?;
        // Make sure the server really answered.
        tokio::time::timeout(std::time::Duration::from_secs(10), client.flush())
            .await
            .map_err(|_| {
                err(
                    BrokerErrorKind::Connection,
                    format!("NATS at {url} did not answer within 10 s"),
                )
            })?
            .map_err(|e| err(BrokerErrorKind::Connection, format!("NATS at {url}: {e}")))?;
        Ok(NatsBroker { client })
    }

    /// Waits until everything published so far reached the server.
    pub async fn flush(&self) -> Result<(), BrokerError> {
        self.client
            .flush()
            .await
            .map_err(|e| err(BrokerErrorKind::Connection, e))
    }
}

/// `a.{x}.b` -> `a.*.b`: a token holding a parameter becomes `*`.
pub(crate) fn subject_of(address: &str) -> String {
    address
        .split('.')
        .map(|t| if t.contains('{') { "*" } else { t })
        .collect::<Vec<_>>()
        .join(".")
}

const CONTENT_TYPE: &str = "content-type";
const CORRELATION_ID: &str = "correlation_id";
const REPLY_TO: &str = "reply_to";

fn envelope_of(msg: async_nats::Message) -> Envelope {
    let mut headers = BTreeMap::new();
    let (mut content_type, mut correlation_id, mut reply_to) = (None, None, None);
    if let Some(h) = &msg.headers {
        for (name, values) in h.iter() {
            let Some(value) = values.first() else {
                continue;
            };
            let value = value.as_str().to_owned();
            match name.as_ref() {
                CONTENT_TYPE => content_type = Some(value),
                CORRELATION_ID => correlation_id = Some(value),
                REPLY_TO => reply_to = Some(value),
                other => {
                    headers.insert(other.to_owned(), value);
                }
            }
        }
    }
    Envelope {
        channel: msg.subject.to_string(),
        payload: msg.payload.to_vec(),
        headers,
        content_type,
        correlation_id,
        reply_to: msg.reply.map(|r| r.to_string()).or(reply_to),
        meta: BTreeMap::new(),
    }
}

impl Broker for NatsBroker {
    fn name(&self) -> &'static str {
        "nats"
    }

    fn publish(&self, envelope: Envelope) -> BoxFuture<'_, Result<(), BrokerError>> {
        Box::pin(async move {
            let mut headers = HeaderMap::new();
            for (k, v) in &envelope.headers {
                headers.insert(k.as_str(), v.as_str());
            }
            if let Some(ct) = &envelope.content_type {
                headers.insert(CONTENT_TYPE, ct.as_str());
            }
            if let Some(id) = &envelope.correlation_id {
                headers.insert(CORRELATION_ID, id.as_str());
            }
            let result = match &envelope.reply_to {
                Some(reply) => {
                    headers.insert(REPLY_TO, reply.as_str());
                    self.client
                        .publish_with_reply_and_headers(
                            envelope.channel,
                            reply.clone(),
                            headers,
                            envelope.payload.into(),
                        )
                        .await
                }
                None => {
                    self.client
                        .publish_with_headers(envelope.channel, headers, envelope.payload.into())
                        .await
                }
            };
            result.map_err(|e| err(BrokerErrorKind::Connection, e))
        })
    }

    fn subscribe(&self, spec: SubscribeSpec) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
        Box::pin(async move {
            let subject = subject_of(&spec.address);
            let mut sub = match &spec.group {
                Some(g) => self.client.queue_subscribe(subject, g.clone()).await,
                None => self.client.subscribe(subject).await,
            }
            .map_err(|e| err(BrokerErrorKind::Refused, e))?;
            let (tx, rx) = mpsc::channel(spec.prefetch.max(1));
            let template = spec.address.clone();
            let exact = !template.contains('{');
            tokio::spawn(async move {
                while let Some(msg) = sub.next().await {
                    let envelope = envelope_of(msg);
                    // `*` is coarser than a parameter inside a token.
                    if !exact && match_address(&template, &envelope.channel).is_none() {
                        continue;
                    }
                    let delivery = Delivery {
                        envelope,
                        attempt: 1,
                        acker: Box::new(NoAck),
                    };
                    if tx.send(delivery).await.is_err() {
                        break;
                    }
                }
                let _ = sub.unsubscribe().await;
            });
            Ok(Subscription::new(rx))
        })
    }

    fn new_inbox(&self) -> String {
        self.client.new_inbox()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_become_token_wildcards() {
        assert_eq!(super::subject_of("stores.{id}.orders"), "stores.*.orders");
        assert_eq!(super::subject_of("a.b-{x}.c"), "a.*.c");
        assert_eq!(super::subject_of("plain.subject"), "plain.subject");
    }
}
