//! What one account's collection produced: its files, and the gaps (calls AWS refused) that make
//! the account's data incomplete.

use serde_json::Value;

use crate::error::CallError;

/// Files (path in the layout, content) and gaps of one account, or of one part of it.
#[derive(Debug, Default)]
pub(crate) struct Harvest {
    pub(crate) files: Vec<(String, Value)>,
    pub(crate) gaps: Vec<String>,
    /// The regions whose regional services were read (an account's harvest).
    pub(crate) regions: Vec<String>,
}

impl Harvest {
    /// A file of the snapshot.
    pub(crate) fn file(&mut self, path: String, content: Value) {
        self.files.push((path, content));
    }

    /// A call that failed, where (`us-east-1`, `bucket b`), and so what the snapshot lacks.
    pub(crate) fn gap(&mut self, place: &str, error: &CallError) {
        self.gaps.push(format!("{place}: {error}"));
    }

    /// The outcome of a part: its files, or its failure as a gap.
    pub(crate) fn take(&mut self, place: &str, part: Result<Harvest, CallError>) {
        match part {
            Ok(part) => self.merge(part),
            Err(error) => self.gap(place, &error),
        }
    }

    pub(crate) fn merge(&mut self, other: Harvest) {
        self.files.extend(other.files);
        self.gaps.extend(other.gaps);
    }
}
