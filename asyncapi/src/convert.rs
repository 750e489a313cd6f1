//! Conversion between AsyncAPI major versions, on JSON values so that
//! nothing the typed model does not know (extensions, unknown bindings) is
//! lost.
//!
//! 2.x -> 3.x follows the semantics of the official converter: from the
//! application's point of view, a 2.x `publish` operation (others publish,
//! the application receives) becomes a 3.x `receive`, `subscribe` becomes
//! `send`; a server's `url` is split into `host` and `pathname`; an
//! `operationId` becomes the operation's key; messages move under their
//! channel; a message's `schemaFormat` becomes a multi-format payload; the
//! root `tags` and `externalDocs` move into `info`; security requirements
//! become references; local references to moved objects are rewritten.
//!
//! 3.x -> 2.6 is the inverse, used to export a document for 2.x tooling.
//! Everything 2.6 cannot say (reply, several operations of one action on
//! one channel) is reported as a [`ConvertNote`], not silently dropped.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::pointer::{escape, unescape};

/// Something the conversion had to drop or approximate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertNote {
    /// JSON pointer (in the source document) of what the note is about.
    pub pointer: String,
    pub message: String,
}

/// The result of a conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub document: Value,
    pub notes: Vec<ConvertNote>,
}

/// Why a document could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError(pub String);

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

