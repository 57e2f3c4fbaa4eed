//! Is a principal an administrator of its account? (iam-semantics.md §6)
//!
//! Two predicates, each with evidence:
//! - [`full_admin`]: every action on every resource is allowed after explicit denies, the
//!   permissions boundary and the SCP chain. `PowerUserAccess` is not; `AdministratorAccess`
//!   under an SCP or boundary that denies anything is not. Allows and denies whose conditions a
//!   snapshot cannot settle make the answer `Unknown` (conditional).
//! - [`self_escalating_admin`]: PMapper's test — the principal can, on itself, put or attach an
//!   admin policy, create a version of a customer-managed policy attached to it, do the same on
//!   one of its groups, or create a role and put/attach a policy on it. Each step is checked by
//!   full evaluation including SCPs. Unlike PMapper, a permissions boundary that would cap the
//!   new policy defeats the technique unless the principal can also delete its boundary.

use serde::Serialize;

use crate::document::Effect;
use crate::eval::{Citation, Decision, Layer, Unresolved, evaluate};
use crate::expr::Conditions;
use crate::policy::{Policy, PolicySet};
use crate::request::{Action, Env, Principal, PrincipalKind, Request, RequestContext, Resource};
use crate::tri::Tri;

/// A principal with everything the admin checks need.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The principal (a user, a role, or an account root).
    pub principal: &'a Principal,
    /// Its identity policies, boundary and SCP chain (`resource` and `rcps` are ignored).
    pub policies: PolicySet<'a>,
    /// ARNs of customer-managed policies attached directly to the principal.
    pub attached_policies: &'a [String],
    /// The user's groups (empty for roles).
    pub groups: &'a [Group],
    /// The earliest request time, epoch milliseconds (see
    /// [`RequestContext::set_earliest_time`]): a grant that expired before it counts for nothing.
    pub earliest_time: Option<i64>,
}

impl Subject<'_> {
    /// An empty request context carrying the earliest request time.
    fn context(&self) -> RequestContext {
        let mut context = RequestContext::new();
        if let Some(epoch_ms) = self.earliest_time {
            context.set_earliest_time(epoch_ms);
        }
        context
    }
}

/// A group a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group ARN.
    pub arn: String,
    /// ARNs of customer-managed policies attached to the group.
    pub attached_policies: Vec<String>,
}

/// How a principal can make itself an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Technique {
    /// `iam:PutUserPolicy` on itself.
    PutUserPolicy,
    /// `iam:AttachUserPolicy` of `AdministratorAccess` on itself.
    AttachUserPolicy,
    /// `iam:PutRolePolicy` on itself.
    PutRolePolicy,
    /// `iam:AttachRolePolicy` of `AdministratorAccess` on itself.
    AttachRolePolicy,
    /// `iam:PutGroupPolicy` on one of its groups.
    PutGroupPolicy,
    /// `iam:AttachGroupPolicy` of `AdministratorAccess` on one of its groups.
    AttachGroupPolicy,
    /// `iam:CreatePolicyVersion` of a customer-managed policy attached to it or its group.
    CreatePolicyVersion,
    /// `iam:CreateRole` and `iam:PutRolePolicy` on the new role.
    CreateRoleWithInlinePolicy,
    /// `iam:CreateRole` and `iam:AttachRolePolicy` on the new role.
    CreateRoleWithManagedPolicy,
}

impl Technique {
    /// A short name, e.g. `iam:PutUserPolicy (self)`.
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Technique::PutUserPolicy => "iam:PutUserPolicy on itself",
            Technique::AttachUserPolicy => "iam:AttachUserPolicy of AdministratorAccess on itself",
            Technique::PutRolePolicy => "iam:PutRolePolicy on itself",
            Technique::AttachRolePolicy => "iam:AttachRolePolicy of AdministratorAccess on itself",
            Technique::PutGroupPolicy => "iam:PutGroupPolicy on its group",
            Technique::AttachGroupPolicy => {
                "iam:AttachGroupPolicy of AdministratorAccess on its group"
            }
            Technique::CreatePolicyVersion => {
                "iam:CreatePolicyVersion on an attached customer-managed policy"
            }
            Technique::CreateRoleWithInlinePolicy => {
                "iam:CreateRole + iam:PutRolePolicy on a new role"
            }
            Technique::CreateRoleWithManagedPolicy => {
                "iam:CreateRole + iam:AttachRolePolicy on a new role"
            }
        }
    }
}

