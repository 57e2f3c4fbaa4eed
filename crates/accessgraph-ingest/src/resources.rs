//! Resource-policy outputs (S3, Lambda, KMS, SQS, SNS, Secrets Manager), `list-buckets`, and the
//! compute inventory (iam-semantics.md §7.3, snapshot-format.md "Compute inventory").

use accessgraph_model::{ComputeResource, ComputeService, ResourcePolicy, ResourcePolicyKind};

use crate::fragment::{Documents, Fragment};
use crate::json::{Node, Result};

/// Where the account, region and partition of a file come from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location<'a> {
    pub(crate) partition: &'a str,
    pub(crate) account: &'a str,
    pub(crate) region: &'a str,
}

/// A resource-policy file; `None` policy when the output holds none.
pub(crate) fn resource_policy(
    root: Node<'_>,
    at: Location<'_>,
    kind: ResourcePolicyKind,
    name: &str,
    documents: &mut Documents,
) -> Result<Fragment> {
    let Location {
        partition,
        account,
        region,
    } = at;
    let (document, arn) = match kind {
        ResourcePolicyKind::S3Bucket => (
            root.with_required("Policy", |policy| policy.policy())?,
            format!("arn:{partition}:s3:::{name}"),
        ),
        ResourcePolicyKind::LambdaFunction => (
            root.with_required("Policy", |policy| policy.policy())?,
            format!("arn:{partition}:lambda:{region}:{account}:function:{name}"),
        ),
        ResourcePolicyKind::KmsKey => (
            root.with_required("Policy", |policy| policy.policy())?,
            format!("arn:{partition}:kms:{region}:{account}:key/{name}"),
        ),
        ResourcePolicyKind::SqsQueue => (
            root.with_field("Attributes", |attributes| {
                attributes.with_field("Policy", |policy| policy.policy())
            })?
            .flatten()
            .flatten(),
            format!("arn:{partition}:sqs:{region}:{account}:{name}"),
        ),
        ResourcePolicyKind::SnsTopic => {
            let found = root.with_field("Attributes", |attributes| {
                Ok((
                    attributes
                        .with_field("Policy", |policy| policy.policy())?
                        .flatten(),
                    attributes.opt_str("TopicArn")?,
                ))
            })?;
            let (document, topic_arn) = found.unwrap_or((None, None));
            (
                document,
                topic_arn
                    .unwrap_or_else(|| format!("arn:{partition}:sns:{region}:{account}:{name}")),
            )
        }
        ResourcePolicyKind::ApiGateway => {
            let id = root.opt_str("id")?.unwrap_or_else(|| name.to_owned());
            let arn = format!("arn:{partition}:execute-api:{region}:{account}:{id}");
            (api_policy(&root, &arn)?, arn)
        }
        ResourcePolicyKind::Secret => (
            root.with_field("ResourcePolicy", |policy| policy.policy())?
                .flatten(),
            root.opt_str("ARN")?.unwrap_or_else(|| {
                format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{name}")
            }),
        ),
    };
    Ok(Fragment::ResourcePolicy {
        account: account.to_owned(),
        policy: match document {
            Some(document) => Ok(ResourcePolicy {
                arn,
                kind,
                region: region.to_owned(),
                document: documents.keep(document),
            }),
            None => Err(accessgraph_model::PolicylessResource {
                arn,
                kind,
                region: region.to_owned(),
            }),
        },
    })
}

/// The `policy` field of `apigateway get-rest-api`. API Gateway escapes the document twice (quotes
/// and slashes are backslash-escaped again inside the JSON string), so a string that does not
/// parse is unescaped once more; both forms are accepted. The `execute-api:/` shorthand of API
/// resource policies is expanded to the API's ARN.
fn api_policy(root: &Node<'_>, api_arn: &str) -> Result<Option<crate::fragment::ParsedPolicy>> {
    let Some(text) = root.opt_str("policy")? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let unescaped = if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
        text
    } else {
        text.replace("\\\"", "\"")
            .replace("\\/", "/")
            .replace("\\\\", "\\")
    };
    let expanded = unescaped.replace("\"execute-api:/", &format!("\"{api_arn}/"));
    let value = serde_json::Value::String(expanded);
    Node::root(root.file, &value).policy()
}

