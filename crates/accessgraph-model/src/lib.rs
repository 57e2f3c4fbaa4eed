//! The normalized snapshot of an AWS Organization, as the ingester produces it and the store keeps
//! it: accounts with their IAM principals, managed policies, identity providers, resource policies
//! and compute inventory, plus the Organizations tree with its SCPs and RCPs.
//!
//! Policy documents are stored once, by content hash ([`PolicyHash`]); entities refer to them by
//! hash. Every list is sorted by its natural key, so two ingests of the same data are equal.
//!
//! This crate is plain data with serde: no I/O, no parsing of AWS CLI output (that is
//! `accessgraph-ingest`), no evaluation (that is `accessgraph-policy`).

#![warn(missing_docs)]

mod entities;
mod identity_center;
mod organization;
mod snapshot;

pub use entities::{
    Account, AclGrant, AclGrantee, BucketAcl, ComputeResource, ComputeService, Group, InlinePolicy,
    InventoryCoverage, ManagedPolicy, OidcProvider, PolicyVersion, PolicylessResource,
    ResourcePolicy, ResourcePolicyKind, Role, SamlProvider, Tag, User, VpcEndpoint,
};
pub use identity_center::{
    AccountAssignment, AssignedTo, GroupMembership, IdentityCenter, PermissionSet, SsoGroup,
    SsoInstance, SsoUser,
};
pub use organization::{
    OrgAccount, OrgPolicy, OrgPolicyKind, Organization, OrganizationalUnit, Root,
};
pub use snapshot::{Counts, Gap, PolicyHash, Snapshot, SnapshotId, SnapshotMeta};
