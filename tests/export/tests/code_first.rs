//! The code-first API, with no spec at all: typed subscribers are plain
//! `async fn`s taking the message and, as they need them, typed channel
//! parameters, typed headers and the context, returning nothing or a typed
//! reply; their router exports a valid AsyncAPI document with the schemas
//! of their types.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faststream::export::{Describe, SchemaComponents, object};
use faststream::serde::{Deserialize, Serialize};
use faststream::validate::{Path as FieldPath, rules};
use faststream::{
    Context, Envelope, HandlerError, Headers, Params, Router, Subscriber, TestApp, Validate,
    ValidationError, encode_json,
};
use serde_json::{Value, json};

mod common;

const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "faststream::serde")]
struct Order {
    id: String,
    quantity: i64,
    #[serde(default)]
    note: Option<String>,
}

impl Validate for Order {
    fn validate_at(&self, path: &FieldPath<'_>, errors: &mut Vec<ValidationError>) {
        rules::minimum(self.quantity, 1.0, &path.field("quantity"), errors);
    }
}

impl Describe for Order {
    fn describe(c: &mut SchemaComponents) -> Value {
        c.component("Order", |c| {
            let mut schema: Value = object(c)
                .required::<String>("id")
                .required::<i64>("quantity")
                .optional::<String>("note")
                .into();
            schema["properties"]["quantity"]["minimum"] = json!(1);
            schema
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "faststream::serde")]
struct Accepted {
    id: String,
    total: f64,
}

impl Describe for Accepted {
    fn describe(c: &mut SchemaComponents) -> Value {
        c.component("Accepted", |c| {
            object(c)
                .required::<String>("id")
                .required::<f64>("total")
                .into()
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(crate = "faststream::serde")]
struct Store {
    store: String,
    lane: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(crate = "faststream::serde")]
struct Tenant {
    tenant: String,
}

impl Validate for Tenant {
    fn validate_at(&self, path: &FieldPath<'_>, errors: &mut Vec<ValidationError>) {
        rules::min_length(&self.tenant, 2, &path.field("tenant"), errors);
    }
}

impl Describe for Tenant {
    fn describe(c: &mut SchemaComponents) -> Value {
        object(c).required::<String>("tenant").into()
    }
}

type Seen = Arc<Mutex<Vec<(String, String, u32, String, Option<String>)>>>;

fn seen() -> &'static Mutex<Option<Seen>> {
    static SEEN: Mutex<Option<Seen>> = Mutex::new(None);
    &SEEN
}

/// A subscriber as users write one: the message, then what it needs.
async fn take_order(
    order: Order,
    Params(at): Params<Store>,
    Headers(headers): Headers<Tenant>,
    ctx: Context,
) -> Result<Accepted, HandlerError> {
    if let Some(s) = seen().lock().unwrap().as_ref() {
        s.lock().unwrap().push((
            order.id.clone(),
            at.store,
            at.lane,
            headers.tenant,
            ctx.correlation_id().map(str::to_owned),
        ));
    }
    Ok(Accepted {
        total: order.quantity as f64 * 2.5,
        id: order.id,
    })
}

async fn audit(_order: Order) -> Result<(), HandlerError> {
    Ok(())
}

fn router() -> Router {
    Router::new()
        .subscriber("stores.{store}.lanes.{lane}.orders", take_order)
        .subscribe(
            Subscriber::new("audit", audit)
                .group("auditors")
                .description("Every order, audited"),
        )
        .publisher::<Accepted>("accepted", "orders.accepted")
}

#[tokio::test]
async fn a_code_first_router_runs_like_a_generated_one() {
    let s: Seen = Arc::default();
    *seen().lock().unwrap() = Some(s.clone());
    let app = TestApp::start(router()).await;
    let order = Order {
        id: "o-1".into(),
        quantity: 4,
        note: None,
    };
    // A request: the typed reply comes back.
    let reply = app
        .publisher()
        .request(
            Envelope::new("stores.s1.lanes.7.orders", encode_json(&order).unwrap())
                .with_content_type("application/json")
                .with_header("tenant", "acme")
                .with_correlation_id("c-1"),
            TIMEOUT,
        )
        .await
        .unwrap();
    let accepted: Accepted = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(
        accepted,
        Accepted {
            id: "o-1".into(),
            total: 10.0
        }
    );
    // A message that breaks the schema, and one whose headers do, never
    // reach the handler.
    app.publisher()
        .publish(
            Envelope::new("stores.s1.lanes.7.orders", r#"{"id":"o-2","quantity":0}"#)
                .with_header("tenant", "acme"),
        )
        .await
        .unwrap();
    app.publisher()
        .publish(
            Envelope::new("stores.s1.lanes.7.orders", r#"{"id":"o-3","quantity":1}"#)
                .with_header("tenant", "a"),
        )
        .await
        .unwrap();
    // A parameter that does not parse as its type is refused too.
    app.publisher()
        .publish(
            Envelope::new("stores.s1.lanes.x.orders", r#"{"id":"o-4","quantity":1}"#)
                .with_header("tenant", "acme"),
        )
        .await
        .unwrap();
    app.wait_finished(4, TIMEOUT).await;
    let m = app.shutdown().await;
    assert_eq!((m.handled, m.decode_failures), (1, 3), "{m:?}");
    assert_eq!(
        s.lock().unwrap().clone(),
        [(
            "o-1".to_owned(),
            "s1".to_owned(),
            7,
            "acme".to_owned(),
            Some("c-1".to_owned())
        )]
    );
}

fn export(router: &Router) -> Value {
    let export = router.asyncapi();
    let invalid = common::generator_errors(&export);
    assert!(invalid.is_empty(), "{invalid:#?}");
    export.to_value().unwrap()
}

#[test]
fn the_official_parser_accepts_the_exports() {
    let dir = common::scratch("exports-code-first");
    let mut files = common::write_exports(&dir, "code-first", &router().asyncapi());
    // An application's export lists its broker's server, with a security
    // scheme for every way a connection authenticates.
    let server = faststream::ServerInfo {
        authentication: vec![
            faststream::Authentication::UserPassword,
            faststream::Authentication::Token,
            faststream::Authentication::Credentials,
            faststream::Authentication::ClientCertificate,
        ],
        ..faststream::ServerInfo::describe(
            "amqps://shop:s3cret@rabbit.internal:5671/shop",
            &faststream::ConnectOptions::default(),
        )
    };
    let app = faststream::App::new(faststream::MemoryBroker::new().standing_in_for(server))
        .include(router())
        .asyncapi();
    let invalid = common::generator_errors(&app);
    assert!(invalid.is_empty(), "{invalid:#?}");
    let doc = app.to_value().unwrap();
    assert_eq!(doc["servers"]["development"]["protocol"], "amqps");
    assert_eq!(
        doc["components"]["securitySchemes"]
            .as_object()
            .unwrap()
            .len(),
        4
    );
    assert!(!doc.to_string().contains("s3cret"));
    files.extend(common::write_exports(&dir, "code-first-app", &app));
    let failing = common::official_parser_errors(&files);
    assert!(
        failing.is_empty(),
        "the official parser refuses: {failing:#?}"
    );
}

#[test]
fn the_export_says_what_the_types_say() {
    let doc = export(&router());
    let op = &doc["operations"]["take_order"];
    assert_eq!(op["action"], "receive");
    assert_eq!(
        doc["channels"]["take_order"]["address"],
        "stores.{store}.lanes.{lane}.orders"
    );
    let params = doc["channels"]["take_order"]["parameters"]
        .as_object()
        .unwrap();
    assert_eq!(params.keys().collect::<Vec<_>>(), ["store", "lane"]);
    let message = &doc["components"]["messages"]["take_order"];
    assert_eq!(
        message["payload"],
        json!({"$ref": "#/components/schemas/Order"})
    );
    assert_eq!(
        message["headers"],
        json!({"type": "object", "properties": {"tenant": {"type": "string"}}, "required": ["tenant"]})
    );
    assert_eq!(
        doc["components"]["schemas"]["Order"],
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "quantity": {"type": "integer", "format": "int64", "minimum": 1},
                "note": {"type": "string"}
            },
            "required": ["id", "quantity"]
        })
    );
    // The reply, typed.
    assert_eq!(
        op["reply"]["address"]["location"],
        "$message.header#/reply_to"
    );
    assert_eq!(
        doc["components"]["messages"]["take_order.reply"]["payload"],
        json!({"$ref": "#/components/schemas/Accepted"})
    );
    // Options by builder.
    assert_eq!(
        doc["operations"]["audit"]["description"],
        "Every order, audited"
    );
    assert_eq!(
        doc["operations"]["audit"]["bindings"]["nats"]["queue"],
        "auditors"
    );
    assert!(doc["operations"]["audit"].get("reply").is_none());
    // A publisher.
    assert_eq!(doc["operations"]["accepted"]["action"], "send");
    assert_eq!(doc["channels"]["accepted"]["address"], "orders.accepted");
}

#[test]
fn the_export_follows_the_routes() {
    let without = export(&router().without("audit"));
    assert!(without["operations"].get("audit").is_none());
    assert!(without["operations"].get("take_order").is_some());
    // The same fn on a second address: a key of its own.
    let with = export(&router().subscriber("refunds.{id}", audit));
    assert_eq!(with["channels"]["audit"]["address"], "audit");
    assert_eq!(
        with["channels"]["audit:refunds.{id}"]["address"],
        "refunds.{id}"
    );
    let keyed =
        export(&router().subscribe(Subscriber::new("refunds.{id}", audit).operation("refund")));
    assert_eq!(keyed["channels"]["refund"]["address"], "refunds.{id}");
}

/// The code-first example (`examples/code-first`): its export is pinned in
/// `examples/code-first/asyncapi.yaml` (a difference rewrites it and fails:
/// review and commit it), valid for the generator and the official parser
/// in every version; and it follows the routes.
#[test]
fn the_code_first_example_export_is_pinned_and_valid() {
    let pinned =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/code-first/asyncapi.yaml");
    let router = code_first::router();
    let yaml = router.asyncapi().to_yaml().unwrap();
    if std::fs::read_to_string(&pinned).ok().as_deref() != Some(yaml.as_str()) {
        std::fs::write(&pinned, &yaml).unwrap();
        panic!("examples/code-first/asyncapi.yaml rewritten (review and commit it)");
    }
    export(&router);
    let dir = common::scratch("exports-code-first-example");
    let mut files = vec![pinned.clone()];
    files.extend(common::write_exports(&dir, "example", &router.asyncapi()));
    let failing = common::official_parser_errors(&files);
    assert!(
        failing.is_empty(),
        "the official parser refuses: {failing:#?}"
    );
    // Remove a route, add one: the export follows.
    let without = export(&code_first::router().without("audit"));
    assert!(without["operations"].get("audit").is_none());
    let with = export(&code_first::router().subscriber("refunds.{store}", code_first::audit));
    assert_eq!(
        with["channels"]["audit:refunds.{store}"]["address"],
        "refunds.{store}"
    );
}

/// Types generated from a spec describe themselves with the schema they
/// came from, so a code-first route can take them and its export says
/// what the spec says of them.
#[test]
fn generated_types_bring_their_spec_schema_to_code_first_routes() {
    use golden::orders::models::{Order as SpecOrder, OrderAccepted};
    async fn place(order: SpecOrder) -> Result<OrderAccepted, HandlerError> {
        Ok(OrderAccepted {
            order_id: order.order_id,
            total: 0.0,
        })
    }
    let doc = export(&Router::new().subscriber("shop.{store}.orders", place));
    let spec = common::meaning::original(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../specs/orders.yaml"),
    );
    for name in ["Order", "OrderLine"] {
        assert_eq!(
            doc["components"]["schemas"][name], spec["components"]["schemas"][name],
            "{name}"
        );
    }
    // A type made from a message's inline payload: a component named
    // after the type.
    assert_eq!(
        doc["components"]["schemas"]["OrderAccepted"],
        spec["components"]["messages"]["OrderAccepted"]["payload"]
    );
    let message = &doc["components"]["messages"]["place"];
    assert_eq!(
        message["payload"],
        json!({"$ref": "#/components/schemas/Order"}),
        "{doc:#}"
    );
    let dir = common::scratch("exports-code-first-generated-types");
    let files = common::write_exports(
        &dir,
        "generated-types",
        &Router::new()
            .subscriber("shop.{store}.orders", place)
            .asyncapi(),
    );
    let failing = common::official_parser_errors(&files);
    assert!(
        failing.is_empty(),
        "the official parser refuses: {failing:#?}"
    );
}

/// Hand-written types that derive `schemars::JsonSchema` describe
/// themselves with it (feature `schemars`): draft-07, their definitions
/// hoisted into `components.schemas` and the references rewritten.
#[test]
fn schemars_types_are_described_as_asyncapi_schemas() {
    /// A parcel to ship.
    #[derive(Debug, Deserialize, faststream::schemars::JsonSchema)]
    #[serde(crate = "faststream::serde")]
    #[schemars(crate = "faststream::schemars")]
    #[allow(dead_code)]
    struct Parcel {
        /// Where it goes.
        to: Address,
        weight_grams: u32,
        fragile: Option<bool>,
        kind: Kind,
        dimensions: (u16, u16, u16),
    }
    #[derive(Debug, Deserialize, faststream::schemars::JsonSchema)]
    #[serde(crate = "faststream::serde")]
    #[schemars(crate = "faststream::schemars")]
    #[allow(dead_code)]
    struct Address {
        street: String,
        country: String,
    }
    #[derive(Debug, Deserialize, faststream::schemars::JsonSchema)]
    #[serde(crate = "faststream::serde", rename_all = "lowercase")]
    #[schemars(crate = "faststream::schemars")]
    #[allow(dead_code)]
    enum Kind {
        Letter,
        Box,
    }
    impl Validate for Parcel {
        fn validate_at(&self, _: &FieldPath<'_>, _: &mut Vec<ValidationError>) {}
    }
    faststream::describe_with_schemars!(Parcel, Address, Kind);

    async fn ship(_parcel: Parcel) -> Result<(), HandlerError> {
        Ok(())
    }
    let router = Router::new().subscriber("parcels.{depot}", ship);
    let doc = export(&router);
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        doc["components"]["messages"]["ship"]["payload"],
        json!({"$ref": "#/components/schemas/Parcel"})
    );
    let parcel = &schemas["Parcel"];
    assert_eq!(parcel["type"], "object");
    assert_eq!(parcel["description"], "A parcel to ship.");
    assert_eq!(
        parcel["properties"]["kind"],
        json!({"$ref": "#/components/schemas/Kind"})
    );
    assert_eq!(schemas["Kind"]["enum"], json!(["letter", "box"]));
    assert_eq!(schemas["Address"]["required"], json!(["street", "country"]));
    // Draft-07: a tuple is an `items` array; a `$ref` stands alone (its
    // description moves beside it in an `allOf`).
    assert!(
        parcel["properties"]["dimensions"]["items"].is_array(),
        "{parcel:#}"
    );
    assert_eq!(
        parcel["properties"]["to"],
        json!({"description": "Where it goes.", "allOf": [{"$ref": "#/components/schemas/Address"}]})
    );
    let text = doc.to_string();
    assert!(
        !text.contains("$schema") && !text.contains("definitions"),
        "{text}"
    );
    let dir = common::scratch("exports-code-first-schemars");
    let files = common::write_exports(&dir, "schemars", &router.asyncapi());
    let failing = common::official_parser_errors(&files);
    assert!(
        failing.is_empty(),
        "the official parser refuses: {failing:#?}"
    );
}

/// A service renders the page of its own export (for its HTTP server).
#[test]
fn a_router_renders_its_documentation_page() {
    let page = router().asyncapi().to_html().unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert!(
        page.contains("take_order") && page.contains("audit"),
        "{page}"
    );
    assert!(!page.contains("src=\"http") && !page.contains("<link"));
}

/// Shared state comes as an argument (axum's `State`), in any position,
/// even after the `Context` takes its place.
#[tokio::test]
async fn handlers_take_shared_state() {
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Clone, Default)]
    struct Stock(Arc<AtomicU64>);
    #[derive(Clone)]
    struct Label(&'static str);

    async fn restock(
        units: u64,
        ctx: Context,
        faststream::State(stock): faststream::State<Stock>,
        faststream::State(label): faststream::State<Label>,
    ) -> Result<(), HandlerError> {
        assert_eq!(label.0, "main");
        assert!(ctx.state::<Stock>().is_some());
        stock.0.fetch_add(units, Ordering::Relaxed);
        Ok(())
    }

    let stock = Stock::default();
    let router = Router::new()
        .state(stock.clone())
        .subscriber("restock", restock);
    let app = TestApp::start_with(router, |app| app.state(Label("main"))).await;
    for units in [3, 4] {
        app.publisher()
            .publish(Envelope::new("restock", units.to_string()))
            .await
            .unwrap();
    }
    app.wait_finished(2, TIMEOUT).await;
    let m = app.shutdown().await;
    assert_eq!(m.handled, 2, "{m:?}");
    assert_eq!(stock.0.load(Ordering::Relaxed), 7);

    // A state nobody gave: the app does not start, and says which.
    let err = faststream::App::new(faststream::MemoryBroker::new())
        .include(Router::new().subscriber("restock", restock))
        .start()
        .await
        .expect_err("starts without its state");
    assert!(matches!(err, faststream::AppError::MissingState { .. }));
    assert!(err.to_string().contains("State<"), "{err}");
}

/// Each router's handlers see its own states over the app's, never
/// another router's; the start-up check is per route.
#[tokio::test]
async fn states_are_layered_per_router() {
    use faststream::{App, AppError, MemoryBroker, State};

    #[derive(Clone)]
    struct Pool(&'static str);
    #[derive(Clone)]
    struct Region(&'static str);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = |seen: &Arc<Mutex<Vec<(&'static str, &'static str)>>>| {
        let seen = seen.clone();
        move |_: u64, State(pool): State<Pool>, State(region): State<Region>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((pool.0, region.0));
                Ok::<_, HandlerError>(())
            }
        }
    };
    let orders = Router::new()
        .state(Pool("orders-db"))
        .subscriber("orders", record(&seen));
    let billing = Router::new()
        .state(Pool("billing-db"))
        .state(Region("eu"))
        .subscriber("billing", record(&seen));
    let app = TestApp::start_with(orders, |app| {
        app.include(billing)
            .state(Region("us"))
            .state(Pool("app-db"))
    })
    .await;
    for address in ["orders", "billing"] {
        app.publisher()
            .publish(Envelope::new(address, "1"))
            .await
            .unwrap();
    }
    app.wait_finished(2, TIMEOUT).await;
    app.shutdown().await;
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    // The router's own pool wins over the app's; the region the billing
    // router gave is its own, the orders router sees the app's.
    assert_eq!(seen, [("billing-db", "eu"), ("orders-db", "us")]);

    // Another router's state does not count: the orders route lacks a
    // Region though the billing router has one.
    let err = App::new(MemoryBroker::new())
        .include(
            Router::new()
                .state(Pool("orders-db"))
                .subscriber("orders", record(&Arc::default())),
        )
        .include(
            Router::new()
                .state(Pool("billing-db"))
                .state(Region("eu"))
                .subscriber("billing", record(&Arc::default())),
        )
        .start()
        .await
        .expect_err("the orders route has no Region");
    match &err {
        AppError::MissingState {
            operation,
            type_name,
        } => {
            assert_eq!(operation, "orders");
            assert!(type_name.ends_with("Region"), "{type_name}");
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string()
            .contains("neither its router nor the app was given one"),
        "{err}"
    );
}

/// An argument of the user's own reads the context; the order of the
/// arguments does not matter to the others.
#[tokio::test]
async fn custom_arguments_read_the_context_beside_state() {
    use faststream::State;
    use faststream::address::Template;
    use faststream::app::FromMessage;

    struct Tenant(String);
    impl FromMessage for Tenant {
        fn from_message(_: &Template, context: &Context) -> Result<Self, String> {
            context
                .headers()
                .get("tenant")
                .cloned()
                .map(Tenant)
                .ok_or_else(|| "no tenant header".to_owned())
        }
    }
    #[derive(Clone)]
    struct Prefix(&'static str);

    async fn tag(
        n: u64,
        Tenant(tenant): Tenant,
        ctx: Context,
        State(prefix): State<Prefix>,
    ) -> Result<(), HandlerError> {
        ctx.publisher()
            .publish(Envelope::new(
                "tagged",
                format!("\"{}{tenant}-{n}\"", prefix.0),
            ))
            .await?;
        Ok(())
    }
    let app = TestApp::start(Router::new().state(Prefix("t:")).subscriber("tag", tag)).await;
    app.publisher()
        .publish(Envelope::new("tag", "7").with_header("tenant", "acme"))
        .await
        .unwrap();
    // Without the header the argument refuses the message.
    app.publisher()
        .publish(Envelope::new("tag", "8"))
        .await
        .unwrap();
    app.wait_finished(2, TIMEOUT).await;
    assert_eq!(app.published::<String>("tagged"), ["t:acme-7"]);
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("no tenant header"), "{:?}", dead[0]);
    app.shutdown().await;
}
