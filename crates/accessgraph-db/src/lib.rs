//! The API boundary for binaries: snapshots served as query views, from a sled store (graphs
//! built once per snapshot, saved in the store and kept in memory) or from a snapshot directory
//! read into memory.
//!
//! The command line and the server use this crate; it is the only place that joins the store,
//! the graph builder and the query engine.

#![warn(missing_docs)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use accessgraph_graph::Graph;
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
/// and cached there; views stay in memory for the catalog's lifetime.
#[derive(Debug)]
pub struct StoreCatalog {
    store: Arc<Store>,
    views: Mutex<HashMap<u64, Arc<View>>>,
}

impl StoreCatalog {
    /// A catalog of the store's snapshots.
    #[must_use]
    pub fn new(store: Store) -> StoreCatalog {
        StoreCatalog {
            store: Arc::new(store),
            views: Mutex::new(HashMap::new()),
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

    /// The graph of a snapshot: the cached one when it loads, else built (and cached).
    fn graph(&self, id: SnapshotId) -> Result<Graph, CatalogError> {
        let failed = |error: StoreError| CatalogError::Failed(error.to_string());
        if let Some(bytes) = self.store.graph(id).map_err(failed)?
            && let Ok(graph) = Graph::from_bytes(&bytes)
        {
            return Ok(graph);
        }
        let snapshot = self.store.load(id).map_err(failed)?;
        let graph = Graph::build(&snapshot);
        // A cache that cannot be written only costs time on the next start.
        let _ = self.store.put_graph(id, &graph.to_bytes());
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
        if let Some(view) = self
            .views
            .lock()
            .ok()
            .and_then(|views| views.get(&id).cloned())
        {
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
        let view = Arc::new(View::new(
            id,
            meta.label,
            graph,
            Box::new(move || {
                store
                    .load(SnapshotId(id))
                    .map_err(|error| error.to_string())
            }),
        ));
        if let Ok(mut views) = self.views.lock() {
            views.insert(id, view.clone());
        }
        Ok(view)
    }
}

/// A catalog of one snapshot directory read into memory (nothing is written): snapshot id 1,
/// labelled with the directory.
///
/// # Errors
/// When the directory cannot be ingested.
pub fn directory_catalog(path: &Path) -> Result<MemoryCatalog, DbError> {
    let ingested = ingest(path, &IngestOptions::default())?;
    let view = View::from_snapshot(
        1,
        Some(path.display().to_string()),
        Arc::new(ingested.snapshot),
    );
    Ok(MemoryCatalog::new(vec![Arc::new(view)]))
}
