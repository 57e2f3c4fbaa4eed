//! Amazon Resource Names: parsing, classification and component-wise access.
//!
//! Form: `arn:partition:service:region:account-id:resource` (iam-semantics.md §2). The sixth
//! component keeps any further colons (`function:name:alias`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A parsed ARN. Every component is kept verbatim; ARNs are case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Arn {
    partition: String,
    service: String,
    region: String,
    account: String,
    resource: String,
}

/// Why a string is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArnError {
    /// The text does not start with `arn:` or has fewer than six components.
    #[error("`{0}` is not an ARN: expected `arn:partition:service:region:account:resource`")]
    Shape(String),
    /// The partition is not `aws` or `aws-<name>`.
    #[error("`{0}` is not an ARN: unknown partition `{1}`")]
    Partition(String, String),
    /// The service component is empty.
    #[error("`{0}` is not an ARN: the service is empty")]
    EmptyService(String),
    /// The resource component is empty.
    #[error("`{0}` is not an ARN: the resource is empty")]
    EmptyResource(String),
}

/// Splits an ARN-shaped string into its six components without validating them.
///
/// This runs once per evaluated request, so it scans the bytes once instead of searching for
/// each separator.
#[must_use]
pub fn components(text: &str) -> Option<[&str; 6]> {
    if !text.starts_with("arn:") {
        return None;
    }
    let mut colons = [0usize; 5];
    let mut found = 0;
    for (idx, byte) in text.bytes().enumerate() {
        if byte == b':' {
            if let Some(slot) = colons.get_mut(found) {
                *slot = idx;
            }
            found += 1;
            if found == colons.len() {
                break;
            }
        }
    }
    if found < colons.len() {
        return None;
    }
    let [c0, c1, c2, c3, c4] = colons;
    Some([
        text.get(..c0)?,
        text.get(c0 + 1..c1)?,
        text.get(c1 + 1..c2)?,
        text.get(c2 + 1..c3)?,
        text.get(c3 + 1..c4)?,
        text.get(c4 + 1..)?,
    ])
}

/// The name given to what a caller creates where any name will do (`arn:aws:iam::1:role/*`
/// becomes `role/accessgraph`).
pub const NEUTRAL_NAME: &str = "accessgraph";

/// The region of a resource where any region will do.
pub const NEUTRAL_REGION: &str = "us-east-1";

/// A concrete ARN that a policy's resource `pattern` matches, for a resource the caller names
/// itself (it creates it, or picks an existing one): the caller's `partition`, a region of only
/// `*` made [`NEUTRAL_REGION`] and an account of only `*` made the caller's `account`, other
/// wildcards made [`NEUTRAL_NAME`] (`*`) or `a` (`?`). `None` for a pattern that is not an ARN
/// or holds policy variables.
#[must_use]
pub fn chosen_arn(pattern: &str, partition: &str, account: &str) -> Option<String> {
    if pattern.contains("${") {
        return None;
    }
    let [arn, _, service, region, owner, resource] = components(pattern)?;
    let neutral = |text: &str, whole: &str| {
        if text == "*" {
            whole.to_owned()
        } else {
            text.replace('*', NEUTRAL_NAME).replace('?', "a")
        }
    };
    Some(format!(
        "{arn}:{partition}:{}:{}:{}:{}",
        neutral(service, NEUTRAL_NAME),
        neutral(region, NEUTRAL_REGION),
        neutral(owner, account),
        neutral(resource, NEUTRAL_NAME),
    ))
}

/// Whether `partition` is `aws` or `aws-` followed by lowercase words joined by `-`.
#[must_use]
pub fn is_partition(partition: &str) -> bool {
    match partition.strip_prefix("aws") {
        Some("") => true,
        Some(rest) => {
            rest.split('-')
                .skip(1)
                .all(|word| !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_lowercase()))
                && rest.starts_with('-')
        }
        None => false,
    }
}