/// Why a principal is (or may be) an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AdminReason {
    /// Allowed every action on every resource.
    FullAccess,
    /// Can grant itself full access.
    SelfEscalation {
        /// The technique.
        technique: Technique,
        /// The IAM resource it acts on (itself, its group, a policy, a new role).
        target: String,
    },
}

/// The answer of an admin check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminCheck {
    /// `True`: admin; `Unknown`: admin if the unresolved conditions hold; `False`: not admin.
    pub status: Tri,
    /// Why, when `status` is not `False`.
    pub reason: Option<AdminReason>,
    /// Statements that make it so (for `False`: the denies or boundary that prevent it, if any).
    pub evidence: Vec<Citation>,
    /// Conditions a snapshot cannot settle, and the formula over them under which it holds.
    pub conditions: Conditions,
}

impl AdminCheck {
    fn no(evidence: Vec<Citation>) -> AdminCheck {
        AdminCheck {
            status: Tri::False,
            reason: None,
            evidence,
            conditions: Conditions::none(),
        }
    }
}

/// Statements granting or restricting "everything" in one layer.
struct Coverage {
    status: Tri,
    citations: Vec<Citation>,
    conditions: Conditions,
}

impl Coverage {
    /// Under which the coverage holds.
    fn holds(&self) -> Conditions {
        match self.status {
            Tri::True => Conditions::none(),
            Tri::False => Conditions::never(),
            Tri::Unknown => self.conditions.clone(),
        }
    }
}

/// Allow statements of `*` on `*` whose conditions may hold; failing one such statement, allow
/// statements on every resource that together cover every action (issue: administrators through
/// several statements, e.g. `NotAction: iam:*` next to `iam:*`).
fn covering_allows<'p>(
    layer: &Layer,
    policies: impl IntoIterator<Item = &'p Policy> + Clone,
    env: &Env<'_>,
) -> Coverage {
    let single = scan_everything(layer, policies.clone(), env, Effect::Allow);
    if single.status == Tri::True {
        return single;
    }
    let union = union_coverage(layer, policies, env);
    if union.status != Tri::False && (single.status == Tri::False || union.status == Tri::True) {
        union
    } else {
        single
    }
}

/// Whether `inner` (a lowercased action pattern) matches only actions `outer` matches: equal, or
/// `outer` is `*`, or `outer` is a prefix followed by one `*` that `inner` starts with.
fn action_pattern_within(inner: &str, outer: &str) -> bool {
    if outer == "*" || outer == "*:*" || inner == outer {
        return true;
    }
    match outer.strip_suffix('*') {
        Some(prefix) if !prefix.contains(['*', '?']) => inner.starts_with(prefix),
        _ => false,
    }
}

