//! `what cuts paths to TARGET`: choke points and a plan, in the answer's form, with each
//! change in words and each edited policy before and after; with `check`, the plan made on a copy
//! of the snapshot and the graph rebuilt to show which paths are left.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use accessgraph_graph::{
    Change, CutQuestion, Cuts, EXAMPLE_SOURCES, Fix, Graph, Method, Node, NodeId,
    StatementPrincipals, apply, policy_text, without_statements,
};
use accessgraph_model::Snapshot;
use accessgraph_policy::{Citation, Effect, Layer};
use serde::Serialize;
use serde_json::Value;

use crate::answer::{Row, Writer};
use crate::ast::{Span, Target};
use crate::error::QueryError;
use crate::plan::{Plan, targets};
use crate::view::View;

/// How many changes are ranked (one search each) when the query gives no `limit`.
pub const DEFAULT_CHOKE_POINTS: usize = 10;
/// Most rounds of `check`: a round whose rebuilt graph still has paths adds that graph's plan.
const CHECK_ROUNDS: usize = 3;

/// Most changes ranked (one search each), whatever the limit.
pub const MAX_CHOKE_POINTS: usize = 100;

/// Choke points and a plan (`what cuts`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CutsAnswer {
    /// How many principals reach the targets, neither targets nor kept (nor only through kept
    /// principals).
    pub sources: usize,
    /// The changes that disconnect the most sources alone, most first (`limit` applies).
    pub choke_points: Vec<ChokePointInfo>,
    /// A set of changes after which no source reaches a target but through kept principals.
    pub plan: PlanInfo,
}

/// One choke point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChokePointInfo {
    /// The change: one fix, or several made together (every statement allowing one request).
    pub change: Vec<FixInfo>,
    /// How many sources lose every path to the targets when this change alone is made.
    pub disconnects: usize,
    /// How many sources have a shortest path through an edge it removes.
    pub shortest_paths: usize,
    /// How many edges between the sources and the targets it removes.
    pub edges: usize,
    /// Some of the sources it disconnects (or, when it disconnects none, whose shortest path it
    /// lies on).
    pub examples: Vec<String>,
}

/// One concrete change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixInfo {
    /// The change (`remove_statement`, `detach`, `leave_group`, `unassign`) and what it names.
    #[serde(flatten)]
    pub fix: Fix,
    /// The change in words.
    pub words: String,
    /// The account the policy, principal or assignment belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For a statement removed: the policy before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// For a statement removed: the policy after (this change alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanInfo {
    /// `exact` (no plan has fewer changes) or `greedy` (no change can be left out).
    pub method: Method,
    /// The changes, in the order chosen.
    pub changes: Vec<Vec<FixInfo>>,
    /// Every policy the plan edits, before and after all its changes.
    pub policies: Vec<PolicyEdit>,
    /// Sources with a path no change removes (an administrator's takeover, a kind of edge the
    /// planner does not change): the plan leaves them, and says so.
    pub uncut: Vec<String>,
    /// Sources that still reach a target after the plan, only through kept principals: the
    /// legitimate paths that survive.
    pub through_kept: Vec<String>,
    /// With `check`: the plan made on a copy of the snapshot, the graph rebuilt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckInfo>,
}

/// A policy as the plan leaves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyEdit {
    /// The policy's label.
    pub policy: String,
    /// The policy in words.
    pub words: String,
    /// The document before.
    pub before: Value,
    /// The document after (no `Statement` left: delete the policy).
    pub after: Value,
}

/// What the rebuilt graph shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckInfo {
    /// Whether no source reaches a target any more but through kept principals or by a path
    /// the plan says it leaves (`uncut`).
    pub disconnected: bool,
    /// Rebuilds made: more than one when a rebuilt graph still had paths (another technique
    /// between the same two principals) and that graph's plan was added.
    pub rounds: usize,
    /// Sources (of the question as asked) that still reach a target after the plan.
    pub still_reaching: Vec<String>,
    /// Administrators of the targeted accounts before and after (a removed statement may have
    /// made a principal an administrator).
    pub admins_before: usize,
    /// See `admins_before`.
    pub admins_after: usize,
}

/// What `what cuts` was asked.
pub(crate) struct Asked<'a> {
    pub(crate) target: &'a Target,
    pub(crate) keep_nodes: &'a [NodeId],
    pub(crate) keep_policies: &'a [(String, Option<usize>)],
    pub(crate) check: bool,
}

