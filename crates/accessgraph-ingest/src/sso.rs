//! IAM Identity Center outputs (`organizations/sso/`): instances, permission sets, account
//! assignments, identity-store users, groups and memberships.

use accessgraph_model::{
    AccountAssignment, AssignedTo, GroupMembership, PermissionSet, SsoGroup, SsoInstance, SsoUser,
};

use crate::error::IngestError;
use crate::fragment::Fragment;
use crate::json::{Node, Result};

/// `sso-admin list-instances`.
pub(crate) fn instances(root: Node<'_>) -> Result<Fragment> {
    Ok(Fragment::SsoInstances(root.with_required(
        "Instances",
        |list| {
            list.items(|item| {
                Ok(SsoInstance {
                    arn: item.str_field("InstanceArn")?,
                    identity_store_id: item.str_field("IdentityStoreId")?,
                })
            })
        },
    )?))
}

/// `sso-admin describe-permission-set`.
pub(crate) fn permission_set(root: Node<'_>) -> Result<Fragment> {
    root.with_required("PermissionSet", |set| {
        Ok(Fragment::PermissionSet(PermissionSet {
            arn: set.str_field("PermissionSetArn")?,
            name: set.str_field("Name")?,
        }))
    })
}

/// `sso-admin list-account-assignments`.
pub(crate) fn assignments(root: Node<'_>) -> Result<Fragment> {
    Ok(Fragment::SsoAssignments(root.with_required(
        "AccountAssignments",
        |list| {
            list.items(|item| {
                let principal_type = match item.str_field("PrincipalType")?.as_str() {
                    "USER" => AssignedTo::User,
                    "GROUP" => AssignedTo::Group,
                    other => {
                        return Err(IngestError::at(
                            item.file,
                            format!("{}.PrincipalType", item.path()),
                            format!("expected `USER` or `GROUP`, found `{other}`"),
                        ));
                    }
                };
                Ok(AccountAssignment {
                    account: item.str_field("AccountId")?,
                    permission_set_arn: item.str_field("PermissionSetArn")?,
                    principal_type,
                    principal_id: item.str_field("PrincipalId")?,
                })
            })
        },
    )?))
}

/// `identitystore list-users`.
pub(crate) fn users(root: Node<'_>) -> Result<Fragment> {
    Ok(Fragment::SsoUsers(root.with_required("Users", |list| {
        list.items(|item| {
            Ok(SsoUser {
                id: item.str_field("UserId")?,
                user_name: item.str_field("UserName")?,
                display_name: item.opt_str("DisplayName")?,
                identity_store_id: item.str_field("IdentityStoreId")?,
            })
        })
    })?))
}

/// `identitystore list-groups`.
pub(crate) fn groups(root: Node<'_>) -> Result<Fragment> {
    Ok(Fragment::SsoGroups(root.with_required(
        "Groups",
        |list| {
            list.items(|item| {
                let id = item.str_field("GroupId")?;
                Ok(SsoGroup {
                    display_name: item.opt_str("DisplayName")?.unwrap_or_else(|| id.clone()),
                    id,
                    identity_store_id: item.str_field("IdentityStoreId")?,
                })
            })
        },
    )?))
}

/// `identitystore list-group-memberships` (the group is the file name; each membership names it
/// too, and the two must agree).
pub(crate) fn memberships(root: Node<'_>, group: &str) -> Result<Fragment> {
    Ok(Fragment::SsoMemberships(root.with_required(
        "GroupMemberships",
        |list| {
            list.items(|item| {
                let group_id = item.opt_str("GroupId")?.unwrap_or_else(|| group.to_owned());
                if group_id != group {
                    return Err(IngestError::at(
                        item.file,
                        format!("{}.GroupId", item.path()),
                        format!("`{group_id}` is not the group `{group}` the file is named after"),
                    ));
                }
                let user_id =
                    item.with_required("MemberId", |member| member.str_field("UserId"))?;
                Ok(GroupMembership { group_id, user_id })
            })
        },
    )?))
}
