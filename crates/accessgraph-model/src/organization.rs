//! AWS Organizations: the root, the OU tree, member accounts, SCPs and RCPs with their targets.

use serde::{Deserialize, Serialize};

use crate::PolicyHash;

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `o-...`.
    pub id: String,
    /// Organization ARN.
    pub arn: String,
    /// The management account, which SCPs and RCPs do not restrict.
    pub management_account_id: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    pub feature_set: String,
    /// Roots (one per organization).
    pub roots: Vec<Root>,
    /// Organizational units, sorted by id.
    pub ous: Vec<OrganizationalUnit>,
    /// Accounts listed by Organizations, sorted by id.
    pub accounts: Vec<OrgAccount>,
    /// SCPs and RCPs, sorted by id.
    pub policies: Vec<OrgPolicy>,
    /// IAM Identity Center, when its files were collected.
    #[serde(default)]
    pub identity_center: Option<crate::IdentityCenter>,
}

/// The organization root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// `r-...`.
    pub id: String,
    /// Name, usually `Root`.
    pub name: String,
    /// Policy types enabled at the root (`SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`).
    pub enabled_policy_types: Vec<String>,
}

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationalUnit {
    /// `ou-...`.
    pub id: String,
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// The root or OU it sits in.
    pub parent_id: String,
}

/// An account as Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccount {
    /// 12-digit id.
    pub id: String,
    /// Account name.
    pub name: String,
    /// Root email.
    pub email: String,
    /// `ACTIVE`, `SUSPENDED`, ...
    pub status: String,
    /// The root or OU it sits in, when `children/` says so.
    pub parent_id: Option<String>,
}

/// Which kind of Organizations policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgPolicyKind {
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
}

/// An SCP or RCP with its targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPolicy {
    /// `p-...`.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// SCP or RCP.
    pub kind: OrgPolicyKind,
    /// Whether AWS manages it (`FullAWSAccess`, `RCPFullAWSAccess`).
    pub aws_managed: bool,
    /// The document.
    pub document: PolicyHash,
    /// Root, OU and account ids it is attached to, sorted.
    pub targets: Vec<String>,
}

impl Organization {
    /// The chain of targets from the root down to `account_id`: `[root, ou..., account]`.
    /// `None` when the account's place in the tree is unknown.
    #[must_use]
    pub fn chain(&self, account_id: &str) -> Option<Vec<String>> {
        let account = self
            .accounts
            .iter()
            .find(|account| account.id == account_id)?;
        let mut chain = vec![account_id.to_owned()];
        let mut parent = account.parent_id.clone()?;
        // INVARIANT: OU depth is at most 5 in AWS; the bound guards against cycles in bad data.
        for _ in 0..64 {
            chain.push(parent.clone());
            if self.roots.iter().any(|root| root.id == parent) {
                chain.reverse();
                return Some(chain);
            }
            parent = self
                .ous
                .iter()
                .find(|ou| ou.id == parent)?
                .parent_id
                .clone();
        }
        None
    }
}
