//! Redis: pub/sub (at most once), lists (each entry to one consumer) and
//! streams with consumer groups (at least once), on one [`RedisBroker`];
//! a channel's redis binding chooses (see [`crate::bindings::RedisBindings`]),
//! pub/sub being the default. [`RedisStreamBroker`] makes every address
//! under some prefixes a stream without bindings.
//!
//! Wire compatible with FastStream 0.7: a message is FastStream's binary
//! envelope (magic `\x89BIN\r\n\x1a\n`, u16 version 1, u32 offset of the
//! header count, u32 offset of the data, u16 header count, u16-length-
//! prefixed key/value pairs, then the payload; big-endian), carrying
//! `content-type`, `correlation_id` and `reply_to` as headers. The older
//! JSON envelope (`{"data": ..., "headers": {...}}`) is accepted on input.
//! In streams the envelope is the `__data__` field of each entry; in lists
//! it is the entry.
//!
//! Pub/sub subscribes to the address, or for a template to a glob pattern
//! (`{param}` becomes `*`, each channel then matched exactly). Redis has no
//! groups for pub/sub: a subscriber's group is ignored with a warning, and
//! every subscriber gets every message. The worker polls the pub/sub
//! connection itself; when it is lost, the subscription is made again on
//! a new connection, with backoff.
//!
//! Lists (a concrete key, not a template): `RPUSH` publishes, `BLPOP`
//! hands each entry to one consumer, and an ack has nothing left to do. A
//! nack pushes the entry back to the head of the list after its delay,
//! with its next attempt in an `x-faststream-attempt` header; a reject
//! appends it to `<list>:dead` (the reason is logged). A consumer that
//! dies holding an entry loses it.
//!
//! Streams (a concrete key): `XADD` publishes; a subscriber is a consumer
//! in a group (the binding's group, else the subscriber's, else the key),
//! created with the stream when missing. The consumer is named by the
//! binding, else by the instance ([`crate::instance_name`]:
//! `FASTSTREAM_INSTANCE`, else the host name), so a restarted service is
//! the same consumer and first reads what it held when it stopped. Ack
//! is `XACK`; a nack re-adds the entry with an `__attempt__` field after
//! its delay, then acks the old one; a reject adds it to `<stream>:dead`
//! with a `reason` field, then acks it. Entries another consumer left pending longer than
//! `claim_idle` (30 s unless set) are taken over with `XAUTOCLAIM` (at
//! start, then every `claim_idle / 2`), and at start and after a lost
//! connection a consumer first reads its own pending entries again, so
//! none is stranded.
//!
//! Commands go through redis's `ConnectionManager`, which reconnects with
//! backoff (100 ms doubling to 5 s); the blocking reads of lists and
//! streams have a connection of their own.

mod broker;
mod streams;
mod subscribe;
mod wire;

pub use broker::RedisBroker;
pub use streams::RedisStreamBroker;
pub use wire::{decode_message, encode_message};

#[cfg(test)]
mod tests {
    use super::wire::*;
    use crate::connect::redact;
    use crate::envelope::Envelope;

    #[test]
    fn binary_envelope_round_trips() {
        let e = Envelope::new("ch", b"{\"a\":1}".to_vec())
            .with_header("x", "y")
            .with_content_type("application/json")
            .with_correlation_id("c-1")
            .with_reply_to("inbox");
        let bytes = encode_message(&e);
        assert_eq!(&bytes[..8], MAGIC);
        assert_eq!(u16::from_be_bytes([bytes[8], bytes[9]]), 1);
        assert_eq!(bytes.capacity(), bytes.len(), "sized exactly up front");
        assert_eq!(decode_message("ch", &bytes), e);
        // Cut inside the headers: FastStream's mark, but lengths that run
        // past the end. No header is taken from it, and it is malformed:
        // refused before decoding.
        let cut = &bytes[..30];
        let d = decode_message("ch", cut);
        assert_eq!(&d.payload[..], cut);
        assert_eq!(d.content_type, None);
        assert!(d.headers.is_empty());
        assert!(d.malformation().unwrap().contains("does not parse"));
        // A header value that is not UTF-8: malformed too.
        let mut odd = encode_message(&Envelope::new("ch", b"1".to_vec()).with_header("x", "y"));
        let at = odd.iter().rposition(|b| *b == b'y').unwrap();
        odd[at] = 0xff;
        assert!(decode_message("ch", &odd).malformation().is_some());
        // The whole envelope: not malformed.
        assert_eq!(decode_message("ch", &bytes).malformation(), None);
    }

    #[test]
    fn json_envelope_and_bare_payloads_are_accepted() {
        let legacy = br#"{"data":"hello","headers":{"correlation_id":"7","x":"y"}}"#;
        let e = decode_message("ch", legacy);
        assert_eq!(&e.payload[..], b"hello");
        assert_eq!(e.correlation_id.as_deref(), Some("7"));
        assert_eq!(e.headers.get("x").map(String::as_str), Some("y"));
        let bare = decode_message("ch", b"{\"plain\":true}");
        assert_eq!(&bare.payload[..], b"{\"plain\":true}");
    }

    #[test]
    fn patterns_and_redaction() {
        assert_eq!(pattern_of("orders.{id}.new"), "orders.*.new");
        assert_eq!(pattern_of("a*b.{x}"), "a\\*b.*");
        assert_eq!(
            redact("redis://user:secret@host:6379"),
            "redis://***@host:6379"
        );
    }
}
