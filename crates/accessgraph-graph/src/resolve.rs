//! The one resource resolver: for any resource ARN of a snapshot, everything AWS uses on the
//! resource side of a request (iam-semantics.md §3.4-§3.7): the owner account, the resource-based
//! policy (a role's trust policy for the `sts:` actions it governs, bucket, key, function, queue,
//! topic, secret and REST API policies), the bucket ACL written as a policy and the ownership
//! mode that disables it, the resource's tags and its organization.
//!
//! It also resolves principals that are not users or roles of the snapshot (another account's
//! principals, `*`) with what the snapshot knows of their account: organization membership (an
//! account missing from a known organization's account list is not a member) and the S3
//! canonical id. The graph's edge builders and the [`crate::Simulator`] both ask it; no other code
//! looks resources up, so both decide a request the same way.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use accessgraph_model::{AclGrantee, BucketAcl, ResourcePolicyKind, Snapshot};
use accessgraph_policy::{
    Action, Conditions, OrgMembership, Policy, PolicyDocument, Principal, PrincipalError,
    RequestContext, Resource, Unresolved,
};
use serde_json::json;

use crate::context::{AccountContext, Actor, Docs};

/// The audience AWS sign-in presents for console SAML federation (iam-semantics.md §4.3).
pub(crate) const SAML_SIGNIN_AUDIENCE: &str = "https://signin.aws.amazon.com/saml";

/// A resource-based policy and the account that owns the resource.
#[derive(Debug, Clone)]
pub(crate) struct Owned {
    pub(crate) owner: String,
    pub(crate) kind: ResourcePolicyKind,
    pub(crate) policy: Arc<Policy>,
}

/// What the snapshot knows of one S3 bucket.
#[derive(Debug, Clone, Default)]
struct Bucket {
    owner: String,
    /// The ACL as a policy; `None` without an ACL or when `BucketOwnerEnforced` disables it.
    acl: Option<Arc<Policy>>,
}

/// The resource side of one request.
#[derive(Debug, Clone)]
pub(crate) struct ResourceSide<'r> {
    /// The resource with its owner, organization and tags as far as they are known.
    pub(crate) resource: Resource,
    /// The resource-based policy (the trust policy for a role and the `sts:` actions).
    pub(crate) policy: Option<&'r Policy>,
    /// The bucket ACL as a policy.
    pub(crate) acl: Option<&'r Policy>,
}

/// The snapshot's users and roles, as the resolver reads them (trust policies, tags).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actors<'a> {
    pub(crate) list: &'a [Actor],
    pub(crate) by_arn: &'a HashMap<String, usize>,
}

impl<'a> Actors<'a> {
    fn get(&self, arn: &str) -> Option<&'a Actor> {
        self.by_arn.get(arn).and_then(|idx| self.list.get(*idx))
    }
}

/// The resource side of every resource of a snapshot, and the account facts of outsiders.
#[derive(Debug)]
pub(crate) struct Resolver {
    /// Resource-based policies by resource ARN.
    policies: HashMap<String, Owned>,
    /// Buckets by name.
    buckets: HashMap<String, Bucket>,
    /// Organization membership of every account the snapshot names.
    orgs: HashMap<String, Arc<OrgMembership>>,
    /// Membership of an account the snapshot does not name: not a member when the organization's
    /// account list is known, else unknown.
    other_org: Arc<OrgMembership>,
    /// Membership of `*` (any principal whose account has no IAM data in the snapshot): not a
    /// member when every account of the organization has IAM data, else unknown.
    anyone_org: OrgMembership,
    /// VPC endpoint policies by endpoint id.
    endpoints: HashMap<String, Arc<Policy>>,
    /// S3 canonical user ids by account, and accounts by canonical id.
    canonical_ids: BTreeMap<String, String>,
    accounts_by_canonical_id: HashMap<String, String>,
    /// The earliest time a request can be made: the snapshot's collection (or ingest) time.
    earliest_time_ms: Option<i64>,
    partition: String,
    /// See [`Resolver::unknown_identity`].
    unknown_identity: Option<Arc<Policy>>,
    /// An empty request context with the earliest request time.
    base_context: RequestContext,
}

