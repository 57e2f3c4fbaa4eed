//! Between the query engine's [`Answer`] and the protobuf messages of `accessgraph.v1`, in both
//! directions: the server sends answers, the remote client rebuilds them and renders them with
//! the same code as a local query.

use std::collections::BTreeMap;
use std::sync::Arc;

use accessgraph_graph::NodeKind;
use accessgraph_model::{Counts, SnapshotId, SnapshotMeta};
use accessgraph_policy::{Citation, Effect, Expr, Layer, Unresolved};
use accessgraph_proto::v1 as pb;
use accessgraph_query::{
    AdminInfo, Answer, Change, DecisionInfo, NodeDetail, NodeInfo, PolicyInfo, Row, SnapshotRef,
    Step,
};

mod cuts;

pub use cuts::{choke_point_from, cuts_from};

// --- to protobuf ------------------------------------------------------------------------------

/// A stored snapshot's metadata and counts.
#[must_use]
pub fn snapshot_info(meta: &SnapshotMeta) -> pb::SnapshotInfo {
    let count = |value: usize| value as u64;
    let counts = &meta.counts;
    pb::SnapshotInfo {
        id: meta.id.0,
        label: meta.label.clone(),
        source: meta.source.clone(),
        collected_at: meta.collected_at.clone(),
        ingested_at: meta.ingested_at.clone(),
        accounts: count(counts.accounts),
        users: count(counts.users),
        roles: count(counts.roles),
        groups: count(counts.groups),
        documents: count(counts.documents),
        partition: meta.partition.clone(),
        ous: count(counts.ous),
        managed_policies: count(counts.managed_policies),
        scps: count(counts.scps),
        rcps: count(counts.rcps),
        resource_policies: count(counts.resource_policies),
        compute_resources: count(counts.compute_resources),
        warnings: count(counts.warnings),
    }
}

/// The metadata a [`snapshot_info`] carries, rebuilt.
#[must_use]
pub fn meta_from_info(info: &pb::SnapshotInfo) -> SnapshotMeta {
    let count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    SnapshotMeta {
        id: SnapshotId(info.id),
        label: info.label.clone(),
        source: info.source.clone(),
        collected_at: info.collected_at.clone(),
        ingested_at: info.ingested_at.clone(),
        partition: info.partition.clone(),
        counts: Counts {
            accounts: count(info.accounts),
            ous: count(info.ous),
            users: count(info.users),
            groups: count(info.groups),
            roles: count(info.roles),
            managed_policies: count(info.managed_policies),
            documents: count(info.documents),
            scps: count(info.scps),
            rcps: count(info.rcps),
            resource_policies: count(info.resource_policies),
            compute_resources: count(info.compute_resources),
            warnings: count(info.warnings),
        },
    }
}

fn layer(layer: &Layer) -> pb::Layer {
    let (kind, target) = match layer {
        Layer::Identity => ("identity", None),
        Layer::Boundary => ("boundary", None),
        Layer::Session => ("session", None),
        Layer::Scp { target } => ("scp", Some(target.to_string())),
        Layer::Rcp { target } => ("rcp", Some(target.to_string())),
        Layer::Resource => ("resource", None),
        Layer::VpcEndpoint => ("vpc_endpoint", None),
    };
    pb::Layer {
        r#type: kind.into(),
        target,
    }
}

fn citation(citation: &Citation) -> pb::Citation {
    pb::Citation {
        layer: Some(layer(&citation.layer)),
        policy: citation.policy.to_string(),
        statement: citation.statement as u64,
        sid: citation.sid.as_ref().map(ToString::to_string),
        effect: match citation.effect {
            Effect::Allow => "Allow".into(),
            Effect::Deny => "Deny".into(),
        },
        conditional: citation.conditional,
        via: citation.via.as_ref().map(ToString::to_string),
    }
}

fn admin_info(admin: &AdminInfo) -> pb::AdminInfo {
    pb::AdminInfo {
        reason: admin.reason.clone(),
        evidence: admin.evidence.iter().map(citation).collect(),
        conditions: admin.conditions.iter().cloned().map(condition).collect(),
        allowed_when: admin.allowed_when.as_ref().map(expression),
    }
}

fn condition(condition: Unresolved) -> pb::Condition {
    pb::Condition {
        citation: Some(citation(&condition.citation)),
        operator: condition.operator,
        key: condition.key,
        values: condition.values,
    }
}

