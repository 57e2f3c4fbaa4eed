//! Searches: who can reach a node (reverse breadth-first search, shortest path per source), who
//! can reach an administrator of an account, what a principal can reach, and the shortest path
//! between two nodes. Helper nodes never appear in results: a hop through an account's admin node
//! becomes one hop from the administrator to the principal it takes over.

use std::collections::{BTreeMap, VecDeque};

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

/// One hop of a path as shown: one edge, or an administrator's takeover through the helper node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Start.
    pub from: NodeId,
    /// End.
    pub to: NodeId,
    /// The underlying edges (two for a takeover: admin, then takeover).
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
            Some(kinds) => {
                let kind = match weight.kind {
                    EdgeKind::Admin | EdgeKind::Takeover => EdgeKind::Privesc,
                    other => other,
                };
                kinds.contains(&kind) || weight.kind == EdgeKind::Admin
            }
        }
    }
}

fn id(index: NodeIndex<u32>) -> NodeId {
    NodeId(index.index() as u32)
}

impl Graph {
    fn is_helper(&self, index: NodeIndex<u32>) -> bool {
        self.graph
            .node_weight(index)
            .is_some_and(|node| node.kind == NodeKind::AccountAdmin)
    }

    /// Turns a list of edges into hops, collapsing the helper node.
    fn collapse(&self, edges: &[EdgeIndex<u32>]) -> Path {
        let mut hops = Vec::new();
        let mut pending: Option<(NodeIndex<u32>, EdgeIndex<u32>)> = None;
        for edge in edges {
            let Some((from, to)) = self.graph.edge_endpoints(*edge) else {
                continue;
            };
            if let Some((admin, first)) = pending.take() {
                hops.push(Hop {
                    from: id(admin),
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

    /// Breadth-first search from `starts` against `direction`; returns, per reached node, the edge
    /// that leads one step closer to a start.
    fn bfs(
        &self,
        starts: &[NodeIndex<u32>],
        direction: Direction,
        filter: &Filter,
    ) -> BTreeMap<NodeIndex<u32>, Option<EdgeIndex<u32>>> {
        let mut reached: BTreeMap<NodeIndex<u32>, Option<EdgeIndex<u32>>> =
            starts.iter().map(|start| (*start, None)).collect();
        let mut queue: VecDeque<NodeIndex<u32>> = starts.iter().copied().collect();
        while let Some(node) = queue.pop_front() {
            let mut next: Vec<(NodeIndex<u32>, EdgeIndex<u32>)> = self
                .graph
                .edges_directed(node, direction)
                .filter(|edge| filter.allows(self, edge.id()))
                .map(|edge| {
                    (
                        if direction == Direction::Incoming {
                            edge.source()
                        } else {
                            edge.target()
                        },
                        edge.id(),
                    )
                })
                .collect();
            // Stable order: by neighbour, then edge id.
            next.sort();
            for (neighbour, edge) in next {
                if let std::collections::btree_map::Entry::Vacant(entry) = reached.entry(neighbour)
                {
                    entry.insert(Some(edge));
                    queue.push_back(neighbour);
                }
            }
        }
        reached
    }

    fn path_to_start(
        &self,
        mut node: NodeIndex<u32>,
        reached: &BTreeMap<NodeIndex<u32>, Option<EdgeIndex<u32>>>,
        direction: Direction,
    ) -> Vec<EdgeIndex<u32>> {
        let mut edges = Vec::new();
        while let Some(Some(edge)) = reached.get(&node) {
            edges.push(*edge);
            let Some((from, to)) = self.graph.edge_endpoints(*edge) else {
                break;
            };
            node = if direction == Direction::Incoming {
                to
            } else {
                from
            };
            if edges.len() > reached.len() {
                break;
            }
        }
        if direction == Direction::Outgoing {
            edges.reverse();
        }
        edges
    }

    fn results(
        &self,
        reached: &BTreeMap<NodeIndex<u32>, Option<EdgeIndex<u32>>>,
        direction: Direction,
        filter: &Filter,
    ) -> Vec<(NodeId, Path)> {
        let mut results: Vec<(NodeId, Path)> = reached
            .keys()
            .filter(|node| !self.is_helper(**node))
            .map(|node| {
                (
                    id(*node),
                    self.collapse(&self.path_to_start(*node, reached, direction)),
                )
            })
            .filter(|(_, path)| filter.max_hops.is_none_or(|max| path.hops.len() <= max))
            .collect();
        results.sort_by(|(a, path_a), (b, path_b)| {
            let arn = |node: &NodeId| {
                self.node(*node)
                    .map(|node| node.arn.clone())
                    .unwrap_or_default()
            };
            (path_a.hops.len(), arn(a)).cmp(&(path_b.hops.len(), arn(b)))
        });
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
        self.reachable_from(from, filter)
            .into_iter()
            .find(|(node, _)| *node == to)
            .map(|(_, path)| path)
    }
}
