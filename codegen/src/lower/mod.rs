//! Lowering: a bundled 3.x document (2.x converted first) -> the
//! intermediate representation the emitter renders: messages with their
//! payload and header types, channels with typed parameters, operations.

use faststream_asyncapi::pointer;
use serde_json::Value;

use crate::diagnostics::{Code, Severity};
use crate::ident::{self, Namespace};
use crate::settings::Settings;
use crate::types::{Ty, TypeNote, TypeSpace};

mod bindings;
mod ir;

pub use ir::*;

fn lower_servers(doc: &Value) -> Vec<ServerIr> {
    let mut names = Namespace::new();
    let mut out = Vec::new();
    for (key, server) in doc
        .get("servers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let text = |k: &str| str_of(server, k).unwrap_or_default().to_owned();
        let variables = server
            .get("variables")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, v)| {
                let default = str_of(v, "default")
                    .or_else(|| {
                        v.get("enum")
                            .and_then(Value::as_array)
                            .and_then(|e| e.first())
                            .and_then(Value::as_str)
                    })
                    .unwrap_or_default();
                (name.clone(), default.to_owned())
            })
            .collect();
        // An MQTT persistent session and its client id (a binding may be
        // a reference within the document).
        let mqtt = server.pointer("/bindings/mqtt").map(|b| {
            match str_of(b, "$ref").and_then(|r| r.strip_prefix('#')) {
                Some(p) => doc.pointer(p).unwrap_or(&Value::Null),
                None => b,
            }
        });
        let seconds = |b: &Value, k: &str| {
            b.get(k)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let mqtt = mqtt
            .map(|b| MqttServerIr {
                client_id: str_of(b, "clientId").map(str::to_owned),
                clean_session: b.get("cleanSession").and_then(Value::as_bool),
                session_expiry_interval: seconds(b, "sessionExpiryInterval"),
                keep_alive: seconds(b, "keepAlive"),
            })
            .filter(|m| *m != MqttServerIr::default());
        out.push(ServerIr {
            key: key.clone(),
            const_name: names
                .unique(&ident::field_name(key, "server"))
                .trim_start_matches("r#")
                .to_ascii_uppercase(),
            protocol: text("protocol"),
            host: text("host"),
            pathname: text("pathname"),
            variables,
            mqtt,
            doc: str_of(server, "description")
                .or_else(|| str_of(server, "summary"))
                .map(str::to_owned),
        });
    }
    out
}

/// A message's documentation: its title (unless it only repeats the
/// name), then summary and description.
fn message_doc(message: &Value) -> Option<String> {
    let title = str_of(message, "title")
        .map(str::trim)
        .filter(|t| !t.is_empty() && Some(*t) != str_of(message, "name"));
    let rest = summary_and_description(message);
    match (title, rest) {
        (Some(t), Some(r)) => Some(format!("{}\n\n{r}", crate::types::doc_of_text(t))),
        (Some(t), None) => Some(crate::types::doc_of_text(t)),
        (None, r) => r,
    }
}

/// Documentation from an object's `summary` and `description` (each
/// once, summary first), made safe for rustdoc.
fn summary_and_description(v: &Value) -> Option<String> {
    let summary = str_of(v, "summary")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let description = str_of(v, "description")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let text = match (summary, description) {
        (Some(s), Some(d)) if s != d => format!("{s}\n\n{d}"),
        (Some(s), _) => s.to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => return None,
    };
    Some(crate::types::doc_of_text(&text))
}

/// The one string a binding's schema pins down: its `const`, its one
/// `enum` value, or its `default`.
fn pinned_string(schema: &Value) -> Option<&str> {
    schema
        .get("const")
        .or_else(|| {
            schema
                .get("enum")
                .and_then(Value::as_array)
                .filter(|values| values.len() == 1)
                .and_then(|values| values.first())
        })
        .or_else(|| schema.get("default"))
        .and_then(Value::as_str)
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

struct Lowerer<'d> {
    doc: &'d Value,
    types: TypeSpace<'d>,
    messages: Vec<MessageIr>,
    names: Namespace,
    notes: Vec<TypeNote>,
}

