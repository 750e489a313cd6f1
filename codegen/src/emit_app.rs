//! The application layer of generated code: per-operation message enums,
//! the handler trait, the typed publisher, the router, and the embedded
//! document. Rendered into the same module as the models (see [`crate::emit`]).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::lower::{BindingsIr, Dispatch, Ir, OperationIr};
use crate::settings::Side;
use crate::types::Ty;

/// Names of one side's items.
struct SideNames {
    handler: syn::Ident,
    publisher: syn::Ident,
    router: syn::Ident,
    /// Whether this is the mirror of the document's application.
    mirror: bool,
}

/// How a Rust type is written from the root of the generated module.
pub(crate) struct Types<'a> {
    pub(crate) ty: &'a dyn Fn(&Ty) -> TokenStream,
}

fn lit(s: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::string(s)
}

/// The type a message's payload decodes to (`()` without a payload).
fn payload_ty(types: &Types<'_>, ir: &Ir, message: usize) -> TokenStream {
    match &ir.messages[message].payload {
        Some(ty) => (types.ty)(ty),
        None => quote!(()),
    }
}

/// The Rust type of an operation's messages (or its reply's).
fn messages_ty(types: &Types<'_>, ir: &Ir, name: &syn::Ident, messages: &[usize]) -> TokenStream {
    match messages {
        [] => quote!(__rt::Value),
        [one] => payload_ty(types, ir, *one),
        _ => quote!(messages::#name),
    }
}

/// Decoding an envelope into `ty` (a message enum decodes itself), by the
/// message's content type.
fn decode_expr(
    ir: &Ir,
    messages: &[usize],
    enum_name: &syn::Ident,
    envelope: TokenStream,
) -> TokenStream {
    match messages {
        [] => quote!(__rt::decode_payload::<__rt::Value>(&#envelope.payload)),
        [one] if ir.messages[*one].payload.is_none() => {
            quote!(::std::result::Result::<(), String>::Ok(()))
        }
        [one] => {
            let ct = content_type(ir, *one);
            quote!(__rt::decode_payload_as(#ct, &#envelope.payload))
        }
        _ => quote!(messages::#enum_name::decode(&#envelope)),
    }
}

/// Encoding a value (a variable name) of an operation's message type.
fn encode_expr(ir: &Ir, messages: &[usize], value: TokenStream) -> TokenStream {
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
fn content_type(ir: &Ir, message: usize) -> String {
    ir.messages[message]
        .content_type
        .clone()
        .or_else(|| ir.default_content_type.clone())
        .unwrap_or_else(|| "application/json".into())
}

/// The message enum of an operation with several messages.
fn message_enum(
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
        .map(|&i| crate::emit::docs(ir.messages[i].doc.as_deref()))
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
                    other => Err(format!("`{}` is {:?}; expected one of: {}", #field, other, #expected)),
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
                    other => Err(format!("unexpected content type {:?}", other)),
                }
            }
        }
        Dispatch::Trial | Dispatch::Single => trial(&variants, &content_types),
    };
    let doc = crate::emit::docs(Some(doc));
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
            pub fn decode(envelope: &__rt::Envelope) -> Result<Self, String> {
                #decode
            }
            /// The payload bytes.
            pub fn encode(&self) -> Result<Vec<u8>, String> {
                match self { #(Self::#variants(v) => __rt::encode_payload_as(#content_types, v),)* }
            }
            /// The content type of this message.
            pub fn content_type(&self) -> &'static str {
                match self { #(Self::#variants(_) => #content_types,)* }
            }
        }
        #(#from_impls)*
    }
}

/// An operation's documentation: its key, then its summary and
/// description.
fn op_doc(op: &OperationIr) -> TokenStream {
    let text = match &op.doc {
        Some(d) => format!("`{}`: {d}", op.key),
        None => format!("`{}`", op.key),
    };
    crate::emit::docs(Some(&text))
}

/// A raw string literal (`r#"..."#`, with as many `#` as the text needs),
/// so an embedded document stays readable.
fn raw_string(text: &str) -> TokenStream {
    let mut hashes = 1;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    format!("r{h}\"{text}\"{h}")
        .parse()
        .unwrap_or_else(|_| quote!(#text))
}

fn opt_string(s: Option<&String>) -> TokenStream {
    match s {
        Some(s) => quote!(Some(String::from(#s))),
        None => quote!(None),
    }
}

fn opt_num<T: quote::ToTokens>(n: Option<T>) -> TokenStream {
    match n {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

/// A `__rt::Bindings` value, unless the operation has none (and its
/// channel no parameters).
fn bindings_expr(b: &BindingsIr, parameterized: bool) -> Option<TokenStream> {
    if b.amqp.is_none()
        && b.redis.is_none()
        && b.kafka.is_none()
        && b.mqtt.is_none()
        && !parameterized
    {
        return None;
    }
    let amqp = match &b.amqp {
        None => quote!(None),
        Some(a) => {
            let is_queue = a.is_queue;
            let exchange = match &a.exchange {
                None => quote!(None),
                Some(x) => {
                    let (name, durable, auto_delete) = (&x.name, x.durable, x.auto_delete);
                    let kind = format_ident!("{}", x.kind);
                    let vhost = opt_string(x.vhost.as_ref());
                    quote!(Some(__rt::AmqpExchange {
                        name: String::from(#name),
                        kind: __rt::AmqpExchangeKind::#kind,
                        durable: #durable,
                        auto_delete: #auto_delete,
                        vhost: #vhost,
                    }))
                }
            };
            let queue = match &a.queue {
                None => quote!(None),
                Some(q) => {
                    let name = opt_string(q.name.as_ref());
                    let (durable, exclusive, auto_delete) = (q.durable, q.exclusive, q.auto_delete);
                    let vhost = opt_string(q.vhost.as_ref());
                    quote!(Some(__rt::AmqpQueue {
                        name: #name,
                        durable: #durable,
                        exclusive: #exclusive,
                        auto_delete: #auto_delete,
                        vhost: #vhost,
                    }))
                }
            };
            let cc = if a.cc.is_empty() {
                quote!(Vec::new())
            } else {
                let keys = &a.cc;
                quote!(vec![#(String::from(#keys)),*])
            };
            let delivery_mode = opt_num(a.delivery_mode);
            let priority = opt_num(a.priority);
            let expiration = opt_num(a.expiration_ms);
            quote!(Some(__rt::AmqpBindings {
                is_queue: #is_queue,
                exchange: #exchange,
                queue: #queue,
                cc: #cc,
                delivery_mode: #delivery_mode,
                priority: #priority,
                expiration_ms: #expiration,
            }))
        }
    };
    let redis = match &b.redis {
        None => quote!(None),
        Some(r) => {
            let kind = format_ident!("{}", r.kind);
            let group = opt_string(r.group.as_ref());
            let consumer = opt_string(r.consumer.as_ref());
            quote!(Some(__rt::RedisBindings {
                kind: __rt::RedisKind::#kind,
                group: #group,
                consumer: #consumer,
            }))
        }
    };
    let kafka = b.kafka.as_ref().map(|k| {
        let partitions = opt_num(k.partitions);
        let replicas = opt_num(k.replicas);
        let client_id = opt_string(k.client_id.as_ref());
        quote!(kafka: Some(__rt::KafkaBindings {
            partitions: #partitions,
            replicas: #replicas,
            client_id: #client_id,
        }),)
    });
    let mqtt = b.mqtt.as_ref().map(|m| {
        let qos = opt_num(m.qos);
        let retain = match m.retain {
            Some(r) => quote!(Some(#r)),
            None => quote!(None),
        };
        quote!(mqtt: Some(__rt::MqttBindings { qos: #qos, retain: #retain }),)
    });
    let amqp = b.amqp.is_some().then(|| quote!(amqp: #amqp,));
    let redis = b.redis.is_some().then(|| quote!(redis: #redis,));
    let parameterized = parameterized.then(|| quote!(parameterized: true,));
    Some(quote!(__rt::Bindings { #amqp #redis #kafka #mqtt #parameterized ..__rt::Bindings::NONE }))
}

fn channel_parts(ir: &Ir, op: &OperationIr) -> (bool, TokenStream, Option<String>) {
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

fn content_type_of(ir: &Ir, messages: &[usize]) -> TokenStream {
    match messages {
        [one] => {
            let ct = content_type(ir, *one);
            quote!(#ct)
        }
        _ => quote!("application/json"),
    }
}

/// How an operation's headers are typed.
enum Headers {
    /// No message has headers.
    None,
    /// Every message has headers of this one type.
    One(TokenStream),
    /// Messages differ: `messages::<Op>Headers`, one variant per message.
    PerMessage(syn::Ident),
}

impl Headers {
    fn ty(&self) -> Option<TokenStream> {
        match self {
            Headers::None => None,
            Headers::One(t) => Some(t.clone()),
            Headers::PerMessage(name) => Some(quote!(messages::#name)),
        }
    }
}

/// An operation's typed headers.
fn headers_of(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> Headers {
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
fn key_of(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> Option<TokenStream> {
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
fn headers_enum(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> TokenStream {
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
            ) -> Result<Self, String> {
                match message { #(#decode_arms)* }
            }
            /// The headers as strings on the wire.
            pub fn encode(&self) -> Result<::std::collections::BTreeMap<String, String>, String> {
                match self { #(#encode_arms)* }
            }
        }
    }
}

/// The handler trait's method for an operation, as a signature
/// (`fn name(&self, message: .., [params: ..,] [headers: ..,] ctx: ..) ->
/// impl Future<Output = Result<Reply, HandlerError>> + Send`).
fn method_sig(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> TokenStream {
    let method = crate::emit::ident(&op.method);
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

fn reply_ty(types: &Types<'_>, ir: &Ir, op: &OperationIr) -> TokenStream {
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
            let method = crate::emit::ident(&op.method);
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

fn side(types: &Types<'_>, ir: &Ir, names: &SideNames) -> TokenStream {
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

    // Router.
    let routes = handled.iter().map(|op| {
        let method = crate::emit::ident(&op.method);
        let msg_enum = format_ident!("{}Message", op.type_name);
        let operation = lit(&op.key);
        let (has_params, params_ty, address) = channel_parts(ir, op);
        let address = address.unwrap_or_default();
        let decode = decode_expr(ir, &op.messages, &msg_enum, quote!(envelope));
        let params_stmt = has_params.then(|| {
            quote! {
                let params = #params_ty::parse(&envelope.channel).ok_or_else(|| {
                    __rt::Failure::Decode(format!("address `{}` does not match `{}`", envelope.channel, #params_ty::ADDRESS))
                })?;
            }
        });
        let params_arg = has_params.then(|| quote!(params,));
        let headers = headers_of(types, ir, op);
        let headers_stmt = match &headers {
            Headers::None => None,
            Headers::One(h) => Some(quote! {
                let headers: #h = __rt::decode_headers(&envelope.headers).map_err(__rt::Failure::Decode)?;
            }),
            Headers::PerMessage(name) => Some(quote! {
                let headers = messages::#name::decode(&message, &envelope.headers).map_err(__rt::Failure::Decode)?;
            }),
        };
        let headers_arg = headers_stmt.is_some().then(|| quote!(headers,));
        let reply = match &op.reply {
            Some(r) => {
                let encode = encode_expr(ir, &r.messages, quote!(reply));
                let ct = content_type_of(ir, &r.messages);
                quote! {
                    // Nobody waits for a reply: do not encode one.
                    if envelope.reply_to.is_none() {
                        return Ok(None);
                    }
                    let payload = #encode.map_err(|e| __rt::Failure::Handler(__rt::HandlerError::new(format!("cannot encode the reply: {e}"))))?;
                    Ok(Some(__rt::Reply { payload, content_type: Some(String::from(#ct)), ..Default::default() }))
                }
            }
            None => quote! {
                let () = reply;
                Ok(None)
            },
        };
        let group = op.group.as_ref().map(|g| quote!(.group(#g)));
        let bindings = bindings_expr(&op.bindings, has_params).map(|b| quote!(.bindings(#b)));
        quote! {
            .subscribe(
                __rt::Subscriber::decoding(#operation, #address, {
                    let handler = handler.clone();
                    ::std::sync::Arc::new(move |envelope: ::std::sync::Arc<__rt::Envelope>, ctx: __rt::Context| {
                        let handler = handler.clone();
                        Box::pin(async move {
                            let message = #decode.map_err(__rt::Failure::Decode)?;
                            #params_stmt
                            #headers_stmt
                            let reply = handler.#method(message, #params_arg #headers_arg ctx).await.map_err(__rt::Failure::Handler)?;
                            #reply
                        }) as __rt::BoxFuture<'static, Result<Option<__rt::Reply>, __rt::Failure>>
                    })
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
        let method = crate::emit::ident(&op.method);
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
                    let batch = crate::emit::ident(name);
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

/// The `messages` module and the sides asked for.
pub(crate) fn render(
    message_types: &Types<'_>,
    root_types: &Types<'_>,
    ir: &Ir,
    side_setting: Side,
    document_json: &str,
) -> (TokenStream, TokenStream) {
    let types = message_types;
    let mut enums = Vec::new();
    for op in &ir.operations {
        if matches!(headers_of(types, ir, op), Headers::PerMessage(_)) {
            enums.push(headers_enum(types, ir, op));
        }
        if op.messages.len() > 1 {
            let name = format_ident!("{}Message", op.type_name);
            let doc = match &op.doc {
                Some(d) => format!("The messages of operation `{}`: {d}", op.key),
                None => format!("The messages of operation `{}`.", op.key),
            };
            enums.push(message_enum(
                types,
                ir,
                &name,
                &op.messages,
                &op.dispatch,
                &doc,
            ));
        }
        if let Some(r) = &op.reply
            && r.messages.len() > 1
        {
            let name = format_ident!("{}Reply", op.type_name);
            let doc = format!("The replies of operation `{}`.", op.key);
            enums.push(message_enum(
                types,
                ir,
                &name,
                &r.messages,
                &r.dispatch,
                &doc,
            ));
        }
    }
    let app = SideNames {
        handler: format_ident!("Handler"),
        publisher: format_ident!("Publisher"),
        router: format_ident!("router"),
        mirror: false,
    };
    let client = SideNames {
        handler: format_ident!("ClientHandler"),
        publisher: format_ident!("ClientPublisher"),
        router: format_ident!("client_router"),
        mirror: true,
    };
    let sides = match side_setting {
        Side::App => vec![side(root_types, ir, &app)],
        Side::Client => vec![side(root_types, ir, &client)],
        Side::Both => vec![side(root_types, ir, &app), side(root_types, ir, &client)],
    };
    let messages = quote! {
        #(#enums)*
    };
    let servers = (!ir.servers.is_empty()).then(|| {
        let consts = ir.servers.iter().map(|s| {
            let name = format_ident!("{}", s.const_name);
            let (key, protocol, host, pathname) = (&s.key, &s.protocol, &s.host, &s.pathname);
            let vars = s.variables.iter().map(|(n, d)| quote!((#n, #d)));
            let doc = format!(
                " `{}`: {} {}{}{}",
                s.key,
                s.protocol,
                s.host,
                s.pathname,
                s.doc
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            );
            quote! {
                #[doc = #doc]
                pub const #name: __rt::Server = __rt::Server {
                    name: #key,
                    protocol: #protocol,
                    host: #host,
                    pathname: #pathname,
                    variables: &[#(#vars),*],
                };
            }
        });
        quote! {
            /// The document's servers: `faststream::connect(&servers::NAME)`
            /// connects with the adapter for the server's protocol
            /// (`FASTSTREAM_SERVER_<NAME>_URL` overrides the address).
            pub mod servers {
                use super::__rt;
                #(#consts)*
            }
        }
    });
    let document_literal = raw_string(document_json);
    let root = quote! {
        /// The AsyncAPI document this module was generated from (bundled,
        /// 3.x), for docs and export.
        pub const ASYNCAPI: &str = #document_literal;

        #(#sides)*

        #servers
    };
    (messages, root)
}

/// Decoding by trying each message (one is decoded directly); of several
/// that decode, the runtime keeps the one that keeps the most properties
/// of the payload, as an `anyOf` chooses.
fn trial(variants: &[proc_macro2::Ident], content_types: &[String]) -> TokenStream {
    let readers = variants
        .iter()
        .zip(content_types)
        .map(|(var, ct)| quote!(|p, again| __rt::message(#ct, p, Self::#var, again),));
    quote!(__rt::any_message::<Self>(&envelope.payload, &[#(#readers)*]))
}
