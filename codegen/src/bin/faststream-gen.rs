//! The `faststream-gen` command line.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use faststream_gen::asyncapi::{self, SpecVersion, convert, emit};
use faststream_gen::diagnostics::{self, render_human, render_json};
use faststream_gen::settings::{DateTimeRepr, MapType, Side, UnknownFields};
use faststream_gen::{Checked, LoadOptions, Settings, check_file};

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
    /// Generate Rust code: message types, headers and channel addresses.
    ///
    /// `-o OUT.rs` writes one module file; `-o DIR/` writes a module tree
    /// (`mod.rs`, `models.rs`, `channels.rs`); without `-o`, the module
    /// goes to standard output.
    Generate {
        file: PathBuf,
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Do not write: exit 1 if OUT differs from what would be generated.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        settings: SettingsArgs,
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

#[derive(Args, Debug)]
struct SettingsArgs {
    /// How date-time, date and time strings are typed.
    #[arg(long, value_enum, default_value_t = DateTimeArg::Chrono)]
    date_time: DateTimeArg,
    /// What happens to fields a schema does not name (when
    /// additionalProperties allows them): ignored, as serde and pydantic
    /// do, or kept in an `additional_properties` map (pass-through services).
    #[arg(long, value_enum, default_value_t = UnknownFieldsArg::Ignore)]
    unknown_fields: UnknownFieldsArg,
    /// The map type of generated code.
    #[arg(long, value_enum, default_value_t = MapArg::Btree)]
    map: MapArg,
    /// Extra derive for every generated struct and enum (repeatable).
    #[arg(long, value_name = "TRAIT")]
    derive: Vec<String>,
    /// The path generated code reaches the runtime through.
    #[arg(long, value_name = "PATH", default_value = "::faststream::__codegen")]
    runtime_path: String,
    /// Only this channel (repeatable; default: all).
    #[arg(long, value_name = "KEY")]
    channel: Vec<String>,
    /// Only this operation (repeatable; default: all).
    #[arg(long, value_name = "KEY")]
    operation: Vec<String>,
    /// Which side to generate: the application, its client (the mirror), or both.
    #[arg(long, value_enum, default_value_t = SideArg::App)]
    side: SideArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SideArg {
    App,
    Client,
    Both,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DateTimeArg {
    Chrono,
    String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum UnknownFieldsArg {
    Keep,
    Ignore,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MapArg {
    Btree,
    Hash,
}

impl SettingsArgs {
    fn settings(&self) -> Settings {
        Settings {
            runtime_path: self.runtime_path.clone(),
            date_time: match self.date_time {
                DateTimeArg::Chrono => DateTimeRepr::Chrono,
                DateTimeArg::String => DateTimeRepr::String,
            },
            unknown_fields: match self.unknown_fields {
                UnknownFieldsArg::Keep => UnknownFields::Keep,
                UnknownFieldsArg::Ignore => UnknownFields::Ignore,
            },
            map_type: match self.map {
                MapArg::Btree => MapType::BTreeMap,
                MapArg::Hash => MapType::HashMap,
            },
            extra_derives: self.derive.clone(),
            operations: self.operation.clone(),
            channels: self.channel.clone(),
            side: match self.side {
                SideArg::App => Side::App,
                SideArg::Client => Side::Client,
                SideArg::Both => Side::Both,
            },
        }
    }
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
        Command::Generate {
            file,
            output,
            check,
            settings,
            load,
        } => {
            let checked = checked_or_report(&file, &load)?;
            let Some(document) = checked.loaded.document.as_ref() else {
                return Ok(ExitCode::from(1));
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let generated = faststream_gen::generate(document, &settings.settings(), &name)
                .map_err(|d| d.message)?;
            if !generated.diagnostics.is_empty() {
                eprint!(
                    "{}",
                    render_human(&generated.diagnostics, &checked.loaded.sources)
                );
            }
            let files: Vec<(PathBuf, String)> = match &output {
                None => {
                    if check {
                        return Err("--check needs -o OUT".into());
                    }
                    print!("{}", generated.code.single);
                    return Ok(ExitCode::SUCCESS);
                }
                Some(out) if out.extension().is_some_and(|e| e == "rs") => {
                    vec![(out.clone(), generated.code.single.clone())]
                }
                Some(dir) => generated
                    .code
                    .tree
                    .iter()
                    .map(|(name, text)| (dir.join(name), text.clone()))
                    .collect(),
            };
            if check {
                let stale: Vec<String> = files
                    .iter()
                    .filter(|(path, text)| {
                        std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str())
                    })
                    .map(|(path, _)| path.display().to_string())
                    .collect();
                if stale.is_empty() {
                    eprintln!("generated code is up to date");
                    return Ok(ExitCode::SUCCESS);
                }
                eprintln!(
                    "stale generated code (run without --check to update): {}",
                    stale.join(", ")
                );
                return Ok(ExitCode::from(1));
            }
            for (path, text) in &files {
                faststream_gen::write::write_atomic(path, text.as_bytes())
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
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
