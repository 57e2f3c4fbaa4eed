//! Small organizations built in memory, for tests that need a snapshot of a precise shape:
//! accounts with users, groups, roles and buckets (policies, ACLs, listed or not), an optional
//! organization, and a collection time.

use std::collections::BTreeMap;

use accessgraph_model::{
    Account, AclGrant, AclGrantee, BucketAcl, Group, InlinePolicy, ManagedPolicy, OrgAccount,
    OrgPolicy, OrgPolicyKind, Organization, PolicyHash, PolicyVersion, ResourcePolicy,
    ResourcePolicyKind, Role, Root, Snapshot, SnapshotId, SnapshotMeta, User,
};
use accessgraph_policy::PolicyDocument;
use serde_json::{Value, json};

/// The organization id the builder uses.
pub(crate) const ORG_ID: &str = "o-fixture0001";

/// Builds a snapshot.
#[derive(Debug, Default)]
pub(crate) struct OrgBuilder {
    documents: BTreeMap<PolicyHash, String>,
    accounts: BTreeMap<String, Account>,
    /// Member accounts of the organization (the first is the management account).
    members: Option<Vec<String>>,
    collected_at: Option<String>,
}

/// A `2012-10-17` policy document of `statements`, normalized as ingest stores it, with its hash.
pub(crate) fn normalized(statements: Value) -> (PolicyHash, String) {
    let text = PolicyDocument::parse(
        &json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
    )
    .expect("fixture policy parses")
    .to_json()
    .to_string();
    (PolicyHash::of(&text), text)
}

/// An IAM ARN of `account`.
pub(crate) fn iam_arn(account: &str, kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}/{name}")
}

impl OrgBuilder {
    /// Stores a policy document made of `statements` (one statement object or an array).
    pub(crate) fn document(&mut self, statements: Value) -> PolicyHash {
        let (hash, text) = normalized(statements);
        self.documents.insert(hash.clone(), text);
        hash
    }

    /// The account `id`, created empty on first use.
    pub(crate) fn account(&mut self, id: &str) -> &mut Account {
        self.accounts
            .entry(id.to_owned())
            .or_insert_with(|| Account {
                id: id.to_owned(),
                ..Account::default()
            })
    }

    /// Puts the listed accounts in an organization, the first as its management account.
    pub(crate) fn organization(mut self, members: &[&str]) -> Self {
        self.members = Some(members.iter().map(|id| (*id).to_owned()).collect());
        self
    }

    /// Sets the collection time of `snapshot.json`.
    pub(crate) fn collected_at(mut self, time: &str) -> Self {
        self.collected_at = Some(time.to_owned());
        self
    }

    /// A user with one inline policy of `statements` (none when `Value::Null`) in `groups`.
    pub(crate) fn user(&mut self, account: &str, name: &str, statements: Value, groups: &[&str]) {
        let inline_policies = self.inline(statements);
        let user = User {
            arn: iam_arn(account, "user", name),
            name: name.into(),
            path: "/".into(),
            id: format!("AIDA{}{}", account, name.to_uppercase()),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            inline_policies,
            attached_policies: vec![],
            permissions_boundary: None,
            tags: vec![],
        };
        self.account(account).users.push(user);
    }

    /// A group with one inline policy of `statements` and the attached managed policies.
    pub(crate) fn group(
        &mut self,
        account: &str,
        name: &str,
        statements: Value,
        attached: &[&str],
    ) {
        let inline_policies = self.inline(statements);
        let group = Group {
            arn: iam_arn(account, "group", name),
            name: name.into(),
            path: "/".into(),
            id: format!("AGPA{}{}", account, name.to_uppercase()),
            inline_policies,
            attached_policies: attached.iter().map(|arn| (*arn).to_owned()).collect(),
        };
        self.account(account).groups.push(group);
    }

    /// A managed policy of `account` (or `aws` for an AWS managed one, kept by `account`).
    pub(crate) fn managed(&mut self, account: &str, arn: &str, statements: Value) {
        let document = self.document(statements);
        let name = arn.rsplit('/').next().unwrap_or(arn).to_owned();
        let policy = ManagedPolicy {
            arn: arn.to_owned(),
            name,
            path: "/".into(),
            id: format!("ANPA{}", arn.len()),
            default_version: "v1".into(),
            versions: vec![PolicyVersion {
                version_id: "v1".into(),
                is_default: true,
                document,
            }],
        };
        self.account(account).managed_policies.push(policy);
    }

    /// A role with trust statements `trust` and one inline policy of `statements`; `path/name`
    /// (`svc/deploy`) gives it a path.
    pub(crate) fn role(&mut self, account: &str, path_name: &str, trust: Value, statements: Value) {
        let trust_policy = self.document(trust);
        let inline_policies = self.inline(statements);
        let (path, name) = match path_name.rsplit_once('/') {
            Some((path, name)) => (format!("/{path}/"), name),
            None => ("/".to_owned(), path_name),
        };
        let role = Role {
            arn: iam_arn(account, "role", path_name),
            name: name.into(),
            path,
            id: format!("AROA{}{}", account, name.to_uppercase()),
            trust_policy,
            inline_policies,
            attached_policies: vec![],
            permissions_boundary: None,
            instance_profiles: vec![],
            tags: vec![],
        };
        self.account(account).roles.push(role);
    }

