//! The result model of a query: rows of paths with evidence, a decision for simulated requests,
//! node details for `show`. Its JSON form is the stable schema of `--format json` (documented in
//! docs/query-language.md); renderers and the gRPC layer read it.

use std::collections::BTreeMap;

use accessgraph_graph::{Graph, Hop, NodeId, NodeKind, Path};
use accessgraph_policy::{Citation, Conditions, Evaluation, Expr, Layer, Unresolved};
use serde::Serialize;

use crate::view::SnapshotRef;

/// The answer to one query.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Answer {
    /// The query in canonical form.
    pub query: String,
    /// The statement kind (`who_can_reach`, `can_do`, ...).
    pub statement: &'static str,
    /// The snapshot answered from (the later one for `diff`).
    pub snapshot: Option<SnapshotRef>,
    /// For `diff`: the earlier snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<SnapshotRef>,
    /// For `can ... reach`: whether any path exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
    /// For `can ... do`: the decision and why.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionInfo>,
    /// For `show`: the node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeDetail>,
    /// For `what cuts`: the choke points and the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuts: Option<crate::cuts::CutsAnswer>,
    /// One row per answer (source principal, reached node, path, administrator, ...).
    pub rows: Vec<Row>,
    /// Rows before `limit` applied.
    pub total: usize,
    /// Every node named in rows or paths, with its label.
    pub nodes: BTreeMap<String, NodeInfo>,
    /// What the answer may miss: gaps of the snapshot in the accounts it touches (an account
    /// without IAM data, a file skipped as invalid, a call the collector could not make).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Answer {
    /// Whether the answer finds something, for `--exit-code`: a `diff` with a path gained, a
    /// `what cuts` with a principal reaching the targets, a `can ... do` not denied, a
    /// `can ... reach` that reaches, any other answer with a row.
    #[must_use]
    pub fn finds(&self) -> bool {
        if let Some(cuts) = &self.cuts {
            return cuts.sources > 0;
        }
        if let Some(decision) = &self.decision {
            return decision.decision != "deny";
        }
        if let Some(reachable) = self.reachable {
            return reachable;
        }
        if self.statement == "diff" {
            return self
                .rows
                .iter()
                .any(|row| row.change == Some(Change::Gained));
        }
        if self.node.is_some() {
            return true;
        }
        self.total > 0
    }
}

/// The decision of a simulated request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionInfo {
    /// `allow`, `deny` or `conditional`.
    pub decision: &'static str,
    /// `explicit`, `implicit` or `aws_owned`, when denied (or when a conditional allow fails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_kind: Option<String>,
    /// The statements that decided it.
    pub evidence: Vec<Citation>,
    /// Policy layers that lacked a required allow.
    pub missing: Vec<Layer>,
    /// Conditions the snapshot cannot settle.
    pub conditions: Vec<Unresolved>,
    /// For a conditional decision: the formula over `conditions` (positions in that list) under
    /// which the request is allowed, a deny's clauses negated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_when: Option<Expr>,
    /// Remarks.
    pub notes: Vec<String>,
}

impl DecisionInfo {
    /// The decision of an evaluation.
    #[must_use]
    pub fn of(evaluation: &Evaluation) -> DecisionInfo {
        DecisionInfo {
            decision: evaluation.decision.as_str(),
            deny_kind: evaluation
                .decision
                .deny_kind()
                .map(|kind| kind.as_str().to_owned()),
            evidence: evaluation.evidence.clone(),
            missing: evaluation.missing.clone(),
            conditions: evaluation.conditions.clone(),
            allowed_when: evaluation.allowed_when.clone(),
            notes: evaluation.notes.clone(),
        }
    }
}

/// How a `diff` row changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In the later snapshot only.
    Gained,
    /// In the earlier snapshot only.
    Lost,
}

