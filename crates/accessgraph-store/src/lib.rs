//! Versioned, atomic persistence of snapshots: a catalog in an embedded sled database, and each
//! snapshot's contents (and saved graph) in a file beside it.
//!
//! A snapshot is written in full under a *pending* marker (its file written to a temporary name,
//! synced and renamed), and only then published by one transaction that adds its metadata to the
//! catalog and removes the marker. A reader lists only published snapshots, so it never sees half
//! of an ingest. A process killed mid-ingest leaves a pending marker; the next [`Store::open`]
//! removes that snapshot's leftovers. Deleting a snapshot deletes its files, so the space comes
//! back at once; sled holds only the catalog (a few hundred bytes per snapshot).
//!
//! This is the only crate that names sled; no sled type appears in its API. A store of format 1
//! (contents inside sled) is moved to files when it is first opened (`legacy`).

#![warn(missing_docs)]

mod content;
mod error;
mod files;
mod keys;
mod legacy;

use std::path::{Path, PathBuf};

use accessgraph_model::{Snapshot, SnapshotId, SnapshotMeta};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional as _;

pub use self::error::StoreError;
use self::files::{GRAPHS_DIR, SNAPSHOTS_DIR, StoredSnapshot, owner_only};
use self::keys::{decode_id, encode_id};

/// The on-disk format this code reads and writes (1: contents inside sled; 2: in files).
pub const FORMAT_VERSION: u32 = 2;

const FORMAT_KEY: &[u8] = b"format_version";
/// The last snapshot id handed out.
const NEXT_ID_KEY: &[u8] = b"last_snapshot_id";

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
    /// Published snapshots: id -> metadata.
    catalog: sled::Tree,
    /// Snapshots being written: id -> nothing.
    pending: sled::Tree,
    /// What published snapshots say: content hash -> id (see `content`).
    contents: sled::Tree,
    path: PathBuf,
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value)
        .map_err(|error| StoreError::Corrupt(format!("cannot encode: {error}")))
}

fn from_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|error| StoreError::Corrupt(format!("cannot decode {what}: {error}")))
}

/// How long `Store::open` waits for a store that is being closed (sled releases its directory
/// lock from a background thread shortly after the last handle is dropped).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Makes the store's files owner-only (0600) and its subdirectories (sled's `blobs/`, the
/// snapshot and graph files) 0700, as far as this user may: sled creates them with the process's
/// umask, and the directory's 0700 already keeps others out. The server's socket keeps its own
/// mode.
fn tighten_files(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            let mode = match entry.file_type() {
                Ok(kind) if kind.is_file() => 0o600,
                Ok(kind) if kind.is_dir() => 0o700,
                _ => continue,
            };
            let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok(db),
            Err(error) => match StoreError::from_open(path, error) {
                StoreError::Locked(_) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return Err(other),
            },
        }
    }
}

impl Store {
    /// The default location: `$ACCESSGRAPH_DB`, else `accessgraph/db` in the XDG data directory.
    #[must_use]
    pub fn default_location() -> Option<PathBuf> {
        match std::env::var_os("ACCESSGRAPH_DB") {
            Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
            _ => dirs::data_dir().map(|dir| dir.join("accessgraph").join("db")),
        }
    }

