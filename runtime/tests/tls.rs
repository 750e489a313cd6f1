//! TLS and credentials, on brokers the test starts itself (spare ports,
//! certificates made with `openssl` for the run) that accept only TLS
//! connections and ask for a password: each adapter connects with the CA
//! file and credentials of its `ConnectOptions` and carries a message;
//! without the CA, or with a wrong password, it is refused with an error
//! that shows no secret.

#![cfg(any(
    feature = "nats",
    feature = "redis",
    feature = "amqp",
    feature = "kafka",
    feature = "mqtt"
))]

mod common;

#[cfg(any(
    feature = "nats",
    feature = "redis",
    feature = "kafka",
    feature = "mqtt"
))]
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

#[cfg(any(
    feature = "nats",
    feature = "redis",
    feature = "kafka",
    feature = "mqtt"
))]
use common::Server;
use common::{certificates, spare_port};
use faststream::broker::SubscribeSpec;
use faststream::{Broker, ConnectOptions, Envelope};

const SECRET: &str = "s3cr3t-pw";

async fn round_trip(broker: Arc<dyn Broker>) {
    round_trip_or(broker, String::new).await;
}

/// [`round_trip`], saying how long each step took and what `context`
/// adds (a server's log) when the delivery does not come.
async fn round_trip_or(broker: Arc<dyn Broker>, context: impl FnOnce() -> String) {
    let address = "tls.check";
    let began = std::time::Instant::now();
    let mut sub = broker
        .subscribe(SubscribeSpec::new(address))
        .await
        .expect("subscribes over TLS");
    let subscribed = began.elapsed();
    broker
        .publish(Envelope::new(address, b"{\"over\":\"tls\"}".to_vec()))
        .await
        .expect("publishes over TLS");
    let published = began.elapsed();
    let Ok(d) = tokio::time::timeout(Duration::from_secs(10), sub.next()).await else {
        panic!(
            "no delivery within 10 s of the publish (subscribed after {subscribed:?}, published after {published:?}){}",
            context()
        );
    };
    let d = d.expect("the subscription is open");
    assert_eq!(&d.envelope.payload[..], b"{\"over\":\"tls\"}");
}

/// The last lines of a server's log, for a failure's message.
#[cfg(feature = "kafka")]
fn log_tail(server: &Server) -> String {
    let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    format!(
        "\n{}'s log, the last lines:\n{}",
        server.name,
        lines[lines.len().saturating_sub(40)..].join("\n")
    )
}

fn options(ca: &std::path::Path, user: Option<&str>, password: &str) -> ConnectOptions {
    ConnectOptions {
        user: user.map(str::to_owned),
        password: Some(password.to_owned()),
        ca_file: Some(ca.to_path_buf()),
        ..ConnectOptions::default()
    }
}

fn no_secret(e: &faststream::BrokerError) {
    assert!(
        !e.message.contains(SECRET),
        "the error shows the password: {e}"
    );
}

