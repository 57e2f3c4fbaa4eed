//! Versioned, atomic persistence of snapshots in an embedded sled database.
//!
//! A snapshot is written in full under a *pending* marker, flushed, and only then published by one
//! transaction that adds its metadata to the catalog and removes the marker. A reader lists only
//! published snapshots, so it never sees half of an ingest. A process killed mid-ingest leaves a
//! pending marker; the next [`Store::open`] removes that snapshot's leftovers. Policy documents
//! are stored once by content hash and shared between snapshots.
//!
//! This is the only crate that names sled; no sled type appears in its API. Keys of a snapshot's
//! data start with its id in big-endian bytes, so one snapshot's data is one contiguous range.

#![warn(missing_docs)]

mod error;
mod keys;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use accessgraph_model::{Account, Organization, PolicyHash, Snapshot, SnapshotId, SnapshotMeta};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional as _;

pub use self::error::StoreError;
use self::keys::{DataKey, data_key, decode_id, encode_id};

/// The on-disk format this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;

const FORMAT_KEY: &[u8] = b"format_version";
/// The last snapshot id handed out.
const NEXT_ID_KEY: &[u8] = b"last_snapshot_id";

/// Entries written per batch while storing a snapshot.
const BATCH_ENTRIES: usize = 512;

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
    /// Published snapshots: id -> metadata.
    catalog: sled::Tree,
    /// Snapshots being written: id -> nothing.
    pending: sled::Tree,
    /// Snapshot contents: (id, kind, name) -> JSON.
    data: sled::Tree,
    /// Policy documents: hash -> text.
    documents: sled::Tree,
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

