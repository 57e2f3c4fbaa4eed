//! The part of the graph a cut question is about: who reaches the targets, over which edges, and
//! which changes remove each of those edges; searches with some of them made.

use std::collections::HashMap;

use accessgraph_policy::Citation;
use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};

use super::CutQuestion;
use super::change::{Change, Sides, options};
use crate::build::Graph;
use crate::model::{EdgeKind, NodeKind};

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
    /// Per node: whether it is kept (paths through it are left alone).
    blocked: Vec<bool>,
    /// The changes met, interned; kept ones never enter.
    pub(crate) changes: Vec<Change>,
    /// The edges each change removes.
    pub(crate) change_edges: Vec<Vec<u32>>,
    /// Each change's fixes, by id.
    change_fixes: Vec<Vec<u32>>,
    /// Per fix id, the changes it is one of the fixes of.
    fix_changes: Vec<Vec<u32>>,
    /// Per edge, the start of its changes in `edge_list` (one more entry at the end).
    edge_start: Vec<u32>,
    /// Change ids grouped by edge.
    edge_list: Vec<u32>,
    /// Principals that reach a target, neither a target nor kept, nearest first.
    pub(crate) sources: Vec<u32>,
}

/// The changes made and the edges they remove. A change made removes its own edges and those
/// of every change whose fixes it (with the others made) includes: making every statement of a
/// pair removes the edges each alone removes.
#[derive(Debug, Clone)]
pub(crate) struct Cut {
    /// Per edge: how many complete changes remove it.
    count: Vec<u16>,
    /// Per fix: how many changes made include it.
    fixes: Vec<u16>,
    /// Per change: how many of its fixes are made.
    progress: Vec<u16>,
}

