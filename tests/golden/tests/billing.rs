//! The types generated from `specs/billing.yaml` (the shapes FastStream and
//! pydantic export) used as a Rust user writes them: plain struct literals
//! (no bookkeeping fields, no constants typed by hand), `Option<T>` for
//! `Optional[T]`, defaults filled in on decode, `Default` where every field
//! is optional, typed headers per message, and a string parameter for a
//! placeholder the spec does not declare.

use std::sync::Mutex;
use std::time::Duration;

use faststream::{Context, DecodeError, HandlerError, TestApp, decode_json};
use golden::billing_both::channels::Logs;
use golden::billing_both::messages::{TakePaymentsHeaders, TakePaymentsMessage};
use golden::billing_both::models::{
    Card, CardNetwork, LogLine, Payment, PaymentHeaders, PaymentReference, Refund, RefundHeaders,
    RefundReason, Severity,
};
use golden::billing_both::{ClientPublisher, Handler, router};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(10);

fn id(n: u128) -> faststream::uuid::Uuid {
    faststream::uuid::Uuid::from_u128(n)
}

fn decode<T: serde::de::DeserializeOwned + faststream::Validate>(v: Value) -> Result<T, String> {
    decode_json(&serde_json::to_vec(&v).unwrap()).map_err(|e: DecodeError| e.to_string())
}

#[test]
fn messages_are_plain_struct_literals() {
    let payment = Payment {
        payment_id: id(1),
        amount_cents: Some(5),
        currency: "NOK".into(),
        tags: vec![],
        attempt: 1,
        at: Some(
            faststream::chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00").unwrap(),
        ),
        card: Some(Card {
            last4: Some("4242".into()),
            ..Card::default()
        }),
        reference: Some(PaymentReference::Integer(7)),
        retry: None,
    };
    // The constant is written on encode; optional fields left out when
    // None; a defaulted nullable field keeps its explicit null.
    assert_eq!(
        serde_json::to_value(&payment).unwrap(),
        json!({
            "kind": "payment",
            "payment_id": "00000000-0000-0000-0000-000000000001",
            "amount_cents": 5,
            "currency": "NOK",
            "tags": [],
            "attempt": 1,
            "at": "2024-05-01T10:00:00+02:00",
            "card": { "last4": "4242", "network": "visa" },
            "reference": 7,
            "retry": null,
        })
    );
    assert_eq!(Payment::KIND, "payment");
    let back: Payment = decode(serde_json::to_value(&payment).unwrap()).unwrap();
    assert_eq!(back, payment);
}

#[test]
fn null_and_omitted_fields_decode_as_pydantic_means_them() {
    // What pydantic's `model_dump` writes: every field, `None` as null.
    let dumped: Payment = decode(json!({
        "kind": "payment",
        "payment_id": "00000000-0000-0000-0000-000000000002",
        "amount_cents": null,
        "currency": "EUR",
        "tags": [],
        "attempt": 1,
        "at": null,
        "card": null,
        "reference": null,
        "retry": null,
    }))
    .unwrap();
    // What a hand-written sender writes: only what it must.
    let minimal: Payment =
        decode(json!({ "payment_id": "00000000-0000-0000-0000-000000000002" })).unwrap();
    assert_eq!(dumped.amount_cents, None);
    assert_eq!(minimal.amount_cents, None);
    assert_eq!((minimal.currency.as_str(), minimal.attempt), ("EUR", 1));
    assert!(minimal.tags.is_empty());
    // `Optional[int] = 3`: absent is the default, null is None.
    assert_eq!((minimal.retry, dumped.retry), (Some(3), None));
    let card: Card = decode(json!({})).unwrap();
    assert_eq!(card, Card::default());
    assert_eq!(card.network, CardNetwork::Visa);
}

#[test]
fn constants_and_constraints_are_checked_on_decode() {
    let wrong_kind = decode::<Payment>(
        json!({ "kind": "refund", "payment_id": "00000000-0000-0000-0000-000000000002" }),
    )
    .unwrap_err();
    assert!(
        wrong_kind.contains(r#"`kind` must be "payment", found "refund""#),
        "{wrong_kind}"
    );
    let short = decode::<Payment>(
        json!({ "payment_id": "00000000-0000-0000-0000-000000000002", "currency": "E" }),
    )
    .unwrap_err();
    assert!(short.contains("/currency: minLength"), "{short}");
    let negative = decode::<Payment>(
        json!({ "payment_id": "00000000-0000-0000-0000-000000000002", "amount_cents": -1 }),
    )
    .unwrap_err();
    assert!(negative.contains("/amount_cents: minimum"), "{negative}");
    let bad_card = decode::<Payment>(
        json!({ "payment_id": "00000000-0000-0000-0000-000000000002", "card": { "last4": "42" } }),
    )
    .unwrap_err();
    assert!(bad_card.contains("/card/last4: pattern"), "{bad_card}");
    // Unknown fields are ignored, as serde and pydantic do.
    let extra: Refund = decode(json!({ "kind": "refund", "payment_id": "00000000-0000-0000-0000-000000000003", "reason": "fraud", "note": "ignored" })).unwrap();
    assert_eq!(extra.reason, RefundReason::Fraud);
}

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Payment(Payment, PaymentHeaders),
    Refund(Refund, RefundHeaders),
}

