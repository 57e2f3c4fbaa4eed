//! The IAM policy engine of accessgraph: policy documents, ARNs, wildcard matching, policy
//! variables, condition operators, the AWS request-evaluation algorithm and the admin checks.
//!
//! Main types: [`PolicyDocument`] (parsed and compiled once), [`Policy`] (a document with the
//! label evidence cites), [`Request`] (principal, action, resource, context), [`PolicySet`]
//! (every policy taking part), [`evaluate`] returning an [`Evaluation`] with a [`Decision`],
//! [`Citation`]s and [`Unresolved`] conditions, and [`admin::full_admin`] /
//! [`admin::self_escalating_admin`].
//!
//! Semantics follow `iam-semantics.md` of the project reference; section numbers in comments and
//! tests point there. Conditions are evaluated in three-valued logic ([`Tri`]): a key a static
//! snapshot cannot know makes a decision *conditional*, never silently true or false.
//!
//! This crate does no I/O, has no global state, never panics on any input, and is deterministic.
//! It does not parallelize; callers do.
//!
//! ```
//! use accessgraph_policy::{evaluate, Action, Decision, Policy, PolicySet, Principal, Request, RequestContext, Resource};
//! use std::sync::Arc;
//!
//! let policy = Policy::parse(
//!     "arn:aws:iam::111122223333:policy/read",
//!     r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::payroll/*"}}"#,
//! ).unwrap();
//! let identity = [Arc::new(policy)];
//! let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
//! let action = Action::new("s3:GetObject");
//! let resource = Resource::new("arn:aws:s3:::payroll/2026.csv").with_account("111122223333");
//! let context = RequestContext::new();
//! let request = Request { principal: &principal, action: &action, resource: &resource, context: &context };
//! let evaluation = evaluate(&request, &PolicySet { identity: &identity, ..PolicySet::default() });
//! assert_eq!(evaluation.decision, Decision::Allow);
//! ```

#![warn(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod admin;
mod arn;
mod condition;
mod document;
mod eval;
mod expr;
mod owned;
mod pattern;
mod policy;
mod request;
mod tri;
mod wildcard;
pub mod words;

pub use arn::{
    Arn, ArnError, NEUTRAL_NAME, NEUTRAL_REGION, ResourceKind, chosen_arn,
    components as arn_components, is_account_id, is_partition,
};
pub use condition::{Comparison, Condition, ConditionError, Operator, Qualifier, parse_time};
pub use document::{
    ActionPattern, AwsPrincipal, Effect, Limits, Matchers, ParseOptions, PolicyDocument,
    PolicyError, PolicyErrorKind, PolicyKind, PrincipalEntry, PrincipalSet, ResourcePattern,
    ResourceScope, Statement, Version,
};
pub use eval::{
    Citation, Decision, DenyKind, Evaluation, Layer, Unresolved, evaluate, is_trust_action,
    resource_policy_required,
};
pub use expr::{Clause, Conditions, Expr, Leaf};
pub use owned::{aws_owned, is_aws_managed_role};
pub use policy::{OrgLevel, Policy, PolicySet};
pub use request::{
    Action, ContextValue, OUTSIDER_LABEL, OrgMembership, Principal, PrincipalError, PrincipalKind,
    Request, RequestContext, Resource, SessionOfError, Tags,
};
pub use tri::Tri;
pub use wildcard::CaseInsensitiveWildcard;
