//! Encoding and decoding message payloads.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) use crate::media::JSON;
#[doc(hidden)]
pub use crate::media::reading_type;
use crate::media::{is_bytes, is_json, is_text};
use crate::validate::Validate;

pub use crate::codec_error::{DecodeError, EncodeError};

/// Decodes a JSON payload and checks every schema constraint. JSON is read
/// as JSON Schema reads it: a struct only from an object (not from an
/// array of its fields, as serde would), an integer from any integral
/// number (`9.0` too).
pub fn decode_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, DecodeError> {
    let value: T = crate::strict::from_slice(bytes).map_err(DecodeError::Json)?;
    value.validate().map_err(DecodeError::Invalid)?;
    Ok(value)
}

/// Encodes a payload as JSON.
pub fn encode_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(value)
}

/// Decodes and validates a JSON payload (generated code's name for
/// [`decode_json`]).
#[doc(hidden)]
pub fn decode_payload<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_json(bytes)
}

/// Decodes and validates an already parsed JSON value.
#[doc(hidden)]
pub fn decode_value<T: DeserializeOwned + Validate>(
    value: serde_json::Value,
) -> Result<T, DecodeError> {
    let v: T = crate::strict::from_value(value).map_err(DecodeError::Json)?;
    v.validate().map_err(DecodeError::Invalid)?;
    Ok(v)
}

/// An optional field whose schema does not allow `null`: absent is `None`,
/// present is the value, and `null` is refused (as JSON Schema refuses
/// it; serde alone reads it as `None`).
#[doc(hidden)]
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <T as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A required field whose schema allows `null`: `null` is `None`, and the
/// field must be there (serde alone reads a missing `Option` as `None`).
#[doc(hidden)]
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer)
}

/// A field's default, written as JSON by the generator (which checked
/// that it decodes into the field's type).
#[doc(hidden)]
pub fn default_from_json<T: DeserializeOwned>(json: &str) -> T {
    match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => panic!("the schema's default {json} does not decode: {e}"),
    }
}

/// Decodes the constant property `field`: the string `expected` and
/// nothing else (without allocating).
#[doc(hidden)]
pub fn expect_constant<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    field: &'static str,
    expected: &'static str,
) -> Result<(), D::Error> {
    struct Constant(&'static str, &'static str);
    impl serde::de::Visitor<'_> for Constant {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "`{}` to be the constant {:?}", self.0, self.1)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
            if v == self.1 {
                Ok(())
            } else {
                Err(E::custom(format_args!(
                    "`{}` must be {:?}, found {v:?}",
                    self.0, self.1
                )))
            }
        }
    }
    deserializer.deserialize_str(Constant(field, expected))
}

/// Encodes a payload as JSON (generated code's name for [`encode_json`]).
#[doc(hidden)]
pub fn encode_payload<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(value).map_err(EncodeError::Json)
}

/// Headers (strings on the wire) -> a typed header struct. A string field
/// takes the value as it is; a number or boolean field parses it (`3`,
/// `true`). Nothing is copied: the struct is read from the map in place.
#[doc(hidden)]
pub fn decode_headers<T: DeserializeOwned + Validate>(
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<T, DecodeError> {
    let map = serde::de::value::MapDeserializer::new(
        headers
            .iter()
            .map(|(k, v)| (k.as_str(), HeaderValue(v.as_str()))),
    );
    let parsed: T = serde::Deserialize::deserialize(map).map_err(DecodeError::Headers)?;
    parsed.validate().map_err(DecodeError::InvalidHeaders)?;
    Ok(parsed)
}

/// Name/value strings (channel parameters) -> `T`, parsed as headers are
/// (numbers and booleans where the field asks for them); no validation.
pub(crate) fn strings_into<'a, T: DeserializeOwned>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<T, DecodeError> {
    let map = serde::de::value::MapDeserializer::new(pairs.map(|(k, v)| (k, HeaderValue(v))));
    serde::Deserialize::deserialize(map).map_err(DecodeError::Parameters)
}