/// `ec2 describe-vpc-endpoints`: each endpoint with its policy (a JSON string).
pub(crate) fn vpc_endpoints(
    root: Node<'_>,
    at: Location<'_>,
    documents: &mut Documents,
) -> Result<Fragment> {
    let mut endpoints = root.each("VpcEndpoints", |endpoint| {
        Ok(accessgraph_model::VpcEndpoint {
            id: endpoint.str_field("VpcEndpointId")?,
            region: at.region.to_owned(),
            vpc_id: endpoint.opt_str("VpcId")?,
            service_name: endpoint.opt_str("ServiceName")?,
            policy: endpoint
                .with_field("PolicyDocument", |policy| policy.policy())?
                .flatten()
                .map(|document| documents.keep(document)),
        })
    })?;
    endpoints.sort();
    Ok(Fragment::VpcEndpoints {
        account: at.account.to_owned(),
        endpoints,
    })
}

/// `s3api list-buckets`: the account's canonical user id and the buckets it owns.
pub(crate) fn list_buckets(root: Node<'_>, account: &str) -> Result<Fragment> {
    let mut buckets = root.each("Buckets", |bucket| bucket.str_field("Name"))?;
    buckets.sort();
    buckets.dedup();
    Ok(Fragment::BucketList {
        account: account.to_owned(),
        canonical_id: root
            .with_field("Owner", |owner| owner.opt_str("ID"))?
            .flatten(),
        buckets,
    })
}

fn resource(
    service: ComputeService,
    region: &str,
    id: String,
    role_arn: Option<String>,
    instance_profile_arn: Option<String>,
) -> ComputeResource {
    ComputeResource {
        service,
        region: region.to_owned(),
        id,
        role_arn,
        instance_profile_arn,
        definition: None,
    }
}

/// A compute inventory file.
pub(crate) fn inventory(
    root: Node<'_>,
    at: Location<'_>,
    service: ComputeService,
) -> Result<Fragment> {
    use ComputeService as S;
    let region = at.region;
    let plain = |list: &str, id: &str, role: &str| -> Result<Vec<ComputeResource>> {
        root.with_required(list, |items| {
            items.items(|item| {
                Ok(resource(
                    service,
                    region,
                    item.str_field(id)?,
                    item.opt_str(role)?,
                    None,
                ))
            })
        })
    };
    let mut resources = match service {
        S::Lambda => plain("Functions", "FunctionArn", "Role")?,
        S::CloudFormation => plain("Stacks", "StackId", "RoleARN")?,
        S::CodeBuild => plain("projects", "arn", "serviceRole")?,
        S::GlueDevEndpoint => plain("DevEndpoints", "EndpointName", "RoleArn")?,
        S::GlueJob => plain("Jobs", "Name", "Role")?,
        S::Ec2Instance => root
            .each("Reservations", |reservation| {
                reservation.each("Instances", |instance| {
                    let profile = instance
                        .with_field("IamInstanceProfile", |profile| profile.opt_str("Arn"))?
                        .flatten();
                    Ok(resource(
                        service,
                        region,
                        instance.str_field("InstanceId")?,
                        None,
                        profile,
                    ))
                })
            })?
            .into_iter()
            .flatten()
            .collect(),
        S::Ec2LaunchTemplate => root.with_required("LaunchTemplateVersions", |versions| {
            versions.items(|version| {
                let id = version.str_field("LaunchTemplateId")?;
                let profile = version
                    .with_field("LaunchTemplateData", |data| {
                        data.with_field("IamInstanceProfile", |profile| {
                            Ok(profile.opt_str("Arn")?.or(profile.opt_str("Name")?))
                        })
                    })?
                    .flatten()
                    .flatten();
                Ok(resource(service, region, id, None, profile))
            })
        })?,
        S::SsmManagedInstance => root.with_required("InstanceInformationList", |list| {
            list.items(|item| {
                Ok(resource(
                    service,
                    region,
                    item.str_field("InstanceId")?,
                    None,
                    None,
                ))
            })
        })?,
        S::SageMakerNotebook => root.items(|item| {
            Ok(resource(
                service,
                region,
                item.str_field("NotebookInstanceArn")?,
                item.opt_str("RoleArn")?,
                None,
            ))
        })?,
        S::EcsCluster => root.with_required("clusterArns", |list| {
            list.items(|item| Ok(resource(service, region, item.string()?, None, None)))
        })?,
        S::AppRunner => root.items(|item| {
            item.with_required("Service", |described| {
                let role = described
                    .with_field("InstanceConfiguration", |config| {
                        config.opt_str("InstanceRoleArn")
                    })?
                    .flatten();
                Ok(resource(
                    service,
                    region,
                    described.str_field("ServiceArn")?,
                    role,
                    None,
                ))
            })
        })?,
        S::EcsTaskDefinition => root.items(|item| {
            item.with_required("taskDefinition", |definition| {
                Ok(resource(
                    service,
                    region,
                    definition.str_field("taskDefinitionArn")?,
                    definition.opt_str("taskRoleArn")?,
                    None,
                ))
            })
        })?,
        S::EcsExecTask => ecs_exec_tasks(&root, region)?,
        S::BatchJobDefinition => batch_job_definitions(&root, region)?,
        S::StepFunctionsStateMachine => root.items(|item| {
            Ok(resource(
                service,
                region,
                item.str_field("stateMachineArn")?,
                item.opt_str("roleArn")?,
                None,
            ))
        })?,
    };
    resources.sort();
    resources.dedup();
    Ok(Fragment::Inventory {
        account: at.account.to_owned(),
        region: region.to_owned(),
        service,
        resources,
    })
}

