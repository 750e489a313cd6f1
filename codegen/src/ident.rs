//! Identifier cleanup, in one place: every Rust name the generator writes
//! comes from here. Names from documents can be anything (`type`, `1st`,
//! `a-b`, `ünïcode`, `Self`); what comes out is always a valid, warning-free
//! Rust identifier, and the original spelling is kept with a serde rename.

use std::collections::BTreeSet;

/// Rust keywords (strict and reserved, all editions) that must be escaped.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers (`r#self` is not allowed).
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Folds common Latin letters with diacritics to ASCII; other non-ASCII
/// characters become word breaks.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ę' | 'Ě' => "E",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' => "I",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' => "O",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' => "Y",
        'ß' => "ss",
        'ł' => "l",
        'Ł' => "L",
        'ś' | 'š' => "s",
        'Ś' | 'Š' => "S",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ř' => "r",
        'Ř' => "R",
        'đ' => "d",
        'Đ' => "D",
        _ => return None,
    })
}

/// Splits a name into words: on non-alphanumerics, on lower->upper case
/// changes (`orderId` -> `order`, `Id`), and before the last capital of an
/// acronym run (`HTTPServer` -> `HTTP`, `Server`).
pub fn words(name: &str) -> Vec<String> {
    let mut ascii = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            ascii.push(c);
        } else if let Some(f) = fold(c) {
            ascii.push_str(f);
        } else {
            ascii.push(' ');
        }
    }
    let chars: Vec<char> = ascii.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = cur.chars().last().as_ref() {
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let boundary = (prev.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (prev.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && next.is_ascii_lowercase());
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// `PascalCase` type or variant name; `fallback` when nothing usable is left.
pub fn type_name(name: &str, fallback: &str) -> String {
    let mut s: String = words(name).iter().map(|w| capitalize(w)).collect();
    if s.is_empty() {
        s = fallback.to_owned();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'N');
    }
    if s == "Self" {
        s.push('_');
    }
    s
}

/// `snake_case` field or function name, escaped for keywords.
pub fn field_name(name: &str, fallback: &str) -> String {
    let mut s = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if s.is_empty() {
        s = fallback.to_owned();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    escape_keyword(s)
}

/// `SCREAMING_SNAKE_CASE` constant name.
pub fn const_name(name: &str, fallback: &str) -> String {
    let s = field_name(name, fallback);
    s.trim_start_matches("r#").to_ascii_uppercase()
}

/// Keywords become raw identifiers (`r#type`), or get a trailing `_` where
/// a raw identifier is not allowed (`self_`).
pub fn escape_keyword(s: String) -> String {
    if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_")
    } else if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// Hands out names unique within one namespace, deterministically: the
/// first asker gets the name, later ones get `Name2`, `Name3`, ...
#[derive(Debug, Default, Clone)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    pub fn new() -> Namespace {
        Namespace::default()
    }

    /// Marks a name as used without handing it out.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// A unique version of `name`.
    pub fn unique(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_owned()) {
            return name.to_owned();
        }
        // A suffixed keyword is no longer a keyword: drop `r#` and a
        // trailing `_`.
        let base = name.strip_prefix("r#").unwrap_or(name);
        let snake = base.contains('_')
            || base
                .chars()
                .next()
                .is_some_and(|c| c.is_lowercase() || c == '_');
        let base = if base.len() > 1 {
            base.trim_end_matches('_')
        } else {
            base
        };
        let sep = if snake { "_" } else { "" };
        for n in 2.. {
            let candidate = format!("{base}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("an unbounded counter always finds a free name")
    }
}

/// A file stem or crate name as a Rust identifier: ASCII letters and
/// digits lower-cased, anything else `_`, and a leading `_` before a digit
/// (`Orders-v2` -> `orders_v2`, `2024` -> `_2024`).
pub fn snake_ident(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_idents() {
        assert_eq!(snake_ident("orders-service"), "orders_service");
        assert_eq!(snake_ident("2fa"), "_2fa");
    }

    #[test]
    fn cursed_names() {
        assert_eq!(field_name("type", "f"), "r#type");
        assert_eq!(field_name("ref", "f"), "r#ref");
        assert_eq!(field_name("self", "f"), "self_");
        assert_eq!(field_name("Self", "f"), "self_");
        assert_eq!(field_name("match", "f"), "r#match");
        assert_eq!(field_name("1st", "f"), "_1st");
        assert_eq!(field_name("a-b", "f"), "a_b");
        assert_eq!(field_name("ünïcode", "f"), "unicode");
        assert_eq!(field_name("orderId", "f"), "order_id");
        assert_eq!(field_name("HTTPServer", "f"), "http_server");
        assert_eq!(field_name("$$$", "field"), "field");
        assert_eq!(field_name("日本", "field"), "field");
        assert_eq!(type_name("Self", "T"), "Self_");
        assert_eq!(type_name("1st", "T"), "N1st");
        assert_eq!(type_name("order.created", "T"), "OrderCreated");
        assert_eq!(type_name("user-signedup", "T"), "UserSignedup");
        assert_eq!(type_name("ünïcode", "T"), "Unicode");
        assert_eq!(const_name("type", "C"), "TYPE");
    }

    #[test]
    fn namespaces_deduplicate_deterministically() {
        let mut ns = Namespace::new();
        assert_eq!(ns.unique("Order"), "Order");
        assert_eq!(ns.unique("Order"), "Order2");
        assert_eq!(ns.unique("Order"), "Order3");
        let mut fields = Namespace::new();
        assert_eq!(fields.unique("order_id"), "order_id");
        assert_eq!(fields.unique("order_id"), "order_id_2");
        assert_eq!(fields.unique("r#type"), "r#type");
        assert_eq!(fields.unique("r#type"), "type_2");
        assert_eq!(fields.unique("self_"), "self_");
        assert_eq!(fields.unique("self_"), "self_2");
    }
}