fn expression(expr: &Expr) -> pb::Expression {
    use pb::expression::Node;
    let parts = |parts: &[Expr]| pb::Expressions {
        parts: parts.iter().map(expression).collect(),
    };
    let node = match expr {
        Expr::Const(value) => Node::Constant(*value),
        Expr::Term { term, negated } => Node::Term(pb::Term {
            condition: u32::try_from(*term).unwrap_or(u32::MAX),
            negated: *negated,
        }),
        Expr::Fact { fact, negated } => Node::Fact(pb::Fact {
            fact: fact.to_string(),
            negated: *negated,
        }),
        Expr::All(all) => Node::All(parts(all)),
        Expr::Any(any) => Node::Any(parts(any)),
    };
    pb::Expression { node: Some(node) }
}

fn step(step: Step) -> pb::Step {
    pb::Step {
        from: step.from,
        to: step.to,
        edge: step.edge.into(),
        technique: step.technique,
        catalog_id: step.catalog_id,
        evidence: step.evidence.iter().map(citation).collect(),
        conditional: step.conditional,
        conditions: step.conditions.into_iter().map(condition).collect(),
        requirements: step.requirements,
        details: step.details,
        allowed_when: step.allowed_when.as_ref().map(expression),
        alternatives: step.alternatives,
        cut: step.cut,
    }
}

/// An answer row as a message (moved, not copied: large answers have many rows).
#[must_use]
pub fn row(row: Row) -> pb::Row {
    pb::Row {
        principal: row.principal,
        target: row.target,
        path: row.path.into_iter().map(step).collect(),
        conditional: row.conditional,
        change: row.change.map(|change| match change {
            Change::Gained => "gained".into(),
            Change::Lost => "lost".into(),
        }),
        reason: row.reason,
        evidence: row.evidence.iter().map(citation).collect(),
        conditions: row.conditions.into_iter().map(condition).collect(),
        allowed_when: row.allowed_when.as_ref().map(expression),
        level: row.level,
    }
}

fn snapshot_ref(snapshot: &SnapshotRef) -> pb::SnapshotRef {
    pb::SnapshotRef {
        id: snapshot.id,
        label: snapshot.label.clone(),
    }
}

fn decision(decision: &DecisionInfo) -> pb::Decision {
    pb::Decision {
        decision: decision.decision.into(),
        deny_kind: decision.deny_kind.clone(),
        evidence: decision.evidence.iter().map(citation).collect(),
        missing: decision.missing.iter().map(layer).collect(),
        conditions: decision.conditions.iter().cloned().map(condition).collect(),
        notes: decision.notes.clone(),
        allowed_when: decision.allowed_when.as_ref().map(expression),
    }
}

fn node_detail(node: &NodeDetail) -> pb::NodeDetail {
    pb::NodeDetail {
        id: node.id.clone(),
        policies: node
            .policies
            .iter()
            .map(|policy| pb::PolicyInfo {
                kind: policy.kind.into(),
                name: policy.name.clone(),
                document_json: policy.document.as_ref().map(ToString::to_string),
            })
            .collect(),
        instance_profiles: node.instance_profiles.clone(),
        incoming: node.incoming.iter().cloned().map(step).collect(),
        outgoing: node.outgoing.iter().cloned().map(step).collect(),
    }
}

/// The first message of an answer.
#[must_use]
pub fn header(answer: &Answer) -> pb::AnswerHeader {
    pb::AnswerHeader {
        query: answer.query.clone(),
        statement: answer.statement.into(),
        snapshot: answer.snapshot.as_ref().map(snapshot_ref),
        before: answer.before.as_ref().map(snapshot_ref),
        reachable: answer.reachable,
        decision: answer.decision.as_ref().map(decision),
        node: answer.node.as_ref().map(node_detail),
        cuts: answer.cuts.as_ref().map(cuts::cuts),
    }
}