/// Allow statements on every resource that together allow every action: some `NotAction`
/// statement's excluded actions are each allowed by an `Action` statement. `True` when the
/// statements needed are unconditional, `Unknown` when some of them are conditional.
fn union_coverage<'p>(
    layer: &Layer,
    policies: impl IntoIterator<Item = &'p Policy> + Clone,
    env: &Env<'_>,
) -> Coverage {
    let none = || Coverage {
        status: Tri::False,
        citations: Vec::new(),
        conditions: Conditions::none(),
    };
    // Without a `NotAction` allow on every resource nothing can cover every action: decided
    // without allocating, as it is for most principals.
    let has_not_action = policies.clone().into_iter().any(|policy| {
        policy.document().statements().iter().any(|statement| {
            statement.effect() == Effect::Allow
                && statement.actions().is_negated()
                && statement
                    .resources()
                    .is_none_or(|resources| resources.covers_all())
        })
    });
    if !has_not_action {
        return none();
    }
    // (policy, statement, whether its conditions hold definitely)
    let mut candidates: Vec<(&Policy, &crate::document::Statement, Tri)> = Vec::new();
    for policy in policies {
        for statement in policy.document().statements() {
            let on_everything = statement
                .resources()
                .is_none_or(|resources| resources.covers_all());
            if statement.effect() != Effect::Allow || !on_everything {
                continue;
            }
            let tri = statement
                .conditions()
                .iter()
                .fold(Tri::True, |acc, condition| acc.and(condition.evaluate(env)));
            if tri != Tri::False {
                candidates.push((policy, statement, tri));
            }
        }
    }
    let lower = |pattern: &crate::document::ActionPattern| pattern.as_str().to_ascii_lowercase();
    let covered_with = |definite_only: bool| -> Option<Vec<usize>> {
        let usable = |tri: Tri| !definite_only || tri == Tri::True;
        let positive: Vec<(usize, String)> = candidates
            .iter()
            .enumerate()
            .filter(|(_, (_, statement, tri))| usable(*tri) && !statement.actions().is_negated())
            .flat_map(|(index, (_, statement, _))| {
                statement
                    .actions()
                    .patterns()
                    .iter()
                    .map(move |pattern| (index, lower(pattern)))
            })
            .collect();
        candidates
            .iter()
            .enumerate()
            .filter(|(_, (_, statement, tri))| usable(*tri) && statement.actions().is_negated())
            .find_map(|(index, (_, statement, _))| {
                let mut used = vec![index];
                for excluded in statement.actions().patterns() {
                    let excluded = lower(excluded);
                    let (by, _) = positive
                        .iter()
                        .find(|(_, allowed)| action_pattern_within(&excluded, allowed))?;
                    used.push(*by);
                }
                Some(used)
            })
    };
    let (status, used) = match covered_with(true) {
        Some(used) => (Tri::True, used),
        None => match covered_with(false) {
            Some(used) => (Tri::Unknown, used),
            None => (Tri::False, Vec::new()),
        },
    };
    let mut coverage = Coverage { status, ..none() };
    let mut used = used;
    used.sort_unstable();
    used.dedup();
    for (policy, statement, tri) in used.into_iter().filter_map(|index| candidates.get(index)) {
        let citation = Citation {
            layer: layer.clone(),
            policy: policy.label().clone(),
            statement: statement.index(),
            sid: statement.sid().cloned(),
            effect: Effect::Allow,
            conditional: *tri == Tri::Unknown,
            via: policy.via().cloned(),
        };
        if *tri == Tri::Unknown {
            let list: Vec<Unresolved> = statement
                .conditions()
                .iter()
                .filter(|condition| condition.evaluate(env) == Tri::Unknown)
                .map(|condition| Unresolved::clause(citation.clone(), condition))
                .collect();
            // The statements used together: all their conditions (a sufficient condition;
            // another combination of statements may also cover every action).
            let conditions = std::mem::take(&mut coverage.conditions);
            coverage.conditions = conditions.and(Conditions::all(list));
        }
        coverage.citations.push(citation);
    }
    coverage
}

/// Deny statements that can apply to some request of this principal.
fn restricting_denies<'p>(
    layer: &Layer,
    policies: impl IntoIterator<Item = &'p Policy>,
    env: &Env<'_>,
) -> Coverage {
    scan_everything(layer, policies, env, Effect::Deny)
}

fn scan_everything<'p>(
    layer: &Layer,
    policies: impl IntoIterator<Item = &'p Policy>,
    env: &Env<'_>,
    effect: Effect,
) -> Coverage {
    let mut coverage = Coverage {
        status: Tri::False,
        citations: Vec::new(),
        conditions: Conditions::none(),
    };
    for policy in policies {
        for statement in policy.document().statements() {
            if statement.effect() != effect {
                continue;
            }
            let relevant = match effect {
                Effect::Allow => {
                    statement.actions().covers_all()
                        && statement
                            .resources()
                            .is_none_or(|resources| resources.covers_all())
                }
                // A deny restricts unless its `NotAction` excludes every action.
                Effect::Deny => {
                    !(statement.actions().is_negated()
                        && statement
                            .actions()
                            .patterns()
                            .iter()
                            .any(|pattern| pattern.is_all()))
                }
            };
            if !relevant {
                continue;
            }
            let mut tri = Tri::True;
            let mut unknown = Vec::new();
            for condition in statement.conditions() {
                let result = condition.evaluate(env);
                if result == Tri::Unknown {
                    unknown.push(condition);
                }
                tri = tri.and(result);
            }
            if tri == Tri::False {
                continue;
            }
            let citation = Citation {
                layer: layer.clone(),
                policy: policy.label().clone(),
                statement: statement.index(),
                sid: statement.sid().cloned(),
                effect,
                conditional: tri == Tri::Unknown,
                via: policy.via().cloned(),
            };
            let list: Vec<Unresolved> = unknown
                .into_iter()
                .map(|condition| Unresolved::clause(citation.clone(), condition))
                .collect();
            // Any one statement of `*` on `*` (or, for denies, any restricting one) counts.
            let conditions = std::mem::take(&mut coverage.conditions);
            coverage.conditions = if coverage.status == Tri::False {
                Conditions::all(list)
            } else {
                conditions.or(Conditions::all(list))
            };
            coverage.citations.push(citation);
            coverage.status = coverage.status.or(tri);
        }
    }
    coverage
}

