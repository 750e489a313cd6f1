//! Address templates with `{parameter}` placeholders: matching a concrete
//! address and reading the parameters back.

/// Where `needle` first occurs in `haystack`, like `str::find` but
/// without its searcher's setup, which costs more than the search itself
/// on the short texts of an address (generated channel parsers call this
/// for every message).
#[doc(hidden)]
pub fn find_text(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return Some(0);
    };
    let mut from = 0;
    while let Some(p) = h[from..].iter().position(|&b| b == first) {
        // `first` starts a character, so `at` is a character boundary.
        let at = from + p;
        if h[at..].starts_with(n) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Param(&'a str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        out.push(Piece::Param(&rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The parameters of `address` if it matches `template`: each parameter
/// takes a non-empty run of text up to the next literal part.
pub fn match_address<'a>(template: &'a str, address: &'a str) -> Option<Vec<(&'a str, &'a str)>> {
    let pieces = pieces(template);
    let mut rest = address;
    let mut params = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Text(t) => rest = rest.strip_prefix(t)?,
            Piece::Param(name) => {
                let next = pieces[i + 1..].iter().find_map(|p| match p {
                    Piece::Text(t) => Some(*t),
                    Piece::Param(_) => None,
                });
                let end = match next {
                    Some(t) => rest.find(t)?,
                    None => rest.len(),
                };
                if end == 0 {
                    return None;
                }
                params.push((*name, &rest[..end]));
                rest = &rest[end..];
            }
        }
    }
    rest.is_empty().then_some(params)
}

/// An address template parsed once, for reading the parameters of many
/// addresses ([`match_address`] parses the template on every call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    /// (text before the parameter, the parameter's name); then the text
    /// after the last parameter.
    params: Vec<(String, String)>,
    tail: String,
}

/// The most parameters [`Template::params`] reads without allocating.
const INLINE_PARAMS: usize = 8;

impl Template {
    /// Parses `template` (`orders.{region}.created`). It never fails: a `{`
    /// without a closing `}` is literal text, as is everything after it.
    pub fn new(template: &str) -> Template {
        let mut params = Vec::new();
        let mut text = String::new();
        for piece in pieces(template) {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Param(name) => params.push((std::mem::take(&mut text), name.to_owned())),
            }
        }
        Template {
            source: template.to_owned(),
            params,
            tail: text,
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Calls `each` with every (name, value) of `address`, if it matches:
    /// what [`match_address`] returns, without allocating.
    pub fn params<'a>(&'a self, address: &'a str, mut each: impl FnMut(&'a str, &'a str)) -> bool {
        if self.params.len() > INLINE_PARAMS {
            return match match_address(&self.source, address) {
                Some(found) => {
                    found.into_iter().for_each(|(n, v)| each(n, v));
                    true
                }
                None => false,
            };
        }
        let mut found = [("", ""); INLINE_PARAMS];
        let mut rest = address;
        for (i, (text, name)) in self.params.iter().enumerate() {
            let Some(r) = rest.strip_prefix(text.as_str()) else {
                return false;
            };
            let next = self
                .params
                .get(i + 1)
                .map_or(self.tail.as_str(), |(t, _)| t.as_str());
            let end = if next.is_empty() && i + 1 == self.params.len() {
                Some(r.len())
            } else if next.is_empty() {
                // Two parameters side by side: the first takes nothing.
                None
            } else {
                find_text(r, next)
            };
            match end {
                Some(end) if end > 0 => {
                    found[i] = (name.as_str(), &r[..end]);
                    rest = &r[end..];
                }
                _ => return false,
            }
        }
        if rest != self.tail {
            return false;
        }
        found[..self.params.len()]
            .iter()
            .for_each(|&(n, v)| each(n, v));
        true
    }
}

/// Whether `address` matches `template`: [`match_address`] without
/// collecting the parameters or allocating (adapters check every delivery
/// of a pattern subscription with it).
pub fn matches_address(template: &str, address: &str) -> bool {
    // The next parameter of `t`: (text before it, what follows it), where
    // a `{` without a `}` after it is text, as in `pieces`.
    fn next_param(t: &str) -> Option<(&str, &str)> {
        let start = t.find('{')?;
        let len = t[start..].find('}')?;
        Some((&t[..start], &t[start + len + 1..]))
    }
    let (mut t, mut rest) = (template, address);
    loop {
        let Some((text, after)) = next_param(t) else {
            return rest == t;
        };
        let Some(r) = rest.strip_prefix(text) else {
            return false;
        };
        t = after;
        // The parameter runs to the next literal text, or to the end.
        let end = match next_param(t) {
            Some(("", _)) => return false,
            Some((next, _)) => find_text(r, next),
            None if t.is_empty() => Some(r.len()),
            None => find_text(r, t),
        };
        match end {
            Some(end) if end > 0 => rest = &r[end..],
            _ => return false,
        }
    }
}

