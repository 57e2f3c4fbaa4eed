//! The part of the graph a cut question is about: who reaches the targets, over which edges, and
//! which changes remove each of those edges; searches with some of them removed.

use std::collections::{HashMap, HashSet};

use accessgraph_policy::Citation;
use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};

use super::CutQuestion;
use super::change::{Change, options};
use crate::build::Graph;
use crate::model::NodeKind;

/// No parent: the node was not reached.
pub(crate) const UNREACHED: u32 = u32::MAX;
/// The node is a target.
pub(crate) const START: u32 = u32::MAX - 1;

/// The changes that remove the edges between the sources and the targets.
pub(crate) struct Region<'g> {
    pub(crate) graph: &'g Graph,
    question: &'g CutQuestion<'g>,
    targets: Vec<u32>,
    /// Per node: whether it is a target.
    is_target: Vec<bool>,
    /// Kept principals: paths through them are left alone.
    blocked: Vec<bool>,
    /// The changes met, interned; kept ones never enter.
    pub(crate) changes: Vec<Change>,
    /// The edges each change removes.
    pub(crate) change_edges: Vec<Vec<u32>>,
    /// The changes that remove each edge met.
    edge_changes: HashMap<u32, Vec<u32>>,
    /// Principals that reach a target, neither a target nor kept, nearest first.
    pub(crate) sources: Vec<u32>,
}

