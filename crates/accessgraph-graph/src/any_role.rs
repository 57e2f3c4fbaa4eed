//! `sts:AssumeRole` shared through one helper node per account, so that the edges grow with the
//! principals and roles, not with their product.
//!
//! When a trust policy admits an account (`"AWS": "arn:aws:iam::A:root"`), a principal of A may
//! assume the role when its own policies allow it *and* the trust policy and the role account's
//! RCPs do (iam-semantics.md §4.2: the account principal delegates to IAM, same account or not;
//! §3.6: neither side grants alone). Two sides, each of which is often the same for many pairs:
//!
//! - **the caller side** is the same for every role when each statement of the caller's identity
//!   policies, boundary and SCP chain that matches the action applies to every resource without
//!   conditions (`Action: "*"`, `Resource: "*"`, the usual administrator and power-user grants);
//! - **the trust side** is the same for every principal of A when the trust policy admits A
//!   without denies or `*`, and no condition of it or of the RCPs reads a key that differs
//!   between principals of one account (their ARN, type, name, id, tags, token age, a policy
//!   variable).
//!
//! Such a pair is then not an edge of its own but a path `caller -> helper(A) -> role`: one edge
//! per caller (its side's evidence), one per (role, A) (the trust side's evidence and
//! conditions). The helper is shown as one hop, like the account-admin helper; the evidence and
//! conditions of that hop are exactly those of the one evaluation it replaces (both sides are
//! evaluated with the same evaluator, the other side stood in by an allow-everything policy that
//! is never cited), which `tests/it/edge_sets.rs` checks on generated organizations.

use std::collections::{HashMap, HashSet};

use accessgraph_policy::{
    Action, AwsPrincipal, Citation, Condition, Decision, Effect, Evaluation, OrgLevel, Policy,
    PolicyDocument, PolicySet, PrincipalEntry, Request, RequestContext, Resource, evaluate,
};

use crate::build::{Draft, EdgeSpec, NodeKey};
use crate::context::{AccountContext, Actor, Context};
use crate::model::EdgeKind;
use crate::resolve::{Resolver, ResourceSide};

/// The label of the stand-in trust policy the caller side is evaluated against; never cited.
const STAND_IN_TRUST: &str = "(a trust policy admitting the caller's account)";

/// Condition keys whose value differs between principals of one account (iam-semantics.md §2,
/// global condition keys): a trust side reading one is evaluated per caller.
const PER_PRINCIPAL_KEYS: [&str; 6] = [
    "aws:principalarn",
    "aws:principaltype",
    "aws:username",
    "aws:userid",
    "aws:tokenissuetime",
    "aws:sourceidentity",
];

/// Whether `statement` matches `action`.
fn matching<'p>(
    policy: &'p Policy,
    action: &'p Action,
) -> impl Iterator<Item = &'p accessgraph_policy::Statement> + 'p {
    policy
        .document()
        .statements_for(action)
        .filter(|statement| statement.matches_action(action.lower()))
}

/// Whether every statement of `policies` matching `action` applies to every resource, without
/// conditions.
fn alike_everywhere<'p>(mut policies: impl Iterator<Item = &'p Policy>, action: &Action) -> bool {
    policies.all(|policy| {
        matching(policy, action).all(|statement| {
            statement
                .resources()
                .is_some_and(|resources| resources.covers_all())
                && statement.conditions().is_empty()
        })
    })
}

/// Stand-in trust policies, one per account: each admits its account.
#[derive(Debug, Default)]
pub(crate) struct StandInTrusts(HashMap<String, Policy>);

impl StandInTrusts {
    /// One for each account of `accounts`.
    pub(crate) fn new<'a>(accounts: impl Iterator<Item = &'a str>) -> StandInTrusts {
        StandInTrusts(
            accounts
                .filter_map(|account| {
                    let text = format!(
                        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{account}"}},"Action":"sts:AssumeRole"}}]}}"#
                    );
                    let document = PolicyDocument::parse(&text).ok()?;
                    Some((account.to_owned(), Policy::new(STAND_IN_TRUST, document)))
                })
                .collect(),
        )
    }
}

/// The caller side of `sts:AssumeRole` for `actor` when it is the same for every role and
/// allows: the statements that allow it. `None` when its policies decide role by role, or do not
/// allow it.
pub(crate) fn caller_side(
    actor: &Actor,
    account: &AccountContext,
    resolver: &Resolver,
    trusts: &StandInTrusts,
) -> Option<Vec<Citation>> {
    let assume = Action::new("sts:AssumeRole");
    let scps = account.scps.as_deref();
    let policies = actor.own_policies(scps);
    if !alike_everywhere(policies, &assume) {
        return None;
    }
    let trust = trusts.0.get(&actor.account)?;
    let partition = actor.arn.split(':').nth(1).unwrap_or("aws");
    let resource = Resource::new(format!(
        "arn:{partition}:iam::{}:role/(every role)",
        actor.account
    ));
    let given = RequestContext::new();
    let context = resolver.request_context(&assume, &given);
    let evaluation = evaluate(
        &Request {
            principal: &actor.principal,
            action: &assume,
            resource: &resource,
            context: &context,
        },
        &PolicySet {
            identity: &actor.identity,
            boundary: actor.boundary.as_deref(),
            scps,
            resource: Some(trust),
            ..PolicySet::default()
        },
    );
    if evaluation.decision != Decision::Allow
        || !accessgraph_policy::Conditions::of(&evaluation).is_settled()
    {
        return None;
    }
    Some(
        evaluation
            .evidence
            .into_iter()
            .filter(|citation| &*citation.policy != STAND_IN_TRUST)
            .collect(),
    )
}

