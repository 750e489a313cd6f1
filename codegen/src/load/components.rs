//! The root document's `components`: the sections bundled objects go
//! to, adding them, and one spelling for every local `$ref`.

use super::node::{Key, Node, NodeValue};
use crate::spec::{self, Kind, Shape};

pub(super) const SECTIONS: &[&str] = &[
    "schemas",
    "servers",
    "serverVariables",
    "channels",
    "operations",
    "messages",
    "securitySchemes",
    "parameters",
    "correlationIds",
    "replies",
    "replyAddresses",
    "externalDocs",
    "tags",
    "operationTraits",
    "messageTraits",
    "serverBindings",
    "channelBindings",
    "operationBindings",
    "messageBindings",
];

pub(super) fn set_ref(node: &mut Node, reference: String) {
    if let Some(r) = node.get_mut("$ref") {
        r.value = NodeValue::Str(reference);
    }
}

/// The shape of a JSON Schema keyword's value, for walking schemas.
pub(crate) fn schema_child_shape(keyword: &str, value: &Node) -> Option<Shape> {
    const SCHEMA: Shape = Shape::RefOr(Kind::Schema);
    if spec::SCHEMA_KEYWORDS.contains(&keyword) {
        return Some(SCHEMA);
    }
    if spec::SCHEMA_LIST_KEYWORDS.contains(&keyword) {
        return Some(Shape::List(&SCHEMA));
    }
    if spec::SCHEMA_MAP_KEYWORDS.contains(&keyword) {
        return Some(Shape::Map(&SCHEMA));
    }
    match keyword {
        "items" => Some(match value.value {
            NodeValue::Seq(_) => Shape::List(&SCHEMA),
            _ => SCHEMA,
        }),
        "additionalProperties" => match value.value {
            NodeValue::Map(_) => Some(SCHEMA),
            _ => None,
        },
        _ => None,
    }
}

/// Adds bundled objects to the root's `components`, creating sections as
/// needed; positions of the added nodes stay those of their own files.
pub(super) fn insert_components(doc: &mut Node, added: Vec<(&'static str, String, Node)>) {
    if added.is_empty() {
        return;
    }
    let span = doc.span;
    let Some(root) = doc.as_map_mut() else { return };
    if !root.iter().any(|(k, _)| k.name == "components") {
        root.push((
            Key {
                name: "components".into(),
                span,
            },
            Node::new(NodeValue::Map(Vec::new()), span),
        ));
    }
    let Some(components) = root
        .iter_mut()
        .find(|(k, _)| k.name == "components")
        .and_then(|(_, v)| v.as_map_mut())
    else {
        return;
    };
    for (section, name, node) in added {
        if !components.iter().any(|(k, _)| k.name == section) {
            components.push((
                Key {
                    name: section.into(),
                    span,
                },
                Node::new(NodeValue::Map(Vec::new()), span),
            ));
        }
        if let Some(entries) = components
            .iter_mut()
            .find(|(k, _)| k.name == section)
            .and_then(|(_, v)| v.as_map_mut())
        {
            let key_span = node.span;
            entries.push((
                Key {
                    name,
                    span: key_span,
                },
                node,
            ));
        }
    }
}

/// Writes every local `$ref` in its canonical form: the fragment's
/// `%`-escapes decoded (`#/channels/logs.%7Blevel%7D` is the channel
/// `logs.{level}`, as FastStream writes it) and the pointer escaped as
/// RFC 6901 says, so one target has one spelling everywhere after loading.
/// Iterative: a deep tree cannot overflow the stack.
pub(super) fn canonical_refs(doc: &mut Node) {
    let mut stack = vec![doc];
    while let Some(node) = stack.pop() {
        match &mut node.value {
            NodeValue::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    if k.name == "$ref"
                        && let NodeValue::Str(r) = &mut v.value
                        && let Some(fragment) = r.strip_prefix('#')
                        && fragment.contains('%')
                    {
                        let canonical = format!(
                            "#{}",
                            faststream_asyncapi::pointer::join(
                                faststream_asyncapi::pointer::segments(fragment)
                            )
                        );
                        *r = canonical;
                    } else {
                        stack.push(v);
                    }
                }
            }
            NodeValue::Seq(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}
