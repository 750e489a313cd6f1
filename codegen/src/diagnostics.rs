//! Diagnostics: every problem found in a document, with a stable code, a
//! severity, a JSON pointer and a source position, rendered for people
//! (rustc style) or as JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::source::{FileId, Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Stable diagnostic codes. Each code names one kind of problem; the
/// message says what exactly is wrong at that place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    // Reading files.
    Io,
    FileTooLarge,
    NotUtf8,
    Syntax,
    TooDeep,
    TooManyNodes,
    DuplicateKey,
    UnsupportedYaml,
    EmptyDocument,
    // References.
    RefRemote,
    RefOutsideRoot,
    RefFileNotFound,
    RefUnresolved,
    RefCycle,
    RefNotAllowed,
    RefWrongTarget,
    // Structure.
    VersionMissing,
    VersionUnsupported,
    TypeMismatch,
    RequiredField,
    UnknownField,
    InvalidValue,
    InvalidSchema,
    InvalidExample,
    // Semantics.
    AddressParameterUndeclared,
    ParameterNotInAddress,
    ServerVariableUndeclared,
    OperationMessageNotInChannel,
    RuntimeExpressionInvalid,
    DuplicateOperationId,
    SecuritySchemeUndefined,
    // Generation.
    UnsupportedSchema,
    UntaggedUnion,
    SchemaConflict,
    UnsupportedSchemaFormat,
    UnsupportedProtocol,
    UnsupportedBinding,
}

impl Code {
    /// Every code, for documentation and for the test that each one has a
    /// pinned fixture.
    pub const ALL: &'static [Code] = &[
        Code::Io,
        Code::FileTooLarge,
        Code::NotUtf8,
        Code::Syntax,
        Code::TooDeep,
        Code::TooManyNodes,
        Code::DuplicateKey,
        Code::UnsupportedYaml,
        Code::EmptyDocument,
        Code::RefRemote,
        Code::RefOutsideRoot,
        Code::RefFileNotFound,
        Code::RefUnresolved,
        Code::RefCycle,
        Code::RefNotAllowed,
        Code::RefWrongTarget,
        Code::VersionMissing,
        Code::VersionUnsupported,
        Code::TypeMismatch,
        Code::RequiredField,
        Code::UnknownField,
        Code::InvalidValue,
        Code::InvalidSchema,
        Code::InvalidExample,
        Code::AddressParameterUndeclared,
        Code::ParameterNotInAddress,
        Code::ServerVariableUndeclared,
        Code::OperationMessageNotInChannel,
        Code::RuntimeExpressionInvalid,
        Code::DuplicateOperationId,
        Code::SecuritySchemeUndefined,
        Code::UnsupportedSchema,
        Code::UntaggedUnion,
        Code::SchemaConflict,
        Code::UnsupportedSchemaFormat,
        Code::UnsupportedProtocol,
        Code::UnsupportedBinding,
    ];

    /// The codes only code generation reports (not `validate`).
    pub const GENERATION: &'static [Code] = &[
        Code::UnsupportedSchema,
        Code::UntaggedUnion,
        Code::SchemaConflict,
        Code::UnsupportedSchemaFormat,
        Code::UnsupportedProtocol,
        Code::UnsupportedBinding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "io",
            Code::FileTooLarge => "file-too-large",
            Code::NotUtf8 => "not-utf8",
            Code::Syntax => "syntax",
            Code::TooDeep => "too-deep",
            Code::TooManyNodes => "too-many-nodes",
            Code::DuplicateKey => "duplicate-key",
            Code::UnsupportedYaml => "unsupported-yaml",
            Code::EmptyDocument => "empty-document",
            Code::RefRemote => "ref-remote",
            Code::RefOutsideRoot => "ref-outside-root",
            Code::RefFileNotFound => "ref-file-not-found",
            Code::RefUnresolved => "ref-unresolved",
            Code::RefCycle => "ref-cycle",
            Code::RefNotAllowed => "ref-not-allowed",
            Code::RefWrongTarget => "ref-wrong-target",
            Code::VersionMissing => "version-missing",
            Code::VersionUnsupported => "version-unsupported",
            Code::TypeMismatch => "type-mismatch",
            Code::RequiredField => "required-field",
            Code::UnknownField => "unknown-field",
            Code::InvalidValue => "invalid-value",
            Code::InvalidSchema => "invalid-schema",
            Code::InvalidExample => "invalid-example",
            Code::AddressParameterUndeclared => "address-parameter-undeclared",
            Code::ParameterNotInAddress => "parameter-not-in-address",
            Code::ServerVariableUndeclared => "server-variable-undeclared",
            Code::OperationMessageNotInChannel => "operation-message-not-in-channel",
            Code::RuntimeExpressionInvalid => "runtime-expression-invalid",
            Code::DuplicateOperationId => "duplicate-operation-id",
            Code::SecuritySchemeUndefined => "security-scheme-undefined",
            Code::UnsupportedSchema => "unsupported-schema",
            Code::UntaggedUnion => "untagged-union",
            Code::SchemaConflict => "schema-conflict",
            Code::UnsupportedSchemaFormat => "unsupported-schema-format",
            Code::UnsupportedProtocol => "unsupported-protocol",
            Code::UnsupportedBinding => "unsupported-binding",
        }
    }
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where in the document: a JSON pointer into the file named by `span`.
    pub pointer: String,
    /// Where in the source; `None` only for problems with no file at all.
    pub span: Option<Span>,
    /// An optional hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            pointer: String::new(),
            span: None,
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, pointer: impl Into<String>, span: Span) -> Diagnostic {
        self.pointer = pointer.into();
        self.span = Some(span);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Renders diagnostics for people, like rustc: the message, the place, the
/// source line with a caret under the column.
pub fn render_human(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(
            out,
            "{}[{}]: {}",
            d.severity.as_str(),
            d.code.as_str(),
            d.message
        );
        let pad = " ".repeat(d.span.map_or(1, |s| s.line.to_string().len()));
        if let Some(span) = d.span {
            let name = sources.display_name(span.file);
            let _ = writeln!(out, "{pad}--> {}:{}:{}", name, span.line, span.col);
            if let Some(line) = sources.line(span.file, span.line) {
                let line = line.replace('\t', " ");
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{} | {}", span.line, line);
                let caret_at = (span.col as usize)
                    .saturating_sub(1)
                    .min(line.chars().count());
                let _ = writeln!(out, "{pad} | {}^", " ".repeat(caret_at));
            }
        }
        if !d.pointer.is_empty() {
            let _ = writeln!(out, "{pad} = at: #{}", d.pointer);
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    pointer: String,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// Renders diagnostics as a JSON array (one object per diagnostic).
pub fn render_json(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            code: d.code.as_str(),
            severity: d.severity.as_str(),
            message: &d.message,
            pointer: format!("#{}", d.pointer),
            file: d.span.map(|s| sources.display_name(s.file)),
            line: d.span.map(|s| s.line),
            column: d.span.map(|s| s.col),
            help: d.help.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}

/// Sorts diagnostics by file, position, then code, for stable output.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        let span = d.span.unwrap_or_default();
        (span.file, span.line, span.col, d.code, d.message.clone())
    });
}

/// The file a diagnostic is about, if any.
pub fn file_of(d: &Diagnostic) -> Option<FileId> {
    d.span.map(|s| s.file)
}
