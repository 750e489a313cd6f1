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

mod broker;
mod config;
mod publisher;
mod subscribe;

pub use broker::MqttBroker;
pub use config::{META_QOS, META_RETAIN, MqttSettings};

#[cfg(test)]
mod tests {
    use crate::BrokerError;
    use crate::ConnectOptions;
    use crate::broker::BrokerErrorKind;
    use std::time::Duration;

    use tokio::sync::oneshot;

    use super::broker::*;
    use super::config::*;
    use super::publisher::*;
    use super::subscribe::*;

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
        // Without a group too: the broker keeps a plain subscription's
        // session.
        let plain = subscription_client_id(&s, "orders/+", None);
        assert_eq!(plain, subscription_client_id(&s, "orders/+", None));
        assert_ne!(plain, a);
        let clean = MqttSettings::default();
        assert_ne!(
            subscription_client_id(&clean, "x", Some("g")),
            subscription_client_id(&clean, "x", Some("g"))
        );
    }

    #[test]
    fn a_persistent_session_comes_from_the_server_bindings_or_the_environment() {
        use crate::bindings::MqttServerBindings;
        let persistent = MqttServerBindings {
            clean_session: Some(false),
            session_expiry_interval: Some(120),
            ..MqttServerBindings::default()
        };
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let s =
            MqttSettings::from_lookup(Some(&persistent), env(&[(crate::INSTANCE_VAR, "orders-1")]));
        assert!(!s.clean_start);
        assert_eq!(s.session_expiry, std::time::Duration::from_secs(120));
        // Named after the instance: the same after a restart.
        assert_eq!(s.client_id, "faststream-orders-1");
        // The environment wins over the bindings.
        let s = MqttSettings::from_lookup(
            Some(&persistent),
            env(&[("MQTT_CLEAN_SESSION", "true"), ("MQTT_CLIENT_ID", "x")]),
        );
        assert!(s.clean_start);
        assert_eq!(s.client_id, "x");
        // No bindings: FastStream's clean sessions with a fresh id.
        let s = MqttSettings::from_lookup(None, env(&[]));
        assert!(s.clean_start);
        assert!(s.client_id.starts_with("faststream-"));
    }
}