/// One answer row: a principal and its path to what it reaches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The source principal's id (ARN, provider, `*`).
    pub principal: String,
    /// Where the path ends (an administrator, a node, a resource).
    pub target: String,
    /// The hops; empty when the principal is itself the target.
    pub path: Vec<Step>,
    /// Whether any hop is conditional.
    pub conditional: bool,
    /// For a conditional path: every hop's conditions, merged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Unresolved>,
    /// For a conditional path: the conjunction of its hops' formulas, over `conditions`
    /// (positions in that list) and the prerequisites a snapshot cannot confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_when: Option<Expr>,
    /// For `diff`: gained or lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// For `who is admin`: why the principal is an administrator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `who is admin`: the statements that make it so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Citation>,
    /// For `who can LEVEL`, `what can ... LEVEL` and `what can ... do`: the access level of the
    /// AWS catalog the row is about (`list`, `read`, `write`, `manage permissions`, `tag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// One hop of a path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Start id.
    pub from: String,
    /// End id.
    pub to: String,
    /// `assume`, `privesc`, `member`, `permit`, `sso` (signing in through an Identity Center
    /// assignment) or `takeover` (an administrator taking over a principal of its account).
    pub edge: &'static str,
    /// The technique (`sts:AssumeRole`, `iam:PassRole + ec2:RunInstances`, an action).
    pub technique: Option<String>,
    /// The pathfinding.cloud id (or PMapper name) of a privilege-escalation technique.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    /// The statements that justify the hop.
    pub evidence: Vec<Citation>,
    /// Whether the hop holds only under unresolved conditions or unconfirmed prerequisites.
    pub conditional: bool,
    /// Conditions the snapshot cannot settle.
    pub conditions: Vec<Unresolved>,
    /// For a conditional hop: the formula over `conditions` (positions in that list) and its
    /// prerequisites under which the hop holds, a deny's clauses negated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_when: Option<Expr>,
    /// Prerequisites the snapshot cannot confirm.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Facts behind the hop that are not policy statements (an Identity Center assignment).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Other techniques that also take the hop (`TECHNIQUE [CATALOG_ID]`), less certain or
    /// equal: the hop shows the most certain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// For `what cuts`: whether the plan removes this hop.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

/// A node's label in answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    /// Kind.
    pub kind: NodeKind,
    /// Short name.
    pub name: String,
    /// Display name (Identity Center users and groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Account name from Organizations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// `true` for a definite administrator, `conditional` ones too (see `admin_conditional`).
    pub admin: bool,
    /// Whether the administrator status holds only under unresolved conditions.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub admin_conditional: bool,
    /// For an administrator: why it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub administrator: Option<AdminInfo>,
}

/// Why a principal is an administrator of its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminInfo {
    /// `full access`, or the self-escalation technique.
    pub reason: String,
    /// The statements that make it so.
    pub evidence: Vec<Citation>,
    /// Conditions the snapshot cannot settle.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Unresolved>,
    /// For a conditional administrator: the formula over `conditions` under which it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_when: Option<Expr>,
}

impl AdminInfo {
    /// The answer's form of a graph node's administrator status.
    #[must_use]
    pub fn of(admin: &accessgraph_graph::Admin) -> AdminInfo {
        let conditional = admin.status != accessgraph_policy::Tri::True;
        AdminInfo {
            reason: admin.reason.clone(),
            evidence: admin.evidence.clone(),
            conditions: admin.conditions.list.clone(),
            allowed_when: conditional.then(|| admin.conditions.when.clone()),
        }
    }
}

/// A policy of a node, for `show`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyInfo {
    /// `trust`, `inline`, `managed`, `group_inline`, `group_managed`, `boundary` or `resource`.
    pub kind: &'static str,
    /// The policy's name or ARN.
    pub name: String,
    /// The document, when the snapshot has it.
    pub document: Option<serde_json::Value>,
}

/// Everything about one node, for `show`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeDetail {
    /// The node's id (its label, with why it is an administrator, is in the answer's `nodes`).
    pub id: String,
    /// Its policies.
    pub policies: Vec<PolicyInfo>,
    /// A role's instance profiles.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instance_profiles: Vec<String>,
    /// Hops into the node.
    pub incoming: Vec<Step>,
    /// Hops out of the node.
    pub outgoing: Vec<Step>,
}

/// Turns graph values into answer values, recording every node it names.
#[derive(Debug)]
pub(crate) struct Writer<'g> {
    graph: &'g Graph,
    pub(crate) nodes: BTreeMap<String, NodeInfo>,
}

