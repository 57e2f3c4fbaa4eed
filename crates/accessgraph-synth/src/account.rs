//! The files of one synthetic account: authorization details, SAML provider list, bucket policy.

use rand::Rng as _;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;
use serde_json::{Value, json};

use crate::{SynthSummary, account_id};

const SERVICES: [&str; 6] = ["s3", "dynamodb", "sqs", "sns", "logs", "kms"];
const TRUSTED_SERVICES: [&str; 4] = [
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "glue.amazonaws.com",
];
const TEAMS: [&str; 5] = ["payments", "search", "data", "platform", "identity"];

fn document(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn managed(arn: &str, name: &str, statements: Value) -> Value {
    json!({"PolicyName": name, "PolicyId": format!("ANPA{:0>17}", name.len()), "Arn": arn, "Path": "/",
        "DefaultVersionId": "v1", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
        "CreateDate": "2024-01-01T00:00:00+00:00", "UpdateDate": "2024-01-01T00:00:00+00:00",
        "PolicyVersionList": [{"Document": document(statements), "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2024-01-01T00:00:00+00:00"}]})
}

fn attached(arn: &str) -> Value {
    json!({"PolicyName": arn.rsplit('/').next().unwrap_or(arn), "PolicyArn": arn})
}

fn role(
    account: &str,
    name: &str,
    trust: Value,
    inline: Value,
    attached_arns: &[String],
    boundary: Option<&str>,
    team: &str,
) -> Value {
    let boundary = boundary.map(|arn| json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}));
    let mut role = json!({"Path": "/", "RoleName": name, "RoleId": format!("AROA{:0>17}", name.len()),
        "Arn": format!("arn:aws:iam::{account}:role/{name}"), "CreateDate": "2024-01-01T00:00:00+00:00",
        "AssumeRolePolicyDocument": document(trust), "InstanceProfileList": [],
        "RolePolicyList": inline, "AttachedManagedPolicies": attached_arns.iter().map(|arn| attached(arn)).collect::<Vec<_>>(),
        "Tags": [{"Key": "team", "Value": team}], "RoleLastUsed": {}});
    if let (Some(boundary), Some(object)) = (boundary, role.as_object_mut()) {
        object.insert("PermissionsBoundary".into(), boundary);
    }
    role
}

