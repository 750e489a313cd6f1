//! `faststream-gen diff`: every change between two versions of a document,
//! classified by whom it breaks.

use std::path::Path;
use std::process::ExitCode;

use faststream_gen::check_file;
use faststream_gen::diagnostics::render_human;

use crate::args::{DiffFormat, LoadArgs};

pub(crate) fn run(
    old: &Path,
    new: &Path,
    format: DiffFormat,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    let mut sides = Vec::new();
    for file in [old, new] {
        let checked = check_file(file, &load.options());
        if checked.has_errors() || checked.model.is_none() {
            eprint!(
                "{}",
                render_human(&checked.diagnostics, &checked.loaded.sources)
            );
            eprintln!(
                "error: `{}` does not load; nothing compared",
                file.display()
            );
            return Ok(ExitCode::from(2));
        }
        sides.push(checked);
    }
    let (Some(a), Some(b)) = (
        faststream_gen::diff::Side::new(&sides[0]),
        faststream_gen::diff::Side::new(&sides[1]),
    ) else {
        return Ok(ExitCode::from(2));
    };
    let changes = faststream_gen::diff::diff(&a, &b);
    let text = match format {
        DiffFormat::Text => faststream_gen::diff::render_text(&changes),
        DiffFormat::Json => faststream_gen::diff::render_json(&changes),
        DiffFormat::Markdown => faststream_gen::diff::render_markdown(&changes),
    };
    print!("{text}");
    Ok(if faststream_gen::diff::has_breaking(&changes) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
