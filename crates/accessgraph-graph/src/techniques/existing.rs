//! "Existing PassRole" techniques (iam-semantics.md §5.2): take over compute that already runs as
//! a role — update a function's code, open a session on an instance, update a stack, start a
//! build. With the compute inventory of the account the edges are exact, one per resource; for a
//! service whose inventory is absent they are conditional on "an existing X running as the role".

use accessgraph_model::{ComputeResource, ComputeService};
use accessgraph_policy::Resource;

use super::definitions::{Category, Technique, Techniques};
use crate::build::Draft;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::EdgeKind;

/// The techniques of this family, for the catalog.
pub(crate) fn catalog() -> Vec<super::TechniqueInfo> {
    Techniques::builtin()
        .of(Category::ExistingPassrole)
        .map(|technique| super::TechniqueInfo {
            permissions: format!(
                "{} on an existing {}",
                technique.actions.join(" + "),
                what(technique)
            ),
            note: technique.requires.as_ref().map_or_else(
                || "the role the resource runs as".to_owned(),
                |text| format!("the role the resource runs as; requires {text}"),
            ),
            ..super::TechniqueInfo::of(technique)
        })
        .collect()
}

/// What the technique's existing resource is, in words.
fn what(technique: &Technique) -> &str {
    technique.resource.as_deref().unwrap_or("resource")
}

/// The edges from each referenced existing-compute helper node to the roles its service may run
/// as, conditional on such a resource existing.
pub(crate) fn runs_as_edges(
    context: &Context<'_>,
    helpers: &[(String, &'static str)],
) -> Vec<EdgeSpec> {
    let mut specs = Vec::new();
    for (account, id) in helpers {
        let Some(technique) = context
            .techniques
            .of(Category::ExistingPassrole)
            .find(|technique| technique.id == *id)
        else {
            continue;
        };
        let unseen = match context
            .snapshot
            .account(account)
            .map(|account| Coverage::of(account, technique))
        {
            Some(Coverage::Partial) => "in a region the snapshot's inventory does not cover",
            Some(Coverage::Complete) => {
                "run from a definition the snapshot's inventory does not list"
            }
            _ => "the snapshot has no inventory of the service",
        };
        let roles = context.account_actors(account).iter();
        for role in roles.filter(|role| !role.is_user && !role.principal.is_service_linked()) {
            if technique
                .service_trusted_in(&role.trusted_services)
                .is_none()
            {
                continue;
            }
            specs.push(EdgeSpec {
                from: NodeKey::ExistingCompute(account.clone(), technique.id.as_str()),
                to: NodeKey::Actor(role.index),
                edge: Draft {
                    kind: EdgeKind::RunsAs,
                    technique: format!("an existing {} running as the role", what(technique)),
                    catalog_id: Some(technique.id.as_str()),
                    evidence: Vec::new(),
                    conditions: accessgraph_policy::Conditions::none(),
                    requirements: vec![format!(
                        "an existing {} running as `{}` ({unseen})",
                        what(technique),
                        role.name,
                    )],
                    alternatives: Vec::new(),
                    access: Box::default(),
                },
            });
        }
    }
    specs
}

/// How much of an account's compute a technique's inventory shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    /// No inventory file of the service: any resource may exist.
    None,
    /// Files for some regions; others, or regions the snapshot does not name, may hold more.
    Partial,
    /// Files for every region the snapshot says was collected: the inventory is all there is.
    Complete,
}

impl Coverage {
    fn of(account: &accessgraph_model::Account, technique: &Technique) -> Coverage {
        let Some(service) = technique.inventory else {
            return Coverage::None;
        };
        let covered = |region: &str| {
            account
                .inventory_coverage
                .iter()
                .any(|(covered, covered_region)| *covered == service && covered_region == region)
        };
        if !account
            .inventory_coverage
            .iter()
            .any(|(covered, _)| *covered == service)
        {
            return Coverage::None;
        }
        match &account.regions {
            Some(regions) if regions.iter().all(|region| covered(region)) => Coverage::Complete,
            _ => Coverage::Partial,
        }
    }
}

/// The ARN a policy names the resource by.
fn resource_arn(partition: &str, account: &str, resource: &ComputeResource) -> String {
    let region = &resource.region;
    let id = &resource.id;
    match resource.service {
        ComputeService::Ec2Instance | ComputeService::SsmManagedInstance => {
            format!("arn:{partition}:ec2:{region}:{account}:instance/{id}")
        }
        ComputeService::Ec2LaunchTemplate => {
            format!("arn:{partition}:ec2:{region}:{account}:launch-template/{id}")
        }
        ComputeService::GlueDevEndpoint => {
            format!("arn:{partition}:glue:{region}:{account}:devEndpoint/{id}")
        }
        ComputeService::GlueJob => format!("arn:{partition}:glue:{region}:{account}:job/{id}"),
        _ => id.clone(),
    }
}

/// What the inventory says a resource runs as.
enum RunsAs<'c> {
    /// This role of the snapshot.
    Role(&'c Actor),
    /// No role, or one the snapshot does not hold.
    Nothing,
    /// The definition the resource runs is not in the inventory: any role may be its.
    Unknown,
}

/// The role a resource runs as: named directly, through the definition it runs (an ECS task's
/// task definition), or through an instance profile (for SSM-managed instances, the profile of
/// the EC2 instance with the same id).
fn role_of<'c>(
    context: &'c Context<'_>,
    account: &accessgraph_model::Account,
    resource: &ComputeResource,
) -> RunsAs<'c> {
    let by_arn = |role_arn: &String| {
        context
            .actor_by_arn
            .get(role_arn)
            .and_then(|idx| context.actors.get(*idx))
            .map_or(RunsAs::Nothing, RunsAs::Role)
    };
    if let Some(role_arn) = &resource.role_arn {
        return by_arn(role_arn);
    }
    if let Some(definition) = &resource.definition {
        return match account.compute.iter().find(|other| {
            other.service == ComputeService::EcsTaskDefinition && other.id == *definition
        }) {
            Some(found) => found.role_arn.as_ref().map_or(RunsAs::Nothing, by_arn),
            None => RunsAs::Unknown,
        };
    }
    let Some(role) = instance_profile_role(context, account, resource) else {
        return RunsAs::Nothing;
    };
    RunsAs::Role(role)
}

