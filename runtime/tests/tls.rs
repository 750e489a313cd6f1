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
    let address = "tls.check";
    let mut sub = broker
        .subscribe(SubscribeSpec::new(address))
        .await
        .expect("subscribes over TLS");
    broker
        .publish(Envelope::new(address, b"{\"over\":\"tls\"}".to_vec()))
        .await
        .expect("publishes over TLS");
    let d = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("a delivery in time")
        .expect("the subscription is open");
    assert_eq!(&d.envelope.payload[..], b"{\"over\":\"tls\"}");
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

/// Kafka with SASL/SCRAM: a tansu of the test's own (sqlite storage)
/// gets its user while open, then restarts asking every client to
/// authenticate. tansu 0.6 cannot serve TLS (its `--cert` and `--key`
/// options exclude each other), so Kafka's TLS is checked only as far as
/// the client configuration (the adapter's unit tests).
#[cfg(feature = "kafka")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_with_scram_sha_512() {
    use faststream::kafka::KafkaBroker;
    use std::sync::atomic::{AtomicBool, Ordering};
    let tansu = std::env::var("FASTSTREAM_TANSU").unwrap_or_else(|_| "tansu".into());
    let port = spare_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let authenticate = Arc::new(AtomicBool::new(false));
    let (auth, bin, listen) = (authenticate.clone(), tansu.clone(), url.clone());
    let mut server = Server::new("tansu", port, move |dir| {
        let mut c = Command::new(&bin);
        c.current_dir(dir).args([
            "broker",
            "--listener-url",
            &listen,
            "--advertised-listener-url",
            &listen,
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

    let address = format!("127.0.0.1:{port}");
    let sasl = |password: &str| ConnectOptions {
        user: Some("shop".into()),
        password: Some(password.to_owned()),
        sasl_mechanism: Some("SCRAM-SHA-512".into()),
        ..ConnectOptions::default()
    };
    let broker = KafkaBroker::connect_with(
        &address,
        sasl(SECRET),
        faststream::kafka::KafkaSettings::default(),
    )
    .await
    .expect("connects with SCRAM-SHA-512");
    broker
        .create_topic("tls.check", Some(1))
        .await
        .expect("an authenticated client creates a topic");
    round_trip(Arc::new(broker)).await;

    let e = KafkaBroker::connect_with(
        &address,
        sasl("wrong"),
        faststream::kafka::KafkaSettings::default(),
    )
    .await
    .expect_err("a wrong password is refused");
    no_secret(&e);
    let e = KafkaBroker::connect_with(
        &address,
        ConnectOptions::default(),
        faststream::kafka::KafkaSettings::default(),
    )
    .await
    .expect_err("a client that does not authenticate is refused");
    no_secret(&e);
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
