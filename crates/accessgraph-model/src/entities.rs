//! One account's IAM entities, identity providers, resource policies and compute inventory.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::PolicyHash;

/// A resource tag or IAM tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// An inline policy of a user, group or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    /// Policy name.
    pub name: String,
    /// The document.
    pub document: PolicyHash,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// Unique id (`AIDA...`).
    pub id: String,
    /// Names of its groups.
    pub groups: Vec<String>,
    /// Inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// ARN of the permissions boundary.
    pub permissions_boundary: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// Unique id (`AGPA...`).
    pub id: String,
    /// Inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Path (`/aws-service-role/...` for service-linked roles).
    pub path: String,
    /// Unique id (`AROA...`).
    pub id: String,
    /// The trust policy.
    pub trust_policy: PolicyHash,
    /// Inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
    /// ARN of the permissions boundary.
    pub permissions_boundary: Option<String>,
    /// ARNs of the instance profiles holding this role.
    pub instance_profiles: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Role {
    /// Whether this is a service-linked role (path `/aws-service-role/`).
    #[must_use]
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub version_id: String,
    /// Whether this is the version in force.
    pub is_default: bool,
    /// The document.
    pub document: PolicyHash,
}

/// A managed policy (customer managed, or AWS managed and in use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// ARN (account `aws` for AWS managed policies).
    pub arn: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// Unique id (`ANPA...`).
    pub id: String,
    /// The default version id.
    pub default_version: String,
    /// Every stored version (technique: `SetDefaultPolicyVersion`).
    pub versions: Vec<PolicyVersion>,
}

impl ManagedPolicy {
    /// The document of the default version.
    #[must_use]
    pub fn default_document(&self) -> Option<&PolicyHash> {
        self.versions
            .iter()
            .find(|version| version.is_default)
            .or_else(|| {
                self.versions
                    .iter()
                    .find(|version| version.version_id == self.default_version)
            })
            .map(|version| &version.document)
    }
}

/// A SAML identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProvider {
    /// ARN.
    pub arn: String,
}

/// An OIDC identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    /// ARN.
    pub arn: String,
}

/// Which service a resource policy belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourcePolicyKind {
    /// S3 bucket policy.
    S3Bucket,
    /// Lambda function policy.
    LambdaFunction,
    /// KMS key policy.
    KmsKey,
    /// SQS queue policy.
    SqsQueue,
    /// SNS topic policy.
    SnsTopic,
    /// Secrets Manager secret policy.
    Secret,
    /// API Gateway REST API resource policy (`execute-api:Invoke`).
    ApiGateway,
}

/// A resource with its resource-based policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePolicy {
    /// Resource ARN (built from the file name when the output does not carry it).
    pub arn: String,
    /// Kind.
    pub kind: ResourcePolicyKind,
    /// Region (empty for S3).
    pub region: String,
    /// The document.
    pub document: PolicyHash,
}

/// A resource whose output the snapshot holds without a resource-based policy (a queue, topic or
/// secret that has none): still a resource principals reach through their own policies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicylessResource {
    /// Resource ARN.
    pub arn: String,
    /// Kind.
    pub kind: ResourcePolicyKind,
    /// Region (empty for S3).
    pub region: String,
}

/// The services of the compute inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeService {
    /// Lambda functions.
    Lambda,
    /// EC2 instances.
    Ec2Instance,
    /// EC2 launch templates.
    Ec2LaunchTemplate,
    /// SSM-managed instances.
    SsmManagedInstance,
    /// CloudFormation stacks.
    CloudFormation,
    /// CodeBuild projects.
    CodeBuild,
    /// Glue development endpoints.
    GlueDevEndpoint,
    /// Glue jobs.
    GlueJob,
    /// SageMaker notebook instances.
    SageMakerNotebook,
    /// ECS clusters.
    EcsCluster,
    /// App Runner services.
    AppRunner,
    /// ECS task definitions (their task role).
    EcsTaskDefinition,
    /// Running ECS tasks with ECS Exec enabled (the others cannot be entered).
    EcsExecTask,
    /// AWS Batch job definitions (their job role; one entry per role a definition names).
    BatchJobDefinition,
    /// Step Functions state machines.
    StepFunctionsStateMachine,
}

