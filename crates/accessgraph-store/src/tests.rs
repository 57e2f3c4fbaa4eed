//! Store tests: round trip, atomic publish, leftovers, versions, deletion, and a model-based test
//! against a `BTreeMap`.

use std::collections::BTreeMap;

use accessgraph_model::{Account, PolicyHash, Snapshot, SnapshotId, SnapshotMeta, User};
use proptest::prelude::*;

use super::{Store, StoreError};

fn snapshot(label: &str, accounts: &[&str], document: &str) -> Snapshot {
    let hash = PolicyHash::of(document);
    let mut snapshot = Snapshot {
        meta: SnapshotMeta {
            id: SnapshotId(0),
            label: Some(label.to_owned()),
            source: "test".into(),
            collected_at: None,
            ingested_at: String::new(),
            partition: "aws".into(),
            counts: Default::default(),
        },
        organization: None,
        accounts: accounts
            .iter()
            .map(|id| Account {
                id: (*id).to_owned(),
                users: vec![User {
                    arn: format!("arn:aws:iam::{id}:user/alice"),
                    name: "alice".into(),
                    path: "/".into(),
                    id: "AIDAEXAMPLE".into(),
                    groups: vec![],
                    inline_policies: vec![accessgraph_model::InlinePolicy {
                        name: "p".into(),
                        document: hash.clone(),
                    }],
                    attached_policies: vec![],
                    permissions_boundary: None,
                    tags: vec![],
                }],
                ..Account::default()
            })
            .collect(),
        documents: BTreeMap::from([(hash, document.to_owned())]),
        warnings: vec!["a warning".into()],
        gaps: vec![],
    };
    snapshot.recount();
    snapshot
}

/// Only the owner may read or write `path` (a snapshot maps how to break into a company).
fn assert_owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `loaded` is `original` with the metadata the store gave it.
fn assert_stored_as(loaded: &Snapshot, original: &Snapshot, meta: &SnapshotMeta) {
    let expected = Snapshot {
        meta: meta.clone(),
        ..original.clone()
    };
    assert_eq!(loaded, &expected);
}

#[test]
fn round_trip_through_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let original = snapshot(
        "first",
        &["111122223333", "444455556666"],
        r#"{"Statement":[]}"#,
    );
    let meta = {
        let store = Store::open(dir.path()).unwrap();
        store.put(&original).unwrap()
    };
    assert_eq!(meta.id, SnapshotId(1));
    assert!(!meta.ingested_at.is_empty());
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load(meta.id).unwrap();
    assert_stored_as(&loaded, &original, &meta);
    assert_eq!(store.list().unwrap(), vec![meta.clone()]);
    assert_eq!(store.latest().unwrap(), Some(meta));
}

#[test]
fn pending_snapshots_are_invisible_and_cleaned_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().join("snapshots");
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .put(&snapshot("kept", &["111122223333"], "{}"))
            .unwrap();
        // Simulate an ingest killed after writing its file, before publishing, and another
        // killed while writing.
        let id = SnapshotId(99);
        store.pending.insert(super::encode_id(id), &[]).unwrap();
        std::fs::write(snapshots.join("99.json"), b"{}").unwrap();
        std::fs::write(snapshots.join("100.json.tmp-4242"), b"{\"form").unwrap();
        store.db.flush().unwrap();
        assert_eq!(
            store.list().unwrap().len(),
            1,
            "a pending snapshot is not listed"
        );
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(store.pending.is_empty());
    let left: Vec<String> = std::fs::read_dir(&snapshots)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["1.json"]);
    assert_eq!(store.list().unwrap().len(), 1);
    assert_eq!(
        store.load(SnapshotId(1)).unwrap().meta.label.as_deref(),
        Some("kept")
    );
}

