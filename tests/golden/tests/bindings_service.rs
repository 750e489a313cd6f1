//! The service generated from `specs/bindings.yaml`, run on RabbitMQ and
//! Redis: what the spec's bindings say is what the brokers get, checked
//! with the brokers' own client crates.
//!
//! - RabbitMQ: invoices are consumed from the queue the amqp channel
//!   binding names, bound to the exchange it names; the audit entry the
//!   handler sends goes through that exchange with the `cc` routing key and
//!   delivery mode 1 of the operation binding.
//! - Redis: payments arrive through a stream in the consumer group
//!   `billing`, reminders go to a list, as the redis bindings say.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faststream::{App, Context, HandlerError, Publisher};
use golden::bindings_both::channels::Invoices;
use golden::bindings_both::models::{AuditEntry, InvoiceIssued, PaymentReceived, Reminder};
use golden::bindings_both::{ClientPublisher, Handler, router};

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Billing {
    invoices: Mutex<Vec<(String, String)>>,
    payments: Mutex<Vec<String>>,
}

struct Shared(Arc<Billing>);

impl Handler for Shared {
    async fn on_invoice(
        &self,
        message: InvoiceIssued,
        params: Invoices,
        ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0
            .invoices
            .lock()
            .unwrap()
            .push((params.region, message.invoice_id.clone()));
        let publisher = golden::bindings_both::Publisher::new(ctx.publisher().clone());
        publisher
            .record_audit(&AuditEntry {
                invoice_id: message.invoice_id,
                action: "issued".into(),
            })
            .await
            .map_err(|e| HandlerError::new(e.to_string()))
    }

    async fn on_payment(&self, message: PaymentReceived, ctx: Context) -> Result<(), HandlerError> {
        self.0
            .payments
            .lock()
            .unwrap()
            .push(message.invoice_id.clone());
        golden::bindings_both::Publisher::new(ctx.publisher().clone())
            .send_reminder(&Reminder {
                invoice_id: message.invoice_id,
            })
            .await
            .map_err(|e| HandlerError::new(e.to_string()))
    }
}

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbitmq_gets_the_exchange_queue_cc_and_delivery_mode_of_the_spec() {
    use lapin::options::{
        BasicGetOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
        QueueDeleteOptions,
    };
    use lapin::types::{FieldTable, ShortString};

    // Connected as the spec's `servers` entry says (an environment
    // variable may override the address).
    let server = golden::bindings::servers::RABBITMQ;
    let url = server.url();
    let broker = faststream::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ is not reachable at {url}: {e}"));
    let raw = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
        .await
        .unwrap()
        .create_channel()
        .await
        .unwrap();
    let archive = format!(
        "golden-billing.archive-{}",
        faststream::__codegen::uuid::Uuid::new_v4().simple()
    );

    let billing = Arc::new(Billing::default());
    let app = App::with_broker(broker.clone())
        .include(router(Shared(billing.clone())))
        .start()
        .await
        .expect("the service starts (declaring the spec's exchange and queue)");
    // The queue of the binding exists (a passive declaration fails if not).
    raw.queue_declare(
        ShortString::from("golden-billing.invoices"),
        QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await
    .expect("the queue `golden-billing.invoices` of the channel binding");
    // A queue of the test's own on the `cc` routing key.
    raw.queue_declare(
        ShortString::from(archive.as_str()),
        QueueDeclareOptions {
            auto_delete: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    raw.queue_bind(
        ShortString::from(archive.as_str()),
        ShortString::from("golden-billing"),
        ShortString::from("archive.invoices"),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .expect("the exchange `golden-billing` of the channel binding");

    let client = ClientPublisher::new(Publisher::new(broker.clone()));
    client
        .on_invoice(
            &Invoices {
                region: "nordics".into(),
            },
            &InvoiceIssued {
                invoice_id: "inv-1".into(),
                amount: 120.5,
            },
        )
        .await
        .unwrap();
    until("the invoice", || {
        billing.invoices.lock().unwrap().len() == 1
    })
    .await;
    assert_eq!(
        billing.invoices.lock().unwrap()[0],
        ("nordics".to_owned(), "inv-1".to_owned())
    );

    let copy = tokio::time::timeout(TIMEOUT, async {
        loop {
            if let Some(m) = raw
                .basic_get(
                    ShortString::from(archive.as_str()),
                    BasicGetOptions { no_ack: true },
                )
                .await
                .unwrap()
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the audit entry's cc copy");
    let entry: serde_json::Value = serde_json::from_slice(&copy.delivery.data).unwrap();
    assert_eq!(
        entry,
        serde_json::json!({"invoiceId": "inv-1", "action": "issued"})
    );
    assert_eq!(*copy.delivery.properties.delivery_mode(), Some(1));

    app.shutdown().await;
    // The service's other routes (the Redis channels of the spec) are
    // queues on RabbitMQ's default exchange here: deleted too.
    for q in [
        "golden-billing.invoices",
        "golden-billing.invoices.dead",
        "golden.billing.payments",
        "golden.billing.payments.dead",
        "golden.billing.reminders",
        "golden.billing.reminders.dead",
        archive.as_str(),
    ] {
        let _ = raw
            .queue_delete(ShortString::from(q), QueueDeleteOptions::default())
            .await;
    }
    raw.exchange_delete(
        ShortString::from("golden-billing"),
        ExchangeDeleteOptions::default(),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_gets_the_stream_group_and_list_of_the_spec() {
    use redis::AsyncCommands;

    let server = golden::bindings::servers::REDIS;
    let url = server.url();
    let (payments, reminders) = ("golden.billing.payments", "golden.billing.reminders");
    let raw = redis::Client::open(url.as_str()).unwrap();
    let mut conn = raw.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = conn.del(&[payments, reminders]).await.unwrap();

    let broker = faststream::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("Redis is not reachable at {url}: {e}"));
    let billing = Arc::new(Billing::default());
    let app = App::with_broker(broker.clone())
        .include(router(Shared(billing.clone())))
        .start()
        .await
        .expect("the service starts");
    ClientPublisher::new(Publisher::new(broker.clone()))
        .on_payment(&PaymentReceived {
            invoice_id: "inv-2".into(),
            amount: 10.0,
        })
        .await
        .unwrap();
    until("the payment", || {
        billing.payments.lock().unwrap().len() == 1
    })
    .await;

    let kind: String = redis::cmd("TYPE")
        .arg(payments)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(kind, "stream");
    let groups: redis::streams::StreamInfoGroupsReply = conn.xinfo_groups(payments).await.unwrap();
    let groups: Vec<_> = groups.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["billing"], "the groupName of the binding");

    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let reminder = loop {
        let item: Option<Vec<u8>> = conn.lpop(reminders, None).await.unwrap();
        if let Some(item) = item {
            break item;
        }
        assert!(tokio::time::Instant::now() < deadline, "no reminder");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let envelope = faststream::redis::decode_message(reminders, &reminder);
    assert_eq!(&envelope.payload[..], br#"{"invoiceId":"inv-2"}"#);

    app.shutdown().await;
    let _: i64 = conn.del(&[payments, reminders]).await.unwrap();
}
