//! [`Text`]: the strings around a message (its address, correlation id,
//! reply address), made without an allocation when they are short and
//! cloned without one when they are not.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use arrayvec::ArrayString;

/// The longest text kept inline: a UUID (36 bytes) fits, and so do most
/// subjects, topics and routing keys.
const INLINE: usize = 38;

/// An immutable string for the fields of an [`Envelope`](crate::Envelope):
/// up to 38 bytes it lives inline (making one allocates nothing, cloning
/// copies it), a `&'static str` is borrowed, and a longer one is
/// shared (`Arc<str>`, cloning counts a reference).
///
/// It reads as a `&str` (through `Deref`, `AsRef` and `Borrow`), compares
/// with `str`, `&str` and `String`, and is made from any of them with
/// `.into()`:
///
/// ```
/// use faststream::envelope::Text;
///
/// let channel: Text = "orders.created".into();
/// assert_eq!(channel, "orders.created");
/// assert!(channel.starts_with("orders."));
/// let owned: String = channel.to_string();
/// assert_eq!(Text::from(owned), channel);
/// ```
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Inline(ArrayString<INLINE>),
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    /// A text borrowed for the whole program: no copy, no allocation.
    pub const fn from_static(text: &'static str) -> Text {
        Text(Repr::Static(text))
    }

    /// A copy of `text`: inline when it is short, else shared.
    pub fn new(text: &str) -> Text {
        match ArrayString::from(text) {
            Ok(inline) => Text(Repr::Inline(inline)),
            Err(_) => Text(Repr::Shared(Arc::from(text))),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(text) => text,
            Repr::Static(text) => text,
            Repr::Shared(text) => text,
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::from_static("")
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Hashes as its `str` does, so that maps keyed by `Text` are searched
/// with a `&str`.
impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

macro_rules! compare_with {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for Text {
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }

        impl PartialEq<Text> for $other {
            fn eq(&self, other: &Text) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}

compare_with!(str, &str, String);

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::new(text)
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Text {
        Text::new(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        if text.len() <= INLINE {
            Text::new(&text)
        } else {
            Text(Repr::Shared(Arc::from(text)))
        }
    }
}

impl From<&Text> for Text {
    fn from(text: &Text) -> Text {
        text.clone()
    }
}

impl From<Arc<str>> for Text {
    fn from(text: Arc<str>) -> Text {
        Text(Repr::Shared(text))
    }
}

impl From<Box<str>> for Text {
    fn from(text: Box<str>) -> Text {
        Text::from(String::from(text))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(text: std::borrow::Cow<'_, str>) -> Text {
        match text {
            std::borrow::Cow::Borrowed(text) => Text::new(text),
            std::borrow::Cow::Owned(text) => Text::from(text),
        }
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.as_str().to_owned()
    }
}

impl From<&Text> for String {
    fn from(text: &Text) -> String {
        text.as_str().to_owned()
    }
}

impl std::str::FromStr for Text {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Text, Self::Err> {
        Ok(Text::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_inline_and_long_ones_shared() {
        let short = Text::new("orders");
        assert!(matches!(&short.0, Repr::Inline(t) if t.len() == 6));
        let uuid = "0b3b1c5e-7d2a-4c1f-9a51-3f3b2a1d0c9e";
        assert!(matches!(Text::new(uuid).0, Repr::Inline(_)));
        let edge = "x".repeat(INLINE);
        assert!(matches!(Text::new(&edge).0, Repr::Inline(_)));
        let long = "x".repeat(INLINE + 1);
        let shared = Text::from(long.clone());
        assert!(matches!(shared.0, Repr::Shared(_)));
        assert_eq!(shared, long);
        assert_eq!(Text::new(&"y".repeat(300)).len(), 300);
        assert!(matches!(Text::from_static("s").0, Repr::Static("s")));
        // Small enough to clone by copying.
        assert!(
            std::mem::size_of::<Text>() <= 48,
            "{}",
            std::mem::size_of::<Text>()
        );
    }

    #[test]
    fn reads_compares_and_hashes_as_its_str() {
        // Multi-byte characters up to the inline edge.
        for text in [
            "",
            "a",
            "ünïcødé/topic",
            "日本語のチャンネル名です",
            "€".repeat(12).as_str(),
        ] {
            let t = Text::from(text);
            assert_eq!(t.as_str(), text);
            assert_eq!(&*t, text);
            assert_eq!(t, text);
            assert_eq!(text, t);
            assert_eq!(t, text.to_owned());
            assert_eq!(t.to_string(), text);
            assert_eq!(format!("{t:?}"), format!("{text:?}"));
            assert_eq!(String::from(t.clone()), text);
            let mut map = std::collections::HashMap::new();
            map.insert(t.clone(), 1);
            assert_eq!(map.get(text), Some(&1));
            let mut tree = std::collections::BTreeMap::new();
            tree.insert(t, 1);
            assert_eq!(tree.get(text), Some(&1));
        }
        let (a, b) = (Text::from("a"), Text::from("b".repeat(60)));
        assert!(a < b);
        assert_eq!(Text::default(), "");
    }
}
