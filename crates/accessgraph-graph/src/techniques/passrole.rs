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

/// The new-PassRole edges of one actor, from its `candidates`.
pub(crate) fn edges(
    context: &Context<'_>,
    actor: &Actor,
    candidates: &[Candidate],
) -> Vec<EdgeSpec> {
    if candidates.is_empty() {
        return Vec::new();
    }
    let pass_role = Action::new("iam:PassRole");
    let mut specs = Vec::new();
    // INVARIANT: PassRole cannot pass a role of another account (§4.4), so targets are local.
    let roles = context
        .account_actors(&actor.account)
        .iter()
        .filter(|role| {
            !role.is_user && role.arn != actor.arn && !role.principal.is_service_linked()
        });
    // Making an instance profile for a role that has none does not depend on the role either:
    // checked once, when first needed.
    let mut new_profile: Option<Option<Checked>> = None;
    // The roles some statement could allow passing: the others are skipped unevaluated.
    let pass_scope = Context::allow_scope(actor, &pass_role);
    for role in roles.filter(|role| pass_scope.might_include(&role.arn)) {
        let role_resource = Resource::new(role.arn.clone()).with_account(role.account.clone());
        // `iam:PassRole` on this role, once per service it is passed to.
        let mut passes: Vec<(&str, Option<Checked>)> = Vec::new();
        for (technique, actions_checked, named) in candidates {
            let Some(service) = technique.service_trusted_in(&role.trusted_services) else {
                continue;
            };
            let pass = match passes.iter().find(|(passed_to, _)| *passed_to == service) {
                Some((_, pass)) => pass.clone(),
                None => {
                    let passed_to = RequestContext::new().with("iam:PassedToService", service);
                    let pass =
                        check_all(context, actor, &[(&pass_role, &role_resource, &passed_to)]);
                    passes.push((service, pass.clone()));
                    pass
                }
            };
            let Some(pass) = pass else {
                continue;
            };
            let checked = pass.and(actions_checked.clone());
            let requirements: Vec<String> = technique
                .requires
                .iter()
                .chain(named.iter())
                .cloned()
                .collect();
            if technique.instance_profile && role.instance_profiles.is_empty() {
                let extra = new_profile
                    .get_or_insert_with(|| {
                        let steps = [
                            Action::new("iam:CreateInstanceProfile"),
                            Action::new("iam:AddRoleToInstanceProfile"),
                        ];
                        names::check_chosen(context, actor, &steps, None)
                            .map(|(checked, _)| checked)
                    })
                    .clone();
                if let Some(extra) = extra {
                    specs.push(edge(
                        actor,
                        role,
                        technique,
                        checked.and(extra),
                        requirements,
                    ));
                }
                continue;
            }
            specs.push(edge(actor, role, technique, checked, requirements));
        }
    }
    specs
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
            role,
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
    role: &Actor,
    technique: &'static Technique,
    checked: Checked,
    requirements: Vec<String>,
) -> EdgeSpec {
    EdgeSpec {
        from: NodeKey::Actor(actor.index),
        to: NodeKey::Actor(role.index),
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
