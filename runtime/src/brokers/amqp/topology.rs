//! Where messages go: routing patterns, virtual hosts as FastStream writes
//! them, exclusive reply queues, the exchange a binding names.

use crate::bindings::{AmqpBindings, AmqpExchange, AmqpExchangeKind, AmqpQueue};
use crate::broker::{BrokerError, BrokerErrorKind};

pub(super) fn err(kind: BrokerErrorKind, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

/// `a.{x}.b` -> `a.*.b`.
pub(super) fn routing_pattern(address: &str) -> String {
    address
        .split('.')
        .map(|t| if t.contains('{') { "*" } else { t })
        .collect::<Vec<_>>()
        .join(".")
}

/// A queue of one subscriber, gone with its connection.
pub(super) fn exclusive_queue() -> AmqpQueue {
    AmqpQueue {
        name: None,
        durable: false,
        exclusive: true,
        auto_delete: true,
        vhost: None,
    }
}

/// The virtual host of an `amqp://` URL (`/` when it names none).
pub(super) fn vhost_of(url: &str) -> String {
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
pub(super) fn with_explicit_vhost(url: &str) -> String {
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
pub(super) fn binding_vhost(vhost: &str) -> &str {
    match vhost {
        "" | "/" => "/",
        v => v.strip_prefix('/').unwrap_or(v),
    }
}

/// The exchange a binding names, unless it is the default exchange.
pub(super) fn named_exchange(b: &AmqpBindings) -> Option<&AmqpExchange> {
    b.exchange
        .as_ref()
        .filter(|x| !x.name.is_empty() && x.kind != AmqpExchangeKind::Default)
}

pub(super) fn is_inbox(address: &str) -> bool {
    address.starts_with("_INBOX.") || address.starts_with("amq.")
}
