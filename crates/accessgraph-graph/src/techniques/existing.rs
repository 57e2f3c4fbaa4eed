//! "Existing PassRole" techniques (iam-semantics.md §5.2): take over compute that already runs as
//! a role — update a function's code, open a session on an instance, update a stack, start a
//! build. With the compute inventory of the account the edges are exact, one per resource; for a
//! service whose inventory is absent they are conditional on "an existing X running as the role".

use accessgraph_model::{ComputeResource, ComputeService};
use accessgraph_policy::{Action, RequestContext, Resource};

use super::check_all;
use crate::build::Draft;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::EdgeKind;

/// One technique: catalog id, the inventory service, the actions on the resource, the service the
/// role trusts, and a prerequisite a snapshot cannot confirm.
struct Technique {
    id: &'static str,
    service: Option<ComputeService>,
    what: &'static str,
    actions: &'static [&'static str],
    trusted: &'static str,
    requires: Option<&'static str>,
}

const TECHNIQUES: &[Technique] = &[
    Technique {
        id: "lambda-003",
        service: Some(ComputeService::Lambda),
        what: "Lambda function",
        actions: &["lambda:UpdateFunctionCode"],
        trusted: "lambda.amazonaws.com",
        requires: Some("the function is invoked by a trigger or schedule"),
    },
    Technique {
        id: "lambda-004",
        service: Some(ComputeService::Lambda),
        what: "Lambda function",
        actions: &["lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
        trusted: "lambda.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "lambda-005",
        service: Some(ComputeService::Lambda),
        what: "Lambda function",
        actions: &["lambda:UpdateFunctionCode", "lambda:AddPermission"],
        trusted: "lambda.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "ssm-001",
        service: Some(ComputeService::SsmManagedInstance),
        what: "SSM-managed EC2 instance",
        actions: &["ssm:StartSession"],
        trusted: "ec2.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "ssm-002",
        service: Some(ComputeService::SsmManagedInstance),
        what: "SSM-managed EC2 instance",
        actions: &["ssm:SendCommand"],
        trusted: "ec2.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "ec2instanceconnect-003",
        service: Some(ComputeService::Ec2Instance),
        what: "EC2 instance",
        actions: &["ec2-instance-connect:SendSSHPublicKey"],
        trusted: "ec2.amazonaws.com",
        requires: Some("network access to the instance's SSH port"),
    },
    Technique {
        id: "ec2-002",
        service: Some(ComputeService::Ec2Instance),
        what: "EC2 instance",
        actions: &[
            "ec2:ModifyInstanceAttribute",
            "ec2:StopInstances",
            "ec2:StartInstances",
        ],
        trusted: "ec2.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "ec2-004",
        service: Some(ComputeService::Ec2LaunchTemplate),
        what: "launch template",
        actions: &[
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
        ],
        trusted: "ec2.amazonaws.com",
        requires: Some("an Auto Scaling group launches instances from the template"),
    },
    Technique {
        id: "cloudformation-002",
        service: Some(ComputeService::CloudFormation),
        what: "CloudFormation stack",
        actions: &["cloudformation:UpdateStack"],
        trusted: "cloudformation.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "cloudformation-005",
        service: Some(ComputeService::CloudFormation),
        what: "CloudFormation stack",
        actions: &[
            "cloudformation:CreateChangeSet",
            "cloudformation:ExecuteChangeSet",
        ],
        trusted: "cloudformation.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "codebuild-002",
        service: Some(ComputeService::CodeBuild),
        what: "CodeBuild project",
        actions: &["codebuild:StartBuild"],
        trusted: "codebuild.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "codebuild-003",
        service: Some(ComputeService::CodeBuild),
        what: "CodeBuild project",
        actions: &["codebuild:StartBuildBatch"],
        trusted: "codebuild.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "glue-002",
        service: Some(ComputeService::GlueDevEndpoint),
        what: "Glue development endpoint",
        actions: &["glue:UpdateDevEndpoint"],
        trusted: "glue.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "sagemaker-004",
        service: Some(ComputeService::SageMakerNotebook),
        what: "SageMaker notebook instance",
        actions: &["sagemaker:CreatePresignedNotebookInstanceUrl"],
        trusted: "sagemaker.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "sagemaker-005",
        service: Some(ComputeService::SageMakerNotebook),
        what: "SageMaker notebook instance",
        actions: &[
            "sagemaker:CreateNotebookInstanceLifecycleConfig",
            "sagemaker:StopNotebookInstance",
            "sagemaker:UpdateNotebookInstance",
            "sagemaker:StartNotebookInstance",
        ],
        trusted: "sagemaker.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "apprunner-002",
        service: Some(ComputeService::AppRunner),
        what: "App Runner service",
        actions: &["apprunner:UpdateService"],
        trusted: "tasks.apprunner.amazonaws.com",
        requires: None,
    },
    Technique {
        id: "bedrock-002",
        service: None,
        what: "Bedrock AgentCore code interpreter",
        actions: &[
            "bedrock-agentcore:StartCodeInterpreterSession",
            "bedrock-agentcore:InvokeCodeInterpreter",
        ],
        trusted: "bedrock-agentcore.amazonaws.com",
        requires: None,
    },
];

/// The techniques of this family, for the catalog.
pub(crate) fn catalog() -> Vec<super::TechniqueInfo> {
    TECHNIQUES
        .iter()
        .map(|technique| super::TechniqueInfo {
            id: technique.id,
            family: "existing-passrole",
            permissions: format!(
                "{} on an existing {}",
                technique.actions.join(" + "),
                technique.what
            ),
            actions: technique.actions,
            service: Some(technique.trusted),
            note: technique.requires.map_or_else(
                || "the role the resource runs as".to_owned(),
                |text| format!("the role the resource runs as; requires {text}"),
            ),
        })
        .collect()
}

/// The edges from each referenced existing-compute helper node to the roles its service may run
/// as, conditional on such a resource existing.
pub(crate) fn runs_as_edges(
    context: &Context<'_>,
    helpers: &[(String, &'static str)],
) -> Vec<EdgeSpec> {
    let mut specs = Vec::new();
    for (account, id) in helpers {
        let Some(technique) = TECHNIQUES.iter().find(|technique| technique.id == *id) else {
            continue;
        };
        let roles = context.account_actors(account).iter();
        for role in roles.filter(|role| !role.is_user && !role.principal.is_service_linked()) {
            if !super::passrole::trusts(role, technique.trusted) {
                continue;
            }
            specs.push(EdgeSpec {
                from: NodeKey::ExistingCompute(account.clone(), technique.id),
                to: NodeKey::Actor(role.index),
                edge: Draft {
                    kind: EdgeKind::RunsAs,
                    technique: format!("an existing {} running as the role", technique.what),
                    catalog_id: Some(technique.id),
                    evidence: Vec::new(),
                    conditions: accessgraph_policy::Conditions::none(),
                    requirements: vec![format!(
                        "an existing {} running as `{}` (the snapshot has no inventory of the service)",
                        technique.what, role.name
                    )],
                    alternatives: Vec::new(),
                    access: Box::default(),
                },
            });
        }
    }
    specs
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

/// The role a resource runs as: named directly, or through an instance profile (for SSM-managed
/// instances, the profile of the EC2 instance with the same id).
fn role_of<'c>(
    context: &'c Context<'_>,
    account: &accessgraph_model::Account,
    resource: &ComputeResource,
) -> Option<&'c Actor> {
    if let Some(role_arn) = &resource.role_arn {
        return context
            .actor_by_arn
            .get(role_arn)
            .and_then(|idx| context.actors.get(*idx));
    }
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
    let none = RequestContext::new();
    let partition = actor.principal.partition();
    let mut specs = Vec::new();
    for technique in TECHNIQUES {
        let actions: Vec<Action> = technique
            .actions
            .iter()
            .map(|action| Action::new(*action))
            .collect();
        if !actions
            .iter()
            .all(|action| Context::might_allow(actor, action))
        {
            continue;
        }
        let covered = technique.service.is_some_and(|service| {
            account
                .inventory_coverage
                .iter()
                .any(|(covered, _)| *covered == service)
        });
        // (role, resource ARN or `*`, requirements)
        let mut targets: Vec<(&Actor, String, Vec<String>)> = Vec::new();
        if covered {
            for resource in account
                .compute
                .iter()
                .filter(|resource| Some(resource.service) == technique.service)
            {
                let Some(role) = role_of(context, account, resource) else {
                    continue;
                };
                let requirements = technique
                    .requires
                    .iter()
                    .map(|text| (*text).to_owned())
                    .collect();
                targets.push((
                    role,
                    resource_arn(partition, &account.id, resource),
                    requirements,
                ));
            }
        } else {
            // No inventory: one edge to the account's helper node for this technique; the
            // helper runs as every role that trusts the service (`runs_as_edges`).
            let anything = Resource::new("*");
            let steps: Vec<(&Action, &Resource, &RequestContext)> = actions
                .iter()
                .map(|action| (action, &anything, &none))
                .collect();
            if let Some(checked) = check_all(context, actor, &steps) {
                specs.push(EdgeSpec {
                    from: NodeKey::Actor(actor.index),
                    to: NodeKey::ExistingCompute(account.id.clone(), technique.id),
                    edge: Draft {
                        kind: EdgeKind::Privesc,
                        technique: technique.actions.join(" + "),
                        catalog_id: Some(technique.id),
                        evidence: checked.evidence,
                        conditions: checked.conditions,
                        requirements: technique
                            .requires
                            .iter()
                            .map(|text| (*text).to_owned())
                            .collect(),
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
            let steps: Vec<(&Action, &Resource, &RequestContext)> = actions
                .iter()
                .map(|action| (action, &resource, &none))
                .collect();
            let Some(checked) = check_all(context, actor, &steps) else {
                continue;
            };
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
                    catalog_id: Some(technique.id),
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