/// Lowers a bundled 3.x document value.
pub fn lower<'d>(doc: &'d Value, settings: &'d Settings) -> (Ir, TypeSpace<'d>, Vec<TypeNote>) {
    let mut l = Lowerer {
        doc,
        types: TypeSpace::new(doc, settings),
        messages: Vec::new(),
        names: Namespace::new(),
        notes: Vec::new(),
    };
    // Schemas that non-JSON-Schema payloads (Avro, ...) reference are
    // typed in their own format where a message uses them.
    let foreign = foreign_schema_targets(doc);
    // Component schemas first, so they get their component names.
    let schema_keys: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for key in &schema_keys {
        let ptr = format!("/components/schemas/{}", pointer::escape(key));
        let schema = doc.pointer(&ptr);
        if schema.is_some_and(is_foreign_schema_holder) || foreign.contains(&ptr) {
            continue;
        }
        l.types.register(&ptr, key);
    }
    // Component messages, then channel messages.
    let component_messages: Vec<String> = doc
        .pointer("/components/messages")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for key in &component_messages {
        let ptr = format!("/components/messages/{}", pointer::escape(key));
        l.message(&ptr, key);
    }
    let mut channels = Vec::new();
    let mut channel_names = Namespace::new();
    let channel_entries: Vec<(String, Value)> = doc
        .get("channels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    for (key, _) in &channel_entries {
        if !settings.channels.is_empty() && !settings.channels.contains(key) {
            continue;
        }
        let ptr = format!("/channels/{}", pointer::escape(key));
        let (channel, cptr) = l.deref(&ptr);
        let Some(channel) = channel else { continue };
        let mut messages = Vec::new();
        for (mkey, _) in channel
            .get("messages")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let mptr = format!("{cptr}/messages/{}", pointer::escape(mkey));
            if let Some(i) = l.message(&mptr, mkey) {
                messages.push(i);
            }
        }
        let address = match channel.get("address") {
            Some(Value::String(a)) => Some(a.clone()),
            Some(_) => None,
            None => Some(key.clone()),
        };
        let mut param_names = Namespace::new();
        let params = address
            .as_deref()
            .map(address_segments)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| match s {
                Segment::Param(p) => Some(p),
                Segment::Text(_) => None,
            })
            .map(|p| {
                let decl = channel
                    .get("parameters")
                    .and_then(|ps| ps.get(&p))
                    .map(|d| l.deref_value(d));
                ParamIr {
                    rust: param_names.unique(&ident::field_name(&p, "param")),
                    doc: decl
                        .as_ref()
                        .and_then(|d| str_of(d, "description"))
                        .map(str::to_owned),
                    enum_values: decl
                        .as_ref()
                        .and_then(|d| d.get("enum"))
                        .and_then(Value::as_array)
                        .map(|v| {
                            v.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    wire: p,
                }
            })
            .collect();
        let rust_name = channel_names.unique(&ident::type_name(key, "Channel"));
        channels.push(ChannelIr {
            key: key.clone(),
            pointer: ptr,
            rust_name,
            address,
            params,
            doc: str_of(channel, "description").map(crate::types::doc_of_text),
            messages,
        });
    }
    let mut operations = Vec::new();
    let mut op_methods = Namespace::new();
    let mut op_types = Namespace::new();
    for (key, op) in doc
        .get("operations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !settings.operations.is_empty() && !settings.operations.contains(key) {
            continue;
        }
        let op = l.deref_value(op);
        let channel_ptr = op
            .get("channel")
            .and_then(|c| str_of(c, "$ref"))
            .and_then(|r| r.strip_prefix('#'))
            .map(str::to_owned);
        let channel = channel_ptr
            .as_ref()
            .and_then(|p| channels.iter().position(|c: &ChannelIr| &c.pointer == p));
        let find = |l: &Lowerer<'_>, refs: Option<&Value>| -> Vec<usize> {
            refs.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| str_of(r, "$ref").and_then(|r| r.strip_prefix('#')))
                .filter_map(|p| {
                    let (_, target) = l.deref(p);
                    l.messages.iter().position(|m| m.pointer == target)
                })
                .collect()
        };
        let messages = match op.get("messages") {
            Some(m) => find(&l, Some(m)),
            None => channel
                .map(|c| channels[c].messages.clone())
                .unwrap_or_default(),
        };
        let reply = op.get("reply").map(|r| l.deref_value(r));
        // A reply without `messages` may carry any message of its channel
        // (as an operation without them may).
        let reply_messages = match reply.as_ref().and_then(|r| r.get("messages")) {
            Some(m) => find(&l, Some(m)),
            None => reply
                .as_ref()
                .and_then(|r| r.get("channel"))
                .and_then(|c| str_of(c, "$ref"))
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| channels.iter().find(|c| c.pointer == p))
                .map(|c| c.messages.clone())
                .unwrap_or_default(),
        };
        let op_ptr = format!("/operations/{}", pointer::escape(key));
        let dispatch = l.dispatch(&messages, &op_ptr);
        let reply = reply.map(|_| ReplyIr {
            dispatch: l.dispatch(&reply_messages, &format!("{op_ptr}/reply")),
            messages: reply_messages,
        });
        // Subscribers sharing the work: a NATS queue group, or the Kafka
        // consumer group its binding names (a schema: its `const`, its one
        // `enum` value, or its `default`).
        let group = op
            .pointer("/bindings/nats/queue")
            .and_then(Value::as_str)
            .or_else(|| pinned_string(op.pointer("/bindings/kafka/groupId")?))
            .map(str::to_owned);
        let channel_value = op
            .get("channel")
            .map(|c| l.deref_value(c))
            .unwrap_or(Value::Null);
        let bindings = l.bindings(&channel_value, channel_ptr.as_deref(), &op, &op_ptr);
        operations.push(OperationIr {
            key: key.clone(),
            method: op_methods.unique(&ident::field_name(key, "operation")),
            batch_method: None,
            type_name: op_types.unique(&ident::type_name(key, "Operation")),
            receive: str_of(&op, "action") == Some("receive"),
            channel,
            messages,
            dispatch,
            reply,
            group,
            bindings,
            doc: summary_and_description(&op),
        });
    }
    // Batch methods are named once every operation has its own name, so a
    // `<method>_batch` never takes the name of an operation.
    for op in operations.iter_mut().filter(|op| op.reply.is_none()) {
        let method = op.method.strip_prefix("r#").unwrap_or(&op.method);
        op.batch_method = Some(op_methods.unique(&format!("{method}_batch")));
    }
    l.types.finish();
    let mut notes = std::mem::take(&mut l.notes);
    notes.append(&mut l.types.notes);
    let ir = Ir {
        title: doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        default_content_type: str_of(doc, "defaultContentType").map(str::to_owned),
        version: doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        messages: l.messages,
        channels,
        operations,
        servers: lower_servers(doc),
    };
    (ir, l.types, notes)
}

