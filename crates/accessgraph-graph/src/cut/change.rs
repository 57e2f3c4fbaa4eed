//! The changes that remove an edge: which policy statements, attachments, group memberships and
//! Identity Center assignments hold it up, read from the edge's evidence.
//!
//! Only changes that certainly remove the edge are offered (a request is allowed only if some
//! statement allows it: iam-semantics.md, "Policy evaluation logic"):
//! - every allow statement of the identity policies that the edge cites, when no resource policy
//!   allows it too, or when the request crosses accounts (then both sides must allow);
//! - every allow statement of the trust or resource policy, for an assumption or a service
//!   running as a role (the trust policy must always allow), across accounts, or when no
//!   identity statement allows it;
//! - the membership behind a member edge, the assignment behind a sign-in edge.
//!
//! Permissions boundaries, SCPs and RCPs are never changed (removing one of their allows cuts
//! everything beneath it), and denies are never removed. Statements of policies AWS owns cannot
//! be edited: the change is to detach the policy from the principal or group holding it.

use std::sync::Arc;

use accessgraph_policy::{Citation, Effect, Layer, is_aws_managed_role};
use serde::Serialize;

use crate::model::{Edge, EdgeKind, Node, NodeKind};

/// One concrete change to an organization's IAM.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Remove one statement of a policy the organization edits: an inline or customer-managed
    /// policy, a role's trust policy, a resource policy.
    RemoveStatement {
        /// The policy's label as evidence names it (an ARN, `ARN#inline/NAME`, `ROLE#trust`,
        /// `RESOURCE#policy`).
        policy: Arc<str>,
        /// Zero-based statement index.
        statement: usize,
        /// The statement's `Sid`.
        #[serde(skip_serializing_if = "Option::is_none")]
        sid: Option<Arc<str>>,
    },
    /// Detach a policy AWS owns (no one can edit it) from a user, group or role.
    Detach {
        /// The policy's ARN.
        policy: Arc<str>,
        /// The user, group or role holding it.
        from: String,
    },
    /// Take a user out of a group (of IAM or of IAM Identity Center).
    LeaveGroup {
        /// The member.
        member: String,
        /// The group.
        group: String,
    },
    /// Delete an IAM Identity Center account assignment.
    Unassign {
        /// The assigned user or group.
        principal: String,
        /// The role the permission set is provisioned as.
        role: String,
    },
}

impl Fix {
    /// Whether the fix edits, detaches or changes the membership of what `arn` names: a policy
    /// label or ARN, or a principal whose own policies, trust policy or group it touches.
    #[must_use]
    pub fn touches(&self, arn: &str) -> bool {
        match self {
            Fix::RemoveStatement { policy, .. } => {
                &**policy == arn
                    || policy
                        .strip_prefix(arn)
                        .is_some_and(|rest| rest.starts_with('#'))
            }
            Fix::Detach { policy, from } => &**policy == arn || from == arn,
            Fix::LeaveGroup { member, group } => member == arn || group == arn,
            Fix::Unassign { principal, role } => principal == arn || role == arn,
        }
    }

    /// Whether the fix removes statement `index` of `policy`.
    #[must_use]
    pub fn removes(&self, policy: &str, index: usize) -> bool {
        matches!(self, Fix::RemoveStatement { policy: label, statement, .. } if &**label == policy && *statement == index)
    }
}

/// A set of fixes made together, which removes an edge: usually one statement, or every
/// statement that allows the same request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Change {
    /// The fixes, sorted.
    pub fixes: Vec<Fix>,
}

/// Whether a policy label names a policy AWS owns (`arn:PARTITION:iam::aws:policy/...`), which
/// no one can edit.
fn aws_owned(policy: &str) -> bool {
    accessgraph_policy::aws_owned(policy, "iam:createpolicyversion").is_some()
}

impl Fix {
    /// Whether a customer can make the fix: the policies, trust and attachments of roles AWS
    /// manages (service-linked, IAM Identity Center) are AWS's own.
    fn is_possible(&self) -> bool {
        let role = match self {
            Fix::RemoveStatement { policy, .. } => policy.split('#').next().unwrap_or(policy),
            Fix::Detach { from, .. } => from,
            Fix::LeaveGroup { .. } | Fix::Unassign { .. } => return true,
        };
        !is_aws_managed_role(role)
    }
}

/// The fix that removes one allow statement of the identity policies of `holder`.
fn identity_fix(citation: &Citation, holder: &Node) -> Fix {
    if aws_owned(&citation.policy) {
        Fix::Detach {
            policy: citation.policy.clone(),
            from: citation
                .via
                .as_deref()
                .map_or_else(|| holder.arn.clone(), str::to_owned),
        }
    } else {
        statement_fix(citation)
    }
}

fn statement_fix(citation: &Citation) -> Fix {
    Fix::RemoveStatement {
        policy: citation.policy.clone(),
        statement: citation.statement,
        sid: citation.sid.clone(),
    }
}

/// The fixes as one change, unless one of them is not the customer's to make (or there are
/// none).
fn change(mut fixes: Vec<Fix>) -> Option<Change> {
    if fixes.is_empty() || !fixes.iter().all(Fix::is_possible) {
        return None;
    }
    fixes.sort();
    fixes.dedup();
    Some(Change { fixes })
}

/// What the changes of an edge depend on besides its evidence and kind: whether the request
/// crosses accounts, and whether its caller holds identity policies of the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Sides {
    crosses: bool,
    holder_acts: bool,
}

