//! Unit tests of the NATS adapter's subject handling.

#[test]
fn parameters_become_token_wildcards() {
    assert_eq!(super::subject_of("stores.{id}.orders"), "stores.*.orders");
    assert_eq!(super::subject_of("a.b-{x}.c"), "a.*.c");
    assert_eq!(super::subject_of("plain.subject"), "plain.subject");
    assert!(super::tokens_are_whole_parameters("stores.{id}.orders"));
    assert!(super::tokens_are_whole_parameters("plain"));
    assert!(!super::tokens_are_whole_parameters("a.b-{x}.c"));
    assert!(!super::tokens_are_whole_parameters("a.{x}{y}.c"));
}

#[test]
fn stream_subjects_match() {
    assert!(super::subject_matches("orders.>", "orders.a.b"));
    assert!(super::subject_matches("orders.*.x", "orders.*.x"));
    assert!(!super::subject_matches("orders.*", "orders.a.b"));
    assert!(!super::subject_matches("orders.>", "other.a"));
    assert_eq!(super::durable_name("a.{b}.c"), "a__b__c");
}
