//! What the derive reads from a type's attributes: serde's (as serde reads
//! them) and its own `#[message(...)]` constraints.

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Error, Expr, ExprLit, ExprUnary, Lit, LitStr, Result, Token, UnOp};

use crate::case::Case;

/// A name that may differ between reading and writing
/// (`rename(serialize = "a", deserialize = "b")`).
#[derive(Default)]
struct Names {
    serialize: Option<LitStr>,
    deserialize: Option<LitStr>,
}

impl Names {
    /// Reads `key = "x"` or `key(serialize = "a", deserialize = "b")`.
    fn read(&mut self, meta: &ParseNestedMeta<'_>) -> Result<()> {
        if meta.input.peek(Token![=]) {
            let name: LitStr = meta.value()?.parse()?;
            self.serialize = Some(name.clone());
            self.deserialize = Some(name);
            return Ok(());
        }
        meta.parse_nested_meta(|inner| {
            let name: LitStr = inner.value()?.parse()?;
            if inner.path.is_ident("serialize") {
                self.serialize = Some(name);
            } else if inner.path.is_ident("deserialize") {
                self.deserialize = Some(name);
            } else {
                return Err(inner.error("expected `serialize` or `deserialize`"));
            }
            Ok(())
        })
    }

    /// The one name both directions use: a schema describes the message
    /// both ways, so it cannot name a field twice.
    fn single(&self, what: &str) -> Result<Option<String>> {
        match (&self.serialize, &self.deserialize) {
            (None, None) => Ok(None),
            (Some(a), Some(b)) if a.value() == b.value() => Ok(Some(a.value())),
            (Some(a), _) | (None, Some(a)) => Err(Error::new(
                a.span(),
                format!(
                    "faststream::Message: this {what} reads and writes under different names; \
                     one schema describes a message both ways, so give it one name \
                     (`rename = \"...\"`) or implement Describe and Validate by hand"
                ),
            )),
        }
    }
}

/// Skips the value of a serde key the derive has no use for.
fn skip_value(meta: &ParseNestedMeta<'_>) -> Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

fn case(meta: &ParseNestedMeta<'_>) -> Result<Case> {
    let mut names = Names::default();
    names.read(meta)?;
    let name = names
        .single("type")?
        .ok_or_else(|| meta.error("expected a case name"))?;
    Case::parse(&name).ok_or_else(|| {
        meta.error(format!(
            "unknown rename rule `{name}`: expected one of {}",
            Case::NAMES
        ))
    })
}

/// The text of the `///` comments, as one description.
pub fn doc(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            let line = s.value();
            lines.push(
                line.strip_prefix(' ')
                    .unwrap_or(&line)
                    .trim_end()
                    .to_owned(),
            );
        }
    }
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// What `#[serde(...)]` and `#[message(...)]` say of the type.
pub struct Container {
    pub name: Option<String>,
    pub rename_all: Option<Case>,
    pub rename_all_fields: Option<Case>,
    pub deny_unknown_fields: bool,
    pub default: bool,
    pub tag: Option<String>,
    pub content: Option<String>,
    pub untagged: bool,
    pub transparent: bool,
    pub doc: Option<String>,
    pub krate: TokenStream,
}

/// Reads every `#[serde(...)]` key of `attrs`, `rename` into the names
/// `what` goes by and the others through `key`, which says whether it
/// knew the key: one it did not is serde's business only, and skipped.
fn serde_keys(
    attrs: &[Attribute],
    what: &str,
    mut key: impl FnMut(&str, &ParseNestedMeta<'_>) -> Result<bool>,
) -> Result<Option<String>> {
    let mut names = Names::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let k = meta.path.to_token_stream().to_string();
            if k == "rename" {
                names.read(&meta)
            } else if key(&k, &meta)? {
                Ok(())
            } else {
                skip_value(&meta)
            }
        })?;
    }
    names.single(what)
}

/// The `#[message(...)]` attributes of `attrs`.
fn message_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("message"))
}

