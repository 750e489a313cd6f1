//! What the kill tests (`kill.rs`, `kill_at_most_once.rs`) share: the
//! service as a process of its own (the test binary started again), its
//! readiness, SIGKILL and SIGTERM, a Mosquitto of the test's own, and the
//! numbers the service's handler wrote to its file.
// Each test binary uses part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- service

/// The service's handler: appends `run n` for each number it handles to
/// the file the environment variable `out_var` names.
pub struct Recorder(Mutex<std::fs::File>);

impl Recorder {
    pub fn from_env(out_var: &str) -> Recorder {
        let out =
            std::env::var(out_var).unwrap_or_else(|_| panic!("{out_var} names the output file"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out)
            .expect("the output file opens");
        Recorder(Mutex::new(file))
    }

    pub fn record(&self, run: &str, n: i64) -> Result<(), faststream::HandlerError> {
        // One `write` per number: what returned is in the file even if the
        // process is killed right after.
        let line = format!("{run} {n}\n");
        let mut file = self.0.lock().unwrap();
        file.write_all(line.as_bytes())
            .map_err(|e| faststream::HandlerError::new(e.to_string()))
    }
}

/// The runtime both the service and the driver run on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Warnings and errors on stderr, as a service logs them.
pub fn log_to_stderr() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .init();
}

// ---------------------------------------------------------------- driver

/// An id for one run, carried by each of its numbers.
pub fn run_id(run: u32) -> String {
    format!(
        "{}-{}-{run}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    )
}

/// A fresh file `name` for the service's numbers, under the test's
/// temporary folder.
pub fn out_file(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kill");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(name);
    let _ = std::fs::remove_file(&out);
    out
}

/// `1.23 s, 0.45 s`.
pub fn seconds(durations: &[Duration]) -> String {
    durations
        .iter()
        .map(|d| format!("{:.2} s", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A service process and the port of its health endpoint.
pub struct Service {
    child: Child,
    port: u16,
}

impl Service {
    /// This test binary started again as a service, with `envs` and
    /// `FASTSTREAM_HTTP_ADDR` on a spare port.
    pub fn start(envs: Vec<(String, String)>) -> Service {
        let port = free_port();
        let child = Command::new(std::env::current_exe().unwrap())
            .envs(envs)
            .env("FASTSTREAM_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .spawn()
            .expect("the service process starts");
        Service { child, port }
    }

    /// Waits until the service says it is ready.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("the service exited before it was ready: {status}"));
            }
            if http_status(self.port, "/health/ready") == Some(200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the service was not ready within {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the graceful stop.
    pub fn terminate(mut self) -> Result<(), String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("the service stopped with {status} on SIGTERM"))
                };
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                return Err("the service did not stop within 30 s of SIGTERM".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Mosquitto of the test's own on a spare port, without a limit on
/// what it queues for a persistent session (`max_queued_messages 0`),
/// logging every connection and subscription to `log`.
pub struct Mosquitto {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        let port = free_port();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kill");
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join(format!("mosquitto-{port}.conf"));
        let log = dir.join(format!("mosquitto-{port}.log"));
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n\
                 log_dest file {}\nlog_type error\nlog_type warning\nlog_type notice\n\
                 log_type information\nlog_type subscribe\nconnection_messages true\n{}",
                log.display(),
                if std::env::var_os("KILL_MQTT_DEBUG").is_some() {
                    "log_type debug\n"
                } else {
                    ""
                }
            ),
        )
        .unwrap();
        // Started as root, Mosquitto runs as its own user: it must write
        // the log.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(&log, "").unwrap();
            std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("mosquitto is required for the MQTT path: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on {port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto { child, port, log }
    }

    /// Whether it still runs, and the end of its log.
    pub fn state(&mut self) -> String {
        let alive = match self.child.try_wait() {
            Ok(None) => "running".to_owned(),
            Ok(Some(status)) => format!("exited ({status})"),
            Err(e) => format!("unknown ({e})"),
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n    ");
        format!(
            "\n  mosquitto: {alive}; the end of its log ({}):\n    {tail}",
            self.log.display()
        )
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status of `GET path`, or `None` if nothing answers.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.split(' ').nth(1)?.parse().ok()
}

/// The numbers of `run` in the service's file, in the order handled
/// (other runs' lines are skipped).
///
/// Only whole lines count: a line's one `write` can still be under way
/// while this reads (a write that crosses a page boundary becomes visible
/// a page at a time), so the text after the last newline is left for the
/// next read.
pub fn handled(out: &Path, run: &str) -> Vec<u64> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    whole
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(r, _)| *r == run)
        .map(|(_, n)| n.parse().expect("a number"))
        .collect()
}

/// Waits until `done` holds of the handled numbers; returns how long it
/// took.
pub fn wait_handled(
    out: &Path,
    run: &str,
    timeout: Duration,
    done: impl Fn(&[u64]) -> bool,
) -> Result<Duration, String> {
    let start = Instant::now();
    loop {
        let seen = handled(out, run);
        if done(&seen) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > timeout {
            let distinct: BTreeSet<_> = seen.iter().collect();
            return Err(format!(
                "timed out after {timeout:?} with {} numbers handled ({} distinct)",
                seen.len(),
                distinct.len()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn covers(seen: &[u64], below: u64) -> bool {
    let distinct: BTreeSet<u64> = seen.iter().copied().filter(|&n| n < below).collect();
    distinct.len() as u64 == below
}
