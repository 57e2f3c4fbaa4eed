//! The Organizations files of a synthetic organization: root, OU tree, accounts, SCPs, RCPs.

use serde_json::{Value, json};

use crate::account_id;

/// OUs: (id, name, parent).
const OUS: [(&str, &str, &str); 6] = [
    ("ou-sy01-security", "Security", "r-sy01"),
    ("ou-sy01-workload", "Workloads", "r-sy01"),
    ("ou-sy01-prodaaaa", "Prod", "ou-sy01-workload"),
    ("ou-sy01-devaaaaa", "Dev", "ou-sy01-workload"),
    ("ou-sy01-sandboxx", "Sandbox", "r-sy01"),
    ("ou-sy01-infraaaa", "Infrastructure", "r-sy01"),
];

/// Where the `index`-th account sits: management at the root, security and CI in their OUs,
/// the rest spread over prod, dev and sandbox.
pub(crate) fn parent_of(index: usize) -> &'static str {
    match index {
        0 => "r-sy01",
        1 => "ou-sy01-security",
        2 => "ou-sy01-infraaaa",
        other => match other % 5 {
            0 | 1 => "ou-sy01-prodaaaa",
            2 | 3 => "ou-sy01-devaaaaa",
            _ => "ou-sy01-sandboxx",
        },
    }
}

fn scp(id: &str, name: &str, aws_managed: bool, document: &Value) -> Value {
    let arn = if aws_managed {
        format!("arn:aws:organizations::aws:policy/service_control_policy/{id}")
    } else {
        format!(
            "arn:aws:organizations::{}:policy/o-synthorg01/service_control_policy/{id}",
            account_id(0)
        )
    };
    json!({"Policy": {"PolicySummary": {"Id": id, "Arn": arn, "Name": name, "Description": name,
        "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": aws_managed}, "Content": document.to_string()}})
}

fn targets(ids: &[&str]) -> Value {
    let targets: Vec<Value> = ids
        .iter()
        .map(|id| {
            let kind = if id.starts_with("r-") {
                "ROOT"
            } else if id.starts_with("ou-") {
                "ORGANIZATIONAL_UNIT"
            } else {
                "ACCOUNT"
            };
            json!({"TargetId": id, "Arn": format!("arn:aws:organizations::{}:target/{id}", account_id(0)), "Name": id, "Type": kind})
        })
        .collect();
    json!({ "Targets": targets })
}

/// Every file under `organizations/`.
pub(crate) fn files(accounts: usize, seed: u64) -> Vec<(String, Value)> {
    let management = account_id(0);
    let mut files = vec![
        (
            "organizations/describe-organization.json".to_owned(),
            json!({"Organization": {"Id": "o-synthorg01", "Arn": format!("arn:aws:organizations::{management}:organization/o-synthorg01"),
                "FeatureSet": "ALL", "MasterAccountArn": format!("arn:aws:organizations::{management}:account/o-synthorg01/{management}"),
                "MasterAccountId": management, "MasterAccountEmail": "root@example.com"}}),
        ),
        (
            "organizations/list-roots.json".to_owned(),
            json!({"Roots": [{"Id": "r-sy01", "Arn": format!("arn:aws:organizations::{management}:root/o-synthorg01/r-sy01"), "Name": "Root",
                "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}, {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]}]}),
        ),
    ];
    let listed: Vec<Value> = (0..accounts)
        .map(|index| {
            let id = account_id(index);
            json!({"Id": id, "Arn": format!("arn:aws:organizations::{management}:account/o-synthorg01/{id}"),
                "Email": format!("aws+{index}@example.com"), "Name": format!("synth-{seed}-{index}"), "Status": "ACTIVE",
                "JoinedMethod": if index == 0 { "INVITED" } else { "CREATED" }, "JoinedTimestamp": "2024-01-01T00:00:00+00:00"})
        })
        .collect();
    files.push((
        "organizations/list-accounts.json".to_owned(),
        json!({ "Accounts": listed }),
    ));
    for parent in ["r-sy01", "ou-sy01-workload"] {
        let children: Vec<Value> = OUS
            .iter()
            .filter(|(_, _, ou_parent)| *ou_parent == parent)
            .map(|(id, name, _)| json!({"Id": id, "Arn": format!("arn:aws:organizations::{management}:ou/o-synthorg01/{id}"), "Name": name}))
            .collect();
        files.push((
            format!("organizations/ous/{parent}.json"),
            json!({ "OrganizationalUnits": children }),
        ));
    }
    for parent in std::iter::once("r-sy01").chain(OUS.iter().map(|(id, _, _)| *id)) {
        let children: Vec<Value> = (0..accounts)
            .filter(|index| parent_of(*index) == parent)
            .map(|index| json!({"Id": account_id(index), "Name": format!("synth-{seed}-{index}"), "Status": "ACTIVE"}))
            .collect();
        files.push((
            format!("organizations/children/{parent}.json"),
            json!({ "Accounts": children }),
        ));
    }
    let full_access = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let region_guard = json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyOutsideRegions", "Effect": "Deny",
        "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}]});
    let deny_iam = json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoIamChanges", "Effect": "Deny",
        "Action": ["iam:Create*", "iam:Put*", "iam:Attach*", "iam:Update*"], "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}}]});
    let mut all_targets: Vec<&str> = vec!["r-sy01"];
    all_targets.extend(OUS.iter().map(|(id, _, _)| *id));
    let account_ids: Vec<String> = (0..accounts).map(account_id).collect();
    all_targets.extend(account_ids.iter().map(String::as_str));
    files.push((
        "organizations/policies/p-FullAWSAccess.json".to_owned(),
        scp("p-FullAWSAccess", "FullAWSAccess", true, &full_access),
    ));
    files.push((
        "organizations/targets/p-FullAWSAccess.json".to_owned(),
        targets(&all_targets),
    ));
    files.push((
        "organizations/policies/p-regionguard.json".to_owned(),
        scp("p-regionguard", "region-guard", false, &region_guard),
    ));
    files.push((
        "organizations/targets/p-regionguard.json".to_owned(),
        targets(&["r-sy01"]),
    ));
    files.push((
        "organizations/policies/p-sandboxnoiam.json".to_owned(),
        scp("p-sandboxnoiam", "sandbox-no-iam", false, &deny_iam),
    ));
    files.push((
        "organizations/targets/p-sandboxnoiam.json".to_owned(),
        targets(&["ou-sy01-sandboxx"]),
    ));
    files
}
