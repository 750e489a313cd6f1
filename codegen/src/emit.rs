//! Rendering: the type graph and the lowered document -> Rust source, with
//! `quote!`, parsed by `syn` and formatted by `prettyplease`. A broken
//! template fails here, at generation time, never in the user's build.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::lower::{ChannelIr, Ir};
use crate::settings::{MapType, Settings};
use crate::types::{
    Additional, Constraints, DefKind, Field, FormatCheck, Int, Literal as EnumLiteral, Ty, TypeDef,
};

/// Lints generated code cannot always avoid.
const ALLOWS: &str = "#![allow(dead_code, unused_imports, clippy::all, clippy::pedantic, clippy::nursery, rustdoc::all)]";

pub(crate) fn ident(name: &str) -> syn::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => syn::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => format_ident!("{}", name),
    }
}

struct Ctx<'a> {
    rt: TokenStream,
    settings: &'a Settings,
    defs: &'a [TypeDef],
    /// Path prefix from the current module to `models`.
    models: TokenStream,
}

impl Ctx<'_> {
    fn ty(&self, ty: &Ty) -> TokenStream {
        let rt = &self.rt;
        match ty {
            Ty::Unit => quote!(()),
            Ty::Bool => quote!(bool),
            Ty::Int(i) => match i {
                Int::I8 => quote!(i8),
                Int::I16 => quote!(i16),
                Int::I32 => quote!(i32),
                Int::I64 => quote!(i64),
                Int::U8 => quote!(u8),
                Int::U16 => quote!(u16),
                Int::U32 => quote!(u32),
                Int::U64 => quote!(u64),
            },
            Ty::F32 => quote!(f32),
            Ty::F64 => quote!(f64),
            Ty::String => quote!(String),
            Ty::DateTime => quote!(#rt::chrono::DateTime<#rt::chrono::FixedOffset>),
            Ty::Date => quote!(#rt::chrono::NaiveDate),
            Ty::Uuid => quote!(#rt::uuid::Uuid),
            Ty::Bytes => quote!(#rt::Base64),
            Ty::Value => quote!(#rt::Value),
            Ty::Vec(t) => {
                let t = self.ty(t);
                quote!(Vec<#t>)
            }
            Ty::Map(t) => {
                let t = self.ty(t);
                match self.settings.map_type {
                    MapType::BTreeMap => quote!(#rt::Map<String, #t>),
                    MapType::HashMap => quote!(::std::collections::HashMap<String, #t>),
                }
            }
            Ty::Option(t) => {
                let t = self.ty(t);
                quote!(Option<#t>)
            }
            Ty::Box(t) => {
                let t = self.ty(t);
                quote!(Box<#t>)
            }
            Ty::Tuple(ts) => {
                let ts = ts.iter().map(|t| self.ty(t));
                quote!((#(#ts,)*))
            }
            Ty::Named(id) => {
                let name = ident(&self.defs[id.0].name);
                let models = &self.models;
                quote!(#models #name)
            }
        }
    }

    /// The derives the settings add to every type.
    fn user_derives(&self) -> Vec<TokenStream> {
        self.settings
            .extra_derives
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect()
    }

    fn derives(&self, extra: TokenStream) -> TokenStream {
        let rt = &self.rt;
        let user = self.user_derives();
        quote!(#[derive(Debug, Clone, PartialEq, #extra #rt::serde::Serialize, #rt::serde::Deserialize #(, #user)*)])
    }

    /// The derives of a type whose serde impls are written by hand.
    fn plain_derives(&self, default: bool, serialize: bool) -> TokenStream {
        let user = self.user_derives();
        let default = default.then(|| quote!(, Default));
        let rt = &self.rt;
        let serialize = serialize.then(|| quote!(, #rt::serde::Serialize));
        quote!(#[derive(Debug, Clone, PartialEq #default #serialize #(, #user)*)])
    }

    fn serde_crate(&self) -> TokenStream {
        quote!(#[serde(crate = "__rt::serde")])
    }

    /// Whether a value of this type can hold something to validate.
    fn needs_validate(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Named(id) => match &self.defs[id.0].kind {
                DefKind::StringEnum(_) | DefKind::ValueEnum(_) => false,
                DefKind::Alias(t) => self.needs_validate(t),
                _ => true,
            },
            Ty::Vec(t) | Ty::Map(t) | Ty::Option(t) | Ty::Box(t) => self.needs_validate(t),
            Ty::Tuple(ts) => ts.iter().any(|t| self.needs_validate(t)),
            _ => false,
        }
    }
}

/// Whether a field's type holds a formatted type (read through
/// `formatted`): date-time, date or uuid, bare or in options, boxes,
/// arrays and maps.
fn has_formatted(ty: &Ty, defs: &[TypeDef]) -> bool {
    match ty {
        Ty::DateTime | Ty::Date | Ty::Uuid => true,
        Ty::Option(t) | Ty::Box(t) | Ty::Vec(t) | Ty::Map(t) => has_formatted(t, defs),
        // An alias is the type it names.
        Ty::Named(id) => match defs.get(id.0).map(|d| &d.kind) {
            Some(DefKind::Alias(t)) => has_formatted(t, defs),
            _ => false,
        },
        _ => false,
    }
}

pub(crate) fn docs(doc: Option<&str>) -> TokenStream {
    let Some(doc) = doc else {
        return TokenStream::new();
    };
    let lines = doc.lines().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

fn f64_lit(x: f64) -> Literal {
    Literal::f64_suffixed(x)
}

fn usize_lit(x: u64) -> Literal {
    Literal::usize_unsuffixed(usize::try_from(x).unwrap_or(usize::MAX))
}

/// Checks for the constraints on one value `v` (a reference) of type `ty`.
fn checks(ctx: &Ctx<'_>, ty: &Ty, c: &Constraints, path: &TokenStream) -> TokenStream {
    let rt = &ctx.rt;
    let mut out = Vec::new();
    match ty.peel() {
        Ty::String => {
            if let Some(n) = c.min_length {
                let n = usize_lit(n);
                out.push(quote!(#rt::rules::min_length(v, #n, #path, errors);));
            }
            if let Some(n) = c.max_length {
                let n = usize_lit(n);
                out.push(quote!(#rt::rules::max_length(v, #n, #path, errors);));
            }
            // ECMA-262's meaning in regex_lite's syntax; a pattern it
            // cannot say was reported when the types were built.
            if let Some(source) = &c.pattern
                && let Some(regex) = faststream_asyncapi::ecma::to_rust(source)
            {
                let lazy = if regex == *source {
                    quote!(#rt::LazyRegex::new(#source))
                } else {
                    quote!(#rt::LazyRegex::translated(#source, #regex))
                };
                out.push(quote!({
                    static PATTERN: #rt::LazyRegex = #lazy;
                    #rt::rules::pattern(v, &PATTERN, #path, errors);
                }));
            }
            match c.format {
                Some(FormatCheck::Email) => out.push(quote!(#rt::rules::email(v, #path, errors);)),
                Some(FormatCheck::Uri) => out.push(quote!(#rt::rules::uri(v, #path, errors);)),
                Some(FormatCheck::DateTime) => {
                    out.push(quote!(#rt::rules::date_time(v, #path, errors);));
                }
                Some(FormatCheck::Date) => out.push(quote!(#rt::rules::date(v, #path, errors);)),
                Some(FormatCheck::Time) => out.push(quote!(#rt::rules::time(v, #path, errors);)),
                None => {}
            }
            if let Some(k) = &c.const_str {
                out.push(quote!(#rt::rules::constant(&v.as_str(), &#k, #path, errors);));
            }
        }
        Ty::Int(_) | Ty::F32 | Ty::F64 => {
            for (value, rule) in [
                (c.minimum, quote!(minimum)),
                (c.maximum, quote!(maximum)),
                (c.exclusive_minimum, quote!(exclusive_minimum)),
                (c.exclusive_maximum, quote!(exclusive_maximum)),
                (c.multiple_of, quote!(multiple_of)),
            ] {
                if let Some(x) = value {
                    let x = f64_lit(x);
                    out.push(quote!(#rt::rules::#rule(*v, #x, #path, errors);));
                }
            }
        }
        Ty::Vec(_) => {
            if let Some(n) = c.min_items {
                let n = usize_lit(n);
                out.push(quote!(#rt::rules::min_items(v.len(), #n, #path, errors);));
            }
            if let Some(n) = c.max_items {
                let n = usize_lit(n);
                out.push(quote!(#rt::rules::max_items(v.len(), #n, #path, errors);));
            }
            if c.unique_items {
                out.push(quote!(#rt::rules::unique_items(v, #path, errors);));
            }
            if let Some(positions) = &c.positions {
                for (i, item) in positions.items.iter().enumerate() {
                    let ty = ctx.ty(item);
                    let i = usize_lit(i as u64);
                    out.push(quote!(if let Some(item) = v.get(#i) {
                        #rt::rules::item_as::<#ty>(item, &#path.index(#i), errors);
                    }));
                }
                if let Some(rest) = &positions.rest {
                    let ty = ctx.ty(rest);
                    let n = usize_lit(positions.items.len() as u64);
                    out.push(quote!(for (i, item) in v.iter().enumerate().skip(#n) {
                        #rt::rules::item_as::<#ty>(item, &#path.index(i), errors);
                    }));
                }
            }
        }
        Ty::Value if c.not_types.is_some() => {
            let types = c
                .not_types
                .as_deref()
                .map(Vec::as_slice)
                .unwrap_or_default();
            out.push(quote!(#rt::rules::not_type(v, &[#(#types),*], #path, errors);));
        }
        Ty::Map(_) => {
            if let Some(n) = c.min_properties {
                let n = usize_lit(n);
                out.push(quote!(#rt::rules::min_properties(v.len(), #n, #path, errors);));
            }
            if let Some(n) = c.max_properties {
                let n = usize_lit(n);
                out.push(quote!(#rt::rules::max_properties(v.len(), #n, #path, errors);));
            }
        }
        _ => {}
    }
    if out.is_empty() {
        return TokenStream::new();
    }
    // Box and Option are peeled: `v` is the inner value.
    match ty {
        Ty::Option(inner) if matches!(**inner, Ty::Box(_)) => {
            quote!(if let Some(v) = v { let v = &**v; #(#out)* })
        }
        Ty::Option(_) => quote!(if let Some(v) = v { #(#out)* }),
        Ty::Box(_) => quote!({ let v = &**v; #(#out)* }),
        _ => quote!(#(#out)*),
    }
}

fn emit_struct(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    all_fields: &[Field],
    additional: &Additional,
) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let serde_crate = ctx.serde_crate();
    let deny =
        matches!(additional, Additional::Deny).then(|| quote!(#[serde(deny_unknown_fields)]));
    // Constant properties are not fields: encoding writes them, decoding
    // checks them.
    let (constants, fields): (Vec<&Field>, Vec<&Field>) =
        all_fields.iter().partition(|f| f.constant.is_some());
    let mut defaults = Vec::new();
    let mut validations = Vec::new();
    // (field, its serde attributes, its type) for the struct and, with
    // constants, the wire structs.
    let mut parts = Vec::new();
    for &f in &fields {
        let fname = ident(&f.name);
        let ty = ctx.ty(&f.ty);
        let wire = &f.wire;
        let plain = f.name.trim_start_matches("r#");
        let rename = (plain != wire).then(|| quote!(#[serde(rename = #wire)]));
        // Formats (date-time, date, uuid) are read in their one form.
        let rt_path = &ctx.settings.runtime_path;
        let formatted = has_formatted(&f.ty, ctx.defs);
        let with = |name: &str| {
            let with = format!("{rt_path}::{name}");
            quote!(deserialize_with = #with)
        };
        let optional = if let Some(d) = &f.default {
            let fn_name = format_ident!("__default_{}", plain);
            let value = default_expr(ctx, &f.ty, d);
            defaults.push(quote!(
                #[doc(hidden)]
                pub fn #fn_name() -> #ty { #value }
            ));
            let path = format!("{}::{}", def.name, fn_name);
            let with = formatted.then(|| with("formatted"));
            quote!(#[serde(default = #path, #with)])
        } else if f.ty.is_option() && !f.required && f.nullable {
            let with = formatted.then(|| with("formatted"));
            quote!(#[serde(default, skip_serializing_if = "Option::is_none", #with)])
        } else if f.ty.is_option() && !f.required {
            // Absent is `None`; `null` the schema does not allow.
            let with = with(if formatted {
                "formatted_not_null"
            } else {
                "not_null"
            });
            quote!(#[serde(default, skip_serializing_if = "Option::is_none", #with)])
        } else if f.ty.is_option() {
            // Required, and `null` allowed: present, maybe `null`.
            let with = with(if formatted { "formatted" } else { "nullable" });
            quote!(#[serde(#with)])
        } else if formatted {
            let with = with("formatted");
            quote!(#[serde(#with)])
        } else {
            TokenStream::new()
        };
        let path = quote!(&path.field(#wire));
        let check = checks(ctx, &f.ty, &f.constraints, &quote!(p));
        let check = if check.is_empty() {
            TokenStream::new()
        } else {
            quote!({ let p = #path; let v = &self.#fname; #check })
        };
        let nested = ctx
            .needs_validate(&f.ty)
            .then(|| quote!(#rt::Validate::validate_at(&self.#fname, #path, errors);));
        if !check.is_empty() || nested.is_some() {
            validations.push(quote!(#check #nested));
        }
        parts.push((f, fname, quote!(#rename #optional), ty));
    }
    let serde_derives = constants.is_empty();
    // One constant: `Serialize` is derived with the constant as serde's
    // struct tag (written first); decoding goes through the wire struct.
    let tag = match constants.as_slice() {
        [c] => Some((c.wire.as_str(), c.constant.as_deref().unwrap_or_default())),
        _ => None,
    };
    let serialize_derive = serde_derives || tag.is_some();
    let members = parts.iter().map(|(f, fname, attrs, ty)| {
        let fdoc = docs(f.doc.as_deref());
        let attrs = serialize_derive.then_some(attrs);
        quote!(#fdoc #attrs pub #fname: #ty,)
    });
    let extra_field = match additional {
        Additional::Keep { field, ty } => {
            let f = ident(field);
            let map = ctx.ty(&Ty::Map(Box::new(ty.clone())));
            if ctx.needs_validate(ty) {
                validations.push(quote!(#rt::Validate::validate_at(&self.#f, path, errors);));
            }
            Some((f, map))
        }
        _ => None,
    };
    let extra = extra_field.as_ref().map(|(f, map)| {
        let flatten = serialize_derive.then(|| quote!(#[serde(flatten)]));
        quote!(
            /// Fields the schema does not name, kept as they came.
            #flatten
            pub #f: #map,
        )
    });
    let defaults_impl = (!defaults.is_empty()).then(|| quote!(impl #name { #(#defaults)* }));
    // Every field optional or defaulted: `Default` gives what decoding
    // `{}` gives (each default filled in), unless the user derives it.
    let all_optional = fields
        .iter()
        .all(|f| f.default.is_some() || (f.ty.is_option() && !f.required));
    let user_default = ctx
        .settings
        .extra_derives
        .iter()
        .any(|d| d.trim() == "Default");
    let derive_default =
        all_optional && !user_default && fields.iter().all(|f| f.default.is_none());
    let derives = match (derive_default, serde_derives) {
        (true, true) => ctx.derives(quote!(Default,)),
        (false, true) => ctx.derives(TokenStream::new()),
        (d, false) => ctx.plain_derives(d, tag.is_some()),
    };
    let default_impl = (all_optional && !user_default && !derive_default).then(|| {
        let inits = fields.iter().map(|f| {
            let fname = ident(&f.name);
            match &f.default {
                Some(_) => {
                    let fn_name = format_ident!("__default_{}", f.name.trim_start_matches("r#"));
                    quote!(#fname: Self::#fn_name(),)
                }
                None => quote!(#fname: None,),
            }
        });
        let extra_init = extra_field
            .as_ref()
            .map(|(f, _)| quote!(#f: ::std::default::Default::default(),));
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self {
                    Self { #(#inits)* #extra_init }
                }
            }
        }
    });
    let path_arg = if validations.is_empty() {
        quote!(_path)
    } else {
        quote!(path)
    };
    let errors_arg = if validations.is_empty() {
        quote!(_errors)
    } else {
        quote!(errors)
    };
    let struct_serde = if serde_derives {
        Some(quote!(#serde_crate #deny))
    } else {
        tag.map(
            |(wire, value)| quote!(#serde_crate #[serde(tag = #wire, rename(serialize = #value))]),
        )
    };
    let wire = (!serde_derives).then(|| {
        constant_wire(
            ctx,
            &name,
            &constants,
            &parts,
            extra_field.as_ref(),
            deny.as_ref(),
            tag.is_none(),
        )
    });
    let constant_consts = constants.iter().map(|c| {
        let value = c.constant.as_deref().unwrap_or_default();
        let cname = format_ident!(
            "{}",
            crate::ident::field_name(&c.wire, "constant")
                .trim_start_matches("r#")
                .to_ascii_uppercase()
        );
        let cdoc = format!(
            " `{}` on the wire: always `{value}` (written on encode, checked on decode).",
            c.wire
        );
        quote!(#[doc = #cdoc] pub const #cname: &'static str = #value;)
    });
    let constants_impl =
        (!constants.is_empty()).then(|| quote!(impl #name { #(#constant_consts)* }));
    quote! {
        #doc
        #derives
        #struct_serde
        pub struct #name {
            #(#members)*
            #extra
        }
        #defaults_impl
        #constants_impl
        #default_impl
        #wire
        impl #rt::Validate for #name {
            fn validate_at(&self, #path_arg: &#rt::Path<'_>, #errors_arg: &mut Vec<#rt::ValidationError>) {
                #(#validations)*
            }
        }
    }
}

/// Serialize and Deserialize of a struct with constant properties, through
/// wire structs that hold them: encoding writes each constant, decoding
/// refuses any other value.
fn constant_wire(
    ctx: &Ctx<'_>,
    name: &syn::Ident,
    constants: &[&Field],
    parts: &[(&Field, syn::Ident, TokenStream, TokenStream)],
    extra: Option<&(syn::Ident, TokenStream)>,
    deny: Option<&TokenStream>,
    serialize: bool,
) -> TokenStream {
    let rt = &ctx.rt;
    let serde_crate = ctx.serde_crate();
    let const_idents: Vec<syn::Ident> = (0..constants.len())
        .map(|i| format_ident!("__constant_{}", i))
        .collect();
    let check_fns: Vec<syn::Ident> = (0..constants.len())
        .map(|i| format_ident!("__check_constant_{}", i))
        .collect();
    let const_values: Vec<&str> = constants
        .iter()
        .map(|c| c.constant.as_deref().unwrap_or_default())
        .collect();
    let const_wires: Vec<&str> = constants.iter().map(|c| c.wire.as_str()).collect();
    let de_consts = constants
        .iter()
        .zip(&const_idents)
        .zip(&check_fns)
        .map(|((c, id), check)| {
            let wire = &c.wire;
            let check = check.to_string();
            let default = (!c.required).then(|| quote!(default,));
            quote!(#[serde(rename = #wire, #default deserialize_with = #check)] #id: (),)
        });
    let ser_consts = constants.iter().zip(&const_idents).map(|(c, id)| {
        let wire = &c.wire;
        quote!(#[serde(rename = #wire)] #id: &'static str,)
    });
    let de_fields = parts
        .iter()
        .map(|(_, f, attrs, ty)| quote!(#attrs #f: #ty,));
    let ser_fields = parts.iter().map(|(field, f, attrs, ty)| {
        if field.default.is_none() && field.ty.is_option() && !field.required {
            let inner = match &field.ty {
                Ty::Option(t) => ctx.ty(t),
                _ => ty.clone(),
            };
            quote!(#attrs #f: Option<&'a #inner>,)
        } else {
            quote!(#attrs #f: &'a #ty,)
        }
    });
    let field_names: Vec<&syn::Ident> = parts.iter().map(|(_, f, _, _)| f).collect();
    let ser_inits = parts.iter().map(|(field, f, _, _)| {
        if field.default.is_none() && field.ty.is_option() && !field.required {
            quote!(#f: self.#f.as_ref(),)
        } else {
            quote!(#f: &self.#f,)
        }
    });
    let (de_extra, ser_extra, extra_move, extra_ref) = match extra {
        Some((f, map)) => (
            quote!(#[serde(flatten)] #f: #map,),
            quote!(#[serde(flatten)] #f: &'a #map,),
            quote!(#f: wire.#f,),
            quote!(#f: &self.#f,),
        ),
        None => Default::default(),
    };
    let wire_var = if parts.is_empty() && extra.is_none() {
        quote!(_)
    } else {
        quote!(wire)
    };
    // A wire struct of constants only borrows nothing.
    let lifetime = (!parts.is_empty() || extra.is_some()).then(|| quote!(<'a>));
    let encode = serialize.then(|| {
        quote! {
            #[derive(#rt::serde::Serialize)]
            #serde_crate
            struct WireRef #lifetime {
                #(#ser_consts)*
                #(#ser_fields)*
                #ser_extra
            }
            impl #rt::serde::Serialize for #name {
                fn serialize<S: #rt::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    #rt::serde::Serialize::serialize(
                        &WireRef { #(#const_idents: #const_values,)* #(#ser_inits)* #extra_ref },
                        serializer,
                    )
                }
            }
        }
    });
    quote! {
        const _: () = {
            #[derive(#rt::serde::Deserialize)]
            #serde_crate
            #deny
            struct Wire {
                #(#de_consts)*
                #(#de_fields)*
                #de_extra
            }
            #(
                fn #check_fns<'de, D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
                    #rt::expect_constant(deserializer, #const_wires, #const_values)
                }
            )*
            impl<'de> #rt::serde::Deserialize<'de> for #name {
                fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let #wire_var = <Wire as #rt::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self { #(#field_names: wire.#field_names,)* #extra_move })
                }
            }
            #encode
        };
    }
}

/// The variant of a string enum that stands for `value`.
fn enum_literal<'a>(ctx: &Ctx<'a>, id: crate::types::TypeId, value: &str) -> Option<&'a str> {
    match &ctx.defs[id.0].kind {
        DefKind::StringEnum(lits) => lits
            .iter()
            .find(|l| l.value.as_str() == Some(value))
            .map(|l| l.name.as_str()),
        _ => None,
    }
}

/// The expression of a default value of type `ty` (checked to fit by
/// `types::default_fits`): a literal where Rust has one, else the JSON
/// decoded once, when the default is needed.
fn default_expr(ctx: &Ctx<'_>, ty: &Ty, d: &Value) -> TokenStream {
    let rt = &ctx.rt;
    match (ty, d) {
        (Ty::Option(_), Value::Null) => quote!(None),
        (Ty::Option(inner), d) => {
            let inner = default_expr(ctx, inner, d);
            quote!(Some(#inner))
        }
        (Ty::Box(inner), d) => {
            let inner = default_expr(ctx, inner, d);
            quote!(Box::new(#inner))
        }
        (Ty::String, Value::String(s)) => quote!(String::from(#s)),
        (Ty::Bool, Value::Bool(b)) => quote!(#b),
        (Ty::Int(_), Value::Number(n)) => {
            let lit: TokenStream = n.to_string().parse().unwrap_or_else(|_| quote!(0));
            quote!(#lit)
        }
        (Ty::F32 | Ty::F64, Value::Number(n)) => {
            let lit = Literal::f64_unsuffixed(n.as_f64().unwrap_or_default());
            quote!(#lit)
        }
        (Ty::Vec(_), Value::Array(items)) if items.is_empty() => quote!(Vec::new()),
        (Ty::Map(_), Value::Object(m)) if m.is_empty() => {
            quote!(::std::default::Default::default())
        }
        (Ty::Named(id), Value::String(s)) if enum_literal(ctx, *id, s).is_some() => {
            let name = ident(&ctx.defs[id.0].name);
            let v = enum_literal(ctx, *id, s).map(ident);
            let models = &ctx.models;
            quote!(#models #name::#v)
        }
        _ => {
            let json = d.to_string();
            quote!(#rt::default_from_json(#json))
        }
    }
}

fn emit_string_enum(ctx: &Ctx<'_>, def: &TypeDef, lits: &[EnumLiteral]) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let derives = ctx.derives(quote!(Copy, Eq, Hash, PartialOrd, Ord,));
    let serde_crate = ctx.serde_crate();
    let variants = lits.iter().map(|l| {
        let v = ident(&l.name);
        let wire = l.value.as_str().unwrap_or_default();
        quote!(#[serde(rename = #wire)] #v,)
    });
    let arms = lits.iter().map(|l| {
        let v = ident(&l.name);
        let wire = l.value.as_str().unwrap_or_default();
        quote!(Self::#v => #wire,)
    });
    quote! {
        #doc
        #derives
        #serde_crate
        pub enum #name { #(#variants)* }
        impl #name {
            /// The value on the wire.
            pub fn as_str(&self) -> &'static str {
                match self { #(#arms)* }
            }
        }
        impl #rt::Validate for #name {
            fn validate_at(&self, _path: &#rt::Path<'_>, _errors: &mut Vec<#rt::ValidationError>) {}
        }
    }
}

fn emit_value_enum(ctx: &Ctx<'_>, def: &TypeDef, lits: &[EnumLiteral]) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let user = ctx.user_derives();
    let variants = lits.iter().map(|l| {
        let v = ident(&l.name);
        let shown = format!(" `{}`", l.value);
        quote!(#[doc = #shown] #v,)
    });
    let to_value = lits.iter().map(|l| {
        let v = ident(&l.name);
        let json = l.value.to_string();
        quote!(Self::#v => #rt::serde_json::from_str(#json).unwrap_or_default(),)
    });
    let from_value = lits.iter().map(|l| {
        let v = ident(&l.name);
        let json = l.value.to_string();
        quote!(if value == #rt::serde_json::from_str::<#rt::Value>(#json).unwrap_or_default() {
            return Ok(Self::#v);
        })
    });
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash #(, #user)*)]
        pub enum #name { #(#variants)* }
        impl #name {
            /// The value on the wire.
            pub fn to_value(&self) -> #rt::Value {
                match self { #(#to_value)* }
            }
        }
        impl #rt::serde::Serialize for #name {
            fn serialize<S: #rt::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #rt::serde::Serialize::serialize(&self.to_value(), serializer)
            }
        }
        impl<'de> #rt::serde::Deserialize<'de> for #name {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <#rt::Value as #rt::serde::Deserialize>::deserialize(deserializer)?;
                #(#from_value)*
                Err(<D::Error as #rt::serde::de::Error>::custom(
                    ::std::format!("unexpected value {value}"),
                ))
            }
        }
        impl #rt::Validate for #name {
            fn validate_at(&self, _path: &#rt::Path<'_>, _errors: &mut Vec<#rt::ValidationError>) {}
        }
    }
}

/// A tagged (`tag`) or untagged union. Serialize is derived; Deserialize
/// reads a JSON value and hands it to the runtime's union readers, which
/// read each variant strictly and (untagged) choose by the schema's rule.
fn emit_enum(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    tag: Option<&str>,
    variants: &[crate::types::Variant],
    one_of: bool,
) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let derives = ctx.plain_derives(false, true);
    let serde_crate = ctx.serde_crate();
    let repr = match tag {
        Some(t) => quote!(#[serde(tag = #t)]),
        None => quote!(#[serde(untagged)]),
    };
    let members = variants.iter().map(|v| {
        let vname = ident(&v.name);
        let ty = ctx.ty(&v.ty);
        let vdoc = docs(v.doc.as_deref());
        let rename = v.wire.as_ref().map(|w| quote!(#[serde(rename = #w)]));
        quote!(#vdoc #rename #vname(#ty),)
    });
    let arms = variants.iter().map(|v| {
        let vname = ident(&v.name);
        quote!(Self::#vname(v) => #rt::Validate::validate_at(v, path, errors),)
    });
    // Tagged: the tag picks the variant, which is decoded only (the
    // union's own `validate` checks it after). Untagged: a variant matches
    // when it decodes and validates.
    let read = if tag.is_some() {
        quote!(#rt::decoded)
    } else {
        quote!(#rt::variant)
    };
    let readers = variants.iter().map(|v| {
        let vname = ident(&v.name);
        let key = v.wire.as_deref().unwrap_or(&v.name);
        quote!((#key, |v| #read(v).map(Self::#vname)),)
    });
    let wire_name = &def.name;
    let decide = match tag {
        Some(t) => quote!(#rt::tagged::<Self>(value, #wire_name, #t, &[#(#readers)*])),
        None => quote!(#rt::untagged::<Self>(&value, #wire_name, #one_of, &[#(#readers)*])),
    };
    quote! {
        #doc
        #derives
        #serde_crate
        #repr
        pub enum #name { #(#members)* }
        impl<'de> #rt::serde::Deserialize<'de> for #name {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <#rt::Value as #rt::serde::Deserialize>::deserialize(deserializer)?;
                #decide.map_err(<D::Error as #rt::serde::de::Error>::custom)
            }
        }
        impl #rt::Validate for #name {
            fn validate_at(&self, path: &#rt::Path<'_>, errors: &mut Vec<#rt::ValidationError>) {
                match self { #(#arms)* }
            }
        }
    }
}

fn emit_newtype(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    inner: &Ty,
    constraints: &Constraints,
) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let derives = ctx.derives(TokenStream::new());
    let serde_crate = ctx.serde_crate();
    let ty = ctx.ty(inner);
    let check = checks(ctx, inner, constraints, &quote!(path));
    let nested = ctx
        .needs_validate(inner)
        .then(|| quote!(#rt::Validate::validate_at(v, path, errors);));
    let (path_arg, errors_arg) = if check.is_empty() && nested.is_none() {
        (quote!(_path), quote!(_errors))
    } else {
        (quote!(path), quote!(errors))
    };
    let v_binding = if check.is_empty() && nested.is_none() {
        TokenStream::new()
    } else {
        quote!(let v = &self.0;)
    };
    quote! {
        #doc
        #derives
        #serde_crate
        #[serde(transparent)]
        pub struct #name(pub #ty);
        impl From<#ty> for #name {
            fn from(value: #ty) -> Self { Self(value) }
        }
        impl #rt::Validate for #name {
            fn validate_at(&self, #path_arg: &#rt::Path<'_>, #errors_arg: &mut Vec<#rt::ValidationError>) {
                #v_binding
                #check
                #nested
            }
        }
    }
}

fn emit_def(ctx: &Ctx<'_>, def: &TypeDef) -> TokenStream {
    let item = emit_def_item(ctx, def);
    if matches!(def.kind, DefKind::Alias(_)) {
        return item;
    }
    // The type describes itself with the schema it came from (for the
    // export, and for code-first routes that take generated types).
    let name = ident(&def.name);
    let rt = &ctx.rt;
    let pointer = &def.pointer;
    let schema_name = match def.pointer.strip_prefix("/components/schemas/") {
        Some(key) if !key.contains('/') => faststream_asyncapi::pointer::unescape(key),
        _ => def.name.clone(),
    };
    quote! {
        #item
        impl #rt::Describe for #name {
            fn describe(components: &mut #rt::SchemaComponents) -> #rt::Value {
                components.from_document(super::ASYNCAPI, #pointer, #schema_name)
            }
        }
    }
}

fn emit_def_item(ctx: &Ctx<'_>, def: &TypeDef) -> TokenStream {
    match &def.kind {
        DefKind::Struct { fields, additional } => emit_struct(ctx, def, fields, additional),
        DefKind::StringEnum(lits) => emit_string_enum(ctx, def, lits),
        DefKind::ValueEnum(lits) => emit_value_enum(ctx, def, lits),
        DefKind::Tagged { tag, variants } => emit_enum(ctx, def, Some(tag), variants, true),
        DefKind::Untagged { variants, one_of } => emit_enum(ctx, def, None, variants, *one_of),
        DefKind::Newtype { inner, constraints } => emit_newtype(ctx, def, inner, constraints),
        DefKind::Alias(ty) => {
            let name = ident(&def.name);
            let doc = docs(def.doc.as_deref());
            let ty = ctx.ty(ty);
            quote!(#doc pub type #name = #ty;)
        }
    }
}

fn emit_channel(ch: &ChannelIr) -> TokenStream {
    let name = ident(&ch.rust_name);
    let doc = docs(ch.doc.as_deref());
    let Some(address) = &ch.address else {
        return quote! {
            #doc
            /// The address of this channel is not known in advance.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
            pub struct #name;
        };
    };
    let fields: Vec<syn::Ident> = ch.params.iter().map(|p| ident(&p.rust)).collect();
    let field_docs: Vec<TokenStream> = ch.params.iter().map(|p| docs(p.doc.as_deref())).collect();
    // The address template split into literal text and parameters.
    let mut format_str = String::new();
    let mut args = Vec::new();
    let mut parse_steps = Vec::new();
    let segments = crate::lower::address_segments(address);
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            crate::lower::Segment::Text(t) => {
                format_str.push_str(&t.replace('{', "{{").replace('}', "}}"));
                parse_steps.push(quote!(let rest = rest.strip_prefix(#t)?;));
            }
            crate::lower::Segment::Param(p) => {
                format_str.push_str("{}");
                let param = ch.params.iter().find(|x| &x.wire == p);
                let f = ident(param.map_or("param", |x| x.rust.as_str()));
                args.push(quote!(self.#f));
                // A parameter runs to the next literal text (or the end).
                let next = segments[i + 1..].iter().find_map(|s| match s {
                    crate::lower::Segment::Text(t) => Some(t.clone()),
                    crate::lower::Segment::Param(_) => None,
                });
                let take = match next {
                    Some(t) => {
                        quote!(let end = __rt::find_text(rest, #t)?; let (value, rest) = rest.split_at(end);)
                    }
                    None => quote!(let (value, rest) = (rest, "");),
                };
                let allowed = param.map(|x| x.enum_values.clone()).unwrap_or_default();
                let enum_check = (!allowed.is_empty())
                    .then(|| quote!(if ![#(#allowed),*].contains(&value) { return None; }));
                parse_steps.push(quote!(
                    #take
                    if value.is_empty() { return None; }
                    #enum_check
                    let #f = String::from(value);
                ));
            }
        }
    }
    if fields.is_empty() {
        return quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
            pub struct #name;
            impl #name {
                /// The address.
                pub const ADDRESS: &'static str = #address;
                /// The concrete address.
                pub fn address(&self) -> String { String::from(Self::ADDRESS) }
                /// Whether a concrete address is this channel's.
                pub fn parse(address: &str) -> Option<Self> {
                    (address == Self::ADDRESS).then_some(Self)
                }
            }
        };
    }
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct #name {
            #(#field_docs pub #fields: String,)*
        }
        impl #name {
            /// The address template, with `{parameter}` placeholders.
            pub const ADDRESS: &'static str = #address;
            /// The concrete address for these parameters.
            pub fn address(&self) -> String {
                ::std::format!(#format_str, #(#args),*)
            }
            /// The parameters of a concrete address, if it matches the template.
            pub fn parse(address: &str) -> Option<Self> {
                let rest = address;
                #(#parse_steps)*
                if !rest.is_empty() { return None; }
                Some(Self { #(#fields),* })
            }
        }
    }
}

/// The Rust type of `ty` as seen from outside the generated module:
/// named types as `<module>::models::Name`.
pub fn type_path(ty: &Ty, defs: &[TypeDef], settings: &Settings, module: &str) -> String {
    let rt: TokenStream = settings.runtime_path.parse().unwrap_or_default();
    let models: TokenStream = format!("{module}::models::").parse().unwrap_or_default();
    let ctx = Ctx {
        rt,
        settings,
        defs,
        models,
    };
    ctx.ty(ty).to_string().replace(' ', "")
}

/// A starting point for the code a user writes: `pub struct {type_name};`
/// and an implementation of the generated handler trait (`Handler`, or
/// `ClientHandler` for `client`) with every method stubbed. A stub logs
/// what arrived with `tracing` (when `log`; the crate then needs `tracing`)
/// and returns `Ok(())`, or, where the operation answers with a typed
/// reply, an error saying the method is not written yet. `module` is the
/// path of the generated module from where the text goes (`crate::orders`,
/// `super::orders`); the types are named through its `models`, `channels`
/// and `messages`, imported at the top.
pub fn handler_stub(
    ir: &Ir,
    defs: &[TypeDef],
    settings: &Settings,
    module: &str,
    type_name: &str,
    client: bool,
    log: bool,
) -> Result<String, String> {
    let module_path: TokenStream = module
        .parse()
        .map_err(|e| format!("invalid module path `{module}`: {e}"))?;
    let self_ty: syn::Ident =
        syn::parse_str(type_name).map_err(|e| format!("invalid type name `{type_name}`: {e}"))?;
    let root_ctx = Ctx {
        rt: quote!(__rt),
        settings,
        defs,
        models: quote!(models::),
    };
    let root_ty = |t: &Ty| root_ctx.ty(t);
    let trait_name = if client {
        format_ident!("ClientHandler")
    } else {
        format_ident!("Handler")
    };
    let implementation = crate::emit_app::handler_stub(
        &crate::emit_app::Types { ty: &root_ty },
        ir,
        client,
        &quote!(#module_path::#trait_name),
        &self_ty,
        log,
    );
    let file: syn::File = syn::parse2(quote! {
        pub struct #self_ty;
        #implementation
    })
    .map_err(|e| format!("the handler stub does not parse: {e}"))?;
    let body = prettyplease::unparse(&file);
    // `Context` and `HandlerError` from the runtime crate's root (the
    // generated code reaches the runtime through its `__codegen` module).
    let runtime = settings
        .runtime_path
        .trim_start_matches("::")
        .trim_end_matches("::__codegen");
    let body = body
        .replace("__rt::Context", "Context")
        .replace("__rt::HandlerError", "HandlerError")
        .replace("__rt::", &format!("{}::", settings.runtime_path));
    let mut uses = String::new();
    let parts: Vec<&str> = ["channels", "messages", "models"]
        .into_iter()
        .filter(|m| body.contains(&format!("{m}::")))
        .collect();
    match parts.as_slice() {
        [] => {}
        [one] => uses.push_str(&format!("use {module}::{one};\n")),
        _ => uses.push_str(&format!("use {module}::{{{}}};\n", parts.join(", "))),
    }
    let rt_names: Vec<&str> = ["Context", "HandlerError"]
        .into_iter()
        .filter(|n| body.contains(&format!(": {n}")) || body.contains(&format!("{n}>")))
        .collect();
    match rt_names.as_slice() {
        [] => {}
        [one] => uses.push_str(&format!("use {runtime}::{one};\n")),
        _ => uses.push_str(&format!("use {runtime}::{{{}}};\n", rt_names.join(", "))),
    }
    uses.push('\n');
    Ok(format!("{uses}{body}"))
}

/// The rendered parts of a generated module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One self-contained module file (`-o OUT.rs`).
    pub single: String,
    /// A module tree (`-o DIR/`): `mod.rs`, `models.rs`, `channels.rs`.
    pub tree: Vec<(&'static str, String)>,
    /// The single file as `include!` takes it inside a module the user
    /// writes (`faststream::include_generated!`): its inner attributes
    /// cannot stand there, so the items live in a private module whose
    /// public items are re-exported.
    pub included: String,
}

/// The single file wrapped for `include!` (see [`Rendered::included`]).
fn included(single: &str) -> String {
    let (header, body) = single.split_once('\n').unwrap_or(("", single));
    format!(
        "{header}\n// Included with `faststream::include_generated!`: the items are those of\n// the private module below, re-exported.\nmod __generated {{\n{body}}}\npub use self::__generated::*;\n"
    )
}

fn parse_items(tokens: TokenStream) -> Result<Vec<syn::Item>, String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(file.items)
}

fn format_file(file: &syn::File, source_name: &str) -> String {
    let body = prettyplease::unparse(file);
    format!(
        "// @generated by faststream-gen {} from `{source_name}`. Do not edit by hand.\n{body}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Renders a lowered document; `document_json` is embedded for export.
pub fn render(
    ir: &Ir,
    defs: &[TypeDef],
    settings: &Settings,
    source_name: &str,
    document_json: &str,
) -> Result<Rendered, String> {
    let runtime: TokenStream = settings
        .runtime_path
        .parse()
        .map_err(|e| format!("invalid runtime path `{}`: {e}", settings.runtime_path))?;
    let rt = quote!(__rt);
    let use_rt = quote!(use #runtime as __rt;);
    let ctx = Ctx {
        rt: rt.clone(),
        settings,
        defs,
        models: quote!(super::models::),
    };
    let model_ctx = Ctx {
        rt,
        settings,
        defs,
        models: TokenStream::new(),
    };
    let models: Vec<TokenStream> = defs.iter().map(|d| emit_def(&model_ctx, d)).collect();
    let root_ctx = Ctx {
        rt: quote!(__rt),
        settings,
        defs,
        models: quote!(models::),
    };
    let root_ty = |t: &Ty| root_ctx.ty(t);
    let msgs_ty = |t: &Ty| ctx.ty(t);
    // Message enums live in `messages` (types seen from there); the
    // handler, router and publisher at the root (types seen from there).
    let (message_enums, app_root) = crate::emit_app::render(
        &crate::emit_app::Types { ty: &msgs_ty },
        &crate::emit_app::Types { ty: &root_ty },
        ir,
        settings.side,
        document_json,
    );
    let messages_doc = " Message enums of operations that carry several messages.";
    let channels: Vec<TokenStream> = ir.channels.iter().map(emit_channel).collect();
    let title = format!(
        " Generated from `{source_name}`: {} {}.",
        ir.title, ir.version
    );
    let allows: TokenStream = ALLOWS.parse().map_err(|e| format!("{e}"))?;
    let models_doc = " Message payloads, headers and the types they use.";
    let channels_doc = " Channel addresses: typed parameters, formatting and parsing.";
    // Each part is parsed once; the single file and the module tree are
    // both built from the parsed items (parsing is most of the cost).
    let models = parse_items(quote! { #use_rt #(#models)* })?;
    let channels = parse_items(quote! { #use_rt #(#channels)* })?;
    let messages = parse_items(quote! { #use_rt #message_enums })?;
    let root = parse_items(quote! { #use_rt #app_root })?;
    let header = |inner: TokenStream| -> Result<Vec<syn::Attribute>, String> {
        let file: syn::File = syn::parse2(quote! { #allows #inner })
            .map_err(|e| format!("generated code does not parse: {e}"))?;
        Ok(file.attrs)
    };
    let module =
        |doc: &str, name: &str, items: Option<&[syn::Item]>| -> Result<syn::Item, String> {
            let name = format_ident!("{}", name);
            let mut item: syn::ItemMod = syn::parse2(match items {
                Some(_) => quote!(#[doc = #doc] pub mod #name {}),
                None => quote!(#[doc = #doc] pub mod #name;),
            })
            .map_err(|e| format!("generated code does not parse: {e}"))?;
            if let (Some(items), Some((_, content))) = (items, item.content.as_mut()) {
                content.extend_from_slice(items);
            }
            Ok(syn::Item::Mod(item))
        };
    let file = |attrs: Vec<syn::Attribute>, items: Vec<syn::Item>| syn::File {
        shebang: None,
        frontmatter: None,
        attrs,
        items,
    };
    let mut single_items = vec![
        module(models_doc, "models", Some(&models))?,
        module(channels_doc, "channels", Some(&channels))?,
        module(messages_doc, "messages", Some(&messages))?,
    ];
    single_items.extend(root.iter().cloned());
    let single = format_file(
        &file(header(quote!(#![doc = #title]))?, single_items),
        source_name,
    );
    let mut mod_items = vec![
        module(models_doc, "models", None)?,
        module(channels_doc, "channels", None)?,
        module(messages_doc, "messages", None)?,
    ];
    mod_items.extend(root);
    let plain = header(TokenStream::new())?;
    let tree = vec![
        (
            "mod.rs",
            format_file(
                &file(header(quote!(#![doc = #title]))?, mod_items),
                source_name,
            ),
        ),
        (
            "messages.rs",
            format_file(&file(plain.clone(), messages), source_name),
        ),
        (
            "models.rs",
            format_file(&file(plain.clone(), models), source_name),
        ),
        (
            "channels.rs",
            format_file(&file(plain, channels), source_name),
        ),
    ];
    let included = included(&single);
    Ok(Rendered {
        single,
        tree,
        included,
    })
}