fn obj(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

fn is_ref(v: &Value) -> bool {
    v.as_object().is_some_and(|m| m.contains_key("$ref"))
}

fn ref_to(segments: &[&str]) -> Value {
    let mut s = String::from("#");
    for seg in segments {
        s.push('/');
        s.push_str(&escape(seg));
    }
    json!({ "$ref": s })
}

fn ptr(segments: &[&str]) -> String {
    let mut s = String::new();
    for seg in segments {
        s.push('/');
        s.push_str(&escape(seg));
    }
    s
}

/// Reorders an object's keys: `order` first, the rest after in their
/// original order.
fn sorted(mut m: Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for key in order {
        if let Some(v) = m.remove(*key) {
            out.insert((*key).to_owned(), v);
        }
    }
    out.extend(m);
    out
}

/// Converts a 2.x document to 3.0.0.
pub fn v2_to_v3(doc: &Value) -> Result<Converted, ConvertError> {
    let Some(src) = obj(doc) else {
        return Err(ConvertError("the document is not an object".into()));
    };
    let version = src.get("asyncapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("2.") {
        return Err(ConvertError(format!(
            "expected an AsyncAPI 2.x document, found version `{version}`"
        )));
    }
    let mut cx = V2ToV3 {
        doc: src.clone(),
        refs: Vec::new(),
        notes: Vec::new(),
    };
    let mut out = Map::new();
    for (k, v) in src {
        match k.as_str() {
            "asyncapi" => {
                out.insert(k.clone(), json!("3.0.0"));
            }
            "tags" | "externalDocs" | "channels" | "servers" | "components" => {}
            "info" => {
                let mut info = v.as_object().cloned().unwrap_or_default();
                if let Some(tags) = src.get("tags") {
                    info.insert("tags".into(), tags.clone());
                    cx.refs.push(("/tags".into(), "/info/tags".into()));
                }
                if let Some(docs) = src.get("externalDocs") {
                    info.insert("externalDocs".into(), docs.clone());
                    cx.refs
                        .push(("/externalDocs".into(), "/info/externalDocs".into()));
                }
                out.insert(
                    k.clone(),
                    Value::Object(sorted(
                        info,
                        &[
                            "title",
                            "version",
                            "description",
                            "termsOfService",
                            "contact",
                            "license",
                            "tags",
                            "externalDocs",
                        ],
                    )),
                );
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(servers) = src.get("servers").and_then(Value::as_object) {
        out.insert("servers".into(), Value::Object(cx.servers(servers)));
    }
    let mut operations = Map::new();
    if let Some(channels) = src.get("channels").and_then(Value::as_object) {
        let channels = cx.channels(channels, false, &mut operations);
        out.insert("channels".into(), Value::Object(channels));
    }
    if !operations.is_empty() {
        out.insert("operations".into(), Value::Object(operations));
    }
    if let Some(components) = src.get("components").and_then(Value::as_object) {
        out.insert(
            "components".into(),
            Value::Object(cx.components(components)),
        );
    }
    let mut document = Value::Object(sorted(
        out,
        &[
            "asyncapi",
            "id",
            "info",
            "defaultContentType",
            "servers",
            "channels",
            "operations",
            "components",
        ],
    ));
    // Longest prefixes first, so `/channels/a/publish/message` wins over
    // `/channels/a`.
    cx.refs.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
    rewrite_refs(&mut document, &cx.refs);
    upgrade_amqp_bindings(&mut document, &mut cx.notes);
    Ok(Converted {
        document,
        notes: cx.notes,
    })
}

/// The fields of each amqp binding (0.3.0, the one AsyncAPI 3.x allows).
const AMQP_CHANNEL: &[&str] = &["is", "exchange", "queue", "bindingVersion"];
const AMQP_OPERATION: &[&str] = &[
    "expiration",
    "userId",
    "cc",
    "priority",
    "deliveryMode",
    "mandatory",
    "bcc",
    "timestamp",
    "ack",
    "bindingVersion",
];
const AMQP_MESSAGE: &[&str] = &["contentEncoding", "messageType", "bindingVersion"];

/// 3.x allows amqp bindings of version 0.3.0 only: the 2.x document's
/// (0.1.0, 0.2.0) are written as 0.3.0, and a field 0.3.0 does not have
/// (a message's `replyTo`, an operation's `replyTo`) is dropped, with a
/// note each.
fn upgrade_amqp_bindings(doc: &mut Value, notes: &mut Vec<ConvertNote>) {
    fn upgrade(b: &mut Value, allowed: &[&str], at: String, notes: &mut Vec<ConvertNote>) {
        let Some(amqp) = b.get_mut("amqp").and_then(Value::as_object_mut) else {
            return;
        };
        let dropped: Vec<String> = amqp
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()) && !k.starts_with("x-"))
            .cloned()
            .collect();
        for k in dropped {
            amqp.remove(&k);
            notes.push(ConvertNote {
                pointer: format!("{at}/amqp/{}", escape(&k)),
                message: format!("amqp binding 0.3.0 (AsyncAPI 3.x) has no `{k}`: dropped"),
            });
        }
        // 0.3.0 names a queue or an exchange, as `is` says, not both: the
        // other one (a 0.2.0 queue bound to an exchange) is kept as the
        // extension `x-queue` / `x-exchange`, which this project reads.
        let other = match amqp.get("is").and_then(Value::as_str) {
            Some("routingKey") => Some("queue"),
            Some("queue") => Some("exchange"),
            _ => None,
        };
        if let Some(other) = other
            && let Some(v) = amqp.remove(other)
        {
            amqp.insert(format!("x-{other}"), v);
            notes.push(ConvertNote {
                pointer: format!("{at}/amqp/{other}"),
                message: format!(
                    "amqp binding 0.3.0 (AsyncAPI 3.x) names no {other} on a channel that is a {}: kept as `x-{other}`",
                    if other == "queue" { "routing key" } else { "queue" }
                ),
            });
        }
        // Routing keys are a list in 0.3.0.
        for key in ["cc", "bcc"] {
            if let Some(v) = amqp.get_mut(key)
                && v.is_string()
            {
                *v = Value::Array(vec![v.take()]);
            }
        }
        if let Some(v) = amqp.get_mut("bindingVersion")
            && v.as_str() != Some("0.3.0")
        {
            notes.push(ConvertNote {
                pointer: format!("{at}/amqp/bindingVersion"),
                message: format!(
                    "amqp binding {} written as 0.3.0, the version AsyncAPI 3.x allows",
                    v.as_str().unwrap_or("of another version")
                ),
            });
            *v = json!("0.3.0");
        }
    }
    fn each(v: &mut Value, path: &str, f: &mut dyn FnMut(&mut Value, String)) {
        if let Some(m) = v.as_object_mut() {
            for (k, child) in m.iter_mut() {
                f(child, format!("{path}/{}", escape(k)));
            }
        }
    }
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let channel_messages = |channel: &mut Value, at: &str, notes: &mut Vec<ConvertNote>| {
        if let Some(b) = channel.get_mut("bindings") {
            upgrade(b, AMQP_CHANNEL, format!("{at}/bindings"), notes);
        }
        if let Some(messages) = channel.get_mut("messages") {
            each(messages, &format!("{at}/messages"), &mut |m, at| {
                if let Some(b) = m.get_mut("bindings") {
                    upgrade(b, AMQP_MESSAGE, format!("{at}/bindings"), notes);
                }
            });
        }
    };
    if let Some(channels) = root.get_mut("channels") {
        each(channels, "/channels", &mut |c, at| {
            channel_messages(c, &at, notes)
        });
    }
    if let Some(operations) = root.get_mut("operations") {
        each(operations, "/operations", &mut |o, at| {
            if let Some(b) = o.get_mut("bindings") {
                upgrade(b, AMQP_OPERATION, format!("{at}/bindings"), notes);
            }
        });
    }
    let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) else {
        return;
    };
    for (section, allowed, nested) in [
        ("channels", AMQP_CHANNEL, true),
        ("operations", AMQP_OPERATION, true),
        ("messages", AMQP_MESSAGE, true),
        ("operationTraits", AMQP_OPERATION, true),
        ("messageTraits", AMQP_MESSAGE, true),
        ("channelBindings", AMQP_CHANNEL, false),
        ("operationBindings", AMQP_OPERATION, false),
        ("messageBindings", AMQP_MESSAGE, false),
    ] {
        let Some(items) = components.get_mut(section) else {
            continue;
        };
        let base = format!("/components/{section}");
        each(items, &base, &mut |item, at| {
            if section == "channels" {
                channel_messages(item, &at, notes);
            } else if nested {
                if let Some(b) = item.get_mut("bindings") {
                    upgrade(b, allowed, format!("{at}/bindings"), notes);
                }
            } else {
                upgrade(item, allowed, at, notes);
            }
        });
    }
}

struct V2ToV3 {
    doc: Map<String, Value>,
    /// (old pointer prefix, new pointer prefix) for local refs.
    refs: Vec<(String, String)>,
    notes: Vec<ConvertNote>,
}

impl V2ToV3 {
    fn servers(&mut self, servers: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, server) in servers {
            let Some(s) = server.as_object().filter(|_| !is_ref(server)) else {
                out.insert(name.clone(), server.clone());
                continue;
            };
            let mut s = s.clone();
            if let Some(url) = s.remove("url") {
                let url = url.as_str().unwrap_or_default();
                let (scheme, rest) = match url.split_once("://") {
                    Some((scheme, rest)) => (Some(scheme), rest),
                    None => (None, url),
                };
                let (host, pathname) = match rest.split_once('/') {
                    Some((host, path)) => (host, Some(format!("/{path}"))),
                    None => (rest, None),
                };
                s.insert("host".into(), json!(host));
                if let Some(p) = pathname {
                    s.insert("pathname".into(), json!(p));
                }
                if let (Some(scheme), false) = (scheme, s.contains_key("protocol")) {
                    s.insert("protocol".into(), json!(scheme));
                }
            }
            if let Some(sec) = s.get("security").cloned() {
                s.insert("security".into(), self.security(&sec));
            }
            out.insert(
                name.clone(),
                Value::Object(sorted(
                    s,
                    &[
                        "host",
                        "pathname",
                        "protocol",
                        "protocolVersion",
                        "title",
                        "summary",
                        "description",
                        "variables",
                        "security",
                        "tags",
                        "externalDocs",
                        "bindings",
                    ],
                )),
            );
        }
        out
    }

    /// `[{name: [scopes]}]` -> `[{$ref}]`, or an inline copy with `scopes`
    /// for oauth2/openIdConnect requirements that name scopes.
    fn security(&mut self, requirements: &Value) -> Value {
        let mut out = Vec::new();
        for req in requirements.as_array().into_iter().flatten() {
            for (name, scopes) in req.as_object().into_iter().flatten() {
                let scopes = scopes.as_array().cloned().unwrap_or_default();
                let reference = ref_to(&["components", "securitySchemes", name]);
                if scopes.is_empty() {
                    out.push(reference);
                    continue;
                }
                let scheme = self
                    .doc
                    .get("components")
                    .and_then(|c| c.get("securitySchemes"))
                    .and_then(|s| s.get(name))
                    .filter(|s| !is_ref(s));
                match scheme {
                    Some(scheme) => {
                        let mut scheme = security_scheme(scheme);
                        if let Some(m) = scheme.as_object_mut() {
                            m.insert("scopes".into(), Value::Array(scopes));
                        }
                        out.push(scheme);
                    }
                    None => out.push(reference),
                }
            }
        }
        Value::Array(out)
    }

    fn channels(
        &mut self,
        channels: &Map<String, Value>,
        in_components: bool,
        operations: &mut Map<String, Value>,
    ) -> Map<String, Value> {
        let base: &[&str] = if in_components {
            &["components", "channels"]
        } else {
            &["channels"]
        };
        let mut out = Map::new();
        for (address, channel) in channels {
            let id = channel
                .get("x-channelId")
                .and_then(Value::as_str)
                .filter(|_| !is_ref(channel))
                .unwrap_or(address)
                .to_owned();
            let old_path = [base, &[address.as_str()]].concat();
            let new_path = [base, &[id.as_str()]].concat();
            self.refs.push((ptr(&old_path), ptr(&new_path)));
            let Some(c) = channel.as_object().filter(|_| !is_ref(channel)) else {
                out.insert(id, channel.clone());
                continue;
            };
            let mut c = c.clone();
            let publish = c.remove("publish");
            let subscribe = c.remove("subscribe");
            c.insert("address".into(), json!(address));
            if let Some(servers) = c.get("servers").and_then(Value::as_array) {
                let refs = servers
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| ref_to(&["servers", s]))
                    .collect();
                c.insert("servers".into(), Value::Array(refs));
            }
            if let Some(params) = c.get("parameters").and_then(Value::as_object) {
                let params = self.parameters(params, &ptr(&old_path));
                c.insert("parameters".into(), Value::Object(params));
            }
            let mut messages = Map::new();
            for (kind, op) in [("publish", publish), ("subscribe", subscribe)] {
                let Some(op) = op else { continue };
                let (op_id, op) =
                    self.operation(kind, &op, &id, &old_path, &new_path, &mut messages);
                let op_base: &[&str] = if in_components {
                    &["components", "operations"]
                } else {
                    &["operations"]
                };
                self.refs.push((
                    ptr(&[old_path.as_slice(), &[kind]].concat()),
                    ptr(&[op_base, &[op_id.as_str()]].concat()),
                ));
                if in_components {
                    self.notes.push(ConvertNote {
                        pointer: ptr(&[old_path.as_slice(), &[kind]].concat()),
                        message: "operation of a component channel moved to components/operations"
                            .into(),
                    });
                }
                if operations.contains_key(&op_id) {
                    self.notes.push(ConvertNote {
                        pointer: ptr(&[old_path.as_slice(), &[kind]].concat()),
                        message: format!(
                            "operation id `{op_id}` is used twice; the later one wins"
                        ),
                    });
                }
                operations.insert(op_id, op);
            }
            if !messages.is_empty() {
                c.insert("messages".into(), Value::Object(messages));
            }
            out.insert(
                id,
                Value::Object(sorted(
                    c,
                    &[
                        "address",
                        "messages",
                        "title",
                        "summary",
                        "description",
                        "servers",
                        "parameters",
                        "tags",
                        "externalDocs",
                        "bindings",
                    ],
                )),
            );
        }
        out
    }

    fn operation(
        &mut self,
        kind: &str,
        op: &Value,
        channel_id: &str,
        old_channel: &[&str],
        new_channel: &[&str],
        channel_messages: &mut Map<String, Value>,
    ) -> (String, Value) {
        let mut o = op.as_object().cloned().unwrap_or_default();
        let op_id = o
            .remove("operationId")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{channel_id}.{kind}"));
        o.insert(
            "action".into(),
            json!(if kind == "publish" { "receive" } else { "send" }),
        );
        o.insert("channel".into(), ref_to(new_channel));
        if let Some(sec) = o.get("security").cloned() {
            o.insert("security".into(), self.security(&sec));
        }
        let old_message = [old_channel, &[kind, "message"]].concat();
        let new_messages = [new_channel, &["messages"]].concat();
        let short = op_id.rsplit('.').next().unwrap_or(&op_id).to_owned();
        if let Some(message) = o.remove("message") {
            let list: Vec<(Vec<String>, String, Value)> =
                match message.get("oneOf").and_then(Value::as_array) {
                    Some(items) if !is_ref(&message) => items
                        .iter()
                        .enumerate()
                        .map(|(i, m)| {
                            let id = self
                                .message_id(m)
                                .unwrap_or_else(|| format!("{short}.message.{i}"));
                            let mut path: Vec<String> =
                                old_message.iter().map(|s| (*s).to_owned()).collect();
                            path.push("oneOf".into());
                            path.push(i.to_string());
                            (path, id, m.clone())
                        })
                        .collect(),
                    _ => {
                        let id = self
                            .message_id(&message)
                            .unwrap_or_else(|| format!("{short}.message"));
                        let path = old_message.iter().map(|s| (*s).to_owned()).collect();
                        vec![(path, id, message.clone())]
                    }
                };
            let mut refs = Vec::new();
            for (old_path, id, m) in list {
                let old: Vec<&str> = old_path.iter().map(String::as_str).collect();
                let new = [new_messages.as_slice(), &[id.as_str()]].concat();
                self.refs.push((ptr(&old), ptr(&new)));
                refs.push(ref_to(&new));
                channel_messages.insert(id, message_v3(&m));
            }
            o.insert("messages".into(), Value::Array(refs));
        }
        let o = sorted(
            o,
            &[
                "action",
                "channel",
                "title",
                "summary",
                "description",
                "security",
                "tags",
                "externalDocs",
                "bindings",
                "traits",
                "messages",
            ],
        );
        (op_id, Value::Object(o))
    }

    /// The id of a 2.x message: its `messageId`, or that of the component
    /// it references.
    fn message_id(&self, m: &Value) -> Option<String> {
        if let Some(id) = m.get("messageId").and_then(Value::as_str) {
            return Some(id.to_owned());
        }
        let target = m
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| resolve_pointer(&self.doc, p))?;
        if let Some(id) = target.get("messageId").and_then(Value::as_str) {
            return Some(id.to_owned());
        }
        None
    }

    fn parameters(&mut self, params: &Map<String, Value>, at: &str) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, p) in params {
            if is_ref(p) {
                out.insert(name.clone(), json!({ "$ref": p["$ref"] }));
                continue;
            }
            let mut np = Map::new();
            let schema = p.get("schema");
            if schema.is_some_and(is_ref) {
                self.notes.push(ConvertNote {
                    pointer: format!("{at}/parameters/{}/schema", escape(name)),
                    message: "a parameter schema given by reference cannot be converted; its \
                              enum, default and examples are not carried over"
                        .into(),
                });
            }
            for (k, v) in p.as_object().into_iter().flatten() {
                if !matches!(k.as_str(), "schema" | "description" | "location") {
                    np.insert(k.clone(), v.clone());
                }
            }
            if let Some(e) = schema.and_then(|s| s.get("enum")) {
                np.insert("enum".into(), stringify_all(e));
            }
            if let Some(d) = schema.and_then(|s| s.get("default")) {
                np.insert("default".into(), stringify(d));
            }
            if let Some(d) = p
                .get("description")
                .or_else(|| schema.and_then(|s| s.get("description")))
            {
                np.insert("description".into(), d.clone());
            }
            if let Some(e) = schema.and_then(|s| s.get("examples")) {
                np.insert("examples".into(), stringify_all(e));
            }
            if let Some(l) = p.get("location") {
                np.insert("location".into(), l.clone());
            }
            out.insert(name.clone(), Value::Object(np));
        }
        out
    }

    fn components(&mut self, components: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        let mut operations = Map::new();
        for (k, v) in components {
            let Some(m) = v.as_object() else {
                out.insert(k.clone(), v.clone());
                continue;
            };
            let converted = match k.as_str() {
                "servers" => Value::Object(self.servers(m)),
                "channels" => Value::Object(self.channels(m, true, &mut operations)),
                "securitySchemes" => Value::Object(
                    m.iter()
                        .map(|(n, s)| (n.clone(), security_scheme(s)))
                        .collect(),
                ),
                "messages" => Value::Object(
                    m.iter()
                        .map(|(n, msg)| (n.clone(), message_v3(msg)))
                        .collect(),
                ),
                "parameters" => Value::Object(self.parameters(m, "/components")),
                _ => v.clone(),
            };
            out.insert(k.clone(), converted);
        }
        if !operations.is_empty() {
            out.insert("operations".into(), Value::Object(operations));
        }
        out
    }
}

