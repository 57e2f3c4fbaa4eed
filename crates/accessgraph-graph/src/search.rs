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
use serde::Serialize;

use crate::build::Graph;
use crate::model::{EdgeId, EdgeKind, NodeId, NodeKind};

/// A way to stop a long search early: a deadline, or a flag another thread raises (a client that
/// went away). A stopped search returns what it has found so far; callers check
/// [`Stop::stopped`] before trusting it.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    deadline: Option<std::time::Instant>,
    flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Stop {
    /// Stops at `deadline`, or when `flag` is raised.
    #[must_use]
    pub fn new(
        deadline: Option<std::time::Instant>,
        flag: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    ) -> Stop {
        Stop { deadline, flag }
    }

    /// Whether the search should stop now.
    #[must_use]
    pub fn stopped(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed))
            || self
                .deadline
                .is_some_and(|deadline| std::time::Instant::now() >= deadline)
    }

    /// Whether the deadline has passed (as opposed to a cancellation).
    #[must_use]
    pub fn deadline_passed(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| std::time::Instant::now() >= deadline)
    }
}

impl PartialEq for Stop {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
            && match (&self.flag, &other.flag) {
                (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl Eq for Stop {}

/// Which edges a search may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Edge kinds allowed (`None`: all). Helper edges follow `Privesc`.
    pub kinds: Option<Vec<EdgeKind>>,
    /// Skip conditional edges.
    pub definite_only: bool,
    /// Longest path, in hops as shown.
    pub max_hops: Option<usize>,
    /// Keep only answers whose source belongs to one of these accounts.
    pub source_accounts: Option<Vec<String>>,
    /// Keep only answers whose source is outside the snapshot (external accounts, `*`,
    /// identity providers and services).
    pub external_sources: bool,
    /// When to give up (path enumeration checks it as it goes).
    pub stop: Stop,
}

impl Filter {
    /// Whether a node may be reported as the source of an answer.
    #[must_use]
    pub fn keeps_source(&self, graph: &Graph, node: NodeId) -> bool {
        let Some(node) = graph.node(node) else {
            return false;
        };
        // A group cannot act: it is reached (by joining it), never the source of an answer.
        if node.kind == NodeKind::Group {
            return false;
        }
        if self.external_sources
            && matches!(
                node.kind,
                NodeKind::User
                    | NodeKind::Group
                    | NodeKind::Role
                    | NodeKind::Resource
                    | NodeKind::IdentityCenterUser
                    | NodeKind::IdentityCenterGroup
            )
        {
            return false;
        }
        match &self.source_accounts {
            None => true,
            Some(accounts) => node
                .account
                .as_ref()
                .is_some_and(|account| accounts.contains(account)),
        }
    }
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

fn id(index: NodeIndex<u32>) -> NodeId {
    NodeId(index.index() as u32)
}

/// Compact adjacency lists in both directions (compressed sparse rows), with each edge's kind and
/// certainty in one byte, so searches touch small contiguous arrays instead of edge weights.
#[derive(Debug, Clone, Default)]
pub(crate) struct Adjacency {
    /// Per node, the start of its incoming entries in `incoming` (one more entry at the end).
    incoming_start: Vec<u32>,
    /// `(source, edge)` pairs grouped by target.
    incoming: Vec<(u32, u32)>,
    /// Per node, the start of its outgoing entries in `outgoing`.
    outgoing_start: Vec<u32>,
    /// `(target, edge)` pairs grouped by source.
    outgoing: Vec<(u32, u32)>,
    /// Per edge: kind in the low bits, `CONDITIONAL` when conditional.
    pub(crate) flags: Vec<u8>,
    /// Per node: whether it is a helper (read at every step of a search).
    helpers: Vec<bool>,
}

const CONDITIONAL: u8 = 0x80;

fn kind_bits(kind: EdgeKind) -> u8 {
    match kind {
        EdgeKind::Assume => 0,
        EdgeKind::Privesc => 1,
        EdgeKind::Member => 2,
        EdgeKind::Admin => 3,
        EdgeKind::Takeover => 4,
        EdgeKind::RunsAs => 5,
        EdgeKind::Permit => 6,
        EdgeKind::Sso => 7,
    }
}

/// `(row, other end, edge)`: an edge filed under one of its ends.
type Entry = (u32, u32, u32);

/// Groups entries by row: the start of each row, and the `(other end, edge)` pairs, each row's
/// sorted. A counting sort by row, then each (short) row sorted: linear in the entries where
/// one sort of them all is not.
fn rows(nodes: usize, entries: &[Entry]) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut start = vec![0u32; nodes + 1];
    for (row, _, _) in entries {
        if let Some(count) = start.get_mut(*row as usize + 1) {
            *count += 1;
        }
    }
    for idx in 1..start.len() {
        let previous = start.get(idx - 1).copied().unwrap_or(0);
        if let Some(slot) = start.get_mut(idx) {
            *slot += previous;
        }
    }
    let mut next = start.clone();
    let mut grouped = vec![(0u32, 0u32); entries.len()];
    for (row, other, edge) in entries {
        if let Some(position) = next.get_mut(*row as usize)
            && let Some(slot) = grouped.get_mut(*position as usize)
        {
            *slot = (*other, *edge);
            *position += 1;
        }
    }
    for bounds in start.windows(2) {
        if let [from, to] = bounds
            && let Some(row) = grouped.get_mut(*from as usize..*to as usize)
        {
            row.sort_unstable();
        }
    }
    (start, grouped)
}

impl Adjacency {
    pub(crate) fn new(
        graph: &petgraph::graph::DiGraph<crate::model::Node, crate::model::Edge, u32>,
    ) -> Adjacency {
        let nodes = graph.node_count();
        let ends: Vec<Entry> = graph
            .edge_indices()
            .filter_map(|edge| {
                let (from, to) = graph.edge_endpoints(edge)?;
                Some((from.index() as u32, to.index() as u32, edge.index() as u32))
            })
            .collect();
        let flags = graph
            .edge_indices()
            .map(|edge| {
                graph.edge_weight(edge).map_or(0, |weight| {
                    kind_bits(weight.kind)
                        | if weight.is_conditional() {
                            CONDITIONAL
                        } else {
                            0
                        }
                })
            })
            .collect();
        let helpers = graph
            .node_weights()
            .map(|node| node.kind.is_helper())
            .collect();
        let reversed: Vec<Entry> = ends
            .iter()
            .map(|(from, to, edge)| (*to, *from, *edge))
            .collect();
        let (incoming_start, incoming) = rows(nodes, &reversed);
        drop(reversed);
        let (outgoing_start, outgoing) = rows(nodes, &ends);
        Adjacency {
            incoming_start,
            incoming,
            outgoing_start,
            outgoing,
            flags,
            helpers,
        }
    }

    pub(crate) fn neighbours(&self, node: usize, direction: Direction) -> &[(u32, u32)] {
        let (start, entries) = match direction {
            Direction::Incoming => (&self.incoming_start, &self.incoming),
            Direction::Outgoing => (&self.outgoing_start, &self.outgoing),
        };
        let from = start.get(node).copied().unwrap_or(0) as usize;
        let to = start.get(node + 1).copied().unwrap_or(0) as usize;
        entries.get(from..to).unwrap_or_default()
    }
}

impl Filter {
    /// Whether an edge with these flags may be used.
    pub(crate) fn allows_flags(&self, flags: u8) -> bool {
        if self.definite_only && flags & CONDITIONAL != 0 {
            return false;
        }
        let Some(kinds) = &self.kinds else {
            return true;
        };
        match flags & !CONDITIONAL {
            0 => kinds.contains(&EdgeKind::Assume),
            2 => kinds.contains(&EdgeKind::Member),
            3 => true,
            6 => kinds.contains(&EdgeKind::Permit),
            7 => kinds.contains(&EdgeKind::Sso),
            _ => kinds.contains(&EdgeKind::Privesc),
        }
    }
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

/// The outcome of a reverse search, before any path is built: who reaches the targets, in
/// breadth-first order. Paths are built on demand, so a page of answers costs only its paths.
#[derive(Debug)]
pub struct Reach {
    reached: Reached,
}

impl std::fmt::Debug for Reached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reached")
            .field("reached", &self.order.len())
            .finish()
    }
}

impl Reach {
    /// How many nodes reach the targets (targets and helper nodes included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.reached.order.len()
    }

