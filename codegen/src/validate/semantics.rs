//! What the schema of the specification cannot say: address parameters,
//! operation messages, runtime expressions, unique ids, security scheme
//! names, server variables.

use crate::validate::structure::child;
use crate::validate::structure::collect_locations;
use std::collections::{BTreeSet, HashMap, HashSet};

use super::structure::Validator;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::{Node, NodeValue};

impl<'d> Validator<'d> {
    pub(super) fn semantics_v3(&mut self) {
        let doc = self.doc;
        for (section, base) in [
            (doc.get("channels"), "/channels".to_owned()),
            (
                doc.get("components").and_then(|c| c.get("channels")),
                "/components/channels".to_owned(),
            ),
        ] {
            for (k, ch) in section.and_then(Node::as_map).into_iter().flatten() {
                let at = child(&base, &k.name);
                let (ch, _) = self.deref(ch);
                self.channel_parameters_v3(ch, &at);
            }
        }
        for (section, base) in [
            (doc.get("operations"), "/operations".to_owned()),
            (
                doc.get("components").and_then(|c| c.get("operations")),
                "/components/operations".to_owned(),
            ),
        ] {
            for (k, op) in section.and_then(Node::as_map).into_iter().flatten() {
                let at = child(&base, &k.name);
                let (op, _) = self.deref(op);
                self.operation_v3(op, &at);
            }
        }
        self.runtime_expressions(doc);
        for (k, server) in doc
            .get("servers")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let at = child("/servers", &k.name);
            let (server, _) = self.deref(server);
            for field in ["host", "pathname"] {
                if let Some(v) = server.get(field) {
                    self.server_variables(server, v, &child(&at, field));
                }
            }
        }
    }

    pub(super) fn channel_parameters_v3(&mut self, ch: &'d Node, at: &str) {
        let Some(address_node) = ch.get("address") else {
            return;
        };
        let address = match &address_node.value {
            NodeValue::Str(s) => s.as_str(),
            NodeValue::Null => return,
            _ => {
                self.mismatch(address_node, "a string or null", &child(at, "address"));
                return;
            }
        };
        self.parameters_match(
            address,
            address_node,
            ch.get("parameters"),
            at,
            &child(at, "address"),
        );
    }

    /// Every `{name}` in an address is declared, and every declared
    /// parameter appears in the address.
    pub(super) fn parameters_match(
        &mut self,
        address: &str,
        address_node: &Node,
        parameters: Option<&'d Node>,
        channel_at: &str,
        address_at: &str,
    ) {
        let used: BTreeSet<&str> = address_parameters(address).into_iter().collect();
        let declared: Vec<(&str, &Node)> = parameters
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.name.as_str(), v))
            .collect();
        for name in &used {
            if declared.iter().any(|(d, _)| d == name) {
                continue;
            }
            // Without any `parameters`, a placeholder is a plain string
            // parameter (FastStream and other tools export templated
            // addresses that way, and the official parser accepts them);
            // a `parameters` object that leaves one out is an error, as
            // the official parser says.
            let diagnostic = if parameters.is_none() {
                Diagnostic::warning(
                    Code::AddressParameterUndeclared,
                    format!(
                        "the address uses `{{{name}}}` but the channel has no `parameters`; `{name}` is taken as a string parameter"
                    ),
                )
            } else {
                Diagnostic::error(
                    Code::AddressParameterUndeclared,
                    format!(
                        "the address uses `{{{name}}}` but the channel declares no parameter `{name}`"
                    ),
                )
            };
            self.push(
                diagnostic
                    .at(address_at, address_node.span)
                    .with_help(format!("add `{name}` under the channel's `parameters`")),
            );
        }
        for (name, node) in &declared {
            if !used.contains(name) {
                let key_span = parameters
                    .and_then(|p| p.key(name))
                    .map_or(node.span, |k| k.span);
                self.push(
                    Diagnostic::error(
                        Code::ParameterNotInAddress,
                        format!("parameter `{name}` is declared but the address `{address}` has no `{{{name}}}`"),
                    )
                    .at(child(&child(channel_at, "parameters"), name), key_span),
                );
            }
        }
    }

    pub(super) fn operation_v3(&mut self, op: &'d Node, at: &str) {
        let Some(channel) = op.get("channel") else {
            return;
        };
        let Some(channel_ref) = channel.ref_target() else {
            self.push(
                Diagnostic::error(
                    Code::RefWrongTarget,
                    "an operation's `channel` must be a `$ref` to a channel",
                )
                .at(child(at, "channel"), channel.span),
            );
            return;
        };
        let in_components = at.starts_with("/components/");
        let ok_prefix = channel_ref.starts_with("#/channels/")
            || (in_components && channel_ref.starts_with("#/components/channels/"));
        if !ok_prefix {
            self.push(
                Diagnostic::error(
                    Code::RefWrongTarget,
                    format!("`{channel_ref}` is not a channel of this document (`#/channels/...`)"),
                )
                .at(
                    child(at, "channel"),
                    channel.get("$ref").map_or(channel.span, |n| n.span),
                ),
            );
        }
        if let Some(messages) = op.get("messages") {
            self.messages_belong(messages, channel_ref, &child(at, "messages"));
        }
        if let Some(reply) = op.get("reply") {
            let (reply, _) = self.deref(reply);
            let reply_channel = reply
                .get("channel")
                .and_then(Node::ref_target)
                .unwrap_or(channel_ref);
            if let (Some(messages), true) = (reply.get("messages"), reply.get("channel").is_some())
            {
                self.messages_belong(
                    messages,
                    reply_channel,
                    &child(&child(at, "reply"), "messages"),
                );
            }
        }
    }

    pub(super) fn messages_belong(&mut self, messages: &'d Node, channel_ref: &str, at: &str) {
        let prefix = format!("{channel_ref}/messages/");
        for (i, m) in messages.as_seq().into_iter().flatten().enumerate() {
            let Some(r) = m.ref_target() else {
                self.push(
                    Diagnostic::error(
                        Code::OperationMessageNotInChannel,
                        "an operation's messages must be `$ref`s to messages of its channel",
                    )
                    .at(format!("{at}/{i}"), m.span),
                );
                continue;
            };
            if !r.starts_with(&prefix) {
                self.push(
                    Diagnostic::error(
                        Code::OperationMessageNotInChannel,
                        format!(
                            "`{r}` is not a message of the operation's channel `{channel_ref}`"
                        ),
                    )
                    .at(
                        format!("{at}/{i}"),
                        m.get("$ref").map_or(m.span, |n| n.span),
                    )
                    .with_help(format!("reference it as `{prefix}<name>`")),
                );
            }
        }
    }

    /// `location` fields of correlation ids, parameters and reply
    /// addresses are runtime expressions.
    pub(super) fn runtime_expressions(&mut self, node: &'d Node) {
        // Walk only AsyncAPI objects, not schemas or examples: the fields
        // named `location` there are data.
        let targets: Vec<(String, &Node)> = collect_locations(node, self.v3);
        for (p, loc) in targets {
            match loc.as_str() {
                Some(s) if is_runtime_expression(s) => {}
                Some(s) => self.push(
                    Diagnostic::error(
                        Code::RuntimeExpressionInvalid,
                        format!("`{s}` is not a runtime expression"),
                    )
                    .at(p, loc.span)
                    .with_help("use `$message.header#/<pointer>` or `$message.payload#/<pointer>`"),
                ),
                None => {}
            }
        }
    }

    pub(super) fn server_variables(&mut self, server: &Node, value: &Node, at: &str) {
        let Some(s) = value.as_str() else { return };
        for name in address_parameters(s) {
            let declared = server.get("variables").and_then(|v| v.get(name)).is_some();
            if !declared {
                self.push(
                    Diagnostic::error(
                        Code::ServerVariableUndeclared,
                        format!(
                            "`{{{name}}}` is used but the server declares no variable `{name}`"
                        ),
                    )
                    .at(at, value.span),
                );
            }
        }
    }

    pub(super) fn semantics_v2(&mut self) {
        let doc = self.doc;
        let mut operation_ids: HashMap<String, String> = HashMap::new();
        let schemes: HashSet<&str> = doc
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
            .map(|(k, _)| k.name.as_str())
            .collect();
        for (k, ch) in doc
            .get("channels")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let at = child("/channels", &k.name);
            let (ch, _) = self.deref(ch);
            // The key is the address.
            self.parameters_match(
                &k.name,
                &Node::new(NodeValue::Null, k.span),
                ch.get("parameters"),
                &at,
                &at,
            );
            for kind in ["publish", "subscribe"] {
                let Some(op) = ch.get(kind) else { continue };
                let op_at = child(&at, kind);
                if let Some(id_node) = op.get("operationId")
                    && let Some(id) = id_node.as_str()
                {
                    if let Some(first) = operation_ids.get(id) {
                        self.push(
                            Diagnostic::error(
                                Code::DuplicateOperationId,
                                format!("operationId `{id}` is already used at `#{first}`"),
                            )
                            .at(child(&op_at, "operationId"), id_node.span),
                        );
                    } else {
                        operation_ids.insert(id.to_owned(), op_at.clone());
                    }
                }
                self.security_v2(op.get("security"), &schemes, &child(&op_at, "security"));
            }
        }
        for (k, server) in doc
            .get("servers")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let at = child("/servers", &k.name);
            let (server, _) = self.deref(server);
            self.security_v2(server.get("security"), &schemes, &child(&at, "security"));
            if let Some(url) = server.get("url") {
                self.server_variables(server, url, &child(&at, "url"));
            }
        }
        self.runtime_expressions(doc);
    }

    pub(super) fn security_v2(
        &mut self,
        security: Option<&Node>,
        schemes: &HashSet<&str>,
        at: &str,
    ) {
        for (i, req) in security
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (k, _) in req.as_map().into_iter().flatten() {
                if !schemes.contains(k.name.as_str()) {
                    self.push(
                        Diagnostic::error(
                            Code::SecuritySchemeUndefined,
                            format!("security scheme `{}` is not defined in `components.securitySchemes`", k.name),
                        )
                        .at(child(&format!("{at}/{i}"), &k.name), k.span),
                    );
                }
            }
        }
    }
}

/// The `{name}` parameters of an address, in order.
pub fn address_parameters(address: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

/// `$message.header#/a/b` or `$message.payload#/a/b` (the fragment may be
/// empty or absent).
pub fn is_runtime_expression(s: &str) -> bool {
    let rest = s
        .strip_prefix("$message.header")
        .or_else(|| s.strip_prefix("$message.payload"));
    match rest {
        Some("") => true,
        Some(r) => r
            .strip_prefix('#')
            .is_some_and(|p| p.is_empty() || p.starts_with('/')),
        None => false,
    }
}
