//! faststream-gen: AsyncAPI documents in, typed Rust out.
//!
//! The pipeline: [`load`] (files, YAML/JSON with positions, `$ref`
//! bundling) -> [`validate`] (every problem, with positions; [`check_file`]
//! and [`check_str`] run both and, when nothing is an error, build the
//! [`faststream_asyncapi`] model, which [`diff`] and the `docs` page read)
//! -> [`generate()`], which is pure: it takes the bundled tree as a JSON
//! value, applies its traits and converts 2.x to 3.0, [`lower`]s that 3.x
//! value (not the model) into an [`lower::Ir`] while [`types`] turns each
//! schema into a Rust type, and [`emit`] renders both as formatted Rust.
//! [`write`](mod@write) is the only module that writes files; [`build`] runs the
//! pipeline from a build script.

pub mod avro;
pub mod build;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod generate;
pub mod ident;
pub mod load;
pub mod lower;
#[cfg(feature = "cli")]
pub mod scaffold;
pub use faststream_asyncapi::schema_check;
pub mod settings;
pub mod source;
pub mod spec;
pub mod types;
pub mod validate;
pub mod write;

use std::path::Path;

pub use build::{BuildError, Builder, compile, configure};
pub use diagnostics::{Code, Diagnostic, Severity};
pub use faststream_asyncapi as asyncapi;
pub use generate::{Generated, generate};
pub use load::{LoadOptions, Loaded, Sources};
pub use settings::Settings;

/// A loaded and validated document.
#[derive(Debug)]
pub struct Checked {
    pub loaded: Loaded,
    /// Every problem found while loading and validating, sorted by place.
    pub diagnostics: Vec<Diagnostic>,
    /// The canonical 3.x model, when the document has no errors.
    pub model: Option<asyncapi::AsyncApi>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        diagnostics::has_errors(&self.diagnostics)
    }

    /// The bundled document as a JSON value (every `$ref` local).
    pub fn bundled_value(&self) -> Option<serde_json::Value> {
        self.loaded.document.as_ref().map(load::Node::to_value)
    }
}

/// Loads, bundles and validates a document file.
pub fn check_file(path: &Path, options: &LoadOptions) -> Checked {
    finish_check(load::load_file(path, options))
}

/// Loads, bundles and validates a document given as text.
pub fn check_str(name: &Path, text: &str, options: &LoadOptions) -> Checked {
    finish_check(load::load_str(name, text, options))
}

fn finish_check(mut loaded: Loaded) -> Checked {
    let mut all = std::mem::take(&mut loaded.diagnostics);
    if let Some(doc) = &loaded.document {
        all.extend(validate::validate(doc, &loaded.bundled_refs));
    }
    let mut model = None;
    if !diagnostics::has_errors(&all)
        && let Some(doc) = &loaded.document
    {
        match asyncapi::to_v3_model(&doc.to_value()) {
            Ok((m, _notes)) => model = Some(m),
            Err(e) => all.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    format!("the document does not fit the AsyncAPI model: {e}"),
                )
                .at("", doc.span),
            ),
        }
    }
    diagnostics::sort(&mut all);
    all.dedup();
    Checked {
        loaded,
        diagnostics: all,
        model,
    }
}
