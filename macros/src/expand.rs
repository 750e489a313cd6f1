//! The impls the derive writes.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, GenericArgument, Ident, PathArguments, Result, Type};

use crate::attr::{Constraints, Container, FieldAttrs, VariantAttrs};
use crate::case::Case;

/// One field as the schema sees it.
struct Field<'a> {
    /// How the field is reached: `&self.name`, `&self.0` or a binding.
    access: TokenStream,
    ty: &'a Type,
    /// Its name on the wire (named fields).
    name: String,
    attrs: FieldAttrs,
    /// Written as `Option<..>`: may be missing, may be `null`.
    optional: bool,
}

impl Field<'_> {
    fn required(&self, container_default: bool) -> bool {
        !self.optional && !self.attrs.default && !container_default
    }
}

/// Whether `ty` is written `Option<..>` (serde reads a missing field of
/// that type as `None`).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Group(g) => is_option(&g.elem),
        Type::Paren(p) => is_option(&p.elem),
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            s.ident == "Option"
                && matches!(&s.arguments, PathArguments::AngleBracketed(a)
                    if a.args.len() == 1 && matches!(a.args[0], GenericArgument::Type(_)))
        }),
        _ => false,
    }
}

fn fields<'a>(
    fields: &'a Fields,
    rename: Option<Case>,
    access: &dyn Fn(usize, Option<&Ident>) -> TokenStream,
) -> Result<Vec<Field<'a>>> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let attrs = FieldAttrs::read(&f.attrs)?;
        let name = match (&attrs.name, &f.ident) {
            (Some(n), _) => n.clone(),
            (None, Some(ident)) => {
                let raw = ident.unraw().to_string();
                rename.map_or_else(|| raw.clone(), |c| c.field(&raw))
            }
            (None, None) => i.to_string(),
        };
        out.push(Field {
            access: access(i, f.ident.as_ref()),
            ty: &f.ty,
            name,
            optional: is_option(&f.ty),
            attrs,
        });
    }
    Ok(out)
}

pub fn derive(input: &DeriveInput) -> Result<TokenStream> {
    let container = Container::read(&input.attrs)?;
    let k = &container.krate;
    let ident = &input.ident;
    let base = container
        .name
        .clone()
        .unwrap_or_else(|| ident.unraw().to_string());

    let (validate_body, describe_body) = match &input.data {
        Data::Struct(s) => structure(&container, &base, &s.fields)?,
        Data::Enum(e) => enumeration(&container, e)?,
        Data::Union(u) => {
            return Err(Error::new(
                u.union_token.span,
                "faststream::Message describes structs and enums; serde does not derive unions",
            ));
        }
    };

    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // As serde does: a type parameter is bounded when a field it reads
    // mentions it (not one only in skipped fields or a `PhantomData`).
    let used = used_params(input);
    let bounded = |bound: TokenStream| {
        let mut where_clause = where_clause.cloned().unwrap_or_else(|| syn::WhereClause {
            where_token: Default::default(),
            predicates: Default::default(),
        });
        for param in input.generics.type_params() {
            let p = &param.ident;
            if used.contains(p) {
                where_clause.predicates.push(syn::parse_quote!(#p: #bound));
            }
        }
        where_clause
    };
    let validate_where = bounded(quote!(#k::__derive::Validate));
    let describe_where = bounded(quote!(#k::__derive::Describe));
    let generic = input
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)));
    let name = if generic {
        quote!(&*#k::__derive::generic_name(#base, ::core::any::type_name::<Self>()))
    } else {
        quote!(#base)
    };

    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #k::__derive::Validate for #ident #ty_generics #validate_where {
            #[allow(unused_variables)]
            fn validate_at(
                &self,
                __path: &#k::__derive::Path<'_>,
                __errors: &mut ::std::vec::Vec<#k::__derive::ValidationError>,
            ) {
                #validate_body
            }
        }

        #[automatically_derived]
        impl #impl_generics #k::__derive::Describe for #ident #ty_generics #describe_where {
            fn describe(
                __c: &mut #k::__derive::SchemaComponents,
            ) -> #k::__derive::serde_json::Value {
                __c.component(#name, |__c| { #describe_body })
            }
        }
    })
}

/// The type parameters that fields serde reads mention (a field that is
/// a `PhantomData` reads nothing).
fn used_params(input: &DeriveInput) -> Vec<Ident> {
    fn mentions(tokens: TokenStream, params: &[&Ident], out: &mut Vec<Ident>) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) => {
                    if let Some(p) = params.iter().find(|p| **p == &i)
                        && !out.contains(p)
                    {
                        out.push((*p).clone());
                    }
                }
                proc_macro2::TokenTree::Group(g) => mentions(g.stream(), params, out),
                _ => {}
            }
        }
    }
    let params: Vec<&Ident> = input.generics.type_params().map(|p| &p.ident).collect();
    let mut out = Vec::new();
    let mut visit = |fields: &Fields| -> Result<()> {
        for f in fields {
            if FieldAttrs::read(&f.attrs)?.skip || is_phantom(&f.ty) {
                continue;
            }
            mentions(f.ty.to_token_stream(), &params, &mut out);
        }
        Ok(())
    };
    match &input.data {
        Data::Struct(st) => {
            let _ = visit(&st.fields);
        }
        Data::Enum(e) => {
            for v in &e.variants {
                if VariantAttrs::read(&v.attrs).is_ok_and(|a| !a.skip) {
                    let _ = visit(&v.fields);
                }
            }
        }
        Data::Union(_) => {}
    }
    out
}

