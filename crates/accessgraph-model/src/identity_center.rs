//! IAM Identity Center: people (identity-store users and groups), permission sets, and their
//! assignments to accounts. A permission set assigned in an account is provisioned there as a role
//! `AWSReservedSSO_<PermissionSetName>_<hash>` (iam-semantics.md, Identity Center).

use serde::{Deserialize, Serialize};

/// Everything the `organizations/sso/` files say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCenter {
    /// Instances (usually one per organization).
    pub instances: Vec<SsoInstance>,
    /// Permission sets, sorted by ARN.
    pub permission_sets: Vec<PermissionSet>,
    /// Account assignments, sorted.
    pub assignments: Vec<AccountAssignment>,
    /// Identity-store users, sorted by id.
    pub users: Vec<SsoUser>,
    /// Identity-store groups, sorted by id.
    pub groups: Vec<SsoGroup>,
    /// Group memberships, sorted.
    pub memberships: Vec<GroupMembership>,
}

/// An Identity Center instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SsoInstance {
    /// `arn:aws:sso:::instance/ssoins-...`.
    pub arn: String,
    /// `d-...`.
    pub identity_store_id: String,
}

/// A permission set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PermissionSet {
    /// `arn:aws:sso:::permissionSet/ssoins-.../ps-...`.
    pub arn: String,
    /// Name, which the provisioned role's name carries.
    pub name: String,
}

/// Who an assignment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignedTo {
    /// An identity-store user.
    User,
    /// An identity-store group.
    Group,
}

/// A permission set assigned to a user or group in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountAssignment {
    /// The account.
    pub account: String,
    /// The permission set.
    pub permission_set_arn: String,
    /// User or group.
    pub principal_type: AssignedTo,
    /// The user's or group's id.
    pub principal_id: String,
}

/// A person in the identity store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SsoUser {
    /// User id.
    pub id: String,
    /// Sign-in name.
    pub user_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// `d-...`.
    pub identity_store_id: String,
}

/// A group in the identity store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SsoGroup {
    /// Group id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// `d-...`.
    pub identity_store_id: String,
}

/// A user's membership of a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupMembership {
    /// The group.
    pub group_id: String,
    /// The member.
    pub user_id: String,
}

impl IdentityCenter {
    /// The permission set with this ARN, if its file was collected.
    #[must_use]
    pub fn permission_set(&self, arn: &str) -> Option<&PermissionSet> {
        self.permission_sets.iter().find(|set| set.arn == arn)
    }
}

impl PermissionSet {
    /// The name prefix of the role the permission set is provisioned as in an assigned account:
    /// `AWSReservedSSO_<PermissionSetName>_` (a hash follows).
    #[must_use]
    pub fn role_prefix(&self) -> String {
        format!("AWSReservedSSO_{}_", self.name)
    }
}

impl SsoUser {
    /// The node id of the user: `arn:aws:identitystore::IDENTITY_STORE_ID/user/USER_ID`.
    #[must_use]
    pub fn node_id(&self) -> String {
        format!(
            "arn:aws:identitystore::{}/user/{}",
            self.identity_store_id, self.id
        )
    }
}

impl SsoGroup {
    /// The node id of the group: `arn:aws:identitystore::IDENTITY_STORE_ID/group/GROUP_ID`.
    #[must_use]
    pub fn node_id(&self) -> String {
        format!(
            "arn:aws:identitystore::{}/group/{}",
            self.identity_store_id, self.id
        )
    }
}
