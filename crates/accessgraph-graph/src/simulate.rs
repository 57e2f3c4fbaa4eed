//! One simulated request at a time: "can this principal do this action on this resource?", with
//! every policy layer of the snapshot (identity, boundary, SCPs, RCPs, the resource's policy).
//!
//! The [`Simulator`] keeps the prepared principals of a snapshot, so each question costs one
//! evaluation. Principals outside the snapshot (another account's principals, `*`, identity
//! providers) are evaluated against the resource policy alone; their identity policies are not
//! known, so an allow is reported as conditional on them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use accessgraph_model::Snapshot;
use accessgraph_policy::{
    Action, Decision, DenyKind, Evaluation, Policy, PolicyDocument, PolicySet, Principal,
    PrincipalKind, Request, RequestContext, Resource, evaluate,
};
use rayon::prelude::*;

use crate::context::{AccountContext, Actor, Context, evaluate_actor};

/// Why a request cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    /// The text is not a principal.
    #[error("{0}")]
    NotAPrincipal(String),
    /// The principal's account is in the snapshot, but the principal is not.
    #[error("no user or role `{arn}` in account {account}")]
    UnknownPrincipal {
        /// The principal.
        arn: String,
        /// Its account.
        account: String,
    },
}

/// A resource with a resource-based policy, and its owner.
#[derive(Debug)]
struct OwnedPolicy {
    owner: String,
    policy: Arc<Policy>,
}

/// Evaluates requests of a snapshot's principals.
#[derive(Debug)]
pub struct Simulator {
    accounts: BTreeMap<String, AccountContext>,
    actors: Vec<Actor>,
    actor_by_arn: HashMap<String, usize>,
    resources: HashMap<String, OwnedPolicy>,
    /// An allow-everything identity policy for principals whose policies are not in the snapshot.
    unknown_identity: Option<Arc<Policy>>,
}

/// The label of the stand-in identity policy of principals outside the snapshot.
pub const UNKNOWN_IDENTITY: &str = "(identity policies not in the snapshot: assumed to allow)";

impl Simulator {
    /// Prepares a snapshot's principals and resource policies.
    #[must_use]
    pub fn new(snapshot: &Snapshot) -> Simulator {
        let context = Context::new(snapshot);
        let mut resources = HashMap::new();
        for account in &snapshot.accounts {
            for resource in &account.resource_policies {
                if let Some(policy) = context
                    .docs
                    .policy(&format!("{}#policy", resource.arn), &resource.document)
                {
                    resources.insert(
                        resource.arn.clone(),
                        OwnedPolicy {
                            owner: account.id.clone(),
                            policy,
                        },
                    );
                }
            }
        }
        let allow_all = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .ok()
        .map(|document| Arc::new(Policy::new(UNKNOWN_IDENTITY, document)));
        Simulator {
            accounts: context.accounts,
            actors: context.actors,
            actor_by_arn: context.actor_by_arn,
            resources,
            unknown_identity: allow_all,
        }
    }

    /// The resource with its owner and policy: the exact ARN, for an S3 object its bucket, for an
    /// API method its REST API.
    fn resource(&self, arn: &str) -> (Resource, Option<&Policy>) {
        let owned = self
            .resources
            .get(arn)
            .or_else(|| {
                arn.strip_prefix("arn:aws:s3:::")
                    .and_then(|rest| rest.split_once('/'))
                    .and_then(|(bucket, _)| self.resources.get(&format!("arn:aws:s3:::{bucket}")))
            })
            .or_else(|| {
                // A method of a REST API (`API_ARN/stage/METHOD/path`) takes the API's policy.
                arn.starts_with("arn:aws:execute-api:")
                    .then(|| arn.split_once('/'))
                    .flatten()
                    .and_then(|(api, _)| self.resources.get(api))
            });
        let mut resource = Resource::new(arn.to_owned());
        if let Some(owned) = owned {
            resource = resource.with_account(owned.owner.clone());
        }
        if let Some(org) = resource
            .account()
            .and_then(|account| self.accounts.get(account))
        {
            resource = resource.with_org(org.org.clone());
        }
        (resource, owned.map(|owned| owned.policy.as_ref()))
    }

