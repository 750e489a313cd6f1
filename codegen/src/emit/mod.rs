//! Rendering: the type graph and the lowered document -> Rust source, with
//! `quote!`, parsed by `syn` and formatted by `prettyplease`. A broken
//! template fails here, at generation time, never in the user's build.

mod app;
mod bindings;
mod channels;
mod checks;
mod context;
mod enums;
mod handler;
mod headers;
mod messages;
mod models;
mod side;
mod structs;
mod tokens;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use self::channels::emit_channel;
use self::context::Ctx;
use self::models::emit_def;
use self::tokens::Types;
use crate::lower::Ir;
use crate::settings::Settings;
use crate::types::{Ty, TypeDef};

/// Lints generated code cannot always avoid.
const ALLOWS: &str = "#![allow(dead_code, unused_imports, clippy::all, clippy::pedantic, clippy::nursery, rustdoc::all)]";

/// The Rust type of `ty` as seen from outside the generated module:
/// named types as `<module>::models::Name`.
pub fn type_path(ty: &Ty, defs: &[TypeDef], settings: &Settings, module: &str) -> String {
    let rt: TokenStream = settings.runtime_path.parse().unwrap_or_default();
    let models: TokenStream = format!("{module}::models::").parse().unwrap_or_default();
    let ctx = Ctx {
        rt,
        settings,
        defs,
        models,
    };
    ctx.ty(ty).to_string().replace(' ', "")
}

/// A starting point for the code a user writes: `pub struct {type_name};`
/// and an implementation of the generated handler trait (`Handler`, or
/// `ClientHandler` for `client`) with every method stubbed. A stub logs
/// what arrived with `tracing` (when `log`; the crate then needs `tracing`)
/// and returns `Ok(())`, or, where the operation answers with a typed
/// reply, an error saying the method is not written yet. `module` is the
/// path of the generated module from where the text goes (`crate::orders`,
/// `super::orders`); the types are named through its `models`, `channels`
/// and `messages`, imported at the top.
pub fn handler_stub(
    ir: &Ir,
    defs: &[TypeDef],
    settings: &Settings,
    module: &str,
    type_name: &str,
    client: bool,
    log: bool,
) -> Result<String, String> {
    let module_path: TokenStream = module
        .parse()
        .map_err(|e| format!("invalid module path `{module}`: {e}"))?;
    let self_ty: syn::Ident =
        syn::parse_str(type_name).map_err(|e| format!("invalid type name `{type_name}`: {e}"))?;
    let root_ctx = Ctx {
        rt: quote!(__rt),
        settings,
        defs,
        models: quote!(models::),
    };
    let root_ty = |t: &Ty| root_ctx.ty(t);
    let trait_name = if client {
        format_ident!("ClientHandler")
    } else {
        format_ident!("Handler")
    };
    let implementation = handler::handler_stub(
        &Types { ty: &root_ty },
        ir,
        client,
        &quote!(#module_path::#trait_name),
        &self_ty,
        log,
    );
    let file: syn::File = syn::parse2(quote! {
        pub struct #self_ty;
        #implementation
    })
    .map_err(|e| format!("the handler stub does not parse: {e}"))?;
    let body = prettyplease::unparse(&file);
    // `Context` and `HandlerError` from the runtime crate's root (the
    // generated code reaches the runtime through its `__codegen` module).
    let runtime = settings
        .runtime_path
        .trim_start_matches("::")
        .trim_end_matches("::__codegen");
    let body = body
        .replace("__rt::Context", "Context")
        .replace("__rt::HandlerError", "HandlerError")
        .replace("__rt::", &format!("{}::", settings.runtime_path));
    let mut uses = String::new();
    let parts: Vec<&str> = ["channels", "messages", "models"]
        .into_iter()
        .filter(|m| body.contains(&format!("{m}::")))
        .collect();
    match parts.as_slice() {
        [] => {}
        [one] => uses.push_str(&format!("use {module}::{one};\n")),
        _ => uses.push_str(&format!("use {module}::{{{}}};\n", parts.join(", "))),
    }
    let rt_names: Vec<&str> = ["Context", "HandlerError"]
        .into_iter()
        .filter(|n| body.contains(&format!(": {n}")) || body.contains(&format!("{n}>")))
        .collect();
    match rt_names.as_slice() {
        [] => {}
        [one] => uses.push_str(&format!("use {runtime}::{one};\n")),
        _ => uses.push_str(&format!("use {runtime}::{{{}}};\n", rt_names.join(", "))),
    }
    uses.push('\n');
    Ok(format!("{uses}{body}"))
}

/// The rendered parts of a generated module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One self-contained module file (`-o OUT.rs`).
    pub single: String,
    /// A module tree (`-o DIR/`): `mod.rs`, `models.rs`, `channels.rs`.
    pub tree: Vec<(&'static str, String)>,
    /// The single file as `include!` takes it inside a module the user
    /// writes (`faststream::include_generated!`): its inner attributes
    /// cannot stand there, so the items live in a private module whose
    /// public items are re-exported.
    pub included: String,
}

/// The single file wrapped for `include!` (see [`Rendered::included`]).
fn included(single: &str) -> String {
    let (header, body) = single.split_once('\n').unwrap_or(("", single));
    format!(
        "{header}\n// Included with `faststream::include_generated!`: the items are those of\n// the private module below, re-exported.\nmod __generated {{\n{body}}}\npub use self::__generated::*;\n"
    )
}

fn parse_items(tokens: TokenStream) -> Result<Vec<syn::Item>, String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(file.items)
}

