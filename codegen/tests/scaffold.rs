//! `faststream-gen new`: a service crate scaffolded per broker into a
//! temporary folder, against this workspace's crates (`--local`), builds
//! offline and passes its own tests; the in-memory one runs and handles a
//! message typed on its standard input; the NATS one serves its health,
//! metrics and document over HTTP and stops on SIGTERM.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Outside the workspace (a crate inside it would be taken for a member).
fn scratch_path(name: &str) -> PathBuf {
    std::env::temp_dir()
        .join(format!("fsg-scaffold-{}", std::process::id()))
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = scratch_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

fn new(name: &str, spec: &Path, broker: &str, generation: &str) -> PathBuf {
    let dir = scratch(name);
    let out = Command::new(env!("CARGO_BIN_EXE_faststream-gen"))
        .args(["new", name, "--spec"])
        .arg(spec)
        .args(["--broker", broker, generation, "--local"])
        .arg(root())
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn cargo(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args(args)
        .arg("--offline")
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nested-target"),
        )
        // A throwaway build: no debug info and no incremental state, the
        // two that make a target folder several times larger.
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS");
    c
}

fn ok(name: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{name}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_scaffolded_service_builds_and_passes_its_tests_on_every_broker() {
    let fixture = root().join("tests/golden/build-script/asyncapi/orders.yaml");
    let cases = [
        ("svc-memory", fixture.clone(), "memory", "--build-rs"),
        (
            "svc-nats",
            root().join("specs/orders.yaml"),
            "nats",
            "--checked-in",
        ),
        (
            "svc-redis",
            root().join("specs/billing.yaml"),
            "redis",
            "--build-rs",
        ),
        (
            "svc-amqp",
            root().join("specs/bindings.yaml"),
            "amqp",
            "--checked-in",
        ),
        (
            "svc-kafka",
            root().join("specs/avro.yaml"),
            "kafka",
            "--build-rs",
        ),
        (
            "svc-mqtt",
            root().join("specs/orders.yaml"),
            "mqtt",
            "--checked-in",
        ),
    ];
    for (name, spec, broker, generation) in &cases {
        let dir = new(name, spec, broker, generation);
        for file in [
            "Cargo.toml",
            "src/main.rs",
            "src/handler.rs",
            "tests/service.rs",
            "README.md",
        ] {
            assert!(dir.join(file).is_file(), "{name}: {file}");
        }
        assert_eq!(
            dir.join("build.rs").is_file(),
            *generation == "--build-rs",
            "{name}"
        );
        let test = || cargo(&dir, &["test", "--quiet"]).output().unwrap();
        let test = common::fetched_if_missing(&dir, test(), test);
        ok(name, &test);
        let passed = String::from_utf8_lossy(&test.stdout)
            .lines()
            .filter(|l| l.starts_with("test result: ok."))
            .count();
        assert!(passed >= 1, "{name}: no test ran");
    }
    // The spec's NATS server is what the NATS service connects to.
    let main = std::fs::read_to_string(scratch_path("svc-nats").join("src/main.rs")).unwrap();
    assert!(
        main.contains("faststream::connect(&orders::servers::LOCAL)"),
        "{main}"
    );
    // So with Kafka; a spec without an MQTT server leaves it to MQTT_URL.
    let main = std::fs::read_to_string(scratch_path("svc-kafka").join("src/main.rs")).unwrap();
    assert!(
        main.contains("faststream::connect(&avro::servers::"),
        "{main}"
    );
    let main = std::fs::read_to_string(scratch_path("svc-mqtt").join("src/main.rs")).unwrap();
    assert!(
        main.contains("MQTT_URL") && main.contains("faststream::mqtt::MqttBroker::connect"),
        "{main}"
    );
    // A checked-in module that goes stale fails the crate's own test.
    let nats = scratch_path("svc-nats");
    let module = nats.join("src/orders.rs");
    let text = std::fs::read_to_string(&module).unwrap();
    std::fs::write(&module, format!("{text}\n// edited\n")).unwrap();
    let stale = cargo(&nats, &["test", "--quiet", "--test", "generated"])
        .output()
        .unwrap();
    assert!(!stale.status.success(), "a stale module passed");
    assert!(
        String::from_utf8_lossy(&stale.stdout).contains("src/orders.rs is stale"),
        "{}",
        String::from_utf8_lossy(&stale.stdout)
    );

    // The in-memory service handles what arrives on its standard input.
    let mut run = cargo(&scratch_path("svc-memory"), &["run", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    run.stdin
        .take()
        .unwrap()
        .write_all(b"orders.oslo {\"id\": \"o-1\", \"quantity\": 2}\n")
        .unwrap();
    let out = run.wait_with_output().unwrap();
    ok("svc-memory run", &out);
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains("operation=\"onOrder\"") && log.contains("received Order { id: \"o-1\""),
        "{log}"
    );

    // The NATS service, run with FASTSTREAM_HTTP_ADDR, serves its health,
    // metrics and document over HTTP, and stops on SIGTERM.
    serves_http_and_stops_on_sigterm(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("nested-target/debug/svc-nats"),
    );
    let _ = std::fs::remove_dir_all(scratch_path(""));
}

/// `GET path` on loopback: (status, body).
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    Some((head.split(' ').nth(1)?.parse().ok()?, body.to_owned()))
}

fn serves_http_and_stops_on_sigterm(binary: &Path) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut service = Command::new(binary)
        .env("FASTSTREAM_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if get(port, "/health/ready").is_some_and(|(status, _)| status == 200) {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = service.kill();
            panic!("the NATS service was not ready on /health/ready within 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (status, _) = get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    let (status, doc) = get(port, "/asyncapi.json").unwrap();
    assert_eq!(status, 200);
    assert!(doc.contains("\"asyncapi\""), "{doc}");
    let term = Command::new("kill")
        .args(["-TERM", &service.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped = service.wait().unwrap();
    assert!(stopped.success(), "SIGTERM: {stopped}");
}