fn stringify(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        other => Value::String(other.to_string()),
    }
}

fn stringify_all(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(stringify).collect()),
        other => other.clone(),
    }
}

/// 2.x message -> 3.x: `schemaFormat` moves into a multi-format payload;
/// `messageId` is dropped (it becomes the key).
fn message_v3(m: &Value) -> Value {
    let Some(mm) = m.as_object().filter(|_| !is_ref(m)) else {
        return m.clone();
    };
    let mut mm = mm.clone();
    mm.remove("messageId");
    if let Some(format) = mm.remove("schemaFormat") {
        let payload = mm.remove("payload").unwrap_or(Value::Null);
        mm.insert(
            "payload".into(),
            json!({ "schemaFormat": format, "schema": payload }),
        );
    }
    Value::Object(mm)
}

/// `flows.*.scopes` -> `flows.*.availableScopes`.
fn security_scheme(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(flows) = s.get_mut("flows").and_then(Value::as_object_mut) {
        for flow in flows.values_mut() {
            if let Some(f) = flow.as_object_mut()
                && let Some(scopes) = f.remove("scopes")
            {
                f.insert("availableScopes".into(), scopes);
            }
        }
    }
    s
}

/// Resolves a JSON pointer (`/a/b`, already without `#`) in an object.
pub fn resolve_pointer<'a>(root: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    let mut segments = pointer.split('/');
    if segments.next() != Some("") {
        return None;
    }
    let first = segments.next()?;
    let mut cur = root.get(&unescape(first))?;
    for seg in segments {
        let seg = unescape(seg);
        cur = match cur {
            Value::Object(m) => m.get(&seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Rewrites local `$ref`s whose pointer starts with a moved prefix.
fn rewrite_refs(v: &mut Value, refs: &[(String, String)]) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "$ref" {
                    if let Value::String(r) = child
                        && let Some(p) = r.strip_prefix('#')
                    {
                        for (old, new) in refs {
                            if let Some(rest) = p.strip_prefix(old.as_str())
                                && (rest.is_empty() || rest.starts_with('/'))
                            {
                                *r = format!("#{new}{rest}");
                                break;
                            }
                        }
                    }
                } else {
                    rewrite_refs(child, refs);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_refs(c, refs)),
        _ => {}
    }
}

/// Converts a 3.x document to 2.6.0.
pub fn v3_to_v2(doc: &Value) -> Result<Converted, ConvertError> {
    let Some(src) = obj(doc) else {
        return Err(ConvertError("the document is not an object".into()));
    };
    let version = src.get("asyncapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(ConvertError(format!(
            "expected an AsyncAPI 3.x document, found version `{version}`"
        )));
    }
    let mut notes = Vec::new();
    // 2.x tools refuse a message example that breaks its schema (3.x ones
    // warn): such examples are left out, each with a note.
    let cleaned = without_nonconforming_examples(doc, &mut notes);
    let (doc, src) = match &cleaned {
        Some(d) => (d, obj(d).unwrap_or(src)),
        None => (doc, src),
    };
    let mut out = Map::new();
    out.insert("asyncapi".into(), json!("2.6.0"));
    for (k, v) in src {
        match k.as_str() {
            "asyncapi" | "servers" | "channels" | "operations" | "components" => {}
            "info" => {
                let mut info = v.as_object().cloned().unwrap_or_default();
                let tags = info.remove("tags");
                let docs = info.remove("externalDocs");
                out.insert("info".into(), Value::Object(info));
                if let Some(t) = tags {
                    out.insert("tags".into(), t);
                }
                if let Some(d) = docs {
                    out.insert("externalDocs".into(), d);
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(servers) = src.get("servers").and_then(Value::as_object) {
        let mut s2 = Map::new();
        for (name, s) in servers {
            s2.insert(name.clone(), server_v2(s));
        }
        out.insert("servers".into(), Value::Object(s2));
    }
    // channel id -> (address, 2.x channel item)
    let mut channels: IndexMap<String, (String, Map<String, Value>)> = IndexMap::new();
    for (id, c) in src
        .get("channels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let deref = deref_local(src, c);
        let address = deref
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_owned();
        let mut item = Map::new();
        for (k, v) in deref.as_object().into_iter().flatten() {
            match k.as_str() {
                "address" | "messages" | "title" | "summary" | "tags" | "externalDocs" => {}
                "servers" => {
                    let names: Vec<Value> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.get("$ref").and_then(Value::as_str))
                        .filter_map(|r| r.rsplit('/').next())
                        .map(|n| json!(unescape(n)))
                        .collect();
                    item.insert("servers".into(), Value::Array(names));
                }
                "parameters" => {
                    let params = v
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, p)| (n.clone(), parameter_v2(p)))
                        .collect();
                    item.insert("parameters".into(), Value::Object(params));
                }
                _ => {
                    item.insert(k.clone(), v.clone());
                }
            }
        }
        channels.insert(id.clone(), (address, item));
    }
    for (op_id, op) in src
        .get("operations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let op = deref_local(src, op);
        let at = format!("/operations/{}", escape(op_id));
        let channel_id = op
            .get("channel")
            .and_then(|c| c.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/channels/"))
            .map(unescape);
        let Some(channel_id) = channel_id else {
            notes.push(ConvertNote {
                pointer: at,
                message: "operation does not reference a channel of this document; dropped".into(),
            });
            continue;
        };
        let kind = match op.get("action").and_then(Value::as_str) {
            Some("receive") => "publish",
            _ => "subscribe",
        };
        let Some((_, item)) = channels.get_mut(&channel_id) else {
            notes.push(ConvertNote {
                pointer: at,
                message: format!("channel `{channel_id}` not found; operation dropped"),
            });
            continue;
        };
        if item.contains_key(kind) {
            notes.push(ConvertNote {
                pointer: at,
                message: format!(
                    "2.6 allows one `{kind}` operation per channel; this one is dropped"
                ),
            });
            continue;
        }
        if op.get("reply").is_some() {
            notes.push(ConvertNote {
                pointer: format!("{at}/reply"),
                message: "2.6 has no request/reply; the reply is dropped".into(),
            });
        }
        let mut o = Map::new();
        o.insert("operationId".into(), json!(op_id));
        for (k, v) in op.as_object().into_iter().flatten() {
            match k.as_str() {
                "action" | "channel" | "messages" | "reply" | "title" => {}
                "security" => {
                    o.insert("security".into(), security_v2(src, v));
                }
                _ => {
                    o.insert(k.clone(), v.clone());
                }
            }
        }
        // The operation's messages, or all of the channel's.
        let channel = src
            .get("channels")
            .and_then(|c| c.get(&channel_id))
            .map(|c| deref_local(src, c))
            .unwrap_or(Value::Null);
        let message_refs: Vec<Value> = match op.get("messages").and_then(Value::as_array) {
            Some(refs) => refs.clone(),
            None => channel
                .get("messages")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| ref_to(&["channels", &channel_id, "messages", k]))
                .collect(),
        };
        let mut messages = Vec::new();
        for r in &message_refs {
            let Some(m) = message_for_v2(src, r) else {
                continue;
            };
            messages.push(m);
        }
        match messages.len() {
            0 => {}
            1 => {
                o.insert("message".into(), messages.remove(0));
            }
            _ => {
                o.insert("message".into(), json!({ "oneOf": messages }));
            }
        }
        item.insert(kind.into(), Value::Object(o));
    }
    let mut ch2 = Map::new();
    for (id, (address, item)) in channels {
        if ch2.contains_key(&address) {
            notes.push(ConvertNote {
                pointer: format!("/channels/{}", escape(&id)),
                message: format!(
                    "another channel already has the address `{address}`; 2.6 keys channels by address, so this one is dropped"
                ),
            });
            continue;
        }
        ch2.insert(address, Value::Object(item));
    }
    out.insert("channels".into(), Value::Object(ch2));
    if let Some(components) = src.get("components").and_then(Value::as_object) {
        let mut c2 = Map::new();
        // Component schemas in another format than JSON Schema, reached
        // only as such a message payload: 2.6 has the payload inline (see
        // `message_v2`) and no place for them among its schemas.
        let (foreign, elsewhere) = foreign_schemas(doc);
        for (k, v) in components {
            let converted = match k.as_str() {
                "schemas" => Value::Object(
                    v.as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(n, _)| {
                            let at = format!("/components/schemas/{}", escape(n));
                            !foreign.contains(&at) || elsewhere.contains(&at)
                        })
                        .map(|(n, s)| (n.clone(), s.clone()))
                        .collect(),
                ),
                "messages" => Value::Object(
                    v.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, m)| (n.clone(), message_v2(src, m)))
                        .collect(),
                ),
                "securitySchemes" => Value::Object(
                    v.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, s)| (n.clone(), security_scheme_v2(s)))
                        .collect(),
                ),
                "parameters" => Value::Object(
                    v.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, p)| (n.clone(), parameter_v2(p)))
                        .collect(),
                ),
                "servers" => Value::Object(
                    v.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, s)| (n.clone(), server_v2(s)))
                        .collect(),
                ),
                "operations" | "channels" | "replies" | "replyAddresses" | "tags"
                | "externalDocs" => {
                    notes.push(ConvertNote {
                        pointer: format!("/components/{k}"),
                        message: format!("2.6 has no `components.{k}`; dropped"),
                    });
                    continue;
                }
                _ => v.clone(),
            };
            c2.insert(k.clone(), converted);
        }
        out.insert("components".into(), Value::Object(c2));
    }
    Ok(Converted {
        document: Value::Object(out),
        notes,
    })
}

