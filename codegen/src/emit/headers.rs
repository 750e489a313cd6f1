//! The headers type of an operation: one type, or an enum with a variant per
//! message.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::tokens::Types;
use crate::lower::{Ir, OperationIr};
use crate::types::Ty;

/// How an operation's headers are typed.
pub(super) enum Headers {
    /// No message has headers.
    None,
    /// Every message has headers of this one type.
    One(TokenStream),
    /// Messages differ: `messages::<Op>Headers`, one variant per message.
    PerMessage(syn::Ident),
}

impl Headers {
    pub(super) fn ty(&self) -> Option<TokenStream> {
        match self {
            Headers::None => None,
            Headers::One(t) => Some(t.clone()),
            Headers::PerMessage(name) => Some(quote!(messages::#name)),
        }
    }
}

/// An operation's typed headers.
pub(super) fn headers_of(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> Headers {
    let tys: Vec<Option<TokenStream>> = op
        .messages
        .iter()
        .map(|&i| ir.messages[i].headers.as_ref().map(|h| (types.ty)(h)))
        .collect();
    if tys.iter().all(Option::is_none) {
        return Headers::None;
    }
    let first = tys[0].as_ref().map(ToString::to_string);
    if tys
        .iter()
        .all(|t| t.as_ref().map(ToString::to_string) == first)
    {
        return Headers::One(tys[0].clone().unwrap_or_default());
    }
    Headers::PerMessage(format_ident!("{}Headers", op.type_name))
}

/// The record key type of an operation's messages (their kafka `key`
/// binding): `str` for a string, the schema's type otherwise; when the
/// messages disagree, a plain string key.
pub(super) fn key_of(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> Option<TokenStream> {
    let keys: Vec<&Ty> = op
        .messages
        .iter()
        .filter_map(|&i| ir.messages[i].key.as_ref())
        .collect();
    let first = *keys.first()?;
    let ty = |t: &Ty| match t {
        Ty::String => quote!(str),
        other => (types.ty)(other),
    };
    let shown = ty(first).to_string();
    if keys.iter().all(|k| ty(k).to_string() == shown) {
        Some(ty(first))
    } else {
        Some(quote!(str))
    }
}

/// The headers enum of an operation whose messages have different
/// headers: a variant per message (without data where it has none).
pub(super) fn headers_enum(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> TokenStream {
    let name = format_ident!("{}Headers", op.type_name);
    let message_enum = format_ident!("{}Message", op.type_name);
    let doc = format!(
        " The headers of operation `{}`: each message's own.",
        op.key
    );
    let mut variants = Vec::new();
    let mut decode_arms = Vec::new();
    let mut encode_arms = Vec::new();
    for &i in &op.messages {
        let m = &ir.messages[i];
        let var = format_ident!("{}", m.rust_name);
        match &m.headers {
            Some(h) => {
                let ty = (types.ty)(h);
                variants.push(quote!(#var(#ty),));
                decode_arms.push(quote!(#message_enum::#var(_) => __rt::decode_headers(headers).map(Self::#var),));
                encode_arms.push(quote!(Self::#var(h) => __rt::encode_headers(h),));
            }
            None => {
                variants.push(quote!(#var,));
                decode_arms.push(quote!(#message_enum::#var(_) => Ok(Self::#var),));
                encode_arms.push(quote!(Self::#var => Ok(Default::default()),));
            }
        }
    }
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name { #(#variants)* }
        impl #name {
            /// Decodes (and validates) the headers of a received message.
            pub fn decode(
                message: &#message_enum,
                headers: &::std::collections::BTreeMap<String, String>,
            ) -> Result<Self, __rt::DecodeError> {
                match message { #(#decode_arms)* }
            }
            /// The headers as strings on the wire.
            pub fn encode(&self) -> Result<::std::collections::BTreeMap<String, String>, __rt::EncodeError> {
                match self { #(#encode_arms)* }
            }
        }
        impl __rt::HeadersBody<#message_enum> for #name {
            fn decode_headers(
                message: &#message_enum,
                headers: &::std::collections::BTreeMap<String, String>,
            ) -> Result<Self, __rt::DecodeError> {
                Self::decode(message, headers)
            }
        }
    }
}
