//! `accessgraph collect` against a local AWS emulator (moto in server mode on 127.0.0.1), with
//! the real AWS CLI on the same emulator as the reference for every file's JSON shape (issue 12).

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::cli::{accessgraph, binary, tempdir};
use crate::emulator::{Emulator, MANAGEMENT_KEYS, normalized, not_within};
use crate::fault_proxy::{FaultProxy, Faults};

fn document(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// A small organization: a management account with an administrator user, a member account in
/// OU `Prod` (its access role trusts the management account and is an administrator there) and
/// an SCP. Returns the member account's id and the OU's.
fn organization(emulator: &Emulator) -> (String, String) {
    emulator.aws(&[
        "organizations",
        "create-organization",
        "--feature-set",
        "ALL",
    ]);
    let created = emulator.aws(&[
        "organizations",
        "create-account",
        "--email",
        "prod@example.com",
        "--account-name",
        "prod",
    ]);
    let member = created["CreateAccountStatus"]["AccountId"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = emulator.aws(&["organizations", "list-roots"])["Roots"][0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prod = emulator.aws(&[
        "organizations",
        "create-organizational-unit",
        "--parent-id",
        &root,
        "--name",
        "Prod",
    ])["OrganizationalUnit"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.aws(&[
        "organizations",
        "move-account",
        "--account-id",
        &member,
        "--source-parent-id",
        &root,
        "--destination-parent-id",
        &prod,
    ]);
    let scp = emulator.aws(&[
        "organizations",
        "create-policy",
        "--name",
        "deny-leave",
        "--type",
        "SERVICE_CONTROL_POLICY",
        "--description",
        "no leaving",
        "--content",
        &document(json!([{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}])),
    ]);
    let scp_id = scp["Policy"]["PolicySummary"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.aws(&[
        "organizations",
        "attach-policy",
        "--policy-id",
        &scp_id,
        "--target-id",
        &root,
    ]);
    let everything = document(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    emulator.aws(&["iam", "create-user", "--user-name", "alice"]);
    emulator.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "alice",
        "--policy-name",
        "admin",
        "--policy-document",
        &everything,
    ]);

    // The member account, through a role session in it.
    let session = emulator.aws(&[
        "sts",
        "assume-role",
        "--role-arn",
        &format!("arn:aws:iam::{member}:role/OrganizationAccountAccessRole"),
        "--role-session-name",
        "setup",
    ]);
    let credentials = &session["Credentials"];
    let keys = [
        (
            "AWS_ACCESS_KEY_ID",
            credentials["AccessKeyId"].as_str().unwrap(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            credentials["SecretAccessKey"].as_str().unwrap(),
        ),
        (
            "AWS_SESSION_TOKEN",
            credentials["SessionToken"].as_str().unwrap(),
        ),
    ];
    let trust = document(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]),
    );
    // The emulator creates `OrganizationAccountAccessRole` with the account, as AWS does.
    emulator.aws_as(
        &keys,
        &[
            "iam",
            "create-role",
            "--role-name",
            accessgraph_collect::DEFAULT_MEMBER_ROLE,
            "--assume-role-policy-document",
            &trust,
        ],
    );
    emulator.aws_as(
        &keys,
        &[
            "iam",
            "put-role-policy",
            "--role-name",
            "OrganizationAccountAccessRole",
            "--policy-name",
            "admin",
            "--policy-document",
            &everything,
        ],
    );
    emulator.aws_as(
        &keys,
        &["iam", "create-group", "--group-name", "Developers"],
    );
    (member, prod)
}

/// The resources of the management account in us-east-1, one or more of each file kind the
/// collector writes: a bucket whose policy lets the member account read it (with an ACL and
/// ownership controls), a KMS key, a Lambda function with a policy, two queues (one without a
/// policy), a topic, a secret with a policy, a REST API with a policy, a VPC endpoint, and the
/// compute inventory (an instance with a profile, a launch template, a stack, a build project, a
/// Glue job, a notebook instance, an ECS cluster). Returns the KMS key id, the queue URLs and
/// the REST API id.
fn resources(emulator: &Emulator, member: &str) -> (String, Vec<String>, String) {
    // The command's fixed words, then its values (which may hold spaces).
    let aws = |words: &str, values: &[&str]| {
        let mut args: Vec<&str> = words.split_whitespace().collect();
        args.extend(values);
        emulator.aws(&args)
    };
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    let member_may = |action: &str, resource: &str| {
        document(json!([{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{member}:root")},
            "Action": action,
            "Resource": resource,
        }]))
    };
    let anyone_may = |action: &str, resource: &str| {
        document(
            json!([{"Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}]),
        )
    };

    aws("s3api create-bucket --bucket shared-data", &[]);
    let read = member_may("s3:GetObject", "arn:aws:s3:::shared-data/*");
    aws(
        "s3api put-bucket-policy --bucket shared-data --policy",
        &[&read],
    );
    aws(
        "s3api put-bucket-ownership-controls --bucket shared-data --ownership-controls",
        &["Rules=[{ObjectOwnership=BucketOwnerPreferred}]"],
    );
    let key = text(&aws("kms create-key --description data", &[])["KeyMetadata"]["KeyId"]);

    let role = |name: &str, service: &str| {
        let trust = document(
            json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]),
        );
        let created = aws(
            "iam create-role --role-name",
            &[name, "--assume-role-policy-document", &trust],
        );
        text(&created["Role"]["Arn"])
    };
    let runner = role("lambda-runner", "lambda.amazonaws.com");
    role("web-role", "ec2.amazonaws.com");
    let deployer = role("deployer", "cloudformation.amazonaws.com");
    let builder = role("builder", "codebuild.amazonaws.com");
    let etl = role("etl", "glue.amazonaws.com");
    let notebook = role("notebook", "sagemaker.amazonaws.com");
    aws(
        "iam create-instance-profile --instance-profile-name web",
        &[],
    );
    aws(
        "iam add-role-to-instance-profile --instance-profile-name web --role-name web-role",
        &[],
    );

    let work = tempdir();
    let zip = work.join("function.zip");
    let made = std::process::Command::new(emulator.tools.join("python"))
        .arg("-c")
        .arg("import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('app.py', 'def handler(e, c): return e')")
        .arg(&zip)
        .status()
        .unwrap();
    assert!(made.success());
    let code = format!("fileb://{}", zip.display());
    aws(
        "lambda create-function --function-name worker --runtime python3.12 --handler app.handler --role",
        &[&runner, "--zip-file", &code],
    );
    aws(
        "lambda add-permission --function-name worker --statement-id s3 --action lambda:InvokeFunction --principal s3.amazonaws.com",
        &[],
    );

    let send = anyone_may(
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:123456789012:open-queue",
    );
    let attributes = json!({ "Policy": send }).to_string();
    let open = aws(
        "sqs create-queue --queue-name open-queue --attributes",
        &[&attributes],
    );
    let quiet = aws("sqs create-queue --queue-name quiet-queue", &[]);
    aws("sns create-topic --name alerts", &[]);
    aws(
        "secretsmanager create-secret --name app/db --secret-string hunter2",
        &[],
    );
    let get_secret = member_may("secretsmanager:GetSecretValue", "*");
    aws(
        "secretsmanager put-resource-policy --secret-id app/db --resource-policy",
        &[&get_secret],
    );
    let invoke = anyone_may("execute-api:Invoke", "execute-api:/*");
    let api = text(&aws("apigateway create-rest-api --name api --policy", &[&invoke])["id"]);
    let vpc = text(&aws("ec2 describe-vpcs", &[])["Vpcs"][0]["VpcId"]);
    let endpoint_policy = anyone_may("s3:GetObject", "*");
    aws(
        "ec2 create-vpc-endpoint --service-name com.amazonaws.us-east-1.s3 --vpc-id",
        &[&vpc, "--policy-document", &endpoint_policy],
    );

    let image = text(&aws("ec2 describe-images --owners amazon", &[])["Images"][0]["ImageId"]);
    aws(
        "ec2 run-instances --count 1 --instance-type t3.micro --iam-instance-profile Name=web --image-id",
        &[&image],
    );
    // User data, which the collector must not copy (it can hold secrets).
    let template = json!({"IamInstanceProfile": {"Name": "web"}, "UserData": "c2VjcmV0"});
    aws(
        "ec2 create-launch-template --launch-template-name web --launch-template-data",
        &[&template.to_string()],
    );
    let stack = json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}});
    aws(
        "cloudformation create-stack --stack-name base --role-arn",
        &[&deployer, "--template-body", &stack.to_string()],
    );
    aws(
        "codebuild create-project --name build --artifacts type=NO_ARTIFACTS --service-role",
        &[
            &builder,
            "--source",
            "type=S3,location=shared-data/source.zip",
            "--environment",
            "type=LINUX_CONTAINER,image=aws/codebuild/standard:7.0,computeType=BUILD_GENERAL1_SMALL",
        ],
    );
    aws(
        "glue create-job --name etl --command Name=glueetl,ScriptLocation=s3://shared-data/etl.py --role",
        &[&etl],
    );
    aws(
        "sagemaker create-notebook-instance --notebook-instance-name analysis --instance-type ml.t3.medium --role-arn",
        &[&notebook],
    );
    aws("ecs create-cluster --cluster-name services", &[]);
    let worker = role("ecs-worker", "ecs-tasks.amazonaws.com");
    aws(
        "ecs register-task-definition --family worker --requires-compatibilities FARGATE --network-mode awsvpc --cpu 256 --memory 512 --container-definitions",
        &[
            r#"[{"name": "worker", "image": "busybox", "essential": true, "cpu": 256, "memory": 512, "environment": [{"name": "TOKEN", "value": "hunter3"}]}]"#,
            "--task-role-arn",
            &worker,
        ],
    );
    let subnet = text(&aws("ec2 describe-subnets", &[])["Subnets"][0]["SubnetId"]);
    let group = text(&aws("ec2 describe-security-groups", &[])["SecurityGroups"][0]["GroupId"]);
    aws(
        "ecs run-task --cluster services --launch-type FARGATE --task-definition worker --network-configuration",
        &[&format!(
            "awsvpcConfiguration={{subnets=[{subnet}],securityGroups=[{group}]}}"
        )],
    );
    let nightly = role("nightly-job", "ecs-tasks.amazonaws.com");
    aws(
        "batch register-job-definition --job-definition-name nightly --type container --container-properties",
        &[
            &json!({"image": "busybox", "vcpus": 1, "memory": 512, "jobRoleArn": nightly,
            "environment": [{"name": "TOKEN", "value": "hunter4"}]})
            .to_string(),
        ],
    );
    let flow = role("orders-flow", "states.amazonaws.com");
    aws(
        "stepfunctions create-state-machine --name orders --definition",
        &[
            r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": "hunter5", "End": true}}}"#,
            "--role-arn",
            &flow,
        ],
    );
    (
        key,
        vec![text(&open["QueueUrl"]), text(&quiet["QueueUrl"])],
        api,
    )
}

/// Identity Center in the management account: person `dana` in group `Ops`, which is assigned
/// permission set `Admin` there, provisioned as its `AWSReservedSSO_Admin_...` role (which the
/// emulator does not create: made here as AWS would). Returns the instance ARN, the identity
/// store id, the permission set ARN, the group id and dana's node id.
fn identity_center(emulator: &Emulator) -> [String; 5] {
    let aws = |args: &[&str]| emulator.aws(args);
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    let instances = aws(&["sso-admin", "list-instances"]);
    let instance = text(&instances["Instances"][0]["InstanceArn"]);
    let store = text(&instances["Instances"][0]["IdentityStoreId"]);
    let user = text(
        &aws(&[
            "identitystore",
            "create-user",
            "--identity-store-id",
            &store,
            "--user-name",
            "dana",
            "--display-name",
            "Dana Ops",
            "--name",
            "GivenName=Dana,FamilyName=Ops",
            "--emails",
            "Value=dana@example.com,Type=work,Primary=true",
        ])["UserId"],
    );
    let group = text(
        &aws(&[
            "identitystore",
            "create-group",
            "--identity-store-id",
            &store,
            "--display-name",
            "Ops",
        ])["GroupId"],
    );
    aws(&[
        "identitystore",
        "create-group-membership",
        "--identity-store-id",
        &store,
        "--group-id",
        &group,
        "--member-id",
        &format!("UserId={user}"),
    ]);
    let set = text(
        &aws(&[
            "sso-admin",
            "create-permission-set",
            "--instance-arn",
            &instance,
            "--name",
            "Admin",
            // Given, since without it the emulator answers a number where AWS has a string.
            "--session-duration",
            "PT1H",
        ])["PermissionSet"]["PermissionSetArn"],
    );
    aws(&[
        "sso-admin",
        "create-account-assignment",
        "--instance-arn",
        &instance,
        "--target-id",
        "123456789012",
        "--target-type",
        "AWS_ACCOUNT",
        "--permission-set-arn",
        &set,
        "--principal-type",
        "GROUP",
        "--principal-id",
        &group,
    ]);
    aws(&[
        "sso-admin",
        "provision-permission-set",
        "--instance-arn",
        &instance,
        "--permission-set-arn",
        &set,
        "--target-type",
        "ALL_PROVISIONED_ACCOUNTS",
    ]);
    let metadata = format!("<EntityDescriptor>{}</EntityDescriptor>", "x".repeat(1000));
    let provider = text(
        &aws(&[
            "iam",
            "create-saml-provider",
            "--name",
            "AWSSSO_0123_DO_NOT_DELETE",
            "--saml-metadata-document",
            &metadata,
        ])["SAMLProviderArn"],
    );
    let trust = document(json!([{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
    }]));
    aws(&[
        "iam",
        "create-role",
        "--path",
        "/aws-reserved/sso.amazonaws.com/",
        "--role-name",
        "AWSReservedSSO_Admin_0123456789abcdef",
        "--assume-role-policy-document",
        &trust,
    ]);
    aws(&[
        "iam",
        "put-role-policy",
        "--role-name",
        "AWSReservedSSO_Admin_0123456789abcdef",
        "--policy-name",
        "admin",
        "--policy-document",
        &document(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
    ]);
    let person = format!("arn:aws:identitystore::{store}/user/{user}");
    [instance, store, set, group, person]
}

/// The principals of an answer.
fn principals(emulator: &Emulator, db: &std::path::Path, query: &str) -> Vec<String> {
    let answer = emulator
        .accessgraph()
        .args(["query", "--db"])
        .arg(db)
        .args(["--format", "json", query])
        .output()
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer.stdout).unwrap();
    answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["principal"].as_str().map(str::to_owned))
        .collect()
}

