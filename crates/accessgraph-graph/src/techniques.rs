//! Privilege-escalation techniques: how an actor gains another principal's permissions by
//! changing IAM or by running code as it (iam-semantics.md §5; pathfinding.cloud catalog ids).
//!
//! Every required permission is checked by full evaluation on the right resource. The PassRole
//! techniques are data (`definitions`: `data/techniques/*.toml`), one interpreter per category
//! (`passrole`, `existing`); the IAM techniques are a table with their checker (`iam`).

mod definitions;

pub(crate) use definitions::BUILTIN_DIGEST;
pub use definitions::{DefinitionError, Techniques};
pub(crate) mod existing;
mod iam;
mod names;
pub(crate) mod passrole;
pub(crate) mod users;

use accessgraph_model::{Account, Group as ModelGroup};
use accessgraph_policy::admin::{Subject, full_admin, self_escalating_admin};
use accessgraph_policy::{
    Action, Citation, Conditions, Decision, Principal, RequestContext, Resource, Tri,
};

use crate::build::EdgeSpec;
use crate::context::{Actor, Context};
use crate::model::Admin;

/// A technique the graph detects, for documentation and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueInfo {
    /// The pathfinding.cloud id, or a name for PMapper's extras.
    pub id: &'static str,
    /// What the actor does, in a line (techniques defined as data).
    pub name: Option<&'static str>,
    /// `self-escalation` (admin detection), `principal-access`, `new-passrole`, `existing-passrole`.
    pub family: &'static str,
    /// Permissions needed.
    pub permissions: String,
    /// For the PassRole families: the actions on the resource besides `iam:PassRole`.
    pub actions: Vec<&'static str>,
    /// The service principals the role may trust, one being enough (PassRole families).
    pub services: Vec<&'static str>,
    /// For an existing resource: the inventory that lists such resources.
    pub inventory: Option<accessgraph_model::ComputeService>,
    /// What is gained, or a prerequisite the snapshot cannot confirm.
    pub note: String,
}

impl TechniqueInfo {
    /// A technique defined as data, its permissions and note left for its family to word.
    fn of(technique: &'static definitions::Technique) -> TechniqueInfo {
        TechniqueInfo {
            id: &technique.id,
            name: Some(&technique.name),
            family: technique.category.name(),
            permissions: String::new(),
            actions: technique.actions.iter().map(String::as_str).collect(),
            services: technique
                .trusted_services
                .iter()
                .map(String::as_str)
                .collect(),
            inventory: technique.inventory,
            note: String::new(),
        }
    }
}

/// Every technique the graph detects.
#[must_use]
pub fn catalog() -> Vec<TechniqueInfo> {
    let mut entries: Vec<TechniqueInfo> = [
        (
            "iam-001",
            "iam:CreatePolicyVersion on a customer-managed policy attached to itself or its group",
        ),
        ("iam-005", "iam:PutRolePolicy on itself"),
        ("iam-007", "iam:PutUserPolicy on itself"),
        (
            "iam-008",
            "iam:AttachUserPolicy (AdministratorAccess) on itself",
        ),
        (
            "iam-009",
            "iam:AttachRolePolicy (AdministratorAccess) on itself",
        ),
        (
            "iam-010",
            "iam:AttachGroupPolicy (AdministratorAccess) on its group",
        ),
        ("iam-011", "iam:PutGroupPolicy on its group"),
    ]
    .into_iter()
    .map(|(id, permissions)| TechniqueInfo {
        id,
        name: None,
        family: "self-escalation",
        permissions: permissions.to_owned(),
        actions: Vec::new(),
        services: Vec::new(),
        inventory: None,
        note: "the principal is an administrator (admin detection)".to_owned(),
    })
    .collect();
    entries.push(TechniqueInfo {
        id: "sts-001",
        name: None,
        family: "principal-access",
        permissions: "sts:AssumeRole (trust policy and caller's policies)".to_owned(),
        actions: Vec::new(),
        services: Vec::new(),
        inventory: None,
        note: "the role (assume edge)".to_owned(),
    });
    entries.extend(
        iam::CATALOG
            .iter()
            .map(|(id, permissions, note)| TechniqueInfo {
                id,
                name: None,
                family: "principal-access",
                permissions: (*permissions).to_owned(),
                actions: Vec::new(),
                services: Vec::new(),
                inventory: None,
                note: (*note).to_owned(),
            }),
    );
    entries.extend(passrole::catalog());
    entries.extend(existing::catalog());
    entries
}

