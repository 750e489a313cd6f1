//! Generated code for the project's specs (`specs/*.yaml`), checked in.
//! `codegen/tests/golden.rs` regenerates each file and fails on any
//! difference; this crate compiles them with every warning denied.
#![deny(warnings)]
// The generated files are formatted by the generator (prettyplease), not rustfmt.

#[rustfmt::skip]
#[path = "../generated/avro.rs"]
pub mod avro;
#[rustfmt::skip]
#[path = "../generated/billing.rs"]
pub mod billing;
#[rustfmt::skip]
#[path = "../generated/billing_both.rs"]
pub mod billing_both;
#[rustfmt::skip]
#[path = "../generated/bindings.rs"]
pub mod bindings;
#[rustfmt::skip]
#[path = "../generated/bindings_both.rs"]
pub mod bindings_both;
#[rustfmt::skip]
#[path = "../generated/content-types.rs"]
pub mod content_types;
#[rustfmt::skip]
#[path = "../generated/cursed.rs"]
pub mod cursed;
#[rustfmt::skip]
#[path = "../generated/durable.rs"]
pub mod durable;
#[rustfmt::skip]
#[path = "../generated/fleet_kafka.rs"]
pub mod fleet_kafka;
#[rustfmt::skip]
#[path = "../generated/fleet_mqtt.rs"]
pub mod fleet_mqtt;
#[rustfmt::skip]
#[path = "../generated/fleet_nats.rs"]
pub mod fleet_nats;
#[rustfmt::skip]
#[path = "../generated/fleet_rabbit.rs"]
pub mod fleet_rabbit;
#[rustfmt::skip]
#[path = "../generated/fleet_rabbit_vhost.rs"]
pub mod fleet_rabbit_vhost;
#[rustfmt::skip]
#[path = "../generated/fleet_redis.rs"]
pub mod fleet_redis;
#[rustfmt::skip]
#[path = "../generated/fleeting.rs"]
pub mod fleeting;
#[rustfmt::skip]
#[path = "../generated/orders.rs"]
pub mod orders;
#[rustfmt::skip]
#[path = "../generated/orders_both.rs"]
pub mod orders_both;
#[rustfmt::skip]
#[path = "../generated/payments_export.rs"]
pub mod payments_export;
#[rustfmt::skip]
#[path = "../generated/shapes.rs"]
pub mod shapes;
#[rustfmt::skip]
#[path = "../generated/shapes_options.rs"]
pub mod shapes_options;
#[rustfmt::skip]
#[path = "../generated/streetlights_kafka.rs"]
pub mod streetlights_kafka;
#[rustfmt::skip]
#[path = "../generated/streetlights_kafka_v2.rs"]
pub mod streetlights_kafka_v2;
#[rustfmt::skip]
#[path = "../generated/telemetry.rs"]
pub mod telemetry;
#[rustfmt::skip]
#[path = "../generated/traits.rs"]
pub mod traits;
#[rustfmt::skip]
#[path = "../generated/traits_v2.rs"]
pub mod traits_v2;

// The project's README and the guide's chapters (`docs/`): their Rust
// snippets are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct Readme;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/README.md")]
pub struct GuideContents;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/getting-started.md")]
pub struct GettingStartedGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/cli.md")]
pub struct CliGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/generated-code.md")]
pub struct GeneratedCodeGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/build-scripts.md")]
pub struct BuildScriptsGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/code-first.md")]
pub struct CodeFirstGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/export.md")]
pub struct ExportGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/testing.md")]
pub struct TestingGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/brokers.md")]
pub struct BrokersGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/configuration.md")]
pub struct ConfigurationGuide;
#[cfg(all(doctest, feature = "http"))]
#[doc = include_str!("../../../docs/production.md")]
pub struct ProductionGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/BENCHMARKS.md")]
pub struct BenchmarksGuide;
#[cfg(doctest)]
#[doc = include_str!("../../../docs/contributing.md")]
pub struct ContributingGuide;
