//! Ingest errors: the file (relative to the snapshot root), the JSON path, and what was expected.

use std::fmt;

/// A file that could not be ingested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IngestError {
    file: String,
    json_path: Option<String>,
    message: String,
    /// Whether a resource limit (the memory budget) stopped the ingest, not the input itself.
    exhausted: bool,
}

impl IngestError {
    /// An error about a whole file.
    pub(crate) fn file(file: &str, message: impl Into<String>) -> IngestError {
        IngestError {
            file: file.to_owned(),
            json_path: None,
            message: message.into(),
            exhausted: false,
        }
    }

    /// A resource limit reached while reading a file (the memory budget).
    pub(crate) fn exhausted(file: &str, message: impl Into<String>) -> IngestError {
        IngestError {
            exhausted: true,
            ..IngestError::file(file, message)
        }
    }

    /// An error at a JSON path inside a file.
    pub(crate) fn at(
        file: &str,
        json_path: impl Into<String>,
        message: impl Into<String>,
    ) -> IngestError {
        IngestError {
            file: file.to_owned(),
            json_path: Some(json_path.into()),
            message: message.into(),
            exhausted: false,
        }
    }

    /// The file, relative to the snapshot root.
    #[must_use]
    pub fn file_path(&self) -> &str {
        &self.file
    }

    /// The JSON path of the offending value, if the error is inside the document.
    #[must_use]
    pub fn json_path(&self) -> Option<&str> {
        self.json_path.as_deref()
    }

    /// Whether a resource limit of the ingest (its memory budget) refused the file, rather than
    /// something wrong in it: a server answers RESOURCE_EXHAUSTED.
    #[must_use]
    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// What is wrong.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.json_path {
            Some(path) => write!(f, "{}: {path}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}