/// The static id of a technique named `text` (for loading saved graphs): the catalog's ids,
/// sorted once, then searched for each edge.
pub(crate) fn static_id(text: &str) -> Option<&'static str> {
    static IDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let mut ids: Vec<&'static str> = catalog()
            .into_iter()
            .map(|technique| technique.id)
            .chain(["sts-001"])
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    ids.binary_search(&text)
        .ok()
        .and_then(|found| ids.get(found).copied())
}

/// The outcome of checking every permission a technique needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Checked {
    pub(crate) evidence: Vec<Citation>,
    pub(crate) conditions: Conditions,
}

impl Checked {
    /// Adds another check's outcome: both must hold; a statement cited by both (an SCP that
    /// allows every step) is cited once.
    pub(crate) fn and(mut self, other: Checked) -> Checked {
        self.cite(other.evidence);
        self.conditions = self.conditions.and(other.conditions);
        self
    }

    /// Adds citations not yet cited, in order.
    fn cite(&mut self, evidence: impl IntoIterator<Item = Citation>) {
        for citation in evidence {
            if !self.evidence.contains(&citation) {
                self.evidence.push(citation);
            }
        }
    }
}

/// Checks that `actor` may do each `(action, resource)`; `None` if any is denied.
pub(crate) fn check_all(
    context: &Context<'_>,
    actor: &Actor,
    steps: &[(&Action, &Resource, &RequestContext)],
) -> Option<Checked> {
    let mut checked = Checked::default();
    for (action, resource, request_context) in steps {
        let side = context.resolve(resource.arn(), action);
        let evaluation = context.evaluate(actor, action, &side, request_context);
        match evaluation.decision {
            Decision::Allow => {}
            Decision::Conditional { .. } => {
                checked.conditions =
                    std::mem::take(&mut checked.conditions).and(Conditions::of(&evaluation));
            }
            Decision::Deny(_) => return None,
        }
        checked.cite(evaluation.evidence);
    }
    Some(checked)
}

/// Whether a resource pattern covers every resource whose ARN starts with `prefix` (lowercase):
/// it ends in `*` and matches the prefix; written in lowercase without variables, so that
/// matching without case is matching with it.
fn covers_kind(pattern: &str, prefix: &str) -> bool {
    pattern.ends_with('*')
        && !pattern.contains('$')
        && pattern == pattern.to_ascii_lowercase()
        && accessgraph_policy::CaseInsensitiveWildcard::new(pattern).matches_lowercase(prefix)
}

