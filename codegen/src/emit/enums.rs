//! Enums: string and value enums, and `oneOf`/`anyOf` unions.

use proc_macro2::TokenStream;
use quote::quote;

use super::context::Ctx;
use super::tokens::{docs, ident};
use crate::types::{Literal as EnumLiteral, TypeDef};

pub(super) fn emit_string_enum(ctx: &Ctx<'_>, def: &TypeDef, lits: &[EnumLiteral]) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let derives = ctx.derives(quote!(Copy, Eq, Hash, PartialOrd, Ord,));
    let serde_crate = ctx.serde_crate();
    let variants = lits.iter().map(|l| {
        let v = ident(&l.name);
        let wire = l.value.as_str().unwrap_or_default();
        quote!(#[serde(rename = #wire)] #v,)
    });
    let arms = lits.iter().map(|l| {
        let v = ident(&l.name);
        let wire = l.value.as_str().unwrap_or_default();
        quote!(Self::#v => #wire,)
    });
    quote! {
        #doc
        #derives
        #serde_crate
        pub enum #name { #(#variants)* }
        impl #name {
            /// The value on the wire.
            pub fn as_str(&self) -> &'static str {
                match self { #(#arms)* }
            }
        }
        impl #rt::Validate for #name {}
    }
}

pub(super) fn emit_value_enum(ctx: &Ctx<'_>, def: &TypeDef, lits: &[EnumLiteral]) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let user = ctx.user_derives();
    let variants = lits.iter().map(|l| {
        let v = ident(&l.name);
        let shown = format!(" `{}`", l.value);
        quote!(#[doc = #shown] #v,)
    });
    let to_value = lits.iter().map(|l| {
        let v = ident(&l.name);
        let json = l.value.to_string();
        quote!(Self::#v => #rt::serde_json::from_str(#json).unwrap_or_default(),)
    });
    let from_value = lits.iter().map(|l| {
        let v = ident(&l.name);
        let json = l.value.to_string();
        quote!(if value == #rt::serde_json::from_str::<#rt::Value>(#json).unwrap_or_default() {
            return Ok(Self::#v);
        })
    });
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash #(, #user)*)]
        pub enum #name { #(#variants)* }
        impl #name {
            /// The value on the wire.
            pub fn to_value(&self) -> #rt::Value {
                match self { #(#to_value)* }
            }
        }
        impl #rt::serde::Serialize for #name {
            fn serialize<S: #rt::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #rt::serde::Serialize::serialize(&self.to_value(), serializer)
            }
        }
        impl<'de> #rt::serde::Deserialize<'de> for #name {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <#rt::Value as #rt::serde::Deserialize>::deserialize(deserializer)?;
                #(#from_value)*
                Err(<D::Error as #rt::serde::de::Error>::custom(
                    ::std::format!("unexpected value {value}"),
                ))
            }
        }
        impl #rt::Validate for #name {}
    }
}

/// A tagged (`tag`) or untagged union. Serialize is derived; Deserialize
/// reads a JSON value and hands it to the runtime's union readers, which
/// read each variant strictly and (untagged) choose by the schema's rule.
pub(super) fn emit_enum(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    tag: Option<&str>,
    variants: &[crate::types::Variant],
    one_of: bool,
) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let derives = ctx.plain_derives(false, true);
    let serde_crate = ctx.serde_crate();
    let repr = match tag {
        Some(t) => quote!(#[serde(tag = #t)]),
        None => quote!(#[serde(untagged)]),
    };
    let members = variants.iter().map(|v| {
        let vname = ident(&v.name);
        let ty = ctx.ty(&v.ty);
        let vdoc = docs(v.doc.as_deref());
        let rename = v.wire.as_ref().map(|w| quote!(#[serde(rename = #w)]));
        quote!(#vdoc #rename #vname(#ty),)
    });
    let arms = variants.iter().map(|v| {
        let vname = ident(&v.name);
        quote!(Self::#vname(v) => #rt::Validate::validate_at(v, path, errors),)
    });
    // Tagged: the tag picks the variant, which is decoded only (the
    // union's own `validate` checks it after). Untagged: a variant matches
    // when it decodes and validates.
    let read = if tag.is_some() {
        quote!(#rt::decoded)
    } else {
        quote!(#rt::variant)
    };
    let readers = variants.iter().map(|v| {
        let vname = ident(&v.name);
        let key = v.wire.as_deref().unwrap_or(&v.name);
        quote!((#key, |v| #read(v).map(Self::#vname)),)
    });
    let wire_name = &def.name;
    let decide = match tag {
        Some(t) => quote!(#rt::tagged::<Self>(value, #wire_name, #t, &[#(#readers)*])),
        None => quote!(#rt::untagged::<Self>(&value, #wire_name, #one_of, &[#(#readers)*])),
    };
    quote! {
        #doc
        #derives
        #serde_crate
        #repr
        pub enum #name { #(#members)* }
        impl<'de> #rt::serde::Deserialize<'de> for #name {
            fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <#rt::Value as #rt::serde::Deserialize>::deserialize(deserializer)?;
                #decide.map_err(<D::Error as #rt::serde::de::Error>::custom)
            }
        }
        impl #rt::Validate for #name {
            fn validate_at(&self, path: &#rt::Path<'_>, errors: &mut Vec<#rt::ValidationError>) {
                match self { #(#arms)* }
            }
        }
    }
}
