//! Every privilege-escalation technique of the graph, table-driven: for each, a positive case,
//! and negatives blocked by an explicit deny, a permissions boundary, an SCP and a wrong resource
//! (iam-semantics.md §5; pathfinding.cloud ids).

use std::collections::{BTreeMap, BTreeSet};

use accessgraph_graph::{Graph, catalog};
use accessgraph_model::{
    Account, ComputeResource, ComputeService, Group, InlinePolicy, ManagedPolicy, OrgAccount,
    OrgPolicy, OrgPolicyKind, Organization, PolicyHash, PolicyVersion, Role, Root, Snapshot,
    SnapshotId, SnapshotMeta, User,
};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
}

/// How a case is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Positive,
    ExplicitDeny,
    Boundary,
    Scp,
    WrongResource,
}

const VARIANTS: [Variant; 5] = [
    Variant::Positive,
    Variant::ExplicitDeny,
    Variant::Boundary,
    Variant::Scp,
    Variant::WrongResource,
];

#[derive(Default)]
struct Builder {
    documents: BTreeMap<PolicyHash, String>,
}

impl Builder {
    fn document(&mut self, statements: Value) -> PolicyHash {
        let (hash, text) = crate::fixture::normalized(statements);
        self.documents.insert(hash.clone(), text);
        hash
    }

    fn role(&mut self, name: &str, trust: Value, attached: Vec<String>) -> Role {
        Role {
            arn: arn("role", name),
            name: name.into(),
            path: "/".into(),
            id: format!("AROA{}", name.to_uppercase()),
            trust_policy: self.document(trust),
            inline_policies: vec![],
            attached_policies: attached,
            permissions_boundary: None,
            instance_profiles: vec![arn("instance-profile", name)],
            tags: vec![],
        }
    }

    fn user(
        &mut self,
        name: &str,
        statements: Option<Value>,
        boundary: Option<String>,
        groups: Vec<String>,
    ) -> User {
        User {
            arn: arn("user", name),
            name: name.into(),
            path: "/".into(),
            id: format!("AIDA{}", name.to_uppercase()),
            groups,
            inline_policies: statements
                .map(|statements| {
                    vec![InlinePolicy {
                        name: "grant".into(),
                        document: self.document(statements),
                    }]
                })
                .unwrap_or_default(),
            attached_policies: vec![],
            permissions_boundary: boundary,
            tags: vec![],
        }
    }

    fn managed(&mut self, name: &str, statements: Value) -> ManagedPolicy {
        ManagedPolicy {
            arn: arn("policy", name),
            name: name.into(),
            path: "/".into(),
            id: format!("ANPA{}", name.to_uppercase()),
            default_version: "v1".into(),
            versions: vec![PolicyVersion {
                version_id: "v1".into(),
                is_default: true,
                document: self.document(statements),
            }],
        }
    }
}

/// The attacker's grant for a variant: the needed statements, plus a deny or a changed resource.
fn grant(variant: Variant, allows: Vec<Value>, first_action: &str, wrong: Vec<Value>) -> Value {
    match variant {
        Variant::WrongResource => Value::Array(wrong),
        Variant::ExplicitDeny => {
            let mut statements = allows;
            statements.push(json!({"Effect": "Deny", "Action": first_action, "Resource": "*"}));
            Value::Array(statements)
        }
        _ => Value::Array(allows),
    }
}

