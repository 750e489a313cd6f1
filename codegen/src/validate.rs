//! Validation of a bundled document: structure (types, required fields,
//! allowed values, unknown fields, where `$ref` may stand), references
//! (every `$ref` resolves, no chain points at itself) and semantics
//! (address parameters, operation messages, runtime expressions, unique
//! operation ids, security scheme names, server variables).
//!
//! Every problem is collected; nothing stops at the first.

use std::collections::{BTreeSet, HashMap, HashSet};

use faststream_asyncapi::SpecVersion;
use faststream_asyncapi::pointer;

use crate::diagnostics::{Code, Diagnostic};
use crate::load::{Node, NodeValue, Span, schema_child_shape};
use crate::spec::{self, Kind, Shape};

/// Validates a bundled document (every `$ref` local). `bundled_refs` are
/// the positions of `$ref`s that named other files in the source (see
/// [`crate::load::Loaded::bundled_refs`]).
pub fn validate(doc: &Node, bundled_refs: &HashSet<Span>) -> Vec<Diagnostic> {
    let mut v = Validator {
        doc,
        bundled_refs,
        v3: true,
        diagnostics: Vec::new(),
        refs: Vec::new(),
        component_schemas: Vec::new(),
        foreign: HashSet::new(),
        with_examples: Vec::new(),
        messages: Vec::new(),
        doc_value: None,
    };
    let Some(version) = doc.get("asyncapi") else {
        let d = if doc.as_map().is_some() {
            Diagnostic::error(
                Code::VersionMissing,
                "the document has no `asyncapi` field; is this an AsyncAPI document?",
            )
        } else {
            Diagnostic::error(
                Code::TypeMismatch,
                format!(
                    "an AsyncAPI document is an object, found {}",
                    doc.type_name()
                ),
            )
        };
        v.diagnostics.push(d.at("", doc.span));
        return v.diagnostics;
    };
    let parsed = version.as_str().and_then(SpecVersion::parse);
    let Some(parsed) = parsed else {
        let shown = match &version.value {
            NodeValue::Str(s) => s.clone(),
            _ => version.to_value().to_string(),
        };
        v.diagnostics.push(
            Diagnostic::error(
                Code::VersionUnsupported,
                format!("unsupported AsyncAPI version `{shown}`"),
            )
            .at("/asyncapi", version.span)
            .with_help(format!(
                "supported versions: {} (write the version as a string)",
                SpecVersion::SUPPORTED.join(", ")
            )),
        );
        return v.diagnostics;
    };
    v.v3 = matches!(parsed, SpecVersion::V3(_));
    v.shape(doc, Shape::Obj(Kind::Document), "");
    // Component schemas are checked last: those that a non-JSON-Schema
    // payload (Avro, ...) references are not JSON Schemas.
    for (at, node) in std::mem::take(&mut v.component_schemas) {
        if !v.foreign.contains(&at) {
            v.shape(node, Shape::RefOr(Kind::Payload), &at);
        }
    }
    v.check_refs();
    v.check_examples();
    if v.v3 {
        v.semantics_v3();
    } else {
        v.semantics_v2();
    }
    v.diagnostics
}

