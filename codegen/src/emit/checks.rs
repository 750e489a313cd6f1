//! The `Validate` body of a field: every constraint of its schema, checked on
//! decode.

use proc_macro2::TokenStream;
use quote::quote;

use super::context::Ctx;
use super::tokens::{f64_lit, usize_lit};
use crate::types::{Constraints, FormatCheck, Ty};

/// Checks for the constraints on one value `v` (a reference) of type `ty`.
pub(super) fn checks(ctx: &Ctx<'_>, ty: &Ty, c: &Constraints, path: &TokenStream) -> TokenStream {
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
