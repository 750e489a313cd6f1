//! The AsyncAPI document model used by faststream-gen.
//!
//! - [`v3`]: the canonical 3.x model (3.0 and 3.1).
//! - [`v2`]: the 2.0–2.6 input model.
//! - [`convert`]: 2.x -> 3.x (official converter semantics) and 3.x -> 2.6.
//! - [`traits`]: operation and message traits applied by the specification's
//!   rules (what [`to_v3_model`] and [`to_v3_applied`] do first).
//! - [`emit`]: YAML and JSON output with stable key order.
//! - [`html`]: one self-contained HTML page of a document.
//! - [`schema_check`]: whether a value conforms to a JSON Schema (draft-07).
//! - [`ecma`]: a schema's `pattern` (ECMA-262) in `regex_lite`'s syntax.
//!
//! This crate is pure data: it reads no files and knows nothing of source
//! positions. Loading, `$ref` resolution and diagnostics live in the
//! `faststream-gen` crate.

pub mod bindings;
pub mod common;
pub mod convert;
pub mod ecma;
pub mod emit;
pub mod html;
pub mod pointer;
pub mod schema_check;
pub mod traits;
pub mod v2;
pub mod v3;

pub use common::{Extensions, ExternalDocs, Info, RefOr, Reference, Schema, Tag};
pub use v3::AsyncApi;

use serde_json::Value;

/// The major version family of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecVersion {
    /// 2.0.0 through 2.6.0.
    V2(u8),
    /// 3.0.0 or 3.1.0.
    V3(u8),
}

impl SpecVersion {
    /// The versions this crate reads.
    pub const SUPPORTED: &'static [&'static str] = &[
        "2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0", "3.1.0",
    ];

    /// Parses an `asyncapi` version string.
    pub fn parse(version: &str) -> Option<SpecVersion> {
        match version {
            "2.0.0" | "2.1.0" | "2.2.0" | "2.3.0" | "2.4.0" | "2.5.0" | "2.6.0" => {
                Some(SpecVersion::V2(version.as_bytes()[2] - b'0'))
            }
            "3.0.0" => Some(SpecVersion::V3(0)),
            "3.1.0" => Some(SpecVersion::V3(1)),
            _ => None,
        }
    }

    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V2(minor) => Self::SUPPORTED[usize::from(minor.min(6))],
            SpecVersion::V3(0) => "3.0.0",
            SpecVersion::V3(_) => "3.1.0",
        }
    }

    /// The version of a document value, when it names a supported one.
    pub fn of(document: &Value) -> Option<SpecVersion> {
        document
            .get("asyncapi")
            .and_then(Value::as_str)
            .and_then(SpecVersion::parse)
    }
}

/// Reads a document value (any supported version) into the canonical 3.x
/// model, as the document means it: its traits applied (by its version's
/// rules, see [`traits`]), then 2.x converted.
pub fn to_v3_model(document: &Value) -> Result<(AsyncApi, Vec<convert::ConvertNote>), String> {
    let (value, _, notes) = to_v3_applied(document)?;
    let model = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok((model, notes))
}

/// The document as a 3.x value, as it means it: every trait applied (by
/// its version's rules), then 2.x converted. Returns also what the
/// application did (where merged parts came from) and the conversion's
/// notes.
pub fn to_v3_applied(
    document: &Value,
) -> Result<(Value, traits::Applied, Vec<convert::ConvertNote>), String> {
    into_v3_applied(document.clone())
}

/// [`to_v3_applied`] of a document the caller gives away (no copy).
pub fn into_v3_applied(
    document: Value,
) -> Result<(Value, traits::Applied, Vec<convert::ConvertNote>), String> {
    let version = SpecVersion::of(&document).ok_or_else(|| {
        format!(
            "unsupported or missing `asyncapi` version (supported: {})",
            SpecVersion::SUPPORTED.join(", ")
        )
    })?;
    let mut value = document;
    let applied = traits::apply(&mut value);
    match version {
        SpecVersion::V2(_) => {
            let c = convert::v2_to_v3(&value).map_err(|e| e.to_string())?;
            Ok((c.document, applied, c.notes))
        }
        SpecVersion::V3(_) => Ok((value, applied, Vec::new())),
    }
}
