//! The application part of a generated module: message enums, headers types,
//! each side, and the embedded document.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::headers::{Headers, headers_enum, headers_of};
use super::messages::message_enum;
use super::side::{SideNames, side};
use super::tokens::{Types, raw_string};
use crate::lower::Ir;
use crate::settings::Side;

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
            let bindings = match &s.mqtt {
                None => quote!(__rt::ServerBindings::NONE),
                Some(m) => {
                    let client_id = match &m.client_id {
                        Some(id) => quote!(Some(#id)),
                        None => quote!(None),
                    };
                    let clean = match m.clean_session {
                        Some(c) => quote!(Some(#c)),
                        None => quote!(None),
                    };
                    let expiry = super::bindings::opt_num(m.session_expiry_interval);
                    let keep_alive = super::bindings::opt_num(m.keep_alive);
                    quote!(__rt::ServerBindings {
                        mqtt: Some(__rt::MqttServerBindings {
                            client_id: #client_id,
                            clean_session: #clean,
                            session_expiry_interval: #expiry,
                            keep_alive: #keep_alive,
                        }),
                        ..__rt::ServerBindings::NONE
                    })
                }
            };
            quote! {
                #[doc = #doc]
                pub const #name: __rt::Server = __rt::Server {
                    name: #key,
                    protocol: #protocol,
                    host: #host,
                    pathname: #pathname,
                    variables: &[#(#vars),*],
                    bindings: #bindings,
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
    // The document last: the code comes first in the file.
    let root = quote! {
        #(#sides)*

        #servers

        /// The AsyncAPI document this module was generated from (bundled,
        /// 3.x), for docs and export.
        pub const ASYNCAPI: &str = #document_literal;
    };
    (messages, root)
}
