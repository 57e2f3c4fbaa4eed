//! The API boundary for binaries: snapshots served as query views, from a sled store (graphs
//! built once per snapshot, saved in the store and kept in memory) or from a snapshot directory
//! read into memory.
//!
//! The command line and the server use this crate; it is the only place that joins the store,
//! the graph builder and the query engine.

#![warn(missing_docs)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use accessgraph_graph::Graph;
pub use accessgraph_graph::Techniques;
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_model::SnapshotId;
use accessgraph_query::{Catalog, CatalogError, MemoryCatalog, View};
use accessgraph_store::{Store, StoreError};

/// Why a catalog cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The snapshot directory cannot be read.
    #[error(transparent)]
    Ingest(#[from] accessgraph_ingest::IngestError),
}

/// Snapshots of a sled store as query views. Graphs are loaded from the store's cache, or built
/// and cached there; the most recently used views stay in memory (a large organization's graph
/// takes gigabytes, so only a few are kept; a view in use elsewhere lives on until dropped).
#[derive(Debug)]
pub struct StoreCatalog {
    store: Arc<Store>,
    /// The techniques graphs are built with; a graph built with a team's own is never saved.
    techniques: Techniques,
    /// Views in memory, least recently used first.
    views: Mutex<Vec<Arc<View>>>,
    capacity: usize,
    /// Held while a graph is loaded or built, so two callers asking for the same snapshot at
    /// once load it once (the second finds it cached) rather than holding it twice.
    loading: Mutex<()>,
}

/// Views a catalog keeps in memory by default.
pub const DEFAULT_VIEWS_IN_MEMORY: usize = 2;

impl StoreCatalog {
    /// A catalog of the store's snapshots keeping [`DEFAULT_VIEWS_IN_MEMORY`] views.
    #[must_use]
    pub fn new(store: Store) -> StoreCatalog {
        StoreCatalog::with_capacity(store, DEFAULT_VIEWS_IN_MEMORY)
    }

    /// A catalog keeping at most `capacity` views in memory (at least one).
    #[must_use]
    pub fn with_capacity(store: Store, capacity: usize) -> StoreCatalog {
        StoreCatalog {
            store: Arc::new(store),
            techniques: Techniques::builtin(),
            views: Mutex::new(Vec::new()),
            capacity: capacity.max(1),
            loading: Mutex::new(()),
        }
    }

    /// The same catalog building graphs with `techniques`: when they are not the built-in ones
    /// alone, saved graphs are neither read nor written (they hold the built-in techniques'
    /// edges).
    #[must_use]
    pub fn with_techniques(mut self, techniques: Techniques) -> StoreCatalog {
        self.techniques = techniques;
        self
    }

    /// The cached view of `id`, marked as the most recently used.
    fn cached(&self, id: u64) -> Option<Arc<View>> {
        let mut views = self.views.lock().ok()?;
        let position = views.iter().position(|view| view.snapshot_ref().id == id)?;
        let view = views.remove(position);
        views.push(view.clone());
        Some(view)
    }

    fn remember(&self, view: Arc<View>) {
        if let Ok(mut views) = self.views.lock() {
            let id = view.snapshot_ref().id;
            views.retain(|cached| cached.snapshot_ref().id != id);
            views.push(view);
            while views.len() > self.capacity {
                views.remove(0);
            }
        }
    }