    /// Whether nothing reaches the targets.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.reached.order.is_empty()
    }

    /// The nodes that reach the targets (helpers excluded), nearest first, as the filter's source
    /// criteria allow.
    pub fn sources<'g>(
        &'g self,
        graph: &'g Graph,
        filter: &'g Filter,
    ) -> impl Iterator<Item = NodeId> + 'g {
        self.reached
            .order
            .iter()
            .filter(move |node| !graph.is_helper(**node))
            .map(|node| id(*node))
            .filter(move |node| filter.keeps_source(graph, *node))
    }

    /// The shortest path from `source` to a target, if `source` reaches one.
    #[must_use]
    pub fn path(&self, graph: &Graph, source: NodeId) -> Option<Path> {
        let node = NodeIndex::new(source.0 as usize);
        if self
            .reached
            .parent
            .get(node.index())
            .is_none_or(|parent| *parent == UNREACHED)
        {
            return None;
        }
        Some(graph.collapse(&graph.edges_to_start(node, &self.reached, Direction::Incoming)))
    }

    /// Whether `source`'s path has at most `max` hops, told without building it: the search's
    /// own edge count bounds the path's hops from above (a helper node only shortens a path as
    /// shown). `false` when that count exceeds `max` or `source` was not reached: only the path
    /// can tell then.
    #[must_use]
    pub fn surely_within(&self, graph: &Graph, source: NodeId, max: usize) -> bool {
        let mut node = NodeIndex::<u32>::new(source.0 as usize);
        for _ in 0..=max {
            match self.reached.parent.get(node.index()) {
                Some(&START) => return true,
                Some(&parent) if parent != UNREACHED => {
                    match graph.graph.edge_endpoints(EdgeIndex::new(parent as usize)) {
                        Some((_, to)) => node = to,
                        None => return false,
                    }
                }
                _ => return false,
            }
        }
        false
    }
}