impl Resolver {
    /// Indexes a snapshot's resources. `accounts` holds each account's organization membership.
    pub(crate) fn new(
        snapshot: &Snapshot,
        docs: &Docs,
        accounts: &BTreeMap<String, AccountContext>,
    ) -> Resolver {
        let mut policies = HashMap::new();
        let mut buckets: HashMap<String, Bucket> = HashMap::new();
        let mut canonical_ids = BTreeMap::new();
        let mut accounts_by_canonical_id = HashMap::new();
        let mut endpoints = HashMap::new();
        for account in &snapshot.accounts {
            for endpoint in &account.vpc_endpoints {
                if let Some(policy) = endpoint.policy.as_ref().and_then(|document| {
                    docs.policy(&format!("{}#vpc-endpoint-policy", endpoint.id), document)
                }) {
                    endpoints.insert(endpoint.id.clone(), policy);
                }
            }
            if let Some(id) = &account.s3_canonical_id {
                canonical_ids.insert(account.id.clone(), id.clone());
                accounts_by_canonical_id.insert(id.clone(), account.id.clone());
            }
            for name in account.buckets.iter().flatten() {
                buckets.entry(name.clone()).or_insert_with(|| Bucket {
                    owner: account.id.clone(),
                    acl: None,
                });
            }
            for resource in &account.resource_policies {
                let Some(policy) =
                    docs.policy(&format!("{}#policy", resource.arn), &resource.document)
                else {
                    continue;
                };
                if let Some(name) = bucket_name(&resource.arn) {
                    buckets.entry(name.to_owned()).or_insert_with(|| Bucket {
                        owner: account.id.clone(),
                        acl: None,
                    });
                }
                policies.insert(
                    resource.arn.clone(),
                    Owned {
                        owner: account.id.clone(),
                        kind: resource.kind,
                        policy,
                    },
                );
            }
        }
        for account in &snapshot.accounts {
            for acl in &account.bucket_acls {
                let bucket = buckets.entry(acl.bucket.clone()).or_insert_with(|| Bucket {
                    owner: account.id.clone(),
                    acl: None,
                });
                bucket.acl = acl_policy(acl, &snapshot.meta.partition, &accounts_by_canonical_id)
                    .map(Arc::new);
            }
        }
        let orgs: HashMap<String, Arc<OrgMembership>> = accounts
            .iter()
            .map(|(id, account)| (id.clone(), Arc::new(account.org.clone())))
            .collect();
        let (other_org, anyone_org) = match &snapshot.organization {
            None => (OrgMembership::Unknown, OrgMembership::Unknown),
            Some(org) => {
                let every_member_has_iam = org
                    .accounts
                    .iter()
                    .all(|member| snapshot.account(&member.id).is_some());
                (
                    OrgMembership::None,
                    if every_member_has_iam {
                        OrgMembership::None
                    } else {
                        OrgMembership::Unknown
                    },
                )
            }
        };
        let earliest_time_ms = snapshot
            .meta
            .collected_at
            .as_deref()
            .into_iter()
            .chain(Some(snapshot.meta.ingested_at.as_str()))
            .find_map(accessgraph_policy::parse_time);
        Resolver {
            policies,
            buckets,
            endpoints,
            orgs,
            other_org: Arc::new(other_org),
            anyone_org,
            canonical_ids,
            accounts_by_canonical_id,
            earliest_time_ms,
            partition: snapshot.meta.partition.clone(),
            unknown_identity: unknown_identity().map(Arc::new),
            base_context: earliest_time_ms.map_or_else(RequestContext::new, |epoch_ms| {
                RequestContext::new().with_earliest_time(epoch_ms)
            }),
        }
    }

