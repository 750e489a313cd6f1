//! JSON Schema -> a graph of Rust types.
//!
//! A [`TypeSpace`] is given schemas (by JSON pointer into the bundled 3.x
//! document) and turns each into a [`Ty`]: a Rust type expression whose
//! named parts ([`TypeDef`]s: structs, enums, newtypes, aliases) are kept
//! once, by the pointer they came from. Rendering is a separate step
//! ([`crate::emit`]). Everything is ordered (definitions in creation order,
//! maps in document order), so output is deterministic.

mod model;
mod objects;
mod read;
mod schema;
mod space;
mod unions;

pub use model::*;
pub use read::{by_name, default_fits, doc_of, doc_of_named, doc_of_text};
pub use space::{Hint, TypeSpace};