/// Whether the principal is allowed every action on every resource (§6 "Full admin").
#[must_use]
pub fn full_admin(subject: &Subject<'_>) -> AdminCheck {
    let principal = subject.principal;
    if !principal.has_identity() {
        return AdminCheck::no(Vec::new());
    }
    let action = Action::new("*");
    let resource = Resource::new("*");
    let context = subject.context();
    let env = Env::new(Request {
        principal,
        action: &action,
        resource: &resource,
        context: &context,
    });
    let policies = &subject.policies;
    let mut allows = Vec::new();
    let mut restrictions = Vec::new();
    // INVARIANT: each required layer contributes one coverage; all must allow, none may deny.
    if principal.kind() != PrincipalKind::Root {
        allows.push(covering_allows(
            &Layer::Identity,
            policies.identity.iter().map(|p| &**p),
            &env,
        ));
        restrictions.push(restricting_denies(
            &Layer::Identity,
            policies.identity.iter().map(|p| &**p),
            &env,
        ));
    }
    if let Some(boundary) = policies
        .boundary
        .filter(|_| principal.kind() != PrincipalKind::Root)
    {
        allows.push(covering_allows(&Layer::Boundary, [boundary], &env));
        restrictions.push(restricting_denies(&Layer::Boundary, [boundary], &env));
    }
    if !principal.is_service_linked() {
        for level in policies.scps.unwrap_or_default() {
            let layer = Layer::Scp {
                target: level.target.clone(),
            };
            allows.push(covering_allows(
                &layer,
                level.policies.iter().map(|p| &**p),
                &env,
            ));
            restrictions.push(restricting_denies(
                &layer,
                level.policies.iter().map(|p| &**p),
                &env,
            ));
        }
    }
    let allowed = allows
        .iter()
        .fold(Tri::True, |acc, coverage| acc.and(coverage.status));
    let denied = restrictions
        .iter()
        .fold(Tri::False, |acc, coverage| acc.or(coverage.status));
    let status = allowed.and(!denied);
    if status == Tri::False {
        let evidence = if denied == Tri::True {
            restrictions
                .into_iter()
                .flat_map(|coverage| {
                    coverage
                        .citations
                        .into_iter()
                        .filter(|citation| !citation.conditional)
                })
                .collect()
        } else {
            Vec::new()
        };
        return AdminCheck::no(evidence);
    }
    let mut evidence = Vec::new();
    let mut allowed_when = Conditions::none();
    let mut denied_when = Conditions::never();
    for coverage in &allows {
        allowed_when = allowed_when.and(coverage.holds());
    }
    for coverage in &restrictions {
        denied_when = denied_when.or(coverage.holds());
    }
    for coverage in allows.into_iter().chain(restrictions) {
        if coverage.status == Tri::Unknown
            || coverage.citations.iter().any(|c| c.effect == Effect::Allow)
        {
            evidence.extend(coverage.citations);
        }
    }
    let conditions = allowed_when.and(denied_when.negate());
    AdminCheck {
        status,
        reason: Some(AdminReason::FullAccess),
        evidence,
        conditions,
    }
}

/// One request of a technique: `action` on `resource`, with extra context keys.
struct Step {
    action: &'static str,
    resource: String,
    policy_arn: bool,
    no_boundary: bool,
}