/// Follows a local `$ref` (one level at a time, at most 32).
fn deref_local(root: &Map<String, Value>, v: &Value) -> Value {
    follow(root, v).clone()
}

/// What a chain of local `$ref`s ends at (at most 32 steps).
fn follow<'a>(root: &'a Map<String, Value>, v: &'a Value) -> &'a Value {
    crate::pointer::follow_refs(v, |p| resolve_pointer(root, p))
}

/// A 3.x operation's message reference -> the 2.x message: a reference to
/// `components/messages` stays a reference, anything else is inlined.
fn message_for_v2(root: &Map<String, Value>, r: &Value) -> Option<Value> {
    let mut cur = r.clone();
    for _ in 0..32 {
        let Some(reference) = cur.get("$ref").and_then(Value::as_str) else {
            return Some(message_v2(root, &cur));
        };
        if reference.starts_with("#/components/messages/") {
            return Some(cur);
        }
        cur = resolve_pointer(root, reference.strip_prefix('#')?)?.clone();
    }
    None
}

/// The JSON Schema a message's `payload` or `headers` is, if it is one (a
/// multi-format schema in another format is not).
fn json_schema_of<'a>(root: &'a Map<String, Value>, part: &'a Value) -> Option<&'a Value> {
    let target = follow(root, part);
    match (target.get("schemaFormat"), target.get("schema")) {
        (Some(format), Some(schema)) => is_json_schema_format(format).then_some(schema),
        (Some(_), None) => None,
        _ => Some(part),
    }
}

