//! IAM: `get-account-authorization-details` (every page merged), `list-saml-providers`,
//! `list-open-id-connect-providers`, in the JSON shape the AWS CLI prints.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, GroupDetail, InstanceProfile, ManagedPolicyDetail,
    PolicyDetail, PolicyVersion, Role, RoleDetail, RoleLastUsed, Tag, UserDetail,
};
use serde_json::{Value, json};

use crate::error::CallError;
use crate::json::Object;

/// The account's authorization details, all pages merged into one output.
pub(crate) async fn authorization_details(client: &Client) -> Result<Value, CallError> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    let mut pages = client
        .get_account_authorization_details()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|error| CallError::of("iam:GetAccountAuthorizationDetails", &error))?;
        users.extend(page.user_detail_list().iter().map(user));
        groups.extend(page.group_detail_list().iter().map(group));
        roles.extend(page.role_detail_list().iter().map(role_detail));
        policies.extend(page.policies().iter().map(managed_policy));
    }
    Ok(json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    }))
}

/// `list-saml-providers`.
pub(crate) async fn saml_providers(client: &Client) -> Result<Value, CallError> {
    let output = client
        .list_saml_providers()
        .send()
        .await
        .map_err(|error| CallError::of("iam:ListSAMLProviders", &error))?;
    Ok(Object::new()
        .list(
            "SAMLProviderList",
            output.saml_provider_list.as_deref(),
            |entry| {
                Object::new()
                    .text("Arn", entry.arn.as_deref())
                    .time("ValidUntil", entry.valid_until.as_ref())
                    .time("CreateDate", entry.create_date.as_ref())
                    .done()
            },
        )
        .done())
}

/// `list-open-id-connect-providers`.
pub(crate) async fn oidc_providers(client: &Client) -> Result<Value, CallError> {
    let output = client
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|error| CallError::of("iam:ListOpenIDConnectProviders", &error))?;
    Ok(Object::new()
        .list(
            "OpenIDConnectProviderList",
            output.open_id_connect_provider_list.as_deref(),
            |entry| Object::new().text("Arn", entry.arn.as_deref()).done(),
        )
        .done())
}

fn inline(policy: &PolicyDetail) -> Value {
    Object::new()
        .text("PolicyName", policy.policy_name.as_deref())
        .document("PolicyDocument", policy.policy_document.as_deref())
        .done()
}

fn attached(policy: &AttachedPolicy) -> Value {
    Object::new()
        .text("PolicyName", policy.policy_name.as_deref())
        .text("PolicyArn", policy.policy_arn.as_deref())
        .done()
}

fn boundary(boundary: &AttachedPermissionsBoundary) -> Value {
    Object::new()
        .text(
            "PermissionsBoundaryType",
            boundary
                .permissions_boundary_type
                .as_ref()
                .map(|kind| kind.as_str()),
        )
        .text(
            "PermissionsBoundaryArn",
            boundary.permissions_boundary_arn.as_deref(),
        )
        .done()
}

fn tag(tag: &Tag) -> Value {
    json!({"Key": tag.key, "Value": tag.value})
}

fn last_used(used: &RoleLastUsed) -> Value {
    Object::new()
        .time("LastUsedDate", used.last_used_date.as_ref())
        .text("Region", used.region.as_deref())
        .done()
}

fn user(user: &UserDetail) -> Value {
    Object::new()
        .text("Path", user.path.as_deref())
        .text("UserName", user.user_name.as_deref())
        .text("UserId", user.user_id.as_deref())
        .text("Arn", user.arn.as_deref())
        .time("CreateDate", user.create_date.as_ref())
        .list("UserPolicyList", user.user_policy_list.as_deref(), inline)
        .texts("GroupList", user.group_list.as_deref())
        .list(
            "AttachedManagedPolicies",
            user.attached_managed_policies.as_deref(),
            attached,
        )
        .value(
            "PermissionsBoundary",
            user.permissions_boundary.as_ref().map(boundary),
        )
        .list("Tags", user.tags.as_deref(), tag)
        .done()
}

