//! "New PassRole" techniques (iam-semantics.md §5.2): pass a role to a service while creating
//! compute that runs as it, then run code there. The actor needs `iam:PassRole` on the role (with
//! `iam:PassedToService`), the role must trust the service, and every creation action must be
//! allowed. The edge goes straight from the actor to the role.

use accessgraph_policy::{Action, RequestContext, Resource};

use super::definitions::{Category, Technique, Techniques};
use super::{Checked, check_all, names};
use crate::build::Draft;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::EdgeKind;

/// The techniques of this family, for the catalog.
pub(crate) fn catalog() -> Vec<super::TechniqueInfo> {
    Techniques::builtin()
        .of(Category::NewPassrole)
        .map(|technique| super::TechniqueInfo {
            permissions: format!("iam:PassRole + {}", technique.actions.join(" + ")),
            note: technique.requires.as_ref().map_or_else(
                || "the passed role".to_owned(),
                |text| format!("the passed role; requires {text}"),
            ),
            ..super::TechniqueInfo::of(technique)
        })
        .collect()
}

/// A technique whose every action the actor may do, with the check's outcome and the resources
/// it would name.
pub(crate) type Candidate = (&'static Technique, Checked, Vec<String>);

/// What the new-PassRole edges of one actor remember: the `iam:PassRole` check per service (for
/// one role, or for every role when the actor's statements decide it alike for all), and the
/// check for making an instance profile (which does not depend on the role).
#[derive(Default)]
pub(crate) struct PassChecks {
    passes: Vec<(String, Option<Checked>)>,
    new_profile: Option<Option<Checked>>,
}

impl PassChecks {
    /// `iam:PassRole` on `role_arn`, passed to `service`, remembered per service.
    fn pass(
        &mut self,
        context: &Context<'_>,
        actor: &Actor,
        role_arn: &str,
        service: &str,
    ) -> Option<Checked> {
        if let Some((_, pass)) = self.passes.iter().find(|(to, _)| to == service) {
            return pass.clone();
        }
        let pass_role = Action::new("iam:PassRole");
        let role_resource = Resource::new(role_arn.to_owned()).with_account(actor.account.clone());
        let passed_to = RequestContext::new().with("iam:PassedToService", service);
        let pass = check_all(context, actor, &[(&pass_role, &role_resource, &passed_to)]);
        self.passes.push((service.to_owned(), pass.clone()));
        pass
    }

    /// Making an instance profile for a role that has none, checked once.
    fn new_profile(&mut self, context: &Context<'_>, actor: &Actor) -> Option<Checked> {
        self.new_profile
            .get_or_insert_with(|| {
                let steps = [
                    Action::new("iam:CreateInstanceProfile"),
                    Action::new("iam:AddRoleToInstanceProfile"),
                ];
                names::check_chosen(context, actor, &steps, None).map(|(checked, _)| checked)
            })
            .clone()
    }
}

/// Where a role is passed: its ARN, the service it trusts, whether it lacks an instance profile.
type Passed<'a> = (&'a str, &'a str, bool);

/// The edges of `candidates` to `target` (the role itself, or the helper standing for the roles
/// that trust the service alike), for a role passed as `passed`.
fn service_edges<'c>(
    context: &Context<'_>,
    actor: &Actor,
    candidates: impl Iterator<Item = &'c Candidate>,
    checks: &mut PassChecks,
    (role_arn, service, without_profile): Passed<'_>,
    target: &NodeKey,
) -> Vec<EdgeSpec> {
    let mut specs = Vec::new();
    for (technique, actions_checked, named) in candidates {
        let Some(pass) = checks.pass(context, actor, role_arn, service) else {
            continue;
        };
        let mut checked = pass.and(actions_checked.clone());
        if technique.instance_profile && without_profile {
            let Some(extra) = checks.new_profile(context, actor) else {
                continue;
            };
            checked = checked.and(extra);
        }
        let requirements: Vec<String> = technique
            .requires
            .iter()
            .chain(named.iter())
            .cloned()
            .collect();
        specs.push(edge(
            actor,
            target.clone(),
            technique,
            checked,
            requirements,
        ));
    }
    specs
}

/// The new-PassRole edges of one actor to one role.
pub(crate) fn role_edges(
    context: &Context<'_>,
    actor: &Actor,
    role: &Actor,
    candidates: &[Candidate],
    checks: &mut PassChecks,
) -> Vec<EdgeSpec> {
    // The check of `iam:PassRole` may depend on the role.
    checks.passes.clear();
    let mut specs = Vec::new();
    for candidate in candidates {
        let Some(service) = candidate.0.service_trusted_in(&role.trusted_services) else {
            continue;
        };
        specs.extend(service_edges(
            context,
            actor,
            std::iter::once(candidate),
            checks,
            (&role.arn, service, role.instance_profiles.is_empty()),
            &NodeKey::Actor(role.index),
        ));
    }
    specs
}