/// One header value: a string that numbers and booleans are parsed from
/// when the field asks for them.
struct HeaderValue<'a>(&'a str);

impl<'de, E: serde::de::Error> serde::de::IntoDeserializer<'de, E> for HeaderValue<'de> {
    type Deserializer = HeaderValueDeserializer<'de, E>;
    fn into_deserializer(self) -> Self::Deserializer {
        HeaderValueDeserializer(self.0, std::marker::PhantomData)
    }
}

#[derive(Debug)]
struct HeaderValueDeserializer<'a, E>(&'a str, std::marker::PhantomData<E>);

macro_rules! parse_header {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
                match self.0.trim().parse::<$ty>() {
                    Ok(v) => visitor.$visit(v),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Str(self.0), &visitor)),
                }
            }
        )*
    };
}

/// Integers as JSON Schema counts them: a header written `38.0` or `1e2`
/// holds an integer (its value has no fraction). Returns the integer's
/// digits (with its sign), read exactly from the decimal text, or `None`
/// when the text is not a number without a fraction.
fn integral_text(text: &str) -> Option<String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // The digits, and where the decimal point falls among them.
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + i64::from(exponent);
    // More digits than any integer type holds: not one of ours.
    if point > 40 {
        return None;
    }
    let point = point.max(0) as usize;
    let (whole, fraction) = digits.split_at(point.min(digits.len()));
    if !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    let mut out = String::with_capacity(point + 2);
    if negative {
        out.push('-');
    }
    out.push_str(whole);
    out.extend(std::iter::repeat_n('0', point.saturating_sub(digits.len())));
    if whole.is_empty() && point <= digits.len() {
        out.push('0');
    }
    Some(out)
}

macro_rules! parse_integer_header {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
                let text = self.0.trim();
                let parsed = text
                    .parse::<$ty>()
                    .ok()
                    .or_else(|| integral_text(text)?.parse::<$ty>().ok());
                match parsed {
                    Some(v) => visitor.$visit(v),
                    None => Err(E::invalid_value(serde::de::Unexpected::Str(self.0), &visitor)),
                }
            }
        )*
    };
}

impl<'de, E: serde::de::Error> serde::Deserializer<'de> for HeaderValueDeserializer<'de, E> {
    type Error = E;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_enum(serde::de::value::BorrowedStrDeserializer::new(self.0))
    }

    parse_header! {
        deserialize_bool => visit_bool: bool,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    parse_integer_header! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// A typed header struct -> string headers (strings as they are, other
/// values as JSON).
#[doc(hidden)]
pub fn encode_headers<T: Serialize>(
    headers: &T,
) -> Result<std::collections::BTreeMap<String, String>, EncodeError> {
    match serde_json::to_value(headers).map_err(EncodeError::Json)? {
        serde_json::Value::Object(m) => Ok(m
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let s = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, s)
            })
            .collect()),
        _ => Err(EncodeError::HeadersNotAnObject),
    }
}

/// A typed record key -> its text (a string as it is, other values as
/// JSON), for [`crate::Envelope::with_key`].
#[doc(hidden)]
pub fn encode_key<T: Serialize + ?Sized>(key: &T) -> Result<String, EncodeError> {
    match serde_json::to_value(key).map_err(EncodeError::Json)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Err(EncodeError::NullKey),
        other => Ok(other.to_string()),
    }
}

/// Decodes a payload by content type: JSON (the default); `text/*` as a
/// UTF-8 string; `application/octet-stream` as raw bytes (for payloads
/// typed as base64 bytes). Other content types are read as JSON.
#[doc(hidden)]
pub fn decode_payload_as<T: DeserializeOwned + Validate>(
    content_type: &str,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    if is_json(content_type) {
        return decode_json(bytes);
    }
    let value = if is_text(content_type) {
        serde_json::Value::String(String::from_utf8(bytes.to_vec()).map_err(DecodeError::NotUtf8)?)
    } else if is_bytes(content_type) {
        serde_json::Value::String(crate::bytes::encode(bytes))
    } else {
        return decode_json(bytes);
    };
    decode_value(value)
}