fn group(group: &GroupDetail) -> Value {
    Object::new()
        .text("Path", group.path.as_deref())
        .text("GroupName", group.group_name.as_deref())
        .text("GroupId", group.group_id.as_deref())
        .text("Arn", group.arn.as_deref())
        .time("CreateDate", group.create_date.as_ref())
        .list(
            "GroupPolicyList",
            group.group_policy_list.as_deref(),
            inline,
        )
        .list(
            "AttachedManagedPolicies",
            group.attached_managed_policies.as_deref(),
            attached,
        )
        .done()
}

/// A role as an instance profile lists it.
fn role(role: &Role) -> Value {
    Object::new()
        .text("Path", Some(role.path.as_str()))
        .text("RoleName", Some(role.role_name.as_str()))
        .text("RoleId", Some(role.role_id.as_str()))
        .text("Arn", Some(role.arn.as_str()))
        .time("CreateDate", Some(&role.create_date))
        .document(
            "AssumeRolePolicyDocument",
            role.assume_role_policy_document.as_deref(),
        )
        .text("Description", role.description.as_deref())
        .value(
            "MaxSessionDuration",
            role.max_session_duration.map(Value::from),
        )
        .value(
            "PermissionsBoundary",
            role.permissions_boundary.as_ref().map(boundary),
        )
        .list("Tags", role.tags.as_deref(), tag)
        .value("RoleLastUsed", role.role_last_used.as_ref().map(last_used))
        .done()
}

fn instance_profile(profile: &InstanceProfile) -> Value {
    Object::new()
        .text("Path", Some(profile.path.as_str()))
        .text(
            "InstanceProfileName",
            Some(profile.instance_profile_name.as_str()),
        )
        .text(
            "InstanceProfileId",
            Some(profile.instance_profile_id.as_str()),
        )
        .text("Arn", Some(profile.arn.as_str()))
        .time("CreateDate", Some(&profile.create_date))
        .list("Roles", Some(profile.roles.as_slice()), role)
        .list("Tags", profile.tags.as_deref(), tag)
        .done()
}

fn role_detail(role: &RoleDetail) -> Value {
    Object::new()
        .text("Path", role.path.as_deref())
        .text("RoleName", role.role_name.as_deref())
        .text("RoleId", role.role_id.as_deref())
        .text("Arn", role.arn.as_deref())
        .time("CreateDate", role.create_date.as_ref())
        .document(
            "AssumeRolePolicyDocument",
            role.assume_role_policy_document.as_deref(),
        )
        .list(
            "InstanceProfileList",
            role.instance_profile_list.as_deref(),
            instance_profile,
        )
        .list("RolePolicyList", role.role_policy_list.as_deref(), inline)
        .list(
            "AttachedManagedPolicies",
            role.attached_managed_policies.as_deref(),
            attached,
        )
        .value(
            "PermissionsBoundary",
            role.permissions_boundary.as_ref().map(boundary),
        )
        .list("Tags", role.tags.as_deref(), tag)
        .value("RoleLastUsed", role.role_last_used.as_ref().map(last_used))
        .done()
}

fn version(version: &PolicyVersion) -> Value {
    Object::new()
        .document("Document", version.document.as_deref())
        .text("VersionId", version.version_id.as_deref())
        .value(
            "IsDefaultVersion",
            Some(Value::Bool(version.is_default_version)),
        )
        .time("CreateDate", version.create_date.as_ref())
        .done()
}

fn managed_policy(policy: &ManagedPolicyDetail) -> Value {
    Object::new()
        .text("PolicyName", policy.policy_name.as_deref())
        .text("PolicyId", policy.policy_id.as_deref())
        .text("Arn", policy.arn.as_deref())
        .text("Path", policy.path.as_deref())
        .text("DefaultVersionId", policy.default_version_id.as_deref())
        .value("AttachmentCount", policy.attachment_count.map(Value::from))
        .value(
            "PermissionsBoundaryUsageCount",
            policy.permissions_boundary_usage_count.map(Value::from),
        )
        .value("IsAttachable", Some(Value::Bool(policy.is_attachable)))
        .text("Description", policy.description.as_deref())
        .time("CreateDate", policy.create_date.as_ref())
        .time("UpdateDate", policy.update_date.as_ref())
        .list(
            "PolicyVersionList",
            policy.policy_version_list.as_deref(),
            version,
        )
        .done()
}