/// The role of the instance profile a resource runs with.
fn instance_profile_role<'c>(
    context: &'c Context<'_>,
    account: &accessgraph_model::Account,
    resource: &ComputeResource,
) -> Option<&'c Actor> {
    let profile = match resource.service {
        ComputeService::SsmManagedInstance => account
            .compute
            .iter()
            .find(|other| other.service == ComputeService::Ec2Instance && other.id == resource.id)
            .and_then(|instance| instance.instance_profile_arn.clone()),
        _ => resource.instance_profile_arn.clone(),
    }?;
    context.account_actors(&account.id).iter().find(|actor| {
        actor
            .instance_profiles
            .iter()
            .any(|arn| *arn == profile || arn.rsplit('/').next() == Some(profile.as_str()))
    })
}

/// The existing-resource edges of one actor.
pub(crate) fn edges(context: &Context<'_>, actor: &Actor) -> Vec<EdgeSpec> {
    let Some(account) = context.snapshot.account(&actor.account) else {
        return Vec::new();
    };
    let partition = actor.principal.partition();
    let mut specs = Vec::new();
    for technique in context.techniques.of(Category::ExistingPassrole) {
        let Some(actions) = super::actions_within_reach(actor, technique) else {
            continue;
        };
        let coverage = Coverage::of(account, technique);
        // (role, resource ARN or `*`, requirements)
        let mut targets: Vec<(&Actor, String, Vec<String>)> = Vec::new();
        // A resource whose role the inventory cannot tell may run as any role of the service.
        let mut unknown_role = false;
        if coverage != Coverage::None {
            for resource in account
                .compute
                .iter()
                .filter(|resource| Some(resource.service) == technique.inventory)
            {
                let role = match role_of(context, account, resource) {
                    RunsAs::Role(role) => role,
                    RunsAs::Nothing => continue,
                    RunsAs::Unknown => {
                        unknown_role = true;
                        continue;
                    }
                };
                let requirements = technique.requires.iter().cloned().collect();
                targets.push((
                    role,
                    resource_arn(partition, &account.id, resource),
                    requirements,
                ));
            }
        }
        if coverage != Coverage::Complete || unknown_role {
            // Regions without inventory (or resources of unknown role): one edge to the
            // account's helper node for this technique; the helper runs as every role that
            // trusts the service (`runs_as_edges`).
            if let Some((checked, named)) =
                super::names::check_chosen(context, actor, &actions, None)
            {
                specs.push(EdgeSpec {
                    from: NodeKey::Actor(actor.index),
                    to: NodeKey::ExistingCompute(
                        account.id.clone(),
                        context.techniques.helper_id(technique),
                    ),
                    edge: Draft {
                        kind: EdgeKind::Privesc,
                        technique: technique.actions.join(" + "),
                        catalog_id: Some(technique.id.as_str()),
                        evidence: checked.evidence,
                        conditions: checked.conditions,
                        requirements: technique.requires.iter().cloned().chain(named).collect(),
                        alternatives: Vec::new(),
                        access: Box::default(),
                    },
                });
            }
        }
        for (role, resource_arn, requirements) in targets {
            if role.arn == actor.arn {
                continue;
            }
            let resource = Resource::new(resource_arn.clone()).with_account(account.id.clone());
            let Some((checked, named)) =
                super::names::check_chosen(context, actor, &actions, Some(&resource))
            else {
                continue;
            };
            let mut requirements = requirements;
            requirements.extend(named);
            let on = if resource_arn == "*" {
                String::new()
            } else {
                format!(" on `{resource_arn}`")
            };
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: NodeKey::Actor(role.index),
                edge: Draft {
                    kind: EdgeKind::Privesc,
                    technique: format!("{}{on}", technique.actions.join(" + ")),
                    catalog_id: Some(technique.id.as_str()),
                    evidence: checked.evidence,
                    conditions: checked.conditions,
                    requirements,
                    alternatives: Vec::new(),
                    access: Box::default(),
                },
            });
        }
    }
    specs
}