/// Whether `text` is a 12-digit AWS account id.
#[must_use]
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let [_, partition, service, region, account, resource] =
            components(text).ok_or_else(|| ArnError::Shape(text.to_owned()))?;
        if !is_partition(partition) {
            return Err(ArnError::Partition(text.to_owned(), partition.to_owned()));
        }
        if service.is_empty() {
            return Err(ArnError::EmptyService(text.to_owned()));
        }
        if resource.is_empty() {
            return Err(ArnError::EmptyResource(text.to_owned()));
        }
        Ok(Arn {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl TryFrom<String> for Arn {
    type Error = ArnError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Arn> for String {
    fn from(arn: Arn) -> String {
        arn.to_string()
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// What an ARN names, for the resource types accessgraph reasons about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceKind<'a> {
    /// `arn:aws:iam::ACCT:root`: the account as a principal.
    AccountRoot,
    /// An IAM user; `path` starts and ends with `/`.
    User {
        /// IAM path, `/` when absent.
        path: &'a str,
        /// User name.
        name: &'a str,
    },
    /// An IAM group.
    Group {
        /// IAM path.
        path: &'a str,
        /// Group name.
        name: &'a str,
    },
    /// An IAM role.
    Role {
        /// IAM path.
        path: &'a str,
        /// Role name.
        name: &'a str,
    },
    /// A managed policy (account `aws` for AWS managed policies).
    Policy {
        /// IAM path.
        path: &'a str,
        /// Policy name.
        name: &'a str,
    },
    /// An EC2 instance profile.
    InstanceProfile {
        /// IAM path.
        path: &'a str,
        /// Instance profile name.
        name: &'a str,
    },
    /// A SAML identity provider.
    SamlProvider {
        /// Provider name.
        name: &'a str,
    },
    /// An OIDC identity provider.
    OidcProvider {
        /// Provider URL without scheme, e.g. `token.actions.githubusercontent.com`.
        url: &'a str,
    },
    /// An STS assumed-role session.
    AssumedRole {
        /// Role name (sessions carry no role path).
        role: &'a str,
        /// Session name.
        session: &'a str,
    },
    /// An STS federated-user session.
    FederatedUser {
        /// Federated user name.
        name: &'a str,
    },
    /// An S3 bucket.
    S3Bucket {
        /// Bucket name.
        bucket: &'a str,
    },
    /// An S3 object.
    S3Object {
        /// Bucket name.
        bucket: &'a str,
        /// Object key.
        key: &'a str,
    },
    /// A KMS key.
    KmsKey {
        /// Key id.
        id: &'a str,
    },
    /// A KMS alias.
    KmsAlias {
        /// Alias name.
        name: &'a str,
    },
    /// A Lambda function, optionally qualified by version or alias.
    LambdaFunction {
        /// Function name.
        name: &'a str,
        /// Version or alias.
        qualifier: Option<&'a str>,
    },
    /// An SQS queue.
    SqsQueue {
        /// Queue name.
        name: &'a str,
    },
    /// An SNS topic.
    SnsTopic {
        /// Topic name.
        name: &'a str,
    },
    /// A Secrets Manager secret.
    Secret {
        /// Secret name including the random suffix.
        name: &'a str,
    },
    /// Any other resource.
    Other,
}

/// Splits `type/path/name` IAM resource text into `(path, name)`; the path keeps its slashes.
fn split_iam_path(resource: &str) -> (&str, &str) {
    let first = resource.find('/').unwrap_or(0);
    let last = resource.rfind('/').unwrap_or(0);
    if first == last {
        return ("/", resource.get(last + 1..).unwrap_or(""));
    }
    (
        resource.get(first..=last).unwrap_or("/"),
        resource.get(last + 1..).unwrap_or(""),
    )
}

impl Arn {
    /// Builds an ARN from components without validation of the account or region.
    #[must_use]
    pub fn new(partition: &str, service: &str, region: &str, account: &str, resource: &str) -> Arn {
        Arn {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        }
    }

    /// The partition: `aws`, `aws-cn`, `aws-us-gov`, ...
    #[must_use]
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The service namespace: `iam`, `s3`, `sts`, ...
    #[must_use]
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The region, empty for global resources.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account component verbatim (empty for S3, `aws` for AWS managed policies).
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The account id if the account component is a 12-digit id.
    #[must_use]
    pub fn account_id(&self) -> Option<&str> {
        is_account_id(&self.account).then_some(self.account.as_str())
    }

    /// The resource component, which may contain `/` and `:`.
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Classifies the resource this ARN names.
    #[must_use]
    pub fn kind(&self) -> ResourceKind<'_> {
        let resource = self.resource.as_str();
        match self.service.as_str() {
            "iam" => iam_kind(resource),
            "sts" => sts_kind(resource),
            "s3" => match resource.split_once('/') {
                Some((bucket, key)) => ResourceKind::S3Object { bucket, key },
                None => ResourceKind::S3Bucket { bucket: resource },
            },
            "kms" => match resource.split_once('/') {
                Some(("key", id)) => ResourceKind::KmsKey { id },
                Some(("alias", name)) => ResourceKind::KmsAlias { name },
                _ => ResourceKind::Other,
            },
            "lambda" => match resource.strip_prefix("function:") {
                Some(rest) => match rest.split_once(':') {
                    Some((name, qualifier)) => ResourceKind::LambdaFunction {
                        name,
                        qualifier: Some(qualifier),
                    },
                    None => ResourceKind::LambdaFunction {
                        name: rest,
                        qualifier: None,
                    },
                },
                None => ResourceKind::Other,
            },
            "sqs" => ResourceKind::SqsQueue { name: resource },
            "sns" => ResourceKind::SnsTopic { name: resource },
            "secretsmanager" => match resource.strip_prefix("secret:") {
                Some(name) => ResourceKind::Secret { name },
                None => ResourceKind::Other,
            },
            _ => ResourceKind::Other,
        }
    }
}

fn iam_kind(resource: &str) -> ResourceKind<'_> {
    if resource == "root" {
        return ResourceKind::AccountRoot;
    }
    let Some((kind, rest)) = resource.split_once('/') else {
        return ResourceKind::Other;
    };
    let (path, name) = split_iam_path(resource);
    match kind {
        "user" => ResourceKind::User { path, name },
        "group" => ResourceKind::Group { path, name },
        "role" => ResourceKind::Role { path, name },
        "policy" => ResourceKind::Policy { path, name },
        "instance-profile" => ResourceKind::InstanceProfile { path, name },
        "saml-provider" => ResourceKind::SamlProvider { name: rest },
        "oidc-provider" => ResourceKind::OidcProvider { url: rest },
        _ => ResourceKind::Other,
    }
}

fn sts_kind(resource: &str) -> ResourceKind<'_> {
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        if let Some((role, session)) = rest.split_once('/') {
            return ResourceKind::AssumedRole { role, session };
        }
    }
    if let Some(name) = resource.strip_prefix("federated-user/") {
        return ResourceKind::FederatedUser { name };
    }
    ResourceKind::Other
}

#[cfg(test)]
mod tests;
