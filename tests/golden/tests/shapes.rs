//! The generated types used the way a user would: decode, inspect,
//! encode. Valid JSON round-trips unchanged (unknown fields included);
//! every constraint violation is refused with the field path and the rule.

use faststream::{DecodeError, decode_json};
use golden::shapes::channels::Shipments;
use golden::shapes::models::{
    AuditRecord, AuditRecordContact, AuditRecordStatus, CancelReason, Event, Handling, Node,
    Priority, ShipmentEventHeaders,
};
use serde_json::{Value, json};

fn round_trip<T>(value: Value) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize + faststream::Validate,
{
    let bytes = serde_json::to_vec(&value).unwrap();
    let decoded: T = decode_json(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        serde_json::to_value(&decoded).unwrap(),
        value,
        "round trip changed the JSON"
    );
    decoded
}

/// The violations of a payload, as `path: rule` strings.
fn violations<T>(value: Value) -> Vec<String>
where
    T: serde::de::DeserializeOwned + faststream::Validate + std::fmt::Debug,
{
    match decode_json::<T>(&serde_json::to_vec(&value).unwrap()) {
        Err(DecodeError::Invalid(e)) => {
            e.0.iter()
                .map(|v| format!("{}: {}", v.path, v.rule))
                .collect()
        }
        Err(DecodeError::Json(e)) => vec![format!("json: {e}")],
        Err(e) => vec![format!("other: {e}")],
        Ok(v) => panic!("accepted an invalid payload: {v:?}"),
    }
}

fn created() -> Value {
    json!({
        "type": "created",
        "shipmentId": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22",
        "createdAt": "2024-05-01T10:00:00+02:00",
        "parcels": [
            {
                "weightGrams": 1200,
                "dimensions": [10.0, 20.5, 30.0],
                "fragile": true,
                "labels": ["AB", "XYZ"],
                "priority": 2,
                "handling": "standard"
            }
        ],
        "carrier": "kept although the schema does not name it"
    })
}

