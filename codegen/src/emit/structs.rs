//! Structs: one per object schema, with serde attributes, defaults, constants
//! and their checks.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::checks::checks;
use super::context::Ctx;
use super::tokens::{docs, ident};
use crate::types::{Additional, DefKind, Field, Ty, TypeDef};

/// Whether a field's type holds a formatted type (read through
/// `formatted`): date-time, date or uuid, bare or in options, boxes,
/// arrays and maps.
pub(super) fn has_formatted(ty: &Ty, defs: &[TypeDef]) -> bool {
    match ty {
        Ty::DateTime | Ty::Date | Ty::Uuid => true,
        Ty::Option(t) | Ty::Box(t) | Ty::Vec(t) | Ty::Map(t) => has_formatted(t, defs),
        // An alias is the type it names.
        Ty::Named(id) => match defs.get(id.0).map(|d| &d.kind) {
            Some(DefKind::Alias(t)) => has_formatted(t, defs),
            _ => false,
        },
        _ => false,
    }
}

pub(super) fn emit_struct(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    all_fields: &[Field],
    additional: &Additional,
) -> TokenStream {
    let rt = &ctx.rt;
    let name = ident(&def.name);
    let doc = docs(def.doc.as_deref());
    let serde_crate = ctx.serde_crate();
    let deny =
        matches!(additional, Additional::Deny).then(|| quote!(#[serde(deny_unknown_fields)]));
    // Constant properties are not fields: encoding writes them, decoding
    // checks them.
    let (constants, fields): (Vec<&Field>, Vec<&Field>) =
        all_fields.iter().partition(|f| f.constant.is_some());
    let mut defaults = Vec::new();
    let mut validations = Vec::new();
    // (field, its serde attributes, its type) for the struct and, with
    // constants, the wire structs.
    let mut parts = Vec::new();
    for &f in &fields {
        let fname = ident(&f.name);
        let ty = ctx.ty(&f.ty);
        let wire = &f.wire;
        let plain = f.name.trim_start_matches("r#");
        let rename = (plain != wire).then(|| quote!(#[serde(rename = #wire)]));
        // Formats (date-time, date, uuid) are read in their one form.
        let rt_path = &ctx.settings.runtime_path;
        let formatted = has_formatted(&f.ty, ctx.defs);
        let with = |name: &str| {
            let with = format!("{rt_path}::{name}");
            quote!(deserialize_with = #with)
        };
        let optional = if let Some(d) = &f.default {
            let fn_name = format_ident!("__default_{}", plain);
            let value = default_expr(ctx, &f.ty, d);
            defaults.push(quote!(
                #[doc(hidden)]
                pub fn #fn_name() -> #ty { #value }
            ));
            let path = format!("{}::{}", def.name, fn_name);
            let with = formatted.then(|| with("formatted"));
            quote!(#[serde(default = #path, #with)])
        } else if f.ty.is_option() && !f.required && f.nullable {
            let with = formatted.then(|| with("formatted"));
            quote!(#[serde(default, skip_serializing_if = "Option::is_none", #with)])
        } else if f.ty.is_option() && !f.required {
            // Absent is `None`; `null` the schema does not allow.
            let with = with(if formatted {
                "formatted_not_null"
            } else {
                "not_null"
            });
            quote!(#[serde(default, skip_serializing_if = "Option::is_none", #with)])
        } else if f.ty.is_option() {
            // Required, and `null` allowed: present, maybe `null`.
            let with = with(if formatted { "formatted" } else { "nullable" });
            quote!(#[serde(#with)])
        } else if formatted {
            let with = with("formatted");
            quote!(#[serde(#with)])
        } else {
            TokenStream::new()
        };
        let path = quote!(&path.field(#wire));
        let check = checks(ctx, &f.ty, &f.constraints, &quote!(p));
        let check = if check.is_empty() {
            TokenStream::new()
        } else {
            quote!({ let p = #path; let v = &self.#fname; #check })
        };
        let nested = ctx
            .needs_validate(&f.ty)
            .then(|| quote!(#rt::Validate::validate_at(&self.#fname, #path, errors);));
        if !check.is_empty() || nested.is_some() {
            validations.push(quote!(#check #nested));
        }
        parts.push((f, fname, quote!(#rename #optional), ty));
    }
    let serde_derives = constants.is_empty();
    // One constant: `Serialize` is derived with the constant as serde's
    // struct tag (written first); decoding goes through the wire struct.
    let tag = match constants.as_slice() {
        [c] => Some((c.wire.as_str(), c.constant.as_deref().unwrap_or_default())),
        _ => None,
    };
    let serialize_derive = serde_derives || tag.is_some();
    let members = parts.iter().map(|(f, fname, attrs, ty)| {
        let fdoc = docs(f.doc.as_deref());
        let attrs = serialize_derive.then_some(attrs);
        quote!(#fdoc #attrs pub #fname: #ty,)
    });
    let extra_field = match additional {
        Additional::Keep { field, ty } => {
            let f = ident(field);
            let map = ctx.ty(&Ty::Map(Box::new(ty.clone())));
            if ctx.needs_validate(ty) {
                validations.push(quote!(#rt::Validate::validate_at(&self.#f, path, errors);));
            }
            Some((f, map))
        }
        _ => None,
    };
    let extra = extra_field.as_ref().map(|(f, map)| {
        let flatten = serialize_derive.then(|| quote!(#[serde(flatten)]));
        quote!(
            /// Fields the schema does not name, kept as they came.
            #flatten
            pub #f: #map,
        )
    });
    let defaults_impl = (!defaults.is_empty()).then(|| quote!(impl #name { #(#defaults)* }));
    // Every field optional or defaulted: `Default` gives what decoding
    // `{}` gives (each default filled in), unless the user derives it.
    let all_optional = fields
        .iter()
        .all(|f| f.default.is_some() || (f.ty.is_option() && !f.required));
    let user_default = ctx
        .settings
        .extra_derives
        .iter()
        .any(|d| d.trim() == "Default");
    let derive_default =
        all_optional && !user_default && fields.iter().all(|f| f.default.is_none());
    let derives = match (derive_default, serde_derives) {
        (true, true) => ctx.derives(quote!(Default,)),
        (false, true) => ctx.derives(TokenStream::new()),
        (d, false) => ctx.plain_derives(d, tag.is_some()),
    };
    let default_impl = (all_optional && !user_default && !derive_default).then(|| {
        let inits = fields.iter().map(|f| {
            let fname = ident(&f.name);
            match &f.default {
                Some(_) => {
                    let fn_name = format_ident!("__default_{}", f.name.trim_start_matches("r#"));
                    quote!(#fname: Self::#fn_name(),)
                }
                None => quote!(#fname: None,),
            }
        });
        let extra_init = extra_field
            .as_ref()
            .map(|(f, _)| quote!(#f: ::std::default::Default::default(),));
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self {
                    Self { #(#inits)* #extra_init }
                }
            }
        }
    });
    // A type without rules takes the trait's empty default.
    let validate = if validations.is_empty() {
        quote!(impl #rt::Validate for #name {})
    } else {
        quote! {
            impl #rt::Validate for #name {
                fn validate_at(&self, path: &#rt::Path<'_>, errors: &mut Vec<#rt::ValidationError>) {
                    #(#validations)*
                }
            }
        }
    };
    let struct_serde = if serde_derives {
        Some(quote!(#serde_crate #deny))
    } else {
        tag.map(
            |(wire, value)| quote!(#serde_crate #[serde(tag = #wire, rename(serialize = #value))]),
        )
    };
    let wire = (!serde_derives).then(|| {
        constant_wire(
            ctx,
            &name,
            &constants,
            &parts,
            extra_field.as_ref(),
            deny.as_ref(),
            tag.is_none(),
        )
    });
    let constant_consts = constants.iter().map(|c| {
        let value = c.constant.as_deref().unwrap_or_default();
        let cname = format_ident!(
            "{}",
            crate::ident::field_name(&c.wire, "constant")
                .trim_start_matches("r#")
                .to_ascii_uppercase()
        );
        let cdoc = format!(
            " `{}` on the wire: always `{value}` (written on encode, checked on decode).",
            c.wire
        );
        quote!(#[doc = #cdoc] pub const #cname: &'static str = #value;)
    });
    let constants_impl =
        (!constants.is_empty()).then(|| quote!(impl #name { #(#constant_consts)* }));
    quote! {
        #doc
        #derives
        #struct_serde
        pub struct #name {
            #(#members)*
            #extra
        }
        #defaults_impl
        #constants_impl
        #default_impl
        #wire
        #validate
    }
}

/// Serialize and Deserialize of a struct with constant properties, through
/// wire structs that hold them: encoding writes each constant, decoding
/// refuses any other value.
pub(super) fn constant_wire(
    ctx: &Ctx<'_>,
    name: &syn::Ident,
    constants: &[&Field],
    parts: &[(&Field, syn::Ident, TokenStream, TokenStream)],
    extra: Option<&(syn::Ident, TokenStream)>,
    deny: Option<&TokenStream>,
    serialize: bool,
) -> TokenStream {
    let rt = &ctx.rt;
    let serde_crate = ctx.serde_crate();
    let const_idents: Vec<syn::Ident> = (0..constants.len())
        .map(|i| format_ident!("__constant_{}", i))
        .collect();
    let check_fns: Vec<syn::Ident> = (0..constants.len())
        .map(|i| format_ident!("__check_constant_{}", i))
        .collect();
    let const_values: Vec<&str> = constants
        .iter()
        .map(|c| c.constant.as_deref().unwrap_or_default())
        .collect();
    let const_wires: Vec<&str> = constants.iter().map(|c| c.wire.as_str()).collect();
    let de_consts = constants
        .iter()
        .zip(&const_idents)
        .zip(&check_fns)
        .map(|((c, id), check)| {
            let wire = &c.wire;
            let check = check.to_string();
            let default = (!c.required).then(|| quote!(default,));
            quote!(#[serde(rename = #wire, #default deserialize_with = #check)] #id: (),)
        });
    let ser_consts = constants.iter().zip(&const_idents).map(|(c, id)| {
        let wire = &c.wire;
        quote!(#[serde(rename = #wire)] #id: &'static str,)
    });
    let de_fields = parts
        .iter()
        .map(|(_, f, attrs, ty)| quote!(#attrs #f: #ty,));
    let ser_fields = parts.iter().map(|(field, f, attrs, ty)| {
        if field.default.is_none() && field.ty.is_option() && !field.required {
            let inner = match &field.ty {
                Ty::Option(t) => ctx.ty(t),
                _ => ty.clone(),
            };
            quote!(#attrs #f: Option<&'a #inner>,)
        } else {
            quote!(#attrs #f: &'a #ty,)
        }
    });
    let field_names: Vec<&syn::Ident> = parts.iter().map(|(_, f, _, _)| f).collect();
    let ser_inits = parts.iter().map(|(field, f, _, _)| {
        if field.default.is_none() && field.ty.is_option() && !field.required {
            quote!(#f: self.#f.as_ref(),)
        } else {
            quote!(#f: &self.#f,)
        }
    });
    let (de_extra, ser_extra, extra_move, extra_ref) = match extra {
        Some((f, map)) => (
            quote!(#[serde(flatten)] #f: #map,),
            quote!(#[serde(flatten)] #f: &'a #map,),
            quote!(#f: wire.#f,),
            quote!(#f: &self.#f,),
        ),
        None => Default::default(),
    };
    let wire_var = if parts.is_empty() && extra.is_none() {
        quote!(_)
    } else {
        quote!(wire)
    };
    // A wire struct of constants only borrows nothing.
    let lifetime = (!parts.is_empty() || extra.is_some()).then(|| quote!(<'a>));
    let encode = serialize.then(|| {
        quote! {
            #[derive(#rt::serde::Serialize)]
            #serde_crate
            struct WireRef #lifetime {
                #(#ser_consts)*
                #(#ser_fields)*
                #ser_extra
            }
            impl #rt::serde::Serialize for #name {
                fn serialize<S: #rt::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    #rt::serde::Serialize::serialize(
                        &WireRef { #(#const_idents: #const_values,)* #(#ser_inits)* #extra_ref },
                        serializer,
                    )
                }
            }
        }
    });
    quote! {
        const _: () = {
            #[derive(#rt::serde::Deserialize)]
            #serde_crate
            #deny
            struct Wire {
                #(#de_consts)*
                #(#de_fields)*
                #de_extra
            }
            #(
                fn #check_fns<'de, D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
                    #rt::expect_constant(deserializer, #const_wires, #const_values)
                }
            )*
            impl<'de> #rt::serde::Deserialize<'de> for #name {
                fn deserialize<D: #rt::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let #wire_var = <Wire as #rt::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self { #(#field_names: wire.#field_names,)* #extra_move })
                }
            }
            #encode
        };
    }
}

/// The variant of a string enum that stands for `value`.
pub(super) fn enum_literal<'a>(
    ctx: &Ctx<'a>,
    id: crate::types::TypeId,
    value: &str,
) -> Option<&'a str> {
    match &ctx.defs[id.0].kind {
        DefKind::StringEnum(lits) => lits
            .iter()
            .find(|l| l.value.as_str() == Some(value))
            .map(|l| l.name.as_str()),
        _ => None,
    }
}

/// The expression of a default value of type `ty` (checked to fit by
/// `types::default_fits`): a literal where Rust has one, else the JSON
/// decoded once, when the default is needed.
pub(super) fn default_expr(ctx: &Ctx<'_>, ty: &Ty, d: &Value) -> TokenStream {
    let rt = &ctx.rt;
    match (ty, d) {
        (Ty::Option(_), Value::Null) => quote!(None),
        (Ty::Option(inner), d) => {
            let inner = default_expr(ctx, inner, d);
            quote!(Some(#inner))
        }
        (Ty::Box(inner), d) => {
            let inner = default_expr(ctx, inner, d);
            quote!(Box::new(#inner))
        }
        (Ty::String, Value::String(s)) => quote!(String::from(#s)),
        (Ty::Bool, Value::Bool(b)) => quote!(#b),
        (Ty::Int(_), Value::Number(n)) => {
            let lit: TokenStream = n.to_string().parse().unwrap_or_else(|_| quote!(0));
            quote!(#lit)
        }
        (Ty::F32 | Ty::F64, Value::Number(n)) => {
            let lit = Literal::f64_unsuffixed(n.as_f64().unwrap_or_default());
            quote!(#lit)
        }
        (Ty::Vec(_), Value::Array(items)) if items.is_empty() => quote!(Vec::new()),
        (Ty::Map(_), Value::Object(m)) if m.is_empty() => {
            quote!(::std::default::Default::default())
        }
        (Ty::Named(id), Value::String(s)) if enum_literal(ctx, *id, s).is_some() => {
            let name = ident(&ctx.defs[id.0].name);
            let v = enum_literal(ctx, *id, s).map(ident);
            let models = &ctx.models;
            quote!(#models #name::#v)
        }
        _ => {
            let json = d.to_string();
            quote!(#rt::default_from_json(#json))
        }
    }
}
