//! What a query runs on: a [`View`] of one snapshot (its graph, and the snapshot itself loaded on
//! first use), and a [`Catalog`] that hands out views by snapshot id. Storage stays behind the
//! trait: the command line reads a sled store, tests build views in memory.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use accessgraph_graph::{Graph, NodeId, NodeKind, Simulator, Techniques};
use accessgraph_model::Snapshot;

/// Loads a snapshot's model when a question needs more than the graph.
pub type SnapshotLoader = Box<dyn Fn() -> Result<Snapshot, String> + Send + Sync>;

/// One snapshot, ready to answer questions.
pub struct View {
    id: u64,
    label: Option<String>,
    graph: Arc<Graph>,
    techniques: Techniques,
    loader: SnapshotLoader,
    snapshot: OnceLock<Arc<Snapshot>>,
    simulator: OnceLock<Arc<Simulator>>,
    names: OnceLock<HashMap<String, Vec<NodeId>>>,
}

impl std::fmt::Debug for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("id", &self.id)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Snapshot id and label, as answers name them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotRef {
    /// Id in the store.
    pub id: u64,
    /// Label given at ingest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl View {
    /// A view of snapshot `id` with its built graph; `loader` reads the snapshot when needed.
    #[must_use]
    pub fn new(id: u64, label: Option<String>, graph: Arc<Graph>, loader: SnapshotLoader) -> View {
        View {
            id,
            label,
            graph,
            techniques: Techniques::builtin(),
            loader,
            snapshot: OnceLock::new(),
            simulator: OnceLock::new(),
            names: OnceLock::new(),
        }
    }

    /// A view of a snapshot held in memory: builds its graph with the built-in techniques.
    #[must_use]
    pub fn from_snapshot(id: u64, label: Option<String>, snapshot: Arc<Snapshot>) -> View {
        View::from_snapshot_with(id, label, snapshot, Techniques::builtin())
    }

    /// A view of a snapshot held in memory: builds its graph with `techniques`.
    #[must_use]
    pub fn from_snapshot_with(
        id: u64,
        label: Option<String>,
        snapshot: Arc<Snapshot>,
        techniques: Techniques,
    ) -> View {
        let graph = Arc::new(Graph::build_with(&snapshot, techniques));
        let view = View::new(
            id,
            label,
            graph,
            Box::new(|| Err("snapshot already loaded".to_owned())),
        )
        .with_techniques(techniques);
        let _ = view.snapshot.set(snapshot);
        view
    }

    /// The same view, saying its graph was built with `techniques` (a rebuild uses them too).
    #[must_use]
    pub fn with_techniques(mut self, techniques: Techniques) -> View {
        self.techniques = techniques;
        self
    }

    /// The techniques the graph was built with.
    #[must_use]
    pub fn techniques(&self) -> Techniques {
        self.techniques
    }

    /// The snapshot's id and label.
    #[must_use]
    pub fn snapshot_ref(&self) -> SnapshotRef {
        SnapshotRef {
            id: self.id,
            label: self.label.clone(),
        }
    }

    /// The graph.
    #[must_use]
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The snapshot model, loaded on first use.
    ///
    /// # Errors
    /// When the snapshot cannot be read.
    pub fn snapshot(&self) -> Result<Arc<Snapshot>, String> {
        if let Some(snapshot) = self.snapshot.get() {
            return Ok(snapshot.clone());
        }
        let snapshot = Arc::new((self.loader)()?);
        Ok(self.snapshot.get_or_init(|| snapshot).clone())
    }

    /// The request simulator, prepared on first use.
    ///
    /// # Errors
    /// When the snapshot cannot be read.
    pub fn simulator(&self) -> Result<Arc<Simulator>, String> {
        if let Some(simulator) = self.simulator.get() {
            return Ok(simulator.clone());
        }
        let simulator = Arc::new(Simulator::new(self.snapshot()?.as_ref()));
        Ok(self.simulator.get_or_init(|| simulator).clone())
    }

    /// Users, roles and groups by `kind/lowercase-name`.
    pub(crate) fn by_name(&self, kind: NodeKind, name: &str) -> &[NodeId] {
        let names = self.names.get_or_init(|| {
            let mut names: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, node) in self.graph.nodes() {
                if matches!(
                    node.kind,
                    NodeKind::User
                        | NodeKind::Role
                        | NodeKind::Group
                        | NodeKind::IdentityCenterUser
                        | NodeKind::IdentityCenterGroup
                ) {
                    names
                        .entry(name_key(node.kind, &node.name))
                        .or_default()
                        .push(id);
                }
            }
            names
        });
        names
            .get(&name_key(kind, name))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

fn name_key(kind: NodeKind, name: &str) -> String {
    format!("{kind:?}/{}", name.to_lowercase())
}

/// Why a catalog cannot give a view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// No snapshot with this id.
    #[error("unknown snapshot {id}{}", known_list(.known))]
    Unknown {
        /// The id asked for.
        id: u64,
        /// The ids there are.
        known: Vec<u64>,
    },
    /// No snapshot at all.
    #[error("the store holds no snapshot: ingest one first (`accessgraph ingest DIR`)")]
    Empty,
    /// Reading or building failed.
    #[error("{0}")]
    Failed(String),
}

fn known_list(known: &[u64]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = known.iter().map(u64::to_string).collect();
        format!(" (the store holds {})", ids.join(", "))
    }
}

/// Hands out views of snapshots.
pub trait Catalog {
    /// The view of snapshot `id`, or of the default snapshot (the newest, or the one a server
    /// serves) when `None`.
    ///
    /// # Errors
    /// When there is no such snapshot or it cannot be read.
    fn view(&self, id: Option<u64>) -> Result<Arc<View>, CatalogError>;
}

/// A catalog of views held in memory (tests, benchmarks, `--snapshot DIR`).
#[derive(Debug, Default)]
pub struct MemoryCatalog {
    views: Vec<Arc<View>>,
}

impl MemoryCatalog {
    /// A catalog of these views; the last is the default.
    #[must_use]
    pub fn new(views: Vec<Arc<View>>) -> MemoryCatalog {
        MemoryCatalog { views }
    }
}

impl Catalog for MemoryCatalog {
    fn view(&self, id: Option<u64>) -> Result<Arc<View>, CatalogError> {
        match id {
            None => self.views.last().cloned().ok_or(CatalogError::Empty),
            Some(id) => self
                .views
                .iter()
                .find(|view| view.id == id)
                .cloned()
                .ok_or_else(|| CatalogError::Unknown {
                    id,
                    known: self.views.iter().map(|view| view.id).collect(),
                }),
        }
    }
}
