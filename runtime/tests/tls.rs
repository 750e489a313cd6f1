//! TLS and credentials, on brokers the test starts itself (spare ports,
//! certificates made with `openssl` for the run) that accept only TLS
//! connections and ask for a password: each adapter connects with the CA
//! file and credentials of its `ConnectOptions` and carries a message;
//! without the CA, or with a wrong password, it is refused with an error
//! that shows no secret.

#![cfg(any(feature = "nats", feature = "redis", feature = "amqp"))]

mod common;

#[cfg(any(feature = "nats", feature = "redis"))]
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

#[cfg(any(feature = "nats", feature = "redis"))]
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
