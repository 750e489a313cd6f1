//! The handler trait's methods and the stub a new service starts from.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::headers::headers_of;
use super::messages::messages_ty;
use super::tokens::{Types, docs, ident};
use crate::lower::{Ir, OperationIr};

/// An operation's documentation: its key, then its summary and
/// description.
pub(super) fn op_doc(op: &OperationIr) -> TokenStream {
    let text = match &op.doc {
        Some(d) => format!("`{}`: {d}", op.key),
        None => format!("`{}`", op.key),
    };
    docs(Some(&text))
}

pub(super) fn channel_parts(ir: &Ir, op: &OperationIr) -> (bool, TokenStream, Option<String>) {
    match op.channel.map(|c| &ir.channels[c]) {
        Some(ch) => {
            let name = format_ident!("{}", ch.rust_name);
            (
                !ch.params.is_empty(),
                quote!(channels::#name),
                ch.address.clone(),
            )
        }
        None => (false, quote!(()), None),
    }
}

/// The handler trait's method for an operation, as a signature
/// (`fn name(&self, message: .., [params: ..,] [headers: ..,] ctx: ..) ->
/// impl Future<Output = Result<Reply, HandlerError>> + Send`).
pub(super) fn method_sig(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> TokenStream {
    let method = ident(&op.method);
    let msg_enum = format_ident!("{}Message", op.type_name);
    let message = messages_ty(types, ir, &msg_enum, &op.messages);
    let (has_params, params_ty, _) = channel_parts(ir, op);
    let params = has_params.then(|| quote!(params: #params_ty,));
    let headers = headers_of(types, ir, op).ty().map(|h| quote!(headers: #h,));
    let reply = reply_ty(types, ir, op);
    quote! {
        fn #method(&self, message: #message, #params #headers ctx: __rt::Context)
            -> impl ::std::future::Future<Output = Result<#reply, __rt::HandlerError>> + Send
    }
}

pub(super) fn reply_ty(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> TokenStream {
    match &op.reply {
        Some(r) => messages_ty(
            types,
            ir,
            &format_ident!("{}Reply", op.type_name),
            &r.messages,
        ),
        None => quote!(()),
    }
}

/// An implementation of one side's handler trait for `self_ty`, every
/// method a stub: it logs what arrived (with `tracing`, when `log`) and
/// returns `Ok(())`, or, where the operation answers with a typed reply,
/// an error saying the method is not written yet (the runtime then
/// answers nothing, as for any failed handler). Types are written from
/// the generated module's root (`models::`, `channels::`, `messages::`).
pub(crate) fn handler_stub(
    types: &Types<'_>,
    ir: &Ir,
    mirror: bool,
    trait_path: &TokenStream,
    self_ty: &syn::Ident,
    log: bool,
) -> TokenStream {
    let methods = ir
        .operations
        .iter()
        .filter(|o| o.receive != mirror)
        .map(|op| {
            let method = ident(&op.method);
            let msg_enum = format_ident!("{}Message", op.type_name);
            let message = messages_ty(types, ir, &msg_enum, &op.messages);
            let (has_params, params_ty, _) = channel_parts(ir, op);
            let headers = headers_of(types, ir, op).ty();
            let reply = reply_ty(types, ir, op);
            let key = &op.key;
            let (m, p, h, c) = if log {
                (
                    format_ident!("message"),
                    format_ident!("params"),
                    format_ident!("headers"),
                    format_ident!("ctx"),
                )
            } else {
                (
                    format_ident!("_message"),
                    format_ident!("_params"),
                    format_ident!("_headers"),
                    format_ident!("_ctx"),
                )
            };
            let params = has_params.then(|| quote!(#p: #params_ty,));
            let headers_param = headers.as_ref().map(|ty| quote!(#h: #ty,));
            let log_stmt = log.then(|| {
            let mut text = format!("received {{{m}:?}}");
            if has_params {
                text.push_str(&format!(", params {{{p}:?}}"));
            }
            if headers.is_some() {
                text.push_str(&format!(", headers {{{h}:?}}"));
            }
            quote! {
                tracing::info!(operation = #key, channel = #c.envelope().channel.as_str(), #text);
            }
        });
            let result = if op.reply.is_some() {
                let text = format!("`{key}` is not implemented yet: write its reply here");
                quote!(Err(__rt::HandlerError::new(#text)))
            } else {
                quote!(Ok(()))
            };
            let doc = op_doc(op);
            quote! {
                #doc
                async fn #method(&self, #m: #message, #params #headers_param #c: __rt::Context)
                    -> Result<#reply, __rt::HandlerError> {
                    #log_stmt
                    #result
                }
            }
        });
    quote! {
        impl #trait_path for #self_ty {
            #(#methods)*
        }
    }
}
