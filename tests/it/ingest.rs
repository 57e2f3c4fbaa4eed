//! Ingesting snapshots: every file kind of the layout, both document encodings, and the round
//! trip through the store.

use std::path::{Path, PathBuf};

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_model::{ComputeService, OrgPolicyKind, PolicyHash, ResourcePolicyKind, Snapshot};
use accessgraph_store::Store;

pub(crate) fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn example_org() -> Snapshot {
    ingest(&data("../examples/org"), &IngestOptions::default())
        .expect("the example org ingests")
        .snapshot
}

#[test]
fn example_org_counts() {
    let snapshot = example_org();
    let counts = &snapshot.meta.counts;
    assert_eq!(
        (
            counts.accounts,
            counts.ous,
            counts.users,
            counts.groups,
            counts.roles
        ),
        (6, 4, 8, 3, 25)
    );
    assert_eq!(
        (
            counts.scps,
            counts.rcps,
            counts.resource_policies,
            counts.compute_resources
        ),
        (4, 0, 7, 3)
    );
    assert_eq!(
        snapshot.meta.collected_at.as_deref(),
        Some("2026-11-20T06:00:00Z")
    );
    let organization = snapshot.organization.as_ref().expect("organization");
    assert_eq!(organization.management_account_id, "111111111111");
    assert_eq!(
        organization.chain("555555555555"),
        Some(vec![
            "r-a1b2".to_owned(),
            "ou-a1b2-dev00001".to_owned(),
            "555555555555".to_owned()
        ])
    );
    let sandbox_scp = organization
        .policies
        .iter()
        .find(|policy| policy.id == "p-sandboxiam1")
        .expect("scp");
    assert_eq!(sandbox_scp.kind, OrgPolicyKind::Scp);
    assert_eq!(sandbox_scp.targets, ["ou-a1b2-sbx00001"]);
    assert!(snapshot.documents.contains_key(&sandbox_scp.document));
    assert_eq!(
        snapshot.warnings.len(),
        1,
        "the unprovisioned Identity Center assignment is reported: {:?}",
        snapshot.warnings
    );
    assert!(snapshot.warnings.iter().any(|warning| warning.contains(
        "permission set `DeveloperAccess` is assigned in account 555555555555 but no role"
    )));
    let center = organization
        .identity_center
        .as_ref()
        .expect("identity center");
    assert_eq!(center.instances.len(), 1);
    assert_eq!(center.permission_sets.len(), 2);
    assert_eq!(center.assignments.len(), 2);
    assert_eq!(center.users.len(), 3);
    assert_eq!(center.groups.len(), 2);
    assert_eq!(center.memberships.len(), 3);
    assert_eq!(center.users[0].display_name.as_deref(), Some("Jane Doe"));
    let prod_a = snapshot.account("333333333333").expect("prod-a");
    let acls: Vec<(&str, usize, Option<&str>)> = prod_a
        .bucket_acls
        .iter()
        .map(|acl| {
            (
                acl.bucket.as_str(),
                acl.grants.len(),
                acl.ownership.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        acls,
        [
            ("acme-prod-a-reports", 3, Some("BucketOwnerPreferred")),
            ("acme-prod-a-static", 2, Some("BucketOwnerEnforced"))
        ]
    );
    assert!(
        prod_a.bucket_acls[1]
            .grants
            .iter()
            .any(
                |grant| grant.grantee == accessgraph_model::AclGrantee::AllUsers
                    && grant.permission == "READ"
            )
    );
}

#[test]
fn url_encoded_and_object_documents_normalize_to_the_same_hash() {
    let snapshot = example_org();
    let admin_of = |account: &str| {
        let account = snapshot.account(account).expect("account");
        let policy = account
            .managed_policies
            .iter()
            .find(|policy| policy.arn == "arn:aws:iam::aws:policy/AdministratorAccess")
            .expect("AdministratorAccess listed");
        policy.default_document().cloned().expect("default version")
    };
    // The sandbox file holds URL-encoded documents, the dev file JSON objects.
    assert_eq!(admin_of("666666666666"), admin_of("555555555555"));
    let sandbox = snapshot.account("666666666666").expect("sandbox");
    let trust = &sandbox
        .roles
        .iter()
        .find(|role| role.name == "sandbox-admin")
        .expect("role")
        .trust_policy;
    let text = &snapshot.documents[trust];
    assert!(
        text.contains("\"arn:aws:iam::555555555555:root\""),
        "{text}"
    );
}

#[test]
fn every_iam_and_resource_file_kind() {
    let snapshot = example_org();
    let dev = snapshot.account("555555555555").expect("dev");
    let carol = dev
        .users
        .iter()
        .find(|user| user.name == "carol")
        .expect("carol");
    assert_eq!(carol.groups, ["Developers"]);
    assert_eq!(carol.inline_policies.len(), 1);
    let eve = dev
        .users
        .iter()
        .find(|user| user.name == "eve-contractor")
        .expect("eve");
    assert_eq!(eve.path, "/contractors/");
    assert_eq!(
        eve.permissions_boundary.as_deref(),
        Some("arn:aws:iam::555555555555:policy/dev-boundary")
    );
    let shared = dev
        .managed_policies
        .iter()
        .find(|policy| policy.name == "dev-shared")
        .expect("dev-shared");
    assert_eq!(shared.default_version, "v2");
    assert_eq!(shared.versions.len(), 2, "every version is kept");
    assert!(
        dev.roles.iter().any(|role| role.instance_profiles
            == ["arn:aws:iam::555555555555:instance-profile/ec2-admin"])
    );
    let management = snapshot.account("111111111111").expect("management");
    assert_eq!(management.saml_providers.len(), 1);
    assert!(management.roles.iter().any(|role| role.is_service_linked()));
    let prod_a = snapshot.account("333333333333").expect("prod A");
    assert_eq!(
        prod_a.oidc_providers[0].arn,
        "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"
    );
    assert!(prod_a.s3_canonical_id.is_some());
    let appsync = snapshot.account("444444444444").expect("appsync");
    let endpoint = appsync.vpc_endpoints.first().expect("a VPC endpoint");
    assert_eq!(endpoint.id, "vpce-0a1b2c3d4e5f60718");
    assert_eq!(endpoint.region, "us-east-1");
    assert!(
        endpoint.policy.is_some(),
        "its policy, a JSON string, is parsed"
    );
    let kinds = |account: &str| -> Vec<(ResourcePolicyKind, String)> {
        snapshot
            .account(account)
            .expect("account")
            .resource_policies
            .iter()
            .map(|policy| (policy.kind, policy.arn.clone()))
            .collect()
    };
    assert_eq!(
        kinds("222222222222"),
        [
            (
                ResourcePolicyKind::KmsKey,
                "arn:aws:kms:us-east-1:222222222222:key/0c7b4f1e-8d2a-4b6c-9e3f-5a1d7c2b8e40"
                    .to_owned()
            ),
            (
                ResourcePolicyKind::S3Bucket,
                "arn:aws:s3:::acme-security-logs".to_owned()
            ),
        ]
    );
    assert_eq!(
        kinds("333333333333"),
        [
            (
                ResourcePolicyKind::ApiGateway,
                "arn:aws:execute-api:us-east-1:333333333333:a1b2c3d4e5".to_owned()
            ),
            (
                ResourcePolicyKind::LambdaFunction,
                "arn:aws:lambda:us-east-1:333333333333:function:orders-api".to_owned()
            )
        ]
    );
    assert_eq!(
        kinds("444444444444"),
        [
            (
                ResourcePolicyKind::Secret,
                "arn:aws:secretsmanager:us-east-1:444444444444:secret:appsync-api-key-Ab3dE9"
                    .to_owned()
            ),
            (
                ResourcePolicyKind::SnsTopic,
                "arn:aws:sns:us-east-1:444444444444:order-alerts".to_owned()
            ),
            (
                ResourcePolicyKind::SqsQueue,
                "arn:aws:sqs:us-east-1:444444444444:order-events".to_owned()
            ),
        ]
    );
    let coverage: Vec<ComputeService> = prod_a
        .inventory_coverage
        .iter()
        .map(|(service, _)| *service)
        .collect();
    assert_eq!(
        coverage,
        [
            ComputeService::Lambda,
            ComputeService::Ec2Instance,
            ComputeService::SsmManagedInstance
        ]
    );
    let lambda = prod_a
        .compute
        .iter()
        .find(|resource| resource.service == ComputeService::Lambda)
        .expect("function");
    assert_eq!(
        lambda.role_arn.as_deref(),
        Some("arn:aws:iam::333333333333:role/orders-lambda")
    );
    // An empty inventory file is authoritative: the service is covered and runs nothing.
    let dev_coverage = &snapshot
        .account("555555555555")
        .expect("dev")
        .inventory_coverage;
    assert!(dev_coverage.contains(&(ComputeService::Lambda, "us-east-1".to_owned())));
}

#[test]
fn pages_inventory_and_unknown_files() {
    let snapshot = ingest(
        &data("data/snapshots/inventory-and-pages"),
        &IngestOptions::default(),
    )
    .expect("ingests")
    .snapshot;
    let account = snapshot.account("123456789012").expect("account");
    let roles: Vec<&str> = account
        .roles
        .iter()
        .map(|role| role.name.as_str())
        .collect();
    assert_eq!(
        roles,
        ["build", "glue-etl", "notebook", "stacks", "web"],
        "pages merge, repeated entities once"
    );
    let found: Vec<(ComputeService, &str, Option<&str>, Option<&str>)> = account
        .compute
        .iter()
        .map(|resource| {
            (
                resource.service,
                resource.id.as_str(),
                resource.role_arn.as_deref(),
                resource.instance_profile_arn.as_deref(),
            )
        })
        .collect();
    let role = |name: &str| format!("arn:aws:iam::123456789012:role/{name}");
    assert_eq!(found.len(), 16);
    assert!(found.contains(&(
        ComputeService::Ec2LaunchTemplate,
        "lt-0abc123def4567890",
        None,
        Some("arn:aws:iam::123456789012:instance-profile/web")
    )));
    assert!(found.contains(&(
        ComputeService::CodeBuild,
        "arn:aws:codebuild:us-west-2:123456789012:project/api",
        Some(&role("build")),
        None
    )));
    assert!(found.contains(&(
        ComputeService::GlueDevEndpoint,
        "explore",
        Some(&role("glue-etl")),
        None
    )));
    assert!(found.contains(&(
        ComputeService::GlueJob,
        "nightly",
        Some(&role("glue-etl")),
        None
    )));
    assert!(found.contains(&(
        ComputeService::SageMakerNotebook,
        "arn:aws:sagemaker:us-west-2:123456789012:notebook-instance/research",
        Some(&role("notebook")),
        None
    )));
    assert!(found.contains(&(
        ComputeService::EcsCluster,
        "arn:aws:ecs:us-west-2:123456789012:cluster/default",
        None,
        None
    )));
    assert!(found.contains(&(
        ComputeService::AppRunner,
        "arn:aws:apprunner:us-west-2:123456789012:service/web/0123456789abcdef",
        Some(&role("web")),
        None
    )));
    // Task definitions with their task role; only the tasks with ECS Exec enabled, each with its
    // role override or its task definition; one Batch entry per role a job definition names; a
    // state machine's role.
    assert!(found.contains(&(
        ComputeService::EcsTaskDefinition,
        "arn:aws:ecs:us-west-2:123456789012:task-definition/worker:3",
        Some(&role("worker-task")),
        None
    )));
    let tasks: Vec<(Option<&str>, Option<&str>)> = account
        .compute
        .iter()
        .filter(|resource| resource.service == ComputeService::EcsExecTask)
        .map(|task| (task.role_arn.as_deref(), task.definition.as_deref()))
        .collect();
    let worker = Some("arn:aws:ecs:us-west-2:123456789012:task-definition/worker:3");
    assert_eq!(
        tasks,
        [
            (None, worker),
            (Some(role("batch-override").as_str()), worker)
        ]
    );
    let batch: Vec<(&str, Option<&str>)> = account
        .compute
        .iter()
        .filter(|resource| resource.service == ComputeService::BatchJobDefinition)
        .map(|definition| (definition.id.as_str(), definition.role_arn.as_deref()))
        .collect();
    assert_eq!(
        batch,
        [
            (
                "arn:aws:batch:us-west-2:123456789012:job-definition/mpi:1",
                Some(role("mpi-node").as_str())
            ),
            (
                "arn:aws:batch:us-west-2:123456789012:job-definition/nightly:2",
                Some(role("nightly-job").as_str())
            ),
        ]
    );
    assert!(found.contains(&(
        ComputeService::StepFunctionsStateMachine,
        "arn:aws:states:us-west-2:123456789012:stateMachine:orders",
        Some(&role("orders-flow")),
        None
    )));
    assert!(
        found.iter().any(
            |(service, _, role_arn, _)| *service == ComputeService::CloudFormation
                && role_arn.is_none()
        ),
        "a stack without a role"
    );
    assert_eq!(
        snapshot.warnings,
        ["NOTES.txt: not at a path of the snapshot layout and not a JSON object; skipped"]
    );
}

#[test]
fn a_single_authorization_file_is_a_standalone_account() {
    let file =
        data("../examples/org/accounts/555555555555/iam/get-account-authorization-details.json");
    let snapshot = ingest(&file, &IngestOptions::default())
        .expect("ingests")
        .snapshot;
    assert!(snapshot.organization.is_none());
    assert_eq!(snapshot.accounts.len(), 1);
    assert_eq!(
        snapshot.accounts[0].id, "555555555555",
        "the account id comes from the ARNs"
    );
}

#[test]
fn ingest_is_deterministic() {
    assert_eq!(example_org(), example_org());
}

#[test]
fn round_trip_through_the_store() {
    let original = example_org();
    let dir = tempfile::tempdir().expect("tempdir");
    let meta = Store::open(dir.path())
        .expect("open")
        .put(&original)
        .expect("put");
    let reopened = Store::open(dir.path()).expect("reopen");
    let loaded = reopened.load(meta.id).expect("load");
    assert_eq!(loaded.accounts, original.accounts);
    assert_eq!(loaded.organization, original.organization);
    assert_eq!(loaded.documents, original.documents);
    assert_eq!(loaded.warnings, original.warnings);
    assert_eq!(loaded.meta.counts, original.meta.counts);
    for (hash, text) in &loaded.documents {
        assert_eq!(
            &PolicyHash::of(text),
            hash,
            "documents keep their content hash"
        );
    }
}

/// An API Gateway file whose `policy` is escaped once (not twice, as API Gateway prints it) is
/// read too, and the `execute-api:/` shorthand becomes the API's ARN.
#[test]
fn api_gateway_policies_in_both_encodings() {
    let dir = crate::cli::tempdir().join("snapshot");
    let api_dir = dir.join("accounts/123456789012/us-east-1/apigateway");
    std::fs::create_dir_all(&api_dir).unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}"#;
    let file = serde_json::json!({"id": "abc123", "name": "public", "policy": policy});
    std::fs::write(api_dir.join("abc123.json"), file.to_string()).unwrap();
    let snapshot = ingest(&dir, &IngestOptions::default()).unwrap().snapshot;
    let account = snapshot.account("123456789012").unwrap();
    let api = &account.resource_policies[0];
    assert_eq!(api.arn, "arn:aws:execute-api:us-east-1:123456789012:abc123");
    assert_eq!(api.kind, accessgraph_model::ResourcePolicyKind::ApiGateway);
    let text = &snapshot.documents[&api.document];
    assert!(
        text.contains("arn:aws:execute-api:us-east-1:123456789012:abc123/*"),
        "{text}"
    );
}

/// An Identity Center assignment whose permission set has no file gives no path, and the ingest
/// says so.
#[test]
fn an_assignment_without_its_permission_set_is_reported() {
    let dir = crate::cli::tempdir().join("snapshot");
    crate::ingest_errors::copy_dir(&data("../examples/org"), &dir);
    std::fs::remove_file(dir.join("organizations/sso/permission-sets/ps-0a1b2c3d4e5f6a7b.json"))
        .unwrap();
    let snapshot = ingest(&dir, &IngestOptions::default()).unwrap().snapshot;
    assert!(
        snapshot.warnings.iter().any(|warning| warning.contains(
            "permission set `arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-0a1b2c3d4e5f6a7b` (assigned in 111111111111) has no file"
        )),
        "{:?}",
        snapshot.warnings
    );
}

/// A policy naming an action that does not exist is a warning with the file, the JSON path of
/// the statement and the closest action; a service newer than the catalog is not (issue: the AWS
/// action catalog, checks where actions are typed).
#[test]
fn misspelled_actions_in_policies_are_warnings_with_a_suggestion() {
    let dir = crate::cli::tempdir().join("snapshot");
    crate::ingest_errors::copy_dir(&data("../examples/org"), &dir);
    let file = dir.join("accounts/555555555555/iam/get-account-authorization-details.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let user = value["UserDetailList"]
        .as_array_mut()
        .and_then(|users| users.first_mut())
        .unwrap();
    user["UserPolicyList"] = serde_json::json!([{
        "PolicyName": "typos",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObjekt", "quantumwidgets:Frob"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:PasedToService": "ec2.amazonaws.com", "aws:SourceIp": "10.0.0.1", "saml:aud": "x"}}}
        ]}
    }]);
    std::fs::write(&file, serde_json::to_string(&value).unwrap()).unwrap();
    let snapshot = ingest(&dir, &IngestOptions::default()).unwrap().snapshot;
    let typos: Vec<&String> = snapshot
        .warnings
        .iter()
        .filter(|warning| warning.contains("GetObjekt"))
        .collect();
    assert_eq!(typos.len(), 1, "{:?}", snapshot.warnings);
    assert!(
        typos[0].starts_with("accounts/555555555555/iam/get-account-authorization-details.json: $.UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0].Action:"),
        "{}",
        typos[0]
    );
    assert!(
        typos[0].ends_with("did you mean `s3:GetObject`?"),
        "{}",
        typos[0]
    );
    assert!(
        !snapshot
            .warnings
            .iter()
            .any(|warning| warning.contains("quantumwidgets")),
        "a service newer than the catalog is not a warning"
    );
    let keys: Vec<&String> = snapshot
        .warnings
        .iter()
        .filter(|warning| warning.contains("Condition"))
        .collect();
    assert_eq!(keys.len(), 1, "only the misspelled service key: {keys:?}");
    assert!(
        keys[0].contains(".Statement[1].Condition.StringEquals: `iam:PasedToService`")
            && keys[0].ends_with("did you mean `iam:PassedToService`?"),
        "{}",
        keys[0]
    );
}