/// The document without the message examples whose payload or headers
/// break their schema (`None` when every example conforms), with a note for
/// each one left out.
fn without_nonconforming_examples(doc: &Value, notes: &mut Vec<ConvertNote>) -> Option<Value> {
    let root = obj(doc)?;
    let mut messages: Vec<(String, &Value)> = Vec::new();
    for (id, c) in doc
        .get("channels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (name, m) in c
            .get("messages")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            messages.push((
                format!("/channels/{}/messages/{}", escape(id), escape(name)),
                m,
            ));
        }
    }
    for (name, m) in doc
        .pointer("/components/messages")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        messages.push((format!("/components/messages/{}", escape(name)), m));
    }
    let mut dropped: Vec<(String, usize)> = Vec::new();
    for (at, m) in messages {
        let Some(examples) = m.get("examples").and_then(Value::as_array) else {
            continue;
        };
        for (i, example) in examples.iter().enumerate() {
            let broken = ["payload", "headers"].into_iter().find_map(|part| {
                let schema = json_schema_of(root, m.get(part)?)?;
                let violation = crate::schema_check::check(doc, schema, example.get(part)?)
                    .into_iter()
                    .next()?;
                Some(format!(
                    "its {part} at `{}`: {}",
                    violation.path, violation.message
                ))
            });
            if let Some(why) = broken {
                notes.push(ConvertNote {
                    pointer: format!("{at}/examples/{i}"),
                    message: format!(
                        "2.6 tools refuse a message example that breaks its schema ({why}); left out"
                    ),
                });
                dropped.push((format!("{at}/examples"), i));
            }
        }
    }
    if dropped.is_empty() {
        return None;
    }
    let mut cleaned = doc.clone();
    // Highest index first, so the others stay where they are.
    for (examples, i) in dropped.iter().rev() {
        if let Some(list) = cleaned.pointer_mut(examples).and_then(Value::as_array_mut) {
            list.remove(*i);
        }
    }
    for (examples, _) in &dropped {
        let empty = cleaned
            .pointer(examples)
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
        if empty
            && let Some((message, _)) = examples.rsplit_once('/')
            && let Some(m) = cleaned.pointer_mut(message).and_then(Value::as_object_mut)
        {
            m.remove("examples");
        }
    }
    Some(cleaned)
}

