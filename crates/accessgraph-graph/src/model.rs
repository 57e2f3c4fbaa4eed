//! Nodes and edges of the access graph, as the query layer and the server see them.

use std::sync::Arc;

use accessgraph_policy::{Citation, Conditions, Tri};
use serde::{Deserialize, Serialize};

/// A node's id in one built graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub(crate) u32);

/// An edge's id in one built graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EdgeId(pub(crate) u32);

/// A citation's id in one built graph: evidence is stored once per distinct statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CitationId(pub(crate) u32);

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
    /// A SAML identity provider.
    SamlProvider,
    /// An OIDC identity provider, or a well-known web identity provider (Cognito, Google, ...).
    WebIdentityProvider,
    /// An AWS service principal such as `ec2.amazonaws.com`.
    Service,
    /// An account referenced by a policy but not in the snapshot: any of its principals.
    ExternalAccount,
    /// `*`: any principal anywhere, including anonymous callers.
    Anyone,
    /// Helper: "an administrator of account N", which can take over every principal of N.
    /// Never shown in answers.
    AccountAdmin,
    /// A resource with a resource-based policy (bucket, key, function, queue, topic, secret).
    Resource,
    /// Helper: "whoever controls existing compute of a service in account N", for techniques on
    /// existing resources when the snapshot has no inventory of the service. Never shown.
    ExistingCompute,
    /// A person in IAM Identity Center's identity store.
    IdentityCenterUser,
    /// A group in IAM Identity Center's identity store.
    IdentityCenterGroup,
    /// Helper: "a principal of account N whose own policies let it assume any role", with an
    /// edge to each role whose trust policy admits N alike for all of them. Never shown.
    AssumeAnyRole,
    /// Helper: "new compute of a service that a principal of account N creates, passing it a
    /// role", with an edge to each role of N that trusts that service alone. Never shown.
    NewCompute,
    /// Helper: "a principal of account N that may take over any user of N by one technique"
    /// (new access keys, a console password), with an edge to each user saying what that user
    /// must settle. Never shown.
    UserTakeover,
}

impl NodeKind {
    /// Whether nodes of this kind are helpers: never shown, a hop through one is one hop.
    #[must_use]
    pub fn is_helper(self) -> bool {
        matches!(
            self,
            NodeKind::AccountAdmin
                | NodeKind::ExistingCompute
                | NodeKind::AssumeAnyRole
                | NodeKind::NewCompute
                | NodeKind::UserTakeover
        )
    }
}

/// Why a principal is an administrator of its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    /// `True` or `Unknown` (conditional).
    pub status: Tri,
    /// `full access`, or the self-escalation technique.
    pub reason: String,
    /// The statements that make it so.
    pub evidence: Vec<Citation>,
    /// Conditions a snapshot cannot settle, with the formula under which it holds.
    pub conditions: Conditions,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Kind.
    pub kind: NodeKind,
    /// ARN (or service name, provider name, `*`, `admin:ACCOUNT` for helpers).
    pub arn: String,
    /// Short display name (user, role or group name, service, account id).
    pub name: String,
    /// Account id, when the node belongs to one.
    pub account: Option<String>,
    /// Admin status, for principals that are administrators of their account.
    pub admin: Option<Admin>,
    /// For roles: the instance profiles holding the role (EC2 can run as it through them).
    #[serde(default)]
    pub instance_profiles: Vec<String>,
    /// For Identity Center users and groups: the display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Obtains the target role's credentials (`sts:AssumeRole*`).
    Assume,
    /// Gains the target's permissions by changing IAM or running code as it.
    Privesc,
    /// A user is a member of a group.
    Member,
    /// Helper edge: an administrator reaches its account's admin node.
    Admin,
    /// Helper edge: the account's admin node takes over a principal.
    Takeover,
    /// Helper edge: existing compute of a service may run as a role that trusts the service.
    RunsAs,
    /// The source may act on the target resource (read, write, permissions management).
    Permit,
    /// An Identity Center user or group signs in to the role a permission set assigned to it is
    /// provisioned as.
    Sso,
}

/// An edge, with the statements that justify it. Its text, lists and conditions are shared with
/// every other edge that has the same (a large graph has millions of edges and few distinct
/// values), each behind one thin pointer, so an edge is small and cloning it is cheap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Kind.
    pub kind: EdgeKind,
    /// The technique, e.g. `sts:AssumeRole` or `iam:PassRole + ec2:RunInstances`.
    pub technique: Arc<String>,
    /// The technique id: the pathfinding.cloud id, or a name for PMapper's extras.
    pub catalog_id: Option<&'static str>,
    /// Every statement that was needed ([`crate::Graph::citation`] resolves them).
    pub evidence: Arc<Vec<CitationId>>,
    /// Conditions a snapshot cannot settle, with the formula over them under which the edge
    /// holds; the edge is conditional when that formula is not `true`.
    pub conditions: Arc<Conditions>,
    /// Other prerequisites a snapshot cannot confirm (e.g. "requires an existing Lambda function
    /// running as the role").
    pub requirements: Arc<Vec<String>>,
    /// Other techniques that also connect the same two nodes (the edge keeps the most certain).
    pub alternatives: Arc<Vec<String>>,
    /// Facts behind an edge that are not policy statements (an Identity Center assignment).
    pub details: Arc<Vec<String>>,
    /// For a permit edge: each access level it allows, with the action found allowed.
    pub access: Arc<Vec<Access>>,
}

/// One kind of access a permit edge allows: the access level (from the AWS catalog), the most
/// telling action of that level found allowed, and whether it holds only under the edge's
/// conditions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Access {
    /// The access level.
    pub level: accessgraph_catalog::AccessLevel,
    /// The action, e.g. `s3:GetObject` (one of the catalog's, shared).
    pub action: &'static str,
    /// Whether this level is allowed only under the edge's conditions.
    pub conditional: bool,
}

impl Edge {
    /// Whether the edge holds only if unresolved conditions or unconfirmed prerequisites hold.
    #[must_use]
    pub fn is_conditional(&self) -> bool {
        !self.conditions.is_settled() || !self.requirements.is_empty()
    }
}