/// A store of format 1 (contents inside sled) is moved to files at its first open, with every
/// snapshot as it was, and its old trees dropped.
#[test]
fn a_format_1_store_is_moved_to_files() {
    use super::keys::{DataKey, data_key, encode_id};
    let dir = tempfile::tempdir().unwrap();
    let original = snapshot("old", &["111122223333", "444455556666"], "{\"a\":1}");
    let mut meta = original.meta.clone();
    meta.id = SnapshotId(3);
    meta.ingested_at = "2025-01-01T00:00:00Z".into();
    {
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        db.insert(super::FORMAT_KEY, &1u32.to_be_bytes()).unwrap();
        db.insert(super::NEXT_ID_KEY, &3u64.to_be_bytes()).unwrap();
        let catalog = db.open_tree("catalog").unwrap();
        catalog
            .insert(encode_id(meta.id), serde_json::to_vec(&meta).unwrap())
            .unwrap();
        let data = db.open_tree("data").unwrap();
        for account in &original.accounts {
            let key = data_key(meta.id, DataKey::Account(&account.id));
            data.insert(key, serde_json::to_vec(account).unwrap())
                .unwrap();
        }
        let warnings = serde_json::to_vec(&original.warnings).unwrap();
        data.insert(data_key(meta.id, DataKey::Warnings), warnings)
            .unwrap();
        let hashes: Vec<&PolicyHash> = original.documents.keys().collect();
        let list = serde_json::to_vec(&hashes).unwrap();
        data.insert(data_key(meta.id, DataKey::DocumentList), list)
            .unwrap();
        let documents = db.open_tree("documents").unwrap();
        for (hash, text) in &original.documents {
            documents.insert(hash.as_str(), text.as_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load(meta.id).unwrap();
    assert_stored_as(&loaded, &original, &meta);
    assert!(dir.path().join("snapshots/3.json").exists());
    let names: Vec<Vec<u8>> = store
        .db
        .tree_names()
        .into_iter()
        .map(|name| name.to_vec())
        .collect();
    assert!(
        !names.contains(&b"data".to_vec()),
        "the old trees are dropped"
    );
    assert!(!names.contains(&b"documents".to_vec()));
    // Ids go on from the old counter.
    assert_eq!(store.put(&original).unwrap().id, SnapshotId(4));
    drop(store);
    assert_eq!(Store::open(dir.path()).unwrap().list().unwrap().len(), 2);
}

#[test]
fn unknown_format_version_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .db
            .insert(super::FORMAT_KEY, &99u32.to_be_bytes())
            .unwrap();
        store.db.flush().unwrap();
    }
    let error = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::UnknownVersion {
                found: 99,
                supported: 2,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("format version 99"));
}

/// Deleting a snapshot removes its file and leaves the others whole (issue 19: the space comes
/// back at once).
#[test]
fn delete_removes_the_file_and_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = store
        .put(&snapshot("a", &["111122223333"], "shared"))
        .unwrap();
    let second = store
        .put(&snapshot("b", &["111122223333"], "shared"))
        .unwrap();
    let file = |id: SnapshotId| dir.path().join(format!("snapshots/{}.json", id.0));
    assert!(file(first.id).exists());
    assert_owner_only(&file(first.id));
    store.delete(first.id).unwrap();
    assert!(!file(first.id).exists());
    assert!(matches!(store.load(first.id), Err(StoreError::NotFound(_))));
    assert_eq!(
        store.load(second.id).unwrap().documents.len(),
        1,
        "the other snapshot keeps its documents"
    );
    assert!(matches!(
        store.delete(first.id),
        Err(StoreError::NotFound(_))
    ));
    // A damaged file is reported, never read as a smaller snapshot.
    std::fs::write(file(second.id), b"{\"format\": 2, \"snapsh").unwrap();
    assert!(matches!(store.load(second.id), Err(StoreError::Corrupt(_))));
    std::fs::remove_file(file(second.id)).unwrap();
    assert!(matches!(
        store.load(second.id),
        Err(StoreError::File { .. })
    ));
}

#[test]
fn graph_cache_follows_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(
        matches!(
            store.put_graph(SnapshotId(5), b"x"),
            Err(StoreError::NotFound(_))
        ),
        "only published snapshots"
    );
    let meta = store.put(&snapshot("a", &["111122223333"], "{}")).unwrap();
    assert!(store.graph(meta.id).unwrap().is_none());
    store.put_graph(meta.id, b"encoded graph").unwrap();
    assert_eq!(saved(&store, meta.id), Some(b"encoded graph".to_vec()));
    store.delete(meta.id).unwrap();
    assert!(
        store.graph(meta.id).unwrap().is_none(),
        "deleting the snapshot drops its graph"
    );
}

/// Saved graphs are files beside the database (issue 19): deleting a snapshot removes its file,
/// so the space comes back at once; files of no published snapshot and temporary files of an
/// interrupted write are removed at the next open.
#[test]
fn saved_graphs_are_files_that_deleting_removes() {
    let dir = tempfile::tempdir().unwrap();
    let graphs = dir.path().join("graphs");
    let store = Store::open(dir.path()).unwrap();
    let kept = store.put(&snapshot("a", &["111122223333"], "{}")).unwrap();
    let deleted = store.put(&snapshot("b", &["111122223333"], "{}")).unwrap();
    let big = vec![7u8; 4 * 1024 * 1024];
    store.put_graph(kept.id, &big).unwrap();
    store.put_graph(deleted.id, &big).unwrap();
    let file = |id: SnapshotId| graphs.join(format!("{}.graph", id.0));
    assert_eq!(
        std::fs::metadata(file(deleted.id)).unwrap().len(),
        big.len() as u64
    );
    assert_owner_only(&file(kept.id));
    store.delete(deleted.id).unwrap();
    assert!(!file(deleted.id).exists());
    drop(store);
    std::fs::write(graphs.join("99.graph"), b"orphan").unwrap();
    std::fs::write(graphs.join("1.graph.tmp-4242"), b"half").unwrap();
    let store = Store::open(dir.path()).unwrap();
    let left: Vec<String> = std::fs::read_dir(&graphs)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, [format!("{}.graph", kept.id.0)]);
    assert_eq!(saved(&store, kept.id), Some(big));
}

