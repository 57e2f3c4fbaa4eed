//! Assume edges into one role, decided by full evaluation of its trust policy, the caller's
//! policies, both sides' SCPs/RCPs and the same- versus cross-account rules (iam-semantics.md §4.2).
//!
//! Candidates come from the trust policy's principals, so the cost follows the trust policies,
//! not all pairs: a named principal is evaluated directly; an account entry delegates to that
//! account's principals whose identity policies could allow `sts:AssumeRole` on this role (a
//! cheap filter on their statements' resource patterns) and are then evaluated; `*` does the
//! same across the snapshot and adds the `*` node; services and identity providers get their
//! own nodes.

use std::collections::BTreeSet;

use accessgraph_policy::{
    Action, AwsPrincipal, Effect, Evaluation, Principal, PrincipalEntry, RequestContext,
};

use crate::build::Draft;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Context, evaluate_anyone, evaluate_outside, relies_on_unknown_identity};
use crate::model::EdgeKind;

/// Where the callers named by a trust policy come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// One principal of the snapshot, by index, named directly.
    Named(usize),
    /// The principals of an account of the snapshot.
    Account(String),
    /// Every principal of the snapshot, and the `*` node.
    Everyone,
    /// An account outside the snapshot.
    External(String),
    /// A service principal.
    Service(String),
    /// An identity provider.
    Provider(String),
}

fn sources(context: &Context<'_>, entry: &PrincipalEntry) -> Option<Source> {
    let account_known = |account: &str| context.snapshot.account(account).is_some();
    match entry {
        PrincipalEntry::Service(service) => Some(Source::Service(service.to_ascii_lowercase())),
        PrincipalEntry::Federated(provider) => Some(Source::Provider(provider.clone())),
        PrincipalEntry::CanonicalUser(_) => None,
        PrincipalEntry::Aws { target, .. } => match target {
            AwsPrincipal::Everyone => Some(Source::Everyone),
            AwsPrincipal::Account(account) if account_known(account) => {
                Some(Source::Account(account.clone()))
            }
            AwsPrincipal::Account(account) => Some(Source::External(account.clone())),
            AwsPrincipal::User(arn)
            | AwsPrincipal::Role(arn)
            | AwsPrincipal::FederatedUser(arn) => {
                match context.actor_by_arn.get(arn) {
                    Some(idx) => Some(Source::Named(*idx)),
                    None => {
                        let account = accessgraph_policy::arn_components(arn)
                            .map(|parts| parts[4].to_owned())?;
                        // A principal missing from an account of the snapshot no longer exists.
                        (!account_known(&account)).then_some(Source::External(account))
                    }
                }
            }
            AwsPrincipal::AssumedRole { account, role, .. } => context
                .actors
                .iter()
                .position(|actor| {
                    !actor.is_user && &actor.account == account && &actor.name == role
                })
                .map(Source::Named)
                .or_else(|| (!account_known(account)).then(|| Source::External(account.clone()))),
            AwsPrincipal::UniqueId(id) => context
                .actors
                .iter()
                .position(|actor| actor.principal.unique_id() == Some(id.as_str()))
                .map(Source::Named),
            AwsPrincipal::Invalid(_) => None,
        },
    }
}

pub(crate) fn edge(
    evaluation: Evaluation,
    technique: &str,
    requirements: Vec<String>,
) -> Option<Draft> {
    if !evaluation.decision.is_possible() {
        return None;
    }
    let conditions = accessgraph_policy::Conditions::of(&evaluation);
    Some(Draft {
        kind: EdgeKind::Assume,
        technique: technique.to_owned(),
        catalog_id: (technique == "sts:AssumeRole").then_some("sts-001"),
        evidence: evaluation
            .evidence
            .into_iter()
            .filter(|citation| &*citation.policy != crate::UNKNOWN_IDENTITY)
            .collect(),
        conditions,
        requirements,
        alternatives: Vec::new(),
        access: Box::default(),
    })
}

