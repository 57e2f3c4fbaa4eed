//! One simulated request at a time: "can this principal do this action on this resource?", with
//! every policy layer of the snapshot (identity, boundary, SCPs, RCPs, the resource's policy and
//! ACL), the resource side found by the same resolver the graph's edges use.
//!
//! The [`Simulator`] keeps the prepared principals of a snapshot, so each question costs one
//! evaluation. Principals outside the snapshot (another account's principals, `*`, identity
//! providers, services) are evaluated against the resource side; their identity policies are not
//! known, so an allow that needs them is reported as conditional on them.

use std::collections::{BTreeMap, HashMap};

use accessgraph_catalog::AccessLevel;
use accessgraph_model::Snapshot;
use accessgraph_policy::{Action, Evaluation, PrincipalKind, RequestContext};
use rayon::prelude::*;

use crate::context::{
    AccountContext, Actor, Context, evaluate_actor, evaluate_anyone, evaluate_outside,
};
use crate::resolve::{Actors, Resolver, ResourceSide};

pub use crate::context::UNKNOWN_IDENTITY;

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

/// Evaluates requests of a snapshot's principals.
#[derive(Debug)]
pub struct Simulator {
    accounts: BTreeMap<String, AccountContext>,
    actors: Vec<Actor>,
    actor_by_arn: HashMap<String, usize>,
    resolver: Resolver,
}

impl Simulator {
    /// Prepares a snapshot's principals and resources.
    #[must_use]
    pub fn new(snapshot: &Snapshot) -> Simulator {
        let context = Context::new(snapshot);
        Simulator {
            accounts: context.accounts,
            actors: context.actors,
            actor_by_arn: context.actor_by_arn,
            resolver: context.resolver,
        }
    }

    /// The resource side of a question: a resource given as a pattern (`arn:aws:s3:::b/*`) is
    /// some resource the pattern names.
    fn side(&self, resource: &str, action: &Action) -> ResourceSide<'_> {
        let mut side = self.resolver.resolve(resource, action, self.actor_list());
        side.resource = side.resource.clone().as_pattern();
        side
    }

    fn evaluate_actor(
        &self,
        actor: &Actor,
        action: &Action,
        side: &ResourceSide<'_>,
        context: &RequestContext,
    ) -> Evaluation {
        evaluate_actor(&self.accounts, &self.resolver, actor, action, side, context)
    }

    fn actor_list(&self) -> Actors<'_> {
        Actors {
            list: &self.actors,
            by_arn: &self.actor_by_arn,
        }
    }

    /// The users and roles of the snapshot, by ARN, in ARN order.
    pub fn principals(&self) -> impl Iterator<Item = &str> {
        self.actors.iter().map(|actor| actor.arn.as_str())
    }

    /// Evaluates `principal` doing `action` on `resource` (an ARN or `*`) with `context`.
    ///
    /// `*` is anyone: an anonymous caller, or any authenticated principal of an account without
    /// IAM data in the snapshot, whichever may do more.
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
        let side = self.side(resource, &action);
        if let Some(actor) = self
            .actor_by_arn
            .get(principal)
            .and_then(|index| self.actors.get(*index))
        {
            return Ok(self.evaluate_actor(actor, &action, &side, context));
        }
        if principal == "*" {
            return Ok(evaluate_anyone(
                &self.accounts,
                &self.resolver,
                &action,
                &side,
                context,
            ));
        }
        let parsed = self
            .resolver
            .principal(principal)
            .map_err(|error| SimulateError::NotAPrincipal(error.to_string()))?;
        // A session of a role of the snapshot is that role (its path, policies and tags known),
        // with the session's name.
        if let (Some(session), Some(account), Some(name)) =
            (parsed.session_name(), parsed.account(), parsed.name())
            && let Some(role) = self
                .actors
                .iter()
                .find(|actor| !actor.is_user && actor.account == account && actor.name == name)
        {
            let mut session_actor = role.clone();
            session_actor.principal = role.principal.clone().with_session_name(session);
            return Ok(self.evaluate_actor(&session_actor, &action, &side, context));
        }
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
        Ok(evaluate_outside(
            &self.accounts,
            &self.resolver,
            &parsed,
            &action,
            &side,
            context,
        ))
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
        let side = self.side(resource, &action);
        self.actors
            .par_iter()
            .filter_map(|actor| {
                let evaluation = self.evaluate_actor(actor, &action, &side, context);
                evaluation
                    .decision
                    .is_possible()
                    .then_some((actor.arn.as_str(), evaluation))
            })
            .collect()
    }

    /// The access actions a permit edge into `resource` decides, with their access level, the
    /// most telling first in each level; empty for a resource of no kind the graph knows.
    #[must_use]
    pub fn access_actions(&self, resource: &str) -> Vec<(AccessLevel, &'static str)> {
        crate::permit::access_actions(&self.resolver, resource)
            .into_iter()
            .map(|(level, action)| (level, action.action.as_str()))
            .collect()
    }

    /// The resources a permit edge from `principal` into `resource` was decided on for
    /// `action`: the resource itself, or for an action on objects of a bucket (or methods of a
    /// REST API) the object probes the graph evaluates (those the resource policy names, and
    /// those the principal's own policies name).
    #[must_use]
    pub fn probes(&self, principal: &str, resource: &str, action: &str) -> Vec<String> {
        let actor = self.actors.iter().find(|actor| actor.arn == principal);
        crate::permit::targets(&self.resolver, resource, &Action::new(action), actor)
    }
}