/// The helper a role's new-PassRole edges go through: the one service among those the techniques
/// pass roles to that it trusts, and whether it lacks an instance profile. `None` (its edges are
/// its own) when it trusts several of them, none, or is service-linked.
pub(crate) fn shared_key(techniques: &Techniques, role: &Actor) -> Option<(String, bool)> {
    if role.is_user || role.principal.is_service_linked() {
        return None;
    }
    let mut found: Option<&str> = None;
    for technique in techniques.of(Category::NewPassrole) {
        if let Some(service) = technique.service_trusted_in(&role.trusted_services) {
            match found {
                Some(seen) if seen != service => return None,
                _ => found = Some(service),
            }
        }
    }
    found.map(|service| (service.to_owned(), role.instance_profiles.is_empty()))
}

/// The new-PassRole edges of one actor, from its `candidates`. When `share` and the actor's
/// `iam:PassRole` is decided alike for every role, a role that trusts one service alike is
/// reached through the account's helper for that service (one edge per helper, not per role).
pub(crate) fn edges(
    context: &Context<'_>,
    actor: &Actor,
    candidates: &[Candidate],
    share: bool,
) -> Vec<EdgeSpec> {
    if candidates.is_empty() {
        return Vec::new();
    }
    let mut specs = Vec::new();
    let mut checks = PassChecks::default();
    let shared =
        share && super::decided_alike(context, actor, &Action::new("iam:PassRole"), "role");
    if shared {
        let partition = actor.arn.split(':').nth(1).unwrap_or("aws");
        let any_role = format!("arn:{partition}:iam::{}:role/(every role)", actor.account);
        for (service, without_profile) in context.shared_compute_keys(&actor.account) {
            let target =
                NodeKey::NewCompute(actor.account.clone(), service.clone(), *without_profile);
            specs.extend(service_edges(
                context,
                actor,
                candidates
                    .iter()
                    .filter(|(technique, _, _)| technique.trusted_services.contains(service)),
                &mut checks,
                (&any_role, service, *without_profile),
                &target,
            ));
        }
    }
    let pass_role = Action::new("iam:PassRole");
    // INVARIANT: PassRole cannot pass a role of another account (§4.4), so targets are local.
    let roles = context
        .account_actors(&actor.account)
        .iter()
        .filter(|role| {
            !role.is_user && role.arn != actor.arn && !role.principal.is_service_linked()
        });
    // The roles some statement could allow passing: the others are skipped unevaluated.
    let pass_scope = Context::allow_scope(actor, &pass_role);
    for role in roles.filter(|role| pass_scope.might_include(&role.arn)) {
        if shared && context.shared_compute(role).is_some() {
            continue;
        }
        specs.extend(role_edges(context, actor, role, candidates, &mut checks));
    }
    specs
}

/// The edges from each helper of new compute that `specs` reach to the roles it stands for.
pub(crate) fn runs_as_edges(context: &Context<'_>, specs: &[EdgeSpec]) -> Vec<EdgeSpec> {
    let helpers: std::collections::BTreeSet<&NodeKey> = specs
        .iter()
        .map(|spec| &spec.to)
        .filter(|key| matches!(key, NodeKey::NewCompute(..)))
        .collect();
    let mut out = Vec::new();
    for helper in helpers {
        let NodeKey::NewCompute(account, service, without_profile) = helper else {
            continue;
        };
        for role in context.account_actors(account) {
            if context
                .shared_compute(role)
                .is_some_and(|(trusted, lacks)| trusted == service && lacks == without_profile)
            {
                out.push(EdgeSpec {
                    from: helper.clone(),
                    to: NodeKey::Actor(role.index),
                    edge: Draft::new(
                        EdgeKind::RunsAs,
                        format!("new compute of `{service}` running as the role"),
                    ),
                });
            }
        }
    }
    out
}

/// The techniques whose every action `actor` may do, with the resources it would name: each
/// action is checked on the resources AWS authorizes it against (`names`), whatever the role,
/// once per technique (and only where some statement could allow every action). None when no
/// statement of the actor could allow `iam:PassRole`.
pub(crate) fn candidates(context: &Context<'_>, actor: &Actor) -> Vec<Candidate> {
    if !Context::might_allow(actor, &Action::new("iam:PassRole")) {
        return Vec::new();
    }
    context
        .techniques
        .of(Category::NewPassrole)
        .filter_map(|technique| {
            let actions = super::actions_within_reach(actor, technique)?;
            names::check_chosen(context, actor, &actions, None)
                .map(|(checked, named)| (technique, checked, named))
        })
        .collect()
}

