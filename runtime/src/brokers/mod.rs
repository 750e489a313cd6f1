//! The broker adapters, each behind the object-safe [`Broker`](crate::broker::Broker)
//! trait: the in-process [`memory`] broker (always), and one module per
//! real broker under its cargo feature. Each is also reachable from the
//! crate's root (`faststream::nats`, `faststream::memory`, ...).

#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod memory;
#[cfg(feature = "mqtt")]
pub mod mqtt;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "redis")]
pub mod redis;
