//! Why an export could not be written.

/// Why an export could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError(pub String);

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AsyncAPI export: {}", self.0)
    }
}

impl std::error::Error for ExportError {}
