//! `faststream-gen bundle`: one self-contained document.

use std::path::Path;
use std::process::ExitCode;

use crate::args::{LoadArgs, OutputFormat};
use crate::report::{checked_or_report, write_output};

pub(crate) fn run(
    file: &Path,
    output: Option<&Path>,
    format: Option<OutputFormat>,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    let checked = checked_or_report(file, load)?;
    let Some(value) = checked.bundled_value() else {
        return Ok(ExitCode::from(1));
    };
    write_output(&value, output, format)
}