    /// The resource side of `action` on `arn` (an ARN, or `*`).
    ///
    /// An S3 object takes its bucket's owner, policy and ACL; a method of a REST API
    /// (`API_ARN/stage/METHOD/path`) its API's policy; a role its trust policy for the `sts:`
    /// actions the trust policy governs. A bucket no account lists has an unknown owner.
    pub(crate) fn resolve<'r>(
        &'r self,
        arn: &str,
        action: &Action,
        actors: Actors<'r>,
    ) -> ResourceSide<'r> {
        let mut resource = Resource::new(arn.to_owned());
        let mut policy = None;
        let mut acl = None;
        if let Some(rest) = bucket_name(arn) {
            let name = rest.split_once('/').map_or(rest, |(bucket, _)| bucket);
            match self.buckets.get(name) {
                Some(bucket) => {
                    resource = resource.with_account(bucket.owner.clone());
                    acl = bucket.acl.as_deref();
                    policy = self
                        .policies
                        .get(&self.bucket_arn(name))
                        .map(|owned| owned.policy.as_ref());
                }
                None if !name.is_empty() => resource = resource.with_unknown_owner(),
                None => {}
            }
        } else if let Some(owned) = self.policies.get(arn).or_else(|| {
            arn.starts_with("arn:aws:execute-api:")
                .then(|| arn.split_once('/'))
                .flatten()
                .and_then(|(api, _)| self.policies.get(api))
        }) {
            resource = resource.with_account(owned.owner.clone());
            policy = Some(owned.policy.as_ref());
        } else if let Some(actor) = actors.get(arn) {
            if let Some(tags) = actor.principal.tags() {
                resource = resource.with_tags(Arc::clone(tags));
            }
            if accessgraph_policy::is_trust_action(action.lower()) {
                policy = actor.trust.as_deref();
            }
        }
        if let Some(owner) = resource.account().map(str::to_owned) {
            resource = resource.with_org(self.org_of(&owner));
        }
        ResourceSide {
            resource,
            policy,
            acl,
        }
    }

    /// The resource-based policies of the snapshot, by ARN, with owner and kind.
    pub(crate) fn policy(&self, arn: &str) -> Option<&Owned> {
        self.policies.get(arn)
    }

    /// The policy of the VPC endpoint a request goes through, when its context names one of the
    /// snapshot's endpoints (`aws:SourceVpce`).
    pub(crate) fn endpoint_policy(&self, context: &RequestContext) -> Option<&Policy> {
        context
            .value("aws:SourceVpce")
            .and_then(|id| self.endpoints.get(id))
            .map(AsRef::as_ref)
    }

    /// The snapshot's VPC endpoints that conditions name: a string clause on `aws:SourceVpce`
    /// (`StringEquals`, `StringNotEquals`, ...) naming an endpoint's id, each with the condition
    /// "the request comes through it": the clause itself for `StringEquals` of that id alone,
    /// its negation for `StringNotEquals` of that id alone (the key has one value; absent, the
    /// negated operator holds), else a clause `StringEquals` of the id.
    pub(crate) fn endpoints_named(&self, conditions: &[Unresolved]) -> Vec<(String, Conditions)> {
        let mut named: Vec<(String, Conditions)> = Vec::new();
        if self.endpoints.is_empty() {
            return named;
        }
        for clause in conditions {
            let operator = clause.operator.as_str();
            if !clause.key.eq_ignore_ascii_case("aws:SourceVpce") || !operator.contains("String") {
                continue;
            }
            for id in &clause.values {
                if !self.endpoints.contains_key(id) || named.iter().any(|(known, _)| known == id) {
                    continue;
                }
                let alone = clause.values.len() == 1;
                let through = match operator {
                    "StringEquals" if alone => Conditions::all(vec![clause.clone()]),
                    "StringNotEquals" if alone => Conditions::all(vec![clause.clone()]).negate(),
                    _ => Conditions::all(vec![Unresolved {
                        operator: "StringEquals".to_owned(),
                        values: vec![id.clone()],
                        ..clause.clone()
                    }]),
                };
                named.push((id.clone(), through));
            }
        }
        named
    }

    /// The kind of a resource that permit edges are drawn into: its resource-based policy's, else
    /// read from the ARN's form (a bucket, not an object; a KMS key, a Lambda function, an SQS
    /// queue, an SNS topic, a secret, a REST API).
    pub(crate) fn kind(&self, arn: &str) -> Option<ResourcePolicyKind> {
        if let Some(owned) = self.policies.get(arn) {
            return Some(owned.kind);
        }
        let [_, _, service, _, _, resource] = accessgraph_policy::arn_components(arn)?;
        let kind = match service {
            "s3" if !resource.is_empty() && !resource.contains('/') => ResourcePolicyKind::S3Bucket,
            "kms" if resource.starts_with("key/") => ResourcePolicyKind::KmsKey,
            "lambda" if resource.starts_with("function:") => ResourcePolicyKind::LambdaFunction,
            "sqs" if !resource.is_empty() => ResourcePolicyKind::SqsQueue,
            "sns" if !resource.is_empty() => ResourcePolicyKind::SnsTopic,
            "secretsmanager" if resource.starts_with("secret:") => ResourcePolicyKind::Secret,
            "execute-api" if !resource.is_empty() && !resource.contains('/') => {
                ResourcePolicyKind::ApiGateway
            }
            _ => return None,
        };
        Some(kind)
    }

    /// The ARN of a bucket in the snapshot's partition.
    pub(crate) fn bucket_arn(&self, name: &str) -> String {
        format!("arn:{}:s3:::{name}", self.partition)
    }

    /// The ACL of a bucket, as a policy.
    pub(crate) fn bucket_acl(&self, bucket_arn: &str) -> Option<&Policy> {
        bucket_name(bucket_arn)
            .and_then(|name| self.buckets.get(name))
            .and_then(|bucket| bucket.acl.as_deref())
    }

    /// The organization membership of an account: its own when the snapshot names it, else not
    /// a member when the organization's account list is known, else unknown.
    pub(crate) fn org_of(&self, account: &str) -> Arc<OrgMembership> {
        Arc::clone(self.orgs.get(account).unwrap_or(&self.other_org))
    }

    /// A principal that is not a user or role of the snapshot (another account's user, role or
    /// root, a service, a provider, `*`), with what the snapshot knows of its account.
    pub(crate) fn principal(&self, text: &str) -> Result<Principal, PrincipalError> {
        let principal = Principal::parse(text)?;
        Ok(self.with_account_facts(principal))
    }

    /// Adds the organization membership and canonical id of the principal's account.
    pub(crate) fn with_account_facts(&self, principal: Principal) -> Principal {
        let Some(account) = principal.account().map(str::to_owned) else {
            return principal;
        };
        let principal = principal.with_org(self.org_of(&account));
        match self.canonical_ids.get(&account) {
            Some(id) => principal.with_canonical_id(id.clone()),
            None => principal,
        }
    }

    /// The earliest time a request can be made (epoch milliseconds): the snapshot's collection
    /// time, else its ingest time.
    pub(crate) fn earliest_time(&self) -> Option<i64> {
        self.earliest_time_ms
    }

    /// The S3 canonical user id of an account, when its buckets were listed.
    pub(crate) fn canonical_id(&self, account: &str) -> Option<&str> {
        self.canonical_ids.get(account).map(String::as_str)
    }

    /// The allow-everything policy that stands in for the unknown identity policies of a
    /// principal outside the snapshot (an allow that needs it is conditional on them).
    pub(crate) fn unknown_identity(&self) -> &[Arc<Policy>] {
        self.unknown_identity.as_slice()
    }

    /// `*` seen as an authenticated caller: any principal whose account has no IAM data here.
    pub(crate) fn outsider(&self) -> Principal {
        Principal::outsider(&self.partition, self.anyone_org.clone())
    }

    /// The account whose S3 canonical user id this is.
    pub(crate) fn account_of_canonical_id(&self, id: &str) -> Option<&str> {
        self.accounts_by_canonical_id.get(id).map(String::as_str)
    }

    /// The request context every request of this snapshot starts from: the earliest request
    /// time, and what a request of this action always carries (`SAML:aud` of AWS sign-in for
    /// `sts:AssumeRoleWithSAML`). Keys in `given` win. Borrowed (nothing copied) for the usual
    /// empty context.
    pub(crate) fn request_context<'c>(
        &'c self,
        action: &Action,
        given: &'c RequestContext,
    ) -> Cow<'c, RequestContext> {
        let saml = action.lower() == "sts:assumerolewithsaml" && !given.contains("saml:aud");
        let time = given.earliest_time().is_none() && self.earliest_time_ms.is_some();
        if !saml && !time {
            return Cow::Borrowed(given);
        }
        if !saml && given.is_empty() {
            return Cow::Borrowed(&self.base_context);
        }
        let mut context = given.clone();
        if let (true, Some(epoch_ms)) = (time, self.earliest_time_ms) {
            context.set_earliest_time(epoch_ms);
        }
        if saml {
            context.insert("SAML:aud", SAML_SIGNIN_AUDIENCE);
        }
        Cow::Owned(context)
    }
}

