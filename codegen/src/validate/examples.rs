//! Examples and defaults checked against their schemas (errors where the
//! official parser reports them, warnings elsewhere).

use std::collections::HashSet;

use super::structure::Validator;
use crate::diagnostics::{Code, Diagnostic};
use crate::load::Node;
use crate::spec::{self};

impl<'d> Validator<'d> {
    /// The schemas whose non-conforming examples and defaults the official
    /// parser reports as errors (AsyncAPI 2.x: message payloads, channel
    /// parameter schemas, component schemas), as node addresses.
    pub(super) fn strict_example_schemas(&self) -> HashSet<*const Node> {
        let mut out = HashSet::new();
        if self.v3 {
            return out;
        }
        let doc = self.doc;
        let entries = |n: Option<&'d Node>| -> Vec<&'d Node> {
            n.and_then(Node::as_map)
                .into_iter()
                .flatten()
                .map(|(_, v)| v)
                .collect()
        };
        let json_payload = |message: &'d Node| -> Option<&'d Node> {
            let format = message.get("schemaFormat").and_then(Node::as_str);
            if format.is_some_and(|f| !spec::is_json_schema_format(f)) {
                return None;
            }
            message.get("payload")
        };
        let components = doc.get("components");
        let mut schemas = Vec::new();
        for ch in entries(doc.get("channels"))
            .into_iter()
            .chain(entries(components.and_then(|c| c.get("channels"))))
        {
            let ch = self.resolve(ch);
            for op in ["publish", "subscribe"] {
                if let Some(m) = ch
                    .get(op)
                    .map(|o| self.resolve(o))
                    .and_then(|o| o.get("message"))
                {
                    let m = self.resolve(m);
                    schemas.extend(json_payload(m));
                }
            }
            for p in entries(ch.get("parameters")) {
                schemas.extend(self.resolve(p).get("schema"));
            }
        }
        schemas.extend(entries(components.and_then(|c| c.get("schemas"))));
        for p in entries(components.and_then(|c| c.get("parameters"))) {
            schemas.extend(self.resolve(p).get("schema"));
        }
        for m in entries(components.and_then(|c| c.get("messages")))
            .into_iter()
            .chain(entries(components.and_then(|c| c.get("messageTraits"))))
        {
            schemas.extend(json_payload(self.resolve(m)));
        }
        for s in schemas {
            out.insert(std::ptr::from_ref(self.resolve(s)));
        }
        out
    }

    /// A schema's `examples` and `default`, and a message's `examples`,
    /// conform to their schemas. Errors where the official parser reports
    /// them (see [`Self::strict_example_schemas`]; string values it lets
    /// pass), warnings elsewhere.
    pub(super) fn check_examples(&mut self) {
        let strict = self.strict_example_schemas();
        for (at, schema) in std::mem::take(&mut self.with_examples) {
            if self.foreign.contains(&at) {
                continue;
            }
            let is_strict = strict.contains(&std::ptr::from_ref(schema));
            let mut values: Vec<(String, &Node)> = schema
                .get("examples")
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, e)| (format!("{at}/examples/{i}"), e))
                .collect();
            if let Some(d) = schema.get("default") {
                values.push((format!("{at}/default"), d));
            }
            for (value_at, value) in values {
                let error = is_strict && value.as_str().is_none();
                let what = if value_at.ends_with("/default") {
                    "the default"
                } else {
                    "the example"
                };
                self.example_diagnostic(schema, value, &value_at, what, error);
            }
        }
        for (at, message) in std::mem::take(&mut self.messages) {
            let format = message.get("schemaFormat").and_then(Node::as_str);
            let json = format.is_none_or(spec::is_json_schema_format);
            for (i, example) in message
                .get("examples")
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .enumerate()
            {
                for part in ["payload", "headers"] {
                    let schema = match message.get(part) {
                        Some(s) if json || part == "headers" => self.resolve(s),
                        _ => continue,
                    };
                    // A 3.x multi-format schema holds the schema inside.
                    let schema = match (schema.get("schemaFormat"), schema.get("schema")) {
                        (Some(f), Some(inner))
                            if f.as_str().is_some_and(spec::is_json_schema_format) =>
                        {
                            self.resolve(inner)
                        }
                        (Some(_), _) => continue,
                        _ => schema,
                    };
                    if let Some(value) = example.get(part) {
                        let what = format!("the {part} of the message example");
                        let value_at = format!("{at}/examples/{i}/{part}");
                        self.example_diagnostic(schema, value, &value_at, &what, false);
                    }
                }
            }
        }
    }

    pub(super) fn example_diagnostic(
        &mut self,
        schema: &Node,
        value: &Node,
        at: &str,
        what: &str,
        error: bool,
    ) {
        let doc = self.doc;
        let root = self.doc_value.get_or_insert_with(|| doc.to_value());
        let violations = crate::schema_check::check(root, &schema.to_value(), &value.to_value());
        let Some(first) = violations.first() else {
            return;
        };
        // The place that breaks the rule, in the file.
        let span = value.pointer(&first.path).map_or(value.span, |n| n.span);
        let mut message = format!("{what} does not conform to its schema: {}", first.message);
        if violations.len() > 1 {
            let _ = std::fmt::Write::write_fmt(
                &mut message,
                format_args!(" (and {} more)", violations.len() - 1),
            );
        }
        let d = if error {
            Diagnostic::error(Code::InvalidExample, message)
        } else {
            Diagnostic::warning(Code::InvalidExample, message)
        };
        self.push(d.at(format!("{at}{}", first.path), span));
    }
}