#[cfg(feature = "nats")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_over_tls_with_a_password() {
    use faststream::nats::NatsBroker;
    let port = spare_port();
    let mut server = Server::new("nats-server", port, move |dir| {
        let mut c = Command::new("nats-server");
        c.args(["-a", "127.0.0.1", "-p", &port.to_string(), "--tls"])
            .arg("--tlscert")
            .arg(dir.join("server.pem"))
            .arg("--tlskey")
            .arg(dir.join("server.key"))
            .args(["--user", "shop", "--pass", SECRET]);
        c
    });
    let (ca, _, _) = certificates(&server.dir);
    server.start();
    let url = format!("tls://127.0.0.1:{port}");
    let broker = NatsBroker::connect_with(&url, options(&ca, Some("shop"), SECRET))
        .await
        .expect("connects with the CA and the password");
    round_trip(Arc::new(broker)).await;

    let e = NatsBroker::connect_with(&url, options(&ca, Some("shop"), "wrong"))
        .await
        .expect_err("a wrong password is refused");
    no_secret(&e);
    let e = NatsBroker::connect_with(
        &url,
        ConnectOptions {
            ca_file: None,
            ..options(&ca, Some("shop"), SECRET)
        },
    )
    .await
    .expect_err("a server certificate from an unknown CA is refused");
    no_secret(&e);
    // Credentials in the URL are not shown either.
    let e = NatsBroker::connect_with(
        &format!("tls://shop:{SECRET}@127.0.0.1:{port}"),
        ConnectOptions::default(),
    )
    .await
    .expect_err("a server certificate from an unknown CA is refused");
    no_secret(&e);
    assert!(e.message.contains("tls://***@127.0.0.1"), "{e}");
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_over_tls_with_a_password() {
    use faststream::redis::RedisBroker;
    let port = spare_port();
    let mut server = Server::new("redis-server", port, move |dir| {
        let mut c = Command::new("redis-server");
        c.args([
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
        ])
        .arg("--tls-cert-file")
        .arg(dir.join("server.pem"))
        .arg("--tls-key-file")
        .arg(dir.join("server.key"))
        .arg("--tls-ca-cert-file")
        .arg(dir.join("ca.pem"))
        .args(["--tls-auth-clients", "no", "--requirepass", SECRET])
        .args(["--save", "", "--appendonly", "no", "--dir"])
        .arg(dir);
        c
    });
    let (ca, _, _) = certificates(&server.dir);
    server.start();
    let url = format!("rediss://127.0.0.1:{port}");
    let broker = RedisBroker::connect_with(&url, options(&ca, None, SECRET))
        .await
        .expect("connects with the CA and the password");
    round_trip(Arc::new(broker)).await;

    let e = RedisBroker::connect_with(&url, options(&ca, None, "wrong"))
        .await
        .expect_err("a wrong password is refused");
    no_secret(&e);
    let e = RedisBroker::connect_with(
        &url,
        ConnectOptions {
            ca_file: None,
            ..options(&ca, None, SECRET)
        },
    )
    .await
    .expect_err("a server certificate from an unknown CA is refused");
    no_secret(&e);
}

#[cfg(feature = "amqp")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_over_tls_with_a_password() {
    use faststream::amqp::AmqpBroker;
    let port = spare_port();
    let config = move |dir: &std::path::Path| {
        format!(
            "listeners.tcp = none\nlisteners.ssl.default = 127.0.0.1:{port}\n\
             ssl_options.cacertfile = {}\nssl_options.certfile = {}\nssl_options.keyfile = {}\n\
             ssl_options.verify = verify_none\nssl_options.fail_if_no_peer_cert = false\n",
            dir.join("ca.pem").display(),
            dir.join("server.pem").display(),
            dir.join("server.key").display()
        )
    };
    let mut server = common::rabbitmq(port, config);
    let (ca, _, _) = certificates(&server.dir);
    server.start();
    let url = format!("amqps://127.0.0.1:{port}/%2f");
    let broker = AmqpBroker::connect_with(&url, "amq.topic", options(&ca, Some("guest"), "guest"))
        .await
        .expect("connects with the CA and the password");
    round_trip(Arc::new(broker)).await;

    let e = AmqpBroker::connect_with(&url, "amq.topic", options(&ca, Some("guest"), SECRET))
        .await
        .expect_err("a wrong password is refused");
    no_secret(&e);
}