/// A node kind as the JSON output names it (its serde name), so both forms agree.
fn kind_name(kind: NodeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The last message of an answer.
#[must_use]
pub fn summary(answer: &Answer) -> pb::AnswerSummary {
    pb::AnswerSummary {
        total: answer.total as u64,
        warnings: answer.warnings.clone(),
        nodes: answer
            .nodes
            .iter()
            .map(|(id, info)| {
                (
                    id.clone(),
                    pb::NodeInfo {
                        kind: kind_name(info.kind),
                        name: info.name.clone(),
                        display_name: info.display_name.clone(),
                        account: info.account.clone(),
                        account_name: info.account_name.clone(),
                        admin: info.admin,
                        admin_conditional: info.admin_conditional,
                        administrator: info.administrator.as_ref().map(admin_info),
                    },
                )
            })
            .collect(),
    }
}

/// A whole answer in one message.
#[must_use]
pub fn answer(answer: &Answer) -> pb::Answer {
    pb::Answer {
        header: Some(header(answer)),
        rows: answer.rows.iter().cloned().map(row).collect(),
        summary: Some(summary(answer)),
    }
}

// --- from protobuf ----------------------------------------------------------------------------

/// Why a message cannot be turned back into an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server sent {0}")]
pub struct DecodeError(String);

impl DecodeError {
    /// A decode error saying what was sent.
    #[must_use]
    pub fn new(what: &str) -> DecodeError {
        DecodeError(what.to_owned())
    }
}

/// The static name among `known` equal to `text`.
fn known(text: &str, known: &[&'static str], what: &str) -> Result<&'static str, DecodeError> {
    known
        .iter()
        .find(|candidate| **candidate == text)
        .copied()
        .ok_or_else(|| DecodeError(format!("an unknown {what} `{text}`")))
}

const STATEMENTS: [&str; 13] = [
    "what_cuts",
    "who_can_reach",
    "who_can_access",
    "what_can_access",
    "what_can_do",
    "who_can_do",
    "who_is_admin",
    "can_do",
    "can_reach",
    "path",
    "what_can_reach",
    "show",
    "diff",
];
const EDGES: [&str; 6] = ["assume", "privesc", "member", "takeover", "permit", "sso"];
const DECISIONS: [&str; 3] = ["allow", "deny", "conditional"];
const POLICY_KINDS: [&str; 7] = [
    "trust",
    "inline",
    "managed",
    "group_inline",
    "group_managed",
    "boundary",
    "resource",
];

fn layer_from(layer: Option<&pb::Layer>) -> Result<Layer, DecodeError> {
    let layer = layer.ok_or_else(|| DecodeError("a citation without a layer".into()))?;
    let target = || -> Arc<str> { layer.target.clone().unwrap_or_default().into() };
    Ok(match layer.r#type.as_str() {
        "identity" => Layer::Identity,
        "boundary" => Layer::Boundary,
        "session" => Layer::Session,
        "scp" => Layer::Scp { target: target() },
        "rcp" => Layer::Rcp { target: target() },
        "resource" => Layer::Resource,
        "vpc_endpoint" => Layer::VpcEndpoint,
        other => return Err(DecodeError(format!("an unknown layer `{other}`"))),
    })
}

fn citation_from(citation: &pb::Citation) -> Result<Citation, DecodeError> {
    Ok(Citation {
        layer: layer_from(citation.layer.as_ref())?,
        policy: citation.policy.as_str().into(),
        statement: usize::try_from(citation.statement).unwrap_or(usize::MAX),
        sid: citation.sid.as_deref().map(Into::into),
        effect: match citation.effect.as_str() {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            other => return Err(DecodeError(format!("an unknown effect `{other}`"))),
        },
        conditional: citation.conditional,
        via: citation.via.as_deref().map(Into::into),
    })
}

fn citations_from(citations: &[pb::Citation]) -> Result<Vec<Citation>, DecodeError> {
    citations.iter().map(citation_from).collect()
}

fn admin_info_from(admin: pb::AdminInfo) -> Result<AdminInfo, DecodeError> {
    Ok(AdminInfo {
        reason: admin.reason,
        evidence: citations_from(&admin.evidence)?,
        conditions: conditions_from(admin.conditions)?,
        allowed_when: admin.allowed_when.map(expression_from).transpose()?,
    })
}

fn conditions_from(conditions: Vec<pb::Condition>) -> Result<Vec<Unresolved>, DecodeError> {
    conditions
        .into_iter()
        .map(|condition| {
            Ok(Unresolved {
                citation: citation_from(
                    condition
                        .citation
                        .as_ref()
                        .ok_or_else(|| DecodeError("a condition without a citation".into()))?,
                )?,
                operator: condition.operator,
                key: condition.key,
                values: condition.values,
            })
        })
        .collect()
}

fn expression_from(expression: pb::Expression) -> Result<Expr, DecodeError> {
    use pb::expression::Node;
    let parts = |parts: pb::Expressions| -> Result<Vec<Expr>, DecodeError> {
        parts.parts.into_iter().map(expression_from).collect()
    };
    Ok(
        match expression
            .node
            .ok_or_else(|| DecodeError("an empty expression".into()))?
        {
            Node::Constant(value) => Expr::Const(value),
            Node::Term(term) => Expr::Term {
                term: usize::try_from(term.condition).unwrap_or(usize::MAX),
                negated: term.negated,
            },
            Node::Fact(fact) => Expr::Fact {
                fact: fact.fact.into(),
                negated: fact.negated,
            },
            Node::All(all) => Expr::All(parts(all)?),
            Node::Any(any) => Expr::Any(parts(any)?),
        },
    )
}

fn step_from(step: pb::Step) -> Result<Step, DecodeError> {
    Ok(Step {
        allowed_when: step.allowed_when.map(expression_from).transpose()?,
        edge: known(&step.edge, &EDGES, "edge kind")?,
        evidence: citations_from(&step.evidence)?,
        conditions: conditions_from(step.conditions)?,
        from: step.from,
        to: step.to,
        technique: step.technique,
        catalog_id: step.catalog_id,
        conditional: step.conditional,
        requirements: step.requirements,
        details: step.details,
        alternatives: step.alternatives,
        cut: step.cut,
    })
}

fn steps_from(steps: Vec<pb::Step>) -> Result<Vec<Step>, DecodeError> {
    steps.into_iter().map(step_from).collect()
}

/// An answer row from its message.
///
/// # Errors
/// When the message holds a value this client does not know.
pub fn row_from(row: pb::Row) -> Result<Row, DecodeError> {
    Ok(Row {
        change: match row.change.as_deref() {
            None => None,
            Some("gained") => Some(Change::Gained),
            Some("lost") => Some(Change::Lost),
            Some(other) => return Err(DecodeError(format!("an unknown change `{other}`"))),
        },
        evidence: citations_from(&row.evidence)?,
        path: steps_from(row.path)?,
        principal: row.principal,
        target: row.target,
        conditional: row.conditional,
        reason: row.reason,
        conditions: conditions_from(row.conditions)?,
        allowed_when: row.allowed_when.map(expression_from).transpose()?,
        level: row.level,
    })
}

fn snapshot_from(snapshot: &pb::SnapshotRef) -> SnapshotRef {
    SnapshotRef {
        id: snapshot.id,
        label: snapshot.label.clone(),
    }
}

fn kind_from(text: &str) -> Result<NodeKind, DecodeError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| DecodeError(format!("an unknown node kind `{text}`")))
}

