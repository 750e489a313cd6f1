//! The engine: a loaded document in, generated Rust out. Pure: no file
//! system, no environment; the CLI, the build-script helper and xtask do
//! the reading and writing.

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::emit::{self, Rendered};
use crate::load::{Node, Span};
use crate::lower::{self, Ir};
use crate::settings::Settings;
use crate::types::TypeDef;

/// What generation produced.
#[derive(Debug, Clone)]
pub struct Generated {
    pub code: Rendered,
    pub ir: Ir,
    pub types: Vec<TypeDef>,
    /// The 3.x document generation worked from (2.x converted); the IR's
    /// pointers point into it.
    pub document: Value,
    /// Warnings and notes about what could not be typed exactly.
    pub diagnostics: Vec<Diagnostic>,
}

/// Protocols the runtime has adapters for.
const SUPPORTED_PROTOCOLS: &[&str] = &[
    "kafka",
    "kafka-secure",
    "amqp",
    "amqps",
    "nats",
    "redis",
    "rediss",
    "mqtt",
    "mqtts",
    "secure-mqtt",
];

/// Generates code from a bundled document (the loader's output; 2.x is
/// converted to 3.0 first). `source_name` appears in the header.
pub fn generate(
    document: &Node,
    settings: &Settings,
    source_name: &str,
) -> Result<Generated, Diagnostic> {
    let value = document.to_value();
    let v3 = match faststream_asyncapi::SpecVersion::of(&value) {
        Some(faststream_asyncapi::SpecVersion::V2(_)) => {
            faststream_asyncapi::convert::v2_to_v3(&value)
                .map_err(|e| {
                    Diagnostic::error(Code::VersionUnsupported, e.to_string()).at("", document.span)
                })?
                .document
        }
        Some(_) => value,
        None => {
            return Err(Diagnostic::error(
                Code::VersionUnsupported,
                "not a supported AsyncAPI document",
            )
            .at("", document.span));
        }
    };
    let (ir, types, notes) = lower::lower(&v3, settings);
    let defs = types.defs.clone();
    drop(types);
    let mut diagnostics: Vec<Diagnostic> = notes
        .into_iter()
        .map(|n| {
            let span = position(document, &n.pointer);
            Diagnostic {
                code: n.code,
                severity: n.severity,
                message: n.message,
                pointer: n.pointer.clone(),
                span: Some(span),
                help: None,
            }
        })
        .collect();
    diagnostics.extend(protocol_warnings(&v3, document));
    let json = serde_json::to_string_pretty(&v3).unwrap_or_default();
    let code = emit::render(&ir, &defs, settings, source_name, &json).map_err(|e| {
        Diagnostic::error(
            Code::UnsupportedSchema,
            format!("internal error while rendering: {e}"),
        )
        .at("", document.span)
    })?;
    Ok(Generated {
        code,
        ir,
        types: defs,
        document: v3,
        diagnostics,
    })
}

/// The position of a pointer in the bundled document (the nearest node
/// that exists: pointers of converted 2.x documents may not).
fn position(document: &Node, pointer: &str) -> Span {
    document.nearest(pointer).span
}

fn protocol_warnings(v3: &Value, document: &Node) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, server) in v3
        .get("servers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(protocol) = server.get("protocol").and_then(Value::as_str) else {
            continue;
        };
        if !SUPPORTED_PROTOCOLS.contains(&protocol.to_ascii_lowercase().as_str()) {
            let pointer = format!("/servers/{}", faststream_asyncapi::pointer::escape(name));
            out.push(Diagnostic {
                code: Code::UnsupportedProtocol,
                severity: Severity::Warning,
                message: format!(
                    "server `{name}` uses protocol `{protocol}`, which the runtime has no adapter for; models, traits and publishers are generated, running them needs an adapter"
                ),
                span: Some(position(document, &pointer)),
                pointer,
                help: None,
            });
        }
    }
    out
}