    /// Opens (creating if needed) the store at `path`, checks its format version and removes the
    /// leftovers of interrupted ingests. A store held by another handle is waited for up to two
    /// seconds (it may be closing), then reported as in use. The directory is owner-only (0700)
    /// and so are its files (0600): a snapshot maps how to break into a company.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        owner_only(path).map_err(|source| StoreError::Directory {
            path: path.display().to_string(),
            source,
        })?;
        Store::open_existing(path)
    }

    /// Opens the store at `path` for reading and answering, never creating one: a mistyped path
    /// is an error naming it, not a new empty store.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        match std::fs::metadata(path) {
            Ok(found) if found.is_dir() => {}
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Unreadable {
                    path: path.display().to_string(),
                    source,
                });
            }
            _ => return Err(StoreError::Missing(path.display().to_string())),
        }
        let db = open_db(path)?;
        tighten_files(path);
        let store = Store {
            catalog: db.open_tree("catalog")?,
            pending: db.open_tree("pending")?,
            contents: db.open_tree("contents")?,
            db,
            path: path.to_path_buf(),
        };
        store.check_version()?;
        store.clean_leftovers()?;
        Ok(store)
    }

    /// Where the store lives.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_version(&self) -> Result<(), StoreError> {
        let found = match self.db.get(FORMAT_KEY)? {
            Some(bytes) => <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .unwrap_or(u32::MAX),
            None if self.catalog.is_empty() && self.pending.is_empty() => {
                self.db.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                self.db.flush()?;
                FORMAT_VERSION
            }
            None => 0,
        };
        match found {
            FORMAT_VERSION => Ok(()),
            1 => legacy::migrate(self),
            _ => Err(StoreError::UnknownVersion {
                path: self.path.display().to_string(),
                found,
                supported: FORMAT_VERSION,
            }),
        }
    }

    /// Removes the files of snapshots that were never published (or whose deletion was
    /// interrupted), and temporary files of interrupted writes.
    fn clean_leftovers(&self) -> Result<(), StoreError> {
        let abandoned: Vec<SnapshotId> = self
            .pending
            .iter()
            .keys()
            .map(|key| key.map(|key| decode_id(&key)))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        for id in abandoned {
            self.remove_files(id)?;
            self.forget_contents(id)?;
            self.pending.remove(encode_id(id))?;
        }
        // Graphs were once saved inside sled: that tree is dropped (a cache, rebuilt on demand);
        // so are the trees of format 1 if a move to files stopped after raising the version.
        self.db.drop_tree("graphs")?;
        legacy::drop_trees(self)?;
        let published = |id: SnapshotId| Ok(self.catalog.contains_key(encode_id(id))?);
        files::clean(&self.path.join(GRAPHS_DIR), "graph", published)?;
        files::clean(&self.path.join(SNAPSHOTS_DIR), "json", published)?;
        self.db.flush()?;
        Ok(())
    }

    /// Saves the graph built from snapshot `id` (an opaque blob), replacing any earlier one.
    pub fn put_graph(&self, id: SnapshotId, bytes: &[u8]) -> Result<(), StoreError> {
        if !self.catalog.contains_key(encode_id(id))? {
            return Err(StoreError::NotFound(id));
        }
        let path = files::graph_path(&self.path, id);
        files::write_atomically(&path, |out| out.write_all(bytes)).map_err(|source| {
            StoreError::File {
                action: "write the saved graph",
                path: path.display().to_string(),
                source,
            }
        })
    }

    /// The cached graph of a snapshot, if one was saved: the open file and its size, so a large
    /// graph is read in order rather than held whole in memory.
    pub fn graph(&self, id: SnapshotId) -> Result<Option<(std::fs::File, u64)>, StoreError> {
        let path = files::graph_path(&self.path, id);
        let opened = std::fs::File::open(&path).and_then(|file| Ok((file.metadata()?.len(), file)));
        match opened {
            Ok((length, file)) => Ok(Some((file, length))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::File {
                action: "read the saved graph",
                path: path.display().to_string(),
                source,
            }),
        }
    }

    fn remove_files(&self, id: SnapshotId) -> Result<(), StoreError> {
        files::remove(&files::graph_path(&self.path, id), "remove the saved graph")?;
        files::remove(
            &files::snapshot_path(&self.path, id),
            "remove the snapshot file",
        )
    }

    /// The next snapshot id: one more than the last handed out, skipping ids in use, so ids read
    /// 1, 2, 3 ... (sled's own id generator jumps by a million after each restart).
    fn next_id(&self) -> Result<SnapshotId, StoreError> {
        loop {
            let bytes = self.db.update_and_fetch(NEXT_ID_KEY, |old| {
                let last = old
                    .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
                    .map_or(0, u64::from_be_bytes);
                Some(last.saturating_add(1).to_be_bytes().to_vec())
            })?;
            let id = bytes
                .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_ref()).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt("the snapshot id counter".into()))?;
            let id = SnapshotId(id);
            if !self.catalog.contains_key(encode_id(id))?
                && !self.pending.contains_key(encode_id(id))?
            {
                return Ok(id);
            }
        }
    }

    /// Stores a snapshot and publishes it atomically; returns its metadata with id and ingest time.
    pub fn put(&self, snapshot: &Snapshot) -> Result<SnapshotMeta, StoreError> {
        let hash = content::hash(snapshot);
        self.put_hashed(snapshot, &hash)
    }

    /// Stores a snapshot unless a published one says exactly the same (the same files ingested
    /// again): then nothing is written and that snapshot is returned as [`Put::Identical`].
    /// With `force` the snapshot is stored anyway.
    pub fn put_new(&self, snapshot: &Snapshot, force: bool) -> Result<Put, StoreError> {
        let hash = content::hash(snapshot);
        if force {
            return self.put_hashed(snapshot, &hash).map(Put::Stored);
        }
        if let Some(id) = self.contents.get(hash.as_bytes())? {
            if let Some(id) = decode_id(&id) {
                match self.meta(id) {
                    Ok(meta) => return Ok(Put::Identical(meta)),
                    Err(StoreError::NotFound(_)) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        self.put_hashed(snapshot, &hash).map(Put::Stored)
    }

    fn put_hashed(&self, snapshot: &Snapshot, hash: &str) -> Result<SnapshotMeta, StoreError> {
        let id = self.next_id()?;
        self.pending.insert(encode_id(id), &[])?;
        self.pending.flush()?;

        let mut meta = snapshot.meta.clone();
        meta.id = id;
        meta.ingested_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.write_file(snapshot, &meta)?;
        self.publish(&meta)?;
        self.contents.insert(hash.as_bytes(), &encode_id(id))?;
        self.contents.flush()?;
        Ok(meta)
    }

    /// Writes the file of `snapshot` under `meta` (its id and ingest time).
    fn write_file(&self, snapshot: &Snapshot, meta: &SnapshotMeta) -> Result<(), StoreError> {
        // The contents are written as they are, with the metadata the catalog will hold; the
        // big parts are borrowed, never copied.
        let stored = StoredSnapshot {
            meta,
            organization: &snapshot.organization,
            accounts: &snapshot.accounts,
            documents: &snapshot.documents,
            warnings: &snapshot.warnings,
            gaps: &snapshot.gaps,
        };
        files::write_snapshot(&self.path, meta.id, &stored)
    }

    /// Adds `meta` to the catalog and removes its pending marker, in one transaction.
    fn publish(&self, meta: &SnapshotMeta) -> Result<(), StoreError> {
        let id = meta.id;
        let meta_bytes = to_json(meta)?;
        let key = encode_id(id);
        let published: sled::transaction::TransactionResult<(), ()> =
            (&self.catalog, &self.pending).transaction(|(catalog, pending)| {
                catalog.insert(&key, meta_bytes.as_slice())?;
                pending.remove(&key)?;
                Ok(())
            });
        published.map_err(|error| {
            StoreError::Corrupt(format!("cannot publish snapshot {id}: {error:?}"))
        })?;
        self.db.flush()?;
        Ok(())
    }

    /// Published snapshots, oldest first.
    pub fn list(&self) -> Result<Vec<SnapshotMeta>, StoreError> {
        self.catalog
            .iter()
            .values()
            .map(|value| from_json(&value?, "snapshot metadata"))
            .collect()
    }

    /// The newest published snapshot.
    pub fn latest(&self) -> Result<Option<SnapshotMeta>, StoreError> {
        match self.catalog.last()? {
            Some((_, value)) => from_json(&value, "snapshot metadata").map(Some),
            None => Ok(None),
        }
    }

    /// Metadata of one published snapshot.
    pub fn meta(&self, id: SnapshotId) -> Result<SnapshotMeta, StoreError> {
        match self.catalog.get(encode_id(id))? {
            Some(value) => from_json(&value, "snapshot metadata"),
            None => Err(StoreError::NotFound(id)),
        }
    }

    /// Reads a published snapshot back in full.
    pub fn load(&self, id: SnapshotId) -> Result<Snapshot, StoreError> {
        let meta = self.meta(id)?;
        let mut snapshot = files::read_snapshot(&self.path, id)?;
        // The catalog's metadata is the published one.
        snapshot.meta = meta;
        Ok(snapshot)
    }

    /// Deletes a published snapshot and its files.
    pub fn delete(&self, id: SnapshotId) -> Result<(), StoreError> {
        let key = encode_id(id);
        if !self.catalog.contains_key(key)? {
            return Err(StoreError::NotFound(id));
        }
        // Unpublish first (a crash after this leaves only unreachable data, cleaned below or on
        // the next open, since the pending marker makes it a leftover).
        let unpublished: sled::transaction::TransactionResult<(), ()> =
            (&self.catalog, &self.pending).transaction(|(catalog, pending)| {
                catalog.remove(&key)?;
                pending.insert(&key, &[])?;
                Ok(())
            });
        unpublished.map_err(|error| {
            StoreError::Corrupt(format!("cannot delete snapshot {id}: {error:?}"))
        })?;
        self.db.flush()?;
        self.remove_files(id)?;
        self.forget_contents(id)?;
        self.pending.remove(key)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes the content hashes that name `id`.
    fn forget_contents(&self, id: SnapshotId) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for entry in self.contents.iter() {
            let (hash, named) = entry?;
            if decode_id(&named) == Some(id) {
                batch.remove(hash);
            }
        }
        self.contents.apply_batch(batch)?;
        Ok(())
    }
}

/// What [`Store::put_new`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// The snapshot was stored under this metadata.
    Stored(SnapshotMeta),
    /// A published snapshot says exactly the same: nothing was stored.
    Identical(SnapshotMeta),
}

impl Put {
    /// The metadata of the stored or identical snapshot.
    pub fn meta(&self) -> &SnapshotMeta {
        match self {
            Put::Stored(meta) | Put::Identical(meta) => meta,
        }
    }

    /// Whether nothing was stored because a published snapshot says the same.
    pub fn is_identical(&self) -> bool {
        matches!(self, Put::Identical(_))
    }
}

#[cfg(test)]
mod tests;
