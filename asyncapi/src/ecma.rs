//! JSON Schema's `pattern` is an ECMA-262 regular expression; the runtime
//! matches with `regex_lite`. The two read most patterns alike, but not
//! all: ECMA's `.` stops at `\r`, `\u2028` and `\u2029` as well as `\n`,
//! and its `\s` takes Unicode spaces (no-break space, ideographic space,
//! byte order mark), where `regex_lite`'s `.` stops at `\n` only and its
//! `\s` is ASCII. [`to_rust`] rewrites a pattern into `regex_lite` syntax
//! with ECMA's meaning, so that the generated check accepts what a JSON
//! Schema validator accepts.

/// ECMA-262's `\s`: WhiteSpace and LineTerminator, as a class body.
const SPACE: &str = "\\t\\n\\x0B\\x0C\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

/// The pattern in `regex_lite` syntax with ECMA-262's meaning (no flags),
/// or `None` for what `regex_lite` cannot express: lookaround,
/// backreferences, `\c` control escapes, `\S` inside a class, Unicode
/// properties (`\p{..}`).
pub fn to_rust(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                let (body, negated) = match e {
                    's' => (SPACE, false),
                    'S' => (SPACE, true),
                    // regex_lite's own `\d` and `\w` are ASCII, as ECMA's.
                    'd' | 'w' | 'D' | 'W' => {
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                    '1'..='9' | 'c' | 'k' => return None,
                    'u' => {
                        // \uXXXX (ECMA without the `u` flag has no \u{...}).
                        let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                        if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return None;
                        }
                        out.push_str(&format!("\\x{{{hex}}}"));
                        continue;
                    }
                    // Escapes both dialects read alike (`\b` in a class is
                    // a backspace in ECMA).
                    'b' if in_class => {
                        out.push_str("\\x08");
                        continue;
                    }
                    'b' | 'B' | 'f' | 'n' | 'r' | 't' | 'v' | 'x' => {
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                    '0' if !chars.peek().is_some_and(char::is_ascii_digit) => {
                        out.push_str("\\x00");
                        continue;
                    }
                    // `\p{..}` is a Unicode property only with the `u` flag,
                    // which JSON Schema validators commonly assume; regex_lite
                    // has none.
                    'p' | 'P' | '0' => return None,
                    // Punctuation: the character itself, kept escaped where
                    // regex_lite gives it a meaning.
                    other if other.is_ascii_punctuation() => {
                        if "\\.+*?()|[]{}^$#&-~".contains(other) {
                            out.push('\\');
                        }
                        out.push(other);
                        continue;
                    }
                    // Any other letter is ECMA's identity escape (Annex B):
                    // the letter itself (regex_lite gives `\A`, `\z`, `\a`,
                    // `\U` and more meanings of their own).
                    other if other.is_ascii_alphabetic() => {
                        out.push(other);
                        continue;
                    }
                    _ => return None,
                };
                match (in_class, negated) {
                    (true, true) => return None,
                    (true, false) => out.push_str(body),
                    (false, false) => {
                        out.push('[');
                        out.push_str(body);
                        out.push(']');
                    }
                    (false, true) => {
                        out.push_str("[^");
                        out.push_str(body);
                        out.push(']');
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next()?);
                }
                // ECMA's `[]` matches nothing and `[^]` anything;
                // regex_lite would read the `]` as a member.
                if chars.peek() == Some(&']') {
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            // In an ECMA class these are members; in regex_lite they
            // start nested classes or set operations.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                chars.next();
                match chars.next()? {
                    ':' => out.push_str("(?:"),
                    // A named group; `(?<=` and `(?<!` are lookbehind.
                    '<' if !matches!(chars.peek(), Some('=' | '!')) => out.push_str("(?P<"),
                    _ => return None,
                }
            }
            other => out.push(other),
        }
    }
    (!in_class && regex_lite::Regex::new(&out).is_ok()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::to_rust;

    fn matches(pattern: &str, text: &str) -> bool {
        regex_lite::Regex::new(&to_rust(pattern).unwrap())
            .unwrap()
            .is_match(text)
    }

    #[test]
    fn dot_and_spaces_mean_what_ecma_says() {
        assert!(matches("^a.b$", "a-b"));
        for stop in ["a\rb", "a\u{2028}b", "a\nb"] {
            assert!(!matches("^a.b$", stop), "{stop:?}");
        }
        for space in [" ", "\t", "\u{a0}", "\u{3000}", "\u{feff}"] {
            assert!(matches(r"^\s$", space), "{space:?}");
            assert!(!matches(r"^\S$", space), "{space:?}");
        }
        assert!(matches(r"^[\s,]+$", "\u{a0},"));
        assert!(!matches(r"^\d$", "٣"), "ECMA's \\d is ASCII");
        assert!(!matches(r"^\w$", "é"));
        assert!(matches(r"^[\D]$", "٣"));
        assert!(matches(r"^\u00e9$", "é"));
        assert!(matches(r"^a\/b$", "a/b"));
        assert!(matches("^[a[]$", "["));
        assert!(matches("^(?<year>[0-9]{4})$", "2024"));
        // Identity escapes are the character itself.
        assert!(matches(r"^\<\w+\>$", "<tag>"));
        assert!(matches(r"^\a\z\A$", "azA"));
        assert!(matches(r"^a\.b\-c$", "a.b-c"));
        assert!(matches(r"^[\b]$", "\u{8}"));
        assert!(matches(r"^\bword\b$", "word"));
        assert!(matches(r"^a\0$", "a\0"));
    }

    #[test]
    fn what_regex_lite_cannot_say_is_none() {
        for p in [
            r"^(?=a)a$",
            r"(?<=a)b",
            r"(a)\1",
            r"[\S]",
            r"\cJ",
            "[]",
            "[^]",
            r"\p{L}",
        ] {
            assert_eq!(to_rust(p), None, "{p}");
        }
    }
}
