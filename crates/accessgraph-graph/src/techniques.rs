//! Privilege-escalation techniques: how an actor gains another principal's permissions by
//! changing IAM or by running code as it (iam-semantics.md §5; pathfinding.cloud catalog ids).
//!
//! Every required permission is checked by full evaluation on the right resource. Techniques are
//! data: a table per family, one generic checker per family.

mod existing;
mod iam;
mod passrole;

use accessgraph_model::{Account, Group as ModelGroup};
use accessgraph_policy::admin::{Subject, full_admin, self_escalating_admin};
use accessgraph_policy::{
    Action, Citation, Decision, Principal, RequestContext, Resource, Tri, Unresolved,
};

use crate::build::EdgeSpec;
use crate::context::{Actor, Context};
use crate::model::Admin;

/// The outcome of checking every permission a technique needs.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    pub(crate) evidence: Vec<Citation>,
    pub(crate) conditions: Vec<Unresolved>,
}

/// Checks that `actor` may do each `(action, resource)`; `None` if any is denied.
pub(crate) fn check_all(
    context: &Context<'_>,
    actor: &Actor,
    steps: &[(&Action, &Resource, &RequestContext)],
) -> Option<Checked> {
    let mut checked = Checked::default();
    for (action, resource, request_context) in steps {
        let evaluation = context.evaluate(actor, action, resource, None, request_context);
        match evaluation.decision {
            Decision::Allow => {}
            Decision::Conditional { .. } => checked.conditions.extend(evaluation.conditions),
            Decision::Deny(_) => return None,
        }
        checked.evidence.extend(evaluation.evidence);
    }
    Some(checked)
}

/// Every privilege-escalation edge starting at the `actor_idx`-th actor.
pub(crate) fn edges(context: &Context<'_>, actor_idx: usize) -> Vec<EdgeSpec> {
    let Some(actor) = context.actors.get(actor_idx) else {
        return Vec::new();
    };
    let mut specs = iam::edges(context, actor);
    specs.extend(passrole::edges(context, actor));
    specs.extend(existing::edges(context, actor));
    specs
}

/// Whether a group's own policies make any member an administrator (evaluated for a member with
/// no other policy and no boundary): the target of `iam:AddUserToGroup`.
pub(crate) fn group_admin(
    context: &Context<'_>,
    account: &Account,
    group: &ModelGroup,
) -> Option<Admin> {
    let member = context.actors.iter().find(|actor| {
        actor.is_user
            && actor.account == account.id
            && actor.groups.iter().any(|g| g.arn == group.arn)
    });
    let identity: Vec<_> = match member {
        // Reuse the documents already resolved for a real member, keeping only the group's.
        Some(member) => member
            .identity
            .iter()
            .filter(|policy| {
                policy.label().starts_with(&group.arn)
                    || group
                        .attached_policies
                        .iter()
                        .any(|arn| **policy.label() == **arn)
            })
            .cloned()
            .collect(),
        None => return None,
    };
    let probe = Principal::parse(&format!(
        "arn:aws:iam::{}:user/accessgraph-group-probe",
        account.id
    ))
    .ok()?;
    let scps = context.account(&account.id).scps;
    let subject = Subject {
        principal: &probe,
        policies: accessgraph_policy::PolicySet {
            identity: &identity,
            scps: scps.as_deref(),
            ..Default::default()
        },
        attached_policies: &[],
        groups: &[],
    };
    let full = full_admin(&subject);
    let check = if full.status == Tri::True {
        full
    } else {
        self_escalating_admin(&subject)
    };
    (check.status != Tri::False).then(|| Admin {
        status: check.status,
        reason: "the group's policies grant full access or self-escalation".to_owned(),
        evidence: check.evidence,
        conditions: check.conditions,
    })
}
