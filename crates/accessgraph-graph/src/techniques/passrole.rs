//! "New PassRole" techniques (iam-semantics.md §5.2): pass a role to a service while creating
//! compute that runs as it, then run code there. The actor needs `iam:PassRole` on the role (with
//! `iam:PassedToService`), the role must trust the service, and every creation action must be
//! allowed. The edge goes straight from the actor to the role.

use accessgraph_policy::{Action, RequestContext, Resource};

use super::{Checked, check_all};
use crate::build::Draft;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::EdgeKind;

/// One technique: catalog id, the service principal the role must trust, the actions besides
/// `iam:PassRole`, and what must already exist.
struct Technique {
    id: &'static str,
    service: &'static str,
    actions: &'static [&'static str],
    requires: Option<&'static str>,
}

const TECHNIQUES: &[Technique] = &[
    Technique {
        id: "ec2-001",
        service: "ec2.amazonaws.com",
        actions: &["ec2:RunInstances"],
        requires: None,
    },
    Technique {
        id: "ec2-003",
        service: "ec2.amazonaws.com",
        actions: &["ec2:RequestSpotInstances"],
        requires: None,
    },
    Technique {
        id: "ec2:AssociateIamInstanceProfile (PMapper)",
        service: "ec2.amazonaws.com",
        actions: &["ec2:AssociateIamInstanceProfile"],
        requires: Some("an existing EC2 instance the actor can run code on"),
    },
    Technique {
        id: "autoscaling (PMapper)",
        service: "ec2.amazonaws.com",
        actions: &[
            "autoscaling:CreateLaunchConfiguration",
            "autoscaling:CreateAutoScalingGroup",
        ],
        requires: None,
    },
    Technique {
        id: "lambda-001",
        service: "lambda.amazonaws.com",
        actions: &["lambda:CreateFunction", "lambda:InvokeFunction"],
        requires: None,
    },
    Technique {
        id: "lambda-002",
        service: "lambda.amazonaws.com",
        actions: &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
        requires: Some("an existing event source (DynamoDB stream, Kinesis stream or SQS queue)"),
    },
    Technique {
        id: "lambda-006",
        service: "lambda.amazonaws.com",
        actions: &["lambda:CreateFunction", "lambda:AddPermission"],
        requires: None,
    },
    Technique {
        id: "glue-001",
        service: "glue.amazonaws.com",
        actions: &["glue:CreateDevEndpoint"],
        requires: None,
    },
    Technique {
        id: "glue-003",
        service: "glue.amazonaws.com",
        actions: &["glue:CreateJob", "glue:StartJobRun"],
        requires: None,
    },
    Technique {
        id: "glue-004",
        service: "glue.amazonaws.com",
        actions: &["glue:CreateJob", "glue:CreateTrigger"],
        requires: None,
    },
    Technique {
        id: "glue-005",
        service: "glue.amazonaws.com",
        actions: &["glue:UpdateJob", "glue:StartJobRun"],
        requires: Some("an existing Glue job"),
    },
    Technique {
        id: "glue-006",
        service: "glue.amazonaws.com",
        actions: &["glue:UpdateJob", "glue:CreateTrigger"],
        requires: Some("an existing Glue job"),
    },
    Technique {
        id: "cloudformation-001",
        service: "cloudformation.amazonaws.com",
        actions: &["cloudformation:CreateStack"],
        requires: None,
    },
    Technique {
        id: "cloudformation-003",
        service: "cloudformation.amazonaws.com",
        actions: &[
            "cloudformation:CreateStackSet",
            "cloudformation:CreateStackInstances",
        ],
        requires: None,
    },
    Technique {
        id: "cloudformation-004",
        service: "cloudformation.amazonaws.com",
        actions: &["cloudformation:UpdateStackSet"],
        requires: Some("an existing stack set"),
    },
    Technique {
        id: "codebuild-001",
        service: "codebuild.amazonaws.com",
        actions: &["codebuild:CreateProject", "codebuild:StartBuild"],
        requires: None,
    },
    Technique {
        id: "codebuild-004",
        service: "codebuild.amazonaws.com",
        actions: &["codebuild:CreateProject", "codebuild:StartBuildBatch"],
        requires: None,
    },
    Technique {
        id: "datapipeline-001",
        service: "datapipeline.amazonaws.com",
        actions: &[
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
            "datapipeline:ActivatePipeline",
        ],
        requires: None,
    },
    Technique {
        id: "sagemaker-001",
        service: "sagemaker.amazonaws.com",
        actions: &["sagemaker:CreateNotebookInstance"],
        requires: None,
    },
    Technique {
        id: "sagemaker-002",
        service: "sagemaker.amazonaws.com",
        actions: &["sagemaker:CreateTrainingJob"],
        requires: None,
    },
    Technique {
        id: "sagemaker-003",
        service: "sagemaker.amazonaws.com",
        actions: &["sagemaker:CreateProcessingJob"],
        requires: None,
    },
    Technique {
        id: "ecs-001",
        service: "ecs-tasks.amazonaws.com",
        actions: &[
            "ecs:CreateCluster",
            "ecs:RegisterTaskDefinition",
            "ecs:CreateService",
        ],
        requires: None,
    },
    Technique {
        id: "ecs-002",
        service: "ecs-tasks.amazonaws.com",
        actions: &[
            "ecs:CreateCluster",
            "ecs:RegisterTaskDefinition",
            "ecs:RunTask",
        ],
        requires: None,
    },
    Technique {
        id: "ecs-003",
        service: "ecs-tasks.amazonaws.com",
        actions: &["ecs:RegisterTaskDefinition", "ecs:CreateService"],
        requires: Some("an existing ECS cluster"),
    },
    Technique {
        id: "ecs-004",
        service: "ecs-tasks.amazonaws.com",
        actions: &["ecs:RegisterTaskDefinition", "ecs:RunTask"],
        requires: Some("an existing ECS cluster"),
    },
    Technique {
        id: "ecs-005",
        service: "ecs-tasks.amazonaws.com",
        actions: &["ecs:RegisterTaskDefinition", "ecs:StartTask"],
        requires: Some("an existing ECS cluster with container instances"),
    },
    Technique {
        id: "apprunner-001",
        service: "tasks.apprunner.amazonaws.com",
        actions: &["apprunner:CreateService"],
        requires: None,
    },
    Technique {
        id: "bedrock-001",
        service: "bedrock-agentcore.amazonaws.com",
        actions: &[
            "bedrock-agentcore:CreateCodeInterpreter",
            "bedrock-agentcore:StartCodeInterpreterSession",
            "bedrock-agentcore:InvokeCodeInterpreter",
        ],
        requires: None,
    },
];