/// Answers `what cuts`.
pub(crate) fn what_cuts(
    view: &View,
    plan: &Plan,
    asked: &Asked<'_>,
    target_nodes: &[NodeId],
    writer: &mut Writer<'_>,
) -> Result<(CutsAnswer, Vec<Row>, usize), QueryError> {
    let graph = view.graph();
    let limit = plan
        .limit
        .unwrap_or(DEFAULT_CHOKE_POINTS)
        .min(MAX_CHOKE_POINTS);
    let snapshot = view
        .snapshot()
        .map_err(|error| QueryError::semantic(error, Span::default()))?;
    let principals = StatementPrincipals::new(&snapshot);
    let names_caller =
        |citation: &Citation, caller: &Node| principals.names_caller(citation, caller);
    let question = CutQuestion {
        targets: target_nodes.to_vec(),
        filter: &plan.filter,
        keep_nodes: asked.keep_nodes.to_vec(),
        keep_policies: asked.keep_policies.to_vec(),
        rank: limit,
        names_caller: Some(&names_caller),
    };
    let cuts = graph.cuts(&question);
    let total = cuts.on_shortest_paths;
    let choke_points = cuts
        .points
        .iter()
        .take(limit)
        .map(|point| ChokePointInfo {
            change: fixes(graph, &snapshot, &point.change, true),
            disconnects: point.disconnects.len(),
            shortest_paths: point.shortest_paths,
            edges: point.edges,
            examples: point
                .disconnects
                .iter()
                .take(EXAMPLE_SOURCES)
                .map(|node| writer.id(*node))
                .collect(),
        })
        .collect();
    let check = if asked.check {
        Some(check(view, plan, asked, &snapshot, &cuts)?)
    } else {
        None
    };
    let mut changes = cuts.plan.changes.clone();
    if let Some((_, extra)) = &check {
        changes.extend(extra.iter().cloned());
    }
    let answer = CutsAnswer {
        sources: cuts.sources.len(),
        choke_points,
        plan: PlanInfo {
            method: if check.as_ref().is_some_and(|(_, extra)| !extra.is_empty()) {
                Method::Greedy
            } else {
                cuts.plan.method
            },
            changes: changes
                .iter()
                .map(|change| fixes(graph, &snapshot, change, false))
                .collect(),
            policies: policy_edits(&snapshot, &changes),
            uncut: cuts
                .plan
                .uncut
                .iter()
                .map(|node| writer.id(*node))
                .collect(),
            through_kept: cuts
                .plan
                .through_kept
                .iter()
                .map(|node| writer.id(*node))
                .collect(),
            check: check.map(|(info, _)| info),
        },
    };
    // The example sources' paths, each hop the plan removes marked.
    let rows = cuts
        .paths
        .iter()
        .map(|(source, path)| {
            let target = path.hops.last().map_or(*source, |hop| hop.to);
            let mut row = writer.row(*source, target, path);
            for (step, hop) in row.path.iter_mut().zip(&path.hops) {
                step.cut = hop
                    .edges
                    .iter()
                    .any(|edge| cuts.plan.removes.binary_search(edge).is_ok());
            }
            row
        })
        .collect();
    Ok((answer, rows, total))
}

/// A change's fixes in the answer's form; with `documents`, each removed statement's policy
/// before and after.
fn fixes(graph: &Graph, snapshot: &Snapshot, change: &Change, documents: bool) -> Vec<FixInfo> {
    change
        .fixes
        .iter()
        .map(|fix| {
            let (before, after) = match fix {
                Fix::RemoveStatement {
                    policy, statement, ..
                } if documents => edited(snapshot, policy, &[*statement]).unzip(),
                _ => (None, None),
            };
            FixInfo {
                fix: fix.clone(),
                words: words(graph, fix),
                account: account_of(fix),
                before,
                after,
            }
        })
        .collect()
}

/// A policy's document before and after removing some statements.
fn edited(snapshot: &Snapshot, policy: &str, statements: &[usize]) -> Option<(Value, Value)> {
    let text = policy_text(snapshot, policy)?;
    let after = without_statements(text, statements).ok()?;
    Some((
        serde_json::from_str(text).ok()?,
        serde_json::from_str(&after).ok()?,
    ))
}