/// `ecs-describe-tasks`: a list of `ecs describe-tasks` outputs; only the tasks with ECS Exec
/// enabled, each with its task role override or, failing that, its task definition.
fn ecs_exec_tasks(root: &Node<'_>, region: &str) -> Result<Vec<ComputeResource>> {
    let lists = root.items(|output| {
        output.each("tasks", |task| {
            let exec = task
                .with_field("enableExecuteCommand", |flag| flag.boolean())?
                .unwrap_or(false);
            if !exec {
                return Ok(None);
            }
            let role = task
                .with_field("overrides", |overrides| overrides.opt_str("taskRoleArn"))?
                .flatten();
            let mut found = resource(
                ComputeService::EcsExecTask,
                region,
                task.str_field("taskArn")?,
                role,
                None,
            );
            found.definition = task.opt_str("taskDefinitionArn")?;
            Ok(Some(found))
        })
    })?;
    Ok(lists.into_iter().flatten().flatten().collect())
}

/// `batch-describe-job-definitions`: the output of `batch describe-job-definitions`; one resource
/// per role a definition names (its container's job role, its ECS tasks' task roles, its nodes'
/// job roles). A definition without a role runs as none and is left out.
fn batch_job_definitions(root: &Node<'_>, region: &str) -> Result<Vec<ComputeResource>> {
    let definitions = root.with_required("jobDefinitions", |list| {
        list.items(|definition| {
            let arn = definition.str_field("jobDefinitionArn")?;
            let mut roles: Vec<String> = Vec::new();
            roles.extend(
                definition
                    .with_field("containerProperties", |container| {
                        container.opt_str("jobRoleArn")
                    })?
                    .flatten(),
            );
            roles.extend(task_roles(&definition)?);
            let nodes = definition
                .with_field("nodeProperties", |nodes| {
                    nodes.each("nodeRangeProperties", |range| {
                        let mut roles: Vec<String> = range
                            .with_field("container", |container| container.opt_str("jobRoleArn"))?
                            .flatten()
                            .into_iter()
                            .collect();
                        roles.extend(task_roles(&range)?);
                        Ok(roles)
                    })
                })?
                .unwrap_or_default();
            roles.extend(nodes.into_iter().flatten());
            Ok(roles
                .into_iter()
                .map(|role| {
                    resource(
                        ComputeService::BatchJobDefinition,
                        region,
                        arn.clone(),
                        Some(role),
                        None,
                    )
                })
                .collect::<Vec<_>>())
        })
    })?;
    Ok(definitions.into_iter().flatten().collect())
}

/// The task roles of a Batch job definition's (or node range's) `ecsProperties`.
fn task_roles(parent: &Node<'_>) -> Result<Vec<String>> {
    let roles = parent
        .with_field("ecsProperties", |ecs| {
            ecs.each("taskProperties", |task| task.opt_str("taskRoleArn"))
        })?
        .unwrap_or_default();
    Ok(roles.into_iter().flatten().collect())
}