/// `ag-iam-002`: the actor may rewrite a role's trust policy but not assume the role afterwards;
/// it rewrites the trust to let a service in and passes the role to it with the first technique
/// (in catalog order) whose actions and `iam:PassRole` it may do. One edge per role.
pub(crate) fn after_trust_rewrite(
    context: &Context<'_>,
    actor: &Actor,
    candidates: &[Candidate],
    rewritable: Vec<super::iam::Rewritable<'_>>,
) -> Vec<EdgeSpec> {
    if rewritable.is_empty() || candidates.is_empty() {
        return Vec::new();
    }
    let pass_role = Action::new("iam:PassRole");
    let mut specs = Vec::new();
    for rewritten in rewritable {
        let role = rewritten.role;
        if role.principal.is_service_linked() {
            continue;
        }
        let role_resource = Resource::new(role.arn.clone()).with_account(role.account.clone());
        let passed = candidates
            .iter()
            .find_map(|(technique, actions_checked, named)| {
                // A technique that needs an instance profile the role lacks is left out.
                if technique.instance_profile && role.instance_profiles.is_empty() {
                    return None;
                }
                // A role that already trusts the service gets the technique's own edge.
                if technique
                    .service_trusted_in(&role.trusted_services)
                    .is_some()
                {
                    return None;
                }
                let service = technique.trusted_services.first()?;
                let passed_to = RequestContext::new().with("iam:PassedToService", service.as_str());
                check_all(context, actor, &[(&pass_role, &role_resource, &passed_to)])
                    .map(|pass| (technique, service, pass.and(actions_checked.clone()), named))
            });
        let Some((technique, service, checked, named)) = passed else {
            continue;
        };
        let mut requirements = vec![format!(
            "the rewritten trust policy of `{}` lets `{service}` assume it",
            role.name
        )];
        requirements.extend(technique.requires.iter().cloned());
        requirements.extend(named.iter().cloned());
        let mut spec = edge(
            actor,
            NodeKey::Actor(role.index),
            technique,
            rewritten.checked.and(checked),
            requirements,
        );
        spec.edge.technique = format!(
            "iam:UpdateAssumeRolePolicy + iam:PassRole + {}",
            technique.actions.join(" + ")
        );
        spec.edge.catalog_id = Some("ag-iam-002");
        specs.push(spec);
    }
    specs
}

fn edge(
    actor: &Actor,
    target: NodeKey,
    technique: &'static Technique,
    checked: Checked,
    requirements: Vec<String>,
) -> EdgeSpec {
    EdgeSpec {
        from: NodeKey::Actor(actor.index),
        to: target,
        edge: Draft {
            kind: EdgeKind::Privesc,
            technique: format!("iam:PassRole + {}", technique.actions.join(" + ")),
            catalog_id: Some(technique.id.as_str()),
            evidence: checked.evidence,
            conditions: checked.conditions,
            requirements,
            alternatives: Vec::new(),
            access: Box::default(),
        },
    }
}

/// Where an actor has another privilege-escalation edge straight to a role it also reaches
/// through a helper of new compute, its new-PassRole edges to that role are kept straight too, as
/// they were before the helper: the pair's one merged edge, and the hop an answer shows for it,
/// stay the same.
pub(crate) fn keep_direct_beside(context: &Context<'_>, specs: &mut Vec<EdgeSpec>) {
    let into_helpers: std::collections::HashSet<(u32, &NodeKey)> = specs
        .iter()
        .filter_map(|spec| match (&spec.from, &spec.to) {
            (NodeKey::Actor(actor), helper @ NodeKey::NewCompute(..)) => Some((*actor, helper)),
            _ => None,
        })
        .collect();
    if into_helpers.is_empty() {
        return;
    }
    let mut pairs: Vec<(u32, u32)> = specs
        .iter()
        .filter(|spec| spec.edge.kind == EdgeKind::Privesc)
        .filter_map(|spec| match (&spec.from, &spec.to) {
            (NodeKey::Actor(from), NodeKey::Actor(to)) => {
                let role = context.actors.get(*to as usize)?;
                let (service, without_profile) = context.shared_compute(role)?;
                let helper =
                    NodeKey::NewCompute(role.account.clone(), service.clone(), *without_profile);
                into_helpers
                    .contains(&(*from, &helper))
                    .then_some((*from, *to))
            }
            _ => None,
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut added = Vec::new();
    let mut last: Option<(u32, Vec<Candidate>, PassChecks)> = None;
    for (from, to) in pairs {
        let (Some(actor), Some(role)) = (
            context.actors.get(from as usize),
            context.actors.get(to as usize),
        ) else {
            continue;
        };
        if last.as_ref().is_none_or(|(seen, _, _)| *seen != from) {
            last = Some((from, candidates(context, actor), PassChecks::default()));
        }
        if let Some((_, candidates, checks)) = last.as_mut() {
            added.extend(role_edges(context, actor, role, candidates, checks));
        }
    }
    specs.extend(added);
}
