//! Validation of a bundled document: structure (types, required fields,
//! allowed values, unknown fields, where `$ref` may stand), references
//! (every `$ref` resolves, no chain points at itself) and semantics
//! (address parameters, operation messages, runtime expressions, unique
//! operation ids, security scheme names, server variables).
//!
//! Every problem is collected; nothing stops at the first.

mod examples;
mod refs;
mod semantics;
mod structure;

use std::collections::HashSet;

use faststream_asyncapi::SpecVersion;

use crate::diagnostics::{Code, Diagnostic};
use crate::load::{Node, NodeValue, Span};
use crate::spec::{Kind, Shape};

pub use semantics::{address_parameters, is_runtime_expression};
use structure::Validator;

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
