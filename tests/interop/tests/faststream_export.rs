//! From a FastStream application to typed Rust, the way a team adopting
//! faststream-gen does it: `python/payments.py` is a FastStream 0.7
//! service written with FastStream's defaults (pydantic models with
//! `Optional[int]`, `list[str] = []`, `Literal[...]`, constrained fields, a
//! templated subject with `Path()`).
//!
//! 1. `faststream docs gen` exports its document at test time; it must be
//!    the checked-in `python/payments-asyncapi.json` (rewritten, and the
//!    test failing, when FastStream's output changes).
//! 2. The Rust module generated from that export must be the checked-in
//!    `tests/golden/generated/payments_export.rs` (compiled by the `golden` crate with every
//!    warning denied; rewritten and failing when it changes).
//! 3. User code builds messages with plain struct literals, and a service
//!    on the generated router decodes what the Python module publishes on
//!    NATS: a payment as pydantic writes it (None as null), one with only
//!    its required field, and a log line on a templated subject; a payment
//!    with the wrong `kind` never reaches the handler.
//!
//! The Python side runs in the virtualenv `cargo xtask ci` makes
//! (`<target>/faststream-venv`), or the interpreter in `FASTSTREAM_PYTHON`.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faststream::nats::NatsBroker;
use faststream::{App, Context, HandlerError};
use golden::payments_export::channels::BillingLogsLevelOnLog;
use golden::payments_export::models::{LogLine, Payment, Receipt, Severity};
use golden::payments_export::{Handler, router};

mod common;
use common::{interop, pinned_export, python};

const NATS: &str = "nats://127.0.0.1:4222";

#[test]
fn the_export_and_the_generated_code_are_pinned() {
    let diagnostics = pinned_export(
        "payments",
        "payments",
        &[],
        "payments_export",
        &faststream_gen::Settings::default(),
    );
    // FastStream writes templated subjects without `parameters`: a
    // warning, not an error.
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code.as_str() == "address-parameter-undeclared" && !d.is_error()),
        "{diagnostics:?}"
    );
}

#[test]
fn user_code_builds_messages_with_plain_struct_literals() {
    let payment = Payment {
        payment_id: faststream::uuid::Uuid::from_u128(1),
        amount_cents: Some(5),
        currency: "EUR".into(),
        tags: vec![],
        attempt: 1,
        at: Some(faststream::chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").unwrap()),
    };
    let json = serde_json::to_value(&payment).unwrap();
    assert_eq!(json["kind"], "payment", "the constant is written on encode");
    assert_eq!(json["at"], "2024-05-01T10:00:00Z");
    let receipt = Receipt {
        payment_id: payment.payment_id,
        accepted: true,
        reason: None,
    };
    assert_eq!(
        serde_json::to_value(&receipt).unwrap(),
        serde_json::json!({ "payment_id": "00000000-0000-0000-0000-000000000001", "accepted": true })
    );
}

#[derive(Default)]
struct Seen {
    payments: Mutex<Vec<Payment>>,
    logs: Mutex<Vec<(String, LogLine)>>,
}

struct Service(Arc<Seen>);

impl Handler for Service {
    async fn billing_logs_level_on_log_subscribe(
        &self,
        message: LogLine,
        params: BillingLogsLevelOnLog,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0.logs.lock().unwrap().push((params.level, message));
        Ok(())
    }

    async fn billing_payments_on_payment_subscribe(
        &self,
        message: Payment,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0.payments.lock().unwrap().push(message);
        Ok(())
    }
}

#[tokio::test]
async fn the_rust_service_decodes_what_the_python_module_publishes() {
    let seen = Arc::new(Seen::default());
    let broker = NatsBroker::connect(NATS)
        .await
        .unwrap_or_else(|e| panic!("NATS at {NATS} is required: {e}"));
    let running = App::new(broker)
        .include(router(Service(seen.clone())))
        .start()
        .await
        .unwrap();
    // This run's ids: other runs on the same server publish other ids.
    let ids: Vec<faststream::uuid::Uuid> =
        (0..3).map(|_| faststream::uuid::Uuid::new_v4()).collect();
    let status = Command::new(python())
        .arg("payments.py")
        .arg("publish")
        .args(ids.iter().map(ToString::to_string))
        .current_dir(interop())
        .env("NATS_URL", NATS)
        .status()
        .expect("python runs");
    assert!(status.success(), "payments.py publish failed: {status}");

    let mine = |p: &Payment| ids.contains(&p.payment_id);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let payments = seen
            .payments
            .lock()
            .unwrap()
            .iter()
            .filter(|p| mine(p))
            .count();
        let logs = seen
            .logs
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, l)| l.message.contains(&ids[0].to_string()))
            .count();
        if payments >= 2 && logs >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "saw {payments} payments and {logs} logs of this run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let payments: Vec<Payment> = seen
        .payments
        .lock()
        .unwrap()
        .iter()
        .filter(|p| mine(p))
        .cloned()
        .collect();
    assert_eq!(
        payments,
        [
            // pydantic's dump: every field, `None` as null.
            Payment {
                payment_id: ids[0],
                amount_cents: Some(5),
                currency: "EUR".into(),
                tags: vec!["web".into()],
                attempt: 1,
                at: None,
            },
            // Only the required field: the defaults filled in.
            Payment {
                payment_id: ids[1],
                amount_cents: None,
                currency: "EUR".into(),
                tags: vec![],
                attempt: 1,
                at: None,
            },
        ],
        "the payment with `kind: refund` must never reach the handler"
    );
    let logs = seen.logs.lock().unwrap().clone();
    let (level, line) = logs
        .iter()
        .find(|(_, l)| l.message.contains(&ids[0].to_string()))
        .unwrap();
    assert_eq!((level.as_str(), line.severity), ("error", Severity::Error));
    let metrics = running.shutdown().await;
    assert!(metrics.decode_failures >= 1, "{metrics:?}");
}
