//! Stores of format 1 kept each snapshot's contents inside sled (tree `data`: `id | kind | name`
//! -> JSON, see `keys`; tree `documents`: hash -> text), where deleting a snapshot never gave the
//! space back. They are moved to files when first opened: every published snapshot is written
//! to its file, then the version is raised, then the old trees are dropped. An interrupted move
//! is done again at the next open (files are written atomically; the version is raised last).

use std::collections::BTreeMap;

use accessgraph_model::{Account, Organization, PolicyHash, Snapshot, SnapshotMeta};

use crate::keys::{DataKey, encode_id, kind_of};
use crate::{FORMAT_KEY, FORMAT_VERSION, Store, StoreError, from_json};

/// The trees of format 1.
pub(crate) const TREES: [&str; 2] = ["data", "documents"];

/// Moves a format-1 store's snapshots to files.
pub(crate) fn migrate(store: &Store) -> Result<(), StoreError> {
    let data = store.db.open_tree(TREES[0])?;
    let documents = store.db.open_tree(TREES[1])?;
    for meta in store.list()? {
        let snapshot = read(&data, &documents, meta)?;
        store.write_file(&snapshot, &snapshot.meta)?;
    }
    store.db.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
    store.db.flush()?;
    drop_trees(store)
}

/// Drops the trees of format 1 (after a move, or one interrupted after raising the version).
pub(crate) fn drop_trees(store: &Store) -> Result<(), StoreError> {
    for tree in TREES {
        store.db.drop_tree(tree)?;
    }
    Ok(())
}

/// Reads one snapshot of a format-1 store.
fn read(
    data: &sled::Tree,
    documents: &sled::Tree,
    meta: SnapshotMeta,
) -> Result<Snapshot, StoreError> {
    let id = meta.id;
    let mut organization: Option<Organization> = None;
    let mut accounts: Vec<Account> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut hashes: Vec<PolicyHash> = Vec::new();
    for entry in data.scan_prefix(encode_id(id)) {
        let (key, value) = entry?;
        match kind_of(&key) {
            Some(DataKey::Organization) => {
                organization = Some(from_json(&value, "the organization")?);
            }
            Some(DataKey::Account(_)) => accounts.push(from_json(&value, "an account")?),
            Some(DataKey::Warnings) => warnings = from_json(&value, "the warnings")?,
            Some(DataKey::DocumentList) => hashes = from_json(&value, "the document list")?,
            None => return Err(StoreError::Corrupt(format!("unknown key in snapshot {id}"))),
        }
    }
    let mut texts = BTreeMap::new();
    for hash in hashes {
        let text = documents.get(hash.as_str().as_bytes())?.ok_or_else(|| {
            StoreError::Corrupt(format!("snapshot {id} references missing document {hash}"))
        })?;
        texts.insert(hash, String::from_utf8_lossy(&text).into_owned());
    }
    Ok(Snapshot {
        meta,
        organization,
        accounts,
        documents: texts,
        warnings,
        gaps: Vec::new(),
    })
}
