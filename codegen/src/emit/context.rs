//! What rendering a type needs to know: the runtime path, the type graph, the
//! settings.

use proc_macro2::TokenStream;
use quote::quote;

use super::tokens::ident;
use crate::settings::{MapType, Settings};
use crate::types::{DefKind, Int, Ty, TypeDef};

pub(super) struct Ctx<'a> {
    pub(super) rt: TokenStream,
    pub(super) settings: &'a Settings,
    pub(super) defs: &'a [TypeDef],
    /// Path prefix from the current module to `models`.
    pub(super) models: TokenStream,
}

impl Ctx<'_> {
    pub(super) fn ty(&self, ty: &Ty) -> TokenStream {
        let rt = &self.rt;
        match ty {
            Ty::Unit => quote!(()),
            Ty::Bool => quote!(bool),
            Ty::Int(i) => match i {
                Int::I8 => quote!(i8),
                Int::I16 => quote!(i16),
                Int::I32 => quote!(i32),
                Int::I64 => quote!(i64),
                Int::U8 => quote!(u8),
                Int::U16 => quote!(u16),
                Int::U32 => quote!(u32),
                Int::U64 => quote!(u64),
            },
            Ty::F32 => quote!(f32),
            Ty::F64 => quote!(f64),
            Ty::String => quote!(String),
            Ty::DateTime => quote!(#rt::chrono::DateTime<#rt::chrono::FixedOffset>),
            Ty::Date => quote!(#rt::chrono::NaiveDate),
            Ty::Uuid => quote!(#rt::uuid::Uuid),
            Ty::Bytes => quote!(#rt::Base64),
            Ty::Value => quote!(#rt::Value),
            Ty::Vec(t) => {
                let t = self.ty(t);
                quote!(Vec<#t>)
            }
            Ty::Map(t) => {
                let t = self.ty(t);
                match self.settings.map_type {
                    MapType::BTreeMap => quote!(#rt::Map<String, #t>),
                    MapType::HashMap => quote!(::std::collections::HashMap<String, #t>),
                }
            }
            Ty::Option(t) => {
                let t = self.ty(t);
                quote!(Option<#t>)
            }
            Ty::Box(t) => {
                let t = self.ty(t);
                quote!(Box<#t>)
            }
            Ty::Tuple(ts) => {
                let ts = ts.iter().map(|t| self.ty(t));
                quote!((#(#ts,)*))
            }
            Ty::Named(id) => {
                let name = ident(&self.defs[id.0].name);
                let models = &self.models;
                quote!(#models #name)
            }
        }
    }

    /// The derives the settings add to every type.
    pub(super) fn user_derives(&self) -> Vec<TokenStream> {
        self.settings
            .extra_derives
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect()
    }

    pub(super) fn derives(&self, extra: TokenStream) -> TokenStream {
        let rt = &self.rt;
        let user = self.user_derives();
        quote!(#[derive(Debug, Clone, PartialEq, #extra #rt::serde::Serialize, #rt::serde::Deserialize #(, #user)*)])
    }

    /// The derives of a type whose serde impls are written by hand.
    pub(super) fn plain_derives(&self, default: bool, serialize: bool) -> TokenStream {
        let user = self.user_derives();
        let default = default.then(|| quote!(, Default));
        let rt = &self.rt;
        let serialize = serialize.then(|| quote!(, #rt::serde::Serialize));
        quote!(#[derive(Debug, Clone, PartialEq #default #serialize #(, #user)*)])
    }

    pub(super) fn serde_crate(&self) -> TokenStream {
        quote!(#[serde(crate = "__rt::serde")])
    }

    /// Whether a value of this type can hold something to validate.
    pub(super) fn needs_validate(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Named(id) => match &self.defs[id.0].kind {
                DefKind::StringEnum(_) | DefKind::ValueEnum(_) => false,
                DefKind::Alias(t) => self.needs_validate(t),
                _ => true,
            },
            Ty::Vec(t) | Ty::Map(t) | Ty::Option(t) | Ty::Box(t) => self.needs_validate(t),
            Ty::Tuple(ts) => ts.iter().any(|t| self.needs_validate(t)),
            _ => false,
        }
    }
}