fn step(action: &'static str, resource: &str) -> Step {
    Step {
        action,
        resource: resource.to_owned(),
        policy_arn: false,
        no_boundary: false,
    }
}

/// Whether the principal can grant itself full access (§6 "PMapper admin").
#[must_use]
pub fn self_escalating_admin(subject: &Subject<'_>) -> AdminCheck {
    let principal = subject.principal;
    if !matches!(principal.kind(), PrincipalKind::User | PrincipalKind::Role) {
        return AdminCheck::no(Vec::new());
    }
    let Some(account) = principal.account() else {
        return AdminCheck::no(Vec::new());
    };
    let partition = principal.partition();
    let admin_policy = format!("arn:{partition}:iam::aws:policy/AdministratorAccess");
    let own = principal.arn().to_owned();
    let attach = |action, resource: &str| Step {
        policy_arn: true,
        ..step(action, resource)
    };
    let on_new_role = |mut step: Step| {
        step.no_boundary = true;
        step
    };

    // (technique, target, steps, capped by the principal's own boundary)
    let mut candidates: Vec<(Technique, String, Vec<Step>, bool)> = Vec::new();
    let mut attached: Vec<&String> = subject.attached_policies.iter().collect();
    let editable_self = !principal.is_service_linked();
    if principal.kind() == PrincipalKind::User {
        candidates.push((
            Technique::PutUserPolicy,
            own.clone(),
            vec![step("iam:PutUserPolicy", &own)],
            true,
        ));
        candidates.push((
            Technique::AttachUserPolicy,
            own.clone(),
            vec![attach("iam:AttachUserPolicy", &own)],
            true,
        ));
        for group in subject.groups {
            candidates.push((
                Technique::PutGroupPolicy,
                group.arn.clone(),
                vec![step("iam:PutGroupPolicy", &group.arn)],
                true,
            ));
            candidates.push((
                Technique::AttachGroupPolicy,
                group.arn.clone(),
                vec![attach("iam:AttachGroupPolicy", &group.arn)],
                true,
            ));
            attached.extend(group.attached_policies.iter());
        }
    } else if editable_self {
        candidates.push((
            Technique::PutRolePolicy,
            own.clone(),
            vec![step("iam:PutRolePolicy", &own)],
            true,
        ));
        candidates.push((
            Technique::AttachRolePolicy,
            own.clone(),
            vec![attach("iam:AttachRolePolicy", &own)],
            true,
        ));
    }
    attached.sort();
    attached.dedup();
    for policy_arn in attached {
        candidates.push((
            Technique::CreatePolicyVersion,
            policy_arn.clone(),
            vec![step("iam:CreatePolicyVersion", policy_arn)],
            true,
        ));
    }
    for new_role in new_role_names(subject, partition, account) {
        candidates.push((
            Technique::CreateRoleWithInlinePolicy,
            new_role.clone(),
            vec![
                on_new_role(step("iam:CreateRole", &new_role)),
                on_new_role(step("iam:PutRolePolicy", &new_role)),
            ],
            false,
        ));
        candidates.push((
            Technique::CreateRoleWithManagedPolicy,
            new_role.clone(),
            vec![
                on_new_role(step("iam:CreateRole", &new_role)),
                on_new_role(attach("iam:AttachRolePolicy", &new_role)),
            ],
            false,
        ));
    }

    let uncapped = boundary_escape(subject, &own);
    let mut best: Option<AdminCheck> = None;
    for (technique, target, steps, capped_by_boundary) in candidates {
        let mut check = run_steps(subject, &steps, &admin_policy);
        if capped_by_boundary {
            check = combine(check, &uncapped);
        }
        if check.status == Tri::False {
            continue;
        }
        check.reason = Some(AdminReason::SelfEscalation { technique, target });
        if check.status == Tri::True {
            return check;
        }
        best.get_or_insert(check);
    }
    best.unwrap_or_else(|| AdminCheck::no(Vec::new()))
}

