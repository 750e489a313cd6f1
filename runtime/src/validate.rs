//! Schema constraints checked when a message is decoded.
//!
//! Generated types implement [`Validate`]; a violation names the field path
//! and the rule (`/lines/0/quantity: minimum: 0 is less than 1`). Paths are
//! built on the stack and rendered only when something is wrong, so a valid
//! message costs no allocation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

/// Where a value sits in a message: a chain of segments on the stack.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The message itself (rendered `/`).
    Root,
    /// A field of the parent object, by name.
    Field(&'a Path<'a>, &'static str),
    /// An item of the parent array or tuple, by position.
    Index(&'a Path<'a>, usize),
    /// An entry of the parent map, by key (escaped as in a JSON pointer when
    /// rendered).
    Key(&'a Path<'a>, &'a str),
}

impl Path<'_> {
    /// The path of the field `name` under this one.
    pub fn field(&self, name: &'static str) -> Path<'_> {
        Path::Field(self, name)
    }

    /// The path of the item `i` under this one.
    pub fn index(&self, i: usize) -> Path<'_> {
        Path::Index(self, i)
    }

    /// The path of the map entry `k` under this one.
    pub fn key<'k>(&'k self, k: &'k str) -> Path<'k> {
        Path::Key(self, k)
    }

    fn render(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Field(parent, name) => {
                parent.render(out);
                out.push('/');
                out.push_str(name);
            }
            Path::Index(parent, i) => {
                parent.render(out);
                out.push('/');
                out.push_str(&i.to_string());
            }
            Path::Key(parent, k) => {
                parent.render(out);
                out.push('/');
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.render(&mut s);
        if s.is_empty() {
            s.push('/');
        }
        f.write_str(&s)
    }
}

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON pointer of the value (`/lines/0/quantity`).
    pub path: String,
    /// The JSON Schema keyword (`minimum`, `pattern`, ...).
    pub rule: &'static str,
    /// What is wrong with the value, for people (`0 is less than 1`).
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path, self.rule, self.message)
    }
}

/// Every constraint a value violates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks the schema constraints serde cannot express.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message type faststream can check",
    label = "no `Validate` for `{Self}`",
    note = "derive `faststream::Message` for it (with `Serialize` and `Deserialize`), or implement `faststream::Validate`"
)]
pub trait Validate {
    /// Adds every violation under `path` to `errors`. None by default: a
    /// type without rules implements `Validate` with an empty block.
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        let _ = (path, errors);
    }

    /// All violations, or `Ok`.
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        self.validate_at(&Path::Root, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

macro_rules! no_constraints {
    ($($t:ty),*) => {
        $(impl Validate for $t {
            #[inline]
            fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
        })*
    };
}

no_constraints!(
    bool,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    String,
    (),
    serde_json::Value,
    chrono::DateTime<chrono::FixedOffset>,
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDate,
    chrono::NaiveTime,
    uuid::Uuid,
    crate::bytes::Base64,
    usize,
    isize,
    char,
    Box<str>
);

impl<T: Validate> Validate for Option<T> {
    #[inline]
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if let Some(v) = self {
            v.validate_at(path, errors);
        }
    }
}

impl<T: Validate + ?Sized> Validate for Box<T> {
    #[inline]
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        (**self).validate_at(path, errors);
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (i, v) in self.iter().enumerate() {
            v.validate_at(&path.index(i), errors);
        }
    }
}

impl<T: Validate> Validate for std::collections::VecDeque<T> {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (i, v) in self.iter().enumerate() {
            v.validate_at(&path.index(i), errors);
        }
    }
}

impl<T: Validate, const N: usize> Validate for [T; N] {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (i, v) in self.iter().enumerate() {
            v.validate_at(&path.index(i), errors);
        }
    }
}

impl<T: Validate> Validate for std::collections::BTreeSet<T> {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (i, v) in self.iter().enumerate() {
            v.validate_at(&path.index(i), errors);
        }
    }
}

impl<T: Validate, S> Validate for std::collections::HashSet<T, S> {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (i, v) in self.iter().enumerate() {
            v.validate_at(&path.index(i), errors);
        }
    }
}

