//! `cargo xtask`: the project's own tasks.
//!
//! - `cargo xtask ci`: check the local services the tests need, then run
//!   `cargo fmt --check`, the structure check (below), `cargo clippy -D
//!   warnings`, `cargo doc` of the library crates with `-D warnings`, the
//!   whole test suite, the message-cost gate (`bench --check`, below) and
//!   `cargo package` of the library crates. This is what `.ci/run` calls.
//! - `cargo xtask services`: check the local brokers and report each one;
//!   install tansu (the tests' Kafka) when missing and start it.
//! - `cargo xtask demo`: validate, convert and generate Rust for the
//!   project's example specs (the README's main command).
//! - `cargo xtask interop-setup`: make the Python virtualenv with
//!   FastStream 0.7 that the interop test talks to (`ci` does it too).
//! - `cargo xtask parser-setup`: install the official AsyncAPI parser
//!   (@asyncapi/parser, from npm) that the export tests check every export
//!   with (`ci` does it too).
//! - `cargo xtask structure`: fail on an import circle between the source
//!   files of `codegen/` or `runtime/`, or a hand-written source file
//!   there over 800 lines (`ci` runs it too).
//! - `cargo xtask fuzz [--time SECS] [TARGET...]`: run the fuzz targets of
//!   `fuzz/` (cargo-fuzz, installed when missing) for SECS seconds each
//!   (`ci` runs each for a few seconds).
//! - `cargo xtask soak [--messages N] [--requests N] [PHASE...]`: the long
//!   soak (`tests/reliability/tests/soak.rs`) in a release build: 1,000,000
//!   messages through generated services on NATS core and on a Redis
//!   stream, and 200,000 request/replies, sampled every 10 s (the test
//!   command runs a short one).
//! - `cargo xtask bench [--check] [--save] [--write]`: what one message
//!   costs (callgrind instructions and DHAT allocations, two-point method)
//!   for each scenario of `bench/examples/msgcost.rs`, RustStream's in the
//!   same run; `--check` (`ci` runs it) fails on more than 2% more
//!   instructions or any more allocations than `bench/baseline.json`.

mod bench;
mod fuzz;
mod natscost;
mod structure;

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "services" => services().and_then(|()| kafka_up(&tansu_setup()?)),
        "demo" => demo(),
        "interop-setup" => {
            interop_setup().map(|python| eprintln!("FastStream: {}", python.display()))
        }
        "parser-setup" => {
            parser_setup().map(|dir| eprintln!("@asyncapi/parser: {}", dir.display()))
        }
        "structure" => structure::structure(&root()),
        "fuzz" => fuzz::fuzz(&std::env::args().skip(2).collect::<Vec<_>>()),
        "soak" => soak(&std::env::args().skip(2).collect::<Vec<_>>()),
        "bench" => bench::bench(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|services|demo|interop-setup|parser-setup|structure|fuzz|soak|bench>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// The long soak, in a release build (see the module's doc).
fn soak(args: &[String]) -> Result<(), String> {
    let (mut messages, mut requests) = ("1000000".to_owned(), "200000".to_owned());
    let mut phases = Vec::new();
    let mut args = args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--messages" => messages = args.next().ok_or("--messages needs a number")?.clone(),
            "--requests" => requests = args.next().ok_or("--requests needs a number")?.clone(),
            phase => phases.push(phase.to_owned()),
        }
    }
    services()?;
    let mut c = cargo();
    c.args([
        "test",
        "--release",
        "-p",
        "tests-reliability",
        "--all-features",
        "--test",
        "soak",
        "--",
    ])
    .args(&phases)
    .env("SOAK_MESSAGES", messages)
    .env("SOAK_REQUESTS", requests)
    .env("SOAK_SAMPLE_SECS", "10");
    run(c)
}