fn format_file(file: &syn::File, source_name: &str) -> String {
    let body = prettyplease::unparse(file);
    format!(
        "// @generated by faststream-gen {} from `{source_name}`. Do not edit by hand.\n{body}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Renders a lowered document; `document_json` is embedded for export.
pub fn render(
    ir: &Ir,
    defs: &[TypeDef],
    settings: &Settings,
    source_name: &str,
    document_json: &str,
) -> Result<Rendered, String> {
    let runtime: TokenStream = settings
        .runtime_path
        .parse()
        .map_err(|e| format!("invalid runtime path `{}`: {e}", settings.runtime_path))?;
    let rt = quote!(__rt);
    let use_rt = quote!(use #runtime as __rt;);
    let ctx = Ctx {
        rt: rt.clone(),
        settings,
        defs,
        models: quote!(super::models::),
    };
    let model_ctx = Ctx {
        rt,
        settings,
        defs,
        models: TokenStream::new(),
    };
    let models: Vec<TokenStream> = defs.iter().map(|d| emit_def(&model_ctx, d)).collect();
    let root_ctx = Ctx {
        rt: quote!(__rt),
        settings,
        defs,
        models: quote!(models::),
    };
    let root_ty = |t: &Ty| root_ctx.ty(t);
    let msgs_ty = |t: &Ty| ctx.ty(t);
    // Message enums live in `messages` (types seen from there); the
    // handler, router and publisher at the root (types seen from there).
    let (message_enums, app_root) = app::render(
        &Types { ty: &msgs_ty },
        &Types { ty: &root_ty },
        ir,
        settings.side,
        document_json,
    );
    let messages_doc = " Message enums of operations that carry several messages.";
    let channels: Vec<TokenStream> = ir.channels.iter().map(emit_channel).collect();
    let title = format!(
        " Generated from `{source_name}`: {} {}.",
        ir.title, ir.version
    );
    let allows: TokenStream = ALLOWS.parse().map_err(|e| format!("{e}"))?;
    let models_doc = " Message payloads, headers and the types they use.";
    let channels_doc = " Channel addresses: typed parameters, formatting and parsing.";
    // Each part is parsed once; the single file and the module tree are
    // both built from the parsed items (parsing is most of the cost).
    let models = parse_items(quote! { #use_rt #(#models)* })?;
    let channels = parse_items(quote! { #use_rt #(#channels)* })?;
    let messages = parse_items(quote! { #use_rt #message_enums })?;
    let root = parse_items(quote! { #use_rt #app_root })?;
    let header = |inner: TokenStream| -> Result<Vec<syn::Attribute>, String> {
        let file: syn::File = syn::parse2(quote! { #allows #inner })
            .map_err(|e| format!("generated code does not parse: {e}"))?;
        Ok(file.attrs)
    };
    let module =
        |doc: &str, name: &str, items: Option<&[syn::Item]>| -> Result<syn::Item, String> {
            let name = format_ident!("{}", name);
            let mut item: syn::ItemMod = syn::parse2(match items {
                Some(_) => quote!(#[doc = #doc] pub mod #name {}),
                None => quote!(#[doc = #doc] pub mod #name;),
            })
            .map_err(|e| format!("generated code does not parse: {e}"))?;
            if let (Some(items), Some((_, content))) = (items, item.content.as_mut()) {
                content.extend_from_slice(items);
            }
            Ok(syn::Item::Mod(item))
        };
    let file = |attrs: Vec<syn::Attribute>, items: Vec<syn::Item>| syn::File {
        shebang: None,
        frontmatter: None,
        attrs,
        items,
    };
    let mut single_items = vec![
        module(models_doc, "models", Some(&models))?,
        module(channels_doc, "channels", Some(&channels))?,
        module(messages_doc, "messages", Some(&messages))?,
    ];
    single_items.extend(root.iter().cloned());
    let single = format_file(
        &file(header(quote!(#![doc = #title]))?, single_items),
        source_name,
    );
    let mut mod_items = vec![
        module(models_doc, "models", None)?,
        module(channels_doc, "channels", None)?,
        module(messages_doc, "messages", None)?,
    ];
    mod_items.extend(root);
    let plain = header(TokenStream::new())?;
    let tree = vec![
        (
            "mod.rs",
            format_file(
                &file(header(quote!(#![doc = #title]))?, mod_items),
                source_name,
            ),
        ),
        (
            "messages.rs",
            format_file(&file(plain.clone(), messages), source_name),
        ),
        (
            "models.rs",
            format_file(&file(plain.clone(), models), source_name),
        ),
        (
            "channels.rs",
            format_file(&file(plain, channels), source_name),
        ),
    ];
    let included = included(&single);
    Ok(Rendered {
        single,
        tree,
        included,
    })
}
