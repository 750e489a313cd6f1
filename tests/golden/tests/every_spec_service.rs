//! Every spec in `specs/` as a running service on the testing API: a typed
//! message published into the app reaches the handler with the right
//! parameters and headers; typed publishers send what the app sends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faststream::{Context, Envelope, HandlerError, TestApp, encode_json};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn shapes_params_and_typed_headers_reach_the_handler() {
    use golden::shapes::channels::Shipments;
    use golden::shapes::models::{Event, ShipmentEventHeaders};

    type Seen = Vec<(String, String, String, Option<i32>, &'static str)>;
    struct Tracker(Arc<Mutex<Seen>>);
    impl golden::shapes::Handler for Tracker {
        async fn on_shipment(
            &self,
            message: Event,
            params: Shipments,
            headers: ShipmentEventHeaders,
            _ctx: Context,
        ) -> Result<(), HandlerError> {
            let kind = match message {
                Event::Created(_) => "created",
                Event::Delivered(_) => "delivered",
                Event::Cancelled(_) => "cancelled",
            };
            self.0.lock().unwrap().push((
                params.tenant,
                params.region,
                headers.trace_id,
                headers.retry,
                kind,
            ));
            Ok(())
        }
    }
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let app = TestApp::start(golden::shapes::router(Tracker(seen.clone()))).await;
    let event: Event = serde_json::from_value(json!({
        "type": "cancelled", "shipmentId": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "reason": "fraud"
    }))
    .unwrap();
    let address = Shipments {
        tenant: "acme".into(),
        region: "eu".into(),
    }
    .address();
    let envelope = Envelope::new(address, encode_json(&event).unwrap())
        .with_header("trace-id", "trace-0001")
        .with_header("retry", "2");
    app.publisher().publish(envelope.clone()).await.unwrap();
    // Headers that violate their schema are refused like a bad payload.
    app.publisher()
        .publish(envelope.with_header("trace-id", "short"))
        .await
        .unwrap();
    app.wait_finished(2, TIMEOUT).await;
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [(
            "acme".into(),
            "eu".into(),
            "trace-0001".into(),
            Some(2),
            "cancelled"
        )]
    );
    assert!(
        app.dead_letters()[0]
            .reason
            .contains("/trace-id: minLength"),
        "{:?}",
        app.dead_letters()
    );

    // The typed publisher of the app's `send` operation.
    let publisher = golden::shapes::Publisher::new(app.publisher());
    let record: golden::shapes::models::AuditRecord = serde_json::from_value(json!({
        "recordedAt": "2024-05-01T10:00:00Z", "actor": "ops@example.com", "action": "reroute"
    }))
    .unwrap();
    publisher.publish_audit(&record).await.unwrap();
    let sent = app.published_to("audit");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].content_type.as_deref(), Some("application/json"));
    let back: golden::shapes::models::AuditRecord =
        faststream::decode_json(&sent[0].payload).unwrap();
    assert_eq!(back, record);
    app.shutdown().await;
}

