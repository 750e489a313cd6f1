//! YAML (and JSON, which is YAML 1.2) text -> [`Node`] with positions.
//!
//! Built on `saphyr-parser`'s event stream so every node, and every key,
//! keeps its line and column. The builder is iterative and bounded: nesting
//! depth, node count (including what aliases expand to) and input size all
//! have limits, so hostile input gets an error instead of a crash, a hang
//! or unbounded memory.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::Number;

use super::node::{Key, Node, NodeValue};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Limits on one parsed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// The most nodes one file may produce, counting alias expansions.
    pub max_nodes: usize,
    /// The largest file read, in bytes.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 256,
            max_nodes: 1_000_000,
            max_bytes: 32 * 1024 * 1024,
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
        /// Nodes in the subtree so far (children and their descendants).
        size: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        seen: HashSet<String>,
        span: Span,
        anchor: usize,
        key: Option<Key>,
        size: usize,
    },
}

struct Builder {
    file: FileId,
    limits: Limits,
    stack: Vec<Frame>,
    /// anchor id -> (node, its node count)
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
    diagnostics: Vec<Diagnostic>,
    /// Pointer of the current position, kept for diagnostics.
    path: Vec<String>,
}

fn span_of(file: FileId, m: saphyr_parser::Marker) -> Span {
    Span {
        file,
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        col: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    }
}

/// Parses one YAML or JSON text. Returns the root node (when the text
/// parsed) and every problem found; a duplicate key is reported but does
/// not stop parsing.
pub fn parse(text: &str, file: FileId, limits: Limits) -> (Option<Node>, Vec<Diagnostic>) {
    let mut b = Builder {
        file,
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        documents: 0,
        diagnostics: Vec::new(),
        path: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(e) => {
                let at = span_of(file, *e.marker());
                let d = if e.info().contains("recursion limit") {
                    Diagnostic::error(
                        Code::TooDeep,
                        format!(
                            "the document nests deeper than the parser allows ({})",
                            e.info()
                        ),
                    )
                } else {
                    Diagnostic::error(Code::Syntax, format!("invalid YAML: {}", e.info()))
                };
                b.diagnostics.push(d.at(b.pointer(), at));
                return (None, b.diagnostics);
            }
        };
        let at = span_of(file, span.start);
        if let Err(d) = b.event(event, at) {
            b.diagnostics.push(*d);
            return (None, b.diagnostics);
        }
    }
    if b.root.is_none() {
        b.diagnostics.push(
            Diagnostic::error(Code::EmptyDocument, "the file holds no document").at(
                "",
                Span {
                    file,
                    line: 1,
                    col: 1,
                },
            ),
        );
    }
    (b.root.take(), b.diagnostics)
}

impl Builder {
    fn pointer(&self) -> String {
        faststream_asyncapi::pointer::join(&self.path)
    }

    fn count(&mut self, n: usize, at: Span) -> Result<(), Box<Diagnostic>> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Box::new(
                Diagnostic::error(
                    Code::TooManyNodes,
                    format!(
                        "the document expands to more than {} values (an alias bomb, or a file far larger than any API description)",
                        self.limits.max_nodes
                    ),
                )
                .at(self.pointer(), at),
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, at: Span) -> Result<(), Box<Diagnostic>> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Box::new(
                        Diagnostic::error(
                            Code::UnsupportedYaml,
                            "the file holds more than one YAML document; an AsyncAPI file holds exactly one",
                        )
                        .at("", at),
                    ));
                }
            }
            Event::Alias(id) => {
                let Some((_, size)) = self.anchors.get(&id) else {
                    return Err(Box::new(
                        Diagnostic::error(Code::Syntax, "alias to an unknown anchor")
                            .at(self.pointer(), at),
                    ));
                };
                let size = *size;
                self.count(size, at)?;
                let node = self.anchors[&id].0.clone();
                self.finish(node, size, 0, at)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    *key = Some(Key {
                        name: text.into_owned(),
                        span: at,
                    });
                    if let Some(Frame::Map { key: Some(k), .. }) = self.stack.last() {
                        let name = k.name.clone();
                        self.path.push(name);
                    }
                    return Ok(());
                }
                self.count(1, at)?;
                let tag = tag.map(|t| t.suffix.clone());
                let value = resolve_scalar(&text, style, tag.as_deref());
                self.finish(Node::new(value, at), 1, anchor, at)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(at)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    span: at,
                    anchor,
                    size: 0,
                });
                self.path.push("0".into());
            }
            Event::MappingStart(anchor, _) => {
                self.open(at)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    seen: HashSet::new(),
                    span: at,
                    anchor,
                    key: None,
                    size: 0,
                });
            }
            Event::SequenceEnd => {
                self.path.pop();
                if let Some(Frame::Seq {
                    items,
                    span,
                    anchor,
                    size,
                }) = self.stack.pop()
                {
                    let size = 1 + size;
                    self.finish(Node::new(NodeValue::Seq(items), span), size, anchor, at)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    entries,
                    span,
                    anchor,
                    size,
                    ..
                }) = self.stack.pop()
                {
                    let size = 1 + size;
                    self.finish(Node::new(NodeValue::Map(entries), span), size, anchor, at)?;
                }
            }
        }
        Ok(())
    }

    /// Called before a mapping or sequence starts.
    fn open(&mut self, at: Span) -> Result<(), Box<Diagnostic>> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(Box::new(
                Diagnostic::error(
                    Code::UnsupportedYaml,
                    "a mapping or sequence used as a mapping key; keys must be plain values",
                )
                .at(self.pointer(), at),
            ));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(Box::new(
                Diagnostic::error(
                    Code::TooDeep,
                    format!(
                        "the document nests deeper than {} levels",
                        self.limits.max_depth
                    ),
                )
                .at(self.pointer(), at),
            ));
        }
        self.count(1, at)
    }

    /// A complete node: attach it to its parent (or make it the root).
    fn finish(
        &mut self,
        node: Node,
        size: usize,
        anchor: usize,
        at: Span,
    ) -> Result<(), Box<Diagnostic>> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let file = self.file;
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
            }
            Some(Frame::Seq {
                items, size: total, ..
            }) => {
                *total += size;
                items.push(node);
                if let Some(last) = self.path.last_mut() {
                    *last = items.len().to_string();
                }
            }
            Some(Frame::Map {
                entries,
                seen,
                key,
                size: total,
                ..
            }) => match key.take() {
                None => {
                    // An alias used as a key.
                    let name = match &node.value {
                        NodeValue::Str(s) => s.clone(),
                        _ => {
                            return Err(Box::new(
                                Diagnostic::error(
                                    Code::UnsupportedYaml,
                                    "a non-scalar alias used as a mapping key",
                                )
                                .at(String::new(), at),
                            ));
                        }
                    };
                    *key = Some(Key {
                        name: name.clone(),
                        span: node.span,
                    });
                    self.path.push(name);
                }
                Some(k) => {
                    *total += size;
                    self.path.pop();
                    if seen.insert(k.name.clone()) {
                        entries.push((k, node));
                    } else {
                        let pointer = {
                            let mut p = faststream_asyncapi::pointer::join(&self.path);
                            p.push('/');
                            p.push_str(&faststream_asyncapi::pointer::escape(&k.name));
                            p
                        };
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::DuplicateKey,
                                format!("duplicate key `{}`; the first one is kept", k.name),
                            )
                            .at(pointer, Span { file, ..k.span }),
                        );
                    }
                }
            },
        }
        Ok(())
    }
}

