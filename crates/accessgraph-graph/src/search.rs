//! Searches: who can reach a node (reverse breadth-first search, shortest path per source), who
//! can reach an administrator of an account, what a principal can reach, and the shortest path
//! between two nodes. Helper nodes never appear in results: a hop through an account's admin node
//! (or an existing-compute node) becomes one hop from the actor to the principal it gains.
//!
//! The search keeps one parent edge per node in a dense array, so its cost is linear in the part
//! of the graph it visits. Results come in breadth-first order (shortest paths first), which is
//! deterministic because builds insert nodes and edges in a fixed order.

use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef as _;
use serde::Serialize;

use crate::build::Graph;
use crate::model::{EdgeId, EdgeKind, NodeId, NodeKind};

/// Which edges a search may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Edge kinds allowed (`None`: all). Helper edges follow `Privesc`.
    pub kinds: Option<Vec<EdgeKind>>,
    /// Skip conditional edges.
    pub definite_only: bool,
    /// Longest path, in hops as shown.
    pub max_hops: Option<usize>,
}

/// One hop of a path as shown: one edge, or two through a helper node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Start.
    pub from: NodeId,
    /// End.
    pub to: NodeId,
    /// The underlying edges (two through a helper node: into it, then out of it).
    pub edges: Vec<EdgeId>,
}

/// A path of hops; empty when the source is itself the target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Path {
    /// The hops, in order.
    pub hops: Vec<Hop>,
}

impl Filter {
    fn allows(&self, graph: &Graph, edge: EdgeIndex<u32>) -> bool {
        let Some(weight) = graph.graph.edge_weight(edge) else {
            return false;
        };
        if self.definite_only && weight.is_conditional() {
            return false;
        }
        match &self.kinds {
            None => true,
            Some(kinds) => match weight.kind {
                EdgeKind::Admin => true,
                EdgeKind::Takeover | EdgeKind::RunsAs => kinds.contains(&EdgeKind::Privesc),
                other => kinds.contains(&other),
            },
        }
    }
}

fn id(index: NodeIndex<u32>) -> NodeId {
    NodeId(index.index() as u32)
}

/// No parent: the node was not reached.
const UNREACHED: u32 = u32::MAX;
/// The node is a start of the search.
const START: u32 = u32::MAX - 1;

/// The outcome of a breadth-first search.
struct Reached {
    /// Parent edge per node (`UNREACHED`, `START`, or an edge index).
    parent: Vec<u32>,
    /// Nodes in the order reached.
    order: Vec<NodeIndex<u32>>,
}

impl Graph {
    fn is_helper(&self, index: NodeIndex<u32>) -> bool {
        self.graph.node_weight(index).is_some_and(|node| {
            matches!(
                node.kind,
                NodeKind::AccountAdmin | NodeKind::ExistingCompute
            )
        })
    }

    /// Turns a list of edges into hops, collapsing helper nodes; a path ending at a helper (an
    /// administrator reaching its account's admin node) ends at the node before it.
    fn collapse(&self, edges: &[EdgeIndex<u32>]) -> Path {
        let mut hops = Vec::with_capacity(edges.len());
        let mut pending: Option<(NodeIndex<u32>, EdgeIndex<u32>)> = None;
        for edge in edges {
            let Some((from, to)) = self.graph.edge_endpoints(*edge) else {
                continue;
            };
            if let Some((start, first)) = pending.take() {
                hops.push(Hop {
                    from: id(start),
                    to: id(to),
                    edges: vec![EdgeId(first.index() as u32), EdgeId(edge.index() as u32)],
                });
                continue;
            }
            if self.is_helper(to) {
                pending = Some((from, *edge));
                continue;
            }
            hops.push(Hop {
                from: id(from),
                to: id(to),
                edges: vec![EdgeId(edge.index() as u32)],
            });
        }
        Path { hops }
    }