impl Container {
    pub fn read(attrs: &[Attribute]) -> Result<Container> {
        let mut c = Container {
            name: None,
            rename_all: None,
            rename_all_fields: None,
            deny_unknown_fields: false,
            default: false,
            tag: None,
            content: None,
            untagged: false,
            transparent: false,
            doc: doc(attrs),
            krate: quote!(::faststream),
        };
        c.name = serde_keys(attrs, "type", |key, meta| {
            match key {
                "rename_all" => c.rename_all = Some(case(meta)?),
                "rename_all_fields" => c.rename_all_fields = Some(case(meta)?),
                "deny_unknown_fields" => c.deny_unknown_fields = true,
                "default" => {
                    skip_value(meta)?;
                    c.default = true;
                }
                "tag" => c.tag = Some(meta.value()?.parse::<LitStr>()?.value()),
                "content" => c.content = Some(meta.value()?.parse::<LitStr>()?.value()),
                "untagged" => c.untagged = true,
                "transparent" => c.transparent = true,
                "from" | "try_from" | "into" | "remote" => {
                    return Err(meta.error(format!(
                        "faststream::Message cannot describe `#[serde({key})]`: the type reads \
                         or writes as another one; derive Message on that type and implement \
                         Describe and Validate for this one by hand"
                    )));
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        for attr in message_attrs(attrs) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    let path: LitStr = meta.value()?.parse()?;
                    c.krate = path.parse::<syn::Path>()?.to_token_stream();
                    Ok(())
                } else {
                    Err(meta.error(
                        "on a type, `#[message(...)]` takes `crate = \"path\"` only; \
                         constraints go on fields",
                    ))
                }
            })?;
        }
        Ok(c)
    }
}

/// What the attributes say of one field.
pub struct FieldAttrs {
    pub name: Option<String>,
    pub aliases: Vec<String>,
    pub default: bool,
    pub skip: bool,
    pub flatten: bool,
    pub doc: Option<String>,
    pub constraints: Constraints,
}