/// Starts rebuilding an answer from its header.
///
/// # Errors
/// When the message holds a value this client does not know.
pub fn answer_from_header(header: &pb::AnswerHeader) -> Result<Answer, DecodeError> {
    let decision = header
        .decision
        .as_ref()
        .map(|decision| -> Result<DecisionInfo, DecodeError> {
            Ok(DecisionInfo {
                decision: known(&decision.decision, &DECISIONS, "decision")?,
                deny_kind: decision.deny_kind.clone(),
                evidence: citations_from(&decision.evidence)?,
                missing: decision
                    .missing
                    .iter()
                    .map(|missing| layer_from(Some(missing)))
                    .collect::<Result<_, _>>()?,
                conditions: conditions_from(decision.conditions.clone())?,
                allowed_when: decision
                    .allowed_when
                    .clone()
                    .map(expression_from)
                    .transpose()?,
                notes: decision.notes.clone(),
            })
        })
        .transpose()?;
    let node = header
        .node
        .as_ref()
        .map(|node| -> Result<NodeDetail, DecodeError> {
            Ok(NodeDetail {
                id: node.id.clone(),
                policies: node
                    .policies
                    .iter()
                    .map(|policy| {
                        Ok(PolicyInfo {
                            kind: known(&policy.kind, &POLICY_KINDS, "policy kind")?,
                            name: policy.name.clone(),
                            document: policy
                                .document_json
                                .as_deref()
                                .and_then(|text| serde_json::from_str(text).ok()),
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?,
                instance_profiles: node.instance_profiles.clone(),
                incoming: steps_from(node.incoming.clone())?,
                outgoing: steps_from(node.outgoing.clone())?,
            })
        })
        .transpose()?;
    Ok(Answer {
        query: header.query.clone(),
        statement: known(&header.statement, &STATEMENTS, "statement")?,
        snapshot: header.snapshot.as_ref().map(snapshot_from),
        before: header.before.as_ref().map(snapshot_from),
        reachable: header.reachable,
        decision,
        node,
        cuts: header.cuts.as_ref().map(cuts::cuts_from).transpose()?,
        rows: Vec::new(),
        total: 0,
        nodes: BTreeMap::new(),
        warnings: Vec::new(),
    })
}

/// Adds one message of a streamed answer to the answer rebuilt so far: the header starts it,
/// rows and the summary complete it (before a header they have nothing to complete).
///
/// # Errors
/// When the message holds a value this client does not know.
pub fn absorb(answer: &mut Option<Answer>, message: pb::QueryRow) -> Result<(), DecodeError> {
    match message.item {
        Some(pb::query_row::Item::Header(header)) => {
            *answer = Some(answer_from_header(&header)?);
        }
        Some(pb::query_row::Item::Row(row)) => {
            if let Some(answer) = answer.as_mut() {
                answer.rows.push(row_from(row)?);
            }
        }
        Some(pb::query_row::Item::Summary(summary)) => {
            if let Some(answer) = answer.as_mut() {
                apply_summary(answer, &summary)?;
            }
        }
        None => {}
    }
    Ok(())
}

/// Completes an answer with its summary.
///
/// # Errors
/// When the message holds a value this client does not know.
pub fn apply_summary(answer: &mut Answer, summary: &pb::AnswerSummary) -> Result<(), DecodeError> {
    answer.total = usize::try_from(summary.total).unwrap_or(usize::MAX);
    answer.warnings.clone_from(&summary.warnings);
    for (id, info) in &summary.nodes {
        answer.nodes.insert(
            id.clone(),
            NodeInfo {
                kind: kind_from(&info.kind)?,
                name: info.name.clone(),
                display_name: info.display_name.clone(),
                account: info.account.clone(),
                account_name: info.account_name.clone(),
                admin: info.admin,
                admin_conditional: info.admin_conditional,
                administrator: info
                    .administrator
                    .clone()
                    .map(admin_info_from)
                    .transpose()?,
            },
        );
    }
    Ok(())
}

/// A whole answer from its message.
///
/// # Errors
/// When the message is incomplete or holds a value this client does not know.
pub fn answer_from(message: &pb::Answer) -> Result<Answer, DecodeError> {
    let header = message
        .header
        .as_ref()
        .ok_or_else(|| DecodeError("an answer without a header".into()))?;
    let mut answer = answer_from_header(header)?;
    answer.rows = message
        .rows
        .iter()
        .cloned()
        .map(row_from)
        .collect::<Result<_, _>>()?;
    if let Some(summary) = &message.summary {
        apply_summary(&mut answer, summary)?;
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_kinds_cross_the_wire_under_their_json_names() {
        let kinds = [
            (NodeKind::User, "user"),
            (NodeKind::Group, "group"),
            (NodeKind::Role, "role"),
            (NodeKind::SamlProvider, "saml_provider"),
            (NodeKind::WebIdentityProvider, "web_identity_provider"),
            (NodeKind::Service, "service"),
            (NodeKind::ExternalAccount, "external_account"),
            (NodeKind::Anyone, "anyone"),
            (NodeKind::AccountAdmin, "account_admin"),
            (NodeKind::Resource, "resource"),
            (NodeKind::ExistingCompute, "existing_compute"),
            (NodeKind::IdentityCenterUser, "identity_center_user"),
            (NodeKind::IdentityCenterGroup, "identity_center_group"),
            (NodeKind::AssumeAnyRole, "assume_any_role"),
            (NodeKind::NewCompute, "new_compute"),
            (NodeKind::UserTakeover, "user_takeover"),
        ];
        for (kind, name) in kinds {
            assert_eq!(kind_name(kind), name);
            assert_eq!(kind_from(name), Ok(kind));
        }
        assert!(kind_from("robot").is_err());
    }
}