fn run(mut cmd: Command) -> Result<(), String> {
    eprintln!("$ {cmd:?}");
    let started = std::time::Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    // Where a CI run's time goes, one line per command.
    eprintln!(
        "[xtask] {:.0} s: {:?} {:?}",
        started.elapsed().as_secs_f64(),
        cmd.get_program(),
        cmd.get_args().take(4).collect::<Vec<_>>()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

/// The local services the tests need: name, address, and how to start it
/// when it is installed but not running (the machines start these before
/// CI; this is the fallback).
#[rustfmt::skip]
const SERVICES: &[(&str, &str, &[&str])] = &[
    (
        "NATS (with JetStream)",
        "127.0.0.1:4222",
        &["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/nats-server", "--",
          "-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server"],
    ),
    ("RabbitMQ", "127.0.0.1:5672", &["rabbitmq-server", "-detached"]),
    ("Mosquitto (MQTT 5)", "127.0.0.1:1883", &["mosquitto", "-d", "-p", "1883"]),
    (
        "Redis",
        "127.0.0.1:6379",
        &["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
          "--appendonly", "no"],
    ),
];

fn up(addr: &SocketAddr) -> bool {
    TcpStream::connect_timeout(addr, Duration::from_secs(2)).is_ok()
}

fn services() -> Result<(), String> {
    let mut missing = Vec::new();
    for (name, addr, start) in SERVICES {
        let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
        if !up(&addr) {
            eprintln!("service {name} at {addr}: down, trying to start it");
            let _ = Command::new(start[0]).args(&start[1..]).status();
            for _ in 0..50 {
                if up(&addr) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        if up(&addr) {
            eprintln!("service {name} at {addr}: up");
        } else {
            missing.push(format!("{name} at {addr}"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("services not reachable: {}", missing.join(", ")))
    }
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("FASTSTREAM_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// Makes `<target>/faststream-venv` with the FastStream that
/// tests/interop/python/requirements.txt pins (from PyPI), unless it is
/// there already; returns its interpreter.
fn interop_setup() -> Result<PathBuf, String> {
    let venv = target_dir().join("faststream-venv");
    let python = venv.join("bin").join("python");
    let requirements = root().join("tests/interop/python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let stamp = venv.join("requirements.installed");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    let mut make = Command::new("python3");
    make.args(["-m", "venv", "--clear"]).arg(&venv);
    run(make).map_err(|e| format!("{e} (the interop test needs Python 3 with venv)"))?;
    let mut install = Command::new(&python);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements);
    run(install)?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(python)
}

/// The official JavaScript parser's version the export tests use (the one
/// the corpus's INDEX.tsv was made with).
const ASYNCAPI_PARSER: &str = "@asyncapi/parser@3.6.6";

/// Installs the official parser into `<target>/asyncapi-parser` (once per
/// version) and returns that folder.
fn parser_setup() -> Result<PathBuf, String> {
    let dir = target_dir().join("asyncapi-parser");
    let stamp = dir.join("installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(ASYNCAPI_PARSER) {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut install = Command::new("npm");
    install
        .current_dir(&dir)
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&dir)
        .arg(ASYNCAPI_PARSER);
    run(install).map_err(|e| format!("{e} (the export tests need Node.js with npm)"))?;
    std::fs::write(&stamp, ASYNCAPI_PARSER).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(dir)
}

/// Headless Chromium for the docs page's browser test: Debian's
/// `chromium`, installed with apt when missing (or the one `CHROMIUM`
/// names).
fn browser_setup() -> Result<(), String> {
    if std::env::var_os("CHROMIUM").is_some() || Path::new("/usr/bin/chromium").is_file() {
        return Ok(());
    }
    let install = || {
        let mut apt = Command::new("apt-get");
        apt.args(["install", "-y", "-q", "chromium"]);
        run(apt)
    };
    if install().is_err() {
        let mut update = Command::new("apt-get");
        update.args(["update", "-q"]);
        run(update)?;
        install().map_err(|e| {
            format!("{e} (the docs page's browser test needs Debian's chromium: apt-get install chromium)")
        })?;
    }
    Ok(())
}

/// The tansu release the project runs as its Kafka.
const TANSU_VERSION: &str = "0.6.0";
/// Where the shared Kafka listens.
const KAFKA_ADDR: &str = "127.0.0.1:9092";

/// The tansu binary: `TANSU` when set, else the one `cargo install` put in
/// cargo's bin folder (installed there when missing: about ten minutes).
fn tansu_setup() -> Result<PathBuf, String> {
    if let Some(t) = std::env::var_os("TANSU") {
        return Ok(PathBuf::from(t));
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let tansu = home.join("bin").join("tansu");
    let installed = Command::new(&tansu)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("tansu (Kafka for the tests) is missing: installing it (about ten minutes)");
        let mut install = cargo();
        install.args([
            "install",
            "tansu",
            "--locked",
            "--version",
            TANSU_VERSION,
            "--features",
            "dynostore,libsql",
        ]);
        // Its own target folder: the workspace's is not locked meanwhile.
        let build = target_dir().join("tansu-build");
        install.env("CARGO_TARGET_DIR", &build);
        run(install).map_err(|e| format!("{e} (the Kafka tests need tansu)"))?;
        // Several GB of release build that nothing reads again: the
        // installed binary is all the tests use.
        let _ = std::fs::remove_dir_all(&build);
    }
    Ok(tansu)
}

/// Starts the shared Kafka (tansu, in-memory storage) on 127.0.0.1:9092
/// unless something listens there already; it keeps running after
/// `xtask` ends, as the other local brokers do.
fn kafka_up(tansu: &Path) -> Result<(), String> {
    let addr: SocketAddr = KAFKA_ADDR.parse().map_err(|e| format!("{e}"))?;
    if up(&addr) {
        eprintln!("service Kafka at {addr}: up");
        return Ok(());
    }
    let log = target_dir().join("tansu.log");
    std::fs::create_dir_all(target_dir()).map_err(|e| e.to_string())?;
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    eprintln!(
        "service Kafka at {addr}: down, starting tansu (log: {})",
        log.display()
    );
    Command::new("setsid")
        .arg(tansu)
        .args([
            "broker",
            "--listener-url",
            &format!("tcp://{KAFKA_ADDR}"),
            "--advertised-listener-url",
            &format!("tcp://{KAFKA_ADDR}"),
            "--storage-engine",
            "memory://tansu/",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", tansu.display()))?;
    for _ in 0..150 {
        if up(&addr) {
            eprintln!("service Kafka at {addr}: up (tansu)");
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "tansu did not listen on {addr} within 30 s (see {})",
        log.display()
    ))
}

/// The C headers the Kafka adapter's librdkafka builds against (OpenSSL,
/// for TLS and SCRAM), installed with apt when missing.
fn build_packages() -> Result<(), String> {
    if Path::new("/usr/include/openssl/ssl.h").is_file() {
        return Ok(());
    }
    let install = || {
        let mut apt = Command::new("apt-get");
        apt.args(["install", "-y", "-q", "libssl-dev"]);
        run(apt)
    };
    if install().is_err() {
        let mut update = Command::new("apt-get");
        update.args(["update", "-q"]);
        run(update)?;
        install().map_err(|e| {
            format!("{e} (librdkafka, the Kafka adapter's client, builds against OpenSSL: apt-get install libssl-dev)")
        })?;
    }
    Ok(())
}

/// `-p` for each library crate, in dependency order (what is published).
fn library_crates() -> impl Iterator<Item = &'static str> {
    [
        "faststream-asyncapi",
        "faststream-macros",
        "faststream",
        "faststream-gen",
    ]
    .into_iter()
    .flat_map(|c| ["-p", c])
}

/// How long `ci` runs each fuzz target.
const FUZZ_SMOKE_SECONDS: u64 = 5;

fn ci() -> Result<(), String> {
    // The disk the run starts with, so that a "No space left on device"
    // later on can be told from the project's own growth.
    let _ = Command::new("df").args(["-h"]).arg(root()).status();
    build_packages()?;
    services()?;
    let tansu = tansu_setup()?;
    kafka_up(&tansu)?;
    let python = interop_setup()?;
    let parser = parser_setup()?;
    browser_setup()?;
    let corpus = corpus_dir();
    let ci_run = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let with_corpus = corpus_plan(&corpus, ci_run)?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    // No import circle, no hand-written source file over 800 lines.
    structure::structure(&root())?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)?;
    // The library crates' docs build as docs.rs builds them, every
    // intra-doc link resolved (the runtime also warns on a public item
    // without docs, which clippy's `-D warnings` above makes an error).
    let mut doc = cargo();
    doc.args(["doc", "--no-deps", "--all-features"])
        .args(library_crates())
        .env("RUSTDOCFLAGS", "-D warnings");
    run(doc)?;
    // `cargo test` with what the tests need (the venv, tansu, the parser).
    let workspace_test = |extra: &[&str]| {
        let mut test = cargo();
        test.args(["test", "--workspace", "--all-features"])
            .args(extra)
            .env("FASTSTREAM_PYTHON", &python)
            .env("FASTSTREAM_TANSU", &tansu)
            .env("ASYNCAPI_PARSER_DIR", &parser);
        if !with_corpus {
            test.env("FASTSTREAM_CORPUS_ABSENT", "skip");
        }
        test
    };
    run(workspace_test(&[]))?;
    if ci_run {
        // What the tests built for themselves (trybuild's copy of the
        // workspace, the nested crates' target folder: several GB) is read
        // by nothing after them; the release builds below need the room.
        for built in [
            target_dir().join("tests").join("trybuild"),
            target_dir().join("tmp").join("nested-target"),
        ] {
            let _ = std::fs::remove_dir_all(built);
        }
    }
    // What one message costs, held to the checked-in baseline.
    bench::bench(&["--check".to_owned()])?;
    // Ready to publish: each library crate packages, and builds from its
    // package alone (workspace dependencies through cargo's temporary
    // registry).
    let mut package = cargo();
    package
        .args(["package", "--allow-dirty"])
        .args(library_crates());
    run(package)?;
    // The README's main command: the example service runs and exits cleanly.
    let mut example = cargo();
    example.args(["run", "--quiet", "-p", "orders-service"]);
    run(example)?;
    // The code-first example too, and the one a build script generates.
    let mut code_first = cargo();
    code_first.args(["run", "--quiet", "-p", "code-first"]);
    run(code_first)?;
    let mut build_rs = cargo();
    build_rs.args(["run", "--quiet", "-p", "build-rs-example"]);
    run(build_rs)?;
    // The orders service's checked-in module is current (`--check` fails
    // with a diff when it is stale).
    let mut check = cargo();
    check.args([
        "run",
        "--quiet",
        "-p",
        "faststream-gen",
        "--",
        "generate",
        "specs/orders.yaml",
        "--side",
        "both",
        "-o",
        "tests/golden/generated/orders_both.rs",
        "--check",
    ]);
    run(check)?;
    // The benchmarks must keep compiling, and run once on a small count
    // (criterion's test mode). Built as the tests are (same profile and
    // features), they reuse the test build instead of a release build of
    // every broker client: the release figures are `cargo bench`'s job.
    // (`--bench '*'`: the bench targets only; `--benches` would run the
    // libraries' unit tests again.)
    run(workspace_test(&["--bench", "*"]))?;
    // Every fuzz target a few seconds, from its checked-in corpus (which
    // holds the input of every crash found so far).
    let targets: Vec<String> = fuzz::TARGETS.iter().map(|t| (*t).to_owned()).collect();
    fuzz::run_targets(&targets, FUZZ_SMOKE_SECONDS)?;
    if !with_corpus {
        eprintln!(
            "\nPASSED WITHOUT THE CORPUS SUITES: there is no AsyncAPI corpus at {}, so the corpus \
             tests and benchmarks (corpus validation, corpus code generation, conversion of the \
             official examples, the corpus round trip, the corpus benchmarks) did not run. Put the \
             corpus at ../shared/corpus beside the checkout, or point FASTSTREAM_CORPUS at a folder \
             holding its INDEX.tsv, to run them.",
            corpus.display()
        );
    }
    Ok(())
}

/// Whether the corpus suites run: yes with a corpus; without one, no
/// (reported at the end), except under CI (`CI=true`), where a missing
/// corpus is a failure naming it.
fn corpus_plan(corpus: &Path, ci: bool) -> Result<bool, String> {
    if corpus.join("INDEX.tsv").is_file() {
        return Ok(true);
    }
    if ci {
        return Err(format!(
            "the AsyncAPI corpus is missing at {} (CI=true: the corpus suites must run; put it at \
             ../shared/corpus beside the checkout or set FASTSTREAM_CORPUS)",
            corpus.display()
        ));
    }
    eprintln!(
        "no AsyncAPI corpus at {}: the corpus suites will not run (set FASTSTREAM_CORPUS to run them)",
        corpus.display()
    );
    Ok(false)
}

fn demo() -> Result<(), String> {
    let specs = root().join("specs");
    let mut build = cargo();
    build.args(["build", "--release", "-p", "faststream-gen"]);
    run(build)?;
    let exe = root().join("target/release/faststream-gen");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&specs)
        .map_err(|e| format!("{}: {e}", specs.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut validate = Command::new(&exe);
    validate.arg("validate").args(&files);
    run(validate)?;
    for file in &files {
        let mut convert = Command::new(&exe);
        convert.args(["convert", "--to", "2.6"]).arg(file);
        run(convert)?;
    }
    let out = root().join("target/demo");
    for file in &files {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut generate = Command::new(&exe);
        generate
            .arg("generate")
            .arg(file)
            .arg("-o")
            .arg(out.join(format!("{stem}.rs")));
        run(generate)?;
    }
    eprintln!("generated Rust is in {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_corpus_fails_only_under_ci() {
        let empty = std::env::temp_dir().join(format!("xtask-no-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        assert_eq!(corpus_plan(&empty, false), Ok(false));
        let err = corpus_plan(&empty, true).unwrap_err();
        assert!(
            err.contains(&empty.display().to_string()) && err.contains("CI=true"),
            "{err}"
        );
        std::fs::write(empty.join("INDEX.tsv"), "local_path\n").unwrap();
        assert_eq!(corpus_plan(&empty, true), Ok(true));
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