/// A tansu of the test's own (sqlite storage) listening on `port` and
/// advertising `advertised`, with one SCRAM-SHA-512 user: the user is made
/// while the broker is open, then it restarts asking every client to
/// authenticate.
#[cfg(feature = "kafka")]
fn tansu_with_a_user(port: u16, advertised: &str) -> Server {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tansu = std::env::var("FASTSTREAM_TANSU").unwrap_or_else(|_| "tansu".into());
    let url = format!("tcp://127.0.0.1:{port}");
    let authenticate = Arc::new(AtomicBool::new(false));
    let (auth, bin, listen, advertised) = (
        authenticate.clone(),
        tansu.clone(),
        url.clone(),
        advertised.to_owned(),
    );
    let mut server = Server::new("tansu", port, move |dir| {
        let mut c = Command::new(&bin);
        c.current_dir(dir).args([
            "broker",
            "--listener-url",
            &listen,
            "--advertised-listener-url",
            &advertised,
            "--storage-engine",
            "sqlite://tansu.db",
        ]);
        if auth.load(Ordering::SeqCst) {
            c.arg("--authentication");
        }
        c
    });
    server.start();
    let created = Command::new(&tansu)
        .args([
            "user",
            "create",
            "--broker",
            &url,
            "--mechanism",
            "scram512",
        ])
        .args(["shop", SECRET])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tansu} ({e})"));
    assert!(
        created.status.success(),
        "tansu user create: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    server.kill();
    authenticate.store(true, Ordering::SeqCst);
    server.start();
    server
}

#[cfg(feature = "kafka")]
fn scram(password: &str) -> ConnectOptions {
    ConnectOptions {
        user: Some("shop".into()),
        password: Some(password.to_owned()),
        sasl_mechanism: Some("SCRAM-SHA-512".into()),
        ..ConnectOptions::default()
    }
}

/// Kafka with SASL/SCRAM over a plain connection.
#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_with_scram_sha_512() {
    use faststream::kafka::{KafkaBroker, KafkaSettings};
    let port = spare_port();
    let server = tansu_with_a_user(port, &format!("tcp://127.0.0.1:{port}"));
    let address = format!("127.0.0.1:{port}");
    let broker = KafkaBroker::connect_with(&address, scram(SECRET), KafkaSettings::default())
        .await
        .expect("connects with SCRAM-SHA-512");
    broker
        .create_topic("tls.check", Some(1))
        .await
        .expect("an authenticated client creates a topic");
    round_trip_or(Arc::new(broker), || log_tail(&server)).await;

    let e = KafkaBroker::connect_with(&address, scram("wrong"), KafkaSettings::default())
        .await
        .expect_err("a wrong password is refused");
    no_secret(&e);
    let e = KafkaBroker::connect_with(
        &address,
        ConnectOptions::default(),
        KafkaSettings::default(),
    )
    .await
    .expect_err("a client that does not authenticate is refused");
    no_secret(&e);
}

/// A TLS terminator of the test's own in front of a plain listener, as a
/// load balancer or sidecar in front of Kafka brokers is: it accepts TLS on
/// `port` with the server certificate and carries the bytes to `upstream`.
/// tansu 0.6 cannot serve TLS itself (its `--cert` and `--key` options
/// exclude each other), so this is how the adapter's TLS meets a live
/// broker.
///
/// It runs on a thread and runtime of its own, as a terminator outside the
/// service does: on the test's runtime, a librdkafka call that blocks a
/// worker thread (the rebalance callback asks the coordinator for the
/// group's offsets) could hold up the very connection it waits for, and
/// the delivery came after the test's 10 s now and then. Dropping the
/// sender stops it.
#[cfg(feature = "kafka")]
fn tls_terminator(
    port: u16,
    cert: &std::path::Path,
    key: &std::path::Path,
    upstream: u16,
) -> tokio::sync::oneshot::Sender<()> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .expect("the server certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("the server certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("the server key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("the server's TLS configuration");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the TLS port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the terminator's runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("the TLS port");
            let accepting = async {
                while let Ok((tcp, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        // A client that does not trust the certificate ends here.
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let Ok(mut plain) =
                            tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                        else {
                            return;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    });
                }
            };
            tokio::select! {
                () = accepting => {}
                _ = stopped => {}
            }
        });
    });
    stop
}

