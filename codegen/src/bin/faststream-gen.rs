//! The `faststream-gen` command line.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use faststream_gen::asyncapi::{self, SpecVersion, convert, emit};
use faststream_gen::diagnostics::{self, render_human, render_json};
use faststream_gen::{Checked, LoadOptions, check_file};

#[derive(Parser, Debug)]
#[command(
    name = "faststream-gen",
    version,
    about = "AsyncAPI documents in, typed Rust event-driven services out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check documents and report every problem, with file:line:column.
    ///
    /// Exit status: 0 when no document has errors, 1 when any has, 2 on
    /// usage errors.
    Validate {
        /// The documents to check (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Convert a document to another AsyncAPI version.
    ///
    /// The output is self-contained: external references are bundled.
    Convert {
        file: PathBuf,
        /// The target version.
        #[arg(long, value_enum)]
        to: TargetVersion,
        /// Where to write (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Output format (default: from the output file's extension, else yaml).
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Write one self-contained document: external references are brought
    /// into `components` and referenced locally.
    Bundle {
        file: PathBuf,
        /// Where to write (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Output format (default: from the output file's extension, else yaml).
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
        #[command(flatten)]
        load: LoadArgs,
    },
}

#[derive(Args, Debug)]
struct LoadArgs {
    /// Folder every referenced file must be inside (default: the project
    /// holding the document: the nearest folder with `.git` or `Cargo.toml`).
    #[arg(long, value_name = "DIR")]
    ref_root: Option<PathBuf>,
    /// Resolve `$ref`s starting with URL from files in DIR (never fetched).
    #[arg(long, value_name = "URL=DIR", value_parser = parse_ref_map)]
    ref_map: Vec<(String, PathBuf)>,
}

impl LoadArgs {
    fn options(&self) -> LoadOptions {
        LoadOptions {
            ref_root: self.ref_root.clone(),
            ref_map: self.ref_map.clone(),
            ..LoadOptions::default()
        }
    }
}

fn parse_ref_map(s: &str) -> Result<(String, PathBuf), String> {
    let (url, dir) = s
        .split_once('=')
        .ok_or_else(|| format!("expected URL=DIR, got `{s}`"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("`{url}` is not an http(s) URL prefix"));
    }
    Ok((url.to_owned(), PathBuf::from(dir)))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DiagnosticFormat {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Yaml,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum TargetVersion {
    #[value(name = "3.0")]
    V3_0,
    #[value(name = "3.1")]
    V3_1,
    #[value(name = "2.6")]
    V2_6,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Validate {
            files,
            format,
            load,
        } => {
            let options = load.options();
            let mut failed = false;
            let mut json_items = Vec::new();
            for file in &files {
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
                        let diags: serde_json::Value =
                            serde_json::from_str(&rendered).unwrap_or_default();
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
        Command::Convert {
            file,
            to,
            output,
            format,
            load,
        } => {
            let checked = checked_or_report(&file, &load)?;
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
            write_output(&document, output.as_deref(), format)
        }
        Command::Bundle {
            file,
            output,
            format,
            load,
        } => {
            let checked = checked_or_report(&file, &load)?;
            let Some(value) = checked.bundled_value() else {
                return Ok(ExitCode::from(1));
            };
            write_output(&value, output.as_deref(), format)
        }
    }
}

fn counts(checked: &Checked) -> (usize, usize) {
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, checked.diagnostics.len() - errors)
}

/// Loads and validates; prints the diagnostics; fails on errors.
fn checked_or_report(file: &std::path::Path, load: &LoadArgs) -> Result<Checked, String> {
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

fn write_output(
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
