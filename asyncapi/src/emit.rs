//! Serialization of documents to YAML and JSON, keeping key order.
//!
//! The YAML writer is small and deliberate: block style, two-space
//! indentation, strings plain only when they cannot be read back as
//! anything else, multi-line strings as literal blocks. Output read back by
//! any YAML 1.2 parser gives the same JSON value.

use serde::Serialize;
use serde_json::Value;

/// Serializes any model type to pretty JSON (keys in model order).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Serializes any model type to YAML (keys in model order).
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    Ok(value_to_yaml(&value))
}

/// Writes a JSON value as a YAML document.
pub fn value_to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        scalar => {
            write_scalar(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, level: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            indent(out, level);
        }
        first = false;
        write_key(out, k);
        out.push(':');
        write_value_after_key(out, v, level);
    }
}

fn write_seq(out: &mut String, a: &[Value], level: usize) {
    let mut first = true;
    for v in a {
        if !first {
            indent(out, level);
        }
        first = false;
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(out, m, level + 2);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                write_seq(out, inner, level + 2);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, level + 2);
                out.push('\n');
            }
        }
    }
}

/// After `key:`: a nested block on the next lines, or ` scalar\n`.
fn write_value_after_key(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            indent(out, level + 2);
            write_map(out, m, level + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            indent(out, level + 2);
            write_seq(out, a, level + 2);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, level + 2);
            out.push('\n');
        }
    }
}

fn write_key(out: &mut String, k: &str) {
    if is_plain_safe(k) {
        out.push_str(k);
    } else {
        write_quoted(out, k);
    }
}

fn write_scalar(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s, level),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

fn write_string(out: &mut String, s: &str, level: usize) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if literal_block_ok(s) {
        // `|` keeps one trailing newline, `|-` none; `|+` all of them.
        let trailing = s.len() - s.trim_end_matches('\n').len();
        out.push_str(match trailing {
            0 => "|-",
            1 => "|",
            _ => "|+",
        });
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, level);
                out.push_str(line);
            }
        }
    } else {
        write_quoted(out, s);
    }
}

/// A literal block reproduces the string exactly when no line starts with
/// a space (the indentation would be ambiguous), there are no tabs or
/// carriage returns, and no line has trailing spaces.
fn literal_block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with(' ')
        && !s.starts_with('\n')
        && s.chars().all(|c| c == '\n' || !c.is_control())
        && s.split('\n')
            .all(|l| !l.ends_with(' ') && !l.starts_with(' '))
}

fn write_quoted(out: &mut String, s: &str) {
    // A JSON string literal is a valid YAML double-quoted scalar.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// Whether a string can be written plain and still read back as the same
/// string (never as a number, boolean, null, or a different structure).
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_' || first == '/' || first == '$') {
        return false;
    }
    if s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if s.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '#' | '{'
                    | '}'
                    | '['
                    | ']'
                    | '&'
                    | '*'
                    | '!'
                    | '|'
                    | '>'
                    | '\''
                    | '"'
                    | '%'
                    | '@'
                    | '`'
                    | ','
                    | '\u{feff}'
            )
    }) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "nan" | "inf"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_nested_blocks() {
        let v = json!({
            "asyncapi": "3.0.0",
            "info": { "title": "A: b", "version": "1.0.0", "tags": [] },
            "list": [{ "a": 1, "b": [true, null] }, "x", 2.5],
            "text": "line one\nline two\n",
            "yes": "yes",
        });
        let y = value_to_yaml(&v);
        assert_eq!(
            y,
            "asyncapi: \"3.0.0\"\ninfo:\n  title: \"A: b\"\n  version: \"1.0.0\"\n  tags: []\nlist:\n  - a: 1\n    b:\n      - true\n      - null\n  - x\n  - 2.5\ntext: |\n  line one\n  line two\n\"yes\": \"yes\"\n"
        );
    }
}