/// Pointers that multi-format payloads in a non-JSON-Schema format refer
/// to with `schema: {$ref}`.
fn foreign_schema_targets(doc: &Value) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let (Some(Value::String(f)), Some(schema)) =
                    (m.get("schemaFormat"), m.get("schema"))
                    && !crate::spec::is_schema_like_format(f)
                    && let Some(r) = schema
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix('#'))
                {
                    out.insert(r.to_owned());
                }
                m.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(doc, &mut out);
    out
}

/// A component schema that is a multi-format (non-JSON-Schema) holder:
/// typed where a message uses it.
fn is_foreign_schema_holder(v: &Value) -> bool {
    v.get("schemaFormat").is_some() && v.get("schema").is_some()
}

impl<'d> Lowerer<'d> {
    /// Follows references from a pointer: (the object, its pointer).
    fn deref(&self, ptr: &str) -> (Option<&'d Value>, String) {
        let mut cur = ptr.to_owned();
        for _ in 0..32 {
            let Some(v) = self.doc.pointer(&cur) else {
                return (None, cur);
            };
            match str_of(v, "$ref").and_then(|r| r.strip_prefix('#')) {
                Some(next) => cur = next.to_owned(),
                None => return (Some(v), cur),
            }
        }
        (None, cur)
    }

