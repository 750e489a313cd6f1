//! The structure of a document: each object's type, required and allowed
//! fields, where `$ref` may stand, and the JSON Schema keywords' types.

use std::collections::{BTreeSet, HashSet};

use faststream_asyncapi::pointer;

use crate::diagnostics::{Code, Diagnostic};
use crate::load::{Node, NodeValue, Span, schema_child_shape};
use crate::spec::{self, Kind, Shape};

pub(super) struct Validator<'d> {
    pub(super) doc: &'d Node,
    pub(super) bundled_refs: &'d HashSet<Span>,
    pub(super) v3: bool,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// (pointer of the `$ref` object, the reference, the `$ref` value node)
    pub(super) refs: Vec<(String, String, &'d Node)>,
    /// `components.schemas` entries, checked after everything else.
    pub(super) component_schemas: Vec<(String, &'d Node)>,
    /// Pointers that non-JSON-Schema payloads reference.
    pub(super) foreign: HashSet<String>,
    /// JSON schemas with `examples` or a `default`, checked at the end.
    pub(super) with_examples: Vec<(String, &'d Node)>,
    /// Message objects with `examples`, checked at the end.
    pub(super) messages: Vec<(String, &'d Node)>,
    /// The document as JSON, for the schema checker (made once, when the
    /// first example is checked).
    pub(super) doc_value: Option<serde_json::Value>,
}

/// What a JSON Schema keyword's value must be (draft-07, the dialect of
/// the AsyncAPI schema object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeywordType {
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
pub(super) const KEYWORD_TYPES: &[(&str, KeywordType)] = &[
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

pub(super) fn child(at: &str, key: &str) -> String {
    format!("{at}/{}", pointer::escape(key))
}

impl<'d> Validator<'d> {
    pub(super) fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    pub(super) fn mismatch(&mut self, node: &Node, expected: &str, at: &str) {
        self.push(
            Diagnostic::error(
                Code::TypeMismatch,
                format!("expected {expected}, found {}", node.type_name()),
            )
            .at(at, node.span),
        );
    }

    pub(super) fn shape(&mut self, node: &'d Node, shape: Shape, at: &str) {
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

    pub(super) fn reference(&mut self, r: &'d Node, at: &str) {
        match r.as_str() {
            Some(s) => self.refs.push((at.to_owned(), s.to_owned(), r)),
            None => self.mismatch(r, "a string (`$ref`)", &child(at, "$ref")),
        }
    }

    pub(super) fn kind(&mut self, node: &'d Node, kind: Kind, at: &str) {
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

    pub(super) fn object(&mut self, node: &'d Node, kind: Kind, at: &str) {
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

    pub(super) fn schema(&mut self, node: &'d Node, at: &str) {
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
    pub(super) fn resolve(&self, mut node: &'d Node) -> &'d Node {
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

    /// A JSON Schema keyword whose value has the wrong type.
    pub(super) fn keyword_type(&mut self, node: &Node, keyword: &str, expected: &str, at: &str) {
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
}

/// Every `location` field of a correlation id, parameter or reply address.
pub(super) fn collect_locations(doc: &Node, v3: bool) -> Vec<(String, &Node)> {
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

pub(super) fn kind_name(kind: Kind) -> &'static str {
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