#[test]
fn tagged_union_decodes_by_its_discriminator_and_writes_the_tag_once() {
    // Unknown fields are ignored by default, as serde and pydantic do.
    let mut known = created();
    known.as_object_mut().unwrap().remove("carrier");
    let event: Event = decode_json(&serde_json::to_vec(&created()).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap(), known);
    let event: Event = round_trip(known);
    let Event::Created(c) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(c.parcels[0].weight_grams, 1200);
    assert_eq!(c.parcels[0].priority, Some(Priority::V2));
    assert_eq!(c.parcels[0].handling, Some(Handling::Standard));
    let text = serde_json::to_string(&event).unwrap();
    assert_eq!(text.matches("\"type\"").count(), 1, "{text}");

    let cancelled: Event = round_trip(json!({
        "type": "cancelled",
        "shipmentId": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22",
        "reason": "out-of-stock"
    }));
    assert!(matches!(cancelled, Event::Cancelled(c) if c.reason == CancelReason::OutOfStock));

    let unknown = violations::<Event>(
        json!({ "type": "lost", "shipmentId": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22" }),
    );
    assert!(unknown[0].contains("unknown variant `lost`"), "{unknown:?}");
}

#[test]
fn additional_properties_false_refuses_unknown_fields() {
    let delivered = json!({
        "type": "delivered",
        "shipmentId": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22",
        "deliveredOn": "2024-05-02",
        "signature": "aGVsbG8="
    });
    let event: Event = round_trip(delivered.clone());
    let Event::Delivered(d) = event else { panic!() };
    assert_eq!(
        d.signature.as_deref().map(|b| b.to_vec()),
        Some(b"hello".to_vec())
    );
    let mut extra = delivered;
    extra["courier"] = json!("not allowed");
    let e = violations::<Event>(extra);
    assert!(e[0].contains("unknown field `courier`"), "{e:?}");
}

#[test]
fn constraints_are_enforced_with_path_and_rule() {
    let mut bad = created();
    bad["parcels"][0]["weightGrams"] = json!(0);
    bad["parcels"][0]["labels"] = json!(["ab", "AB", "AB"]);
    bad["note"] = json!("x".repeat(201));
    assert_eq!(
        violations::<Event>(bad),
        [
            "/parcels/0/weightGrams: minimum",
            "/parcels/0/labels: uniqueItems",
            "/parcels/0/labels/0: pattern",
            "/note: maxLength",
        ]
    );
    let mut empty = created();
    empty["parcels"] = json!([]);
    assert_eq!(violations::<Event>(empty), ["/parcels: minItems"]);
    let mut tuple = created();
    tuple["parcels"][0]["dimensions"] = json!([1, 2]);
    assert!(violations::<Event>(tuple)[0].starts_with("json:"));
    let mut priority = created();
    priority["parcels"][0]["priority"] = json!(4);
    assert!(violations::<Event>(priority)[0].contains("unexpected value 4"));
}

fn audit() -> Value {
    json!({
        "recordedAt": "2024-05-01T10:00:00Z",
        "actor": "ops@example.com",
        "action": "reroute",
        "target": "urn:shipment:1",
        "score": 0.25,
        "counters": { "retries": 2 },
        "tags": { "team": "blue" },
        "details": { "anything": [1, "two", null] },
        "contact": { "street": "Main St 1", "city": null },
        "tree": { "name": "root", "children": [{ "name": "leaf" }], "parent": { "name": "up" } },
        "status": "closed",
        "bigCounter": 18446744073709551615u64,
        "ratio": 0.5,
        "at": "10:30:00+01:00"
    })
}

#[test]
fn all_of_merges_and_every_field_shape_round_trips() {
    let mut full = audit();
    // `city: null` on a nullable, optional field reads as absent.
    full["contact"] = json!({ "street": "Main St 1" });
    let record: AuditRecord = round_trip(full);
    assert_eq!(record.status, AuditRecordStatus::Closed);
    assert_eq!(record.big_counter, Some(u64::MAX));
    assert!(matches!(
        record.contact,
        Some(AuditRecordContact::Address(_))
    ));
    let tree: &Node = record.tree.as_ref().unwrap();
    assert_eq!(tree.children.as_ref().unwrap()[0].name, "leaf");
    assert_eq!(tree.parent.as_ref().unwrap().name, "up");

    let mut minimal = json!({ "recordedAt": "2024-05-01T10:00:00Z", "actor": "a@b", "action": "x", "contact": "by phone" });
    let record: AuditRecord = decode_json(&serde_json::to_vec(&minimal).unwrap()).unwrap();
    assert_eq!(
        record.status,
        AuditRecordStatus::Open,
        "the default applies on decode"
    );
    assert!(matches!(record.contact, Some(AuditRecordContact::String(ref s)) if s == "by phone"));
    minimal["status"] = json!("open");
    assert_eq!(serde_json::to_value(&record).unwrap(), minimal);
}

#[test]
fn number_string_and_map_constraints() {
    let mut bad = audit();
    bad["actor"] = json!("not an email");
    bad["action"] = json!("");
    bad["target"] = json!("no scheme");
    bad["score"] = json!(1.0);
    bad["counters"] = json!({});
    // RFC 3339's `full-time` has an offset.
    bad["at"] = json!("10:30:00");
    assert_eq!(
        violations::<AuditRecord>(bad),
        [
            "/actor: format",
            "/action: minLength",
            "/target: format",
            "/score: exclusiveMaximum",
            "/counters: minProperties",
            "/at: format",
        ]
    );
    let mut step = audit();
    step["score"] = json!(0.255);
    assert_eq!(violations::<AuditRecord>(step), ["/score: multipleOf"]);
    let mut missing = audit();
    missing.as_object_mut().unwrap().remove("actor");
    assert!(violations::<AuditRecord>(missing)[0].contains("missing field `actor`"));
}

#[test]
fn headers_are_typed_and_checked() {
    let h: ShipmentEventHeaders = round_trip(json!({ "trace-id": "abcdefgh", "retry": 1 }));
    assert_eq!(h.trace_id, "abcdefgh");
    assert_eq!(h.retry, Some(1));
    assert_eq!(
        violations::<ShipmentEventHeaders>(json!({ "trace-id": "short", "retry": -1 })),
        ["/trace-id: minLength", "/retry: minimum"]
    );
}

#[test]
fn headers_decode_from_the_strings_brokers_carry() {
    use faststream::__codegen::{decode_headers, encode_headers};
    use std::collections::BTreeMap;
    let wire = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    // Numbers are parsed from their text; other headers are ignored.
    let h: ShipmentEventHeaders = decode_headers(&wire(&[
        ("trace-id", "abcdefgh"),
        ("retry", "3"),
        ("x-other", "1"),
    ]))
    .unwrap();
    assert_eq!((h.trace_id.as_str(), h.retry), ("abcdefgh", Some(3)));
    assert_eq!(
        encode_headers(&h).unwrap(),
        wire(&[("retry", "3"), ("trace-id", "abcdefgh")])
    );
    // An optional header may be absent; a string header may look like a number.
    let h: ShipmentEventHeaders = decode_headers(&wire(&[("trace-id", "12345678")])).unwrap();
    assert_eq!((h.trace_id.as_str(), h.retry), ("12345678", None));
    // What does not parse, or is missing, or breaks a rule, is refused.
    let e =
        decode_headers::<ShipmentEventHeaders>(&wire(&[("trace-id", "abcdefgh"), ("retry", "x")]))
            .unwrap_err()
            .to_string();
    assert!(
        e.contains("malformed headers") && e.contains("\"x\""),
        "{e}"
    );
    let e = decode_headers::<ShipmentEventHeaders>(&wire(&[("retry", "1")])).unwrap_err();
    assert!(matches!(e, faststream::DecodeError::Headers(_)), "{e:?}");
    assert!(e.to_string().contains("missing field `trace-id`"), "{e}");
    let e = decode_headers::<ShipmentEventHeaders>(&wire(&[("trace-id", "short")])).unwrap_err();
    assert!(
        matches!(e, faststream::DecodeError::InvalidHeaders(_)),
        "{e:?}"
    );
    assert!(e.to_string().contains("minLength"), "{e}");
}

#[test]
fn channel_parameters_format_and_parse() {
    let ch = Shipments {
        tenant: "acme".into(),
        region: "eu".into(),
    };
    assert_eq!(
        Shipments::ADDRESS,
        "tenants.{tenant}.regions.{region}.shipments"
    );
    assert_eq!(ch.address(), "tenants.acme.regions.eu.shipments");
    assert_eq!(
        Shipments::parse("tenants.acme.regions.eu.shipments"),
        Some(ch)
    );
    assert_eq!(
        Shipments::parse("tenants.acme.regions.asia.shipments"),
        None,
        "region is an enum"
    );
    assert_eq!(
        Shipments::parse("tenants..regions.eu.shipments"),
        None,
        "empty parameter"
    );
    assert_eq!(
        Shipments::parse("tenants.acme.regions.eu.shipments.extra"),
        None
    );
    assert_eq!(Shipments::parse("other"), None);
}

#[test]
fn cursed_names_keep_their_wire_spelling() {
    use golden::cursed::channels::Type as CursedChannel;
    use golden::cursed::models::{Option2, Type};
    let value = json!({
        "type": "t", "ref": 1, "self": true, "Self": false, "match": "m", "1st": "first",
        "a-b": "dash", "a_b": "underscore", "ünïcode": "u", "async": "a-b", "crate": { "String": "s" }
    });
    let t: Type = round_trip(value);
    assert_eq!(
        (t.r#type.as_str(), t.r#ref, t.self_, t.self_2),
        ("t", 1, true, Some(false))
    );
    assert_eq!(
        (t._1st.as_deref(), t.a_b.as_deref(), t.a_b_2.as_deref()),
        (Some("first"), Some("dash"), Some("underscore"))
    );
    assert_eq!(t.r#async, Some(Option2::AB));
    let ch = CursedChannel {
        r#type: "x".into(),
        self_: "y".into(),
    };
    assert_eq!(ch.address(), "cursed.x.y");
    assert_eq!(CursedChannel::parse("cursed.x.y"), Some(ch));
}

#[test]
fn settings_change_the_types() {
    use golden::shapes_options::models::Created;
    // Unknown fields kept; date-times as strings; maps as HashMap.
    let mut value = created();
    value.as_object_mut().unwrap().remove("type");
    let c: Created = decode_json(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert_eq!(c.created_at, "2024-05-01T10:00:00+02:00");
    assert_eq!(
        c.additional_properties["carrier"],
        json!("kept although the schema does not name it")
    );
    let back = serde_json::to_value(&c).unwrap();
    assert_eq!(back, value, "UnknownFields::Keep passes unknown fields on");
}

#[test]
fn avro_records_become_structs() {
    use golden::avro::models::{Plan, UserSignedUp};
    let value = json!({
        "id": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22",
        "email": "a@example.com",
        "age": 41,
        "plan": "PRO",
        "signedUpAt": 1714557600000i64,
        "address": { "street": "Main St 1", "city": "Oslo" },
        "tags": ["beta"],
        "attributes": { "ltv": 12.5 },
        "score": 0.5
    });
    let user: UserSignedUp = round_trip(value);
    assert_eq!(user.plan, Plan::Pro);
    assert_eq!(user.address.as_ref().map(|a| a.city.as_str()), Some("Oslo"));
    assert_eq!(user.previous, None);
}

#[test]
fn upper_bounds_and_const_are_enforced() {
    let mut bad = created();
    bad["parcels"][0]["weightGrams"] = json!(100001);
    bad["parcels"] = json!(vec![bad["parcels"][0].clone(); 51]);
    let v = violations::<Event>(bad);
    assert_eq!(v[0], "/parcels: maxItems");
    assert_eq!(
        v.len(),
        52,
        "maxItems once and maximum for each of the 51 parcels: {v:?}"
    );
    assert!(v[1..].iter().all(|x| x.ends_with(": maximum")));

    let mut audit_bad = audit();
    audit_bad["score"] = json!(0);
    let many: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("c{i}"), json!(i))).collect();
    audit_bad["counters"] = Value::Object(many);
    assert_eq!(
        violations::<AuditRecord>(audit_bad),
        ["/score: exclusiveMinimum", "/counters: maxProperties"]
    );

    use golden::orders::models::Order;
    let order = json!({ "kind": "cancel", "orderId": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "lines": [{ "sku": "A", "quantity": 1 }] });
    // A constant is not a field: decoding refuses any other value.
    let v = violations::<Order>(order);
    assert!(
        v.len() == 1 && v[0].contains(r#"`kind` must be "place", found "cancel""#),
        "{v:?}"
    );
}