/// How a collected file must compare with the CLI's output.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// The same JSON.
    Same,
    /// A subset of the CLI's members (inventory files leave out configuration).
    Within,
}

/// A file, the CLI command whose output it must match (fixed words, then values), and how.
fn call(file: String, words: &str, values: &[&str], shape: Shape) -> (String, Vec<String>, Shape) {
    let mut args: Vec<String> = words.split_whitespace().map(str::to_owned).collect();
    args.extend(values.iter().map(|value| (*value).to_owned()));
    (file, args, shape)
}

#[test]
fn collect_ingests_a_live_organization_whose_files_match_the_cli() {
    let Some(emulator) = Emulator::start() else {
        return;
    };
    let (member, prod) = organization(&emulator);
    let (key, queues, api) = resources(&emulator, &member);
    let [instance, store, set, group, person] = identity_center(&emulator);
    let work = tempdir();
    let out = work.join("snapshot");
    let db = work.join("db");
    let output = emulator
        .accessgraph()
        .args(["collect", "--regions", "us-east-1", "--out"])
        .arg(&out)
        .args(["--ingest", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("collected 2 accounts"), "{stdout}");
    assert!(stdout.contains("ingested snapshot 1"), "{stdout}");
    // The emulator lacks two inventory calls: each is a gap of its account, recorded in
    // snapshot.json, and the rest is collected.
    for lacking in ["ssm:DescribeInstanceInformation", "apprunner:ListServices"] {
        assert!(
            stdout.contains(&format!(
                "account 123456789012: us-east-1 inventory: {lacking}: HTTP 500"
            )),
            "{stdout}"
        );
    }
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["collector"]["incomplete"]["123456789012"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{manifest}"
    );
    // The regions read in each account: an inventory is all there is only where it was read.
    assert_eq!(
        manifest["regions"]["123456789012"],
        serde_json::json!(["us-east-1"]),
        "{manifest}"
    );

    // Real answers: the management administrator reaches the member account's administrator;
    // the bucket policy lets the member account's administrator read the bucket.
    let reach = principals(
        &emulator,
        &db,
        &format!("who can reach admin in account {member}"),
    );
    assert!(
        reach.contains(&"arn:aws:iam::123456789012:user/alice".to_owned()),
        "{reach:?}"
    );
    // Identity Center: dana signs in to the management account's `Admin` permission set.
    let admins = principals(
        &emulator,
        &db,
        "who can reach admin in account 123456789012",
    );
    assert!(admins.contains(&person), "{admins:?}");
    let readers = principals(&emulator, &db, "who can read arn:aws:s3:::shared-data");
    assert!(
        readers.contains(&format!(
            "arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
        )),
        "{readers:?}"
    );
    // The stored snapshot says which account is incomplete.
    let shown = emulator
        .accessgraph()
        .args(["snapshots", "show", "1", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("account 123456789012 was collected in part (2 call(s) refused)"),
        "{shown}"
    );

    // Every file is what the AWS CLI prints for its call (timestamps compared as instants).
    let root = emulator.aws(&["organizations", "list-roots"])["Roots"][0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let management = "accounts/123456789012";
    let region = format!("{management}/us-east-1");
    let inventory = |file: &str| format!("{region}/inventory/{file}.json");
    let sso = |file: &str| format!("organizations/sso/{file}.json");
    let set_id = set.rsplit('/').next().unwrap().to_owned();
    use Shape::{Same, Within};
    let mut calls = vec![
        call(
            "organizations/describe-organization.json".into(),
            "organizations describe-organization",
            &[],
            Same,
        ),
        call(
            "organizations/list-roots.json".into(),
            "organizations list-roots",
            &[],
            Same,
        ),
        call(
            "organizations/list-accounts.json".into(),
            "organizations list-accounts",
            &[],
            Same,
        ),
        call(
            format!("organizations/ous/{root}.json"),
            "organizations list-organizational-units-for-parent --parent-id",
            &[&root],
            Same,
        ),
        call(
            format!("organizations/children/{root}.json"),
            "organizations list-accounts-for-parent --parent-id",
            &[&root],
            Same,
        ),
        call(
            format!("{management}/iam/get-account-authorization-details.json"),
            "iam get-account-authorization-details",
            &[],
            Same,
        ),
        call(
            format!("{management}/iam/list-saml-providers.json"),
            "iam list-saml-providers",
            &[],
            Same,
        ),
        call(
            format!("{management}/iam/list-open-id-connect-providers.json"),
            "iam list-open-id-connect-providers",
            &[],
            Same,
        ),
        call(
            format!("{management}/s3/_list-buckets.json"),
            "s3api list-buckets",
            &[],
            Same,
        ),
        call(
            format!("{management}/s3/shared-data.json"),
            "s3api get-bucket-policy --bucket shared-data",
            &[],
            Same,
        ),
        call(
            format!("{management}/s3/acl/shared-data.json"),
            "s3api get-bucket-acl --bucket shared-data",
            &[],
            Same,
        ),
        call(
            format!("{management}/s3/ownership/shared-data.json"),
            "s3api get-bucket-ownership-controls --bucket shared-data",
            &[],
            Same,
        ),
        call(
            format!("{region}/kms/{key}.json"),
            "kms get-key-policy --policy-name default --key-id",
            &[&key],
            Same,
        ),
        call(
            format!("{region}/lambda/worker.json"),
            "lambda get-policy --function-name worker",
            &[],
            Same,
        ),
        call(
            format!("{region}/sqs/open-queue.json"),
            "sqs get-queue-attributes --attribute-names Policy --queue-url",
            &[&queues[0]],
            Same,
        ),
        call(
            format!("{region}/sqs/quiet-queue.json"),
            "sqs get-queue-attributes --attribute-names Policy --queue-url",
            &[&queues[1]],
            Same,
        ),
        call(
            format!("{region}/sns/alerts.json"),
            "sns get-topic-attributes --topic-arn arn:aws:sns:us-east-1:123456789012:alerts",
            &[],
            Same,
        ),
        call(
            format!("{region}/secretsmanager/app%2Fdb.json"),
            "secretsmanager get-resource-policy --secret-id app/db",
            &[],
            Same,
        ),
        call(
            format!("{region}/apigateway/{api}.json"),
            "apigateway get-rest-api --rest-api-id",
            &[&api],
            Same,
        ),
        call(
            format!("{region}/ec2/describe-vpc-endpoints.json"),
            "ec2 describe-vpc-endpoints",
            &[],
            Same,
        ),
        call(
            inventory("lambda-list-functions"),
            "lambda list-functions",
            &[],
            Within,
        ),
        call(
            inventory("ec2-describe-instances"),
            "ec2 describe-instances",
            &[],
            Within,
        ),
        call(
            inventory("ec2-describe-launch-template-versions"),
            "ec2 describe-launch-template-versions --versions $Latest",
            &[],
            Within,
        ),
        call(
            inventory("cloudformation-describe-stacks"),
            "cloudformation describe-stacks",
            &[],
            Within,
        ),
        call(
            inventory("codebuild-batch-get-projects"),
            "codebuild batch-get-projects --names build",
            &[],
            Within,
        ),
        call(
            inventory("glue-get-dev-endpoints"),
            "glue get-dev-endpoints",
            &[],
            Within,
        ),
        call(inventory("glue-get-jobs"), "glue get-jobs", &[], Within),
        call(
            inventory("ecs-list-clusters"),
            "ecs list-clusters",
            &[],
            Same,
        ),
        call(sso("list-instances"), "sso-admin list-instances", &[], Same),
        call(
            sso(&format!("permission-sets/{set_id}")),
            "sso-admin describe-permission-set --instance-arn",
            &[&instance, "--permission-set-arn", &set],
            Same,
        ),
        call(
            sso(&format!("assignments/123456789012.{set_id}")),
            "sso-admin list-account-assignments --account-id 123456789012 --instance-arn",
            &[&instance, "--permission-set-arn", &set],
            Same,
        ),
        call(
            sso("identitystore/list-users"),
            "identitystore list-users --identity-store-id",
            &[&store],
            Within,
        ),
        call(
            sso("identitystore/list-groups"),
            "identitystore list-groups --identity-store-id",
            &[&store],
            Same,
        ),
        call(
            sso(&format!("identitystore/list-group-memberships/{group}")),
            "identitystore list-group-memberships --identity-store-id",
            &[&store, "--group-id", &group],
            Same,
        ),
    ];
    for policy in emulator.aws(&[
        "organizations",
        "list-policies",
        "--filter",
        "SERVICE_CONTROL_POLICY",
    ])["Policies"]
        .as_array()
        .unwrap()
    {
        let id = policy["Id"].as_str().unwrap();
        calls.push(call(
            format!("organizations/policies/{id}.json"),
            "organizations describe-policy --policy-id",
            &[id],
            Same,
        ));
        calls.push(call(
            format!("organizations/targets/{id}.json"),
            "organizations list-targets-for-policy --policy-id",
            &[id],
            Same,
        ));
    }
    let read = |file: &str| -> Value {
        let text = std::fs::read_to_string(out.join(file))
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        serde_json::from_str(&text).unwrap()
    };
    for (file, args, shape) in calls {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cli = emulator.aws(&args);
        if cli.is_null() {
            // The CLI prints nothing for an empty answer (a queue without a policy).
            cli = json!({});
        }
        let (collected, cli) = (normalized(&read(&file), ""), normalized(&cli, ""));
        match shape {
            Same => assert_eq!(
                collected,
                cli,
                "{file} differs from `aws {}`",
                args.join(" ")
            ),
            Within => assert_eq!(
                not_within(&collected, &cli, "$"),
                None,
                "{file} is not within `aws {}`",
                args.join(" ")
            ),
        }
    }
    // The notebook file is a list of `describe-notebook-instance` outputs.
    let described = emulator.aws(&[
        "sagemaker",
        "describe-notebook-instance",
        "--notebook-instance-name",
        "analysis",
    ]);
    assert_eq!(
        not_within(
            &normalized(&read(&inventory("sagemaker-notebook-instances")), ""),
            &normalized(&json!([described]), ""),
            "$"
        ),
        None
    );
    // The ECS, Batch and Step Functions files are lists of (or are) the CLI's outputs.
    let task_arn = emulator.aws(&["ecs", "list-tasks", "--cluster", "services"])["taskArns"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let listed =
        [
            (
                "ecs-describe-tasks",
                json!([emulator.aws(&[
                    "ecs",
                    "describe-tasks",
                    "--cluster",
                    "services",
                    "--tasks",
                    &task_arn
                ])]),
            ),
            (
                "ecs-describe-task-definitions",
                json!([emulator.aws(&[
                    "ecs",
                    "describe-task-definition",
                    "--task-definition",
                    "worker"
                ])]),
            ),
            (
                "batch-describe-job-definitions",
                emulator.aws(&["batch", "describe-job-definitions", "--status", "ACTIVE"]),
            ),
            (
                "stepfunctions-describe-state-machines",
                json!([emulator.aws(
                    &[
                        "stepfunctions",
                        "describe-state-machine",
                        "--state-machine-arn",
                        emulator.aws(&["stepfunctions", "list-state-machines"])["stateMachines"][0]
                            ["stateMachineArn"]
                            .as_str()
                            .unwrap(),
                    ]
                )]),
            ),
        ];
    // A task's status moves on between the collector's call and the CLI's.
    let settled = |mut value: Value| {
        for output in value.as_array_mut().into_iter().flatten() {
            for task in output["tasks"].as_array_mut().into_iter().flatten() {
                if let Some(task) = task.as_object_mut() {
                    task.remove("lastStatus");
                    task.remove("desiredStatus");
                }
            }
        }
        value
    };
    for (file, cli) in listed {
        let (collected, cli) = (settled(read(&inventory(file))), settled(cli));
        assert!(
            collected.to_string().contains("arn:aws:"),
            "{file}: {collected}"
        );
        assert_eq!(
            not_within(&normalized(&collected, ""), &normalized(&cli, ""), "$"),
            None,
            "{file} is not within the CLI's output"
        );
    }
    // Configuration that can hold secrets is not copied.
    for file in [
        "ecs-describe-task-definitions",
        "batch-describe-job-definitions",
        "stepfunctions-describe-state-machines",
    ] {
        let text = read(&inventory(file)).to_string();
        assert!(!text.contains("hunter"), "{file}: {text}");
    }
    let templates =
        std::fs::read_to_string(out.join(inventory("ec2-describe-launch-template-versions")))
            .unwrap();
    assert!(!templates.contains("UserData"), "{templates}");
    let secret =
        std::fs::read_to_string(out.join(format!("{region}/secretsmanager/app%2Fdb.json")))
            .unwrap();
    assert!(!secret.contains("hunter2"));

    // `--ous` keeps the accounts under an OU; an OU the organization lacks is an error.
    let scoped = work.join("prod-only");
    let output = emulator
        .accessgraph()
        .args(["collect", "--ous", &prod, "--out"])
        .arg(&scoped)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let collected: Vec<String> = std::fs::read_dir(scoped.join("accounts"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(collected, vec![member.clone()]);
    let output = emulator
        .accessgraph()
        .args(["collect", "--ous", "ou-none-00000000", "--out"])
        .arg(work.join("none"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no OU or root ou-none-00000000"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!work.join("none").exists());

    // The snapshot directory is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

/// An existing output directory is never overwritten, and credentials that do not work are an
/// error naming the call, with nothing written.
#[test]
fn collect_refuses_an_existing_directory_and_reports_bad_credentials() {
    let Some(emulator) = Emulator::start() else {
        return;
    };
    let work = tempdir();
    let output = emulator
        .accessgraph()
        .args(["collect", "--out"])
        .arg(&work)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = work.join("snapshot");
    let output = accessgraph()
        .args(["collect", "--out"])
        .arg(&out)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .envs(MANAGEMENT_KEYS)
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot tell who the credentials belong to"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}

/// Faults, injected by a proxy in front of the emulator: a member account whose role refuses
/// the collector is a warning and the rest is collected (`--strict` makes it an error);
/// throttling is retried; a collection killed mid-way leaves no snapshot directory.
#[test]
fn collect_survives_a_refused_role_and_throttling_and_leaves_nothing_when_killed() {
    let Some(emulator) = Emulator::start() else {
        return;
    };
    let (member, _) = organization(&emulator);
    let proxy = FaultProxy::start(
        &emulator.url,
        Faults {
            refuse_account: Some(member.clone()),
            throttle: Some(("Action=GetAccountAuthorizationDetails".into(), 1)),
            stall: None,
        },
    );
    let work = tempdir();
    let out = work.join("snapshot");
    let collect = |out: &std::path::Path, strict: bool| {
        let mut command = emulator.accessgraph();
        command
            .env("AWS_ENDPOINT_URL", &proxy.url)
            .env("AWS_MAX_ATTEMPTS", "6")
            .args([
                "collect",
                "--regions",
                "us-east-1",
                "--no-inventory",
                "--out",
            ])
            .arg(out);
        if strict {
            command.arg("--strict");
        }
        command.output().unwrap()
    };
    let output = collect(&out, false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("collected 1 account"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "account {member} not collected: sts:AssumeRole: AccessDenied"
        )),
        "{stdout}"
    );
    assert_eq!(proxy.refused.load(Ordering::SeqCst), 1);
    assert_eq!(
        proxy.throttled.load(Ordering::SeqCst),
        1,
        "throttled, then retried"
    );
    assert!(
        out.join("accounts/123456789012/iam/get-account-authorization-details.json")
            .is_file()
    );
    assert!(!out.join("accounts").join(&member).exists());
    let manifest = std::fs::read_to_string(out.join("snapshot.json")).unwrap();
    assert!(
        manifest.contains("sts:AssumeRole: AccessDenied"),
        "{manifest}"
    );

    let strict = work.join("strict");
    let output = collect(&strict, true);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--strict"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!strict.exists(), "--strict writes nothing");

    // Killed while a call is in flight: no snapshot directory, no temporary one.
    let stalling = FaultProxy::start(
        &emulator.url,
        Faults {
            stall: Some("Action=GetAccountAuthorizationDetails".into()),
            ..Faults::default()
        },
    );
    let killed = work.join("killed");
    let mut child = std::process::Command::new(binary())
        .envs(MANAGEMENT_KEYS)
        .env("AWS_ENDPOINT_URL", &stalling.url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .args(["collect", "--regions", "us-east-1", "--out"])
        .arg(&killed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while stalling.stalled.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!killed.exists(), "{left:?}");
    assert!(left.iter().all(|name| !name.contains("killed")), "{left:?}");
}
