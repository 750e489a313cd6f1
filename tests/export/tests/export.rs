//! The round trip spec -> code -> spec: for every spec in `specs/` (and
//! the FastStream exports the tests pin), the router generated from it is
//! built with a handler, exported with `Router::asyncapi()`, and compared
//! with the spec by meaning: every operation with its action, channel
//! address, parameters, reply, and the payload and headers schemas of its
//! messages (types, properties, required, enums, consts, formats, bounds,
//! items, additionalProperties; `$ref`s followed). Every export (3.0, 3.1,
//! 2.6) must pass the generator's own validation. A removed route is gone
//! from the export, a hand-written one appears.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use faststream::__codegen::{ErasedHandler, Failure};
use faststream::{HandlerError, Route, Router, SubscriberOptions};
use serde_json::Value;

mod common;
use common::meaning::{meaning, original};

/// A handler for every generated module; the export never calls it.
struct Nobody;

include!("export_parts/handlers.rs");

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs")
        .join(name)
}

fn interop(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../interop/python")
        .join(name)
}

/// The router's export in every version: valid, and (3.0) the spec's
/// meaning.
fn round_trip(name: &str, path: &Path, router: &Router) -> bool {
    let expected = meaning(&original(path));
    assert!(!expected.is_empty(), "{name}: the spec has operations");
    let export = router.asyncapi();
    let exported: Value = serde_json::from_str(&export.to_json().unwrap()).unwrap();
    let invalid = common::generator_errors(&export);
    assert!(invalid.is_empty(), "{name}: {invalid:#?}");
    let got = meaning(&exported);
    if got != expected {
        for (k, v) in &expected {
            if got.get(k) != Some(v) {
                eprintln!(
                    "{name}: operation `{k}` differs:\n  spec:   {v}\n  export: {:?}",
                    got.get(k)
                );
            }
        }
        for k in got.keys().filter(|k| !expected.contains_key(*k)) {
            eprintln!("{name}: operation `{k}` is not in the spec");
        }
        return false;
    }
    true
}

#[test]
fn every_spec_round_trips_through_its_router() {
    let cases: Vec<(&str, PathBuf, Router)> = vec![
        ("avro", spec("avro.yaml"), golden::avro::router(Nobody)),
        (
            "billing",
            spec("billing.yaml"),
            golden::billing::router(Nobody),
        ),
        (
            "bindings",
            spec("bindings.yaml"),
            golden::bindings::router(Nobody),
        ),
        (
            "content-types",
            spec("content-types.yaml"),
            golden::content_types::router(Nobody),
        ),
        (
            "cursed",
            spec("cursed.yaml"),
            golden::cursed::router(Nobody),
        ),
        (
            "durable",
            spec("durable.yaml"),
            golden::durable::router(Nobody),
        ),
        (
            "orders",
            spec("orders.yaml"),
            golden::orders::router(Nobody),
        ),
        (
            "shapes",
            spec("shapes.yaml"),
            golden::shapes::router(Nobody),
        ),
        (
            "traits",
            spec("traits.yaml"),
            golden::traits::router(Nobody),
        ),
        (
            "traits-v2",
            spec("traits_v2.yaml"),
            golden::traits_v2::router(Nobody),
        ),
        (
            "fleet-nats",
            interop("fleet-nats-asyncapi.json"),
            golden::fleet_nats::router(Nobody),
        ),
        (
            "fleet-rabbit",
            interop("fleet-rabbit-asyncapi.json"),
            golden::fleet_rabbit::router(Nobody),
        ),
        (
            "fleet-rabbit-vhost",
            interop("fleet-rabbit-vhost-asyncapi.json"),
            golden::fleet_rabbit_vhost::router(Nobody),
        ),
        (
            "fleet-redis",
            interop("fleet-redis-asyncapi.json"),
            golden::fleet_redis::router(Nobody),
        ),
        (
            "payments",
            interop("payments-asyncapi.json"),
            golden::payments_export::router(Nobody),
        ),
    ];
    let total = cases.len();
    let mut passed = 0;
    for (name, path, router) in &cases {
        if round_trip(name, path, router) {
            passed += 1;
        }
    }
    println!("round trip {passed}/{total}");
    assert_eq!(passed, total, "round trip {passed}/{total}");
    // Every export, in every version, passes the official parser.
    let dir = common::scratch("exports-specs");
    let files: Vec<PathBuf> = cases
        .iter()
        .flat_map(|(name, _, router)| common::write_exports(&dir, name, &router.asyncapi()))
        .collect();
    let failing = common::official_parser_errors(&files);
    assert!(
        failing.is_empty(),
        "the official parser refuses: {failing:#?}"
    );
    println!("official parser: {} exports, no error", files.len());
}