/// The broker's subscription filter for a template whose levels are
/// separated by `separator`: a level holding a parameter becomes
/// `wildcard` (NATS `a.{x}.b` -> `a.*.b`, MQTT `a/{x}/b` -> `a/+/b`).
#[cfg_attr(not(any(feature = "nats", feature = "mqtt")), allow(dead_code))]
pub(crate) fn level_wildcards(template: &str, separator: char, wildcard: &str) -> String {
    template
        .split(separator)
        .map(|level| if level.contains('{') { wildcard } else { level })
        .collect::<Vec<_>>()
        .join(&separator.to_string())
}

/// Whether every parameter of a template is a whole level (so the
/// wildcard [`level_wildcards`] puts there matches exactly what the
/// parameter does).
#[cfg_attr(not(any(feature = "nats", feature = "mqtt")), allow(dead_code))]
pub(crate) fn parameters_are_whole_levels(template: &str, separator: char) -> bool {
    template.split(separator).all(|l| {
        !l.contains('{') || (l.starts_with('{') && l.ends_with('}') && l.matches('{').count() == 1)
    })
}

/// The parameter names of a template, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Param(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect()
}

/// Whether a template has parameters (needs a pattern subscription).
pub fn has_params(template: &str) -> bool {
    pieces(template)
        .iter()
        .any(|p| matches!(p, Piece::Param(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parsed_template_reads_what_match_address_reads() {
        for (template, addresses) in [
            (
                "stores.{storeId}.orders",
                &[
                    "stores.s1.orders",
                    "stores..orders",
                    "stores.s1.orders.x",
                    "x",
                ][..],
            ),
            ("{a}.{b}", &["x.y", "x.", ".y", "x.y.z"][..]),
            ("a.{x}", &["a.1", "a.", "b.1"][..]),
            ("fixed", &["fixed", "fixed2"][..]),
            ("{a}{b}", &["xy"][..]),
        ] {
            let t = Template::new(template);
            for address in addresses {
                let mut got = Vec::new();
                let matched = t.params(address, |n, v| got.push((n, v)));
                let want = match_address(template, address);
                assert_eq!(matched.then_some(got), want, "{template} / {address}");
            }
        }
    }

    #[test]
    fn matches_and_extracts() {
        let t = "stores.{storeId}.orders";
        assert_eq!(
            match_address(t, "stores.s1.orders"),
            Some(vec![("storeId", "s1")])
        );
        assert_eq!(match_address(t, "stores..orders"), None);
        assert_eq!(match_address(t, "stores.s1.orders.x"), None);
        assert_eq!(
            match_address("a/{x}/{y}", "a/1/2"),
            Some(vec![("x", "1"), ("y", "2")])
        );
        assert_eq!(
            match_address("a/{x}/b/{y}", "a/1/b/2"),
            Some(vec![("x", "1"), ("y", "2")])
        );
        assert_eq!(match_address("plain", "plain"), Some(vec![]));
        assert!(has_params(t) && !has_params("plain"));
    }

    #[test]
    fn matching_agrees_with_extracting() {
        let templates = [
            "stores.{storeId}.orders",
            "a/{x}/{y}",
            "a/{x}/b/{y}",
            "{x}.tail",
            "head.{x}",
            "{x}",
            "{a}{b}.x",
            "a{b",
            "a.{x}.b{c",
            "plain",
            "",
        ];
        let addresses = [
            "stores.s1.orders",
            "stores..orders",
            "stores.s1.orders.x",
            "stores.a.b.orders",
            "a/1/2",
            "a/1/b/2",
            "a/1/b/",
            "a//2",
            "x.tail",
            ".tail",
            "head.x",
            "head.",
            "anything",
            "1.x",
            "a{b",
            "a.1.b{c",
            "plain",
            "",
        ];
        for t in templates {
            for a in addresses {
                assert_eq!(
                    matches_address(t, a),
                    match_address(t, a).is_some(),
                    "{t:?} {a:?}"
                );
            }
        }
        assert!(matches_address(
            "stores.{storeId}.orders",
            "stores.s1.orders"
        ));
    }

    #[test]
    fn finds_text_as_str_find_does() {
        for (h, n) in [
            ("s1.orders", ".orders"),
            ("a.b.orders.orders", ".orders"),
            ("a..orders", ".o"),
            ("no", ".orders"),
            ("", "x"),
            ("abc", ""),
            ("größe/ß/x", "ß/"),
            ("aaab", "aab"),
        ] {
            assert_eq!(find_text(h, n), h.find(n), "{h:?} {n:?}");
        }
    }
}
