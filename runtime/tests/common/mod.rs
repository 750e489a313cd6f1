//! Broker processes the tests start themselves, on spare ports and data
//! directories of their own (the shared brokers are not disturbed).

#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn spare_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a spare port")
        .port()
}

/// A broker process of the test's own.
pub struct Server {
    pub name: &'static str,
    pub port: u16,
    pub dir: PathBuf,
    command: Box<dyn Fn(&Path) -> Command + Send>,
    child: Option<Child>,
}

impl Server {
    pub fn new(
        name: &'static str,
        port: u16,
        command: impl Fn(&Path) -> Command + Send + 'static,
    ) -> Server {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("brokers")
            .join(format!("{name}-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the server's data directory");
        Server {
            name,
            port,
            dir,
            command: Box::new(command),
            child: None,
        }
    }

    /// Starts the server (in a process group of its own) and waits until it
    /// accepts connections.
    pub fn start(&mut self) {
        let mut command = (self.command)(&self.dir);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("the server log");
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0);
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}): the fault tests need it installed",
                self.name
            )
        });
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "{} did not listen on port {} within 90 s; see {}",
                self.name,
                self.port,
                self.dir.join("server.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL to the whole process group: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill -KILL of {} failed", self.name);
            let _ = child.wait();
            // The group's other processes die a moment later.
            let killed = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                assert!(
                    killed.elapsed() < Duration::from_secs(10),
                    "{} still answers on port {} 10 s after SIGKILL",
                    self.name,
                    self.port
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A certificate authority and a server certificate it signed (for
/// `localhost` and 127.0.0.1), made with the `openssl` command in `dir`:
/// (CA, certificate, key) PEM files.
pub fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("the certificates' directory");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl ({e}): the TLS tests need it"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=faststream test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("extensions");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// A redis-server of the test's own on `port`, without snapshots, with its
/// data in the server's directory and `extra` arguments (persistence).
pub fn redis(port: u16, extra: &'static [&'static str]) -> Server {
    Server::new("redis-server", port, move |dir| {
        let mut c = Command::new("redis-server");
        c.args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
        ])
        .args(extra)
        .arg("--dir")
        .arg(dir);
        c
    })
}

/// A RabbitMQ node of the test's own: its own name, ports, config (the
/// `rabbitmq.conf` text `config` writes for its directory) and data. The Debian wrapper in /usr/sbin
/// would switch users and read the system node's environment file, so the
/// script behind it is run when it is there.
pub fn rabbitmq(port: u16, config: impl Fn(&Path) -> String + Send + 'static) -> Server {
    let dist_port = spare_port();
    Server::new("rabbitmq-server", port, move |dir| {
        std::fs::write(dir.join("rabbitmq.conf"), config(dir)).expect("config");
        std::fs::write(dir.join("enabled_plugins"), "[].\n").expect("plugins");
        let script = ["/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("rabbitmq-server");
        let mut c = Command::new(script);
        c.env(
            "RABBITMQ_NODENAME",
            format!("faststream-test-{port}@localhost"),
        )
        .env("RABBITMQ_NODE_PORT", port.to_string())
        .env("RABBITMQ_DIST_PORT", dist_port.to_string())
        .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
        .env("RABBITMQ_CONF_ENV_FILE", "/dev/null")
        .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
        .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
        .env("RABBITMQ_LOG_BASE", dir.join("log"));
        c
    })
}
