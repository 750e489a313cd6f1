//! Generating at build time, from a build script, in the style of
//! `prost-build` and `tonic-build`:
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     faststream_gen::compile("asyncapi/orders.yaml")?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/main.rs (or lib.rs)
//! pub mod orders {
//!     faststream::include_generated!("orders");
//! }
//! ```
//!
//! The module is written to `OUT_DIR/<stem>.rs` (only when its content
//! changed, so nothing downstream rebuilds for nothing). Cargo is told to
//! run the build script again when the spec or any file it reaches through
//! `$ref` changes. Warnings become `cargo:warning` lines; errors fail the
//! build with the rendered diagnostics (file:line:column, the source line,
//! a caret), and nothing is written.
//!
//! As a build dependency the crate is light: depend on it with
//! `default-features = false` to leave out the command line (clap).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::render_human;
use crate::settings::{Settings, Side};
use crate::{LoadOptions, check_file};

/// Generates `OUT_DIR/<stem>.rs` from the AsyncAPI document at `spec`
/// with the default settings (the application's side). See
/// [`configure`] for the rest.
pub fn compile(spec: impl AsRef<Path>) -> Result<PathBuf, BuildError> {
    configure().compile(spec)
}

/// A [`Builder`] with the default settings.
pub fn configure() -> Builder {
    Builder::default()
}

/// What a build script generates, and how.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    settings: Settings,
    output_name: Option<String>,
    out_dir: Option<PathBuf>,
    load: LoadOptions,
    quiet: bool,
}

impl Builder {
    /// Which side of the document to generate: the application (the
    /// default), its client, or both.
    #[must_use]
    pub fn side(mut self, side: Side) -> Self {
        self.settings.side = side;
        self
    }

    /// All the generator's settings at once (date-time representation,
    /// unknown fields, map type, derives, operations, channels, side).
    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// An extra derive for every generated struct and enum (`Hash`,
    /// `Eq`, ...).
    #[must_use]
    pub fn derive(mut self, derive: impl Into<String>) -> Self {
        self.settings = self.settings.derive(derive);
        self
    }

    /// The name of the output file, without `.rs` (default: the spec's
    /// file stem, made a Rust identifier: `orders-v2.yaml` -> `orders_v2`):
    /// what `include_generated!` names.
    #[must_use]
    pub fn output_name(mut self, name: impl Into<String>) -> Self {
        self.output_name = Some(name.into());
        self
    }

    /// Where to write (default: the `OUT_DIR` cargo gives build scripts).
    #[must_use]
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// How documents are loaded (the folder `$ref`s must stay in, URL
    /// prefixes mapped to local folders).
    #[must_use]
    pub fn load_options(mut self, options: LoadOptions) -> Self {
        self.load = options;
        self
    }

    /// Prints no `cargo:` lines (for using the builder outside a build
    /// script).
    #[must_use]
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Loads, validates and generates `spec`; returns the path written.
    pub fn compile(&self, spec: impl AsRef<Path>) -> Result<PathBuf, BuildError> {
        let spec = spec.as_ref();
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or_else(|| {
                BuildError::new(
                    "OUT_DIR is not set: call faststream_gen::compile from a build script, or set out_dir",
                )
            })?,
        };
        let checked = check_file(spec, &self.load);
        let mut cargo = String::new();
        if !self.quiet {
            // Every file the document reached, so fixing a broken one
            // runs the build script again too.
            cargo.push_str(&format!("cargo:rerun-if-changed={}\n", spec.display()));
            for path in checked.loaded.sources.paths() {
                if path != spec {
                    cargo.push_str(&format!("cargo:rerun-if-changed={}\n", path.display()));
                }
            }
        }
        let result = self.generate(spec, &out_dir, &checked, &mut cargo);
        if !cargo.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(cargo.as_bytes());
            let _ = out.flush();
        }
        result
    }

    fn generate(
        &self,
        spec: &Path,
        out_dir: &Path,
        checked: &crate::Checked,
        cargo: &mut String,
    ) -> Result<PathBuf, BuildError> {
        let sources = &checked.loaded.sources;
        if checked.has_errors() {
            return Err(BuildError::new(format!(
                "`{}` has errors; nothing was generated\n\n{}",
                spec.display(),
                render_human(&checked.diagnostics, sources)
            )));
        }
        self.warn(&render_human(&checked.diagnostics, sources), cargo);
        let document =
            checked.loaded.document.as_ref().ok_or_else(|| {
                BuildError::new(format!("`{}` could not be loaded", spec.display()))
            })?;
        let file_name = spec
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let generated = crate::generate(document, &self.settings, &file_name).map_err(|d| {
            BuildError::new(format!(
                "cannot generate code from `{}`\n\n{}",
                spec.display(),
                render_human(std::slice::from_ref(&d), sources)
            ))
        })?;
        self.warn(&render_human(&generated.diagnostics, sources), cargo);
        let stem = match &self.output_name {
            Some(n) => n.clone(),
            None => output_stem(spec),
        };
        let path = out_dir.join(format!("{stem}.rs"));
        crate::write::write_atomic(&path, generated.code.included.as_bytes())
            .map_err(|e| BuildError::new(format!("cannot write `{}`: {e}", path.display())))?;
        Ok(path)
    }

    /// Rendered diagnostics as `cargo:warning` lines (one per line: cargo
    /// shows each).
    fn warn(&self, rendered: &str, cargo: &mut String) {
        if self.quiet {
            return;
        }
        for line in rendered.lines() {
            cargo.push_str("cargo:warning=");
            cargo.push_str(line);
            cargo.push('\n');
        }
    }
}

/// The output name of a spec: its file stem as a Rust identifier.
fn output_stem(spec: &Path) -> String {
    crate::ident::snake_ident(
        &spec
            .file_stem()
            .map_or_else(|| "asyncapi".into(), |s| s.to_string_lossy()),
    )
}

/// Why a build script could not generate: the rendered diagnostics. Its
/// `Debug` is the same text, so `main() -> Result<_, Box<dyn Error>>`
/// shows it readably.
pub struct BuildError {
    message: String,
}

impl BuildError {
    fn new(message: impl Into<String>) -> BuildError {
        BuildError {
            message: message.into(),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_are_identifiers() {
        assert_eq!(output_stem(Path::new("a/orders.yaml")), "orders");
        assert_eq!(output_stem(Path::new("Orders-v2.json")), "orders_v2");
        assert_eq!(output_stem(Path::new("2024.yaml")), "_2024");
    }
}