/// Whether a schema format is JSON Schema (or AsyncAPI's, a superset).
fn is_json_schema_format(format: &Value) -> bool {
    format.as_str().is_none_or(|f| {
        f.starts_with("application/vnd.aai.asyncapi")
            || f.starts_with("application/schema+json")
            || f.starts_with("application/schema+yaml")
    })
}

/// The pointers referenced as the `schema` of a multi-format schema in
/// another format than JSON Schema, and the pointers referenced anywhere
/// else.
fn foreign_schemas(doc: &Value) -> (Vec<String>, Vec<String>) {
    fn walk(v: &Value, foreign: &mut Vec<String>, elsewhere: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                let multi = m
                    .get("schemaFormat")
                    .filter(|f| !is_json_schema_format(f))
                    .and(m.get("schema"));
                for (k, child) in m {
                    if k == "$ref" {
                        if let Some(p) = child.as_str().and_then(|r| r.strip_prefix('#')) {
                            elsewhere.push(p.to_owned());
                        }
                    } else if k == "schema"
                        && multi.is_some()
                        && let Some(p) = child
                            .get("$ref")
                            .and_then(Value::as_str)
                            .and_then(|r| r.strip_prefix('#'))
                    {
                        foreign.push(p.to_owned());
                    } else {
                        walk(child, foreign, elsewhere);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, foreign, elsewhere)),
            _ => {}
        }
    }
    let (mut foreign, mut elsewhere) = (Vec::new(), Vec::new());
    walk(doc, &mut foreign, &mut elsewhere);
    (foreign, elsewhere)
}