    fn deref_value(&self, v: &Value) -> Value {
        match str_of(v, "$ref").and_then(|r| r.strip_prefix('#')) {
            Some(p) => self.deref(p).0.cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    }

    fn binding_note(&mut self, pointer: String, message: String) {
        self.notes.push(TypeNote {
            severity: Severity::Warning,
            code: Code::UnsupportedBinding,
            pointer,
            message,
        });
    }

    /// How to tell the messages of one operation apart.
    fn dispatch(&mut self, messages: &[usize], at: &str) -> Dispatch {
        if messages.len() < 2 {
            return Dispatch::Single;
        }
        let payloads: Vec<String> = messages
            .iter()
            .map(|&i| {
                let p = format!("{}/payload", self.messages[i].pointer);
                self.deref(&p).1
            })
            .collect();
        if let Some((name, values)) = self.types.common_tag(&payloads) {
            return Dispatch::Field { name, values };
        }
        let types: Vec<String> = messages
            .iter()
            .filter_map(|&i| self.messages[i].content_type.clone())
            .collect();
        let distinct: std::collections::BTreeSet<&String> = types.iter().collect();
        if types.len() == messages.len() && distinct.len() == types.len() {
            return Dispatch::ContentType(types);
        }
        self.notes.push(TypeNote {
            severity: Severity::Warning,
            code: Code::UntaggedUnion,
            pointer: at.to_owned(),
            message: "the messages of this operation have no distinguishing payload property or content type; \
                      a received message is decoded by trying each message type in order"
                .into(),
        });
        Dispatch::Trial
    }

    /// Lowers the message at `ptr` once (by the pointer it resolves to).
    fn message(&mut self, ptr: &str, key: &str) -> Option<usize> {
        let (message, mptr) = self.deref(ptr);
        let message = message?;
        if let Some(i) = self.messages.iter().position(|m| m.pointer == mptr) {
            return Some(i);
        }
        // The component key (or the channel's key for it) names the message.
        let stem = if mptr.starts_with("/components/messages/") {
            pointer::segments(&mptr)
                .last()
                .unwrap_or_else(|| key.to_owned())
        } else {
            key.to_owned()
        };
        let rust_name = self.names.unique(&ident::type_name(&stem, "Message"));
        let payload = message
            .get("payload")
            .map(|_| self.payload(&format!("{mptr}/payload"), &rust_name));
        let headers = message
            .get("headers")
            .map(|_| self.payload(&format!("{mptr}/headers"), &format!("{rust_name}Headers")));
        // A plain string key is a `&str` parameter, not a type of its own.
        let key = message.pointer("/bindings/kafka/key").map(|_| {
            let at = format!("{mptr}/bindings/kafka/key");
            let plain = self.deref(&at).0.is_some_and(|k| {
                str_of(k, "type") == Some("string")
                    && ["enum", "const", "format"]
                        .iter()
                        .all(|f| k.get(*f).is_none())
            });
            if plain {
                Ty::String
            } else {
                self.payload(&at, &format!("{rust_name}Key"))
            }
        });
        self.messages.push(MessageIr {
            pointer: mptr,
            rust_name,
            wire_name: str_of(message, "name").map(str::to_owned),
            content_type: str_of(message, "contentType").map(str::to_owned),
            payload,
            headers,
            key,
            doc: message_doc(message),
        });
        Some(self.messages.len() - 1)
    }

    /// A payload or headers schema (maybe multi-format).
    fn payload(&mut self, ptr: &str, name: &str) -> Ty {
        let (schema, sptr) = self.deref(ptr);
        let Some(schema) = schema else {
            return Ty::Value;
        };
        if let (Some(format), Some(_)) = (str_of(schema, "schemaFormat"), schema.get("schema")) {
            if crate::spec::is_schema_like_format(format) {
                return self.types.named(&format!("{sptr}/schema"), name);
            }
            let lower = format.to_ascii_lowercase();
            if lower.starts_with("application/vnd.apache.avro") {
                return crate::avro::lower(
                    &mut self.types,
                    self.doc,
                    &format!("{sptr}/schema"),
                    name,
                    &mut self.notes,
                );
            }
            self.notes.push(TypeNote {
                severity: Severity::Warning,
                code: Code::UnsupportedSchemaFormat,
                pointer: sptr,
                message: format!("schema format `{format}` is not supported; the payload is typed as a JSON value"),
            });
            return Ty::Value;
        }
        self.types.named(&sptr, name)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::lower;
    use crate::settings::Settings;

    /// The group of a receiving operation: a NATS queue, or the Kafka
    /// consumer group its `groupId` schema pins down.
    #[test]
    fn groups_from_nats_and_kafka_bindings() {
        let doc = |bindings: serde_json::Value| {
            json!({
                "asyncapi": "3.0.0",
                "info": {"title": "t", "version": "1"},
                "channels": {"orders": {"address": "orders", "messages": {"m": {"payload": {"type": "string"}}}}},
                "operations": {"take": {
                    "action": "receive",
                    "channel": {"$ref": "#/channels/orders"},
                    "bindings": bindings
                }}
            })
        };
        let settings = Settings::default();
        for (bindings, group) in [
            (json!({"nats": {"queue": "workers"}}), Some("workers")),
            (
                json!({"kafka": {"groupId": {"type": "string", "enum": ["billing"]}}}),
                Some("billing"),
            ),
            (
                json!({"kafka": {"groupId": {"const": "audit"}}}),
                Some("audit"),
            ),
            (
                json!({"kafka": {"groupId": {"type": "string", "default": "late"}}}),
                Some("late"),
            ),
            (
                json!({"kafka": {"groupId": {"type": "string", "enum": ["a", "b"]}}}),
                None,
            ),
            (json!({}), None),
        ] {
            let d = doc(bindings.clone());
            let (ir, _, _) = lower(&d, &settings);
            assert_eq!(ir.operations[0].group.as_deref(), group, "{bindings}");
        }
    }

    /// A reply without `messages` may carry any message of its channel;
    /// one with `messages` only those.
    #[test]
    fn a_reply_without_messages_takes_its_channels() {
        let doc = |reply: serde_json::Value| {
            json!({
                "asyncapi": "3.0.0",
                "info": {"title": "t", "version": "1"},
                "channels": {
                    "asks": {"address": "asks", "messages": {"ask": {"payload": {"type": "string"}}}},
                    "answers": {"address": null, "messages": {
                        "yes": {"payload": {"type": "integer"}},
                        "no": {"payload": {"type": "boolean"}}
                    }}
                },
                "operations": {"ask": {
                    "action": "receive",
                    "channel": {"$ref": "#/channels/asks"},
                    "reply": reply
                }}
            })
        };
        let settings = Settings::default();
        let channel = json!({"$ref": "#/channels/answers"});
        for (reply, count) in [
            (json!({"channel": channel}), 2),
            (
                json!({"channel": channel, "messages": [{"$ref": "#/channels/answers/messages/no"}]}),
                1,
            ),
        ] {
            let (ir, _, _) = lower(&doc(reply.clone()), &settings);
            let replies = &ir.operations[0].reply.as_ref().expect("a reply").messages;
            assert_eq!(replies.len(), count, "{reply}");
        }
    }
}
