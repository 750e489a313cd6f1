//! The AsyncAPI document of what an application really runs: built from
//! the routes and publishers registered on its routers, never by handing
//! back a whole source document.
//!
//! - A route (or publisher) generated from a spec carries its operation's
//!   key and the router carries the spec it came from: the export takes,
//!   for each registered operation, the operation and everything it
//!   reaches by `$ref` (its channel, messages, schemas, parameters,
//!   reply, servers, security schemes), so an operation whose route was
//!   removed is gone, with whatever only it reached.
//! - A route without a spec (written by hand) is described from what the
//!   runtime knows of it: its address (a parameter per placeholder), its
//!   group and bindings.
//!
//! [`Router::asyncapi`](crate::Router::asyncapi) and
//! [`App::asyncapi`](crate::App::asyncapi) build it; [`AsyncApiDocument`]
//! writes it as AsyncAPI 3.0 (the default), 3.1 or 2.6 in JSON or YAML,
//! through the `faststream-asyncapi` model and writers.

pub(crate) mod describe;
pub(crate) mod error;

use std::collections::{BTreeSet, HashMap};

use faststream_asyncapi::convert::ConvertNote;
use faststream_asyncapi::pointer;
use serde_json::{Map, Value, json};

#[cfg(feature = "schemars")]
pub use describe::from_schemars;
pub use describe::{Describe, ObjectSchema, SchemaComponents, object};
pub use error::ExportError;

use crate::app::{App, RouteDoc, Router};
use crate::bindings::{Bindings, RedisKind};
use crate::broker::ServerInfo;

impl Router {
    /// The AsyncAPI document of what this router runs and sends (3.0 by
    /// default; `.version(..)` for 3.1 or 2.6): `router.asyncapi().to_json()?`.
    /// Built from the routes and publishers registered: a route generated
    /// from a spec brings its operation and what that reaches (channel,
    /// messages, schemas, reply); a hand-written route its address,
    /// parameters and bindings.
    pub fn asyncapi(&self) -> AsyncApiDocument {
        export(&[self], None)
    }
}

impl App {
    /// The AsyncAPI document of everything the application runs and
    /// sends: its routers' exports merged (see [`Router::asyncapi`]), and
    /// the server its broker is connected to (see
    /// [`Broker::server_info`](crate::Broker::server_info)) under
    /// `servers`, with its security scheme (never a secret), unless a
    /// spec's server already names that host.
    pub fn asyncapi(&self) -> AsyncApiDocument {
        export(
            &self.routers().iter().collect::<Vec<_>>(),
            self.broker().server_info(),
        )
    }
}

impl crate::app::RunningApp {
    /// The running app's AsyncAPI document: what [`App::asyncapi`] gave
    /// before it started (the `http` feature serves it on `/asyncapi`).
    pub fn asyncapi(&self) -> AsyncApiDocument {
        export(
            &self.routers().iter().collect::<Vec<_>>(),
            self.broker().server_info(),
        )
    }
}

/// The AsyncAPI version an export is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsyncApiVersion {
    /// 3.0.0 (the default).
    #[default]
    V3_0,
    /// 3.1.0.
    V3_1,
    /// 2.6.0, converted from 3.0 (see [`AsyncApiDocument::notes`] for what
    /// 2.6 cannot say).
    V2_6,
}

/// An exported AsyncAPI document: `router.asyncapi().to_json()?`.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncApiDocument {
    /// The document in 3.0, as the model holds it (or why it could not be
    /// built: said by every writer).
    model: Result<faststream_asyncapi::AsyncApi, ExportError>,
    version: AsyncApiVersion,
}

impl AsyncApiDocument {
    /// The same document written in `version`.
    pub fn version(mut self, version: AsyncApiVersion) -> AsyncApiDocument {
        self.version = version;
        self
    }

    /// The 3.0 model of the document (whatever version it is written in).
    pub fn model(&self) -> Result<&faststream_asyncapi::AsyncApi, ExportError> {
        self.model.as_ref().map_err(Clone::clone)
    }

    /// The document as a JSON value, in its version.
    pub fn to_value(&self) -> Result<Value, ExportError> {
        Ok(self.converted()?.0)
    }