    /// Drops the view of a deleted snapshot from memory.
    pub fn forget(&self, id: u64) {
        if let Ok(mut views) = self.views.lock() {
            views.retain(|view| view.snapshot_ref().id != id);
        }
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn known(&self) -> Vec<u64> {
        self.store
            .list()
            .map(|list| list.iter().map(|meta| meta.id.0).collect())
            .unwrap_or_default()
    }

    /// The graph of a snapshot: the cached one when it loads, else built (and cached); with a
    /// team's own techniques, always built.
    fn graph(&self, id: SnapshotId) -> Result<Graph, CatalogError> {
        let failed = |error: StoreError| CatalogError::Failed(error.to_string());
        let cached = self.techniques.is_builtin();
        if cached
            && let Some((file, length)) = self.store.graph(id).map_err(failed)?
            && let Ok(graph) = Graph::read_from(std::io::BufReader::new(file), length)
        {
            return Ok(graph);
        }
        let snapshot = self.store.load(id).map_err(failed)?;
        let graph = Graph::build_with(&snapshot, self.techniques);
        if cached {
            // A cache that cannot be written only costs time on the next start.
            let _ = self.store.put_graph(id, &graph.to_bytes());
        }
        Ok(graph)
    }
}

impl Catalog for StoreCatalog {
    fn view(&self, id: Option<u64>) -> Result<Arc<View>, CatalogError> {
        let id = match id {
            Some(id) => id,
            None => {
                self.store
                    .latest()
                    .map_err(|error| CatalogError::Failed(error.to_string()))?
                    .ok_or(CatalogError::Empty)?
                    .id
                    .0
            }
        };
        if let Some(view) = self.cached(id) {
            return Ok(view);
        }
        // A poisoned lock only means another load panicked; this one may still succeed.
        let _one_load_at_a_time = self
            .loading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(view) = self.cached(id) {
            return Ok(view);
        }
        let meta = self
            .store
            .meta(SnapshotId(id))
            .map_err(|error| match error {
                StoreError::NotFound(_) => CatalogError::Unknown {
                    id,
                    known: self.known(),
                },
                other => CatalogError::Failed(other.to_string()),
            })?;
        let graph = Arc::new(self.graph(SnapshotId(id))?);
        let store = self.store.clone();
        let view = Arc::new(
            View::new(
                id,
                meta.label,
                graph,
                Box::new(move || {
                    store
                        .load(SnapshotId(id))
                        .map_err(|error| error.to_string())
                }),
            )
            .with_techniques(self.techniques),
        );
        self.remember(view.clone());
        Ok(view)
    }
}

/// A catalog of snapshot directories (or files) read into memory (nothing is written): the
/// first is snapshot 1, the next 2, ..., each labelled with its path; links leaving them are
/// followed only with `follow_links`; graphs are built with `techniques`.
///
/// # Errors
/// When a directory cannot be ingested.
pub fn directory_catalog(
    paths: &[&Path],
    follow_links: bool,
    techniques: Techniques,
) -> Result<MemoryCatalog, DbError> {
    let options = IngestOptions {
        follow_links,
        ..IngestOptions::default()
    };
    let mut views = Vec::with_capacity(paths.len());
    for (id, path) in (1u64..).zip(paths) {
        let mut snapshot = ingest(path, &options)?.snapshot;
        // Read now: the earliest time a request can be made when `snapshot.json` gives no
        // collection time, as the store records its ingest time.
        snapshot.meta.ingested_at =
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        snapshot.meta.id = SnapshotId(id);
        let label = Some(path.display().to_string());
        views.push(Arc::new(View::from_snapshot_with(
            id,
            label,
            Arc::new(snapshot),
            techniques,
        )));
    }
    Ok(MemoryCatalog::new(views))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/org")
    }

    #[test]
    fn views_are_cached_saved_and_evicted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let snapshot = ingest(&org(), &IngestOptions::default()).unwrap().snapshot;
        for _ in 0..3 {
            store.put(&snapshot).unwrap();
        }
        let catalog = StoreCatalog::with_capacity(store, 2);
        let first = catalog.view(Some(1)).unwrap();
        assert!(Arc::ptr_eq(&first, &catalog.view(Some(1)).unwrap()));
        // Building the view saved the graph in the store.
        assert!(catalog.store().graph(SnapshotId(1)).unwrap().is_some());
        catalog.view(Some(2)).unwrap();
        catalog.view(Some(3)).unwrap();
        // Snapshot 1 was the least recently used: a new view, loaded from the saved graph.
        let again = catalog.view(Some(1)).unwrap();
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!(again.graph().nodes().count(), first.graph().nodes().count());
        assert_eq!(catalog.view(None).unwrap().snapshot_ref().id, 3);
        assert!(matches!(
            catalog.view(Some(9)),
            Err(CatalogError::Unknown { id: 9, .. })
        ));
    }

    #[test]
    fn an_empty_store_has_no_default_view() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = StoreCatalog::new(Store::open(&dir.path().join("db")).unwrap());
        assert!(matches!(catalog.view(None), Err(CatalogError::Empty)));
    }
}
