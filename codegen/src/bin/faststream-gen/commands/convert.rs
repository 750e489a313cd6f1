//! `faststream-gen convert`: a document in another AsyncAPI version.

use std::path::Path;
use std::process::ExitCode;

use faststream_gen::asyncapi::{SpecVersion, convert};

use crate::args::{LoadArgs, OutputFormat, TargetVersion};
use crate::report::{checked_or_report, write_output};

pub(crate) fn run(
    file: &Path,
    to: TargetVersion,
    output: Option<&Path>,
    format: Option<OutputFormat>,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    let checked = checked_or_report(file, load)?;
    let Some(value) = checked.bundled_value() else {
        return Ok(ExitCode::from(1));
    };
    let converted = match (SpecVersion::of(&value), to) {
        (Some(SpecVersion::V2(_)), TargetVersion::V3_0 | TargetVersion::V3_1) => {
            convert::v2_to_v3(&value).map_err(|e| e.to_string())?
        }
        (Some(SpecVersion::V3(_)), TargetVersion::V2_6) => {
            convert::v3_to_v2(&value).map_err(|e| e.to_string())?
        }
        _ => convert::Converted {
            document: value,
            notes: Vec::new(),
        },
    };
    for note in &converted.notes {
        eprintln!("warning: #{}: {}", note.pointer, note.message);
    }
    let mut document = converted.document;
    let version = match to {
        TargetVersion::V3_0 => "3.0.0",
        TargetVersion::V3_1 => "3.1.0",
        TargetVersion::V2_6 => "2.6.0",
    };
    if let Some(m) = document.as_object_mut() {
        m.insert("asyncapi".into(), serde_json::json!(version));
    }
    write_output(&document, output, format)
}
