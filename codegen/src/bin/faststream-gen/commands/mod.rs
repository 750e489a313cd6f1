//! One module per command.

pub(crate) mod bundle;
pub(crate) mod completions;
pub(crate) mod convert;
pub(crate) mod diff;
pub(crate) mod docs;
pub(crate) mod generate;
pub(crate) mod new;
pub(crate) mod validate;