/// A 3.x message -> 2.x: a multi-format payload becomes `schemaFormat` and
/// `payload`. 2.x allows no local `$ref` as the payload of a message with
/// a schema format other than AsyncAPI's or JSON Schema's (an Avro schema,
/// ...): such a payload is inlined.
fn message_v2(root: &Map<String, Value>, m: &Value) -> Value {
    let Some(mm) = m.as_object().filter(|_| !is_ref(m)) else {
        return m.clone();
    };
    let mut mm = mm.clone();
    if let Some(payload) = mm.get("payload").cloned()
        && let (Some(format), Some(schema)) = (payload.get("schemaFormat"), payload.get("schema"))
    {
        let schema = if is_json_schema_format(format) {
            schema.clone()
        } else {
            deref_local(root, schema)
        };
        mm.insert("schemaFormat".into(), format.clone());
        mm.insert("payload".into(), schema);
    }
    Value::Object(mm)
}

fn server_v2(s: &Value) -> Value {
    let Some(m) = s.as_object().filter(|_| !is_ref(s)) else {
        return s.clone();
    };
    let mut out = Map::new();
    let host = m.get("host").and_then(Value::as_str).unwrap_or_default();
    let path = m
        .get("pathname")
        .and_then(Value::as_str)
        .unwrap_or_default();
    out.insert("url".into(), json!(format!("{host}{path}")));
    for (k, v) in m {
        match k.as_str() {
            "host" | "pathname" | "title" | "summary" | "externalDocs" => {}
            "security" => {
                let reqs = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        let name = r.get("$ref")?.as_str()?.rsplit('/').next()?;
                        Some(json!({ unescape(name): r.get("scopes").cloned().unwrap_or(json!([])) }))
                    })
                    .collect();
                out.insert("security".into(), Value::Array(reqs));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

fn security_v2(root: &Map<String, Value>, v: &Value) -> Value {
    let mut reqs = Vec::new();
    for s in v.as_array().into_iter().flatten() {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if let Some(name) = r.rsplit('/').next() {
                reqs.push(json!({ unescape(name): [] }));
            }
            continue;
        }
        // An inline scheme with scopes: find the component it copies.
        let ty = s.get("type");
        let name = root
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .find(|(_, c)| c.get("type") == ty)
            .map(|(n, _)| n.clone());
        if let Some(name) = name {
            reqs.push(json!({ name: s.get("scopes").cloned().unwrap_or(json!([])) }));
        }
    }
    Value::Array(reqs)
}

fn security_scheme_v2(s: &Value) -> Value {
    let mut s = s.clone();
    if let Some(flows) = s.get_mut("flows").and_then(Value::as_object_mut) {
        for flow in flows.values_mut() {
            if let Some(f) = flow.as_object_mut()
                && let Some(scopes) = f.remove("availableScopes")
            {
                f.insert("scopes".into(), scopes);
            }
        }
    }
    s
}

fn parameter_v2(p: &Value) -> Value {
    let Some(m) = p.as_object().filter(|_| !is_ref(p)) else {
        return p.clone();
    };
    let mut out = Map::new();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("string"));
    for (k, v) in m {
        match k.as_str() {
            "enum" | "default" | "examples" => {
                schema.insert(k.clone(), v.clone());
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out.insert("schema".into(), Value::Object(schema));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_to_v2_leaves_out_examples_that_break_their_schema() {
        let v3 = json!({
            "asyncapi": "3.0.0",
            "info": { "title": "T", "version": "1" },
            "channels": {
                "status": {
                    "address": "status",
                    "messages": {
                        "status": {
                            "payload": { "$ref": "#/components/schemas/status" },
                            "examples": [
                                { "payload": { "depth": 10 } },
                                { "name": "bad", "payload": { "depth": 42 } }
                            ]
                        }
                    }
                }
            },
            "operations": {
                "onStatus": { "action": "receive", "channel": { "$ref": "#/channels/status" } }
            },
            "components": {
                "schemas": {
                    "status": { "type": "object", "properties": { "depth": { "enum": [10, 25] } } }
                },
                "messages": {
                    "avro": {
                        "payload": { "schemaFormat": "application/vnd.apache.avro;version=1.9.0", "schema": { "type": "int" } },
                        "examples": [{ "payload": "not checked: not JSON Schema" }]
                    },
                    "allBad": {
                        "headers": { "type": "object", "required": ["id"] },
                        "examples": [{ "headers": {} }]
                    }
                }
            }
        });
        let c = v3_to_v2(&v3).unwrap();
        let d = &c.document;
        assert_eq!(
            d["channels"]["status"]["publish"]["message"]["examples"],
            json!([{ "payload": { "depth": 10 } }])
        );
        assert_eq!(
            d["components"]["messages"]["avro"]["examples"],
            json!([{ "payload": "not checked: not JSON Schema" }])
        );
        assert!(
            d["components"]["messages"]["allBad"]
                .get("examples")
                .is_none()
        );
        let notes: Vec<&str> = c.notes.iter().map(|n| n.pointer.as_str()).collect();
        assert_eq!(
            notes,
            [
                "/channels/status/messages/status/examples/1",
                "/components/messages/allBad/examples/0"
            ]
        );
        assert!(
            c.notes[0]
                .message
                .contains("its payload at `/depth`: 42 is not one of 10, 25"),
            "{}",
            c.notes[0].message
        );
        // The source is untouched, and 3.x keeps every example.
        assert_eq!(
            v3["channels"]["status"]["messages"]["status"]["examples"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn v2_to_v3_follows_the_official_converter() {
        let v2 = json!({
            "asyncapi": "2.6.0",
            "info": { "title": "T", "version": "1" },
            "tags": [{ "name": "t" }],
            "servers": {
                "prod": {
                    "url": "mqtt://broker.example.com:1883/base/path",
                    "protocol": "mqtt",
                    "security": [{ "oauth": ["write"] }, { "key": [] }]
                }
            },
            "channels": {
                "user/{id}": {
                    "parameters": { "id": { "schema": { "type": "string", "enum": ["a", "b"] } } },
                    "publish": {
                        "operationId": "onUser",
                        "message": { "messageId": "userEvent", "schemaFormat": "application/vnd.apache.avro;version=1.9.0", "payload": { "type": "record" } }
                    },
                    "subscribe": {
                        "message": { "oneOf": [{ "$ref": "#/components/messages/A" }, { "payload": { "type": "string" } }] }
                    }
                }
            },
            "components": {
                "messages": { "A": { "payload": { "type": "integer" } } },
                "securitySchemes": {
                    "oauth": { "type": "oauth2", "flows": { "implicit": { "authorizationUrl": "https://a", "scopes": { "write": "w" } } } },
                    "key": { "type": "httpApiKey", "name": "k", "in": "header" }
                }
            }
        });
        let c = v2_to_v3(&v2).unwrap();
        let d = &c.document;
        assert_eq!(d["asyncapi"], "3.0.0");
        assert_eq!(d["info"]["tags"], json!([{ "name": "t" }]));
        assert_eq!(d["servers"]["prod"]["host"], "broker.example.com:1883");
        assert_eq!(d["servers"]["prod"]["pathname"], "/base/path");
        assert_eq!(
            d["servers"]["prod"]["security"][1],
            json!({ "$ref": "#/components/securitySchemes/key" })
        );
        assert_eq!(
            d["servers"]["prod"]["security"][0]["scopes"],
            json!(["write"])
        );
        assert_eq!(
            d["components"]["securitySchemes"]["oauth"]["flows"]["implicit"]["availableScopes"],
            json!({ "write": "w" })
        );
        let ch = &d["channels"]["user/{id}"];
        assert_eq!(ch["address"], "user/{id}");
        assert_eq!(ch["parameters"]["id"], json!({ "enum": ["a", "b"] }));
        assert_eq!(
            ch["messages"]["userEvent"]["payload"]["schemaFormat"],
            "application/vnd.apache.avro;version=1.9.0"
        );
        assert_eq!(d["operations"]["onUser"]["action"], "receive");
        assert_eq!(
            d["operations"]["onUser"]["channel"],
            json!({ "$ref": "#/channels/user~1{id}" })
        );
        assert_eq!(
            d["operations"]["onUser"]["messages"],
            json!([{ "$ref": "#/channels/user~1{id}/messages/userEvent" }])
        );
        let send = &d["operations"]["user/{id}.subscribe"];
        assert_eq!(send["action"], "send");
        assert_eq!(send["messages"].as_array().unwrap().len(), 2);
        assert_eq!(
            ch["messages"]["subscribe.message.0"],
            json!({ "$ref": "#/components/messages/A" })
        );
    }

    #[test]
    fn v3_to_v2_reports_what_it_drops() {
        let v3 = json!({
            "asyncapi": "3.0.0",
            "info": { "title": "T", "version": "1" },
            "channels": { "c": { "address": "a.b", "messages": { "m": { "payload": { "type": "string" } } } } },
            "operations": {
                "one": { "action": "receive", "channel": { "$ref": "#/channels/c" }, "reply": { "channel": { "$ref": "#/channels/c" } } },
                "two": { "action": "receive", "channel": { "$ref": "#/channels/c" } }
            }
        });
        let c = v3_to_v2(&v3).unwrap();
        assert_eq!(
            c.document["channels"]["a.b"]["publish"]["operationId"],
            "one"
        );
        assert_eq!(
            c.document["channels"]["a.b"]["publish"]["message"],
            json!({ "payload": { "type": "string" } })
        );
        assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
        assert!(c.notes.iter().any(|n| n.pointer == "/operations/one/reply"));
        assert!(c.notes.iter().any(|n| n.pointer == "/operations/two"));
    }

    #[test]
    fn amqp_bindings_become_0_3_0_and_keep_what_it_cannot_say() {
        let doc = json!({
            "asyncapi": "2.6.0",
            "info": {"title": "t", "version": "1"},
            "channels": {"logs": {
                "bindings": {"amqp": {
                    "is": "routingKey",
                    "exchange": {"name": "logs", "type": "topic"},
                    "queue": {"name": "logs.info", "durable": true},
                    "bindingVersion": "0.2.0"
                }},
                "subscribe": {
                    "operationId": "onLog",
                    "bindings": {"amqp": {"cc": "*.info", "bindingVersion": "0.2.0"}},
                    "message": {"payload": {"type": "string"},
                        "bindings": {"amqp": {"replyTo": "x", "messageType": "log"}}}
                }
            }}
        });
        let c = v2_to_v3(&doc).unwrap();
        let amqp = &c.document["channels"]["logs"]["bindings"]["amqp"];
        assert_eq!(amqp["bindingVersion"], "0.3.0");
        assert!(amqp.get("queue").is_none());
        assert_eq!(amqp["x-queue"]["name"], "logs.info");
        assert_eq!(amqp["exchange"]["name"], "logs");
        let op = &c.document["operations"]["onLog"]["bindings"]["amqp"];
        assert_eq!(op["cc"], json!(["*.info"]));
        assert_eq!(op["bindingVersion"], "0.3.0");
        let message = c.document["channels"]["logs"]["messages"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone();
        let message = match message.get("$ref").and_then(Value::as_str) {
            Some(r) => c
                .document
                .pointer(r.trim_start_matches('#'))
                .unwrap()
                .clone(),
            None => message,
        };
        assert_eq!(message["bindings"]["amqp"], json!({"messageType": "log"}));
        assert!(
            c.notes.iter().any(|n| n.message.contains("`replyTo`")),
            "{:?}",
            c.notes
        );
        assert!(
            c.notes.iter().any(|n| n.message.contains("`x-queue`")),
            "{:?}",
            c.notes
        );
    }
}
