//! Resource files of one synthetic account (with `SynthConfig::resources`): the bucket list with
//! the account's canonical id (or none, leaving owners unknown), a bucket with an ACL (public,
//! authenticated, another account's or an unknown canonical id; sometimes disabled by
//! `BucketOwnerEnforced`), a KMS key, an SQS queue open to the organization with a `NotPrincipal`
//! deny, an SNS topic with a grant that expired before collection, and a secret shared with
//! another account's role. They exercise every part of the resource side of a request.

use rand::Rng as _;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::account_id;

/// The organization id of every synthetic organization.
const ORG_ID: &str = "o-synthorg01";

/// The S3 canonical user id of the `index`-th account (64 hex digits).
pub(crate) fn canonical_id(index: usize) -> String {
    format!("c{index:063}")
}

fn document(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The files of the `index`-th account.
pub(crate) fn files(index: usize, accounts: usize, rng: &mut StdRng) -> Vec<(String, Value)> {
    let account = account_id(index);
    let other = account_id((index + 1 + rng.random_range(0..accounts.max(2) - 1)) % accounts);
    let root = |id: &str| format!("arn:aws:iam::{id}:root");
    let shared = format!("synth-shared-{account}");
    let quiet = format!("synth-quiet-{account}");
    let mut files = Vec::new();
    // One account in four has no bucket list: its buckets' owners are unknown to the graph.
    if rng.random_range(0..4) != 0 {
        files.push((
            format!("accounts/{account}/s3/_list-buckets.json"),
            json!({"Buckets": [{"Name": format!("synth-data-{account}")}, {"Name": shared}, {"Name": quiet}],
                   "Owner": {"DisplayName": account, "ID": canonical_id(index)}}),
        ));
    }
    let grantee = match rng.random_range(0..5) {
        0 => json!({"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}),
        1 => {
            json!({"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"})
        }
        2 => json!({"Type": "CanonicalUser", "ID": canonical_id(index ^ 1)}),
        3 => json!({"Type": "CanonicalUser", "ID": format!("e{:063}", index)}),
        _ => json!({"Type": "CanonicalUser", "ID": canonical_id((index + 2) % accounts)}),
    };
    let permission = ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"]
        .get(rng.random_range(0..5))
        .copied()
        .unwrap_or("READ");
    files.push((
        format!("accounts/{account}/s3/acl/{shared}.json"),
        json!({"Owner": {"ID": canonical_id(index)},
               "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": canonical_id(index)}, "Permission": "FULL_CONTROL"},
                          {"Grantee": grantee, "Permission": permission}]}),
    ));
    if rng.random_range(0..4) == 0 {
        files.push((
            format!("accounts/{account}/s3/ownership/{shared}.json"),
            json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
        ));
    }
    let key_policy = document(json!([
        {"Sid": "EnableIAM", "Effect": "Allow", "Principal": {"AWS": root(&account)}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Security", "Effect": "Allow", "Principal": {"AWS": root(&account_id(1))}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
    ]));
    files.push((
        format!("accounts/{account}/us-east-1/kms/key-{index:04}.json"),
        json!({"Policy": key_policy, "PolicyName": "default"}),
    ));
    let queue_policy = document(json!([
        {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}},
        {"Sid": "OnlyDeploy", "Effect": "Deny", "NotPrincipal": {"AWS": [root(&account), format!("arn:aws:iam::{account}:role/Deploy")]},
         "Action": "sqs:ReceiveMessage", "Resource": "*"}
    ]));
    files.push((
        format!("accounts/{account}/us-east-1/sqs/synth-events.json"),
        json!({"Attributes": {"Policy": queue_policy}}),
    ));
    let until = if rng.random_range(0..2) == 0 {
        "2025-06-30T00:00:00Z"
    } else {
        "2027-06-30T00:00:00Z"
    };
    let topic_policy = document(json!([
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": root(&other)}, "Action": ["sns:Subscribe", "sns:Publish"], "Resource": "*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": until}}},
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": "999999999999"}}}
    ]));
    files.push((
        format!("accounts/{account}/us-east-1/sns/synth-alerts.json"),
        json!({"Attributes": {"Policy": topic_policy, "TopicArn": format!("arn:aws:sns:us-east-1:{account}:synth-alerts")}}),
    ));
    let secret_policy = document(json!([
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{other}:role/Deploy")}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    ]));
    files.push((
        format!("accounts/{account}/us-east-1/secretsmanager/synth-secret.json"),
        json!({"ARN": format!("arn:aws:secretsmanager:us-east-1:{account}:secret:synth-secret-AbCdEf"), "Name": "synth-secret", "ResourcePolicy": secret_policy}),
    ));
    files
}