impl Graph {
    /// Who reaches an administrator of `account`, without building paths.
    #[must_use]
    pub fn reach_admin(&self, account: &str, filter: &Filter) -> Reach {
        let starts: Vec<NodeIndex<u32>> = self
            .admin_targets(account, filter)
            .iter()
            .map(|target| NodeIndex::new(target.0 as usize))
            .collect();
        Reach {
            reached: self.bfs(&starts, Direction::Incoming, filter, None),
        }
    }

    /// Who reaches any of `targets`, without building paths.
    #[must_use]
    pub fn reach(&self, targets: &[NodeId], filter: &Filter) -> Reach {
        let starts: Vec<NodeIndex<u32>> = targets
            .iter()
            .map(|target| NodeIndex::new(target.0 as usize))
            .collect();
        Reach {
            reached: self.bfs(&starts, Direction::Incoming, filter, None),
        }
    }

    /// The administrators of `account` a search aims at, with the groups that make their members
    /// administrators (a user that can join one is an administrator in waiting, iam-013): all of
    /// them, or with [`Filter::definite_only`] the definite ones.
    #[must_use]
    pub fn admin_targets(&self, account: &str, filter: &Filter) -> Vec<NodeId> {
        let mut targets: Vec<NodeId> = self.admin_nodes(account).collect();
        if filter.definite_only {
            targets.retain(|target| {
                self.node(*target)
                    .and_then(|node| node.admin.as_ref())
                    .is_some_and(|admin| admin.status == accessgraph_policy::Tri::True)
            });
        }
        targets
    }