/// The techniques of this family, for the catalog.
pub(crate) fn catalog() -> Vec<super::TechniqueInfo> {
    TECHNIQUES
        .iter()
        .map(|technique| super::TechniqueInfo {
            id: technique.id,
            family: "new-passrole",
            permissions: format!("iam:PassRole + {}", technique.actions.join(" + ")),
            actions: technique.actions,
            service: Some(technique.service),
            note: technique.requires.map_or_else(
                || "the passed role".to_owned(),
                |text| format!("the passed role; requires {text}"),
            ),
        })
        .collect()
}

/// Whether the role's trust policy lets the service assume it.
pub(crate) fn trusts(role: &Actor, service: &str) -> bool {
    role.trusted_services
        .iter()
        .any(|trusted| trusted == service)
}

/// The new-PassRole edges of one actor.
pub(crate) fn edges(context: &Context<'_>, actor: &Actor) -> Vec<EdgeSpec> {
    let pass_role = Action::new("iam:PassRole");
    if !Context::might_allow(actor, &pass_role) {
        return Vec::new();
    }
    let none = RequestContext::new();
    let anything = Resource::new("*");
    let mut specs = Vec::new();
    // INVARIANT: PassRole cannot pass a role of another account (§4.4), so targets are local.
    let roles = context
        .account_actors(&actor.account)
        .iter()
        .filter(|role| {
            !role.is_user && role.arn != actor.arn && !role.principal.is_service_linked()
        });
    // The techniques whose every action some statement could allow, with their actions, once.
    let candidates: Vec<(&Technique, Vec<Action>)> = TECHNIQUES
        .iter()
        .filter_map(|technique| {
            let actions: Vec<Action> = technique
                .actions
                .iter()
                .map(|action| Action::new(*action))
                .collect();
            actions
                .iter()
                .all(|action| Context::might_allow(actor, action))
                .then_some((technique, actions))
        })
        .collect();
    if candidates.is_empty() {
        return specs;
    }
    for role in roles {
        let role_resource = Resource::new(role.arn.clone()).with_account(role.account.clone());
        for (technique, actions) in &candidates {
            if !trusts(role, technique.service) {
                continue;
            }
            let passed_to = RequestContext::new().with("iam:PassedToService", technique.service);
            let mut steps: Vec<(&Action, &Resource, &RequestContext)> =
                vec![(&pass_role, &role_resource, &passed_to)];
            steps.extend(actions.iter().map(|action| (action, &anything, &none)));
            let Some(checked) = check_all(context, actor, &steps) else {
                continue;
            };
            let mut requirements: Vec<String> = technique
                .requires
                .iter()
                .map(|text| (*text).to_owned())
                .collect();
            if technique.service == "ec2.amazonaws.com" && role.instance_profiles.is_empty() {
                let create_profile = Action::new("iam:CreateInstanceProfile");
                let add_role = Action::new("iam:AddRoleToInstanceProfile");
                let extra = check_all(
                    context,
                    actor,
                    &[
                        (&create_profile, &anything, &none),
                        (&add_role, &anything, &none),
                    ],
                );
                match extra {
                    Some(extra) => specs.push(edge(
                        actor,
                        role,
                        technique,
                        merge(checked, extra),
                        requirements,
                    )),
                    None => continue,
                }
                continue;
            }
            if technique.id.starts_with("autoscaling") {
                requirements.push("the Auto Scaling service-linked role exists".into());
            }
            specs.push(edge(actor, role, technique, checked, requirements));
        }
    }
    specs
}

fn merge(mut first: Checked, second: Checked) -> Checked {
    first.evidence.extend(second.evidence);
    first.conditions = first.conditions.and(second.conditions);
    first
}

fn edge(
    actor: &Actor,
    role: &Actor,
    technique: &Technique,
    checked: Checked,
    requirements: Vec<String>,
) -> EdgeSpec {
    EdgeSpec {
        from: NodeKey::Actor(actor.index),
        to: NodeKey::Actor(role.index),
        edge: Draft {
            kind: EdgeKind::Privesc,
            technique: format!("iam:PassRole + {}", technique.actions.join(" + ")),
            catalog_id: Some(technique.id),
            evidence: checked.evidence,
            conditions: checked.conditions,
            requirements,
            alternatives: Vec::new(),
            access: Box::default(),
        },
    }
}
