//! The store's files beside its sled database: one per snapshot (`snapshots/ID.json`, its whole
//! contents) and one per saved graph (`graphs/ID.graph`). Each is written owner-only to a
//! temporary name, synced and renamed, so a reader finds a whole file or none; deleting a
//! snapshot deletes its files, which gives the space back at once (sled keeps freed space in its
//! log).

use std::io::Write;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use accessgraph_model::{
    Account, Gap, Organization, PolicyHash, Snapshot, SnapshotId, SnapshotMeta,
};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The directory of snapshot files inside the store's directory.
pub(crate) const SNAPSHOTS_DIR: &str = "snapshots";
/// The directory of saved graphs inside the store's directory.
pub(crate) const GRAPHS_DIR: &str = "graphs";

/// A snapshot as written: its contents borrowed, with the metadata the catalog publishes (the
/// fields of [`Snapshot`], so the file reads back as one).
#[derive(Serialize)]
pub(crate) struct StoredSnapshot<'a> {
    pub(crate) meta: &'a SnapshotMeta,
    pub(crate) organization: &'a Option<Organization>,
    pub(crate) accounts: &'a [Account],
    pub(crate) documents: &'a BTreeMap<PolicyHash, String>,
    pub(crate) warnings: &'a [String],
    pub(crate) gaps: &'a [Gap],
}

/// The contents of a snapshot file.
#[derive(Serialize)]
struct Written<'a> {
    /// The layout of the file (the store's format version).
    format: u32,
    snapshot: &'a StoredSnapshot<'a>,
}

#[derive(Deserialize)]
struct Read {
    format: u32,
    snapshot: Snapshot,
}

/// The file of snapshot `id`.
pub(crate) fn snapshot_path(store: &Path, id: SnapshotId) -> PathBuf {
    store.join(SNAPSHOTS_DIR).join(format!("{}.json", id.0))
}

/// The saved graph of snapshot `id`.
pub(crate) fn graph_path(store: &Path, id: SnapshotId) -> PathBuf {
    store.join(GRAPHS_DIR).join(format!("{}.graph", id.0))
}

/// Creates `path` owner-only (0700) if needed, and makes it owner-only.
pub(crate) fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        if !path.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path)
    }
}

/// Writes a new owner-only (0600) file at `path` through `write`, atomically: to a temporary
/// name, synced, renamed, and the directory synced.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let directory = path.parent().unwrap_or(Path::new("."));
    owner_only(directory)?;
    let extension = path
        .extension()
        .map(|extension| extension.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_extension(format!("{extension}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options.open(&temporary)?;
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut buffered)?;
        let file = buffered.into_inner().map_err(|error| error.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        // The rename itself is durable once the directory is synced.
        std::fs::File::open(directory)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Writes the file of snapshot `id`.
pub(crate) fn write_snapshot(
    store: &Path,
    id: SnapshotId,
    snapshot: &StoredSnapshot<'_>,
) -> Result<(), StoreError> {
    let path = snapshot_path(store, id);
    write_atomically(&path, |out| {
        let contents = Written {
            format: crate::FORMAT_VERSION,
            snapshot,
        };
        serde_json::to_writer(out, &contents).map_err(std::io::Error::other)
    })
    .map_err(|source| StoreError::File {
        action: "write the snapshot file",
        path: path.display().to_string(),
        source,
    })
}

/// Reads the file of snapshot `id`.
pub(crate) fn read_snapshot(store: &Path, id: SnapshotId) -> Result<Snapshot, StoreError> {
    let path = snapshot_path(store, id);
    let file = std::fs::File::open(&path).map_err(|source| StoreError::File {
        action: "read the snapshot file",
        path: path.display().to_string(),
        source,
    })?;
    let read: Read = serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|error| {
            StoreError::Corrupt(format!("cannot decode `{}`: {error}", path.display()))
        })?;
    if read.format != crate::FORMAT_VERSION || read.snapshot.meta.id != id {
        return Err(StoreError::Corrupt(format!(
            "`{}` holds snapshot {} in format {}, not snapshot {id} in format {}",
            path.display(),
            read.snapshot.meta.id,
            read.format,
            crate::FORMAT_VERSION
        )));
    }
    Ok(read.snapshot)
}

/// Removes a file if it exists.
pub(crate) fn remove(path: &Path, what: &'static str) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(StoreError::File {
            action: what,
            path: path.display().to_string(),
            source: error,
        }),
        _ => Ok(()),
    }
}

/// Removes the files of `directory` that are not `ID.EXTENSION` of a snapshot `keep` accepts
/// (leftovers of deleted snapshots and temporary files of interrupted writes).
pub(crate) fn clean(
    directory: &Path,
    extension: &str,
    keep: impl Fn(SnapshotId) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let id = name
            .strip_suffix(extension)
            .and_then(|id| id.strip_suffix('.'))
            .and_then(|id| id.parse::<u64>().ok());
        let kept = match id {
            Some(id) => keep(SnapshotId(id))?,
            None => false,
        };
        if !kept {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}
