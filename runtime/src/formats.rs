//! JSON Schema's string formats, read in the one form each allows.
//!
//! The types generated code maps formats to read more than the format
//! allows: chrono takes `2024-05-06 07:08:09Z` for a `date-time` and
//! `2024-5-6` for a `date`, the uuid crate takes `{…}`, `urn:uuid:…` and
//! 32 bare hex digits. Generated fields of these types read through
//! [`formatted`] (and [`formatted_not_null`]), which check the text
//! against RFC 3339 (`date-time`, `date`, `time`) and RFC 4122's string
//! form (`uuid`) before the type parses it. The checks are also the
//! `format` rules of string fields ([`crate::rules`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// `YYYY-MM-DD`, a real day of the Gregorian calendar.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// RFC 3339 `full-time`: `hh:mm:ss`, an optional fraction, and an offset
/// (`Z` or `±hh:mm`; letters in either case).
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&b[0..2]), digits(&b[3..5]), digits(&b[6..8]))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let mut rest = &b[8..];
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &tail[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', oh1, oh2, b':', om1, om2] => {
            matches!((digits(&[*oh1, *oh2]), digits(&[*om1, *om2])), (Some(oh), Some(om)) if oh <= 23 && om <= 59)
        }
        _ => false,
    }
}

/// RFC 3339 `date-time`: a [`is_date`], `T` (or `t`), a [`is_time`].
pub fn is_date_time(s: &str) -> bool {
    s.len() > 11
        && matches!(s.as_bytes()[10], b'T' | b't')
        && is_date(&s[..10])
        && is_time(&s[11..])
}

/// RFC 4122's string form: 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// A type read from a JSON Schema format's string, in that format's form
/// only (or a container of such types).
pub trait Formatted<'de>: Sized {
    /// Reads `Self`, refusing a string that is not in the format's one form
    /// (the error names the format).
    fn deserialize_formatted<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Reads a field of a formatted type (see the module doc).
#[doc(hidden)]
pub fn formatted<'de, D: Deserializer<'de>, T: Formatted<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize_formatted(d)
}

/// Reads an optional field of a formatted type whose schema does not allow
/// `null` (see [`crate::__codegen::not_null`]).
#[doc(hidden)]
pub fn formatted_not_null<'de, D: Deserializer<'de>, T: Formatted<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize_formatted(d).map(Some)
}

/// A string checked by `check`, then parsed by `parse`.
struct Checked<T> {
    format: &'static str,
    check: fn(&str) -> bool,
    parse: fn(&str) -> Option<T>,
}

impl<T> Visitor<'_> for Checked<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string in the `{}` format", self.format)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        if (self.check)(v)
            && let Some(value) = (self.parse)(v)
        {
            return Ok(value);
        }
        Err(E::custom(format_args!(
            "{v:?} is not in the `{}` format",
            self.format
        )))
    }
}

impl<'de> Formatted<'de> for chrono::DateTime<chrono::FixedOffset> {
    fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Checked {
            format: "date-time",
            check: is_date_time,
            parse: |s| chrono::DateTime::parse_from_rfc3339(s).ok(),
        })
    }
}

impl<'de> Formatted<'de> for chrono::NaiveDate {
    fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Checked {
            format: "date",
            check: is_date,
            parse: |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        })
    }
}

impl<'de> Formatted<'de> for uuid::Uuid {
    fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Checked {
            format: "uuid",
            check: is_uuid,
            parse: |s| uuid::Uuid::parse_str(s).ok(),
        })
    }
}

/// A seed that reads a [`Formatted`] value.
struct Seed<T>(PhantomData<T>);

impl<'de, T: Formatted<'de>> DeserializeSeed<'de> for Seed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize_formatted(d)
    }
}

impl<'de, T: Formatted<'de>> Formatted<'de> for Option<T> {
    fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Formatted<'de>> Visitor<'de> for V<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a formatted string or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
                T::deserialize_formatted(d).map(Some)
            }
        }
        d.deserialize_option(V(PhantomData))
    }
}

impl<'de, T: Formatted<'de>> Formatted<'de> for Box<T> {
    fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize_formatted(d).map(Box::new)
    }
}

impl<'de, T: Formatted<'de>> Formatted<'de> for Vec<T> {
    fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Formatted<'de>> Visitor<'de> for V<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of formatted strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0).min(4096));
                while let Some(v) = a.next_element_seed(Seed(PhantomData))? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

macro_rules! maps {
    ($($map:ident),*) => {$(
        impl<'de, T: Formatted<'de>> Formatted<'de> for $map<String, T> {
            fn deserialize_formatted<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<T>(PhantomData<T>);
                impl<'de, T: Formatted<'de>> Visitor<'de> for V<T> {
                    type Value = $map<String, T>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("an object of formatted strings")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                        let mut out = $map::new();
                        while let Some(k) = a.next_key::<String>()? {
                            let v = a.next_value_seed(Seed(PhantomData))?;
                            out.insert(k, v);
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V(PhantomData))
            }
        }
    )*};
}

maps!(BTreeMap, HashMap);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_json_schema_allows() {
        for ok in [
            "2024-05-06T07:08:09Z",
            "2024-05-06t07:08:09z",
            "2024-02-29T00:00:00.5+02:00",
            "1999-12-31T23:59:60-05:30",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2024-05-06 07:08:09Z",
            "2024-05-06T07:08:09",
            "2024-13-06T07:08:09Z",
            "2023-02-29T00:00:00Z",
            "2024-05-06T24:00:00Z",
            "2024-05-06T07:08:09.Z",
            "2024-05-06T07:08:09+0200",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        assert!(is_date("2024-02-29") && !is_date("2024-5-6") && !is_date("2100-02-29"));
        assert!(is_time("07:08:09Z") && !is_time("07:08:09") && !is_time("7:08:09Z"));
        assert!(is_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
        for bad in [
            "6ba7b8109dad11d180b400c04fd430c8",
            "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
            "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }

    #[test]
    fn containers_read_each_value_in_its_format() {
        let read = |json: &str| -> Result<Vec<Option<uuid::Uuid>>, serde_json::Error> {
            formatted(&mut serde_json::Deserializer::from_str(json))
        };
        assert_eq!(
            read(r#"["6ba7b810-9dad-11d1-80b4-00c04fd430c8", null]"#)
                .unwrap()
                .len(),
            2
        );
        let e = read(r#"["6ba7b8109dad11d180b400c04fd430c8"]"#).unwrap_err();
        assert!(e.to_string().contains("`uuid` format"), "{e}");
        let map: BTreeMap<String, chrono::NaiveDate> = formatted(
            &mut serde_json::Deserializer::from_str(r#"{"a":"2024-02-29"}"#),
        )
        .unwrap();
        assert_eq!(map.len(), 1);
        assert!(
            formatted::<_, chrono::NaiveDate>(&mut serde_json::Deserializer::from_str(
                r#""2024-5-6""#
            ))
            .is_err()
        );
    }
}
