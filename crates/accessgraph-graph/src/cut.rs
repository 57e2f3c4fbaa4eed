//! Choke points and cut plans: which few changes to policy statements (or attachments, group
//! memberships, Identity Center assignments) disconnect the principals that reach a set of
//! targets, usually the administrators of some accounts.
//!
//! Each edge between the sources and the targets is removed by the changes `change` reads from
//! its evidence; one change (a statement) may remove many edges. A *choke point* is a change
//! ranked by how many sources lose every path when it alone is made (one search per change, for
//! the changes on most shortest paths). A *plan* is a set of changes after which no source
//! reaches a target but through kept principals: the minimum number of changes, found by trying
//! every smaller set, when the changes between the sources and the targets are few
//! ([`EXACT_LIMIT`]); otherwise a greedy one, made in rounds of one search each (every source
//! still reaching a target takes the change on its shortest path that lies on the most others',
//! unless a pick of the round already cut that path), then pruned: a change is dropped when
//! taking it back lets no source reach a target (searched from its edges alone).
//! Choosing the fewest labels (statements) that cut every path is NP-hard and no polynomial
//! algorithm approximates it within a constant factor in general, so the greedy plan carries no
//! bound; it is minimal in that no change of it can be left out. `apply` makes a plan's changes
//! on a copy of the snapshot, so the graph can be rebuilt to check that the paths are gone.

mod apply;
mod change;
mod principals;
mod region;

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;

pub use apply::{ApplyError, Edit, apply, policy_text, without_statements};
pub use change::{Change, Fix, NamesCaller};
pub use principals::StatementPrincipals;
use region::{Cut, Region, UNREACHED};

use petgraph::graph::EdgeIndex;

use crate::build::Graph;
use crate::model::{EdgeId, NodeId};
use crate::search::{Filter, Path};

/// The exhaustive search for the smallest plan runs when the changes between the sources and the
/// targets are at most this many.
pub const EXACT_LIMIT: usize = 20;
/// How many of the sources a choke point cuts off are shown with their paths.
pub const EXAMPLE_SOURCES: usize = 3;
/// Most sets of changes the exhaustive search tries.
const EXACT_BUDGET: usize = 200_000;

/// What to cut: paths from the filter's sources to the targets, leaving kept things alone.
#[derive(Clone)]
pub struct CutQuestion<'a> {
    /// The targets (administrators, or named nodes).
    pub targets: Vec<NodeId>,
    /// Which edges and sources count.
    pub filter: &'a Filter,
    /// Principals whose paths are legitimate: paths through them stay, their policies, trust
    /// policies and memberships are never changed.
    pub keep_nodes: Vec<NodeId>,
    /// Policies never changed (labels or ARNs), or one statement of one (`Some(index)`).
    pub keep_policies: Vec<(String, Option<usize>)>,
    /// How many changes to rank by the sources they disconnect (one search each).
    pub rank: usize,
    /// Reads whether a trust or resource statement names the caller or only its account (from
    /// the snapshot's documents); without it, a change is offered only where the evidence alone
    /// shows it certainly removes the edge.
    pub names_caller: Option<NamesCaller<'a>>,
}

impl std::fmt::Debug for CutQuestion<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CutQuestion")
            .field("targets", &self.targets.len())
            .field("keep_nodes", &self.keep_nodes)
            .field("keep_policies", &self.keep_policies)
            .field("rank", &self.rank)
            .finish_non_exhaustive()
    }
}

impl CutQuestion<'_> {
    /// Whether a change touches something kept.
    fn keeps(&self, change: &Change, graph: &Graph) -> bool {
        change.fixes.iter().any(|fix| {
            self.keep_nodes
                .iter()
                .any(|node| graph.node(*node).is_some_and(|node| fix.touches(&node.arn)))
                || self
                    .keep_policies
                    .iter()
                    .any(|(policy, statement)| match statement {
                        None => fix.touches(policy),
                        Some(index) => fix.removes(policy, *index),
                    })
        })
    }
}

/// A change, with what making it alone does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChokePoint {
    /// The change.
    pub change: Change,
    /// Sources that lose every path to the targets when it alone is made.
    pub disconnects: Vec<NodeId>,
    /// How many sources have a shortest path through an edge it removes.
    pub shortest_paths: usize,
    /// How many edges between the sources and the targets it removes.
    pub edges: usize,
}

