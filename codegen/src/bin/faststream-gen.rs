//! The `faststream-gen` command line.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use faststream_gen::asyncapi::{self, SpecVersion, convert, emit};
use faststream_gen::diagnostics::{self, render_human, render_json};
use faststream_gen::scaffold::Broker;
use faststream_gen::settings::{DateTimeRepr, MapType, Side, UnknownFields};
use faststream_gen::{Checked, LoadOptions, Settings, check_file};

#[derive(Parser, Debug)]
#[command(
    name = "faststream-gen",
    version,
    about = "AsyncAPI documents in, typed Rust event-driven services out",
    after_help = "Examples:
  faststream-gen validate asyncapi.yaml
  faststream-gen generate asyncapi.yaml -o src/orders.rs
  faststream-gen generate asyncapi.yaml -o src/orders.rs --check
  faststream-gen convert asyncapi.yaml --to 3.0 -o asyncapi-3.yaml
  faststream-gen diff asyncapi-v1.yaml asyncapi.yaml
  faststream-gen docs asyncapi.yaml -o asyncapi.html
  faststream-gen new orders-service --spec asyncapi.yaml --broker nats
  faststream-gen completions bash > ~/.local/share/bash-completion/completions/faststream-gen

A build script generates at build time instead: faststream_gen::compile(\"asyncapi.yaml\")."
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
    #[command(after_help = "Examples:
  faststream-gen validate asyncapi.yaml
  faststream-gen validate specs/*.yaml --format json
  faststream-gen validate api.yaml --ref-map https://schemas.example.com/=vendor/schemas")]
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
    /// What the target version cannot say is reported as a warning.
    #[command(after_help = "Examples:
  faststream-gen convert asyncapi-2.6.yaml --to 3.0 -o asyncapi.yaml
  faststream-gen convert asyncapi.yaml --to 2.6 --format json")]
    Convert {
        /// The AsyncAPI document (YAML or JSON; 2.0-2.6, 3.0, 3.1).
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
    /// Generate Rust code: message types, headers, channel parameters, the
    /// handler trait, the router, typed publishers (requests with their
    /// replies) and the document's servers.
    ///
    /// `-o OUT.rs` writes one module file; `-o DIR/` writes a module tree
    /// (`mod.rs`, `models.rs`, `channels.rs`, `messages.rs`); without
    /// `-o`, the module goes to standard output. A file whose content is
    /// unchanged is not touched.
    #[command(after_help = "Examples:
  faststream-gen generate asyncapi.yaml -o src/orders.rs
  faststream-gen generate asyncapi.yaml -o src/orders/ --side both --derive Hash
  faststream-gen generate asyncapi.yaml -o src/orders.rs --check   # in CI: exit 1 and a diff when stale
  faststream-gen generate asyncapi.yaml -o src/orders.rs --watch   # regenerate on every change")]
    Generate {
        /// The AsyncAPI document (YAML or JSON; 2.0-2.6, 3.0, 3.1).
        file: PathBuf,
        /// Where to write: a `.rs` file, or a folder for a module tree.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Do not write: when OUT differs from what would be generated,
        /// print a unified diff and exit 1.
        #[arg(long, conflicts_with = "watch")]
        check: bool,
        /// Keep running: generate again whenever the document or a file
        /// it reaches through `$ref` changes.
        #[arg(long)]
        watch: bool,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Write one self-contained document: external references are brought
    /// into `components` and referenced locally.
    #[command(after_help = "Examples:
  faststream-gen bundle asyncapi.yaml -o dist/asyncapi.yaml
  faststream-gen bundle asyncapi.yaml --format json")]
    Bundle {
        /// The AsyncAPI document (YAML or JSON; 2.0-2.6, 3.0, 3.1).
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
    /// Compare two versions of a document: every change with its place in
    /// both files, classified as breaking (and for whom: the producers that
    /// send to the application, the consumers that receive from it), to
    /// review, or not breaking.
    ///
    /// Both are compared as AsyncAPI 3.x (a 2.x document is converted
    /// first). Exit status: 0 when nothing breaks, 1 when something does,
    /// 2 on usage errors or a document that does not load.
    #[command(after_help = "Examples:
  faststream-gen diff asyncapi-v1.yaml asyncapi.yaml
  faststream-gen diff old.yaml new.yaml --format markdown >> $GITHUB_STEP_SUMMARY
  git show main:asyncapi.yaml > /tmp/main.yaml && faststream-gen diff /tmp/main.yaml asyncapi.yaml --format json")]
    Diff {
        /// The earlier document.
        old: PathBuf,
        /// The later document.
        new: PathBuf,
        /// How to print the changes.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Write one self-contained HTML page of a document: info, servers,
    /// channels with their parameters and bindings, operations (action,
    /// reply), messages with headers and payload as nested tables with
    /// their constraints and examples. No CDN, no network: it reads offline
    /// and without JavaScript; with it, a search box filters the page.
    #[command(after_help = "Examples:
  faststream-gen docs asyncapi.yaml -o asyncapi.html
  faststream-gen docs asyncapi-2.6.json -o docs/index.html
  faststream-gen docs asyncapi.yaml --serve --port 8080   # http://127.0.0.1:8080/, reloaded on every change")]
    Docs {
        /// The AsyncAPI document (YAML or JSON; 2.0-2.6, 3.0, 3.1).
        file: PathBuf,
        /// Where to write the page (default: standard output).
        #[arg(short, long, conflicts_with = "serve")]
        output: Option<PathBuf>,
        /// Serve the page on loopback instead, made again (and reloaded in
        /// the browser) whenever the document or a file it reaches through
        /// `$ref` changes.
        #[arg(long)]
        serve: bool,
        /// The port to serve on.
        #[arg(long, default_value_t = 8000, requires = "serve")]
        port: u16,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Scaffold a service crate from a spec: Cargo.toml, the generated
    /// module (by a build script, or checked in and guarded by a test),
    /// `main.rs` connecting to the broker, a handler with every method
    /// stubbed, a test through the testing API, a README. It builds and
    /// its tests pass as written.
    #[command(after_help = "Examples:
  faststream-gen new orders-service --spec asyncapi.yaml
  faststream-gen new orders-service --spec asyncapi.yaml --broker nats --checked-in
  faststream-gen new orders-service --spec asyncapi.yaml --broker amqp --local ../faststream-gen")]
    New {
        /// The crate's name; the folder it is written to (which must not
        /// exist, or be empty).
        name: String,
        /// The AsyncAPI document (YAML or JSON; 2.0-2.6, 3.0, 3.1).
        #[arg(long)]
        spec: PathBuf,
        /// The broker `main.rs` connects to (the spec's server of that
        /// protocol when it has one, else a URL from the environment).
        #[arg(long, value_enum, default_value_t = Broker::Memory)]
        broker: Broker,
        /// Generate the module at build time (the default).
        #[arg(long, conflicts_with = "checked_in")]
        build_rs: bool,
        /// Generate the module now into `src/`, checked in, with a test
        /// that fails while it is stale.
        #[arg(long)]
        checked_in: bool,
        /// A checkout of the faststream-gen workspace: path dependencies
        /// instead of registry ones.
        #[arg(long, value_name = "PATH")]
        local: Option<PathBuf>,
        /// Where to write (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  faststream-gen completions bash > ~/.local/share/bash-completion/completions/faststream-gen
  faststream-gen completions zsh > ~/.zfunc/_faststream-gen
  faststream-gen completions fish > ~/.config/fish/completions/faststream-gen.fish")]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: ShellArg,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ShellArg {
    Bash,
    Zsh,
    Fish,
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
            watch,
            settings,
            load,
        } => {
            if watch {
                let Some(output) = output else {
                    return Err("--watch needs -o OUT".into());
                };
                return watch_and_generate(&file, &output, &settings.settings(), &load.options());
            }
            generate(&file, output.as_deref(), check, &settings.settings(), &load)
        }
        Command::Docs {
            file,
            output,
            serve,
            port,
            load,
        } => {
            if serve {
                return serve_docs(&file, &load.options(), port);
            }
            let checked = checked_or_report(&file, &load)?;
            let Some(model) = checked.model.as_ref() else {
                return Ok(ExitCode::from(1));
            };
            let value = serde_json::to_value(model).map_err(|e| e.to_string())?;
            let page = asyncapi::html::render(&value);
            match output {
                Some(path) => {
                    faststream_gen::write::write_atomic(&path, page.as_bytes())
                        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
                }
                None => print!("{page}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff {
            old,
            new,
            format,
            load,
        } => {
            let mut sides = Vec::new();
            for file in [&old, &new] {
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
        Command::New {
            name,
            spec,
            broker,
            build_rs: _,
            checked_in,
            local,
            dir,
            load,
        } => {
            use faststream_gen::scaffold::{Generation, NewService};
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            let new = NewService {
                name,
                spec,
                broker,
                generation: if checked_in {
                    Generation::CheckedIn
                } else {
                    Generation::BuildScript
                },
                local,
                load: load.options(),
            };
            let files = faststream_gen::scaffold::scaffold(&new, &dir)?;
            eprintln!(
                "created `{}` ({} files): cd {} && cargo test",
                new.name,
                files.len(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let shell = match shell {
                ShellArg::Bash => clap_complete::Shell::Bash,
                ShellArg::Zsh => clap_complete::Shell::Zsh,
                ShellArg::Fish => clap_complete::Shell::Fish,
            };
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(
                shell,
                &mut command,
                "faststream-gen",
                &mut std::io::stdout(),
            );
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
    let files = match render(file, output, settings, &checked, document)? {
        Some(files) => files,
        None => {
            if check {
                return Err("--check needs -o OUT".into());
            }
            return Ok(ExitCode::SUCCESS);
        }
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

/// The page of `file` and the files it reached, or the rendered
/// diagnostics when it does not load.
fn docs_page(file: &Path, options: &LoadOptions) -> (String, Vec<PathBuf>) {
    let checked = check_file(file, options);
    let mut files = vec![file.to_path_buf()];
    files.extend(
        checked
            .loaded
            .sources
            .paths()
            .filter(|p| *p != file)
            .map(Path::to_path_buf),
    );
    let page = match checked.model.as_ref().filter(|_| !checked.has_errors()) {
        Some(model) => match serde_json::to_value(model) {
            Ok(value) => asyncapi::html::render(&value),
            Err(e) => format!("<!doctype html><pre>{e}</pre>"),
        },
        None => {
            let text = render_human(&checked.diagnostics, &checked.loaded.sources);
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            format!("<!doctype html><title>errors</title><pre>{escaped}</pre>")
        }
    };
    (page, files)
}

/// `docs --serve`: the page on 127.0.0.1:PORT, made again when a file
/// changes (polled twice a second); the served page asks `/version` every
/// second and reloads itself when it changed.
fn serve_docs(file: &Path, options: &LoadOptions, port: u16) -> Result<ExitCode, String> {
    use std::io::{BufRead as _, BufReader};
    use std::sync::{Arc, Mutex};
    const RELOAD: &str = "<script>(function(){var v=null;setInterval(function(){fetch('/version').then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload()}v=t}).catch(function(){})},1000)})();</script>";
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let (page, files) = docs_page(file, options);
    let state = Arc::new(Mutex::new((page, 0u64)));
    eprintln!("serving {} on http://127.0.0.1:{port}/", file.display());
    {
        let (state, file, options) = (state.clone(), file.to_path_buf(), options.clone());
        std::thread::spawn(move || {
            let stamp = |paths: &[PathBuf]| -> Vec<Option<std::time::SystemTime>> {
                paths
                    .iter()
                    .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
                    .collect()
            };
            let mut files = files;
            let mut seen = stamp(&files);
            loop {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let now = stamp(&files);
                if now == seen {
                    continue;
                }
                let (page, reached) = docs_page(&file, &options);
                files = reached;
                seen = stamp(&files);
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                *s = (page, s.1 + 1);
                eprintln!("{} changed: page made again", file.display());
            }
        });
    }
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let state = state.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                return;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let (page, version) = state.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let (status, kind, body) = match path.split('?').next().unwrap_or("/") {
                "/" | "/index.html" => (
                    "200 OK",
                    "text/html; charset=utf-8",
                    page.replacen("</body>", &format!("{RELOAD}</body>"), 1),
                ),
                "/version" => ("200 OK", "text/plain", version.to_string()),
                _ => ("404 Not Found", "text/plain", "not found".to_owned()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        });
    }
    Ok(ExitCode::SUCCESS)
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
