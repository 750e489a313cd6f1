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

mod acker;
mod broker;
mod subscribe;
mod topology;

pub use broker::AmqpBroker;

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
                super::topology::binding_vhost(exported),
                super::topology::vhost_of(&super::topology::with_explicit_vhost(url)),
                "{url}"
            );
        }
        assert_eq!(super::topology::binding_vhost("shop"), "shop");
        assert_eq!(super::topology::binding_vhost(""), "/");
    }

    #[test]
    fn routing_keys() {
        assert_eq!(
            super::topology::routing_pattern("orders.{id}.new"),
            "orders.*.new"
        );
        assert!(super::topology::is_inbox("_INBOX.abc"));
        assert_eq!(
            super::topology::vhost_of("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "/"
        );
        assert_eq!(super::topology::vhost_of("amqp://h:5672"), "/");
        assert_eq!(
            super::topology::vhost_of("amqp://h/shop%2Feu?heartbeat=10"),
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
            assert_eq!(super::topology::with_explicit_vhost(url), explicit);
            assert_eq!(
                super::topology::vhost_of(&super::topology::with_explicit_vhost(url)),
                super::topology::vhost_of(url)
            );
        }
    }
}