/// Every file of the `index`-th account.
pub(crate) fn files(
    index: usize,
    accounts: usize,
    principals: usize,
    rng: &mut StdRng,
    summary: &mut SynthSummary,
) -> Vec<(String, Value)> {
    let account = account_id(index);
    let management = account_id(0);
    let security = account_id(1);
    let ci = account_id(2);
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess".to_owned();
    let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned();
    let power_user = "arn:aws:iam::aws:policy/PowerUserAccess".to_owned();
    let dev_access = format!("arn:aws:iam::{account}:policy/dev-access");
    let ci_deploy = format!("arn:aws:iam::{account}:policy/ci-deploy");
    let boundary = format!("arn:aws:iam::{account}:policy/workload-boundary");

    let policies = vec![
        managed(
            &admin,
            "AdministratorAccess",
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        ),
        managed(
            &read_only,
            "ReadOnlyAccess",
            json!([{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*", "dynamodb:Describe*", "logs:Get*"], "Resource": "*"}]),
        ),
        managed(
            &power_user,
            "PowerUserAccess",
            json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}, {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization"], "Resource": "*"}]),
        ),
        managed(
            &dev_access,
            "dev-access",
            json!([{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "lambda:*", "logs:*"], "Resource": "*"}, {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]),
        ),
        managed(
            &ci_deploy,
            "ci-deploy",
            json!([{"Effect": "Allow", "Action": ["cloudformation:*", "s3:PutObject"], "Resource": "*"}, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{account}:role/svc-*")}]),
        ),
        managed(
            &boundary,
            "workload-boundary",
            json!([{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "sqs:*", "sns:*", "logs:*", "kms:Decrypt"], "Resource": "*"}]),
        ),
    ];

    let groups = vec![
        json!({"Path": "/", "GroupName": "Admins", "GroupId": "AGPA00000000000000001", "Arn": format!("arn:aws:iam::{account}:group/Admins"),
            "CreateDate": "2024-01-01T00:00:00+00:00", "GroupPolicyList": [], "AttachedManagedPolicies": [attached(&admin)]}),
        json!({"Path": "/", "GroupName": "Developers", "GroupId": "AGPA00000000000000002", "Arn": format!("arn:aws:iam::{account}:group/Developers"),
            "CreateDate": "2024-01-01T00:00:00+00:00", "GroupPolicyList": [], "AttachedManagedPolicies": [attached(&dev_access)]}),
        json!({"Path": "/", "GroupName": "ReadOnly", "GroupId": "AGPA00000000000000003", "Arn": format!("arn:aws:iam::{account}:group/ReadOnly"),
            "CreateDate": "2024-01-01T00:00:00+00:00", "GroupPolicyList": [], "AttachedManagedPolicies": [attached(&read_only)]}),
    ];

    let user_count = principals / 4;
    let mut users = Vec::with_capacity(user_count);
    for number in 0..user_count {
        let name = format!("user-{number:04}");
        let group = match rng.random_range(0..10) {
            0 => "Admins",
            1..=6 => "Developers",
            _ => "ReadOnly",
        };
        let mut statements = vec![
            json!({"Sid": "SelfService", "Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ChangePassword"],
            "Resource": format!("arn:aws:iam::{account}:user/${{aws:username}}")}),
        ];
        // A sprinkling of mistakes: self-escalation and PassRole to compute.
        match rng.random_range(0..40) {
            0 => statements.push(json!({"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "*"})),
            1 => statements.push(json!({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"})),
            2 => statements.push(json!({"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": format!("arn:aws:iam::{account}:user/*")})),
            _ => {}
        }
        users.push(json!({"Path": "/", "UserName": name, "UserId": format!("AIDA{number:017}"), "Arn": format!("arn:aws:iam::{account}:user/{name}"),
            "CreateDate": "2024-01-01T00:00:00+00:00", "GroupList": [group],
            "UserPolicyList": [{"PolicyName": "self-service", "PolicyDocument": document(Value::Array(statements))}],
            "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": *TEAMS.choose(rng).unwrap_or(&"data")}]}));
    }
    summary.users += user_count;

    let role_count = principals - user_count;
    let mut roles = Vec::with_capacity(role_count);
    let fixed: Vec<Value> = vec![
        role(
            &account,
            "OrganizationAccountAccessRole",
            json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{management}:root")}, "Action": "sts:AssumeRole"}]),
            json!([]),
            std::slice::from_ref(&admin),
            None,
            "platform",
        ),
        role(
            &account,
            "SecurityAudit",
            json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{security}:root")}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-synthorg01"}}}]),
            json!([]),
            std::slice::from_ref(&read_only),
            None,
            "identity",
        ),
        role(
            &account,
            "Deploy",
            json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ci}:role/ci-runner")}, "Action": "sts:AssumeRole"}]),
            json!([]),
            std::slice::from_ref(&ci_deploy),
            None,
            "platform",
        ),
        role(
            &account,
            "ci-runner",
            json!([{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]),
            json!([{"PolicyName": "assume-deploy", "PolicyDocument": document(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/Deploy"}]))}]),
            &[],
            None,
            "platform",
        ),
    ];
    for fixed_role in fixed.into_iter().take(role_count) {
        roles.push(fixed_role);
    }
    while roles.len() < role_count {
        let number = roles.len();
        let service = *SERVICES.choose(rng).unwrap_or(&"s3");
        let team = *TEAMS.choose(rng).unwrap_or(&"data");
        let (name, trust) = if rng.random_range(0..5) == 0 {
            // Cross-account: trusted by one to three other accounts.
            let trusted: Vec<Value> = (0..rng.random_range(1..=3))
                .map(|_| {
                    json!(format!(
                        "arn:aws:iam::{}:root",
                        account_id(rng.random_range(0..accounts))
                    ))
                })
                .collect();
            (
                format!("xacct-{team}-{number:04}"),
                json!([{"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}]),
            )
        } else {
            let trusted = *TRUSTED_SERVICES
                .choose(rng)
                .unwrap_or(&"lambda.amazonaws.com");
            (
                format!("svc-{team}-{number:04}"),
                json!([{"Effect": "Allow", "Principal": {"Service": trusted}, "Action": "sts:AssumeRole"}]),
            )
        };
        let mut statements = vec![
            json!({"Effect": "Allow", "Action": [format!("{service}:Get*"), format!("{service}:List*"), format!("{service}:Put*")],
            "Resource": format!("arn:aws:{service}:*:{account}:{team}-*")}),
        ];
        if rng.random_range(0..25) == 0 {
            statements.push(json!({"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}));
        }
        if rng.random_range(0..30) == 0 {
            statements.push(json!({"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": format!("arn:aws:iam::{account}:role/{name}")}));
        }
        let attached_arns = match rng.random_range(0..10) {
            0 => vec![power_user.clone()],
            1 => vec![read_only.clone()],
            _ => vec![],
        };
        let with_boundary = rng.random_range(0..5) == 0;
        roles.push(role(
            &account,
            &name,
            trust,
            json!([{"PolicyName": "workload", "PolicyDocument": document(Value::Array(statements))}]),
            &attached_arns,
            with_boundary.then_some(boundary.as_str()),
            team,
        ));
    }
    summary.roles += roles.len();

    let bucket = format!("synth-data-{account}");
    let bucket_policy = document(
        json!([{"Sid": "SecurityRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{security}:root")},
        "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]),
    );
    vec![
        (
            format!("accounts/{account}/iam/get-account-authorization-details.json"),
            json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}),
        ),
        (
            format!("accounts/{account}/s3/{bucket}.json"),
            json!({"Policy": bucket_policy.to_string()}),
        ),
    ]
}