/// The roles a principal may create and name (issue 22, name-scoped creation): a neutral name,
/// then one per role pattern of its own statements that allow `iam:CreateRole`
/// (`role/CodeStarWorker-*`, `role/service-role/*`), made concrete ([`crate::chosen_arn`]).
fn new_role_names(subject: &Subject<'_>, partition: &str, account: &str) -> Vec<String> {
    let mut names = vec![format!(
        "arn:{partition}:iam::{account}:role/{}-new-admin-role",
        crate::NEUTRAL_NAME
    )];
    let create_role = Action::new("iam:CreateRole");
    for policy in subject.policies.identity {
        for statement in policy.document().statements_for(&create_role) {
            if statement.effect() != Effect::Allow || !statement.matches_action(create_role.lower())
            {
                continue;
            }
            let Some(resources) = statement.resources().filter(|set| !set.is_negated()) else {
                continue;
            };
            for pattern in resources.patterns() {
                let Some(arn) = crate::chosen_arn(pattern.as_str(), partition, account) else {
                    continue;
                };
                let is_role =
                    crate::arn_components(&arn).is_some_and(|[_, _, service, _, _, name]| {
                        service == "iam" && name.starts_with("role/")
                    });
                if is_role && !names.contains(&arn) {
                    names.push(arn);
                }
            }
        }
    }
    names
}

/// Both checks must hold; evidence and conditions are merged.
fn combine(mut first: AdminCheck, second: &AdminCheck) -> AdminCheck {
    first.status = first.status.and(second.status);
    if first.status != Tri::False {
        first.evidence.extend(second.evidence.iter().cloned());
        first.conditions = first.conditions.and(second.conditions.clone());
    }
    first
}

/// Whether a new policy on the principal would be uncapped: it has no boundary, its boundary
/// allows everything, or it can delete its boundary.
fn boundary_escape(subject: &Subject<'_>, own: &str) -> AdminCheck {
    let Some(boundary) = subject.policies.boundary else {
        return AdminCheck {
            status: Tri::True,
            reason: None,
            evidence: Vec::new(),
            conditions: Conditions::none(),
        };
    };
    let action = Action::new("*");
    let resource = Resource::new("*");
    let context = subject.context();
    let env = Env::new(Request {
        principal: subject.principal,
        action: &action,
        resource: &resource,
        context: &context,
    });
    let allows = covering_allows(&Layer::Boundary, [boundary], &env);
    let denies = restricting_denies(&Layer::Boundary, [boundary], &env);
    let open = allows.status.and(!denies.status);
    if open == Tri::True {
        return AdminCheck {
            status: Tri::True,
            reason: None,
            evidence: allows.citations,
            conditions: Conditions::none(),
        };
    }
    let delete_action = match subject.principal.kind() {
        PrincipalKind::User => "iam:DeleteUserPermissionsBoundary",
        _ => "iam:DeleteRolePermissionsBoundary",
    };
    let delete = run_steps(subject, &[step(delete_action, own)], "");
    let allows_when = allows.holds();
    if delete.status == Tri::False && open == Tri::Unknown {
        return AdminCheck {
            status: Tri::Unknown,
            reason: None,
            evidence: allows.citations,
            conditions: allows_when.and(denies.holds().negate()),
        };
    }
    delete
}

/// Evaluates every step; the result holds only if all do.
fn run_steps(subject: &Subject<'_>, steps: &[Step], admin_policy: &str) -> AdminCheck {
    let mut check = AdminCheck {
        status: Tri::True,
        reason: None,
        evidence: Vec::new(),
        conditions: Conditions::none(),
    };
    for step in steps {
        let action = Action::new(step.action);
        let resource = Resource::new(step.resource.clone());
        let mut context = subject.context();
        if step.policy_arn {
            context.insert("iam:PolicyARN", admin_policy);
        }
        if step.no_boundary {
            context.insert_absent("iam:PermissionsBoundary");
        }
        let request = Request {
            principal: subject.principal,
            action: &action,
            resource: &resource,
            context: &context,
        };
        let policies = PolicySet {
            resource: None,
            rcps: None,
            ..subject.policies
        };
        let evaluation = evaluate(&request, &policies);
        let status = match evaluation.decision {
            Decision::Allow => Tri::True,
            Decision::Conditional { .. } => Tri::Unknown,
            Decision::Deny(_) => return AdminCheck::no(Vec::new()),
        };
        check.status = check.status.and(status);
        check.conditions = check.conditions.and(Conditions::of(&evaluation));
        check.evidence.extend(evaluation.evidence);
    }
    check
}

#[cfg(test)]
mod tests;
