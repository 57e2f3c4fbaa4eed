//! The access graph of one snapshot, and the searches over it.
//!
//! [`Graph::build`] turns a [`accessgraph_model::Snapshot`] into a petgraph graph: nodes for users,
//! groups, roles, identity providers, service principals, external accounts and `*`; edges for
//! role assumption, group membership and privilege escalation, each carrying the statements that
//! justify it and the conditions a snapshot cannot settle. Each principal knows whether it is an
//! administrator of its account, and why. An administrator takes over every principal of its
//! account through one helper node per account, so the edge count stays linear.
//!
//! Edge candidates are computed in parallel (rayon) and inserted in sorted order, so two builds
//! of one snapshot are identical. petgraph stays inside: callers see [`NodeId`], [`EdgeId`],
//! [`Node`], [`Edge`] and [`Path`].

#![warn(missing_docs)]

mod access;
mod any_role;
mod assume;
mod build;
mod context;
mod cut;
mod model;
mod permit;
mod persist;
mod resolve;
mod search;
mod share;
mod simulate;
mod sso;
mod techniques;

pub use accessgraph_catalog::AccessLevel;
pub use build::Graph;
pub use cut::{
    ApplyError, Change, ChokePoint, CutPlan, CutQuestion, Cuts, EXACT_LIMIT, EXAMPLE_SOURCES, Edit,
    Fix, Method, NamesCaller, StatementPrincipals, apply, policy_text, without_statements,
};
pub use model::{Access, Admin, CitationId, Edge, EdgeId, EdgeKind, Node, NodeId, NodeKind};
pub use persist::LoadError;
pub use search::{Filter, Hop, Path, Reach, Stop};
pub use simulate::{SimulateError, Simulator, UNKNOWN_IDENTITY};
pub use techniques::{DefinitionError, TechniqueInfo, Techniques, catalog};