/// Encodes a payload by content type (see [`decode_payload_as`]).
#[doc(hidden)]
pub fn encode_payload_as<T: Serialize + ?Sized>(
    content_type: &str,
    value: &T,
) -> Result<Vec<u8>, EncodeError> {
    if is_json(content_type) {
        return encode_payload(value);
    }
    match serde_json::to_value(value).map_err(EncodeError::Json)? {
        serde_json::Value::String(s) if is_text(content_type) => Ok(s.into_bytes()),
        serde_json::Value::String(s) if is_bytes(content_type) => {
            crate::bytes::decode(&s).map_err(EncodeError::Base64)
        }
        _ => encode_payload(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_failures_are_named_as_python_names_them() {
        let named = |payload: &[u8]| {
            decode_payload::<std::collections::BTreeMap<String, u32>>(payload)
                .unwrap_err()
                .exception_type()
        };
        for not_json in [
            &b"not json"[..],
            b"{\"a\": 1",
            b"{\"a\": 1} x",
            b"",
            b"{a: 1}",
        ] {
            assert_eq!(named(not_json), "JSONDecodeError", "{not_json:?}");
        }
        for wrong_shape in [&b"[1]"[..], b"{\"a\": \"one\"}", b"{\"a\": -1}", b"null"] {
            assert_eq!(named(wrong_shape), "ValidationError", "{wrong_shape:?}");
        }
        let invalid = DecodeError::Invalid(crate::validate::ValidationErrors(Vec::new()));
        assert_eq!(invalid.exception_type(), "ValidationError");
        // A data error whose words look like a syntax error's is still one
        // of shape: the kind is read from the error, not from its text.
        let worded = <serde_json::Error as serde::de::Error>::custom("expected a JSON object");
        assert_eq!(
            DecodeError::Json(worded).exception_type(),
            "ValidationError"
        );
    }

    #[test]
    fn content_types_pick_the_codec() {
        let text: String = decode_payload_as("text/plain; charset=utf-8", b"hello").unwrap();
        assert_eq!(text, "hello");
        assert_eq!(encode_payload_as("text/plain", &text).unwrap(), b"hello");
        let bytes: crate::bytes::Base64 =
            decode_payload_as("application/octet-stream", &[0, 159, 146, 150]).unwrap();
        assert_eq!(bytes.0, vec![0, 159, 146, 150]);
        assert_eq!(
            encode_payload_as("application/octet-stream", &bytes).unwrap(),
            vec![0, 159, 146, 150]
        );
        let json: serde_json::Value = decode_payload_as("application/json", br#"{"a":1}"#).unwrap();
        assert_eq!(
            encode_payload_as("application/vnd.api+json", &json).unwrap(),
            br#"{"a":1}"#
        );
        assert!(decode_payload_as::<String>("text/plain", &[0xff]).is_err());
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/vnd.api+JSON"));
        assert!(is_json(""));
        assert!(!is_json("application/xml"));
        assert!(!is_json("applicatión/ä"));
        assert!(is_text(" Text/Plain"));
        assert!(is_bytes("application/octet-stream; x=1"));
        assert!(!is_bytes("text/plain"));
    }

    #[test]
    fn integer_headers_take_integral_numbers() {
        #[derive(serde::Deserialize)]
        struct H {
            n: i32,
            u: Option<u8>,
        }
        impl Validate for H {
            fn validate_at(
                &self,
                _: &crate::validate::Path<'_>,
                _: &mut Vec<crate::ValidationError>,
            ) {
            }
        }
        let read = |n: &str, u: &str| {
            let map = [
                ("n".to_owned(), n.to_owned()),
                ("u".to_owned(), u.to_owned()),
            ]
            .into();
            decode_headers::<H>(&map).map(|h| (h.n, h.u))
        };
        assert_eq!(read("38", "7").unwrap(), (38, Some(7)));
        assert_eq!(read("38.0", "7.00").unwrap(), (38, Some(7)));
        assert_eq!(read("-4.0", "1e2").unwrap(), (-4, Some(100)));
        assert_eq!(read("150e-1", "0.0e5").unwrap(), (15, Some(0)));
        assert_eq!(read("-0.0", "2E+1").unwrap(), (0, Some(20)));
        assert_eq!(read("0.5e1", "10E-1").unwrap(), (5, Some(1)));
        for (n, u) in [
            ("38.5", "1"),
            ("1", "300.0"),
            ("1", "-1.0"),
            ("x", "1"),
            ("1", ".0"),
            ("--5.0", "1"),
            ("1e99999", "1"),
            ("4503599627370496.5e0", "1"),
            ("15e-1", "1"),
        ] {
            assert!(read(n, u).is_err(), "{n} {u}");
        }
    }
}

/// The string value of one top-level field of a JSON object, read without
/// decoding the rest (for telling messages apart by a discriminating
/// field). `None` when the field is absent or not a string; the first
/// occurrence counts. Not a validation: values before the field are
/// skipped unchecked and what follows it is not read (the full decode that
/// comes next checks the whole payload).
#[doc(hidden)]
pub fn peek_field<'a>(
    bytes: &'a [u8],
    field: &str,
) -> Result<Option<std::borrow::Cow<'a, str>>, DecodeError> {
    match scan_field(bytes, field.as_bytes()) {
        Some(value) => Ok(Some(std::borrow::Cow::Borrowed(value))),
        None => peek_field_parsed(bytes, field),
    }
}

/// The common case of [`peek_field`], without a parser: the field is there
/// before anything unusual, and key and value have no escapes. `None`
/// means "not that simple" (the parser decides), never "absent".
fn scan_field<'a>(bytes: &'a [u8], field: &[u8]) -> Option<&'a str> {
    let ws = |i: &mut usize| {
        while bytes
            .get(*i)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            *i += 1;
        }
    };
    // The plain string starting at `i` (after its quote): its end.
    let plain = |i: usize| {
        let len = bytes[i..].iter().position(|&b| b == b'"' || b == b'\\')?;
        (bytes[i + len] == b'"').then_some(i + len)
    };
    let mut i = 0;
    ws(&mut i);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        ws(&mut i);
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let end = plain(i + 1)?;
        let key = &bytes[i + 1..end];
        i = end + 1;
        ws(&mut i);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        ws(&mut i);
        if key == field {
            if bytes.get(i) != Some(&b'"') {
                return None;
            }
            let end = plain(i + 1)?;
            return std::str::from_utf8(&bytes[i + 1..end]).ok();
        }
        // Skip the value: a string, or anything up to the next `,` at this
        // level (nested strings, objects and arrays included).
        let mut depth = 0usize;
        loop {
            match *bytes.get(i)? {
                b'"' => {
                    i += 1;
                    loop {
                        match *bytes.get(i)? {
                            b'\\' => i += 2,
                            b'"' => break,
                            _ => i += 1,
                        }
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return None,
                b'}' | b']' => depth -= 1,
                b',' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
}

/// [`peek_field`] by the JSON parser: exact for any input, with its errors.
fn peek_field_parsed<'a>(
    bytes: &'a [u8],
    field: &str,
) -> Result<Option<std::borrow::Cow<'a, str>>, DecodeError> {
    use std::borrow::Cow;

    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Text<'a>(Option<Cow<'a, str>>);
    impl<'de> serde::Deserialize<'de> for Text<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Text<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("any value")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                    Ok(Text(Some(Cow::Borrowed(v))))
                }
                fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                    Ok(Text(Some(Cow::Owned(v.to_owned()))))
                }
                fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                    Ok(Text(Some(Cow::Owned(v))))
                }
                fn visit_bool<E>(self, _: bool) -> Result<Text<'de>, E> {
                    Ok(Text(None))
                }
                fn visit_i64<E>(self, _: i64) -> Result<Text<'de>, E> {
                    Ok(Text(None))
                }
                fn visit_u64<E>(self, _: u64) -> Result<Text<'de>, E> {
                    Ok(Text(None))
                }
                fn visit_f64<E>(self, _: f64) -> Result<Text<'de>, E> {
                    Ok(Text(None))
                }
                fn visit_unit<E>(self) -> Result<Text<'de>, E> {
                    Ok(Text(None))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut s: A,
                ) -> Result<Text<'de>, A::Error> {
                    while s.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Text(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Text<'de>, A::Error> {
                    while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Text(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    struct Find<'f>(&'f str);
    impl<'de> Visitor<'de> for Find<'_> {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = m.next_key::<Text<'de>>()? {
                if found.is_none() && key.0.as_deref() == Some(self.0) {
                    found = Some(m.next_value::<Text<'de>>()?.0);
                } else {
                    m.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found.flatten())
        }
    }

    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.deserialize_map(Find(field)).map_err(DecodeError::Json)
}