/// YAML 1.2 core schema resolution of a scalar.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> NodeValue {
    match tag {
        Some("str") => return NodeValue::Str(text.to_owned()),
        Some("null") => return NodeValue::Null,
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return NodeValue::Str(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_number(text) {
        return NodeValue::Number(n);
    }
    NodeValue::Str(text.to_owned())
}

fn parse_number(text: &str) -> Option<Number> {
    let first = text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(Number::from);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::from(i));
        }
        if let Ok(u) = digits.parse::<u64>()
            && !text.starts_with('-')
        {
            return Some(Number::from(u));
        }
    }
    // Floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    if mantissa_ok && exponent_ok {
        return text.parse::<f64>().ok().and_then(Number::from_f64);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> (Option<Node>, Vec<Diagnostic>) {
        parse(text, FileId(0), Limits::default())
    }

    #[test]
    fn keeps_positions_of_values_and_keys() {
        let (node, d) = p("a:\n  b: 1\n  c: [x, 2.5, null, true]\n");
        assert!(d.is_empty(), "{d:?}");
        let node = node.unwrap();
        let b = node.pointer("/a/b").unwrap();
        assert_eq!((b.span.line, b.span.col), (2, 6));
        let c = node.pointer("/a/c/1").unwrap();
        assert_eq!(c.to_value(), serde_json::json!(2.5));
        assert_eq!(node.get("a").unwrap().key("c").unwrap().span.line, 3);
        assert_eq!(
            node.to_value(),
            serde_json::json!({"a": {"b": 1, "c": ["x", 2.5, null, true]}})
        );
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let (node, _) = p("a: '1'\nb: 0x1F\nc: 1e3\nd: .5\ne: 1.2.3\nf: ~\ng: -7\n");
        assert_eq!(
            node.unwrap().to_value(),
            serde_json::json!({"a": "1", "b": 31, "c": 1000.0, "d": 0.5, "e": "1.2.3", "f": null, "g": -7})
        );
    }

    #[test]
    fn reports_duplicate_keys_with_position() {
        let (node, d) = p("a: 1\nb: 2\na: 3\n");
        assert!(node.is_some());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::DuplicateKey);
        assert_eq!(d[0].span.map(|s| (s.line, s.col)), Some((3, 1)));
    }

    #[test]
    fn stops_alias_bombs() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let (node, d) = p(&text);
        assert!(node.is_none());
        assert_eq!(d[0].code, Code::TooManyNodes);
    }

    #[test]
    fn stops_deep_nesting() {
        let text = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let (node, d) = p(&text);
        assert!(node.is_none());
        assert!(matches!(d[0].code, Code::TooDeep | Code::Syntax), "{d:?}");
        let mut block = String::new();
        for i in 0..3000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let (node, d) = p(&block);
        assert!(node.is_none());
        assert_eq!(d[0].code, Code::TooDeep);
    }
}
