//! Pieces every part of the generated code is written with: identifiers, doc
//! attributes, literals, and how a Rust type is written.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::types::Ty;

pub(crate) fn ident(name: &str) -> syn::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => syn::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => format_ident!("{}", name),
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

pub(super) fn f64_lit(x: f64) -> Literal {
    Literal::f64_suffixed(x)
}

pub(super) fn usize_lit(x: u64) -> Literal {
    Literal::usize_unsuffixed(usize::try_from(x).unwrap_or(usize::MAX))
}

/// How a Rust type is written from the root of the generated module.
pub(crate) struct Types<'a> {
    pub(crate) ty: &'a dyn Fn(&Ty) -> TokenStream,
}

pub(super) fn lit(s: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::string(s)
}

/// A raw string literal (`r#"..."#`, with as many `#` as the text needs),
/// so an embedded document stays readable.
pub(super) fn raw_string(text: &str) -> TokenStream {
    let mut hashes = 1;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    format!("r{h}\"{text}\"{h}")
        .parse()
        .unwrap_or_else(|_| quote!(#text))
}