/// How a plan was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every smaller set of changes was tried: no plan has fewer changes.
    Exact,
    /// Greedy, then pruned: no change can be left out, but a smaller plan may exist.
    Greedy,
}

/// A set of changes that disconnects the sources from the targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CutPlan {
    /// The changes, in the order chosen.
    pub changes: Vec<Change>,
    /// How the plan was found.
    pub method: Method,
    /// Sources with a path that no change this module knows removes (an edge of a kind it does
    /// not change, such as an administrator taking over a principal): the plan leaves them.
    pub uncut: Vec<NodeId>,
    /// Sources that still reach a target after the plan, only through kept principals.
    pub through_kept: Vec<NodeId>,
    /// The edges the plan removes, sorted.
    pub removes: Vec<EdgeId>,
}

/// Choke points and a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cuts {
    /// The principals that reach the targets (neither targets nor kept), nearest first.
    pub sources: Vec<NodeId>,
    /// Changes ranked by the sources they disconnect alone, then by shortest paths through them.
    pub points: Vec<ChokePoint>,
    /// How many changes lie on some source's shortest path (the candidates ranked from).
    pub on_shortest_paths: usize,
    /// The plan.
    pub plan: CutPlan,
    /// A shortest path (around kept principals, before the plan) of each source a choke point
    /// names as an example (the first [`EXAMPLE_SOURCES`] it cuts off), in order.
    pub paths: Vec<(NodeId, Path)>,
}

impl Graph {
    /// The principals that reach the question's targets, neither targets nor kept, and not
    /// through kept principals.
    #[must_use]
    pub fn reaching(&self, question: &CutQuestion<'_>) -> Vec<NodeId> {
        let region = Region::new(self, question);
        region.sources.iter().map(|node| NodeId(*node)).collect()
    }

    /// Every change that removes an edge on some path from the question's sources to its
    /// targets: the changes a plan is made of (the exhaustive search tries their sets).
    #[must_use]
    pub fn cut_changes(&self, question: &CutQuestion<'_>) -> Vec<Change> {
        let region = Region::new(self, question);
        relevant_changes(&region, &region.sources)
            .into_iter()
            .filter_map(|change| region.changes.get(change as usize).cloned())
            .collect()
    }

    /// Choke points and a plan that cuts every path from the question's sources to its targets.
    #[must_use]
    pub fn cuts(&self, question: &CutQuestion<'_>) -> Cuts {
        let region = Region::new(self, question);
        let (parent, _) = region.reach(&region.no_cut(), true);
        let (counts, stuck) = region.count_paths(&parent, &region.sources);
        let on_shortest_paths = counts.iter().filter(|count| **count > 0).count();
        let points = rank(&region, &counts, question.rank);
        let plan = plan(&region, &stuck);
        let mut shown: Vec<NodeId> = Vec::new();
        for point in &points {
            for source in point.disconnects.iter().take(EXAMPLE_SOURCES) {
                if !shown.contains(source) {
                    shown.push(*source);
                }
            }
        }
        let paths = shown
            .into_iter()
            .map(|source| {
                let edges: Vec<EdgeIndex<u32>> = region
                    .tree_path(&parent, source.0)
                    .into_iter()
                    .map(|edge| EdgeIndex::new(edge as usize))
                    .collect();
                (source, self.collapse(&edges))
            })
            .collect();
        Cuts {
            sources: region.sources.iter().map(|node| NodeId(*node)).collect(),
            points,
            on_shortest_paths,
            plan,
            paths,
        }
    }
}

