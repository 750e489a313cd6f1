//! Why an export could not be written.

/// Why an export could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("AsyncAPI export: {0}")]
pub struct ExportError(pub String);