impl Sides {
    pub(crate) fn of(from: &Node, to: &Node) -> Sides {
        // A principal outside the snapshot, a service or a provider has no identity policy the
        // snapshot holds; its account differs from the target's when either is unknown.
        let from_account = from.account.as_deref();
        Sides {
            crosses: from_account.is_none() || from_account != to.account.as_deref(),
            holder_acts: !from.kind.is_helper()
                && !matches!(
                    from.kind,
                    NodeKind::Anyone
                        | NodeKind::ExternalAccount
                        | NodeKind::Service
                        | NodeKind::SamlProvider
                        | NodeKind::WebIdentityProvider
                ),
        }
    }
}

/// Tells whether a resource-policy or trust statement names the caller itself (its ARN, or
/// `*`: `Some(true)`) or only its account (`Some(false)`), or cannot tell (`None`). In the
/// caller's own account, a statement naming the caller allows without an identity policy; one
/// naming the account needs the identity policy too (iam-semantics.md, "Role assumption").
pub type NamesCaller<'a> = &'a (dyn Fn(&Citation, &Node) -> Option<bool> + Sync);

/// The changes, any one of which certainly removes the edge `from -> to`; whether they depend
/// on the edge's ends beyond its sides (then they are not shared).
pub(crate) fn options(
    from: &Node,
    to: &Node,
    sides: Sides,
    edge: &Edge,
    citations: &[Citation],
    names_caller: Option<NamesCaller<'_>>,
) -> (Vec<Change>, bool) {
    match edge.kind {
        EdgeKind::Member => (
            change(vec![Fix::LeaveGroup {
                member: from.arn.clone(),
                group: to.arn.clone(),
            }])
            .into_iter()
            .collect(),
            false,
        ),
        EdgeKind::Sso => (
            change(vec![Fix::Unassign {
                principal: from.arn.clone(),
                role: to.arn.clone(),
            }])
            .into_iter()
            .collect(),
            false,
        ),
        EdgeKind::Admin | EdgeKind::Takeover => (Vec::new(), true),
        EdgeKind::Assume | EdgeKind::Privesc | EdgeKind::RunsAs | EdgeKind::Permit => {
            statement_options(from, sides, edge.kind, citations, names_caller)
        }
    }
}

fn statement_options(
    from: &Node,
    sides: Sides,
    kind: EdgeKind,
    citations: &[Citation],
    names_caller: Option<NamesCaller<'_>>,
) -> (Vec<Change>, bool) {
    let allows = |layer: fn(&Layer) -> bool| -> Vec<&Citation> {
        citations
            .iter()
            .filter(|citation| citation.effect == Effect::Allow && layer(&citation.layer))
            .collect()
    };
    let identity = allows(|layer| matches!(layer, Layer::Identity));
    let resource = allows(|layer| matches!(layer, Layer::Resource));
    let trust_needed = matches!(kind, EdgeKind::Assume | EdgeKind::RunsAs);
    // In one account: the statements naming the caller allow alone, those naming its account
    // only with the identity policy.
    if !resource.is_empty() && sides.holder_acts && !sides.crosses {
        let told: Option<Vec<bool>> = names_caller.and_then(|names_caller| {
            resource
                .iter()
                .map(|citation| names_caller(citation, from))
                .collect()
        });
        if let Some(told) = told {
            let direct: Vec<&Citation> = resource
                .iter()
                .zip(&told)
                .filter_map(|(citation, direct)| direct.then_some(*citation))
                .collect();
            let mut options = Vec::new();
            // Allowed when a direct statement allows, or the identity policy and one naming the
            // account do (and, for a trust policy, only through it).
            let mut with_identity: Vec<Fix> = identity
                .iter()
                .map(|citation| identity_fix(citation, from))
                .collect();
            with_identity.extend(direct.iter().map(|citation| statement_fix(citation)));
            if !with_identity.is_empty() {
                options.extend(change(with_identity));
            }
            if trust_needed {
                options.extend(change(
                    resource
                        .iter()
                        .map(|citation| statement_fix(citation))
                        .collect(),
                ));
            }
            return (options, false);
        }
    }
    let mut options = Vec::new();
    if !identity.is_empty() && sides.holder_acts && (resource.is_empty() || sides.crosses) {
        options.extend(change(
            identity
                .iter()
                .map(|citation| identity_fix(citation, from))
                .collect(),
        ));
    }
    if !resource.is_empty() && (trust_needed || sides.crosses || identity.is_empty()) {
        options.extend(change(
            resource
                .iter()
                .map(|citation| statement_fix(citation))
                .collect(),
        ));
    }
    let share = shareable(&options);
    (options, share)
}

/// Whether the changes of an edge depend only on its evidence, kind and sides (no fix names
/// the edge's ends), so edges sharing those share their changes.
fn shareable(changes: &[Change]) -> bool {
    changes.iter().all(|change| {
        change
            .fixes
            .iter()
            .all(|fix| matches!(fix, Fix::RemoveStatement { .. }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_owned_policies_are_told_by_their_account() {
        assert!(aws_owned("arn:aws:iam::aws:policy/AdministratorAccess"));
        assert!(aws_owned(
            "arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess"
        ));
        assert!(!aws_owned("arn:aws:iam::555555555555:policy/dev-shared"));
        assert!(!aws_owned("arn:aws:iam::555555555555:role/aws#trust"));
    }

    #[test]
    fn a_fix_touches_its_policy_and_the_principal_owning_it() {
        let fix = Fix::RemoveStatement {
            policy: "arn:aws:iam::1:role/a#trust".into(),
            statement: 0,
            sid: None,
        };
        assert!(fix.touches("arn:aws:iam::1:role/a"));
        assert!(fix.touches("arn:aws:iam::1:role/a#trust"));
        assert!(!fix.touches("arn:aws:iam::1:role/ab"));
        assert!(!fix.touches("arn:aws:iam::1:role/b"));
    }
}