fn policy_edits(snapshot: &Snapshot, changes: &[Change]) -> Vec<PolicyEdit> {
    let mut by_policy: BTreeMap<&str, (Vec<usize>, Option<&Fix>)> = BTreeMap::new();
    for fix in changes.iter().flat_map(|change| &change.fixes) {
        if let Fix::RemoveStatement {
            policy, statement, ..
        } = fix
        {
            let entry = by_policy.entry(policy).or_default();
            entry.0.push(*statement);
            entry.1.get_or_insert(fix);
        }
    }
    by_policy
        .into_iter()
        .filter_map(|(policy, (statements, fix))| {
            let (before, after) = edited(snapshot, policy, &statements)?;
            Some(PolicyEdit {
                policy: policy.to_owned(),
                words: fix.map(policy_words).unwrap_or_default(),
                before,
                after,
            })
        })
        .collect()
}

/// The citation a removed statement stands for, to name it as evidence is named.
fn citation(fix: &Fix) -> Option<Citation> {
    let Fix::RemoveStatement {
        policy,
        statement,
        sid,
    } = fix
    else {
        return None;
    };
    let resource = ["#trust", "#policy", "#acl"]
        .iter()
        .any(|suffix| policy.ends_with(suffix));
    Some(Citation {
        layer: if resource {
            Layer::Resource
        } else {
            Layer::Identity
        },
        policy: policy.clone(),
        statement: *statement,
        sid: sid.clone(),
        effect: Effect::Allow,
        conditional: false,
        via: None,
    })
}

fn policy_words(fix: &Fix) -> String {
    citation(fix).map_or_else(String::new, |citation| {
        accessgraph_policy::words::policy(&citation)
    })
}

fn label(graph: &Graph, arn: &str) -> String {
    match graph.find(arn).and_then(|node| graph.node(node)) {
        Some(node) => format!("{} `{}`", kind_words(node.kind), node.name),
        None => format!("`{arn}`"),
    }
}

fn kind_words(kind: accessgraph_graph::NodeKind) -> &'static str {
    use accessgraph_graph::NodeKind;
    match kind {
        NodeKind::User => "user",
        NodeKind::Group => "group",
        NodeKind::Role => "role",
        NodeKind::IdentityCenterUser => "Identity Center user",
        NodeKind::IdentityCenterGroup => "Identity Center group",
        _ => "principal",
    }
}

/// A fix in words.
fn words(graph: &Graph, fix: &Fix) -> String {
    match fix {
        Fix::RemoveStatement { .. } => match citation(fix) {
            Some(citation) => format!("remove {}", accessgraph_policy::words::statement(&citation)),
            None => String::new(),
        },
        Fix::Detach { policy, from } => format!(
            "detach AWS managed policy `{}` from {}",
            policy.rsplit('/').next().unwrap_or(policy),
            label(graph, from)
        ),
        Fix::LeaveGroup { member, group } => format!(
            "remove {} from {}",
            label(graph, member),
            label(graph, group)
        ),
        Fix::Unassign { principal, role } => format!(
            "delete the Identity Center assignment of {} provisioned as {}",
            label(graph, principal),
            label(graph, role)
        ),
    }
}

/// The account of what a fix changes, read from its ARN.
fn account_of(fix: &Fix) -> Option<String> {
    let arn = match fix {
        Fix::RemoveStatement { policy, .. } => &**policy,
        Fix::Detach { from, .. } => from,
        Fix::LeaveGroup { member, .. } => member,
        Fix::Unassign { role, .. } => role,
    };
    arn.split(':')
        .nth(4)
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
}

