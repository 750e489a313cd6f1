//! One side of the application: its handler trait, router and typed publisher
//! (or the client's mirror of them).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::bindings::bindings_expr;
use super::handler::{channel_parts, method_sig, op_doc};
use super::headers::{Headers, headers_of, key_of};
use super::messages::{content_type, content_type_of, decode_expr, encode_expr, messages_ty};
use super::tokens::{Types, ident, lit};
use crate::lower::{Ir, OperationIr};

/// The content type the runtime's `route` assumes.
const JSON: &str = "application/json";

/// Names of one side's items.
pub(super) struct SideNames {
    pub(super) handler: syn::Ident,
    pub(super) publisher: syn::Ident,
    pub(super) router: syn::Ident,
    /// Whether this is the mirror of the document's application.
    pub(super) mirror: bool,
}

pub(super) fn side(types: &Types<'_>, ir: &Ir, names: &SideNames) -> TokenStream {
    let SideNames {
        handler,
        publisher,
        router,
        mirror,
    } = names;
    let handled: Vec<&OperationIr> = ir
        .operations
        .iter()
        .filter(|o| o.receive != *mirror)
        .collect();
    let sent: Vec<&OperationIr> = ir
        .operations
        .iter()
        .filter(|o| o.receive == *mirror)
        .collect();

    // Handler trait.
    let methods = handled.iter().map(|op| {
        let sig = method_sig(types, ir, op);
        let doc = op_doc(op);
        quote! {
            #doc
            #sig;
        }
    });
    let handler_doc = format!(
        " What {} handles: one method per operation it receives. Implement it with `async fn`s and pass it to [`{router}`].",
        if *mirror {
            "a client of this application"
        } else {
            "this application"
        }
    );
    let not_impl_msg = format!("`{{Self}}` does not implement the generated `{handler}` trait");
    let not_impl_note =
        format!("implement every method of `{handler}` (one per operation) with `async fn`s");

    // Router: each route hands its method to the runtime's one entry
    // point, which reads the message, parameters and headers by their types.
    let routes = handled.iter().map(|op| {
        let method = ident(&op.method);
        let operation = lit(&op.key);
        let (has_params, _, address) = channel_parts(ir, op);
        let address = address.unwrap_or_default();
        let has_headers = !matches!(headers_of(types, ir, op), Headers::None);
        let (params_pat, params_arg) = if has_params {
            (quote!(params), quote!(params,))
        } else {
            (quote!(()), quote!())
        };
        let (headers_pat, headers_arg) = if has_headers {
            (quote!(__rt::Headers(headers)), quote!(headers,))
        } else {
            (quote!(()), quote!())
        };
        // A message without a payload: the handler takes `()`.
        let no_payload = matches!(op.messages.as_slice(), [one] if ir.messages[*one].payload.is_none());
        let (message_pat, message_arg) = if no_payload {
            (quote!(__rt::NoPayload), quote!(()))
        } else {
            (quote!(message), quote!(message))
        };
        // The reply, if the operation has one (`()` is then sent as `null`).
        let answer = op.reply.is_some().then(|| quote!(.map(__rt::Answer)));
        // The document's content types, where they are not JSON.
        let message_type = match op.messages.as_slice() {
            [one] if !no_payload => content_type(ir, *one),
            _ => JSON.to_owned(),
        };
        let reply_type = match op.reply.as_ref().map(|r| r.messages.as_slice()) {
            Some([one]) => content_type(ir, *one),
            _ => JSON.to_owned(),
        };
        let (entry, content_types) = if message_type == JSON && reply_type == JSON {
            (quote!(__rt::route), quote!())
        } else {
            (quote!(__rt::route_as), quote!(#message_type, #reply_type,))
        };
        let group = op.group.as_ref().map(|g| quote!(.group(#g)));
        let bindings = bindings_expr(&op.bindings, has_params).map(|b| quote!(.bindings(#b)));
        quote! {
            .subscribe(
                #entry(#operation, #address, #content_types &handler, |h, #message_pat, #params_pat, #headers_pat, ctx| async move {
                    h.#method(#message_arg, #params_arg #headers_arg ctx).await #answer
                })
                #group
                #bindings
            )
        }
    });
    let handler_var = if handled.is_empty() {
        quote!(_handler)
    } else {
        quote!(handler)
    };
    let handler_init =
        (!handled.is_empty()).then(|| quote!(let handler = ::std::sync::Arc::new(handler);));

    // Publisher.
    let publish_methods = sent.iter().map(|op| {
        let method = ident(&op.method);
        let msg_enum = format_ident!("{}Message", op.type_name);
        let message = messages_ty(types, ir, &msg_enum, &op.messages);
        let (has_params, params_ty, address) = channel_parts(ir, op);
        let params = has_params.then(|| quote!(params: &#params_ty,));
        let address_expr = if has_params {
            quote!(params.address())
        } else {
            let a = address.clone().unwrap_or_default();
            quote!(String::from(#a))
        };
        let encode = encode_expr(ir, &op.messages, quote!(message));
        let ct = match op.messages.len() {
            0 | 1 => content_type_of(ir, &op.messages),
            _ => quote!(message.content_type()),
        };
        let headers = headers_of(types, ir, op);
        let headers_param = headers.ty().map(|h| quote!(headers: Option<&#h>,));
        // How the headers `h` encode.
        let encode_headers = match &headers {
            Headers::None => None,
            Headers::One(_) => Some(quote!(__rt::encode_headers(h))),
            Headers::PerMessage(_) => Some(quote!(h.encode())),
        };
        let headers_stmt = encode_headers.as_ref().map(|encode| {
            quote! {
                if let Some(h) = headers {
                    envelope.headers = #encode.map_err(__rt::PublishError::Encode)?;
                }
            }
        });
        // The kafka message binding's `key`: a typed record key.
        let key_ty = key_of(types, ir, op);
        let key_param = key_ty.as_ref().map(|k| quote!(key: Option<&#k>,));
        let key_stmt = key_ty.is_some().then(|| {
            quote! {
                if let Some(k) = key {
                    envelope = envelope.with_key(__rt::encode_key(k).map_err(__rt::PublishError::Encode)?);
                }
            }
        });
        let new_envelope = quote! {
            let payload = #encode.map_err(__rt::PublishError::Encode)?;
            #[allow(unused_mut)]
            let mut envelope = __rt::Envelope::new(#address_expr, payload).with_content_type(#ct);
        };
        let build = quote! {
            #new_envelope
            #headers_stmt
            #key_stmt
        };
        // A batch encodes its headers and key once, for every message.
        let batch_encode = {
            let headers = encode_headers.as_ref().map(|encode| {
                quote! {
                    let headers = headers.map(|h| #encode).transpose().map_err(__rt::PublishError::Encode)?;
                }
            });
            let key = key_ty.is_some().then(|| {
                quote! {
                    let key = key.map(__rt::encode_key).transpose().map_err(__rt::PublishError::Encode)?;
                }
            });
            quote!(#headers #key)
        };
        let batch_build = {
            let headers = encode_headers.is_some().then(|| {
                quote! {
                    if let Some(h) = &headers {
                        envelope.headers = h.clone();
                    }
                }
            });
            let key = key_ty.is_some().then(|| {
                quote! {
                    if let Some(k) = &key {
                        envelope = envelope.with_key(k.as_str());
                    }
                }
            });
            quote!(#new_envelope #headers #key)
        };
        let doc = op_doc(op);
        // The spec's bindings, built once.
        let bindings = bindings_expr(&op.bindings, has_params);
        let bindings_static = bindings.as_ref().map(|b| {
            quote! {
                static BINDINGS: ::std::sync::LazyLock<__rt::Bindings> = ::std::sync::LazyLock::new(|| #b);
            }
        });
        let (request, publish) = if bindings.is_some() {
            (
                quote!(self.inner.request_with(envelope, &BINDINGS, timeout).await?),
                quote!(self.inner.publish_with(envelope, &BINDINGS).await),
            )
        } else {
            (
                quote!(self.inner.request(envelope, timeout).await?),
                quote!(self.inner.publish(envelope).await),
            )
        };
        match &op.reply {
            Some(r) => {
                let reply_enum = format_ident!("{}Reply", op.type_name);
                let reply_ty = messages_ty(types, ir, &reply_enum, &r.messages);
                let decode = decode_expr(ir, &r.messages, &reply_enum, quote!(reply));
                quote! {
                    #doc
                    ///
                    /// Sends the request and waits (up to `timeout`) for the typed reply.
                    pub async fn #method(&self, #params message: &#message, #headers_param #key_param timeout: ::std::time::Duration) -> Result<#reply_ty, __rt::PublishError> {
                        #bindings_static
                        #build
                        let reply = #request;
                        #decode.map_err(__rt::PublishError::Reply)
                    }
                }
            }
            None => {
                let batch_publish = if bindings.is_some() {
                    quote!(self.inner.publish_batch_with(envelopes, &BINDINGS).await)
                } else {
                    quote!(self.inner.publish_batch(envelopes).await)
                };
                let batch = op.batch_method.as_deref().map(|name| {
                    let batch = ident(name);
                    let batch_doc = format!(
                        " `{}`, several messages at once (FastStream's `publish_batch`): every one is handed to the broker before any acknowledgement is awaited{}. Returns the first error; the others were still published.",
                        op.key,
                        if key_ty.is_some() {
                            "; one key puts them all on one partition"
                        } else {
                            ""
                        }
                    );
                    quote! {
                        #[doc = #batch_doc]
                        pub async fn #batch(&self, #params messages: &[#message], #headers_param #key_param) -> Result<(), __rt::PublishError> {
                            #bindings_static
                            #batch_encode
                            let mut envelopes = Vec::with_capacity(messages.len());
                            for message in messages {
                                #batch_build
                                envelopes.push(envelope);
                            }
                            #batch_publish
                        }
                    }
                });
                quote! {
                    #doc
                    pub async fn #method(&self, #params message: &#message, #headers_param #key_param) -> Result<(), __rt::PublishError> {
                        #bindings_static
                        #build
                        #publish
                    }
                    #batch
                }
            }
        }
    });
    let publisher_doc = format!(
        " Typed publishing for {}: one method per operation it sends (requests wait for their reply).",
        if *mirror {
            "a client of this application"
        } else {
            "this application"
        }
    );
    let router_doc = format!(" The routes of [`{handler}`]'s operations, to include in an `App`.");
    // What the application sends, for export; a client's router is the
    // document's application seen from the other side.
    let sent_keys = sent.iter().map(|op| {
        let key = &op.key;
        quote!(.publishes(#key))
    });
    let mirror_call = mirror.then(|| quote!(.mirror()));
    quote! {
        #[doc = #handler_doc]
        #[diagnostic::on_unimplemented(message = #not_impl_msg, note = #not_impl_note)]
        pub trait #handler: Send + Sync + 'static {
            #(#methods)*
        }

        #[doc = #router_doc]
        pub fn #router<H: #handler>(#handler_var: H) -> __rt::Router {
            #handler_init
            __rt::Router::new()
                .with_document(ASYNCAPI)
                #mirror_call
                #(#sent_keys)*
                #(#routes)*
        }

        #[doc = #publisher_doc]
        #[derive(Debug, Clone)]
        pub struct #publisher {
            inner: __rt::Publisher,
        }

        impl #publisher {
            pub fn new(inner: __rt::Publisher) -> Self {
                Self { inner }
            }

            #(#publish_methods)*
        }
    }
}
