//! Telling what a file outside the layout holds from its members, as users save AWS CLI outputs
//! under their own names (`prod.json`, `123456789012-gaad.json`).
//!
//! A file is read as a layout kind only when its content says everything the layout's path would
//! have said: a queue's or topic's account comes from its own ARN (an authorization dump's, from
//! the ARNs inside, all of which must agree: `stream.rs`). Outputs that do not name their resource or
//! account (a bucket policy, a key policy, `list-buckets`) are recognised and skipped with a
//! warning naming the layout path that would place them; nothing is guessed.

use accessgraph_model::ResourcePolicyKind;
use serde_json::Value;

use crate::json::Node;
use crate::walk::FileKind;

/// What a file outside the layout was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Detected {
    /// Read as this kind of layout file.
    Kind(FileKind),
    /// A recognised output that the file alone cannot place: what it is and where it belongs.
    Unplaceable(String),
    /// Nothing accessgraph reads.
    Unknown,
}

/// Recognises a file by its top-level members (arrays cut to their first item: see `stream.rs`,
/// which recognises authorization dumps itself while it streams them).
pub(crate) fn detect(root: &Node<'_>) -> Detected {
    let Value::Object(members) = root.value else {
        return Detected::Unknown;
    };
    let has = |key: &str| members.contains_key(key);
    if let Some(kind) = organizations(root.value) {
        return kind;
    }
    for (list, kind) in [
        ("SAMLProviderList", "SAML"),
        ("OpenIDConnectProviderList", "OpenID Connect"),
    ] {
        if has(list) {
            return providers(root, list, kind);
        }
    }
    resource(root.value)
}

/// The Organizations outputs the layout reads, and those it cannot place.
fn organizations(value: &Value) -> Option<Detected> {
    let first = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .and_then(|items| items.first())
    };
    if value.get("Organization").is_some_and(Value::is_object) {
        return Some(Detected::Kind(FileKind::Organization));
    }
    if let Some(policy) = value.get("Policy").filter(|policy| policy.is_object()) {
        if policy.get("PolicySummary").is_some() {
            return Some(Detected::Kind(FileKind::OrgPolicy));
        }
    }
    if first("Roots").is_some_and(|root| root.get("PolicyTypes").is_some()) {
        return Some(Detected::Kind(FileKind::Roots));
    }
    let organization_arn = |item: &Value, part: &str| {
        item.get("Arn")
            .and_then(Value::as_str)
            .is_some_and(|arn| arn.contains(":organizations:") && arn.contains(part))
    };
    if first("Accounts").is_some_and(|account| organization_arn(account, ":account/")) {
        return Some(Detected::Kind(FileKind::OrgAccounts));
    }
    let unplaceable = |what: &str, place: &str| {
        Some(Detected::Unplaceable(format!(
            "looks like the output of `{what}`, but the file does not say which {place}"
        )))
    };
    if first("Targets").is_some_and(|target| target.get("TargetId").is_some()) {
        return unplaceable(
            "organizations list-targets-for-policy",
            "policy it lists the targets of; place it at organizations/targets/POLICY_ID.json",
        );
    }
    if first("OrganizationalUnits").is_some_and(|unit| organization_arn(unit, ":ou/")) {
        return unplaceable(
            "organizations list-organizational-units-for-parent",
            "parent it lists; place it at organizations/ous/PARENT_ID.json",
        );
    }
    if first("Children").is_some_and(|child| child.get("Type").is_some()) {
        return unplaceable(
            "organizations list-children",
            "parent it lists; place it at organizations/children/PARENT_ID.json",
        );
    }
    None
}

/// `list-saml-providers` or `list-open-id-connect-providers`: the account is in the ARNs.
fn providers(root: &Node<'_>, list: &str, kind: &str) -> Detected {
    let owner = root
        .value
        .get(list)
        .and_then(Value::as_array)
        .and_then(|items| items.first())
        .and_then(|item| item.get("Arn"))
        .and_then(Value::as_str)
        .and_then(accessgraph_policy::arn_components)
        .map(|parts| parts[4].to_owned())
        .filter(|owner| accessgraph_policy::is_account_id(owner));
    match owner {
        Some(account) if list == "SAMLProviderList" => {
            Detected::Kind(FileKind::SamlProviders { account })
        }
        Some(account) => Detected::Kind(FileKind::OidcProviders { account }),
        None => Detected::Unplaceable(format!("an empty list of {kind} providers: nothing to add")),
    }
}

/// A resource's policy output, placed only when the output names its resource and account.
fn resource(value: &Value) -> Detected {
    let attribute = |key: &str| {
        value
            .get("Attributes")
            .and_then(|attributes| attributes.get(key))
            .and_then(Value::as_str)
    };
    if let Some(arn) = attribute("QueueArn") {
        return placed(arn, "sqs", ResourcePolicyKind::SqsQueue, |name| Some(name));
    }
    if let Some(arn) = attribute("TopicArn") {
        return placed(arn, "sns", ResourcePolicyKind::SnsTopic, |name| Some(name));
    }
    if let Some(arn) = value.get("ARN").and_then(Value::as_str) {
        if arn.contains(":secretsmanager:") {
            return placed(arn, "secretsmanager", ResourcePolicyKind::Secret, |name| {
                name.strip_prefix("secret:")
            });
        }
    }
    if value.get("Buckets").is_some() && value.get("Owner").is_some() {
        return Detected::Unplaceable(
            "looks like the output of `s3api list-buckets`, but the file does not say which \
             account it lists; place it at accounts/ACCOUNT_ID/s3/_list-buckets.json"
                .to_owned(),
        );
    }
    match value.get("Policy").and_then(Value::as_str) {
        Some(text) => policy_output(text),
        None => Detected::Unknown,
    }
}