/// Whether a condition reads the same value for every principal of one account.
fn alike_for_the_account(condition: &Condition) -> bool {
    let key = condition.key().to_ascii_lowercase();
    !PER_PRINCIPAL_KEYS.contains(&key.as_str())
        && !key.starts_with("aws:principaltag/")
        // A VPC endpoint's policy names principals (it is evaluated per caller).
        && !key.starts_with("aws:sourcevpc")
        && !condition.values().iter().any(|value| value.contains("${"))
}

/// Whether the trust side of `sts:AssumeRole` on a role is the same for every principal of
/// `account` that its trust policy does not name: the trust policy admits the account and has no
/// deny, `NotPrincipal` or `*` for the action, and neither it (where it admits the account) nor the
/// RCPs of the role's account read a key that differs between those principals.
pub(crate) fn trust_alike(trust: &Policy, account: &str, rcps: Option<&[OrgLevel]>) -> bool {
    let assume = Action::new("sts:AssumeRole");
    let mut admits = false;
    for statement in matching(trust, &assume) {
        let Some(principals) = statement.principals() else {
            return false;
        };
        if statement.effect() != Effect::Allow || principals.is_negated() {
            return false;
        }
        let mut names_account = false;
        for entry in principals.entries() {
            if let PrincipalEntry::Aws { target, .. } = entry {
                match target {
                    AwsPrincipal::Everyone => return false,
                    AwsPrincipal::Account(id) if id == account => names_account = true,
                    _ => {}
                }
            }
        }
        if names_account {
            if !statement.conditions().iter().all(alike_for_the_account) {
                return false;
            }
            admits = true;
        }
    }
    admits
        && rcps.into_iter().flatten().all(|level| {
            level.policies.iter().all(|policy| {
                matching(policy, &assume)
                    .all(|statement| statement.conditions().iter().all(alike_for_the_account))
            })
        })
}

/// The trust side of `sts:AssumeRole` on `side` for the principals of `caller`'s account alike:
/// evaluated as `caller` with its own policies stood in by an allow-everything policy (cited as
/// such, and left out of the edge by its builder).
pub(crate) fn trust_side(
    accounts: &std::collections::BTreeMap<String, AccountContext>,
    resolver: &Resolver,
    caller: &Actor,
    side: &ResourceSide<'_>,
) -> Evaluation {
    let assume = Action::new("sts:AssumeRole");
    let given = RequestContext::new();
    let context = resolver.request_context(&assume, &given);
    let owner = side
        .resource
        .account()
        .and_then(|account| accounts.get(account));
    evaluate(
        &Request {
            principal: &caller.principal,
            action: &assume,
            resource: &side.resource,
            context: &context,
        },
        &PolicySet {
            identity: resolver.unknown_identity(),
            rcps: owner.and_then(|account| account.rcps.as_deref()),
            resource: side.policy,
            acl: side.acl,
            ..PolicySet::default()
        },
    )
}

/// The edge from the `idx`-th actor to its account's helper, when its side is the same for every
/// role.
pub(crate) fn caller_edge(context: &Context<'_>, idx: usize) -> Option<EdgeSpec> {
    let actor = context.actors.get(idx)?;
    let evidence = actor.any_role.clone()?;
    Some(EdgeSpec {
        from: NodeKey::Actor(actor.index),
        to: NodeKey::AssumeAnyRole(actor.account.clone()),
        edge: Draft {
            catalog_id: Some("sts-001"),
            evidence,
            ..Draft::new(EdgeKind::Assume, "sts:AssumeRole")
        },
    })
}

/// Where an actor has another edge (a privilege escalation) straight to a role it may also assume
/// through the helper, the assume edge is kept straight too, as it was before the helper: the
/// pair's edges, and the hop an answer shows for it, stay the same.
pub(crate) fn keep_direct_beside(context: &Context<'_>, specs: &mut Vec<EdgeSpec>) {
    let through_helper: HashSet<(&str, &NodeKey)> = specs
        .iter()
        .filter_map(|spec| match &spec.from {
            NodeKey::AssumeAnyRole(account) => Some((account.as_str(), &spec.to)),
            _ => None,
        })
        .collect();
    let direct: HashSet<(&NodeKey, &NodeKey)> = specs
        .iter()
        .filter(|spec| spec.edge.kind == EdgeKind::Assume)
        .map(|spec| (&spec.from, &spec.to))
        .collect();
    let assume = Action::new("sts:AssumeRole");
    let no_context = RequestContext::new();
    let mut pairs: Vec<(usize, usize)> = specs
        .iter()
        .filter(|spec| spec.edge.kind != EdgeKind::Assume)
        .filter_map(|spec| match (&spec.from, &spec.to) {
            (NodeKey::Actor(from), NodeKey::Actor(to)) => {
                let caller = context.actors.get(*from as usize)?;
                (caller.any_role.is_some()
                    && through_helper.contains(&(caller.account.as_str(), &spec.to))
                    && !direct.contains(&(&spec.from, &spec.to)))
                .then_some((*from as usize, *to as usize))
            }
            _ => None,
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    for (from, to) in pairs {
        let (Some(caller), Some(role)) = (context.actors.get(from), context.actors.get(to)) else {
            continue;
        };
        let evaluation = context.decide(caller, &assume, &role.arn, &no_context);
        if let Some(edge) = crate::assume::edge(evaluation, "sts:AssumeRole", Vec::new()) {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(caller.index),
                to: NodeKey::Actor(role.index),
                edge,
            });
        }
    }
}