/// A secret, queue or topic whose output has no policy is still a resource of the snapshot
/// (issue 18: resources without a resource policy are nodes): the account's administrators reach
/// it, and no principal of another account does.
#[test]
fn a_resource_without_a_policy_is_a_node_its_administrators_reach() {
    let dir = crate::cli::tempdir().join("snapshot");
    crate::ingest_errors::copy_dir(&data("../examples/org"), &dir);
    let arn = "arn:aws:secretsmanager:us-east-1:444444444444:secret:no-policy-Zx9Yw8";
    std::fs::write(
        dir.join("accounts/444444444444/us-east-1/secretsmanager/no-policy.json"),
        serde_json::json!({"ARN": arn, "Name": "no-policy"}).to_string(),
    )
    .unwrap();
    let snapshot = ingest(&dir, &IngestOptions::default()).unwrap().snapshot;
    let account = snapshot.account("444444444444").unwrap();
    assert_eq!(
        account
            .policyless_resources
            .iter()
            .map(|resource| (resource.arn.as_str(), resource.kind))
            .collect::<Vec<_>>(),
        vec![(arn, ResourcePolicyKind::Secret)]
    );
    let graph = accessgraph_graph::Graph::build(&snapshot);
    let secret = graph.find(arn).expect("a node");
    let sources: Vec<String> = graph
        .who_can_reach(&[secret], &accessgraph_graph::Filter::default())
        .into_iter()
        .filter(|(_, path)| path.hops.len() == 1)
        .filter_map(|(node, _)| graph.node(node).map(|node| node.arn.clone()))
        .collect();
    assert!(
        sources
            .contains(&"arn:aws:iam::444444444444:role/OrganizationAccountAccessRole".to_owned()),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .all(|source| source.contains(":444444444444:")),
        "only the account's own principals: {sources:?}"
    );
}
