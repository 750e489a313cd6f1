//! Unions read as JSON Schema reads them.
//!
//! serde's internally tagged and untagged enums buffer the value in a form
//! of their own and read the variants from it: integers written `9.0`
//! fail, structs read JSON arrays, and an untagged enum takes the first
//! variant that decodes even when the schema (`oneOf`) says the value must
//! match exactly one. Generated unions read a [`Value`] instead and decide
//! here: each variant is read from the value as [`decode_json`] reads a
//! payload (structs from objects only, integral numbers as integers) and
//! checked against its rules, so that "matches" means what the schema
//! means by it.
//!
//! [`decode_json`]: crate::decode_json

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::DecodeError;
use crate::validate::Validate;

/// Reads one variant from `value`: decoded strictly, then validated.
#[doc(hidden)]
pub fn variant<T: DeserializeOwned + Validate>(value: &Value) -> Result<T, String> {
    let v: T = crate::strict::from_ref(value).map_err(|e| e.to_string())?;
    v.validate().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Reads one variant of a tagged union from `value`, decoded strictly (the
/// union's `validate` checks it after).
#[doc(hidden)]
pub fn decoded<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    crate::strict::from_ref(value).map_err(|e| e.to_string())
}

/// One variant of a union: its name (tag value for tagged unions) and how
/// to read it.
#[doc(hidden)]
pub type Variant<T> = (&'static str, fn(&Value) -> Result<T, String>);

/// An internally tagged union: the object's `tag` property names the
/// variant, which is read from the object without it.
#[doc(hidden)]
pub fn tagged<T>(
    value: Value,
    name: &str,
    tag: &str,
    variants: &[Variant<T>],
) -> Result<T, String> {
    let Value::Object(mut map) = value else {
        return Err(format!(
            "{name}: expected an object, found {}",
            kind_of(&value)
        ));
    };
    let found = match map.remove(tag) {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(format!(
                "{name}: `{tag}` must be a string, found {}",
                kind_of(&other)
            ));
        }
        None => return Err(format!("{name}: missing field `{tag}`")),
    };
    let Some((_, read)) = variants.iter().find(|(wire, _)| *wire == found) else {
        let expected: Vec<String> = variants.iter().map(|(w, _)| format!("`{w}`")).collect();
        return Err(format!(
            "{name}: unknown variant `{found}` (in `{tag}`), expected one of {}",
            expected.join(", ")
        ));
    };
    read(&Value::Object(map))
}

/// An untagged union. With `exactly_one` (`oneOf`) the value must match
/// one variant and no other. Otherwise (`anyOf`) the variant that keeps
/// the most properties of an object wins, the first of equals (so that a
/// value matching several variants is not cut down to the first one's
/// fields); for values that are not objects, the first that matches.
#[doc(hidden)]
pub fn untagged<T: Serialize>(
    value: &Value,
    name: &str,
    exactly_one: bool,
    variants: &[Variant<T>],
) -> Result<T, String> {
    let _nested = Nesting::enter();
    let mut matched: Option<(&str, T, usize)> = None;
    let mut errors: Vec<(&str, String)> = Vec::new();
    for (variant, read) in variants {
        if !Nesting::spend() {
            return Err(format!(
                "{name}: too many nested variants to decide (more than {BUDGET} tried)"
            ));
        }
        match read(value) {
            Ok(v) => {
                if exactly_one {
                    if let Some((first, ..)) = &matched {
                        return Err(format!(
                            "{name}: matches more than one variant of its `oneOf` ({first} and {variant})"
                        ));
                    }
                    matched = Some((variant, v, 0));
                    continue;
                }
                let (kept, all) = kept_of_value(value, &v);
                if all {
                    return Ok(v);
                }
                if matched.as_ref().is_none_or(|(_, _, best)| kept > *best) {
                    matched = Some((variant, v, kept));
                }
            }
            Err(e) => errors.push((variant, e)),
        }
    }
    match matched {
        Some((_, v, _)) => Ok(v),
        None => {
            let errors: Vec<String> = errors.iter().map(|(v, e)| format!("{v}: {e}")).collect();
            Err(format!(
                "{name}: matches none of its variants ({})",
                errors.join("; ")
            ))
        }
    }
}

/// Variant attempts allowed within one outermost untagged union. A union
/// nested in a variant tries its own variants inside each attempt of its
/// parent, so on a deeply nested hostile message the work would grow
/// exponentially; past the budget the message is refused.
const BUDGET: u32 = 10_000;

thread_local! {
    /// (nesting depth of untagged unions being decided, attempts spent
    /// since the outermost one began).
    static WORK: std::cell::Cell<(u32, u32)> = const { std::cell::Cell::new((0, 0)) };
}

/// One level of union nesting, left when dropped (also on unwinding).
struct Nesting;

impl Nesting {
    fn enter() -> Nesting {
        WORK.with(|w| {
            let (depth, spent) = w.get();
            w.set((depth + 1, if depth == 0 { 0 } else { spent }));
        });
        Nesting
    }

    /// Counts one attempt; false once the budget is spent.
    fn spend() -> bool {
        WORK.with(|w| {
            let (depth, spent) = w.get();
            w.set((depth, spent.saturating_add(1)));
            spent < BUDGET
        })
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        WORK.with(|w| {
            let (depth, spent) = w.get();
            w.set((depth.saturating_sub(1), spent));
        });
    }
}

/// One message of an operation's message enum: decodes a payload as it
/// (content type, validation and all) and, when asked, encodes the
/// decoded payload again (to see which properties it kept).
#[doc(hidden)]
pub type Message<T> = fn(&[u8], bool) -> Result<(T, Option<Value>), DecodeError>;

/// Decodes `payload` as the message type `P`, wrapped as the enum's
/// variant; with `encode_again`, also `P` encoded as JSON.
#[doc(hidden)]
pub fn message<P: DeserializeOwned + Validate + Serialize, T>(
    content_type: &str,
    payload: &[u8],
    wrap: fn(P) -> T,
    encode_again: bool,
) -> Result<(T, Option<Value>), DecodeError> {
    let decoded: P = crate::codec::decode_payload_as(content_type, payload)?;
    let again = encode_again
        .then(|| serde_json::to_value(&decoded).ok())
        .flatten();
    Ok((wrap(decoded), again))
}

/// A payload that nothing tells apart, decoded as each message in turn:
/// of those that decode, the one that keeps the most properties of a JSON
/// object payload wins (the first of equals), as an `anyOf` chooses.
#[doc(hidden)]
pub fn any_message<T>(payload: &[u8], messages: &[Message<T>]) -> Result<T, DecodeError> {
    // Only a JSON object with several candidates needs the comparison.
    let input: Option<serde_json::Map<String, Value>> =
        if messages.len() > 1 && payload.trim_ascii_start().first() == Some(&b'{') {
            serde_json::from_slice(payload).ok()
        } else {
            None
        };
    let mut best: Option<(T, usize)> = None;
    let mut errors = Vec::new();
    for read in messages {
        match read(payload, input.is_some()) {
            Ok((v, again)) => {
                let (Some(input), Some(Value::Object(out))) = (&input, again) else {
                    return Ok(v);
                };
                let kept = input.keys().filter(|k| out.contains_key(*k)).count();
                if kept == input.len() {
                    return Ok(v);
                }
                if best.as_ref().is_none_or(|(_, most)| kept > *most) {
                    best = Some((v, kept));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    match best {
        Some((v, _)) => Ok(v),
        None => Err(DecodeError::NoMessage(errors)),
    }
}

/// How many properties of `value` `decoded` keeps when encoded again, and
/// whether that is all of them (always, for values that are not objects).
fn kept_of_value<T: Serialize>(value: &Value, decoded: &T) -> (usize, bool) {
    let Value::Object(input) = value else {
        return (0, true);
    };
    match serde_json::to_value(decoded) {
        Ok(Value::Object(out)) => {
            let kept = input.keys().filter(|k| out.contains_key(*k)).count();
            (kept, kept == input.len())
        }
        _ => (0, false),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Path, ValidationError};
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Key {
        key: Option<String>,
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Key2 {
        key2: Option<String>,
    }
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Count {
        n: u32,
    }
    impl Validate for Key {
        fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
    }
    impl Validate for Key2 {
        fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
    }
    impl Validate for Count {
        fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
    }

    #[derive(Debug, PartialEq, Serialize)]
    #[serde(untagged)]
    enum Either {
        Key(Key),
        Key2(Key2),
    }

    fn either() -> [Variant<Either>; 2] {
        [
            ("Key", |v| variant(v).map(Either::Key)),
            ("Key2", |v| variant(v).map(Either::Key2)),
        ]
    }

    #[test]
    fn one_of_refuses_a_value_that_matches_two_variants() {
        let e = untagged(&json!({}), "Either", true, &either()).unwrap_err();
        assert!(
            e.contains("more than one") && e.contains("Key and Key2"),
            "{e}"
        );
        // `key` a number: only Key2 matches (it allows any other property).
        let v = untagged(&json!({"key": 5}), "Either", true, &either()).unwrap();
        assert_eq!(v, Either::Key2(Key2 { key2: None }));
    }

    #[test]
    fn any_of_prefers_the_variant_that_keeps_the_properties() {
        let v = untagged(&json!({"key2": "x"}), "Either", false, &either()).unwrap();
        assert_eq!(
            v,
            Either::Key2(Key2 {
                key2: Some("x".into())
            })
        );
        // Neither keeps `other`; Key2 keeps more.
        let v = untagged(
            &json!({"key2": "x", "other": 1}),
            "Either",
            false,
            &either(),
        )
        .unwrap();
        assert_eq!(
            v,
            Either::Key2(Key2 {
                key2: Some("x".into())
            })
        );
        let v = untagged(&json!({}), "Either", false, &either()).unwrap();
        assert_eq!(v, Either::Key(Key { key: None }));
    }

    #[test]
    fn variants_are_read_strictly() {
        let count: [Variant<Count>; 1] = [("Count", variant::<Count>)];
        assert_eq!(
            untagged(&json!({"n": 9.0}), "C", true, &count).unwrap(),
            Count { n: 9 }
        );
        let e = untagged(&json!([9]), "C", true, &count).unwrap_err();
        assert!(e.contains("matches none"), "{e}");
    }

    #[test]
    fn any_message_keeps_the_message_that_keeps_the_most() {
        #[derive(Debug, PartialEq)]
        enum M {
            Key(Key),
            Key2(Key2),
        }
        let messages: [Message<M>; 2] = [
            |p, again| message("application/json", p, M::Key, again),
            |p, again| message("application/json", p, M::Key2, again),
        ];
        let m = any_message(br#"{"key2": "x"}"#, &messages).unwrap();
        assert_eq!(
            m,
            M::Key2(Key2 {
                key2: Some("x".into())
            })
        );
        assert_eq!(
            any_message(b"{}", &messages).unwrap(),
            M::Key(Key { key: None })
        );
        let e = any_message(b"[1]", &messages).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the payload is none of this operation's messages"),
            "{e}"
        );
        assert!(
            matches!(&e, DecodeError::NoMessage(why) if why.len() == 2),
            "{e:?}"
        );
        assert_eq!(e.exception_type(), "ValidationError");
        // A payload that is not JSON is that, whichever message was tried.
        let e = any_message(b"{\"key\": ", &messages).unwrap_err();
        assert_eq!(e.exception_type(), "JSONDecodeError", "{e:?}");
    }

    /// `oneOf: [{items: Tree}, {items: Tree}]` in spirit: both variants
    /// descend into the same nested value, so each level doubles the work.
    #[derive(Debug, PartialEq, Serialize)]
    #[serde(untagged)]
    enum Tree {
        A(Vec<Tree>),
        B(Vec<Tree>),
    }
    impl Validate for Tree {
        fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
    }
    impl<'de> Deserialize<'de> for Tree {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let value = Value::deserialize(d)?;
            let variants: [Variant<Tree>; 2] = [
                ("A", |v| variant(v).map(Tree::A)),
                ("B", |v| variant(v).map(Tree::B)),
            ];
            untagged(&value, "Tree", true, &variants).map_err(serde::de::Error::custom)
        }
    }

    #[test]
    fn nested_unions_stop_at_their_budget() {
        let mut deep = json!([]);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        let started = std::time::Instant::now();
        let e = untagged(
            &deep,
            "Tree",
            true,
            &[
                ("A", |v| variant(v).map(Tree::A)),
                ("B", |v| variant(v).map(Tree::B)),
            ],
        )
        .unwrap_err();
        assert!(e.contains("too many nested variants"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // The budget is per outermost union: the next value starts afresh.
        let v = untagged(
            &json!([]),
            "Tree",
            false,
            &[("A", |v| variant(v).map(Tree::A))],
        )
        .unwrap();
        assert_eq!(v, Tree::A(vec![]));
    }

    #[test]
    fn tagged_reads_the_variant_the_tag_names() {
        let vs: [Variant<Count>; 1] = [("count", variant::<Count>)];
        let v = tagged(json!({"type": "count", "n": 3.0}), "E", "type", &vs).unwrap();
        assert_eq!(v, Count { n: 3 });
        for (bad, says) in [
            (json!(["count", 3]), "expected an object, found an array"),
            (json!({"n": 3}), "missing field `type`"),
            (
                json!({"type": "other"}),
                "unknown variant `other` (in `type`)",
            ),
            (json!({"type": 1}), "must be a string"),
        ] {
            let e = tagged(bad, "E", "type", &vs).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