    /// What the version cannot say (2.6 only; empty otherwise).
    pub fn notes(&self) -> Result<Vec<ConvertNote>, ExportError> {
        Ok(self.converted()?.1)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String, ExportError> {
        faststream_asyncapi::emit::to_json(&self.to_value()?)
            .map_err(|e| ExportError(e.to_string()))
    }

    /// The document as one self-contained HTML page (no network needed:
    /// see `faststream_asyncapi::html`), for a service to serve its own
    /// documentation. Always of the 3.x document (the page reads the same
    /// whatever the version setting).
    pub fn to_html(&self) -> Result<String, ExportError> {
        let value = serde_json::to_value(self.model()?).map_err(|e| ExportError(e.to_string()))?;
        Ok(faststream_asyncapi::html::render(&value))
    }

    /// YAML.
    pub fn to_yaml(&self) -> Result<String, ExportError> {
        Ok(faststream_asyncapi::emit::value_to_yaml(&self.to_value()?))
    }

    fn converted(&self) -> Result<(Value, Vec<ConvertNote>), ExportError> {
        let mut value =
            serde_json::to_value(self.model()?).map_err(|e| ExportError(e.to_string()))?;
        match self.version {
            AsyncApiVersion::V3_0 => Ok((value, Vec::new())),
            AsyncApiVersion::V3_1 => {
                value["asyncapi"] = json!("3.1.0");
                Ok((value, Vec::new()))
            }
            AsyncApiVersion::V2_6 => {
                let c = faststream_asyncapi::convert::v3_to_v2(&value)
                    .map_err(|e| ExportError(e.to_string()))?;
                Ok((c.document, c.notes))
            }
        }
    }
}

/// The variable that makes [`App::run`](crate::App::run) write the
/// application's document instead of running it.
pub const OUT_VAR: &str = "FASTSTREAM_ASYNCAPI_OUT";

/// The variable that picks the version [`OUT_VAR`] writes (`3.0`, `3.1`,
/// `2.6`).
pub const VERSION_VAR: &str = "FASTSTREAM_ASYNCAPI_VERSION";

/// Whether this process only exports its document (see [`OUT_VAR`]).
pub fn exporting() -> bool {
    std::env::var_os(OUT_VAR).is_some()
}

/// Writes `doc` to `path` as [`OUT_VAR`] asks.
pub(crate) fn write_to(doc: &AsyncApiDocument, path: &std::path::Path) -> Result<(), ExportError> {
    let version = match std::env::var(VERSION_VAR).as_deref() {
        Err(_) | Ok("3.0" | "3.0.0") => AsyncApiVersion::V3_0,
        Ok("3.1" | "3.1.0") => AsyncApiVersion::V3_1,
        Ok("2.6" | "2.6.0") => AsyncApiVersion::V2_6,
        Ok(other) => {
            return Err(ExportError(format!(
                "{VERSION_VAR}={other}: expected 3.0, 3.1 or 2.6"
            )));
        }
    };
    let doc = doc.clone().version(version);
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    let text = if yaml { doc.to_yaml()? } else { doc.to_json()? };
    std::fs::write(path, text).map_err(|e| ExportError(format!("{}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), "AsyncAPI document written ({OUT_VAR})");
    Ok(())
}

/// Builds the document of `routers` (merged in order; the first document
/// with an `info` gives the document's `info`, `servers` and
/// `defaultContentType`), with `server` (the broker's) among the servers.
pub(crate) fn export(routers: &[&Router], server: Option<ServerInfo>) -> AsyncApiDocument {
    AsyncApiDocument {
        model: build(routers, server.as_ref()),
        version: AsyncApiVersion::V3_0,
    }
}

/// A server's host with its variables' defaults filled in.
fn filled_host(server: &Value) -> String {
    let mut host = server
        .get("host")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for (name, variable) in server
        .get("variables")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(default) = variable.get("default").and_then(Value::as_str) {
            host = host.replace(&format!("{{{name}}}"), default);
        }
    }
    host
}

/// Lists the broker's server under `servers` (unless one of them already
/// has its protocol and host), with a security scheme per way it
/// authenticates.
fn add_server(out: &mut Map<String, Value>, info: &ServerInfo) {
    let servers = out
        .entry("servers")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(servers) = servers.as_object_mut() else {
        return;
    };
    let listed = servers.values().any(|s| {
        s.get("protocol")
            .and_then(Value::as_str)
            .is_some_and(|p| p.eq_ignore_ascii_case(&info.protocol))
            && filled_host(s).eq_ignore_ascii_case(&info.host)
    });
    if listed {
        return;
    }
    let mut name = info.name.clone();
    let mut n = 1;
    while servers.contains_key(&name) {
        n += 1;
        name = format!("{}-{n}", info.name);
    }
    let mut server = json!({
        "host": info.host,
        "protocol": info.protocol,
    });
    if !info.pathname.is_empty() {
        server["pathname"] = json!(info.pathname);
    }
    if let Some(v) = &info.protocol_version {
        server["protocolVersion"] = json!(v);
    }
    if !info.authentication.is_empty() {
        server["security"] = Value::Array(
            info.authentication
                .iter()
                .map(|a| {
                    json!({"$ref": format!("#/components/securitySchemes/{}", pointer::escape(a.scheme_name()))})
                })
                .collect(),
        );
    }
    servers.insert(name, server);
    if info.authentication.is_empty() {
        return;
    }
    let components = out
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(schemes) = components
        .as_object_mut()
        .map(|c| {
            c.entry("securitySchemes")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for a in &info.authentication {
        schemes.entry(a.scheme_name()).or_insert_with(|| a.scheme());
    }
}

fn build(
    routers: &[&Router],
    server: Option<&ServerInfo>,
) -> Result<faststream_asyncapi::AsyncApi, ExportError> {
    let mut out = Map::new();
    out.insert("asyncapi".into(), json!("3.0.0"));
    // Each source document, parsed once.
    let mut parsed: HashMap<*const u8, Value> = HashMap::new();
    for router in routers {
        let Some(text) = router.document else {
            continue;
        };
        let doc = match parsed.entry(text.as_ptr()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                serde_json::from_str(text)
                    .map_err(|e| ExportError(format!("the router's document: {e}")))?,
            ),
        };
        let mut slice = Slice::new(doc);
        for key in ["info", "id", "defaultContentType", "servers"] {
            if !out.contains_key(key) && doc.get(key).is_some() {
                slice.copy(&format!("/{key}"));
            }
        }
        // The document's own extensions (`x-*`).
        if let Some(root) = doc.as_object() {
            for key in root.keys().filter(|k| k.starts_with("x-")) {
                slice.copy(&format!("/{}", pointer::escape(key)));
            }
        }
        for op in router.documented_operations() {
            slice.copy(&format!("/operations/{}", pointer::escape(op)));
        }
        let mut part = slice.out;
        if router.mirrored
            && let Some(Value::Object(ops)) = part.get_mut("operations")
        {
            for op in ops.values_mut() {
                let turned = match op.get("action").and_then(Value::as_str) {
                    Some("send") => "receive",
                    Some("receive") => "send",
                    _ => continue,
                };
                op["action"] = json!(turned);
            }
        }
        merge(&mut out, part);
    }
    for router in routers {
        for route in router.routes() {
            let documented = router.document.is_some_and(|text| {
                parsed.get(&text.as_ptr()).is_some_and(|d| {
                    d.pointer(&format!(
                        "/operations/{}",
                        pointer::escape(&route.operation)
                    ))
                    .is_some()
                })
            });
            if !documented {
                describe_route(&mut out, route, router.route_doc(&route.operation));
            }
        }
        for (operation, address, doc) in &router.typed_publishers {
            describe_publisher(&mut out, operation, address, doc);
        }
    }
    if let Some(info) = server {
        add_server(&mut out, info);
    }
    if !out.contains_key("info") {
        let info = routers.iter().find_map(|r| r.info.as_ref()).map_or_else(
            || json!({"title": "faststream", "version": "0.1.0"}),
            |(title, version, description)| {
                let mut info = json!({"title": title, "version": version});
                if let Some(d) = description {
                    info["description"] = json!(d);
                }
                info
            },
        );
        out.insert("info".into(), info);
    }
    serde_json::from_value(Value::Object(order(out)))
        .map_err(|e| ExportError(format!("not an AsyncAPI 3.0 document: {e}")))
}

/// Puts the document's sections in the order AsyncAPI writes them.
fn order(mut m: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in [
        "asyncapi",
        "id",
        "info",
        "servers",
        "defaultContentType",
        "channels",
        "operations",
        "components",
    ] {
        if let Some(v) = m.remove(key) {
            out.insert(key.into(), v);
        }
    }
    out.extend(m);
    out
}

/// Copies values of a document, and everything they reach by local
/// `$ref`, to the same places of a new document.
struct Slice<'d> {
    doc: &'d Value,
    out: Map<String, Value>,
    seen: BTreeSet<String>,
}

impl<'d> Slice<'d> {
    fn new(doc: &'d Value) -> Slice<'d> {
        Slice {
            doc,
            out: Map::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Copies the value at `at` and, following its `$ref`s, everything it
    /// reaches. Nothing to do for a value copied already, or inside one
    /// (whose references were followed with it).
    fn copy(&mut self, at: &str) {
        let inside = at
            .match_indices('/')
            .any(|(i, _)| i > 0 && self.seen.contains(&at[..i]));
        if inside || !self.seen.insert(at.to_owned()) {
            return;
        }
        let Some(value) = self.doc.pointer(at) else {
            return;
        };
        set(&mut self.out, at, value.clone());
        let mut refs = Vec::new();
        collect_refs(value, &mut refs);
        for r in refs {
            self.copy(&r);
        }
    }
}

/// The local `$ref` pointers under `v` (without `#`).
fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref")
                && let Some(p) = r.strip_prefix('#')
            {
                out.push(p.to_owned());
            }
            for (k, child) in m {
                if k != "$ref" {
                    collect_refs(child, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

/// Sets the value at a JSON pointer, making the objects on the way.
fn set(root: &mut Map<String, Value>, at: &str, value: Value) {
    let segments: Vec<String> = pointer::segments(at).collect();
    let Some((last, path)) = segments.split_last() else {
        return;
    };
    let mut cur = root;
    for s in path {
        let next = cur
            .entry(s.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            // A pointer into an array (a part of something copied whole).
            return;
        }
        cur = next.as_object_mut().expect("an object");
    }
    cur.insert(last.clone(), value);
}

/// Merges `from` into `into`: objects key by key, anything else replaced.
fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// A route without a spec: its address, a string parameter per
/// placeholder, its bindings and group, and its message: the payload and
/// headers schemas of its types (code-first routes) or an unknown payload
/// (a route built by hand from a type-erased handler).
fn describe_route(out: &mut Map<String, Value>, route: &crate::app::Route, doc: Option<&RouteDoc>) {
    let (channel_bindings, operation_bindings) =
        bindings_json(&route.options.bindings, route.options.group.as_deref());
    describe_operation(
        out,
        "receive",
        &route.operation,
        &route.address,
        doc,
        channel_bindings,
        operation_bindings,
    );
}

/// A code-first publisher: a `send` operation with its message's schema.
fn describe_publisher(
    out: &mut Map<String, Value>,
    operation: &str,
    address: &str,
    doc: &RouteDoc,
) {
    describe_operation(out, "send", operation, address, Some(doc), None, None);
}

fn describe_operation(
    out: &mut Map<String, Value>,
    action: &str,
    key: &str,
    address: &str,
    doc: Option<&RouteDoc>,
    channel_bindings: Option<Value>,
    operation_bindings: Option<Value>,
) {
    let k = pointer::escape(key);
    let mut parameters = Map::new();
    for p in crate::address::placeholders(address) {
        parameters.insert(p.to_owned(), json!({}));
    }
    let mut channel = Map::new();
    channel.insert("address".into(), json!(address));
    channel.insert(
        "messages".into(),
        json!({"message": {"$ref": format!("#/components/messages/{k}")}}),
    );
    if !parameters.is_empty() {
        channel.insert("parameters".into(), Value::Object(parameters));
    }
    if let Some(b) = channel_bindings {
        channel.insert("bindings".into(), b);
    }
    let mut operation = Map::new();
    operation.insert("action".into(), json!(action));
    operation.insert("channel".into(), json!({"$ref": format!("#/channels/{k}")}));
    operation.insert(
        "messages".into(),
        json!([{"$ref": format!("#/channels/{k}/messages/message")}]),
    );
    if let Some(b) = operation_bindings {
        operation.insert("bindings".into(), b);
    }
    let mut message = json!({
        "name": key,
        "contentType": "application/json",
        "correlationId": {"location": "$message.header#/correlation_id"},
        "payload": doc.map_or_else(|| json!({}), |d| d.payload.clone()),
    });
    let mut part = Map::new();
    if let Some(d) = doc {
        if let Some(h) = &d.headers {
            message["headers"] = h.clone();
        }
        if let Some(text) = &d.description {
            operation.insert("description".into(), json!(text));
        }
        if let Some(reply) = &d.reply {
            let reply_key = format!("{key}.reply");
            let r = pointer::escape(&reply_key);
            set(
                &mut part,
                &format!("/channels/{r}"),
                json!({
                    "address": null,
                    "messages": {"reply": {"$ref": format!("#/components/messages/{r}")}}
                }),
            );
            set(
                &mut part,
                &format!("/components/messages/{r}"),
                json!({
                    "name": reply_key,
                    "contentType": "application/json",
                    "correlationId": {"location": "$message.header#/correlation_id"},
                    "payload": reply
                }),
            );
            operation.insert(
                "reply".into(),
                json!({
                    "address": {"location": "$message.header#/reply_to"},
                    "channel": {"$ref": format!("#/channels/{r}")},
                    "messages": [{"$ref": format!("#/channels/{r}/messages/reply")}]
                }),
            );
        }
        for (name, schema) in d.components.schemas() {
            set(
                &mut part,
                &format!("/components/schemas/{}", pointer::escape(name)),
                schema.clone(),
            );
        }
    }
    set(&mut part, &format!("/channels/{k}"), Value::Object(channel));
    set(
        &mut part,
        &format!("/operations/{k}"),
        Value::Object(operation),
    );
    set(&mut part, &format!("/components/messages/{k}"), message);
    merge(out, part);
}

/// The channel and operation bindings of what the runtime applies.
fn bindings_json(b: &Bindings, group: Option<&str>) -> (Option<Value>, Option<Value>) {
    let mut channel = Map::new();
    let mut operation = Map::new();
    if let Some(a) = &b.amqp {
        let mut amqp = Map::new();
        amqp.insert(
            "is".into(),
            json!(if a.is_queue { "queue" } else { "routingKey" }),
        );
        if let Some(x) = &a.exchange {
            let kind = x.kind.as_str();
            let mut exchange = json!({"name": x.name, "type": kind, "durable": x.durable, "autoDelete": x.auto_delete});
            if let Some(v) = &x.vhost {
                exchange["vhost"] = json!(v);
            }
            amqp.insert("exchange".into(), exchange);
        }
        if let Some(q) = &a.queue {
            let mut queue = json!({"durable": q.durable, "exclusive": q.exclusive, "autoDelete": q.auto_delete});
            if let Some(n) = &q.name {
                queue["name"] = json!(n);
            }
            if let Some(v) = &q.vhost {
                queue["vhost"] = json!(v);
            }
            amqp.insert("queue".into(), queue);
        }
        amqp.insert("bindingVersion".into(), json!("0.3.0"));
        channel.insert("amqp".into(), Value::Object(amqp));
    }
    if let Some(r) = &b.redis {
        let method = match (r.kind, r.group.is_some()) {
            (RedisKind::PubSub, _) => "subscribe",
            (RedisKind::List, _) => "lpop",
            (RedisKind::Stream, true) => "xreadgroup",
            (RedisKind::Stream, false) => "xread",
        };
        let mut redis = json!({"method": method, "bindingVersion": "custom"});
        if let Some(g) = &r.group {
            redis["groupName"] = json!(g);
        }
        if let Some(c) = &r.consumer {
            redis["consumerName"] = json!(c);
        }
        channel.insert("redis".into(), redis);
    }
    if let Some(k) = &b.kafka {
        if k.partitions.is_some() || k.replicas.is_some() {
            let mut kafka = Map::new();
            if let Some(n) = k.partitions {
                kafka.insert("partitions".into(), json!(n));
            }
            if let Some(n) = k.replicas {
                kafka.insert("replicas".into(), json!(n));
            }
            kafka.insert("bindingVersion".into(), json!("0.5.0"));
            channel.insert("kafka".into(), Value::Object(kafka));
        }
        if let Some(id) = &k.client_id {
            operation.insert(
                "kafka".into(),
                json!({"clientId": {"type": "string", "enum": [id]}, "bindingVersion": "0.5.0"}),
            );
        }
    }
    if let Some(m) = &b.mqtt {
        let mut mqtt = Map::new();
        if let Some(q) = m.qos {
            mqtt.insert("qos".into(), json!(q));
        }
        if let Some(r) = m.retain {
            mqtt.insert("retain".into(), json!(r));
        }
        mqtt.insert("bindingVersion".into(), json!("0.2.0"));
        operation.insert("mqtt".into(), Value::Object(mqtt));
    }
    if let Some(g) = group {
        operation.insert(
            "nats".into(),
            json!({"queue": g, "bindingVersion": "0.1.0"}),
        );
    }
    let wrap = |m: Map<String, Value>| (!m.is_empty()).then_some(Value::Object(m));
    (wrap(channel), wrap(operation))
}