fn is_phantom(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "PhantomData"))
}

fn option_str(s: Option<&String>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

/// The JSON Schema keywords of a field's constraints and doc comment.
fn keywords(k: &TokenStream, c: &Constraints, doc: Option<&String>) -> TokenStream {
    let json = |v: TokenStream| quote!(#k::__derive::serde_json::json!(#v));
    let mut pairs: Vec<(&str, TokenStream)> = Vec::new();
    if let Some(d) = doc {
        pairs.push(("description", json(quote!(#d))));
    }
    let count = |v: usize| {
        let v = proc_macro2::Literal::usize_unsuffixed(v);
        quote!(#v)
    };
    if let Some(n) = c.min_length {
        pairs.push(("minLength", json(count(n))));
    }
    if let Some(n) = c.max_length {
        pairs.push(("maxLength", json(count(n))));
    }
    if let Some(p) = &c.pattern {
        pairs.push(("pattern", json(quote!(#p))));
    }
    if let Some(f) = &c.format {
        pairs.push(("format", json(quote!(#f))));
    }
    for (key, n) in [
        ("minimum", &c.minimum),
        ("maximum", &c.maximum),
        ("exclusiveMinimum", &c.exclusive_minimum),
        ("exclusiveMaximum", &c.exclusive_maximum),
        ("multipleOf", &c.multiple_of),
    ] {
        if let Some(n) = n {
            pairs.push((key, json(n.json.clone())));
        }
    }
    if let Some(n) = c.min_items {
        pairs.push(("minItems", json(count(n))));
    }
    if let Some(n) = c.max_items {
        pairs.push(("maxItems", json(count(n))));
    }
    if c.unique_items {
        pairs.push(("uniqueItems", json(quote!(true))));
    }
    if let Some(n) = c.min_properties {
        pairs.push(("minProperties", json(count(n))));
    }
    if let Some(n) = c.max_properties {
        pairs.push(("maxProperties", json(count(n))));
    }
    if !c.examples.is_empty() {
        let examples = &c.examples;
        pairs.push(("examples", json(quote!([#(#examples),*]))));
    }
    let pairs = pairs.iter().map(|(key, v)| quote!((#key, #v)));
    quote!(&[#(#pairs),*])
}

/// The schema of one field's value: its type's, with its keywords.
fn field_schema(k: &TokenStream, f: &Field<'_>) -> TokenStream {
    let ty = f.ty;
    let keywords = keywords(k, &f.attrs.constraints, f.attrs.doc.as_ref());
    quote! {
        #k::__derive::with_keywords(
            <#ty as #k::__derive::Describe>::describe(__c),
            #keywords,
        )
    }
}

/// The checks of one field: its type's own, then its constraints. `path`
/// is where the field sits.
fn field_checks(k: &TokenStream, f: &Field<'_>, path: &TokenStream) -> TokenStream {
    let c = &f.attrs.constraints;
    // Spanned at the field's type, so that a constraint on a value it
    // does not apply to (or a type without checks) is reported there.
    let span = f.ty.span();
    let access = &respan(f.access.clone(), span);
    let mut checks: Vec<TokenStream> = Vec::new();
    let v = quote_spanned!(span=> __v);
    let p = quote!(&__p);
    let e = quote!(__errors);
    let d = quote!(#k::__derive);
    if let Some(n) = c.min_length {
        checks.push(quote_spanned!(span=> #d::min_length(#v, #n, #p, #e);));
    }
    if let Some(n) = c.max_length {
        checks.push(quote_spanned!(span=> #d::max_length(#v, #n, #p, #e);));
    }
    if let Some(pat) = &c.pattern {
        checks.push(quote_spanned! {span=> {
            static __RE: #d::LazyRegex = #d::LazyRegex::ecma(#pat);
            #d::pattern(#v, &__RE, #p, #e);
        }});
    }
    if let Some(f) = &c.format {
        checks.push(quote_spanned!(span=> #d::format(#v, #f, #p, #e);));
    }
    for (rule, n) in [
        ("minimum", &c.minimum),
        ("maximum", &c.maximum),
        ("exclusive_minimum", &c.exclusive_minimum),
        ("exclusive_maximum", &c.exclusive_maximum),
        ("multiple_of", &c.multiple_of),
    ] {
        if let Some(n) = n {
            let rule = Ident::new(rule, Span::call_site());
            let bound = proc_macro2::Literal::f64_unsuffixed(n.value);
            checks.push(quote_spanned!(span=> #d::#rule(#v, #bound, #p, #e);));
        }
    }
    if let Some(n) = c.min_items {
        checks.push(quote_spanned!(span=> #d::min_items(#v, #n, #p, #e);));
    }
    if let Some(n) = c.max_items {
        checks.push(quote_spanned!(span=> #d::max_items(#v, #n, #p, #e);));
    }
    if c.unique_items {
        checks.push(quote_spanned!(span=> #d::unique_items(#v, #p, #e);));
    }
    if let Some(n) = c.min_properties {
        checks.push(quote_spanned!(span=> #d::min_properties(#v, #n, #p, #e);));
    }
    if let Some(n) = c.max_properties {
        checks.push(quote_spanned!(span=> #d::max_properties(#v, #n, #p, #e);));
    }
    let constraints = if checks.is_empty() {
        quote!()
    } else if f.optional {
        quote_spanned!(span=> if let ::core::option::Option::Some(__v) = #access { #(#checks)* })
    } else {
        quote_spanned!(span=> { let __v = #access; #(#checks)* })
    };
    let nested =
        quote_spanned!(span=> #k::__derive::Validate::validate_at(#access, &__p, __errors););
    quote! {{
        let __p: #k::__derive::Path<'_> = #path;
        #nested
        #constraints
    }}
}

/// `tokens` as if written at `span` (where the compiler reports an error
/// about them).
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                t = proc_macro2::TokenTree::Group(group);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// Where a named field sits under `parent`.
fn named_path(f: &Field<'_>, parent: &TokenStream) -> TokenStream {
    if f.attrs.flatten {
        quote!(*#parent)
    } else {
        let name = &f.name;
        quote!(#parent.field(#name))
    }
}

/// The object schema of named fields.
fn object(
    k: &TokenStream,
    fields: &[Field<'_>],
    container_default: bool,
    deny_unknown: bool,
    tag: Option<(&str, &str)>,
    doc: Option<&String>,
) -> TokenStream {
    let tag = tag.map(|(tag, name)| quote!(__o.tag(#tag, #name, #deny_unknown);));
    let props = fields.iter().filter(|f| !f.attrs.skip).map(|f| {
        if f.attrs.flatten {
            let ty = f.ty;
            let optional = f.optional;
            quote! {
                let __s = <#ty as #k::__derive::Describe>::describe(__c);
                __o.flatten(__c, __s, #optional);
            }
        } else {
            let name = &f.name;
            let aliases = &f.attrs.aliases;
            let schema = field_schema(k, f);
            let required = f.required(container_default);
            quote!(__o.property(#name, &[#(#aliases),*], #schema, #required);)
        }
    });
    let doc = option_str(doc);
    quote! {{
        let mut __o = #k::__derive::Object::default();
        #tag
        #(#props)*
        __o.finish(#deny_unknown, #doc)
    }}
}

/// A schema for several unnamed fields: a fixed-length array.
fn tuple(k: &TokenStream, fields: &[Field<'_>], container_default: bool) -> TokenStream {
    let live: Vec<&Field<'_>> = fields.iter().filter(|f| !f.attrs.skip).collect();
    let schemas = live.iter().map(|f| field_schema(k, f));
    // serde fills in the defaulted positions at the end that are missing.
    let required = if container_default {
        0
    } else {
        live.iter()
            .rposition(|f| !f.attrs.default)
            .map_or(0, |i| i + 1)
    };
    quote!(#k::__derive::tuple_from(::std::vec![#(#schemas),*], #required))
}

fn check_unnamed(fields: &[Field<'_>]) -> Result<()> {
    for f in fields {
        if f.attrs.flatten {
            return Err(Error::new(f.ty.span(), "serde flattens named fields only"));
        }
    }
    Ok(())
}

fn with_doc(k: &TokenStream, schema: TokenStream, doc: Option<&String>) -> TokenStream {
    match doc {
        Some(d) => quote! {
            #k::__derive::with_keywords(#schema, &[("description", #k::__derive::serde_json::json!(#d))])
        },
        None => schema,
    }
}

fn structure(c: &Container, base: &str, fs: &Fields) -> Result<(TokenStream, TokenStream)> {
    let k = &c.krate;
    if c.untagged {
        return Err(Error::new(
            Span::call_site(),
            "`#[serde(untagged)]` is for enums",
        ));
    }
    let access = |i: usize, ident: Option<&Ident>| match ident {
        Some(ident) => quote!(&self.#ident),
        None => {
            let i = syn::Index::from(i);
            quote!(&self.#i)
        }
    };
    let fields = fields(fs, c.rename_all, &access)?;
    let root = quote!(__path);
    let live: Vec<&Field<'_>> = fields.iter().filter(|f| !f.attrs.skip).collect();
    let single = |what: &str| -> Result<&Field<'_>> {
        match live.as_slice() {
            [one] => Ok(one),
            _ => Err(Error::new(
                Span::call_site(),
                format!("{what} needs exactly one field that is not skipped"),
            )),
        }
    };
    let newtype = matches!(fs, Fields::Unnamed(_)) && fields.len() == 1;
    if c.transparent || newtype {
        check_unnamed(if newtype { &fields } else { &[] })?;
        let f = single("`#[serde(transparent)]`")?;
        let validate = field_checks(k, f, &quote!(*#root));
        let describe = with_doc(k, field_schema(k, f), c.doc.as_ref());
        return Ok((validate, describe));
    }
    match fs {
        Fields::Named(_) => {
            let validate = live
                .iter()
                .map(|f| field_checks(k, f, &named_path(f, &root)));
            let tag = c.tag.as_deref().map(|t| (t, base));
            let describe = object(
                k,
                &fields,
                c.default,
                c.deny_unknown_fields,
                tag,
                c.doc.as_ref(),
            );
            Ok((quote!(#(#validate)*), describe))
        }
        Fields::Unnamed(_) => {
            check_unnamed(&fields)?;
            let validate = live
                .iter()
                .enumerate()
                .map(|(i, f)| field_checks(k, f, &quote!(#root.index(#i))));
            let describe = with_doc(k, tuple(k, &fields, c.default), c.doc.as_ref());
            Ok((quote!(#(#validate)*), describe))
        }
        Fields::Unit => Ok((
            quote!(),
            with_doc(
                k,
                quote!(#k::__derive::serde_json::json!({"type": "null"})),
                c.doc.as_ref(),
            ),
        )),
    }
}

fn enumeration(c: &Container, e: &syn::DataEnum) -> Result<(TokenStream, TokenStream)> {
    let k = &c.krate;
    if c.transparent {
        return Err(Error::new(
            Span::call_site(),
            "`#[serde(transparent)]` is for structs",
        ));
    }
    if c.content.is_some() && c.tag.is_none() {
        return Err(Error::new(
            Span::call_site(),
            "`#[serde(content = \"...\")]` needs `tag = \"...\"` beside it",
        ));
    }
    let mut arms = Vec::new();
    let mut variants = Vec::new();
    for v in &e.variants {
        let va = VariantAttrs::read(&v.attrs)?;
        let vident = &v.ident;
        let pattern = match &v.fields {
            Fields::Named(n) => {
                let binds = n.named.iter().enumerate().map(|(i, f)| {
                    let name = f.ident.as_ref();
                    let b = format_ident!("__f{i}");
                    quote!(#name: #b)
                });
                quote!(Self::#vident { #(#binds),* })
            }
            Fields::Unnamed(u) => {
                let binds = (0..u.unnamed.len()).map(|i| format_ident!("__f{i}"));
                quote!(Self::#vident(#(#binds),*))
            }
            Fields::Unit => quote!(Self::#vident),
        };
        if va.skip {
            arms.push(quote!(#pattern => {}));
            continue;
        }
        let name = va.name.clone().unwrap_or_else(|| {
            let raw = vident.unraw().to_string();
            c.rename_all
                .map_or_else(|| raw.clone(), |case| case.variant(&raw))
        });
        let untagged = c.untagged || va.untagged;
        let repr = if untagged {
            quote!(#k::__derive::Repr::Untagged)
        } else {
            match (&c.tag, &c.content) {
                (Some(t), Some(content)) => quote!(#k::__derive::Repr::Adjacent(#t, #content)),
                (Some(t), None) => quote!(#k::__derive::Repr::Internal(#t)),
                _ => quote!(#k::__derive::Repr::External),
            }
        };
        let root = quote!(__path);
        let vpath = if untagged {
            quote!(*#root)
        } else {
            match (&c.tag, &c.content) {
                (Some(_), Some(content)) => quote!(#root.field(#content)),
                (Some(_), None) => quote!(*#root),
                _ => quote!(#root.field(#name)),
            }
        };
        if va.other {
            if untagged || !matches!(v.fields, Fields::Unit) {
                return Err(Error::new(
                    v.span(),
                    "`#[serde(other)]` is for a unit variant of a tagged enum",
                ));
            }
            variants.push(quote!(__e.other(#repr);));
            arms.push(quote!(#pattern => {}));
            continue;
        }
        let rename_fields = va.rename_all.or(c.rename_all_fields);
        let access = |i: usize, _: Option<&Ident>| {
            let b = format_ident!("__f{i}");
            quote!(#b)
        };
        let fields = fields(&v.fields, rename_fields, &access)?;
        let live: Vec<&Field<'_>> = fields.iter().filter(|f| !f.attrs.skip).collect();
        let (checks, body) = match &v.fields {
            Fields::Unit => (quote!(), None),
            // A newtype variant whose field serde skips reads as a unit.
            Fields::Unnamed(_) if fields.len() == 1 && fields[0].attrs.skip => (quote!(), None),
            Fields::Unnamed(_) if fields.len() == 1 => {
                check_unnamed(&fields)?;
                (
                    field_checks(k, &fields[0], &quote!(__vp)),
                    Some(field_schema(k, &fields[0])),
                )
            }
            Fields::Unnamed(_) => {
                check_unnamed(&fields)?;
                if c.tag.is_some() && c.content.is_none() && !untagged {
                    return Err(Error::new(
                        v.span(),
                        "serde cannot write a tuple variant under an internal tag",
                    ));
                }
                let checks = live
                    .iter()
                    .enumerate()
                    .map(|(i, f)| field_checks(k, f, &quote!(__vp.index(#i))));
                (quote!(#(#checks)*), Some(tuple(k, &fields, false)))
            }
            Fields::Named(_) => {
                let vp = quote!(__vp);
                let checks = live
                    .iter()
                    .map(|f| field_checks(k, f, &named_path(f, &quote!((&#vp)))));
                let body = object(k, &fields, false, c.deny_unknown_fields, None, None);
                (quote!(#(#checks)*), Some(body))
            }
        };
        arms.push(quote!(#pattern => {
            let __vp: #k::__derive::Path<'_> = #vpath;
            #checks
        }));
        let aliases = &va.aliases;
        let body = match body {
            Some(b) => quote!(::core::option::Option::Some(#b)),
            None => quote!(::core::option::Option::None),
        };
        let doc = option_str(va.doc.as_ref());
        variants.push(quote! {{
            let __b = #body;
            __e.variant(__c, #repr, #name, &[#(#aliases),*], __b, #doc);
        }});
    }
    let deny = c.deny_unknown_fields;
    let doc = option_str(c.doc.as_ref());
    let validate = if arms.is_empty() {
        quote!(match *self {})
    } else {
        quote!(match self { #(#arms)* })
    };
    let describe = quote! {{
        let mut __e = #k::__derive::Enum::new(#deny);
        #(#variants)*
        __e.finish(#doc)
    }};
    Ok((validate, describe))
}
