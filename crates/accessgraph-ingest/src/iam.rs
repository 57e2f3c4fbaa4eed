//! The entries of `get-account-authorization-details` (streamed by `stream.rs`) and the
//! identity-provider lists (iam-semantics.md §7.1).

use accessgraph_model::{Group, InlinePolicy, ManagedPolicy, PolicyVersion, Role, Tag, User};

use crate::error::IngestError;
use crate::fragment::Documents;
use crate::json::{Node, Result};

/// Longest ARN accepted (AWS's own bound on ARNs).
const MAX_ARN_CHARS: usize = 2048;
/// Longest user, group or role name accepted (AWS allows 64 or 128; room for change).
const MAX_NAME_CHARS: usize = 512;

fn inline_policies(
    node: &Node<'_>,
    key: &str,
    documents: &mut Documents,
) -> Result<Vec<InlinePolicy>> {
    node.each(key, |item| {
        let name = item.str_field("PolicyName")?;
        let document = item
            .with_required("PolicyDocument", |document| document.policy())?
            .ok_or_else(|| IngestError::at(item.file, item.path(), "empty `PolicyDocument`"))?;
        Ok(InlinePolicy {
            name,
            document: documents.keep(document),
        })
    })
}

fn attached(node: &Node<'_>) -> Result<Vec<String>> {
    let mut arns = node.each("AttachedManagedPolicies", |item| {
        item.str_field("PolicyArn")
    })?;
    arns.sort();
    Ok(arns)
}

fn boundary(node: &Node<'_>) -> Result<Option<String>> {
    Ok(node
        .with_field("PermissionsBoundary", |boundary| {
            boundary.opt_str("PermissionsBoundaryArn")
        })?
        .flatten())
}

fn tags(node: &Node<'_>) -> Result<Vec<Tag>> {
    let mut tags = node.each("Tags", |item| {
        Ok(Tag {
            key: item.str_field("Key")?,
            value: item.opt_str("Value")?.unwrap_or_default(),
        })
    })?;
    tags.sort();
    Ok(tags)
}

fn path_of(node: &Node<'_>) -> Result<String> {
    Ok(node.opt_str("Path")?.unwrap_or_else(|| "/".to_owned()))
}

/// One entry of `UserDetailList`.
pub(crate) fn user(item: &Node<'_>, documents: &mut Documents) -> Result<User> {
    let mut groups = item.each("GroupList", |group| group.string())?;
    groups.sort();
    Ok(User {
        arn: item.name_field("Arn", MAX_ARN_CHARS)?,
        name: item.name_field("UserName", MAX_NAME_CHARS)?,
        path: path_of(item)?,
        id: item.opt_str("UserId")?.unwrap_or_default(),
        groups,
        inline_policies: inline_policies(item, "UserPolicyList", documents)?,
        attached_policies: attached(item)?,
        permissions_boundary: boundary(item)?,
        tags: tags(item)?,
    })
}

/// One entry of `GroupDetailList`.
pub(crate) fn group(item: &Node<'_>, documents: &mut Documents) -> Result<Group> {
    Ok(Group {
        arn: item.name_field("Arn", MAX_ARN_CHARS)?,
        name: item.name_field("GroupName", MAX_NAME_CHARS)?,
        path: path_of(item)?,
        id: item.opt_str("GroupId")?.unwrap_or_default(),
        inline_policies: inline_policies(item, "GroupPolicyList", documents)?,
        attached_policies: attached(item)?,
    })
}

/// One entry of `RoleDetailList`.
pub(crate) fn role(item: &Node<'_>, documents: &mut Documents) -> Result<Role> {
    let trust = item
        .with_required("AssumeRolePolicyDocument", |document| document.policy())?
        .ok_or_else(|| {
            IngestError::at(item.file, item.path(), "empty `AssumeRolePolicyDocument`")
        })?;
    let mut instance_profiles =
        item.each("InstanceProfileList", |profile| profile.str_field("Arn"))?;
    instance_profiles.sort();
    Ok(Role {
        arn: item.name_field("Arn", MAX_ARN_CHARS)?,
        name: item.name_field("RoleName", MAX_NAME_CHARS)?,
        path: path_of(item)?,
        id: item.opt_str("RoleId")?.unwrap_or_default(),
        trust_policy: documents.keep(trust),
        inline_policies: inline_policies(item, "RolePolicyList", documents)?,
        attached_policies: attached(item)?,
        permissions_boundary: boundary(item)?,
        instance_profiles,
        tags: tags(item)?,
    })
}

/// One entry of `Policies`: a managed policy with its versions.
pub(crate) fn managed_policy(item: &Node<'_>, documents: &mut Documents) -> Result<ManagedPolicy> {
    let default_version = item.opt_str("DefaultVersionId")?.unwrap_or_default();
    let versions = item.each("PolicyVersionList", |version| {
        let version_id = version.opt_str("VersionId")?.unwrap_or_default();
        let is_default = version
            .with_field("IsDefaultVersion", |flag| flag.boolean())?
            .unwrap_or(version_id == default_version);
        let document = version
            .with_required("Document", |document| document.policy())?
            .ok_or_else(|| IngestError::at(version.file, version.path(), "empty `Document`"))?;
        Ok(PolicyVersion {
            version_id,
            is_default,
            document: documents.keep(document),
        })
    })?;
    let arn = item.name_field("Arn", MAX_ARN_CHARS)?;
    let name = item
        .opt_str("PolicyName")?
        .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_owned());
    Ok(ManagedPolicy {
        arn,
        name,
        path: path_of(item)?,
        id: item.opt_str("PolicyId")?.unwrap_or_default(),
        default_version,
        versions,
    })
}

/// `list-saml-providers` or `list-open-id-connect-providers`: the provider ARNs.
pub(crate) fn providers(root: Node<'_>, list_key: &str) -> Result<Vec<String>> {
    let mut arns = root.with_required(list_key, |list| list.items(|item| item.str_field("Arn")))?;
    arns.sort();
    Ok(arns)
}
