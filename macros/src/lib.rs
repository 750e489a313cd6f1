//! `#[derive(faststream::Message)]`: a message type's [`Validate`] and
//! [`Describe`] written from the type itself, so its checks and its schema
//! in the AsyncAPI export cannot drift from its fields.
//!
//! Use it through `faststream` (`faststream::Message`); this crate is its
//! implementation. What it reads:
//!
//! - serde's attributes, as serde applies them: `rename`, `rename_all`,
//!   `rename_all_fields`, `default`, `skip`/`skip_deserializing`,
//!   `flatten`, `alias`, `deny_unknown_fields`, `transparent`, and the enum
//!   representations (external, `tag`, `tag` + `content`, `untagged`,
//!   per-variant `untagged`, `other`);
//! - doc comments, as descriptions;
//! - `#[message(...)]` on a field: `min_length`, `max_length`, `pattern`,
//!   `format`, `minimum`, `maximum`, `exclusive_minimum`,
//!   `exclusive_maximum`, `multiple_of`, `min_items`, `max_items`,
//!   `unique_items`, `min_properties`, `max_properties`, `example`;
//!   `#[message(crate = "path")]` on the type when `faststream` is
//!   renamed.
//!
//! `Option<T>` (written as such) is an optional property that admits
//! `null`; a constraint on it applies to the value when present.
//!
//! [`Validate`]: https://docs.rs/faststream/latest/faststream/validate/trait.Validate.html
//! [`Describe`]: https://docs.rs/faststream/latest/faststream/export/trait.Describe.html

mod attr;
mod case;
mod expand;

use proc_macro::TokenStream;

/// Implements `faststream::Validate` and `faststream::export::Describe`
/// for a struct or enum from its serde attributes, its doc comments and
/// its fields' `#[message(...)]` constraints.
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