/// Whether a resource pattern can match no ARN starting with `prefix` (lowercase): its text before
/// the first wildcard or variable departs from the prefix (`role/...` against `user/`).
fn misses_kind(pattern: &str, prefix: &str) -> bool {
    let literal = pattern
        .split(['*', '?', '$'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    !literal.starts_with(prefix) && !prefix.starts_with(literal.as_str())
}

/// Whether a resource pattern names one resource, which is no user or role of the snapshot but
/// the actor itself (`user/${aws:username}`, the usual self-service grant).
fn names_only_itself(context: &Context<'_>, actor: &Actor, pattern: &str) -> bool {
    const USERNAME: &str = "${aws:username}";
    let lower = pattern.to_ascii_lowercase();
    let named = match lower.find(USERNAME) {
        Some(at) if actor.is_user => {
            let (Some(before), Some(after)) =
                (pattern.get(..at), pattern.get(at + USERNAME.len()..))
            else {
                return false;
            };
            format!("{before}{}{after}", actor.name)
        }
        _ => pattern.to_owned(),
    };
    !named.contains(['*', '?', '$'])
        && context
            .actor_by_arn
            .get(&named)
            .is_none_or(|idx| *idx == actor.index as usize)
}

/// Whether `action` is decided alike for every principal or role of the actor's account as the
/// resource of `kind` (`user`, `role`), the actor itself aside: each statement of the actor's
/// identity policies, boundary and SCPs that matches it applies to every resource
/// (`Resource: "*"`), names none of that kind (`role/...` for users), allows it on every
/// resource of that kind in the account (`arn:aws:iam::ACCOUNT:user/*`), or allows it on the
/// actor alone (`user/${aws:username}`), and reads no key of the resource (its tags).
pub(crate) fn decided_alike(
    context: &Context<'_>,
    actor: &Actor,
    action: &Action,
    kind: &str,
) -> bool {
    let partition = actor.arn.split(':').nth(1).unwrap_or("aws");
    let every = format!("arn:{partition}:iam::{}:{kind}/", actor.account);
    let scps = context.account(&actor.account).scps;
    let policies = actor.own_policies(scps.as_deref());
    let resource_key = |text: &str| {
        let text = text.to_ascii_lowercase();
        text.contains("aws:resourcetag/") || text.contains("iam:resourcetag/")
    };
    let mut alike = true;
    for policy in policies {
        for statement in policy.document().statements_for(action) {
            if !statement.matches_action(action.lower()) {
                continue;
            }
            alike &= statement.resources().is_some_and(|resources| {
                resources.covers_all()
                    || !resources.is_negated()
                        && resources
                            .patterns()
                            .iter()
                            .all(|pattern| misses_kind(pattern.as_str(), &every))
                    || !resources.is_negated()
                        && resources
                            .patterns()
                            .iter()
                            .any(|pattern| covers_kind(pattern.as_str(), &every))
                        && statement.effect() == accessgraph_policy::Effect::Allow
                    || statement.effect() == accessgraph_policy::Effect::Allow
                        && !resources.is_negated()
                        && resources
                            .patterns()
                            .iter()
                            .all(|pattern| names_only_itself(context, actor, pattern.as_str()))
            }) && statement.conditions().iter().all(|condition| {
                !resource_key(condition.key())
                    && !condition.values().iter().any(|value| resource_key(value))
            });
        }
    }
    alike
}

/// A technique's actions, when some statement of `actor` could allow each of them (a cheap
/// filter before full evaluation).
fn actions_within_reach(actor: &Actor, technique: &definitions::Technique) -> Option<Vec<Action>> {
    let actions: Vec<Action> = technique
        .actions
        .iter()
        .map(|action| Action::new(action.as_str()))
        .collect();
    actions
        .iter()
        .all(|action| Context::might_allow(actor, action))
        .then_some(actions)
}

/// Every privilege-escalation edge starting at the `actor_idx`-th actor.
pub(crate) fn edges(context: &Context<'_>, actor_idx: usize) -> Vec<EdgeSpec> {
    let Some(actor) = context.actors.get(actor_idx) else {
        return Vec::new();
    };
    // How the actor could change a role's policies, shared by the two families that do.
    let role_changes = iam::RoleChanges::new(actor);
    let (mut specs, rewritable) = iam::edges(context, actor, &role_changes);
    // The PassRole techniques the actor may use, checked once for both PassRole families.
    let candidates = passrole::candidates(context, actor);
    // Shared through helpers only when no chained change needs the roles one by one.
    let mut gained = passrole::edges(context, actor, &candidates, role_changes.is_empty());
    gained.extend(existing::edges(context, actor));
    specs.extend(iam::change_a_role_it_runs_as(
        context,
        actor,
        &role_changes,
        &gained,
    ));
    specs.extend(gained);
    specs.extend(passrole::after_trust_rewrite(
        context,
        actor,
        &candidates,
        rewritable,
    ));
    specs
}

/// Whether a group's own policies make any member an administrator (evaluated for a member with
/// no other policy and no boundary), whether or not it has members: the target of
/// `iam:AddUserToGroup`, whose actor gains the group's permissions.
pub(crate) fn group_admin(
    context: &Context<'_>,
    account: &Account,
    group: &ModelGroup,
) -> Option<Admin> {
    let identity = context.group_policies.get(&group.arn)?;
    let probe = Principal::parse(&format!(
        "arn:aws:iam::{}:user/accessgraph-group-probe",
        account.id
    ))
    .ok()?;
    let scps = context.account(&account.id).scps;
    let subject = Subject {
        principal: &probe,
        policies: accessgraph_policy::PolicySet {
            identity,
            scps: scps.as_deref(),
            ..Default::default()
        },
        attached_policies: &[],
        groups: &[],
        earliest_time: context.resolver.earliest_time(),
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