impl<'g> Region<'g> {
    /// Searches from the targets and reads the changes of every edge on the way.
    pub(crate) fn new(graph: &'g Graph, question: &'g CutQuestion<'g>) -> Region<'g> {
        let nodes = graph.graph.node_count();
        let mut blocked = vec![false; nodes];
        for node in &question.keep_nodes {
            if let Some(slot) = blocked.get_mut(node.0 as usize) {
                *slot = true;
            }
        }
        let targets: Vec<u32> = question
            .targets
            .iter()
            .map(|target| target.0)
            .filter(|target| !blocked.get(*target as usize).copied().unwrap_or(true))
            .collect();
        let mut is_target = vec![false; nodes];
        for target in &targets {
            if let Some(slot) = is_target.get_mut(*target as usize) {
                *slot = true;
            }
        }
        let mut region = Region {
            graph,
            question,
            targets,
            is_target,
            blocked,
            changes: Vec::new(),
            change_edges: Vec::new(),
            edge_changes: HashMap::new(),
            sources: Vec::new(),
        };
        let (parent, order) = region.reach(&|_| false, true);
        region.sources = region.sources_among(&order);
        region.read_changes(&parent, &order);
        region
    }

    /// The nodes of `order` that count as sources: principals (not helpers, services or
    /// resources) the filter keeps, neither targets nor kept.
    pub(crate) fn sources_among(&self, order: &[u32]) -> Vec<u32> {
        let graph = self.graph;
        order
            .iter()
            .copied()
            .filter(|node| {
                !self.is_target.get(*node as usize).copied().unwrap_or(true)
                    && !self.blocked.get(*node as usize).copied().unwrap_or(true)
            })
            .filter(|node| {
                graph
                    .graph
                    .node_weight(NodeIndex::new(*node as usize))
                    .is_some_and(|node| {
                        !node.kind.is_helper()
                            && !matches!(node.kind, NodeKind::Service | NodeKind::Resource)
                    })
            })
            .filter(|node| {
                self.question
                    .filter
                    .keeps_source(graph, crate::model::NodeId(*node))
            })
            .collect()
    }

    /// Interns the changes of every edge between two reached nodes.
    fn read_changes(&mut self, parent: &[u32], order: &[u32]) {
        let graph = self.graph;
        let mut interned: HashMap<Change, u32> = HashMap::new();
        let mut citations: Vec<Citation> = Vec::new();
        for &node in order {
            for &(from, edge) in graph
                .adjacency
                .neighbours(node as usize, Direction::Incoming)
            {
                if parent.get(from as usize).is_none_or(|p| *p == UNREACHED) || !self.allowed(edge)
                {
                    continue;
                }
                let (Some(from_node), Some(to_node), Some(weight)) = (
                    graph.graph.node_weight(NodeIndex::new(from as usize)),
                    graph.graph.node_weight(NodeIndex::new(node as usize)),
                    graph.graph.edge_weight(EdgeIndex::new(edge as usize)),
                ) else {
                    continue;
                };
                citations.clear();
                citations.extend(
                    weight
                        .evidence
                        .iter()
                        .filter_map(|id| graph.citation(*id).cloned()),
                );
                for change in options(from_node, to_node, weight, &citations) {
                    if self.question.keeps(&change, graph) {
                        continue;
                    }
                    let next = self.changes.len() as u32;
                    let id = *interned.entry(change.clone()).or_insert(next);
                    if id == next {
                        self.changes.push(change);
                        self.change_edges.push(Vec::new());
                    }
                    if let Some(edges) = self.change_edges.get_mut(id as usize) {
                        edges.push(edge);
                    }
                    self.edge_changes.entry(edge).or_default().push(id);
                }
            }
        }
    }

    fn allowed(&self, edge: u32) -> bool {
        self.question.filter.allows_flags(
            self.graph
                .adjacency
                .flags
                .get(edge as usize)
                .copied()
                .unwrap_or(0),
        )
    }

    /// A reverse breadth-first search from the targets over the edges `cut` leaves, around the
    /// kept principals (through them too when `around_kept` is false): each node's parent edge
    /// (`UNREACHED`, `START`) and the nodes in the order reached.
    pub(crate) fn reach(
        &self,
        cut: &dyn Fn(u32) -> bool,
        around_kept: bool,
    ) -> (Vec<u32>, Vec<u32>) {
        let graph = self.graph;
        let mut parent = vec![UNREACHED; graph.graph.node_count()];
        let mut order = Vec::new();
        for target in &self.targets {
            if let Some(slot) = parent.get_mut(*target as usize)
                && *slot == UNREACHED
            {
                *slot = START;
                order.push(*target);
            }
        }
        let mut next = 0;
        while let Some(&node) = order.get(next) {
            next += 1;
            for &(from, edge) in graph
                .adjacency
                .neighbours(node as usize, Direction::Incoming)
            {
                if (around_kept && self.blocked.get(from as usize).copied().unwrap_or(true))
                    || !self.allowed(edge)
                    || cut(edge)
                {
                    continue;
                }
                if let Some(slot) = parent.get_mut(from as usize)
                    && *slot == UNREACHED
                {
                    *slot = edge;
                    order.push(from);
                }
            }
        }
        (parent, order)
    }

    /// The changes that remove an edge.
    pub(crate) fn changes_of(&self, edge: u32) -> &[u32] {
        self.edge_changes
            .get(&edge)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The edges of a source's path in a search's tree, from the source to its target.
    pub(crate) fn tree_path(&self, parent: &[u32], source: u32) -> Vec<u32> {
        let mut edges = Vec::new();
        let mut node = source;
        while let Some(&edge) = parent.get(node as usize) {
            if edge == START || edge == UNREACHED || edges.len() > parent.len() {
                break;
            }
            edges.push(edge);
            match self
                .graph
                .graph
                .edge_endpoints(EdgeIndex::new(edge as usize))
            {
                Some((_, to)) => node = to.index() as u32,
                None => break,
            }
        }
        edges
    }

    /// Per change, how many of `sources` have a tree path through one of its edges; and the
    /// sources whose tree path no change removes.
    pub(crate) fn count_paths(&self, parent: &[u32], sources: &[u32]) -> (Vec<usize>, Vec<u32>) {
        let mut counts = vec![0usize; self.changes.len()];
        let mut seen = vec![u32::MAX; self.changes.len()];
        let mut stuck = Vec::new();
        for (position, source) in sources.iter().enumerate() {
            let mut any = false;
            for edge in self.tree_path(parent, *source) {
                for &change in self.changes_of(edge) {
                    any = true;
                    if let (Some(mark), Some(count)) = (
                        seen.get_mut(change as usize),
                        counts.get_mut(change as usize),
                    ) && *mark != position as u32
                    {
                        *mark = position as u32;
                        *count += 1;
                    }
                }
            }
            if !any {
                stuck.push(*source);
            }
        }
        (counts, stuck)
    }

    /// The sources among `sources` that still reach a target with `chosen` made.
    pub(crate) fn still_reaching(&self, chosen: &[u32], sources: &[u32]) -> Vec<u32> {
        let cut = self.cut_edges(chosen);
        let (parent, _) = self.reach(&|edge| cut.contains(&edge), true);
        sources
            .iter()
            .copied()
            .filter(|source| {
                parent
                    .get(*source as usize)
                    .is_some_and(|p| *p != UNREACHED)
            })
            .collect()
    }

    /// The edges on some path from `sources` to a target: a forward search from them over the
    /// nodes the reverse search `parent` reached, ending at the targets.
    pub(crate) fn forward(&self, sources: &[u32], parent: &[u32]) -> Vec<u32> {
        let reached = |node: u32| parent.get(node as usize).is_some_and(|p| *p != UNREACHED);
        let mut seen: HashSet<u32> = sources.iter().copied().collect();
        let mut queue: Vec<u32> = sources.to_vec();
        let mut edges = Vec::new();
        while let Some(node) = queue.pop() {
            if parent.get(node as usize) == Some(&START) {
                continue;
            }
            for &(to, edge) in self
                .graph
                .adjacency
                .neighbours(node as usize, Direction::Outgoing)
            {
                if !reached(to)
                    || self.blocked.get(to as usize).copied().unwrap_or(true)
                    || !self.allowed(edge)
                {
                    continue;
                }
                edges.push(edge);
                if seen.insert(to) {
                    queue.push(to);
                }
            }
        }
        edges
    }

    /// The edges the changes remove.
    pub(crate) fn cut_edges(&self, chosen: &[u32]) -> HashSet<u32> {
        chosen
            .iter()
            .filter_map(|change| self.change_edges.get(*change as usize))
            .flatten()
            .copied()
            .collect()
    }
}