/// A one-account snapshot (in an organization, so SCPs apply) around an attacker user.
fn snapshot(
    builder: Builder,
    variant: Variant,
    first_action: &str,
    mut account: Account,
    attacker_grant: Value,
) -> Snapshot {
    let mut builder = builder;
    let boundary = (variant == Variant::Boundary).then(|| {
        let policy = builder.managed(
            "attacker-boundary",
            json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
        );
        let boundary_arn = policy.arn.clone();
        account.managed_policies.push(policy);
        boundary_arn
    });
    let attacker = builder.user("attacker", Some(attacker_grant), boundary, vec![]);
    account.users.push(attacker);
    account.users.sort_by(|a, b| a.arn.cmp(&b.arn));
    account.roles.sort_by(|a, b| a.arn.cmp(&b.arn));
    account.managed_policies.sort_by(|a, b| a.arn.cmp(&b.arn));
    let full = builder.document(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let mut policies = vec![OrgPolicy {
        id: "p-FullAWSAccess".into(),
        arn: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess".into(),
        name: "FullAWSAccess".into(),
        kind: OrgPolicyKind::Scp,
        aws_managed: true,
        document: full,
        targets: vec![ACCOUNT.into(), "r-test".into()],
    }];
    if variant == Variant::Scp {
        policies.push(OrgPolicy {
            id: "p-denyaction".into(),
            arn: "arn:aws:organizations::999999999999:policy/o-testorg001/service_control_policy/p-denyaction".into(),
            name: "deny".into(),
            kind: OrgPolicyKind::Scp,
            aws_managed: false,
            document: builder.document(json!([{"Effect": "Deny", "Action": first_action, "Resource": "*"}])),
            targets: vec![ACCOUNT.into()],
        });
    }
    let mut snapshot = Snapshot {
        meta: SnapshotMeta {
            id: SnapshotId(0),
            label: None,
            source: "technique fixture".into(),
            collected_at: None,
            ingested_at: String::new(),
            partition: "aws".into(),
            counts: Default::default(),
        },
        organization: Some(Organization {
            id: "o-testorg001".into(),
            arn: String::new(),
            management_account_id: "999999999999".into(),
            feature_set: "ALL".into(),
            roots: vec![Root {
                id: "r-test".into(),
                name: "Root".into(),
                enabled_policy_types: vec!["SERVICE_CONTROL_POLICY".into()],
            }],
            ous: vec![],
            accounts: vec![OrgAccount {
                id: ACCOUNT.into(),
                name: "test".into(),
                email: String::new(),
                status: "ACTIVE".into(),
                parent_id: Some("r-test".into()),
            }],
            policies,
            identity_center: None,
        }),
        accounts: vec![account],
        documents: builder.documents,
        warnings: vec![],
        gaps: vec![],
    };
    snapshot.recount();
    snapshot
}

/// The technique ids of edges from the attacker to `target` (an ARN, or `admin:ACCOUNT`), directly
/// or through an existing-compute helper node, the edges' alternatives included.
fn edge_ids(graph: &Graph, target: &str) -> BTreeSet<String> {
    let Some(attacker) = graph.find(&arn("user", "attacker")) else {
        return BTreeSet::new();
    };
    let is_target =
        |node: accessgraph_graph::NodeId| graph.node(node).is_some_and(|node| node.arn == target);
    let mut ids = BTreeSet::new();
    for (from, to, edge) in graph.edges() {
        if from != attacker {
            continue;
        }
        let through_helper = graph.node(to).is_some_and(|node| {
            matches!(
                node.kind,
                accessgraph_graph::NodeKind::ExistingCompute
                    | accessgraph_graph::NodeKind::NewCompute
            )
        }) && graph
            .edges()
            .any(|(helper, next, _)| helper == to && is_target(next));
        if is_target(to) || through_helper {
            ids.extend(edge.catalog_id.map(str::to_owned));
            // Another technique joining the same two nodes is kept as `TECHNIQUE [ID]`.
            ids.extend(edge.alternatives.iter().filter_map(|label| {
                let (_, id) = label.strip_suffix(']')?.rsplit_once(" [")?;
                Some(id.to_owned())
            }));
        }
    }
    ids
}

fn check(failures: &mut Vec<String>, id: &str, variant: Variant, graph: &Graph, target: &str) {
    let found = edge_ids(graph, target).contains(id);
    let expected = variant == Variant::Positive;
    if found != expected {
        failures.push(format!(
            "{id} {variant:?}: edge to `{target}` {}",
            if found {
                "present, expected none"
            } else {
                "missing"
            }
        ));
    }
}

/// Builds the variant's snapshot and checks the attacker's edge to `target`; `case` is the
/// technique id, the variant and the first action (what the deny and the SCP block).
fn run(
    failures: &mut Vec<String>,
    case: (&str, Variant, &str),
    builder: Builder,
    account: Account,
    grants: (Vec<Value>, Vec<Value>),
    target: &str,
) {
    let (id, variant, first) = case;
    let (allows, wrong) = grants;
    let snapshot = snapshot(
        builder,
        variant,
        first,
        account,
        grant(variant, allows, first, wrong),
    );
    check(failures, id, variant, &Graph::build(&snapshot), target);
}

fn resource_of(service: ComputeService, name: &str) -> (String, ComputeResource) {
    let (arn_text, role_arn, profile) = match service {
        ComputeService::Lambda => (
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::Ec2Instance | ComputeService::SsmManagedInstance => (
            format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{name}"),
            None,
            Some(arn("instance-profile", "target")),
        ),
        ComputeService::Ec2LaunchTemplate => (
            format!("arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{name}"),
            None,
            Some(arn("instance-profile", "target")),
        ),
        ComputeService::CloudFormation => (
            format!("arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::CodeBuild => (
            format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{name}"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::GlueDevEndpoint => (
            format!("arn:aws:glue:{REGION}:{ACCOUNT}:devEndpoint/{name}"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::SageMakerNotebook => (
            format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::AppRunner => (
            format!("arn:aws:apprunner:{REGION}:{ACCOUNT}:service/{name}/1"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::EcsExecTask => (
            format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/cluster/{name}"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::BatchJobDefinition => (
            format!("arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/{name}:1"),
            Some(arn("role", "target")),
            None,
        ),
        ComputeService::StepFunctionsStateMachine => (
            format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"),
            Some(arn("role", "target")),
            None,
        ),
        _ => (name.to_owned(), Some(arn("role", "target")), None),
    };
    let id = match service {
        ComputeService::Ec2Instance
        | ComputeService::SsmManagedInstance
        | ComputeService::Ec2LaunchTemplate
        | ComputeService::GlueDevEndpoint => name.to_owned(),
        _ => arn_text.clone(),
    };
    (
        arn_text,
        ComputeResource {
            service,
            region: REGION.into(),
            id,
            role_arn,
            instance_profile_arn: profile,
            definition: None,
        },
    )
}

/// A trust policy that lets `service` use the role: Amazon Cognito identity pools as their
/// `Federated` principal with `sts:AssumeRoleWithWebIdentity` and the pool the role accepts.
fn trust_of(service: &str) -> Value {
    if service == "cognito-identity.amazonaws.com" {
        json!([{"Effect": "Allow", "Principal": {"Federated": service},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:0f6a7c3e-pool"},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}])
    } else {
        json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])
    }
}

#[test]
fn new_passrole_techniques() {
    let mut failures = Vec::new();
    let techniques: Vec<_> = catalog()
        .into_iter()
        .filter(|technique| technique.family == "new-passrole")
        .collect();
    assert!(
        techniques.len() >= 25,
        "{} new-PassRole techniques",
        techniques.len()
    );
    for technique in &techniques {
        let service = technique.services[0];
        let first = technique.actions[0];
        for variant in VARIANTS {
            let mut builder = Builder::default();
            let target = builder.role("target", trust_of(service), vec![]);
            let allows = vec![
                json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "target")}),
                json!({"Effect": "Allow", "Action": technique.actions, "Resource": "*"}),
            ];
            let wrong = vec![
                json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "other")}),
                json!({"Effect": "Allow", "Action": technique.actions, "Resource": "*"}),
            ];
            let account = Account {
                id: ACCOUNT.into(),
                roles: vec![target],
                ..Account::default()
            };
            run(
                &mut failures,
                (technique.id, variant, first),
                builder,
                account,
                (allows, wrong),
                &arn("role", "target"),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Statements that allow each action on every resource of the types AWS also authorizes it
/// against besides the one `resource_arn` is of (an ECS task's cluster), so that a case is
/// decided by `resource_arn` alone.
fn other_required_types(actions: &[&str], resource_arn: &str) -> Vec<Value> {
    use accessgraph_catalog::Catalog;
    actions
        .iter()
        .filter_map(|action| {
            if resource_arn == "*" {
                return None;
            }
            let patterns: Vec<String> = Catalog::embedded()
                .resources_of(action)
                .into_iter()
                .filter(|(_, format, required)| {
                    *required && !Catalog::fits_format(resource_arn, format)
                })
                .map(|(_, format, _)| {
                    let mut pattern = String::new();
                    let mut rest = format;
                    while let Some((head, tail)) = rest.split_once("${") {
                        pattern.push_str(head);
                        pattern.push('*');
                        rest = tail.split_once('}').map_or("", |(_, after)| after);
                    }
                    pattern.push_str(rest);
                    pattern
                })
                .collect();
            (!patterns.is_empty())
                .then(|| json!({"Effect": "Allow", "Action": action, "Resource": patterns}))
        })
        .collect()
}

#[test]
fn existing_resource_techniques() {
    let mut failures = Vec::new();
    let techniques: Vec<_> = catalog()
        .into_iter()
        .filter(|technique| technique.family == "existing-passrole")
        .collect();
    assert!(
        techniques.len() >= 16,
        "{} existing-resource techniques",
        techniques.len()
    );
    for technique in &techniques {
        let service = technique.services[0];
        let first = technique.actions[0];
        let inventory = technique.inventory;
        for variant in VARIANTS {
            let mut builder = Builder::default();
            let target = builder.role("target", json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]), vec![]);
            let mut account = Account {
                id: ACCOUNT.into(),
                roles: vec![target],
                ..Account::default()
            };
            let resource_arn = match inventory {
                Some(compute) => {
                    let (resource_arn, resource) = resource_of(compute, "victim");
                    if compute == ComputeService::SsmManagedInstance {
                        account
                            .compute
                            .push(resource_of(ComputeService::Ec2Instance, "victim").1);
                    }
                    account.compute.push(resource);
                    account.inventory_coverage.insert((compute, REGION.into()));
                    // The only region collected: the inventory is all there is.
                    account.regions = Some(vec![REGION.into()]);
                    resource_arn
                }
                None => "*".to_owned(),
            };
            // Actions that apply to no resource type (`lambda:CreateEventSourceMapping`) are
            // allowed on `*`, as AWS requires; the others on the resource.
            let (typed, untyped): (Vec<&str>, Vec<&str>) =
                technique.actions.iter().partition(|action| {
                    !accessgraph_catalog::Catalog::embedded()
                        .resources_of(action)
                        .is_empty()
                });
            let mut others = other_required_types(&technique.actions, &resource_arn);
            if !untyped.is_empty() {
                others.push(json!({"Effect": "Allow", "Action": untyped, "Resource": "*"}));
            }
            let mut allows =
                vec![json!({"Effect": "Allow", "Action": typed, "Resource": resource_arn})];
            allows.extend(others.iter().cloned());
            // Without an inventory, an existing resource of any name may exist: a wrong
            // resource is one of another kind.
            let wrong_resource = if resource_arn == "*" {
                "arn:aws:s3:::unrelated-bucket".to_owned()
            } else {
                format!("{resource_arn}-other")
            };
            let mut wrong =
                vec![json!({"Effect": "Allow", "Action": typed, "Resource": wrong_resource})];
            wrong.extend(others);
            run(
                &mut failures,
                (technique.id, variant, first),
                builder,
                account,
                (allows, wrong),
                &arn("role", "target"),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An inventory is all there is only where it was collected (issue 22): with a Lambda inventory
/// of `us-east-1` listing no function, an attacker allowed to update and invoke any function
/// reaches a role Lambda may run as, conditionally, unless the snapshot says `us-east-1` is the
/// only region collected.
#[test]
fn an_inventory_of_some_regions_keeps_the_others_conditional() {
    let reaches = |regions: Option<Vec<&str>>| {
        let mut builder = Builder::default();
        let target = builder.role("target", json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]), vec![]);
        let mut account = Account {
            id: ACCOUNT.into(),
            roles: vec![target],
            ..Account::default()
        };
        account
            .inventory_coverage
            .insert((ComputeService::Lambda, REGION.into()));
        account.regions = regions.map(|regions| regions.into_iter().map(str::to_owned).collect());
        let grant = json!([{"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"], "Resource": "*"}]);
        let snapshot = snapshot(
            builder,
            Variant::Positive,
            "lambda:UpdateFunctionCode",
            account,
            grant,
        );
        let graph = Graph::build(&snapshot);
        let found = edge_ids(&graph, &arn("role", "target")).contains("lambda-004");
        let requirement = graph
            .edges()
            .filter(|(_, to, _)| {
                graph
                    .node(*to)
                    .is_some_and(|node| node.arn == arn("role", "target"))
            })
            .flat_map(|(_, _, edge)| edge.requirements.to_vec())
            .find(|requirement| requirement.contains("Lambda function"));
        (found, requirement)
    };
    let (found, requirement) = reaches(None);
    assert!(found, "regions not said: other regions may run functions");
    assert!(
        requirement
            .unwrap_or_default()
            .contains("in a region the snapshot's inventory does not cover"),
    );
    assert!(
        !reaches(Some(vec![REGION])).0,
        "every collected region is covered"
    );
    assert!(
        reaches(Some(vec![REGION, "eu-west-1"])).0,
        "eu-west-1 was collected without a Lambda inventory"
    );
}

/// An ECS task runs as its role override or else as its task definition's task role; a task
/// whose definition the inventory does not list may run as any role ECS tasks may use, so ECS
/// Exec into it reaches them conditionally (issue 22, ecs-006).
#[test]
fn an_ecs_task_runs_as_its_override_or_its_task_definition_role() {
    let task_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/cluster/0123");
    let definition_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/worker:3");
    // (task's override, definitions listed) -> (reaches `target` exactly, reaches it at all)
    let reaches = |role_override: Option<&str>, listed: &[(&str, &str)]| {
        let mut builder = Builder::default();
        let trust = trust_of("ecs-tasks.amazonaws.com");
        let mut account = Account {
            id: ACCOUNT.into(),
            roles: vec![
                builder.role("target", trust.clone(), vec![]),
                builder.role("other", trust, vec![]),
            ],
            ..Account::default()
        };
        account.compute.push(ComputeResource {
            service: ComputeService::EcsExecTask,
            region: REGION.into(),
            id: task_arn.clone(),
            role_arn: role_override.map(|name| arn("role", name)),
            instance_profile_arn: None,
            definition: Some(definition_arn.clone()),
        });
        for (definition, role) in listed {
            account.compute.push(ComputeResource {
                service: ComputeService::EcsTaskDefinition,
                region: REGION.into(),
                id: (*definition).to_owned(),
                role_arn: Some(arn("role", role)),
                instance_profile_arn: None,
                definition: None,
            });
        }
        account.inventory_coverage.extend([
            (ComputeService::EcsExecTask, REGION.to_owned()),
            (ComputeService::EcsTaskDefinition, REGION.to_owned()),
        ]);
        account.regions = Some(vec![REGION.into()]);
        // ECS Exec is authorized on the task and on its cluster.
        let cluster_arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/cluster");
        let grant = json!([{"Effect": "Allow", "Action": ["ecs:ExecuteCommand", "ecs:DescribeTasks"], "Resource": [task_arn, cluster_arn]}]);
        let snapshot = snapshot(
            builder,
            Variant::Positive,
            "ecs:ExecuteCommand",
            account,
            grant,
        );
        let graph = Graph::build(&snapshot);
        let attacker = graph.find(&arn("user", "attacker"));
        let exact = graph.edges().any(|(from, to, edge)| {
            Some(from) == attacker
                && graph
                    .node(to)
                    .is_some_and(|node| node.arn == arn("role", "target"))
                && edge.catalog_id == Some("ecs-006")
        });
        (
            exact,
            edge_ids(&graph, &arn("role", "target")).contains("ecs-006"),
        )
    };
    let listed = [(definition_arn.as_str(), "target")];
    assert_eq!(
        reaches(None, &listed),
        (true, true),
        "the definition's role"
    );
    assert_eq!(
        reaches(Some("other"), &listed),
        (false, false),
        "the override wins"
    );
    assert_eq!(
        reaches(Some("target"), &[]),
        (true, true),
        "an override alone"
    );
    assert_eq!(
        reaches(None, &[]),
        (false, true),
        "an unlisted definition: any role ECS tasks may use, conditionally"
    );
    assert_eq!(
        reaches(None, &[(definition_arn.as_str(), "other")]),
        (false, false),
        "the definition runs as another role"
    );
}

/// An IAM technique case: the attacker's needed statements on `target`, with the trust of the
/// target role naming the attacker (`assumable`) or not.
struct IamCase {
    id: &'static str,
    actions: &'static [(&'static str, &'static str)],
    edge_to: &'static str,
    assumable: bool,
}

const IAM_CASES: &[IamCase] = &[
    IamCase {
        id: "iam-002",
        actions: &[("iam:CreateAccessKey", "user/victim")],
        edge_to: "user/victim",
        assumable: false,
    },
    IamCase {
        id: "iam-003",
        actions: &[
            ("iam:CreateAccessKey", "user/victim"),
            ("iam:DeleteAccessKey", "user/victim"),
        ],
        edge_to: "user/victim",
        assumable: false,
    },
    IamCase {
        id: "iam-004",
        actions: &[("iam:CreateLoginProfile", "user/victim")],
        edge_to: "user/victim",
        assumable: false,
    },
    IamCase {
        id: "iam-006",
        actions: &[("iam:UpdateLoginProfile", "user/victim")],
        edge_to: "user/victim",
        assumable: false,
    },
    IamCase {
        id: "iam-012",
        actions: &[("iam:UpdateAssumeRolePolicy", "role/target")],
        edge_to: "role/target",
        assumable: false,
    },
    IamCase {
        id: "iam-013",
        actions: &[("iam:AddUserToGroup", "group/admins")],
        edge_to: "group/admins",
        assumable: false,
    },
    IamCase {
        id: "iam-014",
        actions: &[("iam:AttachRolePolicy", "role/target")],
        edge_to: "admin",
        assumable: true,
    },
    IamCase {
        id: "iam-015",
        actions: &[
            ("iam:AttachUserPolicy", "user/victim"),
            ("iam:CreateAccessKey", "user/victim"),
        ],
        edge_to: "admin",
        assumable: false,
    },
    IamCase {
        id: "iam-016",
        actions: &[("iam:CreatePolicyVersion", "policy/target-policy")],
        edge_to: "admin",
        assumable: true,
    },
    IamCase {
        id: "iam-017",
        actions: &[("iam:PutRolePolicy", "role/target")],
        edge_to: "admin",
        assumable: true,
    },
    IamCase {
        id: "iam-018",
        actions: &[
            ("iam:PutUserPolicy", "user/victim"),
            ("iam:CreateAccessKey", "user/victim"),
        ],
        edge_to: "admin",
        assumable: false,
    },
    IamCase {
        id: "iam-019",
        actions: &[
            ("iam:AttachRolePolicy", "role/target"),
            ("iam:UpdateAssumeRolePolicy", "role/target"),
        ],
        edge_to: "admin",
        assumable: false,
    },
    IamCase {
        id: "iam-020",
        actions: &[
            ("iam:CreatePolicyVersion", "policy/target-policy"),
            ("iam:UpdateAssumeRolePolicy", "role/target"),
        ],
        edge_to: "admin",
        assumable: false,
    },
    IamCase {
        id: "iam-021",
        actions: &[
            ("iam:PutRolePolicy", "role/target"),
            ("iam:UpdateAssumeRolePolicy", "role/target"),
        ],
        edge_to: "admin",
        assumable: false,
    },
];

#[test]
fn iam_techniques() {
    let mut failures = Vec::new();
    let listed: BTreeSet<&str> = catalog().iter().map(|technique| technique.id).collect();
    for case in IAM_CASES {
        assert!(listed.contains(case.id), "{} is in the catalog", case.id);
        let first = case.actions[0].0;
        for variant in VARIANTS {
            let mut builder = Builder::default();
            let trust = if case.assumable {
                json!([{"Effect": "Allow", "Principal": {"AWS": arn("user", "attacker")}, "Action": "sts:AssumeRole"}])
            } else {
                json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])
            };
            let target_policy = builder.managed(
                "target-policy",
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
            );
            let target = builder.role("target", trust, vec![target_policy.arn.clone()]);
            let admin_policy = builder.managed(
                "admin-policy",
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            );
            let victim = builder.user("victim", None, None, vec![]);
            let group = Group {
                arn: arn("group", "admins"),
                name: "admins".into(),
                path: "/".into(),
                id: "AGPAADMINS".into(),
                inline_policies: vec![],
                attached_policies: vec![admin_policy.arn.clone()],
            };
            let member = builder.user("member", None, None, vec!["admins".into()]);
            let account = Account {
                id: ACCOUNT.into(),
                roles: vec![target],
                users: vec![victim, member],
                groups: vec![group],
                managed_policies: vec![target_policy, admin_policy],
                ..Account::default()
            };
            let allows: Vec<Value> = case
                .actions
                .iter()
                .map(|(action, resource)| json!({"Effect": "Allow", "Action": action, "Resource": format!("arn:aws:iam::{ACCOUNT}:{resource}")}))
                .collect();
            let wrong: Vec<Value> = case
                .actions
                .iter()
                .map(|(action, resource)| json!({"Effect": "Allow", "Action": action, "Resource": format!("arn:aws:iam::{ACCOUNT}:{resource}-other")}))
                .collect();
            let target = if case.edge_to == "admin" {
                format!("admin:{ACCOUNT}")
            } else {
                arn(
                    case.edge_to.split('/').next().unwrap_or_default(),
                    case.edge_to.split('/').nth(1).unwrap_or_default(),
                )
            };
            run(
                &mut failures,
                (case.id, variant, first),
                builder,
                account,
                (allows, wrong),
                &target,
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Changes to a role chained with a way to run code as it (issue 22, beyond the catalog):
/// `ag-iam-001`, PassRole to EC2 + `iam:PutRolePolicy` on the same role (which the attacker
/// cannot assume) makes it an administrator; `ag-iam-002`, `iam:UpdateAssumeRolePolicy` on a role
/// the attacker may not assume even after the rewrite (it is denied `sts:AssumeRole`) + PassRole
/// to EC2 reaches the role, which trusted no service before.
#[test]
fn role_changes_chained_with_a_passed_role() {
    let mut failures = Vec::new();
    let role_arn = arn("role", "target");
    let cases: [(&str, &str, Value, &str); 2] = [
        (
            "ag-iam-001",
            "iam:PutRolePolicy",
            trust_of("ec2.amazonaws.com"),
            "admin",
        ),
        (
            "ag-iam-002",
            "iam:UpdateAssumeRolePolicy",
            json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]),
            "role",
        ),
    ];
    for (id, change, trust, gains) in cases {
        for variant in VARIANTS {
            let mut builder = Builder::default();
            let target = builder.role("target", trust.clone(), vec![]);
            let account = Account {
                id: ACCOUNT.into(),
                roles: vec![target],
                ..Account::default()
            };
            let grants = |on: &str| {
                vec![
                    json!({"Effect": "Allow", "Action": [change, "iam:PassRole"], "Resource": on}),
                    json!({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}),
                    json!({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}),
                ]
            };
            let target = if gains == "admin" {
                format!("admin:{ACCOUNT}")
            } else {
                role_arn.clone()
            };
            run(
                &mut failures,
                (id, variant, change),
                builder,
                account,
                (grants(&role_arn), grants(&format!("{role_arn}-other"))),
                &target,
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A step is authorized on every resource type AWS requires for it (issue 22, item 5;
/// iam-semantics.md §5.2): a deny of `ec2:RunInstances` on instances alone refuses every launch,
/// so the attacker allowed to pass any role and run instances on `*` reaches no role by EC2;
/// a deny on another kind of resource (a volume, which `RunInstances` may use but does not
/// require) leaves the path.
#[test]
fn a_deny_on_one_required_resource_type_refuses_the_step() {
    let reaches = |denied: &str| {
        let mut builder = Builder::default();
        let target = builder.role("target", trust_of("ec2.amazonaws.com"), vec![]);
        let account = Account {
            id: ACCOUNT.into(),
            roles: vec![target],
            ..Account::default()
        };
        let grant = json!([
            {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:RunInstances", "Resource": denied},
        ]);
        let snapshot = snapshot(
            builder,
            Variant::Positive,
            "ec2:RunInstances",
            account,
            grant,
        );
        edge_ids(&Graph::build(&snapshot), &arn("role", "target")).contains("ec2-001")
    };
    assert!(!reaches("arn:aws:ec2:*:*:instance/*"), "instances denied");
    assert!(!reaches("arn:aws:ec2:*:*:subnet/*"), "subnets denied");
    assert!(reaches("arn:aws:ec2:*:*:volume/*"), "a type not required");
}

/// The ids of a pathfinding.cloud catalog directory (its `id:` lines), when the project reference
/// is present beside the repository (a user's clone has none).
fn catalog_ids(relative: &str) -> Option<Vec<String>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let services = std::fs::read_dir(&root).ok()?;
    let mut ids = Vec::new();
    for service in services.flatten() {
        for file in std::fs::read_dir(service.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(file.path()).unwrap_or_default();
            if let Some(id) = text.lines().find_map(|line| line.strip_prefix("id: ")) {
                ids.push(id.trim().trim_matches(['"', '\'']).to_owned());
            }
        }
    }
    ids.sort();
    Some(ids)
}

/// Methods public tools model beyond the catalog, under accessgraph's own ids (issue 22), each
/// checked by the table-driven tests above like every technique of its category.
const BEYOND_THE_CATALOG: &[&str] = &[
    "ag-amplify-001",
    "ag-iam-001",
    "ag-iam-002",
    "ag-autoscaling-001",
    "ag-codebuild-001",
    "ag-codebuild-002",
    "ag-ec2-001",
    "ag-lambda-001",
    "ag-ssm-001",
];

#[test]
fn detects_the_methods_beyond_the_catalog() {
    let known: BTreeSet<&str> = catalog().iter().map(|technique| technique.id).collect();
    let missing: Vec<&&str> = BEYOND_THE_CATALOG
        .iter()
        .filter(|id| !known.contains(**id))
        .collect();
    assert!(missing.is_empty(), "not detected: {missing:?}");
}

/// Every path of the pathfinding.cloud catalog is detected: the 65 of 2025 and the 27 added in
/// 2026 (issue 22).
#[test]
fn covers_the_pathfinding_catalog() {
    let known: BTreeSet<&str> = catalog().iter().map(|technique| technique.id).collect();
    if let Some(ids) = catalog_ids("../../shared/reference/pathfinding.cloud/data/paths") {
        assert_eq!(ids.len(), 65, "the 2025 catalog has 65 paths");
        let missing: Vec<&String> = ids
            .iter()
            .filter(|id| !known.contains(id.as_str()))
            .collect();
        assert!(missing.is_empty(), "not detected: {missing:?}");
    }
    if let Some(ids) = catalog_ids("../../shared/reference/pathfinding.cloud-2026/data/paths/aws") {
        assert_eq!(ids.len(), 27, "the 2026 catalog adds 27 paths");
        let missing: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| !known.contains(id))
            .collect();
        assert!(missing.is_empty(), "paths not detected: {missing:?}");
    }
}

/// `docs/edges.md` lists every technique the graph detects, in a table generated from the
/// catalog (so no technique is listed that the graph does not detect); `UPDATE_GOLDEN=1`
/// rewrites it.
#[test]
fn the_technique_table_is_generated_from_the_catalog() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/edges.md");
    let doc = std::fs::read_to_string(&path).expect("docs/edges.md");
    let (begin, end) = ("<!-- techniques:begin -->\n", "<!-- techniques:end -->");
    let start = doc.find(begin).expect("the table's start marker") + begin.len();
    let stop = doc.find(end).expect("the table's end marker");
    let mut table = String::from(
        "| Id | Family | What | Permissions | Service the role trusts | Gains / requires |\n\
         |---|---|---|---|---|---|\n",
    );
    for technique in catalog() {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            technique.id,
            technique.family,
            technique.name.unwrap_or("-"),
            technique.permissions,
            if technique.services.is_empty() {
                "-".to_owned()
            } else {
                technique.services.join(" or ")
            },
            technique.note
        ));
    }
    let generated = format!("{}{table}{}", &doc[..start], &doc[stop..]);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, generated).unwrap();
    } else {
        assert!(
            doc == generated,
            "docs/edges.md's technique table differs from the catalog; run with UPDATE_GOLDEN=1"
        );
    }
}

#[test]
fn set_default_policy_version() {
    let id = "iam:SetDefaultPolicyVersion (PMapper)";
    let mut failures = Vec::new();
    for variant in VARIANTS {
        let mut builder = Builder::default();
        let mut policy = builder.managed(
            "self-service",
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
        );
        policy.versions.push(PolicyVersion {
            version_id: "v0".into(),
            is_default: false,
            document: builder
                .document(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
        });
        let policy_arn = policy.arn.clone();
        let account = Account {
            id: ACCOUNT.into(),
            managed_policies: vec![policy],
            ..Account::default()
        };
        let allows = vec![
            json!({"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": policy_arn.clone()}),
        ];
        let wrong = vec![
            json!({"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": format!("{policy_arn}-other")}),
        ];
        let mut snapshot = snapshot(
            builder,
            variant,
            "iam:SetDefaultPolicyVersion",
            account,
            grant(variant, allows, "iam:SetDefaultPolicyVersion", wrong),
        );
        for user in &mut snapshot.accounts[0].users {
            if user.name == "attacker" {
                user.attached_policies.push(policy_arn.clone());
            }
        }
        check(
            &mut failures,
            id,
            variant,
            &Graph::build(&snapshot),
            &format!("admin:{ACCOUNT}"),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