/// Makes the plan on a copy of the snapshot, rebuilds the graph and asks the question again; a
/// round that still finds paths adds the rebuilt graph's plan (in the original statements'
/// indices) and tries again. Returns what the last rebuild showed and the changes added.
fn check(
    view: &View,
    plan: &Plan,
    asked: &Asked<'_>,
    snapshot: &Arc<Snapshot>,
    cuts: &Cuts,
) -> Result<(CheckInfo, Vec<Change>), QueryError> {
    let graph = view.graph();
    let arns = |nodes: &[NodeId], graph: &Graph| -> Vec<String> {
        nodes
            .iter()
            .filter_map(|node| graph.node(*node).map(|node| node.arn.clone()))
            .collect()
    };
    let uncut: HashSet<String> = arns(&cuts.plan.uncut, graph).into_iter().collect();
    let asked_sources: HashSet<String> = arns(&cuts.sources, graph).into_iter().collect();
    let keep_arns = arns(asked.keep_nodes, graph);
    let admins_before = admins(graph, plan, asked.target);
    let mut changes = cuts.plan.changes.clone();
    let mut extra = Vec::new();
    let mut rounds = 0;
    loop {
        // A rebuild is not interrupted once started; the deadline is checked before each.
        if plan.filter.stop.stopped() {
            return Err(QueryError::interrupted(plan.filter.stop.deadline_passed()));
        }
        rounds += 1;
        let fixes: Vec<Fix> = changes
            .iter()
            .flat_map(|change| change.fixes.iter().cloned())
            .collect();
        let changed = Arc::new(
            apply(snapshot, &fixes)
                .map_err(|error| QueryError::semantic(error.to_string(), Span::default()))?,
        );
        let rebuilt = View::from_snapshot_with(0, None, changed.clone(), view.techniques());
        let principals = StatementPrincipals::new(&changed);
        let names_caller =
            |citation: &Citation, caller: &Node| principals.names_caller(citation, caller);
        let new_graph = rebuilt.graph();
        let keep_nodes: Vec<NodeId> = keep_arns
            .iter()
            .filter_map(|arn| new_graph.find(arn))
            .collect();
        let target_nodes = targets(&rebuilt, asked.target, &plan.filter)?.nodes;
        let question = CutQuestion {
            targets: target_nodes,
            filter: &plan.filter,
            keep_nodes,
            keep_policies: asked.keep_policies.to_vec(),
            rank: 0,
            names_caller: Some(&names_caller),
        };
        let reaching = new_graph.reaching(&question);
        let still: Vec<NodeId> = reaching
            .iter()
            .copied()
            .filter(|node| {
                new_graph.node(*node).is_some_and(|node| {
                    asked_sources.contains(&node.arn) && !uncut.contains(&node.arn)
                })
            })
            .collect();
        if still.is_empty() || rounds >= CHECK_ROUNDS {
            let info = CheckInfo {
                disconnected: still.is_empty(),
                rounds,
                still_reaching: arns(&still, new_graph),
                admins_before,
                admins_after: admins(new_graph, plan, asked.target),
            };
            return Ok((info, extra));
        }
        let more = new_graph.cuts(&question).plan.changes;
        if more.is_empty() {
            let info = CheckInfo {
                disconnected: false,
                rounds,
                still_reaching: arns(&still, new_graph),
                admins_before,
                admins_after: admins(new_graph, plan, asked.target),
            };
            return Ok((info, extra));
        }
        let mapped: Vec<Change> = more
            .into_iter()
            .map(|change| original_indices(change, &fixes))
            .collect();
        extra.extend(mapped.iter().cloned());
        changes.extend(mapped);
    }
}

/// A change found on a snapshot that already lost the statements `made` removes, in the indices
/// of the original policies.
fn original_indices(change: Change, made: &[Fix]) -> Change {
    let fixes = change
        .fixes
        .into_iter()
        .map(|fix| match fix {
            Fix::RemoveStatement {
                policy,
                statement,
                sid,
            } => {
                let mut removed: Vec<usize> = made
                    .iter()
                    .filter_map(|made| match made {
                        Fix::RemoveStatement {
                            policy: label,
                            statement,
                            ..
                        } if *label == policy => Some(*statement),
                        _ => None,
                    })
                    .collect();
                removed.sort_unstable();
                removed.dedup();
                let mut original = statement;
                for index in removed {
                    if index <= original {
                        original += 1;
                    }
                }
                Fix::RemoveStatement {
                    policy,
                    statement: original,
                    sid,
                }
            }
            other => other,
        })
        .collect();
    Change { fixes }
}

/// How many administrators the target names (for a node target: whether it is one).
fn admins(graph: &Graph, plan: &Plan, target: &Target) -> usize {
    match target {
        Target::Admin { .. } => crate::plan::admin_accounts(graph, target)
            .iter()
            .map(|account| graph.admin_targets(account, &plan.filter).len())
            .sum(),
        Target::Node { .. } => 0,
    }
}