/// The bucket name (and object key) of an S3 ARN of any partition.
fn bucket_name(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(':')?;
    rest.strip_prefix("s3:::")
}

/// The stand-in identity policy of outside principals: allows everything, labelled so that an
/// evaluation shows it relied on it.
fn unknown_identity() -> Option<Policy> {
    PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .ok()
    .map(|document| Policy::new(crate::context::UNKNOWN_IDENTITY, document))
}

/// The actions an ACL permission grants on a bucket, and whether they act on its objects
/// (S3 User Guide, "Mapping of ACL permissions and access policy permissions"). Object ACLs are
/// not in a snapshot, so `READ` on the bucket lists it; it does not read its objects.
fn acl_actions(permission: &str) -> &'static [(&'static str, bool)] {
    const READ: [(&str, bool); 3] = [
        ("s3:ListBucket", false),
        ("s3:ListBucketVersions", false),
        ("s3:ListBucketMultipartUploads", false),
    ];
    const WRITE: [(&str, bool); 2] = [("s3:PutObject", true), ("s3:DeleteObject", true)];
    const READ_ACP: [(&str, bool); 1] = [("s3:GetBucketAcl", false)];
    const WRITE_ACP: [(&str, bool); 1] = [("s3:PutBucketAcl", false)];
    const FULL_CONTROL: [(&str, bool); 7] = [
        READ[0],
        READ[1],
        READ[2],
        WRITE[0],
        WRITE[1],
        READ_ACP[0],
        WRITE_ACP[0],
    ];
    match permission {
        "READ" => &READ,
        "WRITE" => &WRITE,
        "READ_ACP" => &READ_ACP,
        "WRITE_ACP" => &WRITE_ACP,
        "FULL_CONTROL" => &FULL_CONTROL,
        _ => &[],
    }
}