struct Validator<'d> {
    doc: &'d Node,
    bundled_refs: &'d HashSet<Span>,
    v3: bool,
    diagnostics: Vec<Diagnostic>,
    /// (pointer of the `$ref` object, the reference, the `$ref` value node)
    refs: Vec<(String, String, &'d Node)>,
    /// `components.schemas` entries, checked after everything else.
    component_schemas: Vec<(String, &'d Node)>,
    /// Pointers that non-JSON-Schema payloads reference.
    foreign: HashSet<String>,
    /// JSON schemas with `examples` or a `default`, checked at the end.
    with_examples: Vec<(String, &'d Node)>,
    /// Message objects with `examples`, checked at the end.
    messages: Vec<(String, &'d Node)>,
    /// The document as JSON, for the schema checker (made once, when the
    /// first example is checked).
    doc_value: Option<serde_json::Value>,
}

/// What a JSON Schema keyword's value must be (draft-07, the dialect of
/// the AsyncAPI schema object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeywordType {
    String,
    Number,
    /// A number greater than 0.
    Positive,
    /// An integer of at least 0.
    Count,
    Bool,
}

impl KeywordType {
    /// What the value should have been, when it is not.
    fn refuses(self, node: &Node) -> Option<&'static str> {
        let number = match &node.value {
            NodeValue::Number(n) => n.as_f64(),
            _ => None,
        };
        match self {
            KeywordType::String => node.as_str().is_none().then_some("a string"),
            KeywordType::Number => number.is_none().then_some("a number"),
            KeywordType::Positive => {
                (!number.is_some_and(|x| x > 0.0)).then_some("a number greater than 0")
            }
            KeywordType::Count => (!number.is_some_and(|x| x >= 0.0 && x.fract() == 0.0))
                .then_some("a non-negative integer"),
            KeywordType::Bool => (!matches!(node.value, NodeValue::Bool(_))).then_some("a boolean"),
        }
    }
}

/// The keywords whose values are not schemas, with their types.
const KEYWORD_TYPES: &[(&str, KeywordType)] = &[
    ("title", KeywordType::String),
    ("description", KeywordType::String),
    ("$id", KeywordType::String),
    ("$schema", KeywordType::String),
    ("$comment", KeywordType::String),
    ("format", KeywordType::String),
    ("pattern", KeywordType::String),
    ("contentMediaType", KeywordType::String),
    ("contentEncoding", KeywordType::String),
    ("multipleOf", KeywordType::Positive),
    ("maximum", KeywordType::Number),
    ("minimum", KeywordType::Number),
    ("exclusiveMaximum", KeywordType::Number),
    ("exclusiveMinimum", KeywordType::Number),
    ("maxLength", KeywordType::Count),
    ("minLength", KeywordType::Count),
    ("maxItems", KeywordType::Count),
    ("minItems", KeywordType::Count),
    ("maxProperties", KeywordType::Count),
    ("minProperties", KeywordType::Count),
    ("uniqueItems", KeywordType::Bool),
    ("readOnly", KeywordType::Bool),
    ("writeOnly", KeywordType::Bool),
    ("deprecated", KeywordType::Bool),
];

fn child(at: &str, key: &str) -> String {
    format!("{at}/{}", pointer::escape(key))
}

impl<'d> Validator<'d> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn mismatch(&mut self, node: &Node, expected: &str, at: &str) {
        self.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("expected {expected}, found {}", node.type_name()),
            )
            .at(at, node.span),
        );
    }

    fn shape(&mut self, node: &'d Node, shape: Shape, at: &str) {
        match shape {
            Shape::Str => {
                if node.as_str().is_none() {
                    self.mismatch(node, "a string", at);
                }
            }
            Shape::Bool => {
                if !matches!(node.value, NodeValue::Bool(_)) {
                    self.mismatch(node, "a boolean", at);
                }
            }
            Shape::Num => {
                if !matches!(node.value, NodeValue::Number(_)) {
                    self.mismatch(node, "a number", at);
                }
            }
            Shape::Int => {
                if !matches!(&node.value, NodeValue::Number(n) if n.is_i64() || n.is_u64()) {
                    self.mismatch(node, "an integer", at);
                }
            }
            Shape::Any => {}
            Shape::StrList => match node.as_seq() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if item.as_str().is_none() {
                            self.mismatch(item, "a string", &format!("{at}/{i}"));
                        }
                    }
                }
                None => self.mismatch(node, "a list of strings", at),
            },
            Shape::Enum(allowed) => match node.as_str() {
                Some(s) if allowed.contains(&s) => {}
                Some(s) => self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!(
                            "`{s}` is not allowed here; expected one of: {}",
                            allowed.join(", ")
                        ),
                    )
                    .at(at, node.span),
                ),
                None => self.mismatch(node, "a string", at),
            },
            Shape::RefOr(kind) => {
                if let Some(r) = node.get("$ref") {
                    if kind == Kind::ForeignSchema
                        && let Some(p) = r.as_str().and_then(|s| s.strip_prefix('#'))
                    {
                        self.foreign.insert(p.to_owned());
                    }
                    self.reference(r, at);
                } else {
                    self.kind(node, kind, at);
                }
            }
            Shape::Obj(kind) => {
                if let Some(r) = node.get("$ref") {
                    self.push(
                        Diagnostic::error(
                            Code::RefNotAllowed,
                            "a `$ref` is not allowed here; write the object inline",
                        )
                        .at(child(at, "$ref"), r.span),
                    );
                } else {
                    self.kind(node, kind, at);
                }
            }
            Shape::Map(inner) => match node.as_map() {
                Some(entries) => {
                    for (k, v) in entries {
                        self.shape(v, *inner, &child(at, &k.name));
                    }
                }
                None => self.mismatch(node, "an object", at),
            },
            Shape::List(inner) => match node.as_seq() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.shape(item, *inner, &format!("{at}/{i}"));
                    }
                }
                None => self.mismatch(node, "a list", at),
            },
        }
    }

    fn reference(&mut self, r: &'d Node, at: &str) {
        match r.as_str() {
            Some(s) => self.refs.push((at.to_owned(), s.to_owned(), r)),
            None => self.mismatch(r, "a string (`$ref`)", &child(at, "$ref")),
        }
    }

    fn kind(&mut self, node: &'d Node, kind: Kind, at: &str) {
        match kind {
            Kind::Schema => self.schema(node, at),
            Kind::Payload => {
                if self.v3
                    && let (Some(format), Some(schema)) =
                        (node.get("schemaFormat"), node.get("schema"))
                {
                    self.shape(format, Shape::Str, &child(at, "schemaFormat"));
                    for (k, _) in node.as_map().into_iter().flatten() {
                        if !matches!(k.name.as_str(), "schemaFormat" | "schema") {
                            self.push(
                                Diagnostic::error(
                                    Code::UnknownField,
                                    format!("unknown field `{}` in a multi-format schema", k.name),
                                )
                                .at(child(at, &k.name), k.span),
                            );
                        }
                    }
                    let json = format.as_str().is_some_and(spec::is_json_schema_format);
                    let kind = if json {
                        Kind::Schema
                    } else {
                        Kind::ForeignSchema
                    };
                    self.shape(schema, Shape::RefOr(kind), &child(at, "schema"));
                    return;
                }
                self.schema(node, at);
            }
            Kind::ForeignSchema | Kind::Any => {}
            Kind::MessageChoice => {
                if let Some(one_of) = node.get("oneOf") {
                    for (k, _) in node.as_map().into_iter().flatten() {
                        if k.name != "oneOf" {
                            self.push(
                                Diagnostic::error(
                                    Code::UnknownField,
                                    format!("unknown field `{}` beside `oneOf`", k.name),
                                )
                                .at(child(at, &k.name), k.span),
                            );
                        }
                    }
                    self.shape(
                        one_of,
                        Shape::List(&Shape::RefOr(Kind::Message)),
                        &child(at, "oneOf"),
                    );
                } else {
                    self.shape(node, Shape::RefOr(Kind::Message), at);
                }
            }
            Kind::SecurityRequirement => self.shape(node, Shape::Map(&Shape::StrList), at),
            _ => self.object(node, kind, at),
        }
    }

    fn object(&mut self, node: &'d Node, kind: Kind, at: &str) {
        let Some(spec) = spec::object_spec(kind, self.v3) else {
            return;
        };
        if kind == Kind::Message && node.get("examples").is_some() {
            self.messages.push((at.to_owned(), node));
        }
        let Some(entries) = node.as_map() else {
            self.mismatch(node, "an object", at);
            return;
        };
        for field in spec.fields.iter().filter(|f| f.required) {
            if node.get(field.name).is_none() {
                self.push(
                    Diagnostic::error(
                        Code::RequiredField,
                        format!("missing required field `{}`", field.name),
                    )
                    .at(at, node.span),
                );
            }
        }
        let payload_kind = if !self.v3 && kind == Kind::Message {
            match node.get("schemaFormat").and_then(Node::as_str) {
                Some(f) if !spec::is_json_schema_format(f) => Some(Kind::ForeignSchema),
                _ => Some(Kind::Schema),
            }
        } else {
            None
        };
        for (k, v) in entries {
            let child_at = child(at, &k.name);
            if kind == Kind::Components && k.name == "schemas" {
                match v.as_map() {
                    Some(schemas) => self.component_schemas.extend(
                        schemas
                            .iter()
                            .map(|(name, s)| (child(&child_at, &name.name), s)),
                    ),
                    None => self.mismatch(v, "an object", &child_at),
                }
                continue;
            }
            if let (Some(pk), "payload") = (payload_kind, k.name.as_str()) {
                // In 2.x a payload in another schema format is a value of
                // that format, where an AsyncAPI reference is not allowed
                // (references to other files are resolved before this).
                if pk == Kind::ForeignSchema
                    && let Some(r) = v.get("$ref")
                    && !self.bundled_refs.contains(&r.span)
                {
                    self.push(
                        Diagnostic::error(
                            Code::RefNotAllowed,
                            "a local `$ref` is not allowed as the payload of a message with a non-default `schemaFormat`",
                        )
                        .at(child(&child_at, "$ref"), r.span)
                        .with_help("inline the schema, or drop `schemaFormat` to use the default AsyncAPI schema format"),
                    );
                }
                self.shape(v, Shape::RefOr(pk), &child_at);
                continue;
            }
            match spec.fields.iter().find(|f| f.name == k.name) {
                Some(field) => self.shape(v, field.shape, &child_at),
                None if k.name.starts_with("x-") || spec.open => {}
                None => {
                    let help = match (kind, k.name.as_str(), self.v3) {
                        (Kind::Document, "tags" | "externalDocs", true) => {
                            Some(format!("in AsyncAPI 3, `{}` belongs in `info`", k.name))
                        }
                        (Kind::Components, "headers", _) => {
                            Some("put header schemas in `components.schemas`".to_owned())
                        }
                        _ => None,
                    };
                    let mut d = Diagnostic::error(
                        Code::UnknownField,
                        format!("unknown field `{}` in {}", k.name, kind_name(kind)),
                    )
                    .at(child_at, k.span);
                    if let Some(h) = help {
                        d = d.with_help(h);
                    }
                    self.push(d);
                }
            }
        }
    }

    fn schema(&mut self, node: &'d Node, at: &str) {
        const TYPES: &[&str] = &[
            "null", "boolean", "object", "array", "number", "string", "integer",
        ];
        let entries = match &node.value {
            NodeValue::Bool(_) => return,
            NodeValue::Map(entries) => entries,
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidSchema,
                        format!(
                            "a schema is an object (or a boolean), found {}",
                            node.type_name()
                        ),
                    )
                    .at(at, node.span),
                );
                return;
            }
        };
        if let Some(r) = node.get("$ref") {
            self.reference(r, at);
        }
        if node.get("examples").is_some() || node.get("default").is_some() {
            self.with_examples.push((at.to_owned(), node));
        }
        for (k, v) in entries {
            let child_at = child(at, &k.name);
            match k.name.as_str() {
                "type" => {
                    let ok = |s: &str| TYPES.contains(&s);
                    let valid = match &v.value {
                        NodeValue::Str(s) => ok(s),
                        NodeValue::Seq(items) => items.iter().all(|i| i.as_str().is_some_and(ok)),
                        _ => false,
                    };
                    if !valid {
                        let shown = v.to_value().to_string();
                        self.push(
                            Diagnostic::error(
                                Code::InvalidSchema,
                                format!(
                                    "{shown} is not a JSON Schema type (expected one of: {})",
                                    TYPES.join(", ")
                                ),
                            )
                            .at(child_at, v.span)
                            .with_help(
                                "a schema in another format (Avro, ...) needs a `schemaFormat`",
                            ),
                        );
                    }
                }
                "required" => {
                    let names = v
                        .as_seq()
                        .filter(|items| items.iter().all(|i| i.as_str().is_some()));
                    match names {
                        None => {
                            self.keyword_type(v, "required", "a list of property names", &child_at)
                        }
                        Some(items) => {
                            let mut seen = BTreeSet::new();
                            for (i, item) in items.iter().enumerate() {
                                let name = item.as_str().unwrap_or_default();
                                if !seen.insert(name) {
                                    self.push(
                                        Diagnostic::error(
                                            Code::InvalidSchema,
                                            format!("`required` names `{name}` twice"),
                                        )
                                        .at(child(&child_at, &i.to_string()), item.span),
                                    );
                                }
                            }
                        }
                    }
                }
                "enum" if v.as_seq().is_none() => self.keyword_type(v, "enum", "a list", &child_at),
                "examples" if v.as_seq().is_none() => {
                    self.keyword_type(v, "examples", "a list", &child_at);
                }
                name if KEYWORD_TYPES.iter().any(|(k, _)| *k == name) => {
                    let expected = KEYWORD_TYPES
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, t)| *t)
                        .unwrap_or(KeywordType::String);
                    if let Some(what) = expected.refuses(v) {
                        self.keyword_type(v, name, what, &child_at);
                    }
                }
                name => {
                    if let Some(shape) = schema_child_shape(name, v) {
                        match shape {
                            Shape::Map(_) if v.as_map().is_none() => {
                                self.mismatch(v, "an object of schemas", &child_at)
                            }
                            Shape::List(_) if v.as_seq().is_none() => {
                                self.mismatch(v, "a list of schemas", &child_at)
                            }
                            _ => self.shape(v, shape, &child_at),
                        }
                    }
                }
            }
        }
    }

    /// Follows `$ref`s from a node to what they name.
    fn resolve(&self, mut node: &'d Node) -> &'d Node {
        for _ in 0..32 {
            match node
                .get("$ref")
                .and_then(Node::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.doc.pointer(p))
            {
                Some(target) => node = target,
                None => break,
            }
        }
        node
    }

    /// The schemas whose non-conforming examples and defaults the official
    /// parser reports as errors (AsyncAPI 2.x: message payloads, channel
    /// parameter schemas, component schemas), as node addresses.
    fn strict_example_schemas(&self) -> HashSet<*const Node> {
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
    fn check_examples(&mut self) {
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

    fn example_diagnostic(
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

    /// A JSON Schema keyword whose value has the wrong type.
    fn keyword_type(&mut self, node: &Node, keyword: &str, expected: &str, at: &str) {
        self.push(
            Diagnostic::error(
                Code::InvalidSchema,
                format!(
                    "`{keyword}` must be {expected}, found {}",
                    match &node.value {
                        NodeValue::Number(n) => n.to_string(),
                        _ => node.type_name().to_owned(),
                    }
                ),
            )
            .at(at, node.span),
        );
    }

    /// Every `$ref` resolves, and no chain of references loops.
    fn check_refs(&mut self) {
        let refs = std::mem::take(&mut self.refs);
        for (at, reference, node) in &refs {
            let Some(ptr) = reference.strip_prefix('#') else {
                // External references were bundled; one left here failed
                // to load and was reported by the loader.
                continue;
            };
            if !(ptr.is_empty() || ptr.starts_with('/')) {
                self.push(
                    Diagnostic::error(
                        Code::RefUnresolved,
                        format!(
                            "`{reference}`: the fragment must be a JSON pointer starting with `/`"
                        ),
                    )
                    .at(at.clone(), node.span),
                );
                continue;
            }
            let mut seen = HashSet::new();
            seen.insert(ptr.to_owned());
            let mut cur = ptr.to_owned();
            loop {
                let Some(target) = self.doc.pointer(&cur) else {
                    let first = cur == ptr;
                    let msg = if first {
                        format!("`{reference}` does not resolve: nothing at `#{ptr}`")
                    } else {
                        format!("`{reference}` leads to `#{cur}`, which does not resolve")
                    };
                    self.push(
                        Diagnostic::error(Code::RefUnresolved, msg).at(at.clone(), node.span),
                    );
                    break;
                };
                match target.ref_target().and_then(|r| r.strip_prefix('#')) {
                    Some(next) => {
                        if !seen.insert(next.to_owned()) {
                            self.push(
                                Diagnostic::error(
                                    Code::RefCycle,
                                    format!("`{reference}` is a chain of references that points back at itself"),
                                )
                                .at(at.clone(), node.span),
                            );
                            break;
                        }
                        cur = next.to_owned();
                    }
                    None => break,
                }
            }
        }
        self.refs = refs;
    }

    /// Follows local references to the object they name.
    fn deref(&self, node: &'d Node) -> (&'d Node, Option<String>) {
        let mut cur = node;
        let mut last = None;
        for _ in 0..64 {
            match cur.ref_target().and_then(|r| r.strip_prefix('#')) {
                Some(p) => match self.doc.pointer(p) {
                    Some(t) => {
                        last = Some(p.to_owned());
                        cur = t;
                    }
                    None => break,
                },
                None => break,
            }
        }
        (cur, last)
    }

    fn semantics_v3(&mut self) {
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

    fn channel_parameters_v3(&mut self, ch: &'d Node, at: &str) {
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
    fn parameters_match(
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

    fn operation_v3(&mut self, op: &'d Node, at: &str) {
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

    fn messages_belong(&mut self, messages: &'d Node, channel_ref: &str, at: &str) {
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
    fn runtime_expressions(&mut self, node: &'d Node) {
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

    fn server_variables(&mut self, server: &Node, value: &Node, at: &str) {
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

    fn semantics_v2(&mut self) {
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

    fn security_v2(&mut self, security: Option<&Node>, schemes: &HashSet<&str>, at: &str) {
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

/// Every `location` field of a correlation id, parameter or reply address.
fn collect_locations(doc: &Node, v3: bool) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    fn walk<'a>(node: &'a Node, kind: Kind, at: &str, v3: bool, out: &mut Vec<(String, &'a Node)>) {
        if node.get("$ref").is_some() {
            return;
        }
        if matches!(
            kind,
            Kind::CorrelationId | Kind::Parameter | Kind::OperationReplyAddress
        ) && let Some(loc) = node.get("location")
        {
            out.push((child(at, "location"), loc));
        }
        let Some(spec) = spec::object_spec(kind, v3) else {
            if kind == Kind::MessageChoice {
                if let Some(items) = node.get("oneOf").and_then(Node::as_seq) {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, Kind::Message, &format!("{at}/oneOf/{i}"), v3, out);
                    }
                } else {
                    walk(node, Kind::Message, at, v3, out);
                }
            }
            return;
        };
        for (k, v) in node.as_map().into_iter().flatten() {
            let Some(field) = spec.fields.iter().find(|f| f.name == k.name) else {
                continue;
            };
            walk_shape(v, field.shape, &child(at, &k.name), v3, out);
        }
    }
    fn walk_shape<'a>(
        node: &'a Node,
        shape: Shape,
        at: &str,
        v3: bool,
        out: &mut Vec<(String, &'a Node)>,
    ) {
        match shape {
            Shape::Obj(k) | Shape::RefOr(k) => walk(node, k, at, v3, out),
            Shape::Map(inner) => {
                for (k, v) in node.as_map().into_iter().flatten() {
                    walk_shape(v, *inner, &child(at, &k.name), v3, out);
                }
            }
            Shape::List(inner) => {
                for (i, v) in node.as_seq().into_iter().flatten().enumerate() {
                    walk_shape(v, *inner, &format!("{at}/{i}"), v3, out);
                }
            }
            _ => {}
        }
    }
    walk(doc, Kind::Document, "", v3, &mut out);
    out
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Document => "the document root",
        Kind::Info => "`info`",
        Kind::Contact => "a contact",
        Kind::License => "a license",
        Kind::Server => "a server",
        Kind::ServerVariable => "a server variable",
        Kind::Channel => "a channel",
        Kind::Parameter => "a parameter",
        Kind::Operation => "an operation",
        Kind::OperationTrait => "an operation trait",
        Kind::OperationReply => "an operation reply",
        Kind::OperationReplyAddress => "a reply address",
        Kind::Message => "a message",
        Kind::MessageTrait => "a message trait",
        Kind::MessageExample => "a message example",
        Kind::CorrelationId => "a correlation id",
        Kind::Components => "`components`",
        Kind::Tag => "a tag",
        Kind::ExternalDocs => "external docs",
        Kind::SecurityScheme => "a security scheme",
        Kind::OAuthFlows => "OAuth flows",
        Kind::OAuthFlow => "an OAuth flow",
        _ => "this object",
    }
}