/// The assume edges into the `role_idx`-th actor (nothing if it is a user).
pub(crate) fn edges(context: &Context<'_>, role_idx: usize) -> Vec<EdgeSpec> {
    let Some(role) = context.actors.get(role_idx) else {
        return Vec::new();
    };
    let assume = Action::new("sts:AssumeRole");
    let side = context.resolve(&role.arn, &assume);
    let Some(trust) = side.policy else {
        return Vec::new();
    };
    let saml = Action::new("sts:AssumeRoleWithSAML");
    let web = Action::new("sts:AssumeRoleWithWebIdentity");
    let mut found: BTreeSet<Source> = BTreeSet::new();
    for statement in trust.document().statements() {
        if statement.effect() != Effect::Allow
            || statement.principals().is_none_or(|set| set.is_negated())
        {
            continue;
        }
        if ![&assume, &saml, &web]
            .iter()
            .any(|action| statement.matches_action(action.lower()))
        {
            continue;
        }
        for entry in statement
            .principals()
            .map(|set| set.entries())
            .unwrap_or_default()
        {
            found.extend(sources(context, entry));
        }
    }
    let target = NodeKey::Actor(role.index);
    let no_context = RequestContext::new();
    let outside = |principal: &Principal, action: &Action| {
        evaluate_outside(
            &context.accounts,
            &context.resolver,
            principal,
            action,
            &side,
            &no_context,
        )
    };
    let mut specs = Vec::new();
    let mut callers: BTreeSet<(usize, bool)> = BTreeSet::new();
    let named: BTreeSet<usize> = found
        .iter()
        .filter_map(|source| match source {
            Source::Named(idx) => Some(*idx),
            _ => None,
        })
        .collect();
    let rcps = context.account(&role.account).rcps;
    for source in &found {
        match source {
            Source::Named(idx) => {
                callers.insert((*idx, true));
            }
            Source::Account(account) => {
                let actors = context.account_actors(account);
                // Callers whose side is the same for every role go through the account's helper
                // when the trust side is the same for all of them (crate::any_role).
                let alike = |idx: usize, actor: &crate::context::Actor| {
                    actor.any_role.is_some() && idx != role_idx && !named.contains(&idx)
                };
                let shared = crate::any_role::trust_alike(trust, account, rcps.as_deref())
                    .then(|| {
                        context
                            .account_indices(account)
                            .zip(actors)
                            .find(|(idx, actor)| alike(*idx, actor))
                    })
                    .flatten();
                if let Some((_, representative)) = shared {
                    let evaluation = crate::any_role::trust_side(
                        &context.accounts,
                        &context.resolver,
                        representative,
                        &side,
                    );
                    if let Some(edge) = edge(evaluation, "sts:AssumeRole", Vec::new()) {
                        specs.push(EdgeSpec {
                            from: NodeKey::AssumeAnyRole(account.clone()),
                            to: target.clone(),
                            edge,
                        });
                    }
                }
                for (idx, actor) in context.account_indices(account).zip(actors) {
                    if shared.is_some() && alike(idx, actor) {
                        continue;
                    }
                    if actor.assume_scope.might_include(&role.arn) {
                        callers.insert((idx, false));
                    }
                }
            }
            Source::Everyone => {
                for (idx, actor) in context.actors.iter().enumerate() {
                    if actor.account == role.account || actor.assume_scope.might_include(&role.arn)
                    {
                        callers.insert((idx, false));
                    }
                }
                let evaluation = evaluate_anyone(
                    &context.accounts,
                    &context.resolver,
                    &assume,
                    &side,
                    &no_context,
                );
                let requirement = relies_on_unknown_identity(&evaluation).then(|| {
                    "the caller's own account must allow sts:AssumeRole on the role".to_owned()
                });
                if let Some(edge) = edge(
                    evaluation,
                    "sts:AssumeRole",
                    requirement.into_iter().collect(),
                ) {
                    specs.push(EdgeSpec {
                        from: NodeKey::Anyone,
                        to: target.clone(),
                        edge,
                    });
                }
            }
            Source::External(account) => {
                let Ok(root) = context
                    .resolver
                    .principal(&format!("arn:aws:iam::{account}:root"))
                else {
                    continue;
                };
                // The account's own policies, outside the snapshot, are a condition of the answer.
                let evaluation = outside(&root, &assume);
                if let Some(edge) = edge(evaluation, "sts:AssumeRole", Vec::new()) {
                    specs.push(EdgeSpec {
                        from: NodeKey::External(account.clone()),
                        to: target.clone(),
                        edge,
                    });
                }
            }
            Source::Service(service) => {
                let Ok(principal) = Principal::parse(service) else {
                    continue;
                };
                let evaluation = outside(&principal, &assume);
                if let Some(edge) = edge(evaluation, "sts:AssumeRole", Vec::new()) {
                    specs.push(EdgeSpec {
                        from: NodeKey::Service(service.clone()),
                        to: target.clone(),
                        edge,
                    });
                }
            }
            Source::Provider(provider) => {
                let Ok(principal) = Principal::parse(provider) else {
                    continue;
                };
                let is_saml = provider.contains(":saml-provider/");
                let (action, technique) = if is_saml {
                    (&saml, "sts:AssumeRoleWithSAML")
                } else {
                    (&web, "sts:AssumeRoleWithWebIdentity")
                };
                // The resolver adds what such a request always carries (`SAML:aud`).
                let evaluation = outside(&principal, action);
                if let Some(edge) = edge(evaluation, technique, Vec::new()) {
                    specs.push(EdgeSpec {
                        from: NodeKey::Provider(provider.clone()),
                        to: target.clone(),
                        edge,
                    });
                }
            }
        }
    }
    for (idx, _) in callers {
        let Some(caller) = context.actors.get(idx) else {
            continue;
        };
        if idx == role_idx {
            continue;
        }
        let evaluation = context.evaluate(caller, &assume, &side, &no_context);
        if let Some(edge) = edge(evaluation, "sts:AssumeRole", Vec::new()) {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(caller.index),
                to: target.clone(),
                edge,
            });
        }
    }
    specs
}
