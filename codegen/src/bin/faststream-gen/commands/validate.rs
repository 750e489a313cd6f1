//! `faststream-gen validate`: every problem of each document.

use std::path::PathBuf;
use std::process::ExitCode;

use faststream_gen::check_file;
use faststream_gen::diagnostics::{render_human, render_json};

use crate::args::{DiagnosticFormat, LoadArgs};
use crate::report::counts;

pub(crate) fn run(
    files: &[PathBuf],
    format: DiagnosticFormat,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    let options = load.options();
    let mut failed = false;
    let mut json_items = Vec::new();
    for file in files {
        let checked = check_file(file, &options);
        failed |= checked.has_errors();
        match format {
            DiagnosticFormat::Human => {
                eprint!(
                    "{}",
                    render_human(&checked.diagnostics, &checked.loaded.sources)
                );
                let (e, w) = counts(&checked);
                if e == 0 {
                    eprintln!("{}: valid ({w} warning(s))", file.display());
                } else {
                    eprintln!("{}: {e} error(s), {w} warning(s)", file.display());
                }
            }
            DiagnosticFormat::Json => {
                let rendered = render_json(&checked.diagnostics, &checked.loaded.sources);
                let diags: serde_json::Value = serde_json::from_str(&rendered).unwrap_or_default();
                json_items.push(serde_json::json!({
                    "file": file.display().to_string(),
                    "valid": !checked.has_errors(),
                    "diagnostics": diags,
                }));
            }
        }
    }
    if format == DiagnosticFormat::Json {
        let out = serde_json::to_string_pretty(&json_items).map_err(|e| e.to_string())?;
        println!("{out}");
    }
    Ok(ExitCode::from(u8::from(failed)))
}