impl FieldAttrs {
    pub fn read(attrs: &[Attribute]) -> Result<FieldAttrs> {
        let mut f = FieldAttrs {
            name: None,
            aliases: Vec::new(),
            default: false,
            skip: false,
            flatten: false,
            doc: doc(attrs),
            constraints: Constraints::default(),
        };
        f.name = serde_keys(attrs, "field", |key, meta| {
            match key {
                "alias" => f.aliases.push(meta.value()?.parse::<LitStr>()?.value()),
                "default" => {
                    skip_value(meta)?;
                    f.default = true;
                }
                "skip" | "skip_deserializing" => f.skip = true,
                "flatten" => f.flatten = true,
                "with" | "deserialize_with" | "serialize_with" => {
                    return Err(meta.error(format!(
                        "faststream::Message cannot describe a field read or written by \
                         `#[serde({key})]`: wrap the field's type in a newtype that implements \
                         Serialize, Deserialize, Describe and Validate"
                    )));
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        for attr in message_attrs(attrs) {
            f.constraints.read(attr)?;
        }
        Ok(f)
    }
}

/// What the attributes say of one enum variant.
pub struct VariantAttrs {
    pub name: Option<String>,
    pub aliases: Vec<String>,
    pub skip: bool,
    pub other: bool,
    pub untagged: bool,
    pub rename_all: Option<Case>,
    pub doc: Option<String>,
}

impl VariantAttrs {
    pub fn read(attrs: &[Attribute]) -> Result<VariantAttrs> {
        let mut v = VariantAttrs {
            name: None,
            aliases: Vec::new(),
            skip: false,
            other: false,
            untagged: false,
            rename_all: None,
            doc: doc(attrs),
        };
        if let Some(attr) = message_attrs(attrs).next() {
            return Err(Error::new(
                attr.span(),
                "`#[message(...)]` constraints go on fields, not on variants",
            ));
        }
        v.name = serde_keys(attrs, "variant", |key, meta| {
            match key {
                "alias" => v.aliases.push(meta.value()?.parse::<LitStr>()?.value()),
                "skip" | "skip_deserializing" => v.skip = true,
                "other" => v.other = true,
                "untagged" => v.untagged = true,
                "rename_all" => v.rename_all = Some(case(meta)?),
                "with" | "deserialize_with" | "serialize_with" => {
                    return Err(meta.error(
                        "faststream::Message cannot describe a variant read or written by \
                         a function of its own: implement Describe and Validate by hand",
                    ));
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(v)
    }
}

/// A number written in an attribute: its JSON form and its value.
#[derive(Clone)]
pub struct Number {
    pub json: TokenStream,
    pub value: f64,
}

/// A JSON value written in an attribute (`example = ...`).
fn json_literal(expr: &Expr) -> Result<TokenStream> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.to_token_stream()),
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.to_token_stream()),
        _ => number(expr).map(|n| n.json),
    }
}

fn number(expr: &Expr) -> Result<Number> {
    let (negative, lit) = match expr {
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => (true, &**expr),
        other => (false, other),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    match lit {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            let magnitude: u64 = i.base10_parse()?;
            #[allow(clippy::cast_precision_loss)]
            let value = sign * magnitude as f64;
            let json = if negative {
                let v = i64::try_from(magnitude)
                    .map_err(|_| Error::new(i.span(), "out of range"))?
                    .checked_neg()
                    .ok_or_else(|| Error::new(i.span(), "out of range"))?;
                Literal::i64_unsuffixed(v).to_token_stream()
            } else {
                Literal::u64_unsuffixed(magnitude).to_token_stream()
            };
            Ok(Number { json, value })
        }
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => {
            let value = sign * f.base10_parse::<f64>()?;
            Ok(Number {
                json: Literal::f64_unsuffixed(value).to_token_stream(),
                value,
            })
        }
        _ => Err(Error::new(expr.span(), "expected a number")),
    }
}

/// A field's `#[message(...)]` constraints, by their JSON Schema names.
#[derive(Default)]
pub struct Constraints {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<LitStr>,
    pub format: Option<LitStr>,
    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
    pub exclusive_minimum: Option<Number>,
    pub exclusive_maximum: Option<Number>,
    pub multiple_of: Option<Number>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub unique_items: bool,
    pub min_properties: Option<usize>,
    pub max_properties: Option<usize>,
    pub examples: Vec<TokenStream>,
}

/// The formats the runtime checks, with the rule that checks each.
pub const FORMATS: [(&str, &str); 6] = [
    ("email", "email"),
    ("uri", "uri"),
    ("date-time", "date_time"),
    ("date", "date"),
    ("time", "time"),
    ("uuid", "uuid"),
];

impl Constraints {
    fn read(&mut self, attr: &Attribute) -> Result<()> {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let count = |meta: &ParseNestedMeta<'_>| -> Result<Option<usize>> {
                Ok(Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?))
            };
            let num = |meta: &ParseNestedMeta<'_>| -> Result<Option<Number>> {
                Ok(Some(number(&meta.value()?.parse::<Expr>()?)?))
            };
            match key.as_str() {
                "min_length" => self.min_length = count(&meta)?,
                "max_length" => self.max_length = count(&meta)?,
                "min_items" => self.min_items = count(&meta)?,
                "max_items" => self.max_items = count(&meta)?,
                "min_properties" => self.min_properties = count(&meta)?,
                "max_properties" => self.max_properties = count(&meta)?,
                "minimum" => self.minimum = num(&meta)?,
                "maximum" => self.maximum = num(&meta)?,
                "exclusive_minimum" => self.exclusive_minimum = num(&meta)?,
                "exclusive_maximum" => self.exclusive_maximum = num(&meta)?,
                "multiple_of" => {
                    let n = num(&meta)?;
                    if n.as_ref().is_some_and(|n| n.value <= 0.0) {
                        return Err(meta.error("`multiple_of` must be greater than 0"));
                    }
                    self.multiple_of = n;
                }
                "unique_items" => {
                    self.unique_items = if meta.input.peek(Token![=]) {
                        meta.value()?.parse::<syn::LitBool>()?.value
                    } else {
                        true
                    };
                }
                "pattern" => self.pattern = Some(meta.value()?.parse()?),
                "format" => {
                    let format: LitStr = meta.value()?.parse()?;
                    if !FORMATS.iter().any(|(f, _)| *f == format.value()) {
                        return Err(Error::new(
                            format.span(),
                            format!(
                                "faststream::Message checks the formats {}; `{}` is not one of \
                                 them (a chrono or uuid field type carries its format already)",
                                FORMATS
                                    .iter()
                                    .map(|(f, _)| format!("`{f}`"))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                format.value()
                            ),
                        ));
                    }
                    self.format = Some(format);
                }
                "example" => {
                    let expr: Expr = meta.value()?.parse()?;
                    self.examples.push(json_literal(&expr)?);
                }
                _ => {
                    return Err(meta.error(
                        "unknown constraint: expected one of min_length, max_length, pattern, \
                         format, minimum, maximum, exclusive_minimum, exclusive_maximum, \
                         multiple_of, min_items, max_items, unique_items, min_properties, \
                         max_properties, example",
                    ));
                }
            }
            Ok(())
        })
    }
}
