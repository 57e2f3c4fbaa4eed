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
//! ([`EXACT_LIMIT`]); otherwise a greedy one (each round makes the change on most of the
//! remaining sources' shortest paths, then drops every change the others make redundant).
//! Choosing the fewest labels (statements) that cut every path is NP-hard and no polynomial
//! algorithm approximates it within a constant factor in general, so the greedy plan carries no
//! bound; it is minimal in that no change of it can be left out. `apply` makes a plan's changes
//! on a copy of the snapshot, so the graph can be rebuilt to check that the paths are gone.

mod apply;
mod change;
mod region;

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;

pub use apply::{ApplyError, Edit, apply, policy_text, without_statements};
pub use change::{Change, Fix};
use region::{Region, UNREACHED};

use crate::build::Graph;
use crate::model::NodeId;
use crate::search::Filter;

/// The exhaustive search for the smallest plan runs when the changes between the sources and the
/// targets are at most this many.
pub const EXACT_LIMIT: usize = 20;
/// Most sets of changes the exhaustive search tries.
const EXACT_BUDGET: usize = 200_000;

/// What to cut: paths from the filter's sources to the targets, leaving kept things alone.
#[derive(Debug, Clone)]
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
}

/// Choke points and a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cuts {
    /// The principals that reach the targets (neither targets nor kept), nearest first.
    pub sources: Vec<NodeId>,
    /// Changes ranked by the sources they disconnect alone, then by shortest paths through them.
    pub points: Vec<ChokePoint>,
    /// The plan.
    pub plan: CutPlan,
}

impl Graph {
    /// The principals that reach the question's targets, neither targets nor kept, and not
    /// through kept principals.
    #[must_use]
    pub fn reaching(&self, question: &CutQuestion<'_>) -> Vec<NodeId> {
        let region = Region::new(self, question);
        region.sources.iter().map(|node| NodeId(*node)).collect()
    }

    /// Choke points and a plan that cuts every path from the question's sources to its targets.
    #[must_use]
    pub fn cuts(&self, question: &CutQuestion<'_>) -> Cuts {
        let region = Region::new(self, question);
        let (parent, _) = region.reach(&|_| false, true);
        let (counts, stuck) = region.count_paths(&parent, &region.sources);
        let points = rank(&region, &counts, question.rank);
        let plan = plan(&region, &stuck);
        Cuts {
            sources: region.sources.iter().map(|node| NodeId(*node)).collect(),
            points,
            plan,
        }
    }
}

/// The `rank` changes on most shortest paths, each with the sources it disconnects alone.
fn rank(region: &Region<'_>, counts: &[usize], rank: usize) -> Vec<ChokePoint> {
    let mut candidates: Vec<u32> = (0..region.changes.len() as u32)
        .filter(|change| counts.get(*change as usize).copied().unwrap_or(0) > 0)
        .collect();
    candidates.sort_by(|a, b| {
        let count = |change: &u32| counts.get(*change as usize).copied().unwrap_or(0);
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
            let still: HashSet<u32> = region
                .still_reaching(&[*change], &region.sources)
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
                shortest_paths: counts.get(*change as usize).copied().unwrap_or(0),
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

/// A plan for the sources whose every path some change removes.
fn plan(region: &Region<'_>, stuck: &[u32]) -> CutPlan {
    let mut uncut: Vec<u32> = stuck.to_vec();
    let mut chosen: Vec<u32> = Vec::new();
    let mut cut: HashSet<u32> = HashSet::new();
    loop {
        let (parent, _) = region.reach(&|edge| cut.contains(&edge), true);
        let remaining: Vec<u32> = region
            .sources
            .iter()
            .copied()
            .filter(|source| !uncut.contains(source))
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
        uncut.extend(newly_stuck);
        let best = counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .max_by(|(a, count_a), (b, count_b)| {
                count_a
                    .cmp(count_b)
                    .then_with(|| region.changes.get(*b).cmp(&region.changes.get(*a)))
            })
            .map(|(change, _)| change as u32);
        let Some(best) = best else {
            continue;
        };
        chosen.push(best);
        cut.extend(region.change_edges.get(best as usize).into_iter().flatten());
    }
    uncut.sort_unstable();
    let cuttable: Vec<u32> = region
        .sources
        .iter()
        .copied()
        .filter(|source| uncut.binary_search(source).is_err())
        .collect();
    let chosen = prune(region, chosen, &cuttable);
    let (chosen, method) = match smallest(region, &cuttable, chosen.len()) {
        Some(Some(smaller)) => (smaller, Method::Exact),
        Some(None) => (chosen, Method::Exact),
        None => (chosen, Method::Greedy),
    };
    let cut = region.cut_edges(&chosen);
    let (_, order) = region.reach(&|edge| cut.contains(&edge), false);
    let through_kept = region
        .sources_among(&order)
        .into_iter()
        .filter(|source| uncut.binary_search(source).is_err())
        .map(NodeId)
        .collect();
    let mut uncut_in_order: Vec<NodeId> = region
        .sources
        .iter()
        .filter(|source| uncut.binary_search(source).is_ok())
        .map(|source| NodeId(*source))
        .collect();
    uncut_in_order.dedup();
    CutPlan {
        changes: chosen
            .iter()
            .filter_map(|change| region.changes.get(*change as usize).cloned())
            .collect(),
        method,
        uncut: uncut_in_order,
        through_kept,
    }
}

/// Leaves out every change the others make redundant, last chosen first.
fn prune(region: &Region<'_>, mut chosen: Vec<u32>, sources: &[u32]) -> Vec<u32> {
    let mut position = chosen.len();
    while position > 0 {
        position -= 1;
        let mut without = chosen.clone();
        without.remove(position);
        if region.still_reaching(&without, sources).is_empty() {
            chosen = without;
        }
    }
    chosen
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
            if region.still_reaching(&set, sources).is_empty() {
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
    let (parent, _) = region.reach(&|_| false, true);
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
