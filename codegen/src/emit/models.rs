//! The `models` part: one item per type definition.

use proc_macro2::TokenStream;
use quote::quote;

use super::checks::checks;
use super::context::Ctx;
use super::enums::{emit_enum, emit_string_enum, emit_value_enum};
use super::structs::emit_struct;
use super::tokens::{docs, ident};
use crate::types::{Constraints, DefKind, Ty, TypeDef};

pub(super) fn emit_newtype(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    inner: &Ty,
    constraints: &Constraints,
) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let derives = ctx.derives(TokenStream::new());
    let serde_crate = ctx.serde_crate();
    let ty = ctx.ty(inner);
    let check = checks(ctx, inner, constraints, &quote!(path));
    let nested = ctx
        .needs_validate(inner)
        .then(|| quote!(#rt::Validate::validate_at(v, path, errors);));
    // A type without rules takes the trait's empty default.
    let validate = if check.is_empty() && nested.is_none() {
        quote!(impl #rt::Validate for #name {})
    } else {
        quote! {
            impl #rt::Validate for #name {
                fn validate_at(&self, path: &#rt::Path<'_>, errors: &mut Vec<#rt::ValidationError>) {
                    let v = &self.0;
                    #check
                    #nested
                }
            }
        }
    };
    quote! {
        #doc
        #derives
        #serde_crate
        #[serde(transparent)]
        pub struct #name(pub #ty);
        impl From<#ty> for #name {
            fn from(value: #ty) -> Self { Self(value) }
        }
        #validate
    }
}

pub(super) fn emit_def(ctx: &Ctx<'_>, def: &TypeDef) -> TokenStream {
    let item = emit_def_item(ctx, def);
    if matches!(def.kind, DefKind::Alias(_)) {
        return item;
    }
    // The type describes itself with the schema it came from (for the
    // export, and for code-first routes that take generated types).
    let name = ident(&def.name);
    let rt = &ctx.rt;
    let pointer = &def.pointer;
    let schema_name = match def.pointer.strip_prefix("/components/schemas/") {
        Some(key) if !key.contains('/') => faststream_asyncapi::pointer::unescape(key),
        _ => def.name.clone(),
    };
    quote! {
        #item
        impl #rt::Describe for #name {
            fn describe(components: &mut #rt::SchemaComponents) -> #rt::Value {
                components.from_document(super::ASYNCAPI, #pointer, #schema_name)
            }
        }
    }
}

pub(super) fn emit_def_item(ctx: &Ctx<'_>, def: &TypeDef) -> TokenStream {
    match &def.kind {
        DefKind::Struct { fields, additional } => emit_struct(ctx, def, fields, additional),
        DefKind::StringEnum(lits) => emit_string_enum(ctx, def, lits),
        DefKind::ValueEnum(lits) => emit_value_enum(ctx, def, lits),
        DefKind::Tagged { tag, variants } => emit_enum(ctx, def, Some(tag), variants, true),
        DefKind::Untagged { variants, one_of } => emit_enum(ctx, def, None, variants, *one_of),
        DefKind::Newtype { inner, constraints } => emit_newtype(ctx, def, inner, constraints),
        DefKind::Alias(ty) => {
            let name = ident(&def.name);
            let doc = docs(def.doc.as_deref());
            let ty = ctx.ty(ty);
            quote!(#doc pub type #name = #ty;)
        }
    }
}