impl Cut {
    /// Whether the changes made remove `edge`.
    pub(crate) fn has(&self, edge: u32) -> bool {
        self.count
            .get(edge as usize)
            .is_some_and(|count| *count > 0)
    }
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
            change_fixes: Vec::new(),
            fix_changes: Vec::new(),
            edge_start: Vec::new(),
            edge_list: Vec::new(),
            sources: Vec::new(),
        };
        let (parent, order) = region.reach(&region.no_cut(), true);
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

    /// Interns the changes of every edge between two reached nodes. Edges that share their
    /// evidence, kind and sides share their changes, which are read once.
    fn read_changes(&mut self, parent: &[u32], order: &[u32]) {
        let graph = self.graph;
        let mut interned: HashMap<Change, u32> = HashMap::new();
        let mut shared: HashMap<(usize, EdgeKind, Sides), Vec<u32>> = HashMap::new();
        let mut citations: Vec<Citation> = Vec::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
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
                let sides = Sides::of(from_node, to_node);
                let key = (
                    std::sync::Arc::as_ptr(&weight.evidence) as usize,
                    weight.kind,
                    sides,
                );
                if let Some(ids) = shared.get(&key) {
                    pairs.extend(ids.iter().map(|id| (edge, *id)));
                    continue;
                }
                citations.clear();
                citations.extend(
                    weight
                        .evidence
                        .iter()
                        .filter_map(|id| graph.citation(*id).cloned()),
                );
                let (found, share) = options(
                    from_node,
                    to_node,
                    sides,
                    weight,
                    &citations,
                    self.question.names_caller,
                );
                let mut ids = Vec::new();
                for change in found {
                    if self.question.keeps(&change, graph) {
                        continue;
                    }
                    let next = self.changes.len() as u32;
                    let id = *interned.entry(change.clone()).or_insert(next);
                    if id == next {
                        self.changes.push(change);
                    }
                    ids.push(id);
                }
                pairs.extend(ids.iter().map(|id| (edge, *id)));
                if share {
                    shared.insert(key, ids);
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        self.change_edges = vec![Vec::new(); self.changes.len()];
        let edges = graph.graph.edge_count();
        self.edge_start = vec![0; edges + 1];
        for (edge, change) in &pairs {
            if let Some(list) = self.change_edges.get_mut(*change as usize) {
                list.push(*edge);
            }
            if let Some(count) = self.edge_start.get_mut(*edge as usize + 1) {
                *count += 1;
            }
        }
        for index in 1..self.edge_start.len() {
            let previous = self.edge_start.get(index - 1).copied().unwrap_or(0);
            if let Some(slot) = self.edge_start.get_mut(index) {
                *slot += previous;
            }
        }
        self.edge_list = pairs.into_iter().map(|(_, change)| change).collect();
        let mut fix_ids: HashMap<&super::Fix, u32> = HashMap::new();
        for (id, change) in self.changes.iter().enumerate() {
            let mut ids = Vec::new();
            for fix in &change.fixes {
                let next = fix_ids.len() as u32;
                let fix_id = *fix_ids.entry(fix).or_insert(next);
                if fix_id == next {
                    self.fix_changes.push(Vec::new());
                }
                if let Some(list) = self.fix_changes.get_mut(fix_id as usize) {
                    list.push(id as u32);
                }
                ids.push(fix_id);
            }
            self.change_fixes.push(ids);
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

    /// No change made.
    pub(crate) fn no_cut(&self) -> Cut {
        Cut {
            count: vec![0; self.graph.graph.edge_count()],
            fixes: vec![0; self.fix_changes.len()],
            progress: vec![0; self.changes.len()],
        }
    }

    /// The edges the changes remove.
    pub(crate) fn cut_of(&self, chosen: &[u32]) -> Cut {
        let mut cut = self.no_cut();
        for change in chosen {
            self.make(&mut cut, *change);
        }
        cut
    }

    /// Makes a change: its fixes made, the edges of every change they complete removed.
    pub(crate) fn make(&self, cut: &mut Cut, change: u32) {
        for fix in self.change_fixes.get(change as usize).into_iter().flatten() {
            let Some(made) = cut.fixes.get_mut(*fix as usize) else {
                continue;
            };
            *made = made.saturating_add(1);
            if *made != 1 {
                continue;
            }
            for other in self.fix_changes.get(*fix as usize).into_iter().flatten() {
                let needed = self.change_fixes.get(*other as usize).map_or(0, Vec::len);
                if let Some(progress) = cut.progress.get_mut(*other as usize) {
                    *progress = progress.saturating_add(1);
                    if usize::from(*progress) == needed {
                        for edge in self.change_edges.get(*other as usize).into_iter().flatten() {
                            if let Some(count) = cut.count.get_mut(*edge as usize) {
                                *count = count.saturating_add(1);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Takes a change back; returns the edges of the changes it no longer completes (some may
    /// still be removed by others).
    pub(crate) fn unmake(&self, cut: &mut Cut, change: u32) -> Vec<u32> {
        let mut restored = Vec::new();
        for fix in self.change_fixes.get(change as usize).into_iter().flatten() {
            let Some(made) = cut.fixes.get_mut(*fix as usize) else {
                continue;
            };
            *made = made.saturating_sub(1);
            if *made != 0 {
                continue;
            }
            for other in self.fix_changes.get(*fix as usize).into_iter().flatten() {
                let needed = self.change_fixes.get(*other as usize).map_or(0, Vec::len);
                if let Some(progress) = cut.progress.get_mut(*other as usize) {
                    if usize::from(*progress) == needed {
                        for edge in self.change_edges.get(*other as usize).into_iter().flatten() {
                            if let Some(count) = cut.count.get_mut(*edge as usize) {
                                *count = count.saturating_sub(1);
                            }
                            restored.push(*edge);
                        }
                    }
                    *progress = progress.saturating_sub(1);
                }
            }
        }
        restored
    }

    /// The edges a cut removes.
    pub(crate) fn removed(&self, cut: &Cut) -> Vec<u32> {
        (0..cut.count.len() as u32)
            .filter(|edge| cut.has(*edge))
            .collect()
    }

    /// A reverse breadth-first search from the targets over the edges `cut` leaves, around the
    /// kept principals (through them too when `around_kept` is false): each node's parent edge
    /// (`UNREACHED`, `START`) and the nodes in the order reached.
    pub(crate) fn reach(&self, cut: &Cut, around_kept: bool) -> (Vec<u32>, Vec<u32>) {
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
                    || cut.has(edge)
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

    /// What `restored` edges add back to the nodes reaching a target (`reached`, under `cut`):
    /// the nodes that reach one only through them. Searched from those edges alone, so the cost
    /// is that of what they add.
    pub(crate) fn added_by(&self, cut: &Cut, reached: &[bool], restored: &[u32]) -> Vec<u32> {
        let is_reached = |node: u32| reached.get(node as usize).copied().unwrap_or(false);
        let mut added: Vec<u32> = Vec::new();
        let mut seen: std::collections::HashSet<u32> = std::collections::HashSet::new();
        for edge in restored {
            let Some((from, to)) = self
                .graph
                .graph
                .edge_endpoints(EdgeIndex::new(*edge as usize))
            else {
                continue;
            };
            let (from, to) = (from.index() as u32, to.index() as u32);
            if is_reached(to)
                && !is_reached(from)
                && !cut.has(*edge)
                && self.allowed(*edge)
                && !self.blocked.get(from as usize).copied().unwrap_or(true)
                && seen.insert(from)
            {
                added.push(from);
            }
        }
        let mut next = 0;
        while let Some(&node) = added.get(next) {
            next += 1;
            for &(from, edge) in self
                .graph
                .adjacency
                .neighbours(node as usize, Direction::Incoming)
            {
                if is_reached(from)
                    || cut.has(edge)
                    || !self.allowed(edge)
                    || self.blocked.get(from as usize).copied().unwrap_or(true)
                {
                    continue;
                }
                if seen.insert(from) {
                    added.push(from);
                }
            }
        }
        added
    }

    /// The changes that remove an edge.
    pub(crate) fn changes_of(&self, edge: u32) -> &[u32] {
        let from = self.edge_start.get(edge as usize).copied().unwrap_or(0) as usize;
        let to = self.edge_start.get(edge as usize + 1).copied().unwrap_or(0) as usize;
        self.edge_list.get(from..to).unwrap_or_default()
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

    /// The sources among `sources` that still reach a target under `cut`.
    pub(crate) fn still_reaching(&self, cut: &Cut, sources: &[u32]) -> Vec<u32> {
        let (parent, _) = self.reach(cut, true);
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
        let mut seen: std::collections::HashSet<u32> = sources.iter().copied().collect();
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
}