#[cfg(test)]
mod peek_tests {
    #[test]
    fn peeks_one_field() {
        let b = br#"{"lines":[{"a":1}],"kind":"place","x":{"kind":"nested"}}"#;
        assert_eq!(
            super::peek_field(b, "kind").unwrap().as_deref(),
            Some("place")
        );
        assert_eq!(
            super::peek_field(br#"{"kind":"pl\u0061ce"}"#, "kind")
                .unwrap()
                .as_deref(),
            Some("place")
        );
        assert_eq!(super::peek_field(br#"{"kind":3}"#, "kind").unwrap(), None);
        // Reading stops at the field; the full decode reads the rest.
        assert_eq!(
            super::peek_field(br#"{"kind":"place","x":}"#, "kind")
                .unwrap()
                .as_deref(),
            Some("place")
        );
        assert!(super::peek_field(br#"{"x":1}"#, "kind").unwrap().is_none());
        assert!(super::peek_field(br#"{"x":1"#, "kind").is_err());
    }

    #[test]
    fn the_scan_agrees_with_the_parser() {
        let docs: &[&str] = &[
            r#"{"kind":"place"}"#,
            r#" { "kind" : "place" , "x" : 1 } "#,
            r#"{"a":"x\"}{[","b":[1,{"c":"]"}],"kind":"place"}"#,
            r#"{"a":{"kind":"nested"},"kind":"top"}"#,
            r#"{"a":[[],{}],"b":null,"c":true,"d":-1.5e3,"kind":"ünï"}"#,
            r#"{"kind":"pl\u0061ce"}"#,
            r#"{"k\u0069nd":"escaped key"}"#,
            r#"{"kind":1,"kind":"second"}"#,
            r#"{"kind":"first","kind":"second"}"#,
            r#"{"other":"x"}"#,
            "{}",
            "[]",
        ];
        for doc in docs.iter().map(|d| d.as_bytes()) {
            let parsed = super::peek_field_parsed(doc, "kind");
            // The same value, or the same error.
            fn text(r: &Result<Option<std::borrow::Cow<'_, str>>, super::DecodeError>) -> String {
                format!("{:?}", r.as_ref().map_err(ToString::to_string))
            }
            assert_eq!(
                text(&super::peek_field(doc, "kind")),
                text(&parsed),
                "{}",
                String::from_utf8_lossy(doc)
            );
            if let Some(v) = super::scan_field(doc, b"kind") {
                assert_eq!(parsed.unwrap().as_deref(), Some(v));
            }
        }
        assert_eq!(
            super::scan_field(br#"{"a":"x\"}{[","kind":"place"}"#, b"kind"),
            Some("place")
        );
        assert_eq!(
            super::peek_field(br#"{"kind":"first","kind":"second"}"#, "kind")
                .unwrap()
                .as_deref(),
            Some("first")
        );
        assert_eq!(super::peek_field(br#"{"other":1}"#, "kind").unwrap(), None);
        assert!(super::peek_field(b"not json", "kind").is_err());
    }
}