    pub(crate) fn is_helper(&self, index: NodeIndex<u32>) -> bool {
        self.adjacency
            .helpers
            .get(index.index())
            .copied()
            .unwrap_or(false)
    }

    /// Turns a list of edges into hops, collapsing helper nodes; a path ending at a helper (an
    /// administrator reaching its account's admin node) ends at the node before it.
    pub(crate) fn collapse(&self, edges: &[EdgeIndex<u32>]) -> Path {
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

    /// Shortest paths in hops as shown: an edge into a helper node costs nothing (it is merged
    /// with the edge out of the helper), every other edge one hop; a double-ended queue keeps the
    /// nodes in order of distance (0-1 breadth-first search), so each node's parent edge lies on
    /// a path with the fewest hops and `order` lists the nodes nearest first.
    fn bfs(
        &self,
        starts: &[NodeIndex<u32>],
        direction: Direction,
        filter: &Filter,
        stop_at: Option<NodeIndex<u32>>,
    ) -> Reached {
        let mut parent = vec![UNREACHED; self.graph.node_count()];
        let mut distance = vec![u32::MAX; self.graph.node_count()];
        let mut settled = vec![false; self.graph.node_count()];
        let mut order = Vec::new();
        let mut queue = VecDeque::new();
        for start in starts {
            if let (Some(slot), Some(hops)) = (
                parent.get_mut(start.index()),
                distance.get_mut(start.index()),
            ) {
                if *slot == UNREACHED {
                    *slot = START;
                    *hops = 0;
                    queue.push_back((*start, 0));
                }
            }
        }
        while let Some((node, hops)) = queue.pop_front() {
            // A node is queued again when a shorter way to it is found; the later copies are
            // stale, and so is any copy of a node already settled.
            match settled.get_mut(node.index()) {
                Some(done) if !*done && distance.get(node.index()) == Some(&hops) => *done = true,
                _ => continue,
            }
            order.push(node);
            if stop_at == Some(node) {
                break;
            }
            let node_is_helper = self.is_helper(node);
            for &(neighbour, edge) in self.adjacency.neighbours(node.index(), direction) {
                if !filter.allows_flags(
                    self.adjacency
                        .flags
                        .get(edge as usize)
                        .copied()
                        .unwrap_or(0),
                ) {
                    continue;
                }
                let neighbour = NodeIndex::new(neighbour as usize);
                let into_helper = match direction {
                    Direction::Incoming => node_is_helper,
                    Direction::Outgoing => self.is_helper(neighbour),
                };
                let next = if into_helper { hops } else { hops + 1 };
                let (Some(slot), Some(best)) = (
                    parent.get_mut(neighbour.index()),
                    distance.get_mut(neighbour.index()),
                ) else {
                    continue;
                };
                if next >= *best {
                    continue;
                }
                *best = next;
                *slot = edge;
                if into_helper {
                    queue.push_front((neighbour, next));
                } else {
                    queue.push_back((neighbour, next));
                }
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
        let results: Vec<(NodeId, Path)> = reached
            .order
            .iter()
            .filter(|node| !self.is_helper(**node))
            .filter(|node| {
                direction == Direction::Outgoing || filter.keeps_source(self, id(**node))
            })
            .map(|node| {
                (
                    id(*node),
                    self.collapse(&self.edges_to_start(*node, reached, direction)),
                )
            })
            .filter(|(_, path)| filter.max_hops.is_none_or(|max| path.hops.len() <= max))
            .collect();
        // The search settles nodes by hops as shown, so `order` is already nearest first.
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
        let reached = self.bfs(&starts, Direction::Incoming, filter, None);
        self.results(&reached, Direction::Incoming, filter)
    }

    /// Every node that can reach an administrator of `account`, with its shortest path (the
    /// administrators themselves have an empty path).
    #[must_use]
    pub fn who_can_reach_admin(&self, account: &str, filter: &Filter) -> Vec<(NodeId, Path)> {
        self.who_can_reach(&self.admin_targets(account, filter), filter)
    }

    /// Everything `source` can reach, with the shortest path to each.
    #[must_use]
    pub fn reachable_from(&self, source: NodeId, filter: &Filter) -> Vec<(NodeId, Path)> {
        let start = NodeIndex::new(source.0 as usize);
        let reached = self.bfs(&[start], Direction::Outgoing, filter, None);
        self.results(&reached, Direction::Outgoing, filter)
    }

    /// Simple paths from `from` to `to` (no node twice), shortest first, at most `limit` of them and
    /// at most `filter.max_hops` hops each (default 6): the k shortest paths, or all of them up
    /// to the bound with a large limit. Found by iterative deepening, so the cost is bounded by
    /// the hop limit, not the size of the graph.
    #[must_use]
    pub fn paths(&self, from: NodeId, to: NodeId, filter: &Filter, limit: usize) -> Vec<Path> {
        const DEFAULT_MAX_HOPS: usize = 6;
        let max_hops = filter.max_hops.unwrap_or(DEFAULT_MAX_HOPS);
        let start = NodeIndex::new(from.0 as usize);
        let end = NodeIndex::new(to.0 as usize);
        let mut found: Vec<Path> = Vec::new();
        // A hop through a helper node is two edges.
        for depth in 1..=max_hops.saturating_mul(2) {
            let mut stack: Vec<EdgeIndex<u32>> = Vec::new();
            let mut on_path = vec![false; self.graph.node_count()];
            if let Some(slot) = on_path.get_mut(start.index()) {
                *slot = true;
            }
            self.deepen(
                start,
                end,
                depth,
                filter,
                &mut stack,
                &mut on_path,
                &mut found,
                limit.saturating_mul(4),
            );
            if found.len() >= limit.saturating_mul(4) || filter.stop.stopped() {
                break;
            }
        }
        found.retain(|path| path.hops.len() <= max_hops);
        found.sort_by_key(|path| path.hops.len());
        found.dedup();
        found.truncate(limit);
        found
    }

    /// Depth-first search for paths of exactly `depth` edges.
    #[expect(
        clippy::too_many_arguments,
        reason = "the recursion state of one search"
    )]
    fn deepen(
        &self,
        node: NodeIndex<u32>,
        end: NodeIndex<u32>,
        depth: usize,
        filter: &Filter,
        stack: &mut Vec<EdgeIndex<u32>>,
        on_path: &mut [bool],
        found: &mut Vec<Path>,
        cap: usize,
    ) {
        if found.len() >= cap || filter.stop.stopped() {
            return;
        }
        if depth == 0 {
            if node == end {
                found.push(self.collapse(stack));
            }
            return;
        }
        for &(next, edge) in self.adjacency.neighbours(node.index(), Direction::Outgoing) {
            let next = NodeIndex::new(next as usize);
            let flags = self
                .adjacency
                .flags
                .get(edge as usize)
                .copied()
                .unwrap_or(0);
            if on_path.get(next.index()).copied().unwrap_or(true) || !filter.allows_flags(flags) {
                continue;
            }
            if next != end && depth == 1 {
                continue;
            }
            if let Some(slot) = on_path.get_mut(next.index()) {
                *slot = true;
            }
            stack.push(EdgeIndex::new(edge as usize));
            self.deepen(next, end, depth - 1, filter, stack, on_path, found, cap);
            stack.pop();
            if let Some(slot) = on_path.get_mut(next.index()) {
                *slot = false;
            }
        }
    }

    /// The shortest path from `from` to `to`, if any.
    #[must_use]
    pub fn shortest_path(&self, from: NodeId, to: NodeId, filter: &Filter) -> Option<Path> {
        let start = NodeIndex::new(from.0 as usize);
        let end = NodeIndex::new(to.0 as usize);
        let reached = self.bfs(&[start], Direction::Outgoing, filter, Some(end));
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

impl Graph {
    /// Every edge between two nodes an answer can show, as a hop, and every way through a helper
    /// node that stands for one pair's edge (`sts:AssumeRole`, [`NodeKind::AssumeAnyRole`]; new
    /// compute passed the role, [`NodeKind::NewCompute`]; a user's credentials,
    /// [`NodeKind::UserTakeover`]) as one hop of its two edges: the pairs
    /// the graph connects one hop apart, for checks that compare them with single evaluations
    /// (a pair with an edge of its own of that kind is listed by that edge alone). Edges into and
    /// out of the account-admin and existing-compute helpers are listed as they are.
    #[must_use]
    pub fn pair_hops(&self) -> Vec<Hop> {
        let shared = |index: NodeIndex<u32>| {
            self.graph.node_weight(index).is_some_and(|node| {
                matches!(node.kind, NodeKind::AssumeAnyRole | NodeKind::NewCompute)
            })
        };
        let mut hops = Vec::new();
        for edge in self.graph.edge_indices() {
            let Some((from, to)) = self.graph.edge_endpoints(edge) else {
                continue;
            };
            if shared(from) {
                continue;
            }
            if !shared(to) {
                hops.push(Hop {
                    from: id(from),
                    to: id(to),
                    edges: vec![EdgeId(edge.index() as u32)],
                });
                continue;
            }
            let kind = self.adjacency.flags.get(edge.index()).copied();
            // A pair with an edge of its own of the same kind is that edge's.
            let own = |far: u32| {
                self.adjacency
                    .neighbours(from.index(), Direction::Outgoing)
                    .iter()
                    .any(|&(next, other)| {
                        next == far
                            && self
                                .adjacency
                                .flags
                                .get(other as usize)
                                .map(|flags| flags & !CONDITIONAL)
                                == kind.map(|flags| flags & !CONDITIONAL)
                    })
            };
            for &(far, far_edge) in self.adjacency.neighbours(to.index(), Direction::Outgoing) {
                if far as usize != from.index() && !own(far) {
                    hops.push(Hop {
                        from: id(from),
                        to: NodeId(far),
                        edges: vec![EdgeId(edge.index() as u32), EdgeId(far_edge)],
                    });
                }
            }
        }
        hops
    }

    /// The hops into `node` (`Incoming`) or out of it (`Outgoing`), as answers show them: a
    /// neighbour that is a helper node is replaced by the nodes on its other side.
    #[must_use]
    pub fn hops(&self, node: NodeId, incoming: bool) -> Vec<Hop> {
        let direction = if incoming {
            Direction::Incoming
        } else {
            Direction::Outgoing
        };
        let hop = |far: u32, near_edge: u32, far_edge: Option<u32>| {
            let mut edges = vec![EdgeId(near_edge)];
            edges.extend(far_edge.map(EdgeId));
            if incoming {
                edges.reverse();
                Hop {
                    from: NodeId(far),
                    to: node,
                    edges,
                }
            } else {
                Hop {
                    from: node,
                    to: NodeId(far),
                    edges,
                }
            }
        };
        let mut hops = Vec::new();
        for &(next, edge) in self.adjacency.neighbours(node.0 as usize, direction) {
            if !self.is_helper(NodeIndex::new(next as usize)) {
                hops.push(hop(next, edge, None));
                continue;
            }
            for &(far, far_edge) in self.adjacency.neighbours(next as usize, direction) {
                if far != node.0 && !self.is_helper(NodeIndex::new(far as usize)) {
                    hops.push(hop(far, edge, Some(far_edge)));
                }
            }
        }
        hops
    }
}