/// Kafka over TLS with SASL/SCRAM (`SASL_SSL`): the broker advertises only
/// the TLS port, so every connection of the adapter (bootstrap, producer,
/// consumer, admin) goes through TLS, verified against the test's CA.
#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_over_tls_with_scram_sha_512() {
    use faststream::kafka::{KafkaBroker, KafkaSettings};
    let (port, tls_port) = (spare_port(), spare_port());
    let server = tansu_with_a_user(port, &format!("tcp://127.0.0.1:{tls_port}"));
    let (ca, cert, key) = certificates(&server.dir.join("tls"));
    let terminator = tls_terminator(tls_port, &cert, &key, port);
    let url = format!("kafka-secure://127.0.0.1:{tls_port}");
    let with_ca = |password: &str| ConnectOptions {
        ca_file: Some(ca.clone()),
        ..scram(password)
    };
    let broker = KafkaBroker::connect_with(&url, with_ca(SECRET), KafkaSettings::default())
        .await
        .expect("connects over TLS with the CA and SCRAM-SHA-512");
    broker
        .create_topic("tls.check", Some(1))
        .await
        .expect("creates a topic over TLS");
    round_trip_or(Arc::new(broker), || log_tail(&server)).await;

    let e = KafkaBroker::connect_with(&url, with_ca("wrong"), KafkaSettings::default())
        .await
        .expect_err("a wrong password is refused over TLS");
    no_secret(&e);
    let e = KafkaBroker::connect_with(&url, scram(SECRET), KafkaSettings::default())
        .await
        .expect_err("without the CA that signed the server's certificate, no connection");
    no_secret(&e);
    // The error says why (librdkafka tells only its error callback).
    assert!(e.message.contains("certificate"), "{e}");
    drop(terminator);
}

/// MQTT over TLS with a password: a Mosquitto of the test's own that
/// listens only for TLS and knows one user.
#[cfg(feature = "mqtt")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_over_tls_with_a_password() {
    use faststream::mqtt::{MqttBroker, MqttSettings};
    let port = spare_port();
    let mut server = Server::new("mosquitto", port, move |dir| {
        let mut c = Command::new("mosquitto");
        c.arg("-c").arg(dir.join("mosquitto.conf"));
        c
    });
    let (ca, cert, key) = certificates(&server.dir);
    let passwords = server.dir.join("passwords");
    let made = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwords)
        .args(["shop", SECRET])
        .output()
        .unwrap_or_else(|e| panic!("cannot run mosquitto_passwd ({e})"));
    assert!(made.status.success(), "mosquitto_passwd failed");
    std::fs::write(
        server.dir.join("mosquitto.conf"),
        format!(
            "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n\
             allow_anonymous false\npassword_file {}\n",
            ca.display(),
            cert.display(),
            key.display(),
            passwords.display()
        ),
    )
    .expect("the configuration");
    // Started as root, Mosquitto runs as its own user: it must read these.
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&ca, &cert, &key, &passwords] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644))
                .expect("readable for mosquitto");
        }
    }
    server.start();
    let url = format!("mqtts://127.0.0.1:{port}");
    let settings = || MqttSettings {
        qos: 1,
        ..MqttSettings::default()
    };
    let broker = MqttBroker::connect_with(&url, options(&ca, Some("shop"), SECRET), settings())
        .await
        .expect("connects with the CA and the password");
    round_trip(Arc::new(broker)).await;

    let e = MqttBroker::connect_with(&url, options(&ca, Some("shop"), "wrong"), settings())
        .await
        .expect_err("a wrong password is refused");
    no_secret(&e);
    let e = MqttBroker::connect_with(
        &url,
        ConnectOptions {
            ca_file: None,
            ..options(&ca, Some("shop"), SECRET)
        },
        settings(),
    )
    .await
    .expect_err("without the CA that signed the server's certificate, no connection");
    no_secret(&e);
}
