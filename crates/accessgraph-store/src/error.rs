//! Store errors.

use std::path::Path;

use accessgraph_model::SnapshotId;

/// What went wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process holds the store open.
    #[error(
        "the store at `{0}` is in use by another process (one process opens a store at a time; stop it, or send the ingest to the running server)"
    )]
    Locked(String),
    /// A read found no store at the path (only an ingest creates one).
    #[error(
        "no store at `{0}` (a store is created by `accessgraph ingest` or `collect --ingest`; check `--db` or `ACCESSGRAPH_DB`)"
    )]
    Missing(String),
    /// The store's directory exists but cannot be read (another user's store).
    #[error("cannot open the store `{path}`: {source}")]
    Unreadable {
        /// Store location.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The store's directory could not be created or made owner-only.
    #[error("cannot prepare the store directory `{path}`: {source}")]
    Directory {
        /// Store location.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The store was written by another version of accessgraph.
    #[error(
        "the store at `{path}` has format version {found}, this accessgraph reads version {supported}"
    )]
    UnknownVersion {
        /// Store location.
        path: String,
        /// Version found (0 if none).
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// A snapshot file or a saved graph cannot be written, read or removed.
    #[error("cannot {action} `{path}`: {source}")]
    File {
        /// What was being done (`write the snapshot file`).
        action: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// No published snapshot has this id.
    #[error("no snapshot `{0}` in the store")]
    NotFound(SnapshotId),
    /// Stored data that cannot be decoded.
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// An I/O or database error.
    #[error("store error: {0}")]
    Database(#[from] sled::Error),
}

impl StoreError {
    pub(crate) fn from_open(path: &Path, error: sled::Error) -> StoreError {
        let text = error.to_string();
        let locked = matches!(&error, sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock)
            || text.contains("lock");
        if locked {
            StoreError::Locked(path.display().to_string())
        } else {
            StoreError::Database(error)
        }
    }
}