/// Creates the store directory owner-only (0700) if needed, and makes it owner-only.
fn owner_only(path: &Path) -> std::io::Result<()> {
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

/// Makes the store's files owner-only (0600) and its subdirectories (sled's `blobs/`) 0700, as far
/// as this user may: sled creates them with the process's umask, and the directory's 0700
/// already keeps others out. The server's socket keeps its own mode.
/// The directory of saved graphs inside the store's directory.
const GRAPHS_DIR: &str = "graphs";

/// Writes `bytes` to a new owner-only (0600) file at `path`, synced to disk.
fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

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
            data: db.open_tree("data")?,
            documents: db.open_tree("documents")?,
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
        match self.db.get(FORMAT_KEY)? {
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found != FORMAT_VERSION {
                    return Err(StoreError::UnknownVersion {
                        path: self.path.display().to_string(),
                        found,
                        supported: FORMAT_VERSION,
                    });
                }
            }
            None if self.catalog.is_empty() && self.data.is_empty() => {
                self.db.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                self.db.flush()?;
            }
            None => {
                return Err(StoreError::UnknownVersion {
                    path: self.path.display().to_string(),
                    found: 0,
                    supported: FORMAT_VERSION,
                });
            }
        }
        Ok(())
    }

    /// Removes the data of snapshots that were never published, then unreferenced documents.
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
        // Graphs were once saved inside sled: that tree is dropped (a cache, rebuilt on demand),
        // and so is every graph file of no published snapshot.
        self.db.drop_tree("graphs")?;
        self.clean_graph_files()?;
        if abandoned.is_empty() {
            return Ok(());
        }
        for id in abandoned {
            self.remove_data(id)?;
            self.pending.remove(encode_id(id))?;
        }
        self.collect_documents()?;
        self.db.flush()?;
        Ok(())
    }

    /// Where the saved graph of `id` lives: a file beside the database, so that deleting a
    /// snapshot gives its space back at once (sled keeps freed space in its log).
    fn graph_path(&self, id: SnapshotId) -> PathBuf {
        self.path.join(GRAPHS_DIR).join(format!("{}.graph", id.0))
    }

    /// Caches the encoded graph of a published snapshot (replacing an earlier one): written to a
    /// temporary owner-only file, synced, then renamed into place, so a reader never sees half.
    pub fn put_graph(&self, id: SnapshotId, bytes: &[u8]) -> Result<(), StoreError> {
        if !self.catalog.contains_key(encode_id(id))? {
            return Err(StoreError::NotFound(id));
        }
        let path = self.graph_path(id);
        let failed = |source| StoreError::GraphFile {
            action: "write",
            path: path.display().to_string(),
            source,
        };
        owner_only(&self.path.join(GRAPHS_DIR)).map_err(failed)?;
        let temporary = path.with_extension(format!("graph.tmp-{}", std::process::id()));
        write_owner_only(&temporary, bytes)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|error| {
                let _ = std::fs::remove_file(&temporary);
                failed(error)
            })
    }

    /// The cached graph of a snapshot, if one was saved.
    pub fn graph(&self, id: SnapshotId) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.graph_path(id);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::GraphFile {
                action: "read",
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Removes saved graphs of no published snapshot and temporary files of interrupted writes.
    fn clean_graph_files(&self) -> Result<(), StoreError> {
        let Ok(entries) = std::fs::read_dir(self.path.join(GRAPHS_DIR)) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let published = name
                .strip_suffix(".graph")
                .and_then(|id| id.parse::<u64>().ok())
                .map(|id| self.catalog.contains_key(encode_id(SnapshotId(id))))
                .transpose()?
                .unwrap_or(false);
            if !published {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    fn remove_data(&self, id: SnapshotId) -> Result<(), StoreError> {
        match std::fs::remove_file(self.graph_path(id)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::GraphFile {
                    action: "remove",
                    path: self.graph_path(id).display().to_string(),
                    source: error,
                });
            }
            _ => {}
        }
        let mut batch = sled::Batch::default();
        for key in self.data.scan_prefix(encode_id(id)).keys() {
            batch.remove(key?);
        }
        self.data.apply_batch(batch)?;
        Ok(())
    }

    /// Removes documents no published snapshot references.
    fn collect_documents(&self) -> Result<(), StoreError> {
        let mut referenced = BTreeSet::new();
        for meta in self.list()? {
            referenced.extend(self.document_hashes(meta.id)?);
        }
        let mut batch = sled::Batch::default();
        for key in self.documents.iter().keys() {
            let key = key?;
            if !referenced.contains(&PolicyHash::from_hex(&String::from_utf8_lossy(&key))) {
                batch.remove(key);
            }
        }
        self.documents.apply_batch(batch)?;
        Ok(())
    }

    fn document_hashes(&self, id: SnapshotId) -> Result<Vec<PolicyHash>, StoreError> {
        match self.data.get(data_key(id, DataKey::DocumentList))? {
            Some(bytes) => from_json(&bytes, "the document list"),
            None => Ok(Vec::new()),
        }
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
        let id = self.next_id()?;
        self.pending.insert(encode_id(id), &[])?;
        self.pending.flush()?;

        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(snapshot.accounts.len() + 3);
        if let Some(organization) = &snapshot.organization {
            entries.push((data_key(id, DataKey::Organization), to_json(organization)?));
        }
        for account in &snapshot.accounts {
            entries.push((
                data_key(id, DataKey::Account(&account.id)),
                to_json(account)?,
            ));
        }
        entries.push((
            data_key(id, DataKey::Warnings),
            to_json(&snapshot.warnings)?,
        ));
        let hashes: Vec<&PolicyHash> = snapshot.documents.keys().collect();
        entries.push((data_key(id, DataKey::DocumentList), to_json(&hashes)?));
        for chunk in entries.chunks(BATCH_ENTRIES) {
            let mut batch = sled::Batch::default();
            for (key, value) in chunk {
                batch.insert(key.as_slice(), value.as_slice());
            }
            self.data.apply_batch(batch)?;
        }
        let documents: Vec<(&PolicyHash, &String)> = snapshot.documents.iter().collect();
        for chunk in documents.chunks(BATCH_ENTRIES) {
            let mut batch = sled::Batch::default();
            for (hash, text) in chunk {
                batch.insert(hash.as_str().as_bytes(), text.as_bytes());
            }
            self.documents.apply_batch(batch)?;
        }
        self.db.flush()?;

        let mut meta = snapshot.meta.clone();
        meta.id = id;
        meta.ingested_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let meta_bytes = to_json(&meta)?;
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
        Ok(meta)
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
        let mut organization: Option<Organization> = None;
        let mut accounts: Vec<Account> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut hashes: Vec<PolicyHash> = Vec::new();
        for entry in self.data.scan_prefix(encode_id(id)) {
            let (key, value) = entry?;
            match keys::kind_of(&key) {
                Some(DataKey::Organization) => {
                    organization = Some(from_json(&value, "the organization")?)
                }
                Some(DataKey::Account(_)) => accounts.push(from_json(&value, "an account")?),
                Some(DataKey::Warnings) => warnings = from_json(&value, "the warnings")?,
                Some(DataKey::DocumentList) => hashes = from_json(&value, "the document list")?,
                None => return Err(StoreError::Corrupt(format!("unknown key in snapshot {id}"))),
            }
        }
        let mut documents = std::collections::BTreeMap::new();
        for hash in hashes {
            let text = self
                .documents
                .get(hash.as_str().as_bytes())?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("snapshot {id} references missing document {hash}"))
                })?;
            documents.insert(hash, String::from_utf8_lossy(&text).into_owned());
        }
        Ok(Snapshot {
            meta,
            organization,
            accounts,
            documents,
            warnings,
        })
    }

    /// Deletes a published snapshot and the documents only it used.
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
        self.remove_data(id)?;
        self.pending.remove(key)?;
        self.collect_documents()?;
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
