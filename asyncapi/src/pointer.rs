//! JSON pointers (RFC 6901).

/// Escapes one pointer segment: `~` -> `~0`, `/` -> `~1`.
pub fn escape(segment: &str) -> String {
    if !segment.contains(['~', '/']) {
        return segment.to_owned();
    }
    segment.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one pointer segment: `~1` -> `/`, `~0` -> `~`; `%`-escapes
/// (URI fragments) are decoded too.
pub fn unescape(segment: &str) -> String {
    let decoded = if segment.contains('%') {
        percent_decode(segment)
    } else {
        segment.to_owned()
    };
    if !decoded.contains('~') {
        return decoded;
    }
    decoded.replace("~1", "/").replace("~0", "~")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a pointer (`/a/b~1c`) into unescaped segments (`a`, `b/c`).
/// The empty pointer is the whole document.
pub fn segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .strip_prefix('/')
        .map(|p| p.split('/'))
        .into_iter()
        .flatten()
        .map(unescape)
}

/// Joins segments into a pointer.
pub fn join<I, S>(segments: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&escape(s.as_ref()));
    }
    out
}

/// Where a chain of local `$ref`s starting at `v` ends (at most 32 steps;
/// `v` itself when it is no local reference, or one `resolve` cannot
/// find). `resolve` looks a pointer (without its `#`) up in the document.
pub fn follow_refs<'a>(
    v: &'a serde_json::Value,
    resolve: impl Fn(&str) -> Option<&'a serde_json::Value>,
) -> &'a serde_json::Value {
    let mut cur = v;
    for _ in 0..32 {
        match cur
            .get("$ref")
            .and_then(serde_json::Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(&resolve)
        {
            Some(next) => cur = next,
            None => break,
        }
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_unescapes() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(unescape("a~1b~0c"), "a/b~c");
        assert_eq!(unescape("a%7Bid%7D"), "a{id}");
        assert_eq!(
            join(["channels", "user/signedup"]),
            "/channels/user~1signedup"
        );
        assert_eq!(
            segments("/channels/user~1signedup").collect::<Vec<_>>(),
            ["channels", "user/signedup"]
        );
        assert_eq!(segments("").count(), 0);
    }
}