/// The `rank` changes on most shortest paths, each with the sources it disconnects alone.
fn rank(region: &Region<'_>, counts: &[usize], rank: usize) -> Vec<ChokePoint> {
    let count = |change: &u32| counts.get(*change as usize).copied().unwrap_or(0);
    let mut candidates: Vec<u32> = (0..region.changes.len() as u32)
        .filter(|change| count(change) > 0)
        .collect();
    candidates.sort_by(|a, b| {
        count(b).cmp(&count(a)).then_with(|| {
            region
                .changes
                .get(*a as usize)
                .cmp(&region.changes.get(*b as usize))
        })
    });
    candidates.truncate(rank);
    let mut points: Vec<ChokePoint> = candidates
        .par_iter()
        .filter_map(|change| {
            let cut = region.cut_of(&[*change]);
            let still: HashSet<u32> = region
                .still_reaching(&cut, &region.sources)
                .into_iter()
                .collect();
            Some(ChokePoint {
                change: region.changes.get(*change as usize)?.clone(),
                disconnects: region
                    .sources
                    .iter()
                    .filter(|source| !still.contains(source))
                    .map(|source| NodeId(*source))
                    .collect(),
                shortest_paths: count(change),
                edges: region
                    .change_edges
                    .get(*change as usize)
                    .map_or(0, Vec::len),
            })
        })
        .collect();
    points.sort_by(|a, b| {
        b.disconnects
            .len()
            .cmp(&a.disconnects.len())
            .then(b.shortest_paths.cmp(&a.shortest_paths))
            .then_with(|| a.change.cmp(&b.change))
    });
    points
}

/// A plan for the sources whose every path some change removes: greedy in rounds (each source
/// still reaching a target, nearest first, takes the change on its shortest path that lies on
/// the most others' unless an earlier pick of the round already cut that path), then pruned,
/// then replaced by the smallest plan when the changes are few enough to try every set.
fn plan(region: &Region<'_>, stuck: &[u32]) -> CutPlan {
    let nodes = region.graph.graph.node_count();
    let mut uncut = vec![false; nodes];
    for source in stuck {
        if let Some(slot) = uncut.get_mut(*source as usize) {
            *slot = true;
        }
    }
    let is_uncut = |uncut: &[bool], node: u32| uncut.get(node as usize).copied().unwrap_or(false);
    let mut chosen: Vec<u32> = Vec::new();
    let mut cut = region.no_cut();
    loop {
        let (parent, _) = region.reach(&cut, true);
        let remaining: Vec<u32> = region
            .sources
            .iter()
            .copied()
            .filter(|source| !is_uncut(&uncut, *source))
            .filter(|source| {
                parent
                    .get(*source as usize)
                    .is_some_and(|p| *p != UNREACHED)
            })
            .collect();
        if remaining.is_empty() {
            break;
        }
        let (counts, newly_stuck) = region.count_paths(&parent, &remaining);
        for source in newly_stuck {
            if let Some(slot) = uncut.get_mut(source as usize) {
                *slot = true;
            }
        }
        let mut picked = false;
        for source in remaining {
            if is_uncut(&uncut, source) {
                continue;
            }
            let path = region.tree_path(&parent, source);
            if path.iter().any(|edge| cut.has(*edge)) {
                continue;
            }
            let best = path
                .iter()
                .flat_map(|edge| region.changes_of(*edge).iter().copied())
                .max_by(|a, b| {
                    let count = |change: u32| counts.get(change as usize).copied().unwrap_or(0);
                    count(*a).cmp(&count(*b)).then_with(|| {
                        region
                            .changes
                            .get(*b as usize)
                            .cmp(&region.changes.get(*a as usize))
                    })
                });
            if let Some(best) = best {
                chosen.push(best);
                region.make(&mut cut, best);
                picked = true;
            }
        }
        if !picked {
            break;
        }
    }
    let cuttable: Vec<u32> = region
        .sources
        .iter()
        .copied()
        .filter(|source| !is_uncut(&uncut, *source))
        .collect();
    let (chosen, cut) = prune(region, chosen, cut, &cuttable);
    let (chosen, method) = match smallest(region, &cuttable, chosen.len()) {
        Some(Some(smaller)) => (smaller, Method::Exact),
        Some(None) => (chosen, Method::Exact),
        None => (chosen, Method::Greedy),
    };
    let cut = if method == Method::Exact {
        region.cut_of(&chosen)
    } else {
        cut
    };
    let (_, order) = region.reach(&cut, false);
    let through_kept = region
        .sources_among(&order)
        .into_iter()
        .filter(|source| !is_uncut(&uncut, *source))
        .map(NodeId)
        .collect();
    let removes: Vec<EdgeId> = region.removed(&cut).into_iter().map(EdgeId).collect();
    CutPlan {
        removes,
        changes: chosen
            .iter()
            .filter_map(|change| region.changes.get(*change as usize).cloned())
            .collect(),
        method,
        uncut: region
            .sources
            .iter()
            .filter(|source| is_uncut(&uncut, **source))
            .map(|source| NodeId(*source))
            .collect(),
        through_kept,
    }
}