#[tokio::test]
async fn avro_service_receives_records() {
    use golden::avro::models::UserSignedUp;
    struct Users(Arc<Mutex<Vec<String>>>);
    impl golden::avro::Handler for Users {
        async fn on_user_signed_up(
            &self,
            message: UserSignedUp,
            _ctx: Context,
        ) -> Result<(), HandlerError> {
            self.0.lock().unwrap().push(message.email);
            Ok(())
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::start(golden::avro::router(Users(seen.clone()))).await;
    let user = json!({
        "id": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "email": "a@example.com", "plan": "FREE",
        "signedUpAt": 1, "tags": [], "attributes": {}, "score": 1.0
    });
    app.publisher()
        .publish(Envelope::new("users.signed-up", user.to_string()))
        .await
        .unwrap();
    app.wait_finished(1, TIMEOUT).await;
    assert_eq!(seen.lock().unwrap().as_slice(), ["a@example.com"]);
    app.shutdown().await;
}

#[tokio::test]
async fn cursed_names_work_as_a_service() {
    use golden::cursed::channels::Type;
    use golden::cursed::messages::RefMessage;
    struct Cursed(Arc<Mutex<Vec<(String, String, bool)>>>);
    impl golden::cursed::Handler for Cursed {
        async fn r#ref(
            &self,
            message: RefMessage,
            params: Type,
            _ctx: Context,
        ) -> Result<(), HandlerError> {
            let is_match = matches!(message, RefMessage::Match(_));
            self.0
                .lock()
                .unwrap()
                .push((params.r#type, params.self_, is_match));
            Ok(())
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::start(golden::cursed::router(Cursed(seen.clone()))).await;
    let payload = json!({ "type": "t", "ref": 1, "self": true });
    let address = Type {
        r#type: "a".into(),
        self_: "b".into(),
    }
    .address();
    app.publisher()
        .publish(Envelope::new(address, payload.to_string()))
        .await
        .unwrap();
    app.wait_finished(1, TIMEOUT).await;
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [("a".into(), "b".into(), true)]
    );
    app.shutdown().await;
}

/// The content-types spec's handler: what each operation saw, in order.
struct Greeter(Arc<Mutex<Vec<String>>>);

impl golden::content_types::Handler for Greeter {
    async fn on_greeting(
        &self,
        message: golden::content_types::models::Greeting,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(message.0);
        Ok(())
    }

    async fn on_ping(&self, (): (), _ctx: Context) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push("ping".into());
        Ok(())
    }

    async fn on_nothing(&self, (): (), _ctx: Context) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push("nothing".into());
        Ok(())
    }

    async fn on_check(&self, message: String, _ctx: Context) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(format!("check {message}"));
        Ok(())
    }

    async fn on_probe(
        &self,
        message: String,
        _ctx: Context,
    ) -> Result<golden::content_types::models::Nothing, HandlerError> {
        self.0.lock().unwrap().push(format!("probe {message}"));
        Ok(())
    }

    async fn on_tally(&self, message: i64, _ctx: Context) -> Result<Vec<()>, HandlerError> {
        self.0.lock().unwrap().push(format!("tally {message}"));
        Ok(vec![(); usize::try_from(message).unwrap_or(0)])
    }

    async fn on_strict(
        &self,
        message: String,
        headers: golden::content_types::models::StrictHeaders,
        _ctx: Context,
    ) -> Result<(), HandlerError> {
        assert!(headers.is_empty());
        self.0.lock().unwrap().push(format!("strict {message}"));
        Ok(())
    }
}

#[tokio::test]
async fn messages_without_a_payload_null_payloads_and_empty_replies() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::start(golden::content_types::router(Greeter(seen.clone()))).await;
    // The document gives `ping` no payload: whatever the body, the handler
    // is called (with `()`).
    for body in ["", "anything", "{}"] {
        app.publisher()
            .publish(Envelope::new("pings", body))
            .await
            .unwrap();
    }
    // A `type: null` payload must be JSON `null`.
    for body in ["null", "1"] {
        app.publisher()
            .publish(Envelope::new("nulls", body))
            .await
            .unwrap();
    }
    app.wait_finished(5, TIMEOUT).await;
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["ping", "ping", "ping", "nothing"]
    );
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(&dead[0].envelope.payload[..], b"1");
    // A reply message without a payload is answered with JSON `null`.
    let reply = app
        .publisher()
        .request(Envelope::new("checks", r#""ok""#), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(&reply.payload[..], b"null");
    assert_eq!(seen.lock().unwrap().last().unwrap(), "check ok");
    // So is one whose payload is a named `type: null` schema (a `()` by
    // another name), and a list of nulls is a JSON list.
    let reply = app
        .publisher()
        .request(Envelope::new("probes", r#""p""#), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(&reply.payload[..], b"null");
    let reply = app
        .publisher()
        .request(Envelope::new("tallies", "2"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(&reply.payload[..], b"[null,null]");
    // Headers whose values must be `null` (a map of `()`): a message
    // with no headers is handled, one with a header (a string on the
    // wire) is refused before the handler.
    let mut with_headers = Envelope::new("stricts", r#""refused""#);
    with_headers.headers.insert("x".into(), "1".into());
    for envelope in [Envelope::new("stricts", r#""s""#), with_headers] {
        app.publisher().publish(envelope).await.unwrap();
    }
    app.wait_finished(10, TIMEOUT).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter()
            .filter(|s| s.starts_with("strict"))
            .collect::<Vec<_>>(),
        ["strict s"]
    );
    let dead = app.dead_letters();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(&dead[1].envelope.payload[..], br#""refused""#);
    app.shutdown().await;
}

#[tokio::test]
async fn text_and_binary_payloads_use_their_content_type() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = TestApp::start(golden::content_types::router(Greeter(seen.clone()))).await;
    // Plain text on the wire, not a JSON string.
    app.publisher()
        .publish(Envelope::new("greetings", "hello there"))
        .await
        .unwrap();
    // An empty greeting violates minLength: refused.
    app.publisher()
        .publish(Envelope::new("greetings", ""))
        .await
        .unwrap();
    app.wait_finished(2, TIMEOUT).await;
    assert_eq!(seen.lock().unwrap().as_slice(), ["hello there"]);
    assert!(
        app.dead_letters()[0].reason.contains("minLength"),
        "{:?}",
        app.dead_letters()
    );

    let publisher = golden::content_types::Publisher::new(app.publisher());
    let png = faststream::__codegen::Base64(vec![0x89, b'P', b'N', b'G']);
    publisher.send_thumbnail(&png).await.unwrap();
    let sent = app.published_to("thumbnails");
    assert_eq!(
        sent[0].payload,
        vec![0x89, b'P', b'N', b'G'],
        "raw bytes, not base64 text"
    );
    assert_eq!(
        sent[0].content_type.as_deref(),
        Some("application/octet-stream")
    );
    app.shutdown().await;
}