/// A bucket ACL written as a resource policy: one allow statement per grant, naming the
/// grantee's account (by its root ARN when the canonical id belongs to an account of the
/// snapshot, else by canonical id), `*` for `AllUsers`, and `*` but not anonymous callers for
/// `AuthenticatedUsers`. `None` when the ACL grants nothing or `BucketOwnerEnforced` disables it.
fn acl_policy(
    acl: &BucketAcl,
    partition: &str,
    accounts_by_canonical_id: &HashMap<String, String>,
) -> Option<Policy> {
    if acl.ownership.as_deref() == Some("BucketOwnerEnforced") {
        return None;
    }
    let bucket_arn = format!("arn:{partition}:s3:::{}", acl.bucket);
    let mut statements = Vec::new();
    for grant in &acl.grants {
        let actions = acl_actions(&grant.permission);
        if actions.is_empty() {
            continue;
        }
        let (principal, condition, grantee) = match &grant.grantee {
            AclGrantee::AllUsers => (json!("*"), None, "AllUsers".to_owned()),
            AclGrantee::AuthenticatedUsers => (
                json!("*"),
                Some(json!({"StringNotEquals": {"aws:PrincipalType": "Anonymous"}})),
                "AuthenticatedUsers".to_owned(),
            ),
            // The owner's own grant (the default FULL_CONTROL) adds nothing to its identity
            // policies: a same-account grant to the account delegates to them.
            AclGrantee::CanonicalUser(id) if acl.owner.as_deref() == Some(id.as_str()) => continue,
            AclGrantee::CanonicalUser(id) => match accounts_by_canonical_id.get(id) {
                Some(account) => (
                    json!({"AWS": format!("arn:{partition}:iam::{account}:root")}),
                    None,
                    format!("account {account}"),
                ),
                None => (
                    json!({"CanonicalUser": id}),
                    None,
                    format!("canonical user {id}"),
                ),
            },
            AclGrantee::Other(_) => continue,
        };
        let resources: Vec<String> = actions
            .iter()
            .map(|(_, objects)| {
                if *objects {
                    format!("{bucket_arn}/*")
                } else {
                    bucket_arn.clone()
                }
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut statement = json!({
            "Sid": format!("ACL grant {} to {grantee}", grant.permission),
            "Effect": "Allow",
            "Principal": principal,
            "Action": actions.iter().map(|(action, _)| *action).collect::<Vec<_>>(),
            "Resource": resources,
        });
        if let (Some(condition), Some(map)) = (condition, statement.as_object_mut()) {
            map.insert("Condition".to_owned(), condition);
        }
        statements.push(statement);
    }
    if statements.is_empty() {
        return None;
    }
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    PolicyDocument::parse(&text)
        .ok()
        .map(|document| Policy::new(format!("{bucket_arn}#acl"), document))
}

#[cfg(test)]
mod tests;