    /// The users and roles of the snapshot, by ARN, in ARN order.
    pub fn principals(&self) -> impl Iterator<Item = &str> {
        self.actors.iter().map(|actor| actor.arn.as_str())
    }

    /// Evaluates `principal` doing `action` on `resource` (an ARN or `*`) with `context`.
    ///
    /// # Errors
    /// When `principal` is not a principal, or names a user or role of a snapshot account that
    /// the snapshot does not have.
    pub fn evaluate(
        &self,
        principal: &str,
        action: &str,
        resource: &str,
        context: &RequestContext,
    ) -> Result<Evaluation, SimulateError> {
        let action = Action::new(action);
        let (resource, resource_policy) = self.resource(resource);
        if let Some(actor) = self
            .actor_by_arn
            .get(principal)
            .and_then(|index| self.actors.get(*index))
        {
            return Ok(self.evaluate_actor(actor, &action, &resource, resource_policy, context));
        }
        let parsed = Principal::parse(principal)
            .map_err(|error| SimulateError::NotAPrincipal(error.to_string()))?;
        if let Some(account) = parsed.account()
            && matches!(parsed.kind(), PrincipalKind::User | PrincipalKind::Role)
            && self.accounts.contains_key(account)
            && self.actors.iter().any(|actor| actor.account == account)
        {
            return Err(SimulateError::UnknownPrincipal {
                arn: principal.to_owned(),
                account: account.to_owned(),
            });
        }
        Ok(self.evaluate_outsider(&parsed, &action, &resource, resource_policy, context))
    }

    /// Evaluates every user and role of the snapshot, in parallel; the allowed and conditional
    /// ones, in ARN order.
    #[must_use]
    pub fn allowed(
        &self,
        action: &str,
        resource: &str,
        context: &RequestContext,
    ) -> Vec<(&str, Evaluation)> {
        let action = Action::new(action);
        let (resource, resource_policy) = self.resource(resource);
        self.actors
            .par_iter()
            .filter_map(|actor| {
                let evaluation =
                    self.evaluate_actor(actor, &action, &resource, resource_policy, context);
                evaluation
                    .decision
                    .is_possible()
                    .then_some((actor.arn.as_str(), evaluation))
            })
            .collect()
    }

    fn evaluate_actor(
        &self,
        actor: &Actor,
        action: &Action,
        resource: &Resource,
        resource_policy: Option<&Policy>,
        context: &RequestContext,
    ) -> Evaluation {
        evaluate_actor(
            &self.accounts,
            actor,
            action,
            resource,
            resource_policy,
            context,
        )
    }

    /// A principal outside the snapshot: its identity policies are unknown, so they are taken to
    /// allow, and an allow that needed them becomes conditional.
    fn evaluate_outsider(
        &self,
        principal: &Principal,
        action: &Action,
        resource: &Resource,
        resource_policy: Option<&Policy>,
        context: &RequestContext,
    ) -> Evaluation {
        let owner = resource
            .account()
            .and_then(|account| self.accounts.get(account));
        let request = Request {
            principal,
            action,
            resource,
            context,
        };
        let identity: Vec<Arc<Policy>> = self
            .unknown_identity
            .iter()
            .filter(|_| principal.has_identity())
            .cloned()
            .collect();
        let policies = PolicySet {
            identity: &identity,
            rcps: owner.and_then(|account| account.rcps.as_deref()),
            resource: resource_policy,
            ..PolicySet::default()
        };
        let mut evaluation = evaluate(&request, &policies);
        let relied_on_identity = evaluation
            .evidence
            .iter()
            .any(|citation| &*citation.policy == UNKNOWN_IDENTITY);
        if relied_on_identity && evaluation.decision == Decision::Allow {
            evaluation.decision = Decision::Conditional {
                deny_kind: DenyKind::Implicit,
            };
            evaluation.notes.push(format!(
                "`{}` is outside the snapshot: allowed only if its own identity policies allow it",
                principal.arn()
            ));
        }
        evaluation
    }
}