    /// A bucket of `account`: listed by `list-buckets` when `listed`, with an optional bucket
    /// policy of `policy` statements.
    pub(crate) fn bucket(
        &mut self,
        account: &str,
        name: &str,
        listed: bool,
        policy: Option<Value>,
    ) {
        let document = policy.map(|statements| self.document(statements));
        let owner = self.account(account);
        if listed {
            owner
                .buckets
                .get_or_insert_with(Vec::new)
                .push(name.to_owned());
        }
        if let Some(document) = document {
            owner.resource_policies.push(ResourcePolicy {
                arn: format!("arn:aws:s3:::{name}"),
                kind: ResourcePolicyKind::S3Bucket,
                region: String::new(),
                document,
            });
        }
    }

    /// A VPC endpoint of `account` with a policy of `statements`.
    pub(crate) fn vpc_endpoint(&mut self, account: &str, id: &str, statements: Value) {
        let policy = Some(self.document(statements));
        self.account(account)
            .vpc_endpoints
            .push(accessgraph_model::VpcEndpoint {
                id: id.to_owned(),
                region: "us-east-1".to_owned(),
                vpc_id: Some("vpc-0fixture".to_owned()),
                service_name: Some("com.amazonaws.us-east-1.s3".to_owned()),
                policy,
            });
    }

    /// Sets the S3 canonical user id of `account` (as `list-buckets` reports it).
    pub(crate) fn canonical_id(&mut self, account: &str, id: &str) {
        self.account(account).s3_canonical_id = Some(id.to_owned());
        self.account(account).buckets.get_or_insert_with(Vec::new);
    }

    /// An ACL on a bucket of `account`: grants of `(grantee, permission)`, with the ownership
    /// mode.
    pub(crate) fn acl(
        &mut self,
        account: &str,
        bucket: &str,
        grants: &[(AclGrantee, &str)],
        ownership: Option<&str>,
    ) {
        let owner_id = self.account(account).s3_canonical_id.clone();
        self.account(account).bucket_acls.push(BucketAcl {
            bucket: bucket.to_owned(),
            owner: owner_id,
            grants: grants
                .iter()
                .map(|(grantee, permission)| AclGrant {
                    grantee: grantee.clone(),
                    permission: (*permission).to_owned(),
                })
                .collect(),
            ownership: ownership.map(str::to_owned),
        });
    }

    fn inline(&mut self, statements: Value) -> Vec<InlinePolicy> {
        if statements.is_null() {
            return vec![];
        }
        vec![InlinePolicy {
            name: "inline".into(),
            document: self.document(statements),
        }]
    }

    /// The snapshot, every list sorted as ingest sorts it.
    pub(crate) fn build(mut self) -> Snapshot {
        let full_access = self.document(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        let organization = self.members.as_ref().map(|members| Organization {
            id: ORG_ID.into(),
            arn: String::new(),
            management_account_id: members.first().cloned().unwrap_or_default(),
            feature_set: "ALL".into(),
            roots: vec![Root {
                id: "r-fix".into(),
                name: "Root".into(),
                enabled_policy_types: vec!["SERVICE_CONTROL_POLICY".into()],
            }],
            ous: vec![],
            accounts: members
                .iter()
                .map(|id| OrgAccount {
                    id: id.clone(),
                    name: format!("account-{id}"),
                    email: String::new(),
                    status: "ACTIVE".into(),
                    parent_id: Some("r-fix".into()),
                })
                .collect(),
            policies: vec![OrgPolicy {
                id: "p-FullAWSAccess".into(),
                arn: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
                    .into(),
                name: "FullAWSAccess".into(),
                kind: OrgPolicyKind::Scp,
                aws_managed: true,
                document: full_access,
                targets: std::iter::once("r-fix".to_owned())
                    .chain(members.iter().cloned())
                    .collect(),
            }],
            identity_center: None,
        });
        let mut accounts: Vec<Account> = self.accounts.into_values().collect();
        for account in &mut accounts {
            account.users.sort_by(|a, b| a.arn.cmp(&b.arn));
            account.groups.sort_by(|a, b| a.arn.cmp(&b.arn));
            account.roles.sort_by(|a, b| a.arn.cmp(&b.arn));
            account.managed_policies.sort_by(|a, b| a.arn.cmp(&b.arn));
            account.resource_policies.sort_by(|a, b| a.arn.cmp(&b.arn));
            if let Some(buckets) = &mut account.buckets {
                buckets.sort();
            }
        }
        let mut snapshot = Snapshot {
            meta: SnapshotMeta {
                id: SnapshotId(0),
                label: None,
                source: "fixture".into(),
                collected_at: self.collected_at,
                ingested_at: String::new(),
                partition: "aws".into(),
                counts: Default::default(),
            },
            organization,
            accounts,
            documents: self.documents,
            warnings: vec![],
            gaps: vec![],
        };
        snapshot.recount();
        snapshot
    }
}
