//! FastStream's Redis message formats (its binary envelope, the JSON one,
//! a bare payload), header and field names, and channel patterns.

use std::collections::BTreeMap;

use crate::broker::{BrokerError, BrokerErrorKind};
use crate::envelope::Envelope;

pub(super) const MAGIC: &[u8; 8] = b"\x89BIN\r\n\x1a\n";
pub(super) const CONTENT_TYPE: &str = "content-type";
pub(super) const CORRELATION_ID: &str = "correlation_id";
pub(super) const REPLY_TO: &str = "reply_to";
pub(super) const DATA_FIELD: &str = "__data__";
/// The attempt a re-added (nacked) stream entry stands for.
pub(super) const ATTEMPT_FIELD: &str = "__attempt__";

pub(super) fn err(kind: BrokerErrorKind, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(kind, e.to_string())
}

/// Encodes an envelope in FastStream's binary format.
pub fn encode_message(envelope: &Envelope) -> Vec<u8> {
    const LIMIT: usize = u16::MAX as usize;
    let headers = || {
        let named = [
            (CONTENT_TYPE, envelope.content_type.as_deref()),
            (CORRELATION_ID, envelope.correlation_id.as_deref()),
            (REPLY_TO, envelope.reply_to.as_deref()),
        ];
        envelope
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(named.into_iter().filter_map(|(k, v)| Some((k, v?))))
            .take(LIMIT)
    };
    // The exact size, so the buffer is allocated once.
    let (count, headers_len) = headers().fold((0usize, 0usize), |(n, len), (k, v)| {
        (n + 1, len + 4 + k.len().min(LIMIT) + v.len().min(LIMIT))
    });
    let headers_start: u32 = 8 + 2 + 4 + 4;
    let data_start = headers_start as usize + 2 + headers_len;
    let mut out = Vec::with_capacity(data_start + envelope.payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&headers_start.to_be_bytes());
    out.extend_from_slice(&u32::try_from(data_start).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&u16::try_from(count).unwrap_or(u16::MAX).to_be_bytes());
    for (k, v) in headers() {
        for part in [k.as_bytes(), v.as_bytes()] {
            let part = &part[..part.len().min(LIMIT)];
            out.extend_from_slice(&u16::try_from(part.len()).unwrap_or(u16::MAX).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(&envelope.payload);
    out
}

/// Decodes FastStream's binary envelope, the older JSON envelope, or (for
/// messages from other publishers) takes the bytes as a bare payload.
pub fn decode_message(channel: &str, bytes: &[u8]) -> Envelope {
    let mut envelope = Envelope::new(channel, Vec::new());
    // The binary format (what FastStream sends): headers taken straight
    // from the bytes in one pass, no map in between.
    if let Some(payload) = binary_headers(bytes, |k, v| take_header(&mut envelope, k, v)) {
        envelope.payload = bytes::Bytes::copy_from_slice(payload);
        return envelope;
    }
    // Not that format after all: nothing taken from a first part of it.
    let mut envelope = Envelope::new(channel, Vec::new());
    // FastStream's mark, but lengths that run past the end or a header
    // that is not UTF-8: refused before decoding, not read as a payload.
    if bytes.starts_with(MAGIC) {
        envelope.payload = bytes::Bytes::copy_from_slice(bytes);
        return envelope.malformed(
            "a FastStream binary envelope that does not parse: a length runs past its end, or a header is not UTF-8",
        );
    }
    let headers = match parse_json(bytes) {
        Some((headers, payload)) => {
            envelope.payload = payload.into();
            headers
        }
        None => {
            envelope.payload = bytes::Bytes::copy_from_slice(bytes);
            BTreeMap::new()
        }
    };
    for (k, v) in headers {
        take_header(&mut envelope, &k, &v);
    }
    envelope
}

/// One received header: FastStream's own names become the envelope's
/// fields (an empty `reply_to` means none), the rest stay headers.
pub(super) fn take_header(envelope: &mut Envelope, name: &str, value: &str) {
    match name {
        CONTENT_TYPE => envelope.content_type = Some(value.to_owned()),
        CORRELATION_ID => envelope.correlation_id = Some(value.into()),
        REPLY_TO if !value.is_empty() => envelope.reply_to = Some(value.into()),
        REPLY_TO => {}
        _ => {
            envelope.headers.insert(name.to_owned(), value.to_owned());
        }
    }
}

/// Walks the headers of FastStream's binary format, calling `f` with each
/// pair as it goes, and returns the payload; `None` unless it is that
/// format (then `f` may have seen a first part of the headers, which the
/// caller drops).
pub(super) fn binary_headers<'a>(
    b: &'a [u8],
    mut f: impl FnMut(&'a str, &'a str),
) -> Option<&'a [u8]> {
    if b.len() < 20 || &b[..8] != MAGIC {
        return None;
    }
    let u16_at = |i: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let u32_at = |i: usize| -> Option<usize> {
        usize::try_from(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?)).ok()
    };
    if u16_at(8)? != 1 {
        return None;
    }
    let headers_start = u32_at(10)?;
    let data_start = u32_at(14)?;
    let count = u16_at(headers_start)?;
    let mut at = headers_start + 2;
    for _ in 0..count {
        let kl = u16_at(at)?;
        let k = std::str::from_utf8(b.get(at + 2..at + 2 + kl)?).ok()?;
        at += 2 + kl;
        let vl = u16_at(at)?;
        let v = std::str::from_utf8(b.get(at + 2..at + 2 + vl)?).ok()?;
        at += 2 + vl;
        f(k, v);
    }
    b.get(data_start..)
}

pub(super) fn parse_json(b: &[u8]) -> Option<(BTreeMap<String, String>, Vec<u8>)> {
    let v: serde_json::Value = serde_json::from_slice(b).ok()?;
    let m = v.as_object()?;
    if m.len() != 2 || !m.contains_key("data") || !m.contains_key("headers") {
        return None;
    }
    let payload = match &m["data"] {
        serde_json::Value::String(s) => s.clone().into_bytes(),
        other => serde_json::to_vec(other).ok()?,
    };
    let headers = m["headers"]
        .as_object()?
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    Some((headers, payload))
}

/// `a.{x}.b` -> `a.*.b` (Redis glob; matches are checked exactly after).
pub(super) fn pattern_of(address: &str) -> String {
    let mut out = String::new();
    let mut rest = address;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&glob_escape(&rest[..start]));
        out.push('*');
        rest = &rest[start + len + 1..];
    }
    out.push_str(&glob_escape(rest));
    out
}

pub(super) fn glob_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}
