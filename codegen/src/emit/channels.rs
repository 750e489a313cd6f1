//! The `channels` part: a struct per parameterized channel, with its address.

use proc_macro2::TokenStream;
use quote::quote;

use super::tokens::{docs, ident};
use crate::lower::ChannelIr;

pub(super) fn emit_channel(ch: &ChannelIr) -> TokenStream {
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
        impl __rt::FromAddress for #name {
            fn from_address(address: &str) -> Option<Self> {
                Self::parse(address)
            }
        }
    }
}