    fn bfs(&self, starts: &[NodeIndex<u32>], direction: Direction, filter: &Filter) -> Reached {
        let mut parent = vec![UNREACHED; self.graph.node_count()];
        let mut order = Vec::new();
        let mut queue = VecDeque::new();
        for start in starts {
            if let Some(slot) = parent.get_mut(start.index()) {
                if *slot == UNREACHED {
                    *slot = START;
                    order.push(*start);
                    queue.push_back(*start);
                }
            }
        }
        while let Some(node) = queue.pop_front() {
            for edge in self.graph.edges_directed(node, direction) {
                let neighbour = if direction == Direction::Incoming {
                    edge.source()
                } else {
                    edge.target()
                };
                let Some(slot) = parent.get_mut(neighbour.index()) else {
                    continue;
                };
                if *slot != UNREACHED || !filter.allows(self, edge.id()) {
                    continue;
                }
                *slot = edge.id().index() as u32;
                order.push(neighbour);
                queue.push_back(neighbour);
            }
        }
        Reached { parent, order }
    }

    /// The edges from `node` back to a start, in the direction of travel.
    fn edges_to_start(
        &self,
        mut node: NodeIndex<u32>,
        reached: &Reached,
        direction: Direction,
    ) -> Vec<EdgeIndex<u32>> {
        let mut edges = Vec::new();
        while let Some(&parent) = reached.parent.get(node.index()) {
            if parent == START || parent == UNREACHED || edges.len() > reached.order.len() {
                break;
            }
            let edge = EdgeIndex::new(parent as usize);
            edges.push(edge);
            let Some((from, to)) = self.graph.edge_endpoints(edge) else {
                break;
            };
            node = if direction == Direction::Incoming {
                to
            } else {
                from
            };
        }
        if direction == Direction::Outgoing {
            edges.reverse();
        }
        edges
    }

    fn results(
        &self,
        reached: &Reached,
        direction: Direction,
        filter: &Filter,
    ) -> Vec<(NodeId, Path)> {
        let mut results: Vec<(NodeId, Path)> = reached
            .order
            .iter()
            .filter(|node| !self.is_helper(**node))
            .map(|node| {
                (
                    id(*node),
                    self.collapse(&self.edges_to_start(*node, reached, direction)),
                )
            })
            .filter(|(_, path)| filter.max_hops.is_none_or(|max| path.hops.len() <= max))
            .collect();
        // Breadth-first order is by raw length; helper hops count once as shown.
        results.sort_by_key(|(_, path)| path.hops.len());
        results
    }

    /// Every node that can reach one of `targets`, with its shortest path (targets included, with
    /// an empty path).
    #[must_use]
    pub fn who_can_reach(&self, targets: &[NodeId], filter: &Filter) -> Vec<(NodeId, Path)> {
        let starts: Vec<NodeIndex<u32>> = targets
            .iter()
            .map(|target| NodeIndex::new(target.0 as usize))
            .collect();
        let reached = self.bfs(&starts, Direction::Incoming, filter);
        self.results(&reached, Direction::Incoming, filter)
    }

    /// Every node that can reach an administrator of `account`, with its shortest path (the
    /// administrators themselves have an empty path).
    #[must_use]
    pub fn who_can_reach_admin(&self, account: &str, filter: &Filter) -> Vec<(NodeId, Path)> {
        let mut targets = self.admins(account);
        if filter.definite_only {
            targets.retain(|target| {
                self.node(*target)
                    .and_then(|node| node.admin.as_ref())
                    .is_some_and(|admin| admin.status == accessgraph_policy::Tri::True)
            });
        }
        self.who_can_reach(&targets, filter)
    }

    /// Everything `source` can reach, with the shortest path to each.
    #[must_use]
    pub fn reachable_from(&self, source: NodeId, filter: &Filter) -> Vec<(NodeId, Path)> {
        let start = NodeIndex::new(source.0 as usize);
        let reached = self.bfs(&[start], Direction::Outgoing, filter);
        self.results(&reached, Direction::Outgoing, filter)
    }

    /// The shortest path from `from` to `to`, if any.
    #[must_use]
    pub fn shortest_path(&self, from: NodeId, to: NodeId, filter: &Filter) -> Option<Path> {
        let start = NodeIndex::new(from.0 as usize);
        let reached = self.bfs(&[start], Direction::Outgoing, filter);
        let end = NodeIndex::new(to.0 as usize);
        if reached
            .parent
            .get(end.index())
            .is_none_or(|parent| *parent == UNREACHED)
        {
            return None;
        }
        let path = self.collapse(&self.edges_to_start(end, &reached, Direction::Outgoing));
        filter
            .max_hops
            .is_none_or(|max| path.hops.len() <= max)
            .then_some(path)
    }
}
