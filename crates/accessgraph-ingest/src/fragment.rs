//! What one parsed file contributes to a snapshot, before the fragments are merged.

use accessgraph_model::{
    ComputeResource, ComputeService, Group, ManagedPolicy, OrgAccount, OrgPolicy,
    OrganizationalUnit, PolicyHash, ResourcePolicy, Role, Root, User,
};

/// A parsed file's contribution.
#[derive(Debug, Clone)]
pub(crate) enum Fragment {
    Organization {
        id: String,
        arn: String,
        management_account_id: String,
        feature_set: String,
    },
    Roots(Vec<Root>),
    OrgAccounts(Vec<OrgAccount>),
    Ous(Vec<OrganizationalUnit>),
    Children {
        parent: String,
        accounts: Vec<String>,
    },
    OrgPolicy(OrgPolicy),
    Targets {
        policy_id: String,
        targets: Vec<String>,
    },
    Authorization {
        /// The file, to name it when two dumps of one account disagree.
        file: String,
        account: String,
        users: Vec<User>,
        groups: Vec<Group>,
        roles: Vec<Role>,
        policies: Vec<ManagedPolicy>,
    },
    SamlProviders {
        account: String,
        arns: Vec<String>,
    },
    OidcProviders {
        account: String,
        arns: Vec<String>,
    },
    BucketList {
        account: String,
        canonical_id: Option<String>,
        buckets: Vec<String>,
    },
    /// A resource's policy output: the policy, or the resource alone when it has none.
    ResourcePolicy {
        account: String,
        policy: Result<ResourcePolicy, accessgraph_model::PolicylessResource>,
    },
    Inventory {
        account: String,
        region: String,
        service: ComputeService,
        resources: Vec<ComputeResource>,
    },
    BucketAcl {
        account: String,
        acl: accessgraph_model::BucketAcl,
    },
    VpcEndpoints {
        account: String,
        endpoints: Vec<accessgraph_model::VpcEndpoint>,
    },
    BucketOwnership {
        account: String,
        bucket: String,
        ownership: Option<String>,
    },
    SsoInstances(Vec<accessgraph_model::SsoInstance>),
    PermissionSet(accessgraph_model::PermissionSet),
    SsoAssignments(Vec<accessgraph_model::AccountAssignment>),
    SsoUsers(Vec<accessgraph_model::SsoUser>),
    SsoGroups(Vec<accessgraph_model::SsoGroup>),
    SsoMemberships(Vec<accessgraph_model::GroupMembership>),
    /// A file that authorizes nothing (the manifest; a tag or backup policy).
    Nothing,
    /// A file outside the layout that nothing reads: the warning that says so.
    Unrecognised {
        file: String,
        warning: String,
    },
}

/// A fragment and the policy documents it references.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub(crate) fragment: Fragment,
    pub(crate) documents: Vec<(PolicyHash, String)>,
    /// What the file's policies name that the AWS catalog does not have.
    pub(crate) warnings: Vec<String>,
}

/// A policy document as a file's parser meets it: its hash, normalized text, and warnings.
#[derive(Debug)]
pub(crate) struct ParsedPolicy {
    pub(crate) hash: PolicyHash,
    pub(crate) text: String,
    pub(crate) warnings: Vec<String>,
}

/// Collects the documents a file's parser meets, and their warnings.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    pub(crate) kept: Vec<(PolicyHash, String)>,
    pub(crate) warnings: Vec<String>,
    /// The hashes kept: a document many entities share (a trust policy) is kept once.
    seen: std::collections::HashSet<PolicyHash>,
}

impl Documents {
    /// Keeps a parsed document and returns its hash.
    pub(crate) fn keep(&mut self, policy: ParsedPolicy) -> PolicyHash {
        self.warnings.extend(policy.warnings);
        if self.seen.insert(policy.hash.clone()) {
            self.kept.push((policy.hash.clone(), policy.text));
        }
        policy.hash
    }
}