/// Leaves out every change the others make redundant, last chosen first: a change is left out
/// when what taking it back adds to the nodes reaching a target holds no source.
fn prune(region: &Region<'_>, chosen: Vec<u32>, mut cut: Cut, sources: &[u32]) -> (Vec<u32>, Cut) {
    let nodes = region.graph.graph.node_count();
    let (parent, _) = region.reach(&cut, true);
    let mut reached: Vec<bool> = parent.iter().map(|p| *p != UNREACHED).collect();
    let mut is_source = vec![false; nodes];
    for source in sources {
        if let Some(slot) = is_source.get_mut(*source as usize) {
            *slot = true;
        }
    }
    let mut kept = vec![true; chosen.len()];
    for position in (0..chosen.len()).rev() {
        let Some(&change) = chosen.get(position) else {
            continue;
        };
        let restored = region.unmake(&mut cut, change);
        let added = region.added_by(&cut, &reached, &restored);
        if added
            .iter()
            .any(|node| is_source.get(*node as usize).copied().unwrap_or(false))
        {
            region.make(&mut cut, change);
        } else {
            for node in added {
                if let Some(slot) = reached.get_mut(node as usize) {
                    *slot = true;
                }
            }
            if let Some(slot) = kept.get_mut(position) {
                *slot = false;
            }
        }
    }
    let chosen = chosen
        .into_iter()
        .zip(kept)
        .filter_map(|(change, kept)| kept.then_some(change))
        .collect();
    (chosen, cut)
}

/// The smallest plan with fewer than `known` changes, when the changes between the sources and
/// the targets are few enough to try every set: `Some(None)` when there is none (the known plan
/// is the smallest), `None` when there are too many to try.
fn smallest(region: &Region<'_>, sources: &[u32], known: usize) -> Option<Option<Vec<u32>>> {
    let relevant = relevant_changes(region, sources);
    if relevant.len() > EXACT_LIMIT {
        return None;
    }
    let mut tried = 0usize;
    for size in 1..known {
        let mut combination: Vec<usize> = (0..size).collect();
        loop {
            tried += 1;
            if tried > EXACT_BUDGET {
                return None;
            }
            let set: Vec<u32> = combination
                .iter()
                .filter_map(|index| relevant.get(*index).copied())
                .collect();
            if region
                .still_reaching(&region.cut_of(&set), sources)
                .is_empty()
            {
                return Some(Some(set));
            }
            if !next_combination(&mut combination, relevant.len()) {
                break;
            }
        }
    }
    Some(None)
}

/// Advances a combination of `k` indices out of `n` in lexicographic order.
fn next_combination(combination: &mut [usize], n: usize) -> bool {
    let k = combination.len();
    let mut index = k;
    while index > 0 {
        index -= 1;
        if combination.get(index).copied().unwrap_or(n) < n - k + index {
            if let Some(slot) = combination.get_mut(index) {
                *slot += 1;
            }
            for later in index + 1..k {
                let previous = combination.get(later - 1).copied().unwrap_or(0);
                if let Some(slot) = combination.get_mut(later) {
                    *slot = previous + 1;
                }
            }
            return true;
        }
    }
    false
}

/// The changes of the edges that lie on some path from `sources` to a target.
fn relevant_changes(region: &Region<'_>, sources: &[u32]) -> Vec<u32> {
    let (parent, _) = region.reach(&region.no_cut(), true);
    let forward = region.forward(sources, &parent);
    let mut relevant: Vec<u32> = forward
        .iter()
        .flat_map(|edge| region.changes_of(*edge).iter().copied())
        .collect();
    relevant.sort_unstable();
    relevant.dedup();
    relevant
}

#[cfg(test)]
mod tests {
    use super::next_combination;

    #[test]
    fn combinations_are_enumerated_in_order_and_all() {
        let mut combination = vec![0, 1];
        let mut seen = vec![combination.clone()];
        while next_combination(&mut combination, 4) {
            seen.push(combination.clone());
        }
        assert_eq!(
            seen,
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
    }
}
