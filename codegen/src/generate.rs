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
    /// The 3.x document generation worked from (traits applied, 2.x
    /// converted); the IR's pointers point into it.
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

/// Generates code from a bundled document (the loader's output): its
/// traits are applied and 2.x is converted to 3.0 first, so what a trait
/// gives is generated as if written in place. `source_name` appears in the
/// header.
pub fn generate(
    document: &Node,
    settings: &Settings,
    source_name: &str,
) -> Result<Generated, Diagnostic> {
    // Traits are applied once, here, before anything reads the document:
    // the parts they give are then where they would be written in place.
    let (v3, applied, _) = faststream_asyncapi::into_v3_applied(document.to_value())
        .map_err(|e| Diagnostic::error(Code::VersionUnsupported, e).at("", document.span))?;
    let (ir, types, notes) = lower::lower(&v3, settings);
    let defs = types.defs.clone();
    drop(types);
    let mut diagnostics: Vec<Diagnostic> = notes
        .into_iter()
        .map(|n| {
            let span = position(document, &applied.source_of(&n.pointer));
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
    // Compact: the document is data for the export, not for reading (the
    // spec is); it ends the generated file on one line.
    let json = serde_json::to_string(&v3).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A note about a part a trait gave points at the trait, where the
    /// part is written.
    #[test]
    fn notes_on_what_a_trait_gave_point_at_the_trait() {
        let text = "\
asyncapi: 3.0.0
info: { title: t, version: '1' }
channels:
  status:
    address: status
    messages:
      s: { payload: { type: string } }
operations:
  onStatus:
    action: receive
    channel: { $ref: '#/channels/status' }
    traits:
      - $ref: '#/components/operationTraits/qos'
components:
  operationTraits:
    qos:
      bindings:
        mqtt:
          qos: 3
";
        let checked = crate::check_str(Path::new("t.yaml"), text, &Default::default());
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let generated = generate(
            checked.loaded.document.as_ref().unwrap(),
            &Settings::default(),
            "t",
        )
        .unwrap();
        let note = generated
            .diagnostics
            .iter()
            .find(|d| d.message.contains("qos 3"))
            .expect("a note on the qos the trait gave");
        assert_eq!(note.pointer, "/operations/onStatus/bindings/mqtt/qos");
        let span = note.span.expect("a position");
        assert_eq!((span.line, span.col), (19, 16), "{note:?}");
    }
}
