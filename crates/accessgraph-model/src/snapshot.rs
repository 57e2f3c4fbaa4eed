//! The snapshot as a whole, its metadata, and content hashes of policy documents.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Account, Organization};

/// SHA-256 of a policy document's normalized JSON text, hex-encoded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyHash(String);

impl PolicyHash {
    /// Hashes normalized document text.
    #[must_use]
    pub fn of(text: &str) -> PolicyHash {
        PolicyHash(hex::encode(Sha256::digest(text.as_bytes())))
    }

    /// A hash read back from storage, as its hex digest.
    #[must_use]
    pub fn from_hex(hex: &str) -> PolicyHash {
        PolicyHash(hex.to_owned())
    }

    /// The hex digest.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A snapshot's id in the store, increasing with each ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SnapshotId(pub u64);

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How many of each thing a snapshot holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Accounts with IAM data, plus accounts only listed by Organizations.
    pub accounts: usize,
    /// Organizational units.
    pub ous: usize,
    /// IAM users.
    pub users: usize,
    /// IAM groups.
    pub groups: usize,
    /// IAM roles.
    pub roles: usize,
    /// Managed policies (customer and AWS managed ones in use).
    pub managed_policies: usize,
    /// Distinct policy documents stored.
    pub documents: usize,
    /// SCPs.
    pub scps: usize,
    /// RCPs.
    pub rcps: usize,
    /// Resource-based policies.
    pub resource_policies: usize,
    /// Compute resources of the inventory.
    pub compute_resources: usize,
    /// Warnings raised while ingesting.
    pub warnings: usize,
}

/// What describes a snapshot without its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// Id in the store (0 until stored).
    pub id: SnapshotId,
    /// A free label given at ingest.
    pub label: Option<String>,
    /// The directory or file ingested.
    pub source: String,
    /// When the data was collected (`snapshot.json`), RFC 3339.
    pub collected_at: Option<String>,
    /// When it was ingested, RFC 3339.
    pub ingested_at: String,
    /// The partition (`aws` unless `snapshot.json` says otherwise).
    pub partition: String,
    /// Counts.
    pub counts: Counts,
}

/// A complete normalized snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Metadata.
    pub meta: SnapshotMeta,
    /// The organization, when Organizations data was collected.
    pub organization: Option<Organization>,
    /// Accounts with IAM data, sorted by id.
    pub accounts: Vec<Account>,
    /// Policy documents by hash (normalized JSON text).
    pub documents: BTreeMap<PolicyHash, String>,
    /// Warnings raised while ingesting (skipped files, unknown files, dangling references).
    pub warnings: Vec<String>,
    /// What the snapshot lacks (files skipped as invalid, calls the collector could not make):
    /// every answer that touches it says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

/// Data a snapshot lacks: of one account, or of the organization.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Gap {
    /// The account whose data is missing; `None` for the organization's (Identity Center,
    /// Organizations files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// What is missing, as a phrase following "account ID" or "the organization"
    /// (`lost accounts/.../get-account-authorization-details.json, skipped as invalid: ...`).
    pub what: String,
}

impl Snapshot {
    /// Recomputes `meta.counts` from the contents.
    pub fn recount(&mut self) {
        let organization = self.organization.as_ref();
        let org_only_accounts = organization.map_or(0, |org| {
            org.accounts
                .iter()
                .filter(|listed| {
                    self.accounts
                        .binary_search_by(|account| account.id.cmp(&listed.id))
                        .is_err()
                })
                .count()
        });
        let count_policies = |kind: crate::OrgPolicyKind| {
            organization.map_or(0, |org| {
                org.policies
                    .iter()
                    .filter(|policy| policy.kind == kind)
                    .count()
            })
        };
        self.meta.counts = Counts {
            accounts: self.accounts.len() + org_only_accounts,
            ous: organization.map_or(0, |org| org.ous.len()),
            users: self
                .accounts
                .iter()
                .map(|account| account.users.len())
                .sum(),
            groups: self
                .accounts
                .iter()
                .map(|account| account.groups.len())
                .sum(),
            roles: self
                .accounts
                .iter()
                .map(|account| account.roles.len())
                .sum(),
            managed_policies: self
                .accounts
                .iter()
                .map(|account| account.managed_policies.len())
                .sum(),
            documents: self.documents.len(),
            scps: count_policies(crate::OrgPolicyKind::Scp),
            rcps: count_policies(crate::OrgPolicyKind::Rcp),
            resource_policies: self
                .accounts
                .iter()
                .map(|account| account.resource_policies.len())
                .sum(),
            compute_resources: self
                .accounts
                .iter()
                .map(|account| account.compute.len())
                .sum(),
            warnings: self.warnings.len(),
        };
    }

    /// The account with this id, if it has IAM data in the snapshot.
    #[must_use]
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts
            .binary_search_by(|account| account.id.as_str().cmp(id))
            .ok()
            .and_then(|idx| self.accounts.get(idx))
    }
}