impl<'g> Writer<'g> {
    pub(crate) fn new(graph: &'g Graph) -> Writer<'g> {
        Writer {
            graph,
            nodes: BTreeMap::new(),
        }
    }

    /// The id of a node, recording its label.
    pub(crate) fn id(&mut self, node: NodeId) -> String {
        let Some(node) = self.graph.node(node) else {
            return String::new();
        };
        if !self.nodes.contains_key(&node.arn) {
            let info = NodeInfo {
                kind: node.kind,
                name: node.name.clone(),
                display_name: node.display_name.clone(),
                account: node.account.clone(),
                account_name: node
                    .account
                    .as_deref()
                    .and_then(|account| self.graph.account_name(account))
                    .map(str::to_owned),
                admin: node.admin.is_some(),
                admin_conditional: node
                    .admin
                    .as_ref()
                    .is_some_and(|admin| admin.status != accessgraph_policy::Tri::True),
                administrator: node.admin.as_ref().map(AdminInfo::of),
            };
            self.nodes.insert(node.arn.clone(), info);
        }
        node.arn.clone()
    }

    /// A hop as a step: a hop through a helper node is one step named after its meaningful edge.
    pub(crate) fn step(&mut self, hop: &Hop) -> Step {
        let edges: Vec<_> = hop
            .edges
            .iter()
            .filter_map(|edge| self.graph.edge(*edge))
            .collect();
        let main = edges
            .iter()
            .find(|edge| {
                matches!(
                    edge.kind,
                    accessgraph_graph::EdgeKind::Privesc | accessgraph_graph::EdgeKind::Permit
                )
            })
            .or_else(|| {
                edges
                    .iter()
                    .find(|edge| edge.kind == accessgraph_graph::EdgeKind::Takeover)
            })
            .or_else(|| edges.first());
        let edge_name = main.map_or("unknown", |edge| edge_name(edge.kind));
        let mut evidence: Vec<Citation> = Vec::new();
        let mut parts = Vec::new();
        let mut requirements = Vec::new();
        let mut details = Vec::new();
        for edge in &edges {
            details.extend(edge.details.iter().cloned());
            for citation in edge.evidence.iter() {
                if let Some(citation) = self.graph.citation(*citation)
                    && !evidence.contains(citation)
                {
                    evidence.push(citation.clone());
                }
            }
            parts.push(Conditions::clone(&edge.conditions));
            parts.extend(edge.requirements.iter().cloned().map(Conditions::fact));
            requirements.extend(edge.requirements.iter().cloned());
        }
        let merged = all_of(parts);
        Step {
            from: self.id(hop.from),
            to: self.id(hop.to),
            edge: edge_name,
            technique: main.map(|edge| edge.technique.to_string()),
            catalog_id: main.and_then(|edge| edge.catalog_id).map(str::to_owned),
            conditional: edges.iter().any(|edge| edge.is_conditional()),
            evidence,
            allowed_when: (!merged.is_settled()).then_some(merged.when),
            conditions: merged.list,
            requirements,
            details,
            alternatives: main
                .map(|edge| edge.alternatives.to_vec())
                .unwrap_or_default(),
            cut: false,
        }
    }

    /// A row for `source` reaching `target` along `path`.
    pub(crate) fn row(&mut self, source: NodeId, target: NodeId, path: &Path) -> Row {
        let steps: Vec<Step> = path.hops.iter().map(|hop| self.step(hop)).collect();
        let mut row = Row {
            principal: self.id(source),
            target: self.id(target),
            conditional: steps.iter().any(|step| step.conditional),
            conditions: Vec::new(),
            allowed_when: None,
            path: steps,
            change: None,
            reason: None,
            evidence: Vec::new(),
            level: None,
        };
        row.join_conditions();
        row
    }
}

impl Row {
    /// Sets the path's conditions and formula: the conjunction of its hops'.
    pub(crate) fn join_conditions(&mut self) {
        self.conditional = self.path.iter().any(|step| step.conditional);
        let whole = all_of(
            self.path
                .iter()
                .filter_map(|step| {
                    let when = step.allowed_when.clone()?;
                    Some(Conditions {
                        list: step.conditions.clone(),
                        when,
                    })
                })
                .collect(),
        );
        if whole.is_settled() {
            self.conditions = Vec::new();
            self.allowed_when = None;
        } else {
            self.conditions = whole.list;
            self.allowed_when = Some(whole.when);
        }
    }
}

/// Every part holds. Parts that always hold are left out, and a single conditional part (most
/// hops and paths) is kept as it is, its clauses not re-indexed.
fn all_of(parts: Vec<Conditions>) -> Conditions {
    let mut conditional: Vec<Conditions> = parts
        .into_iter()
        .filter(|part| !part.is_settled())
        .collect();
    match conditional.len() {
        0 => Conditions::none(),
        1 => conditional.pop().unwrap_or_default(),
        _ => Conditions::join(conditional, true),
    }
}

/// The name of an edge kind in answers.
#[must_use]
pub fn edge_name(kind: accessgraph_graph::EdgeKind) -> &'static str {
    use accessgraph_graph::EdgeKind;
    match kind {
        EdgeKind::Assume => "assume",
        EdgeKind::Privesc | EdgeKind::RunsAs => "privesc",
        EdgeKind::Member => "member",
        EdgeKind::Admin | EdgeKind::Takeover => "takeover",
        EdgeKind::Permit => "permit",
        EdgeKind::Sso => "sso",
    }
}
