//! Choke points and plans (`what cuts`) between the answer's form and `accessgraph.v1`, both
//! ways.

use accessgraph_graph::{Fix, Method};
use accessgraph_proto::v1 as pb;
use accessgraph_query::{CheckInfo, ChokePointInfo, CutsAnswer, FixInfo, PlanInfo, PolicyEdit};

use super::DecodeError;

fn json(value: Option<&serde_json::Value>) -> Option<String> {
    value.map(serde_json::Value::to_string)
}

fn fix(info: &FixInfo) -> pb::Fix {
    let mut message = pb::Fix {
        words: info.words.clone(),
        account: info.account.clone(),
        before_json: json(info.before.as_ref()),
        after_json: json(info.after.as_ref()),
        ..pb::Fix::default()
    };
    match &info.fix {
        Fix::RemoveStatement {
            policy,
            statement,
            sid,
        } => {
            message.kind = "remove_statement".into();
            message.policy = Some(policy.to_string());
            message.statement = Some(*statement as u64);
            message.sid = sid.as_deref().map(str::to_owned);
        }
        Fix::Detach { policy, from } => {
            message.kind = "detach".into();
            message.policy = Some(policy.to_string());
            message.from = Some(from.clone());
        }
        Fix::LeaveGroup { member, group } => {
            message.kind = "leave_group".into();
            message.member = Some(member.clone());
            message.group = Some(group.clone());
        }
        Fix::Unassign { principal, role } => {
            message.kind = "unassign".into();
            message.principal = Some(principal.clone());
            message.role = Some(role.clone());
        }
    }
    message
}

/// A choke point as a message.
#[must_use]
pub(super) fn choke_point(point: &ChokePointInfo) -> pb::ChokePoint {
    pb::ChokePoint {
        change: point.change.iter().map(fix).collect(),
        disconnects: point.disconnects as u64,
        shortest_paths: point.shortest_paths as u64,
        edges: point.edges as u64,
        examples: point.examples.clone(),
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Exact => "exact",
        Method::Greedy => "greedy",
    }
}

/// Choke points and a plan as a message.
#[must_use]
pub(super) fn cuts(answer: &CutsAnswer) -> pb::Cuts {
    let plan = &answer.plan;
    pb::Cuts {
        sources: answer.sources as u64,
        choke_points: answer.choke_points.iter().map(choke_point).collect(),
        plan: Some(pb::CutPlan {
            method: method_name(plan.method).into(),
            changes: plan
                .changes
                .iter()
                .map(|change| pb::Change {
                    fixes: change.iter().map(fix).collect(),
                })
                .collect(),
            policies: plan
                .policies
                .iter()
                .map(|edit| pb::PolicyEdit {
                    policy: edit.policy.clone(),
                    words: edit.words.clone(),
                    before_json: edit.before.to_string(),
                    after_json: edit.after.to_string(),
                })
                .collect(),
            uncut: plan.uncut.clone(),
            through_kept: plan.through_kept.clone(),
            check: plan.check.as_ref().map(|check| pb::CutCheck {
                disconnected: check.disconnected,
                rounds: check.rounds as u64,
                still_reaching: check.still_reaching.clone(),
                admins_before: check.admins_before as u64,
                admins_after: check.admins_after as u64,
            }),
        }),
    }
}

fn parsed(text: Option<&str>, what: &str) -> Result<Option<serde_json::Value>, DecodeError> {
    text.map(|text| {
        serde_json::from_str(text).map_err(|_| DecodeError(format!("{what} is not JSON")))
    })
    .transpose()
}

fn required<'m>(value: Option<&'m String>, field: &str) -> Result<&'m String, DecodeError> {
    value.ok_or_else(|| DecodeError(format!("a fix without its `{field}`")))
}

fn fix_from(message: &pb::Fix) -> Result<FixInfo, DecodeError> {
    let fix = match message.kind.as_str() {
        "remove_statement" => Fix::RemoveStatement {
            policy: required(message.policy.as_ref(), "policy")?.as_str().into(),
            statement: usize::try_from(message.statement.unwrap_or_default())
                .map_err(|_| DecodeError("a statement index out of range".into()))?,
            sid: message.sid.as_deref().map(Into::into),
        },
        "detach" => Fix::Detach {
            policy: required(message.policy.as_ref(), "policy")?.as_str().into(),
            from: required(message.from.as_ref(), "from")?.clone(),
        },
        "leave_group" => Fix::LeaveGroup {
            member: required(message.member.as_ref(), "member")?.clone(),
            group: required(message.group.as_ref(), "group")?.clone(),
        },
        "unassign" => Fix::Unassign {
            principal: required(message.principal.as_ref(), "principal")?.clone(),
            role: required(message.role.as_ref(), "role")?.clone(),
        },
        other => return Err(DecodeError(format!("an unknown fix `{other}`"))),
    };
    Ok(FixInfo {
        fix,
        words: message.words.clone(),
        account: message.account.clone(),
        before: parsed(message.before_json.as_deref(), "a policy before")?,
        after: parsed(message.after_json.as_deref(), "a policy after")?,
    })
}

fn fixes_from(fixes: &[pb::Fix]) -> Result<Vec<FixInfo>, DecodeError> {
    fixes.iter().map(fix_from).collect()
}

/// A choke point from its message.
///
/// # Errors
/// When the message holds a value this client does not know.
pub fn choke_point_from(message: &pb::ChokePoint) -> Result<ChokePointInfo, DecodeError> {
    let count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    Ok(ChokePointInfo {
        change: fixes_from(&message.change)?,
        disconnects: count(message.disconnects),
        shortest_paths: count(message.shortest_paths),
        edges: count(message.edges),
        examples: message.examples.clone(),
    })
}

/// Choke points and a plan from their message.
///
/// # Errors
/// When the message holds a value this client does not know.
pub fn cuts_from(message: &pb::Cuts) -> Result<CutsAnswer, DecodeError> {
    let count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    let plan = message
        .plan
        .as_ref()
        .ok_or_else(|| DecodeError("choke points without their plan".into()))?;
    let json_of = |text: &str| {
        serde_json::from_str(text).map_err(|_| DecodeError("a policy edit is not JSON".into()))
    };
    Ok(CutsAnswer {
        sources: count(message.sources),
        choke_points: message
            .choke_points
            .iter()
            .map(choke_point_from)
            .collect::<Result<_, _>>()?,
        plan: PlanInfo {
            method: match plan.method.as_str() {
                "exact" => Method::Exact,
                "greedy" => Method::Greedy,
                other => return Err(DecodeError(format!("an unknown plan method `{other}`"))),
            },
            changes: plan
                .changes
                .iter()
                .map(|change| fixes_from(&change.fixes))
                .collect::<Result<_, _>>()?,
            policies: plan
                .policies
                .iter()
                .map(|edit| {
                    Ok(PolicyEdit {
                        policy: edit.policy.clone(),
                        words: edit.words.clone(),
                        before: json_of(&edit.before_json)?,
                        after: json_of(&edit.after_json)?,
                    })
                })
                .collect::<Result<_, DecodeError>>()?,
            uncut: plan.uncut.clone(),
            through_kept: plan.through_kept.clone(),
            check: plan.check.as_ref().map(|check| CheckInfo {
                disconnected: check.disconnected,
                rounds: count(check.rounds),
                still_reaching: check.still_reaching.clone(),
                admins_before: count(check.admins_before),
                admins_after: count(check.admins_after),
            }),
        },
    })
}