impl<T: ?Sized> Validate for std::marker::PhantomData<T> {
    #[inline]
    fn validate_at(&self, _: &Path<'_>, _: &mut Vec<ValidationError>) {}
}

impl<T: Validate + ?Sized> Validate for std::sync::Arc<T> {
    #[inline]
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        (**self).validate_at(path, errors);
    }
}

impl<T: Validate> Validate for BTreeMap<String, T> {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (k, v) in self {
            v.validate_at(&path.key(k), errors);
        }
    }
}

impl<T: Validate, S> Validate for HashMap<String, T, S> {
    fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        for (k, v) in self {
            v.validate_at(&path.key(k), errors);
        }
    }
}

macro_rules! tuples {
    ($(($($n:tt $t:ident),+)),*) => {
        $(impl<$($t: Validate),+> Validate for ($($t,)+) {
            fn validate_at(&self, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
                $(self.$n.validate_at(&path.index($n), errors);)+
            }
        })*
    };
}

tuples!((0 A), (0 A, 1 B), (0 A, 1 B, 2 C), (0 A, 1 B, 2 C, 3 D), (0 A, 1 B, 2 C, 3 D, 4 E));

/// A regular expression compiled on first use.
#[derive(Debug)]
pub struct LazyRegex {
    source: &'static str,
    regex: &'static str,
    /// `regex` is ECMA-262 still, translated on first use.
    ecma: bool,
    compiled: OnceLock<Option<regex_lite::Regex>>,
}

impl LazyRegex {
    /// A pattern written in `regex_lite`'s syntax, matched and named in
    /// errors as it is (compiled on first use).
    pub const fn new(source: &'static str) -> LazyRegex {
        LazyRegex::translated(source, source)
    }

    /// A schema's pattern (`source`, named in errors) matched as `regex`,
    /// its ECMA-262 meaning written in `regex_lite`'s syntax.
    pub const fn translated(source: &'static str, regex: &'static str) -> LazyRegex {
        LazyRegex {
            source,
            regex,
            ecma: false,
            compiled: OnceLock::new(),
        }
    }

    /// A schema's pattern as written (ECMA-262), translated to
    /// `regex_lite` on first use: what `#[message(pattern = "...")]`
    /// checks with. A pattern `regex_lite` cannot express (lookaround,
    /// backreferences, `\p{..}`) matches nothing.
    pub const fn ecma(source: &'static str) -> LazyRegex {
        LazyRegex {
            source,
            regex: source,
            ecma: true,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `text` matches (JSON Schema patterns are unanchored). A
    /// pattern that does not compile matches nothing, so the value is
    /// rejected rather than let through unchecked.
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| {
                if self.ecma {
                    faststream_asyncapi::ecma::to_rust(self.regex)
                        .and_then(|r| regex_lite::Regex::new(&r).ok())
                } else {
                    regex_lite::Regex::new(self.regex).ok()
                }
            })
            .as_ref()
            .is_some_and(|r| r.is_match(text))
    }

    /// The pattern as the schema wrote it (what errors name).
    pub fn source(&self) -> &'static str {
        self.source
    }
}

/// The checks generated code calls, one per JSON Schema keyword.
pub mod rules {
    use super::{LazyRegex, Path, Validate, ValidationError};

    fn push(
        errors: &mut Vec<ValidationError>,
        path: &Path<'_>,
        rule: &'static str,
        message: String,
    ) {
        errors.push(ValidationError {
            path: path.to_string(),
            rule,
            message,
        });
    }