/// The bytes of a saved graph, read through the file the store opens.
fn saved(store: &Store, id: SnapshotId) -> Option<Vec<u8>> {
    let (mut file, length) = store.graph(id).unwrap()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
    assert_eq!(bytes.len() as u64, length);
    Some(bytes)
}

#[test]
fn a_second_opener_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(dir.path()).unwrap();
    let error = Store::open(dir.path()).unwrap_err();
    assert!(matches!(error, StoreError::Locked(_)), "{error:?}");
    assert!(
        error.to_string().contains("in use by another process"),
        "{error}"
    );
}

#[test]
fn readers_see_only_whole_snapshots_while_a_writer_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .put(&snapshot("first", &["111122223333"], "{}"))
        .unwrap();
    let ids: Vec<String> = (0..300)
        .map(|n| format!("{:012}", 200_000_000_000u64 + n))
        .collect();
    let big_accounts: Vec<&str> = ids.iter().map(String::as_str).collect();
    let big = snapshot("big", &big_accounts, "big");
    let done = std::sync::atomic::AtomicBool::new(false);
    let reads = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0u32;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
                for meta in store.list().unwrap() {
                    let loaded = store.load(meta.id).unwrap();
                    assert_eq!(
                        loaded.accounts.len(),
                        meta.counts.accounts,
                        "a listed snapshot is complete"
                    );
                }
                reads += 1;
            }
            reads
        });
        for _ in 0..3 {
            store.put(&big).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().unwrap()
    });
    assert!(reads > 0);
    assert_eq!(store.list().unwrap().len(), 4);
}

#[derive(Debug, Clone)]
enum Operation {
    Put(u8),
    Delete(usize),
    Reopen,
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (0u8..4).prop_map(Operation::Put),
        (0usize..8).prop_map(Operation::Delete),
        Just(Operation::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random puts, deletes and reopens agree with a `BTreeMap` model of the catalog.
    #[test]
    fn agrees_with_a_model(operations in prop::collection::vec(operation(), 1..12)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut model: BTreeMap<SnapshotId, String> = BTreeMap::new();
        for operation in operations {
            match operation {
                Operation::Put(variant) => {
                    let label = format!("s{variant}");
                    let meta = store.put(&snapshot(&label, &["111122223333"], &format!("doc{variant}"))).unwrap();
                    model.insert(meta.id, label);
                }
                Operation::Delete(nth) => {
                    if let Some(id) = model.keys().nth(nth).copied() {
                        store.delete(id).unwrap();
                        model.remove(&id);
                    }
                }
                Operation::Reopen => {
                    drop(store);
                    store = Store::open(dir.path()).unwrap();
                }
            }
            let listed: BTreeMap<SnapshotId, String> = store
                .list()
                .unwrap()
                .into_iter()
                .map(|meta| (meta.id, meta.label.unwrap_or_default()))
                .collect();
            prop_assert_eq!(&listed, &model);
            for (id, label) in &model {
                let loaded = store.load(*id).unwrap();
                prop_assert_eq!(loaded.meta.label.as_deref(), Some(label.as_str()));
                prop_assert_eq!(loaded.documents.len(), 1);
            }
        }
    }
}

/// Ingesting the same data again is recognised by its content, whatever its label or source
/// (issue 20); a deleted snapshot is not matched any more.
#[test]
fn identical_contents_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = match store
        .put_new(&snapshot("a", &["111122223333"], "{}"), false)
        .unwrap()
    {
        super::Put::Stored(meta) => meta,
        other => panic!("{other:?}"),
    };
    let mut again = snapshot("another label", &["111122223333"], "{}");
    again.meta.source = "/elsewhere".into();
    assert_eq!(
        store.put_new(&again, false).unwrap(),
        super::Put::Identical(first.clone())
    );
    let changed = snapshot("a", &["111122223333", "444455556666"], "{}");
    assert!(matches!(
        store.put_new(&changed, false).unwrap(),
        super::Put::Stored(_)
    ));
    store.delete(first.id).unwrap();
    assert!(matches!(
        store.put_new(&again, false).unwrap(),
        super::Put::Stored(_)
    ));
    let forced = store.put_new(&again, true).unwrap();
    assert!(!forced.is_identical(), "--force stores again");
    assert_eq!(store.list().unwrap().len(), 3);
}
