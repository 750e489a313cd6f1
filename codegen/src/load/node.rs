//! A document tree that remembers where every value came from.

use serde_json::{Map, Number, Value};

use crate::source::Span;

/// A value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Number(Number),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its own position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Node {
    pub fn new(value: NodeValue, span: Span) -> Node {
        Node { value, span }
    }

    /// The entries, when this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            NodeValue::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Vec<(Key, Node)>> {
        match &mut self.value {
            NodeValue::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A mapping entry by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// A mapping entry's key by name (for positions of keys).
    pub fn key(&self, key: &str) -> Option<&Key> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| k)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The target of a `$ref` object: `{"$ref": "..."}`.
    pub fn ref_target(&self) -> Option<&str> {
        self.get("$ref")?.as_str()
    }

    /// Follows a JSON pointer (`/a/b`, unescaped by the caller's rules).
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        let mut cur = self;
        for seg in faststream_asyncapi::pointer::segments(pointer) {
            cur = match &cur.value {
                NodeValue::Map(m) => m.iter().find(|(k, _)| k.name == seg).map(|(_, v)| v)?,
                NodeValue::Seq(s) => s.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Node> {
        let mut cur = self;
        for seg in faststream_asyncapi::pointer::segments(pointer) {
            cur = match &mut cur.value {
                NodeValue::Map(m) => m.iter_mut().find(|(k, _)| k.name == seg).map(|(_, v)| v)?,
                NodeValue::Seq(s) => s.get_mut(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The deepest node on the way to `pointer`, for positions of things
    /// that are missing: the parent of an absent field.
    pub fn nearest(&self, pointer: &str) -> &Node {
        let mut cur = self;
        for seg in faststream_asyncapi::pointer::segments(pointer) {
            let next = match &cur.value {
                NodeValue::Map(m) => m.iter().find(|(k, _)| k.name == seg).map(|(_, v)| v),
                NodeValue::Seq(s) => seg.parse::<usize>().ok().and_then(|i| s.get(i)),
                _ => None,
            };
            match next {
                Some(n) => cur = n,
                None => break,
            }
        }
        cur
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Number(_) => "a number",
            NodeValue::Str(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "an object",
        }
    }

    /// The JSON value (positions dropped). Iterative, so a deep tree cannot
    /// overflow the stack.
    pub fn to_value(&self) -> Value {
        enum Frame<'a> {
            Seq(std::slice::Iter<'a, Node>, Vec<Value>),
            Map(
                std::slice::Iter<'a, (Key, Node)>,
                Map<String, Value>,
                Option<String>,
            ),
        }
        fn leaf(n: &Node) -> Option<Value> {
            Some(match &n.value {
                NodeValue::Null => Value::Null,
                NodeValue::Bool(b) => Value::Bool(*b),
                NodeValue::Number(x) => Value::Number(x.clone()),
                NodeValue::Str(s) => Value::String(s.clone()),
                _ => return None,
            })
        }
        fn open(n: &Node) -> Frame<'_> {
            match &n.value {
                NodeValue::Seq(s) => Frame::Seq(s.iter(), Vec::with_capacity(s.len())),
                NodeValue::Map(m) => Frame::Map(m.iter(), Map::new(), None),
                _ => unreachable!("open is only called on containers"),
            }
        }
        if let Some(v) = leaf(self) {
            return v;
        }
        let mut stack = vec![open(self)];
        loop {
            let top = stack.last_mut().expect("stack is never empty here");
            let next = match top {
                Frame::Seq(it, _) => it.next(),
                Frame::Map(it, _, pending) => it.next().map(|(k, v)| {
                    *pending = Some(k.name.clone());
                    v
                }),
            };
            let done = match next {
                Some(child) => match leaf(child) {
                    Some(v) => Some(v),
                    None => {
                        stack.push(open(child));
                        None
                    }
                },
                None => {
                    let frame = stack.pop().expect("stack is never empty here");
                    let v = match frame {
                        Frame::Seq(_, items) => Value::Array(items),
                        Frame::Map(_, map, _) => Value::Object(map),
                    };
                    if stack.is_empty() {
                        return v;
                    }
                    Some(v)
                }
            };
            if let Some(v) = done {
                match stack.last_mut().expect("a parent frame exists") {
                    Frame::Seq(_, items) => items.push(v),
                    Frame::Map(_, map, pending) => {
                        let key = pending.take().unwrap_or_default();
                        map.insert(key, v);
                    }
                }
            }
        }
    }

    /// A node for a value (every position set to `span`).
    pub fn from_value(v: &Value, span: Span) -> Node {
        let value = match v {
            Value::Null => NodeValue::Null,
            Value::Bool(b) => NodeValue::Bool(*b),
            Value::Number(n) => NodeValue::Number(n.clone()),
            Value::String(s) => NodeValue::Str(s.clone()),
            Value::Array(a) => {
                NodeValue::Seq(a.iter().map(|x| Node::from_value(x, span)).collect())
            }
            Value::Object(m) => NodeValue::Map(
                m.iter()
                    .map(|(k, x)| {
                        (
                            Key {
                                name: k.clone(),
                                span,
                            },
                            Node::from_value(x, span),
                        )
                    })
                    .collect(),
            ),
        };
        Node { value, span }
    }
}

/// Drop without recursion: a tree thousands of levels deep must not
/// overflow the stack when it is freed.
impl Drop for Node {
    fn drop(&mut self) {
        let mut stack = Vec::new();
        match std::mem::replace(&mut self.value, NodeValue::Null) {
            NodeValue::Seq(s) if !s.is_empty() => stack.extend(s),
            NodeValue::Map(m) if !m.is_empty() => stack.extend(m.into_iter().map(|(_, v)| v)),
            _ => return,
        }
        while let Some(mut n) = stack.pop() {
            match std::mem::replace(&mut n.value, NodeValue::Null) {
                NodeValue::Seq(s) => stack.extend(s),
                NodeValue::Map(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
                _ => {}
            }
        }
    }
}