    /// Numbers as `f64` for comparisons with schema bounds.
    #[diagnostic::on_unimplemented(
        message = "`minimum`, `maximum`, `exclusive_minimum`, `exclusive_maximum` and `multiple_of` apply to numbers, and `{Self}` is not one",
        label = "not a number"
    )]
    pub trait Number: Copy + std::fmt::Display {
        /// The value as an `f64` (integers beyond 2^53 may lose precision).
        fn as_f64(self) -> f64;
    }

    macro_rules! number {
        ($($t:ty),*) => {
            $(impl Number for $t {
                #[inline]
                #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
                fn as_f64(self) -> f64 { self as f64 }
            })*
        };
    }
    number!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, usize, isize);

    /// `minLength`: an error at `path` when `v` has fewer than `min`
    /// characters (Unicode code points, not bytes).
    pub fn min_length(v: &str, min: usize, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        let n = v.chars().count();
        if n < min {
            push(
                errors,
                path,
                "minLength",
                format!("length {n} is less than {min}"),
            );
        }
    }

    /// `maxLength`: an error at `path` when `v` has more than `max` characters
    /// (Unicode code points, not bytes).
    pub fn max_length(v: &str, max: usize, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        let n = v.chars().count();
        if n > max {
            push(
                errors,
                path,
                "maxLength",
                format!("length {n} is more than {max}"),
            );
        }
    }

    /// `pattern`: an error at `path` when `re` matches nowhere in `v`
    /// (patterns are unanchored).
    pub fn pattern(v: &str, re: &LazyRegex, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if !re.is_match(v) {
            push(
                errors,
                path,
                "pattern",
                format!("{v:?} does not match `{}`", re.source()),
            );
        }
    }

    /// `minimum`: an error at `path` when `v` is less than `min`.
    pub fn minimum<N: Number>(v: N, min: f64, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if v.as_f64() < min {
            push(errors, path, "minimum", format!("{v} is less than {min}"));
        }
    }

    /// `maximum`: an error at `path` when `v` is more than `max`.
    pub fn maximum<N: Number>(v: N, max: f64, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if v.as_f64() > max {
            push(errors, path, "maximum", format!("{v} is more than {max}"));
        }
    }

    /// `exclusiveMinimum`: an error at `path` when `v` is not more than `min`.
    pub fn exclusive_minimum<N: Number>(
        v: N,
        min: f64,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        if v.as_f64() <= min {
            push(
                errors,
                path,
                "exclusiveMinimum",
                format!("{v} is not more than {min}"),
            );
        }
    }

    /// `exclusiveMaximum`: an error at `path` when `v` is not less than `max`.
    pub fn exclusive_maximum<N: Number>(
        v: N,
        max: f64,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        if v.as_f64() >= max {
            push(
                errors,
                path,
                "exclusiveMaximum",
                format!("{v} is not less than {max}"),
            );
        }
    }

    /// `multipleOf`: an error at `path` when `v / of` is not a whole number
    /// (within 1e-9, so that steps such as 0.01 work on floats).
    pub fn multiple_of<N: Number>(
        v: N,
        of: f64,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        let q = v.as_f64() / of;
        if (q - q.round()).abs() > 1e-9 {
            push(
                errors,
                path,
                "multipleOf",
                format!("{v} is not a multiple of {of}"),
            );
        }
    }

    /// `minItems`: an error at `path` when the array's `n` items are fewer
    /// than `min`.
    pub fn min_items(n: usize, min: usize, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if n < min {
            push(
                errors,
                path,
                "minItems",
                format!("{n} items, fewer than {min}"),
            );
        }
    }

    /// `maxItems`: an error at `path` when the array's `n` items are more than
    /// `max`.
    pub fn max_items(n: usize, max: usize, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if n > max {
            push(
                errors,
                path,
                "maxItems",
                format!("{n} items, more than {max}"),
            );
        }
    }

    /// `uniqueItems`: an error at `path` when two of `items` are equal (one
    /// error, for the first item that repeats an earlier one).
    pub fn unique_items<T: PartialEq>(
        items: &[T],
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        for (i, a) in items.iter().enumerate() {
            if let Some(j) = items[..i].iter().position(|b| a == b) {
                push(
                    errors,
                    path,
                    "uniqueItems",
                    format!("items {j} and {i} are equal"),
                );
                return;
            }
        }
    }

    /// `minProperties`: an error at `path` when the object's `n` properties
    /// are fewer than `min`.
    pub fn min_properties(
        n: usize,
        min: usize,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        if n < min {
            push(
                errors,
                path,
                "minProperties",
                format!("{n} properties, fewer than {min}"),
            );
        }
    }

    /// `maxProperties`: an error at `path` when the object's `n` properties
    /// are more than `max`.
    pub fn max_properties(
        n: usize,
        max: usize,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        if n > max {
            push(
                errors,
                path,
                "maxProperties",
                format!("{n} properties, more than {max}"),
            );
        }
    }

    /// `format: email`: one `@` with text on both sides and no spaces.
    pub fn email(v: &str, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        let ok = v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !v.contains(char::is_whitespace)
        });
        if !ok {
            push(
                errors,
                path,
                "format",
                format!("{v:?} is not an email address"),
            );
        }
    }

    /// `format: uri`: a scheme (`letter (letter | digit | + - .)* :`) and
    /// no spaces.
    pub fn uri(v: &str, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        let ok = v.split_once(':').is_some_and(|(scheme, _)| {
            scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }) && !v.contains(char::is_whitespace);
        if !ok {
            push(errors, path, "format", format!("{v:?} is not a URI"));
        }
    }

    /// An item of a tuple-form array kept as a JSON value (JSON Schema's
    /// `items: [...]`): it must read as its position's type and keep that
    /// type's rules.
    pub fn item_as<T: serde::de::DeserializeOwned + Validate>(
        item: &serde_json::Value,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        match crate::strict::from_ref::<T>(item) {
            Ok(v) => v.validate_at(path, errors),
            Err(e) => push(errors, path, "items", e.to_string()),
        }
    }

    /// `not: {type: ...}`: `v` has none of the JSON types named (an
    /// integer is any number without a fraction, as JSON Schema counts).
    pub fn not_type(
        v: &serde_json::Value,
        types: &[&str],
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        use serde_json::Value;
        let is = |t: &str| match (t, v) {
            ("null", Value::Null)
            | ("boolean", Value::Bool(_))
            | ("string", Value::String(_))
            | ("array", Value::Array(_))
            | ("object", Value::Object(_))
            | ("number", Value::Number(_)) => true,
            ("integer", Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        };
        if let Some(t) = types.iter().find(|t| is(t)) {
            push(errors, path, "not", format!("{v} is of type {t}"));
        }
    }

    /// `format: date-time` on a string field: RFC 3339's `date-time`.
    pub fn date_time(v: &str, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if !crate::formats::is_date_time(v) {
            push(errors, path, "format", format!("{v:?} is not a date-time"));
        }
    }

    /// `format: date` on a string field: RFC 3339's `full-date`.
    pub fn date(v: &str, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if !crate::formats::is_date(v) {
            push(errors, path, "format", format!("{v:?} is not a date"));
        }
    }

    /// `format: time`: RFC 3339's `full-time` (with its offset).
    pub fn time(v: &str, path: &Path<'_>, errors: &mut Vec<ValidationError>) {
        if !crate::formats::is_time(v) {
            push(errors, path, "format", format!("{v:?} is not a time"));
        }
    }

    /// `const` on a value serde cannot check by type.
    pub fn constant<T: PartialEq + std::fmt::Debug>(
        v: &T,
        expected: &T,
        path: &Path<'_>,
        errors: &mut Vec<ValidationError>,
    ) {
        if v != expected {
            push(errors, path, "const", format!("{v:?} is not {expected:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_as_pointers() {
        let root = Path::Root;
        let lines = root.field("lines");
        let first = lines.index(0);
        let q = first.field("quantity");
        assert_eq!(q.to_string(), "/lines/0/quantity");
        assert_eq!(root.key("a/b").to_string(), "/a~1b");
        assert_eq!(root.to_string(), "/");
    }

    #[test]
    fn rules_name_the_rule() {
        let mut e = Vec::new();
        let p = Path::Root;
        rules::minimum(0_i64, 1.0, &p.field("quantity"), &mut e);
        rules::min_length("", 1, &p.field("sku"), &mut e);
        rules::pattern("abc", &LazyRegex::new("^[0-9]+$"), &p.field("code"), &mut e);
        rules::unique_items(&[1, 2, 1], &p.field("tags"), &mut e);
        rules::multiple_of(7_i64, 2.0, &p.field("n"), &mut e);
        rules::email("not-an-email", &p.field("email"), &mut e);
        let rendered: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                "/quantity: minimum: 0 is less than 1",
                "/sku: minLength: length 0 is less than 1",
                "/code: pattern: \"abc\" does not match `^[0-9]+$`",
                "/tags: uniqueItems: items 0 and 2 are equal",
                "/n: multipleOf: 7 is not a multiple of 2",
                "/email: format: \"not-an-email\" is not an email address",
            ]
        );
        let mut ok = Vec::new();
        rules::multiple_of(0.3_f64, 0.1, &p, &mut ok);
        rules::uri("https://example.com/x", &p, &mut ok);
        assert!(ok.is_empty(), "{ok:?}");
    }
}
