//! The bindings an operation gives the runtime, written as a `Bindings` value.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::lower::BindingsIr;

pub(super) fn opt_string(s: Option<&String>) -> TokenStream {
    match s {
        Some(s) => quote!(Some(String::from(#s))),
        None => quote!(None),
    }
}

pub(super) fn opt_num<T: quote::ToTokens>(n: Option<T>) -> TokenStream {
    match n {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

/// A `__rt::Bindings` value, unless the operation has none (and its
/// channel no parameters).
pub(super) fn bindings_expr(b: &BindingsIr, parameterized: bool) -> Option<TokenStream> {
    if b.amqp.is_none()
        && b.redis.is_none()
        && b.kafka.is_none()
        && b.mqtt.is_none()
        && b.nats.is_none()
        && !parameterized
    {
        return None;
    }
    let amqp = match &b.amqp {
        None => quote!(None),
        Some(a) => {
            let is_queue = a.is_queue;
            let exchange = match &a.exchange {
                None => quote!(None),
                Some(x) => {
                    let (name, durable, auto_delete) = (&x.name, x.durable, x.auto_delete);
                    let kind = format_ident!("{}", x.kind);
                    let vhost = opt_string(x.vhost.as_ref());
                    quote!(Some(__rt::AmqpExchange {
                        name: String::from(#name),
                        kind: __rt::AmqpExchangeKind::#kind,
                        durable: #durable,
                        auto_delete: #auto_delete,
                        vhost: #vhost,
                    }))
                }
            };
            let queue = match &a.queue {
                None => quote!(None),
                Some(q) => {
                    let name = opt_string(q.name.as_ref());
                    let (durable, exclusive, auto_delete) = (q.durable, q.exclusive, q.auto_delete);
                    let vhost = opt_string(q.vhost.as_ref());
                    quote!(Some(__rt::AmqpQueue {
                        name: #name,
                        durable: #durable,
                        exclusive: #exclusive,
                        auto_delete: #auto_delete,
                        vhost: #vhost,
                    }))
                }
            };
            let cc = if a.cc.is_empty() {
                quote!(Vec::new())
            } else {
                let keys = &a.cc;
                quote!(vec![#(String::from(#keys)),*])
            };
            let delivery_mode = opt_num(a.delivery_mode);
            let priority = opt_num(a.priority);
            let expiration = opt_num(a.expiration_ms);
            quote!(Some(__rt::AmqpBindings {
                is_queue: #is_queue,
                exchange: #exchange,
                queue: #queue,
                cc: #cc,
                delivery_mode: #delivery_mode,
                priority: #priority,
                expiration_ms: #expiration,
            }))
        }
    };
    let redis = match &b.redis {
        None => quote!(None),
        Some(r) => {
            let kind = format_ident!("{}", r.kind);
            let group = opt_string(r.group.as_ref());
            let consumer = opt_string(r.consumer.as_ref());
            quote!(Some(__rt::RedisBindings {
                kind: __rt::RedisKind::#kind,
                group: #group,
                consumer: #consumer,
            }))
        }
    };
    let kafka = b.kafka.as_ref().map(|k| {
        let partitions = opt_num(k.partitions);
        let replicas = opt_num(k.replicas);
        let client_id = opt_string(k.client_id.as_ref());
        quote!(kafka: Some(__rt::KafkaBindings {
            partitions: #partitions,
            replicas: #replicas,
            client_id: #client_id,
        }),)
    });
    let mqtt = b.mqtt.as_ref().map(|m| {
        let qos = opt_num(m.qos);
        let retain = match m.retain {
            Some(r) => quote!(Some(#r)),
            None => quote!(None),
        };
        quote!(mqtt: Some(__rt::MqttBindings { qos: #qos, retain: #retain }),)
    });
    let nats = b.nats.as_ref().map(|n| {
        let stream = opt_string(n.stream.as_ref());
        let ack_wait = match n.ack_wait_ms {
            Some(ms) => quote!(Some(::std::time::Duration::from_millis(#ms))),
            None => quote!(None),
        };
        quote!(nats: Some(__rt::NatsBindings { stream: #stream, ack_wait: #ack_wait }),)
    });
    let amqp = b.amqp.is_some().then(|| quote!(amqp: #amqp,));
    let redis = b.redis.is_some().then(|| quote!(redis: #redis,));
    let parameterized = parameterized.then(|| quote!(parameterized: true,));
    Some(
        quote!(__rt::Bindings { #amqp #redis #kafka #mqtt #nats #parameterized ..__rt::Bindings::NONE }),
    )
}