/// A resource policy output whose ARN is `arn` (of `service`), named by `name` from its resource.
fn placed(
    arn: &str,
    service: &str,
    kind: ResourcePolicyKind,
    name: impl Fn(&str) -> Option<&str>,
) -> Detected {
    let parts = accessgraph_policy::arn_components(arn);
    match parts {
        Some([_, _, found, region, account, resource])
            if found == service && accessgraph_policy::is_account_id(account) =>
        {
            match name(resource) {
                Some(name) if !name.is_empty() => Detected::Kind(FileKind::ResourcePolicy {
                    account: account.to_owned(),
                    region: region.to_owned(),
                    kind,
                    name: name.to_owned(),
                }),
                _ => Detected::Unknown,
            }
        }
        _ => Detected::Unknown,
    }
}

/// `{"Policy": "..."}`: a Lambda function's policy names its function (ARN with account and
/// region); a bucket's names its bucket but not the account; a key's names neither.
fn policy_output(text: &str) -> Detected {
    let resources = statement_resources(text);
    let mut functions = resources.iter().filter_map(|arn| {
        let [_, _, service, region, account, resource] = accessgraph_policy::arn_components(arn)?;
        let name = resource.strip_prefix("function:")?;
        let name = name.split(':').next().unwrap_or(name);
        (service == "lambda" && accessgraph_policy::is_account_id(account))
            .then(|| (account.to_owned(), region.to_owned(), name.to_owned()))
    });
    if let Some((account, region, name)) = functions.next() {
        if functions.all(|other| other == (account.clone(), region.clone(), name.clone())) {
            return Detected::Kind(FileKind::ResourcePolicy {
                account,
                region,
                kind: ResourcePolicyKind::LambdaFunction,
                name,
            });
        }
    }
    let bucket = resources.iter().find_map(|arn| {
        let bucket = arn.strip_prefix("arn:")?.split_once(":s3:::")?.1;
        Some(bucket.split('/').next().unwrap_or(bucket).to_owned())
    });
    Detected::Unplaceable(match bucket {
        Some(bucket) => format!(
            "looks like the output of `s3api get-bucket-policy` for bucket `{bucket}`, but the \
             file does not say which account owns the bucket; place it at \
             accounts/ACCOUNT_ID/s3/{bucket}.json"
        ),
        None => "looks like a resource policy output (`kms get-key-policy`, `lambda get-policy`, \
                 ...), but the file does not name its resource; place it at its path in the \
                 snapshot layout"
            .to_owned(),
    })
}

/// Every `Resource` ARN of a policy document given as text (nothing if it does not parse).
fn statement_resources(text: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let statements = match document.get("Statement") {
        Some(Value::Array(statements)) => statements.iter().collect(),
        Some(statement) => vec![statement],
        None => Vec::new(),
    };
    statements
        .into_iter()
        .flat_map(|statement| match statement.get("Resource") {
            Some(Value::String(arn)) => vec![arn.clone()],
            Some(Value::Array(arns)) => arns
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Detected, detect};
    use crate::json::Node;
    use crate::walk::FileKind;

    fn detected(value: &serde_json::Value) -> Detected {
        detect(&Node::root("f.json", value))
    }

    #[test]
    fn organizations_outputs() {
        let cases = [
            (
                json!({"Organization": {"Id": "o-1"}}),
                Some(FileKind::Organization),
            ),
            (
                json!({"Roots": [{"Id": "r-1", "PolicyTypes": []}]}),
                Some(FileKind::Roots),
            ),
            (
                json!({"Accounts": [{"Id": "111122223333", "Arn": "arn:aws:organizations::111122223333:account/o-1/111122223333"}]}),
                Some(FileKind::OrgAccounts),
            ),
            (
                json!({"Policy": {"PolicySummary": {"Id": "p-1"}, "Content": "{}"}}),
                Some(FileKind::OrgPolicy),
            ),
            (json!({"Targets": [{"TargetId": "r-1"}]}), None),
            (json!({"Children": [{"Id": "1", "Type": "ACCOUNT"}]}), None),
        ];
        for (value, kind) in cases {
            match kind {
                Some(kind) => assert_eq!(detected(&value), Detected::Kind(kind), "{value}"),
                None => assert!(
                    matches!(detected(&value), Detected::Unplaceable(_)),
                    "{value}"
                ),
            }
        }
    }

    #[test]
    fn resource_policies_are_placed_only_when_they_name_resource_and_account() {
        let queue = json!({"Attributes": {"QueueArn": "arn:aws:sqs:eu-west-1:111122223333:jobs", "Policy": "{}"}});
        assert!(matches!(
            detected(&queue),
            Detected::Kind(FileKind::ResourcePolicy { account, region, name, .. })
                if account == "111122223333" && region == "eu-west-1" && name == "jobs"
        ));
        let function = json!({"Policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:us-east-1:111122223333:function:f\"}]}"});
        assert!(matches!(
            detected(&function),
            Detected::Kind(FileKind::ResourcePolicy { name, .. }) if name == "f"
        ));
        let bucket = json!({"Policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::photos/*\"}]}"});
        assert!(matches!(
            detected(&bucket),
            Detected::Unplaceable(hint) if hint.contains("accounts/ACCOUNT_ID/s3/photos.json")
        ));
        let key = json!({"Policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}", "PolicyName": "default"});
        assert!(matches!(detected(&key), Detected::Unplaceable(_)));
        assert_eq!(detected(&json!({"name": "my-app"})), Detected::Unknown);
        assert_eq!(detected(&json!([1, 2])), Detected::Unknown);
    }
}
