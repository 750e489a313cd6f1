//! The `faststream-gen` command line: the commands and their arguments
//! here, each command in `commands/`, the arguments they share in
//! `args.rs`.

mod args;
mod commands;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use faststream_gen::scaffold::Broker;

use args::{
    DiagnosticFormat, DiffFormat, LoadArgs, OutputFormat, SettingsArgs, ShellArg, TargetVersion,
};

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
    /// stubbed, a test through the testing API, a README. With `--local`
    /// it builds offline and its tests pass as written.
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
        } => commands::validate::run(&files, format, &load),
        Command::Convert {
            file,
            to,
            output,
            format,
            load,
        } => commands::convert::run(&file, to, output.as_deref(), format, &load),
        Command::Generate {
            file,
            output,
            check,
            watch,
            settings,
            load,
        } => commands::generate::run(&file, output, check, watch, &settings.settings(), &load),
        Command::Bundle {
            file,
            output,
            format,
            load,
        } => commands::bundle::run(&file, output.as_deref(), format, &load),
        Command::Diff {
            old,
            new,
            format,
            load,
        } => commands::diff::run(&old, &new, format, &load),
        Command::Docs {
            file,
            output,
            serve,
            port,
            load,
        } => commands::docs::run(&file, output, serve, port, &load),
        Command::New {
            name,
            spec,
            broker,
            build_rs: _,
            checked_in,
            local,
            dir,
            load,
        } => commands::new::run(name, spec, broker, checked_in, local, dir, &load),
        Command::Completions { shell } => {
            commands::completions::run(shell, <Cli as clap::CommandFactory>::command())
        }
    }
}