#[test]
fn a_client_router_exports_the_other_side() {
    struct Client;
    impl golden::orders_both::ClientHandler for Client {}
    let export: Value = serde_json::from_str(
        &golden::orders_both::client_router(Client)
            .asyncapi()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    // The application receives `handleOrder`; its client sends it.
    assert_eq!(export["operations"]["handleOrder"]["action"], "send");
    let app: Value =
        serde_json::from_str(&golden::orders::router(Nobody).asyncapi().to_json().unwrap())
            .unwrap();
    assert_eq!(app["operations"]["handleOrder"]["action"], "receive");
}

fn hand_written() -> ErasedHandler {
    Arc::new(|_envelope, _ctx| {
        Box::pin(async { Err(Failure::Handler(HandlerError::new("unused"))) })
    })
}

#[test]
fn the_export_follows_the_routes() {
    let full: Value = serde_json::from_str(
        &golden::bindings::router(Nobody)
            .asyncapi()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    let ops: Vec<&String> = full["operations"].as_object().unwrap().keys().collect();
    assert!(ops.len() >= 2, "{ops:?}");
    let removed = ops[0].clone();
    // Remove a route: its operation is gone, and what only it reached.
    let without: Value = serde_json::from_str(
        &golden::bindings::router(Nobody)
            .without(&removed)
            .asyncapi()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    assert!(without["operations"].get(&removed).is_none(), "{without:#}");
    assert_eq!(
        without["operations"].as_object().unwrap().len(),
        full["operations"].as_object().unwrap().len() - 1
    );
    // Add a hand-written route: it appears, with a parameter per
    // placeholder and its bindings.
    let options = SubscriberOptions {
        group: Some("auditors".into()),
        ..SubscriberOptions::default()
    };
    let with: Value = serde_json::from_str(
        &golden::bindings::router(Nobody)
            .route(Route {
                operation: "audit".into(),
                address: "audit.{tenant}.events".into(),
                options,
                handler: hand_written(),
            })
            .asyncapi()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(with["operations"]["audit"]["action"], "receive");
    assert_eq!(
        with["channels"]["audit"]["address"],
        "audit.{tenant}.events"
    );
    assert!(
        with["channels"]["audit"]["parameters"]["tenant"].is_object(),
        "{with:#}"
    );
    assert_eq!(
        with["operations"]["audit"]["bindings"]["nats"]["queue"],
        "auditors"
    );
    for (k, _) in full["operations"].as_object().unwrap() {
        assert!(with["operations"].get(k).is_some(), "{k} kept");
    }
    let checked = faststream_gen::check_str(
        Path::new("with-audit.json"),
        &with.to_string(),
        &faststream_gen::LoadOptions::default(),
    );
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
}

#[test]
fn an_app_exports_its_routers_merged() {
    let app = faststream::App::new(faststream::MemoryBroker::new())
        .include(golden::avro::router(Nobody))
        .include(golden::content_types::router(Nobody));
    // Written as YAML, read back by the generator's loader.
    let yaml = app.asyncapi().to_yaml().unwrap();
    let checked = faststream_gen::check_str(
        Path::new("app-export.yaml"),
        &yaml,
        &faststream_gen::LoadOptions::default(),
    );
    assert!(!checked.has_errors(), "{:#?}\n{yaml}", checked.diagnostics);
    let export = serde_json::to_value(checked.model.unwrap()).unwrap();
    let ops = export["operations"].as_object().unwrap();
    let avro = meaning(&original(&spec("avro.yaml")));
    let greet = meaning(&original(&spec("content-types.yaml")));
    for k in avro.keys().chain(greet.keys()) {
        assert!(ops.contains_key(k), "{k} in {ops:?}");
    }
}

/// A document that gives headers, content types and bindings only through
/// traits exports them applied: every message has its headers and content
/// type, every operation its kafka binding, and no object lists traits
/// any more (the export means what the spec means, for any reader).
#[test]
fn a_traits_document_exports_its_traits_applied() {
    fn lists_traits(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if m.contains_key("traits") {
                    out.push(at.to_owned());
                }
                for (k, v) in m {
                    if k != "messageTraits" && k != "operationTraits" && k != "schemas" {
                        lists_traits(v, &format!("{at}/{k}"), out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    lists_traits(v, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    for (name, router) in [
        ("traits", golden::traits::router(Nobody)),
        ("traits-v2", golden::traits_v2::router(Nobody)),
        ("streetlights", golden::streetlights_kafka::router(Nobody)),
    ] {
        let export: Value = serde_json::from_str(&router.asyncapi().to_json().unwrap()).unwrap();
        let mut listing = Vec::new();
        lists_traits(&export, "", &mut listing);
        assert!(listing.is_empty(), "{name}: traits left at {listing:?}");
        let messages = export["components"]["messages"].as_object().unwrap();
        assert!(!messages.is_empty(), "{name}");
        for (key, m) in messages {
            assert!(
                m.get("headers").is_some(),
                "{name}: message {key} lost its headers: {m}"
            );
        }
        let receive = export["operations"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, op)| op["action"] == "receive")
            .map(|(_, op)| op)
            .unwrap();
        assert!(
            receive.pointer("/bindings/kafka/clientId").is_some(),
            "{name}: the operation trait's kafka binding is not exported: {receive}"
        );
    }
    let traits: Value =
        serde_json::from_str(&golden::traits::router(Nobody).asyncapi().to_json().unwrap())
            .unwrap();
    assert_eq!(
        traits["components"]["messages"]["Note"]["contentType"], "text/plain",
        "{traits:#}"
    );
}