#[derive(Default)]
struct Billing {
    seen: Mutex<Vec<Seen>>,
}

struct Shared(std::sync::Arc<Billing>);

impl Handler for Shared {
    async fn take_payments(
        &self,
        message: TakePaymentsMessage,
        headers: TakePaymentsHeaders,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        // Each message comes with its own typed headers.
        let seen = match (message, headers) {
            (TakePaymentsMessage::Payment(p), TakePaymentsHeaders::Payment(h)) => {
                Seen::Payment(p, h)
            }
            (TakePaymentsMessage::Refund(r), TakePaymentsHeaders::Refund(h)) => Seen::Refund(r, h),
            (m, h) => return Err(HandlerError::new(format!("mismatched {m:?} and {h:?}"))),
        };
        self.0.seen.lock().unwrap().push(seen);
        Ok(())
    }
}

#[tokio::test]
async fn each_message_reaches_the_handler_with_its_own_headers() {
    let billing = std::sync::Arc::new(Billing::default());
    let app = TestApp::start(router(Shared(billing.clone()))).await;
    let client = ClientPublisher::new(app.publisher());
    let payment = Payment {
        payment_id: id(10),
        amount_cents: Some(1250),
        currency: "EUR".into(),
        tags: vec!["web".into()],
        attempt: 1,
        at: None,
        card: None,
        reference: Some(PaymentReference::String("inv-7".into())),
        retry: Some(3),
    };
    let payment_headers = PaymentHeaders {
        tenant: Some("acme".into()),
        retry: Some(2),
    };
    client
        .take_payments(
            &TakePaymentsMessage::Payment(payment.clone()),
            Some(&TakePaymentsHeaders::Payment(payment_headers.clone())),
        )
        .await
        .unwrap();
    let refund = Refund {
        payment_id: id(10),
        reason: RefundReason::Requested,
    };
    let refund_headers = RefundHeaders {
        reason_code: "R-1".into(),
    };
    client
        .take_payments(
            &TakePaymentsMessage::Refund(refund.clone()),
            Some(&TakePaymentsHeaders::Refund(refund_headers.clone())),
        )
        .await
        .unwrap();
    // A refund without its required header never reaches the handler.
    client
        .take_payments(&TakePaymentsMessage::Refund(refund.clone()), None)
        .await
        .unwrap();
    app.wait_finished(3, TIMEOUT).await;
    assert_eq!(
        billing.seen.lock().unwrap().as_slice(),
        [
            Seen::Payment(payment, payment_headers),
            Seen::Refund(refund, refund_headers)
        ]
    );
    let sent = app.published_to("billing.payments");
    assert_eq!(sent[0].headers.get("retry").map(String::as_str), Some("2"));
    assert_eq!(
        sent[1].headers.get("reason-code").map(String::as_str),
        Some("R-1")
    );
    let dead = app.broker().dead_letters();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].reason.contains("reason-code"), "{}", dead[0].reason);
    app.shutdown().await;
}

#[tokio::test]
async fn an_undeclared_placeholder_is_a_string_parameter() {
    let logs = Logs {
        level: "error".into(),
    };
    assert_eq!(logs.address(), "logs.error");
    assert_eq!(
        Logs::parse("logs.debug"),
        Some(Logs {
            level: "debug".into()
        })
    );
    assert_eq!(Logs::parse("metrics.debug"), None);
    let app = TestApp::start(faststream::Router::new()).await;
    golden::billing_both::Publisher::new(app.publisher())
        .write_log(
            &logs,
            &LogLine {
                message: "card declined".into(),
                severity: Severity::Error,
            },
        )
        .await
        .unwrap();
    let sent = app.published_to("logs.error");
    assert_eq!(
        serde_json::from_slice::<Value>(&sent[0].payload).unwrap(),
        json!({ "message": "card declined", "severity": "error" })
    );
    app.shutdown().await;
}