/// A compute resource and the role (or instance profile) it runs as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ComputeResource {
    /// Service.
    pub service: ComputeService,
    /// Region.
    pub region: String,
    /// ARN or id of the resource.
    pub id: String,
    /// Role ARN it runs as, when the output names a role.
    pub role_arn: Option<String>,
    /// Instance profile ARN, for EC2 instances and launch templates.
    pub instance_profile_arn: Option<String>,
    /// The definition the resource runs, whose role it takes when it names none itself (the task
    /// definition of an ECS task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

/// Which (service, region) pairs the inventory covers: for those, edges are exact.
pub type InventoryCoverage = BTreeSet<(ComputeService, String)>;

/// One account's data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 12-digit id.
    pub id: String,
    /// IAM users, sorted by ARN.
    pub users: Vec<User>,
    /// IAM groups, sorted by ARN.
    pub groups: Vec<Group>,
    /// IAM roles, sorted by ARN.
    pub roles: Vec<Role>,
    /// Managed policies, sorted by ARN.
    pub managed_policies: Vec<ManagedPolicy>,
    /// SAML providers.
    pub saml_providers: Vec<SamlProvider>,
    /// OIDC providers.
    pub oidc_providers: Vec<OidcProvider>,
    /// Resource policies, sorted by ARN.
    pub resource_policies: Vec<ResourcePolicy>,
    /// Resources whose output has no resource-based policy, sorted by ARN.
    #[serde(default)]
    pub policyless_resources: Vec<PolicylessResource>,
    /// Compute inventory, sorted.
    pub compute: Vec<ComputeResource>,
    /// Which inventory files were present.
    pub inventory_coverage: InventoryCoverage,
    /// The regions whose regional outputs were collected (`snapshot.json`'s `regions`), sorted;
    /// `None` when the snapshot does not say, so a region without files may hold anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// S3 canonical user id of the account (`s3/_list-buckets.json`).
    pub s3_canonical_id: Option<String>,
    /// The buckets the account owns (`s3/_list-buckets.json`), sorted; `None` when not listed.
    #[serde(default)]
    pub buckets: Option<Vec<String>>,
    /// S3 bucket ACLs (`s3/acl/`) with their ownership controls (`s3/ownership/`), by bucket.
    #[serde(default)]
    pub bucket_acls: Vec<BucketAcl>,
    /// VPC endpoints (`REGION/ec2/describe-vpc-endpoints.json`), sorted by id.
    #[serde(default)]
    pub vpc_endpoints: Vec<VpcEndpoint>,
}

/// A VPC endpoint and the policy that filters the requests going through it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// `vpce-...`.
    pub id: String,
    /// Region.
    pub region: String,
    /// The VPC it belongs to.
    pub vpc_id: Option<String>,
    /// The service it reaches (`com.amazonaws.us-east-1.s3`).
    pub service_name: Option<String>,
    /// Its policy; `None` for endpoint types without one (the full-access default).
    pub policy: Option<PolicyHash>,
}

/// Who an S3 ACL grant is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum AclGrantee {
    /// An AWS account by its S3 canonical user id.
    CanonicalUser(String),
    /// `http://acs.amazonaws.com/groups/global/AllUsers`: anyone, anonymous included.
    AllUsers,
    /// `http://acs.amazonaws.com/groups/global/AuthenticatedUsers`: any AWS account.
    AuthenticatedUsers,
    /// Another grantee (the log delivery group, an e-mail address): kept for display.
    Other(String),
}

/// One grant of a bucket ACL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclGrant {
    /// Who.
    pub grantee: AclGrantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

/// A bucket's ACL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketAcl {
    /// Bucket name.
    pub bucket: String,
    /// The owner's canonical user id.
    pub owner: Option<String>,
    /// Grants, sorted.
    pub grants: Vec<AclGrant>,
    /// `ObjectOwnership` of the ownership controls (`BucketOwnerEnforced` disables ACLs), when
    /// collected.
    pub ownership: Option<String>,
}
