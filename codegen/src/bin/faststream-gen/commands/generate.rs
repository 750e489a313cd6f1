//! `faststream-gen generate`: the module for a document, checked against
//! what is written (`--check`) or made again on every change (`--watch`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use faststream_gen::diagnostics::render_human;
use faststream_gen::{Checked, LoadOptions, Settings, check_file};

use crate::args::LoadArgs;
use crate::report::checked_or_report;

pub(crate) fn run(
    file: &Path,
    output: Option<PathBuf>,
    check: bool,
    watch: bool,
    settings: &Settings,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    if watch {
        let Some(output) = output else {
            return Err("--watch needs -o OUT".into());
        };
        return watch_and_generate(file, &output, settings, &load.options());
    }
    if check && output.is_none() {
        // Before anything is generated: nothing is printed either.
        return Err("--check needs -o OUT".into());
    }
    generate(file, output.as_deref(), check, settings, load)
}

/// `generate`: writes the module (or prints it), or with `check` says
/// whether what is written is current, with a unified diff when not.
fn generate(
    file: &Path,
    output: Option<&Path>,
    check: bool,
    settings: &Settings,
    load: &LoadArgs,
) -> Result<ExitCode, String> {
    let checked = checked_or_report(file, load)?;
    let Some(document) = checked.loaded.document.as_ref() else {
        return Ok(ExitCode::from(1));
    };
    let Some(files) = render(file, output, settings, &checked, document)? else {
        return Ok(ExitCode::SUCCESS);
    };
    if check {
        let mut stale = 0;
        for (path, text) in &files {
            let old = std::fs::read_to_string(path).unwrap_or_default();
            if old != *text {
                stale += 1;
                let shown = path.display().to_string();
                print!(
                    "{}",
                    similar::TextDiff::from_lines(old.as_str(), text.as_str())
                        .unified_diff()
                        .context_radius(3)
                        .header(&shown, &format!("{shown} (generated)"))
                );
            }
        }
        if stale == 0 {
            eprintln!("generated code is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{stale} stale generated file(s): run `faststream-gen generate {} -o {}` to update",
            file.display(),
            output.map(|o| o.display().to_string()).unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    }
    for (path, text) in &files {
        faststream_gen::write::write_atomic(path, text.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The files `generate` writes for `output` (printing the module and
/// returning `None` without one); generation warnings are printed.
fn render(
    file: &Path,
    output: Option<&Path>,
    settings: &Settings,
    checked: &Checked,
    document: &faststream_gen::load::Node,
) -> Result<Option<Vec<(PathBuf, String)>>, String> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let generated = faststream_gen::generate(document, settings, &name)
        .map_err(|d| render_human(std::slice::from_ref(&d), &checked.loaded.sources))?;
    if !generated.diagnostics.is_empty() {
        eprint!(
            "{}",
            render_human(&generated.diagnostics, &checked.loaded.sources)
        );
    }
    Ok(match output {
        None => {
            print!("{}", generated.code.single);
            None
        }
        Some(out) if out.extension().is_some_and(|e| e == "rs") => {
            Some(vec![(out.to_path_buf(), generated.code.single.clone())])
        }
        Some(dir) => Some(
            generated
                .code
                .tree
                .iter()
                .map(|(name, text)| (dir.join(name), text.clone()))
                .collect(),
        ),
    })
}

/// `generate --watch`: generates, then again whenever the document or a
/// file it reached changes (polled twice a second), until interrupted. A
/// broken document is reported and waited on; the last good output stays.
fn watch_and_generate(
    file: &Path,
    output: &Path,
    settings: &Settings,
    options: &LoadOptions,
) -> Result<ExitCode, String> {
    let stamp = |paths: &[PathBuf]| -> Vec<Option<std::time::SystemTime>> {
        paths
            .iter()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect()
    };
    loop {
        let checked = check_file(file, options);
        let mut watched: Vec<PathBuf> = vec![file.to_path_buf()];
        watched.extend(
            checked
                .loaded
                .sources
                .paths()
                .filter(|p| *p != file)
                .map(Path::to_path_buf),
        );
        if !checked.diagnostics.is_empty() {
            eprint!(
                "{}",
                render_human(&checked.diagnostics, &checked.loaded.sources)
            );
        }
        match checked.loaded.document.as_ref() {
            Some(document) if !checked.has_errors() => {
                match render(file, Some(output), settings, &checked, document) {
                    Ok(Some(files)) => {
                        let mut written = 0;
                        for (path, text) in &files {
                            match faststream_gen::write::write_atomic(path, text.as_bytes()) {
                                Ok(true) => written += 1,
                                Ok(false) => {}
                                Err(e) => {
                                    eprintln!("error: cannot write `{}`: {e}", path.display())
                                }
                            }
                        }
                        eprintln!(
                            "generated {} ({written} file(s) changed); watching {} file(s)",
                            output.display(),
                            watched.len()
                        );
                    }
                    Ok(None) => {}
                    Err(e) => eprint!("{e}"),
                }
            }
            _ => eprintln!(
                "`{}` has errors; {} left as it was; watching for changes",
                file.display(),
                output.display()
            ),
        }
        let seen = stamp(&watched);
        while stamp(&watched) == seen {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }
}
