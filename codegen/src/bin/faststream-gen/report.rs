//! What every command does with a document's diagnostics and its output.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use faststream_gen::asyncapi::{self, emit};
use faststream_gen::diagnostics::{self, render_human};
use faststream_gen::{Checked, check_file};

use crate::args::{LoadArgs, OutputFormat};

pub(crate) fn counts(checked: &Checked) -> (usize, usize) {
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, checked.diagnostics.len() - errors)
}

/// Loads and validates; prints the diagnostics; fails on errors.
pub(crate) fn checked_or_report(
    file: &std::path::Path,
    load: &LoadArgs,
) -> Result<Checked, String> {
    let checked = check_file(file, &load.options());
    if !checked.diagnostics.is_empty() {
        eprint!(
            "{}",
            render_human(&checked.diagnostics, &checked.loaded.sources)
        );
    }
    if diagnostics::has_errors(&checked.diagnostics) {
        return Err(format!(
            "`{}` has errors; nothing was written",
            file.display()
        ));
    }
    Ok(checked)
}

pub(crate) fn write_output(
    value: &serde_json::Value,
    output: Option<&std::path::Path>,
    format: Option<OutputFormat>,
) -> Result<ExitCode, String> {
    let format = format.unwrap_or_else(|| match output.and_then(|o| o.extension()) {
        Some(ext) if ext == "json" => OutputFormat::Json,
        _ => OutputFormat::Yaml,
    });
    let text = match format {
        OutputFormat::Yaml => asyncapi::emit::value_to_yaml(value),
        OutputFormat::Json => emit::to_json(value).map_err(|e| e.to_string())?,
    };
    match output {
        Some(path) => {
            faststream_gen::write::write_atomic(path, text.as_bytes())
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())?;
            if stdout.is_terminal() {
                let _ = stdout.flush();
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
