//! Per-operation message enums, and how a payload is decoded and encoded by
//! its content type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::tokens::{Types, docs};
use crate::lower::{Dispatch, Ir};

/// The type a message's payload decodes to (`()` without a payload).
pub(super) fn payload_ty(types: &Types<'_>, ir: &Ir, message: usize) -> TokenStream {
    match &ir.messages[message].payload {
        Some(ty) => (types.ty)(ty),
        None => quote!(()),
    }
}

/// The Rust type of an operation's messages (or its reply's).
pub(super) fn messages_ty(
    types: &Types<'_>,
    ir: &Ir,
    name: &syn::Ident,
    messages: &[usize],
) -> TokenStream {
    match messages {
        [] => quote!(__rt::Value),
        [one] => payload_ty(types, ir, *one),
        _ => quote!(messages::#name),
    }
}

/// Decoding an envelope into `ty` (a message enum decodes itself), by the
/// message's content type.
pub(super) fn decode_expr(
    ir: &Ir,
    messages: &[usize],
    enum_name: &syn::Ident,
    envelope: TokenStream,
) -> TokenStream {
    match messages {
        [] => quote!(__rt::decode_payload::<__rt::Value>(&#envelope.payload)),
        [one] if ir.messages[*one].payload.is_none() => {
            quote!(::std::result::Result::<(), __rt::DecodeError>::Ok(()))
        }
        [one] => {
            let ct = content_type(ir, *one);
            quote!(__rt::decode_payload_as(#ct, &#envelope.payload))
        }
        _ => quote!(messages::#enum_name::decode(&#envelope)),
    }
}

/// Encoding a value (a variable name) of an operation's message type.
pub(super) fn encode_expr(ir: &Ir, messages: &[usize], value: TokenStream) -> TokenStream {
    match messages {
        [] => quote!(__rt::encode_payload(&#value)),
        [one] => {
            let ct = content_type(ir, *one);
            quote!(__rt::encode_payload_as(#ct, &#value))
        }
        _ => quote!(#value.encode()),
    }
}

/// A message's content type (its own, else the document's default, else JSON).
pub(super) fn content_type(ir: &Ir, message: usize) -> String {
    ir.messages[message]
        .content_type
        .clone()
        .or_else(|| ir.default_content_type.clone())
        .unwrap_or_else(|| "application/json".into())
}

/// The message enum of an operation with several messages.
pub(super) fn message_enum(
    types: &Types<'_>,
    ir: &Ir,
    name: &syn::Ident,
    messages: &[usize],
    dispatch: &Dispatch,
    doc: &str,
) -> TokenStream {
    let variants: Vec<syn::Ident> = messages
        .iter()
        .map(|&i| format_ident!("{}", ir.messages[i].rust_name))
        .collect();
    let tys: Vec<TokenStream> = messages.iter().map(|&i| payload_ty(types, ir, i)).collect();
    let variant_docs: Vec<TokenStream> = messages
        .iter()
        .map(|&i| docs(ir.messages[i].doc.as_deref()))
        .collect();
    let content_types: Vec<String> = messages.iter().map(|&i| content_type(ir, i)).collect();
    let decode = match dispatch {
        Dispatch::Field {
            name: field,
            values,
        } => {
            let arms = values
                .iter()
                .zip(&variants)
                .zip(&tys)
                .zip(&content_types)
                .map(|(((v, var), ty), ct)| {
                    quote!(Some(#v) => __rt::decode_payload_as::<#ty>(#ct, &envelope.payload).map(Self::#var),)
                });
            let expected = values.join(", ");
            let trial = trial(&variants, &content_types);
            // Only the discriminating field is read before the payload is
            // decoded, once, into the right type. Without it (a schema
            // need not require it), each message is tried.
            quote! {
                match __rt::peek_field(&envelope.payload, #field)?.as_deref() {
                    #(#arms)*
                    None => { #trial }
                    other => Err(__rt::DecodeError::Discriminator {
                        field: #field,
                        found: other.map(String::from),
                        expected: #expected,
                    }),
                }
            }
        }
        Dispatch::ContentType(cts) => {
            let arms = cts.iter().zip(&variants).zip(&tys).map(|((ct, var), ty)| {
                quote!(Some(#ct) => __rt::decode_payload_as::<#ty>(#ct, &envelope.payload).map(Self::#var),)
            });
            quote! {
                match envelope.content_type.as_deref() {
                    #(#arms)*
                    other => Err(__rt::DecodeError::UnknownContentType(other.map(String::from))),
                }
            }
        }
        Dispatch::Trial | Dispatch::Single => trial(&variants, &content_types),
    };
    let doc = docs(Some(doc));
    let from_impls = variants.iter().zip(&tys).filter_map(|(var, ty)| {
        // `From` only where the payload type is unique in the enum.
        let unique = tys
            .iter()
            .filter(|t| t.to_string() == ty.to_string())
            .count()
            == 1;
        unique.then(|| {
            quote! {
                impl From<#ty> for #name {
                    fn from(value: #ty) -> Self { Self::#var(value) }
                }
            }
        })
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name { #(#variant_docs #variants(#tys),)* }
        impl #name {
            /// Decodes (and validates) a received envelope.
            pub fn decode(envelope: &__rt::Envelope) -> Result<Self, __rt::DecodeError> {
                #decode
            }
            /// The payload bytes.
            pub fn encode(&self) -> Result<Vec<u8>, __rt::EncodeError> {
                match self { #(Self::#variants(v) => __rt::encode_payload_as(#content_types, v),)* }
            }
            /// The content type of this message.
            pub fn content_type(&self) -> &'static str {
                match self { #(Self::#variants(_) => #content_types,)* }
            }
        }
        impl __rt::Incoming for #name {
            fn decode(_: &str, envelope: &__rt::Envelope) -> Result<Self, __rt::DecodeError> {
                Self::decode(envelope)
            }
        }
        impl __rt::ReplyBody for #name {
            fn encode_reply(&self, _: &str) -> Result<Vec<u8>, __rt::EncodeError> {
                Self::encode(self)
            }
        }
        #(#from_impls)*
    }
}

pub(super) fn content_type_of(ir: &Ir, messages: &[usize]) -> TokenStream {
    match messages {
        [one] => {
            let ct = content_type(ir, *one);
            quote!(#ct)
        }
        _ => quote!("application/json"),
    }
}

/// Decoding by trying each message (one is decoded directly); of several
/// that decode, the runtime keeps the one that keeps the most properties
/// of the payload, as an `anyOf` chooses.
pub(super) fn trial(variants: &[proc_macro2::Ident], content_types: &[String]) -> TokenStream {
    let readers = variants
        .iter()
        .zip(content_types)
        .map(|(var, ct)| quote!(|p, again| __rt::message(#ct, p, Self::#var, again),));
    quote!(__rt::any_message::<Self>(&envelope.payload, &[#(#readers)*]))
}
