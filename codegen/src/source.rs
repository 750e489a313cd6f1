//! Where things are: the files a document was read from ([`Sources`])
//! and positions in them ([`Span`]). The first stage of the pipeline:
//! loading records them, diagnostics point at them.

use std::path::{Path, PathBuf};

/// Identifies a loaded source file (an index into [`Sources`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A position in a source file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

/// One file that was read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as given or resolved (not canonicalized), for display.
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

/// Every file read while loading a document.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            path,
            text,
            line_starts,
        });
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn display_name(&self, id: FileId) -> String {
        self.get(id)
            .map(|f| f.path.display().to_string())
            .unwrap_or_else(|| "<unknown>".into())
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, id: FileId, line: u32) -> Option<&str> {
        let f = self.get(id)?;
        let i = (line as usize).checked_sub(1)?;
        let start = *f.line_starts.get(i)?;
        let end = f.line_starts.get(i + 1).copied().unwrap_or(f.text.len());
        Some(f.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// Every file read, in the order they were read.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
