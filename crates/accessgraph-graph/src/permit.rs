//! Permit edges: which principals may act on a resource that carries a resource-based policy or
//! an S3 ACL, grouped as read, write and permissions management, each decided by full evaluation
//! on the resource side the resolver gives (policy, ACL, owner, organization) with the same- and
//! cross-account rules (KMS keys honour the key-policy rule).
//!
//! Candidates: the principals the policy or ACL names (an account delegates to those of its
//! principals whose identity policies could allow one of the actions), principals of the owning
//! account whose own policies could allow them, accounts outside the snapshot it names (as their
//! node, or as a canonical-user node for an ACL grantee no account of the snapshot owns), and `*`
//! (anyone) when it names everyone. Other accounts' principals reaching a public resource are not
//! listed one by one: the `*` edge says it.

use std::collections::BTreeSet;

use accessgraph_model::ResourcePolicyKind;
use accessgraph_policy::{
    Action, AwsPrincipal, Decision, Effect, Evaluation, Policy, PrincipalEntry, RequestContext,
};
use rayon::prelude::*;

use crate::build::{Draft, EdgeSpec, NodeKey};
use crate::context::{Context, evaluate_anyone, evaluate_outside};
use crate::model::EdgeKind;
use crate::resolve::{Resolver, ResourceSide};

/// (group, actions in order of preference, each with whether it acts on objects)
type Group = (&'static str, &'static [(&'static str, bool)]);

/// The access groups of a kind of resource. S3 `read` is reading objects or listing the bucket
/// (what an ACL `READ` grants), `permissions` is the bucket policy or the ACL.
fn groups(kind: ResourcePolicyKind) -> &'static [Group] {
    match kind {
        ResourcePolicyKind::ApiGateway => &[("invoke", &[("execute-api:Invoke", true)])],
        ResourcePolicyKind::S3Bucket => &[
            ("read", &[("s3:GetObject", true), ("s3:ListBucket", false)]),
            ("write", &[("s3:PutObject", true)]),
            (
                "permissions",
                &[("s3:PutBucketPolicy", false), ("s3:PutBucketAcl", false)],
            ),
        ],
        ResourcePolicyKind::KmsKey => &[
            ("read", &[("kms:Decrypt", false)]),
            ("write", &[("kms:Encrypt", false)]),
            ("permissions", &[("kms:PutKeyPolicy", false)]),
        ],
        ResourcePolicyKind::LambdaFunction => &[
            ("read", &[("lambda:GetFunction", false)]),
            ("write", &[("lambda:InvokeFunction", false)]),
            ("permissions", &[("lambda:AddPermission", false)]),
        ],
        ResourcePolicyKind::SqsQueue => &[
            ("read", &[("sqs:ReceiveMessage", false)]),
            ("write", &[("sqs:SendMessage", false)]),
            ("permissions", &[("sqs:SetQueueAttributes", false)]),
        ],
        ResourcePolicyKind::SnsTopic => &[
            ("read", &[("sns:Subscribe", false)]),
            ("write", &[("sns:Publish", false)]),
            ("permissions", &[("sns:SetTopicAttributes", false)]),
        ],
        ResourcePolicyKind::Secret => &[
            ("read", &[("secretsmanager:GetSecretValue", false)]),
            ("write", &[("secretsmanager:PutSecretValue", false)]),
            (
                "permissions",
                &[("secretsmanager:PutResourcePolicy", false)],
            ),
        ],
    }
}

/// The access actions a permit edge into `arn` decides, with their group: empty for a resource
/// without a resource-based policy or an ACL.
pub(crate) fn access_actions(resolver: &Resolver, arn: &str) -> Vec<(&'static str, &'static str)> {
    resolver
        .kind(arn)
        .map(groups)
        .unwrap_or_default()
        .iter()
        .flat_map(|(group, actions)| actions.iter().map(move |(action, _)| (*group, *action)))
        .collect()
}

/// Whether a permit edge decides `action` on objects of the resource (S3 objects, API methods).
fn acts_on_objects(action: &Action) -> bool {
    [ResourcePolicyKind::S3Bucket, ResourcePolicyKind::ApiGateway]
        .into_iter()
        .flat_map(groups)
        .flat_map(|(_, actions)| actions.iter())
        .any(|(name, objects)| *objects && name.eq_ignore_ascii_case(action.as_str()))
}

/// The resources a permit edge into `arn` decides `action` on: the resource itself, or for an
/// action on objects one generic object and one per object pattern the policy or ACL names
/// (wildcards replaced), so grants on a prefix are seen.
pub(crate) fn targets(resolver: &Resolver, arn: &str, action: &Action) -> Vec<String> {
    if !acts_on_objects(action) {
        return vec![arn.to_owned()];
    }
    let mut probes = BTreeSet::from([format!("{arn}/accessgraph-probe")]);
    let prefix = format!("{arn}/");
    let policies = resolver
        .policy(arn)
        .map(|owned| owned.policy.as_ref())
        .into_iter()
        .chain(resolver.bucket_acl(arn));
    for policy in policies {
        for statement in policy.document().statements() {
            for pattern in statement
                .resources()
                .map(|set| set.patterns())
                .unwrap_or_default()
            {
                let text = pattern.as_str();
                if text.starts_with(&prefix) {
                    probes.insert(text.replace(['*', '?'], "x"));
                }
            }
        }
    }
    probes.into_iter().collect()
}

/// A resource with a policy or an ACL, as the edge builder sees it.
struct Target {
    arn: String,
    kind: ResourcePolicyKind,
}

/// The permit edges into every resource of `account`.
pub(crate) fn edges(context: &Context<'_>, account: &str) -> Vec<EdgeSpec> {
    let Some(owner) = context.snapshot.account(account) else {
        return Vec::new();
    };
    let mut resources: Vec<Target> = owner
        .resource_policies
        .iter()
        .map(|resource| Target {
            arn: resource.arn.clone(),
            kind: resource.kind,
        })
        .collect();
    for acl in &owner.bucket_acls {
        let arn = context.resolver.bucket_arn(&acl.bucket);
        if context.resolver.policy(&arn).is_none() && context.resolver.bucket_acl(&arn).is_some() {
            resources.push(Target {
                arn,
                kind: ResourcePolicyKind::S3Bucket,
            });
        }
    }
    resources
        .par_iter()
        .flat_map_iter(|resource| resource_edges(context, account, resource))
        .collect()
}

/// Who the resource side names, as edge sources.
#[derive(Default)]
struct Named {
    actors: BTreeSet<usize>,
    externals: BTreeSet<String>,
    canonical_users: BTreeSet<String>,
    anyone: bool,
}

fn named(context: &Context<'_>, policies: &[&Policy], might: &dyn Fn(usize) -> bool) -> Named {
    let mut named = Named::default();
    let account_actors = |named_account: &str, into: &mut BTreeSet<usize>| {
        into.extend(
            context
                .account_indices(named_account)
                .filter(|idx| might(*idx)),
        );
    };
    for statement in policies
        .iter()
        .flat_map(|policy| policy.document().statements())
    {
        if statement.effect() != Effect::Allow {
            continue;
        }
        for entry in statement
            .principals()
            .filter(|set| !set.is_negated())
            .map(|set| set.entries())
            .unwrap_or_default()
        {
            let account = match entry {
                PrincipalEntry::CanonicalUser(id) => {
                    match context.resolver.account_of_canonical_id(id) {
                        Some(account) => Some(account.to_owned()),
                        None => {
                            named.canonical_users.insert(id.clone());
                            None
                        }
                    }
                }
                PrincipalEntry::Aws { target, .. } => match target {
                    AwsPrincipal::Everyone => {
                        named.anyone = true;
                        None
                    }
                    AwsPrincipal::Account(account) => Some(account.clone()),
                    AwsPrincipal::User(arn) | AwsPrincipal::Role(arn) => {
                        match context.actor_by_arn.get(arn) {
                            Some(idx) => {
                                named.actors.insert(*idx);
                                None
                            }
                            // A principal missing from an account of the snapshot no longer
                            // exists; one of another account is that account's.
                            None => accessgraph_policy::arn_components(arn)
                                .map(|parts| parts[4].to_owned())
                                .filter(|account| context.snapshot.account(account).is_none()),
                        }
                    }
                    _ => None,
                },
                _ => None,
            };
            match account {
                Some(account) if context.snapshot.account(&account).is_some() => {
                    account_actors(&account, &mut named.actors);
                }
                Some(account) => {
                    named.externals.insert(account);
                }
                None => {}
            }
        }
    }
    named
}

/// One access action of a resource, with the resource sides (one per probe) it is decided on.
struct Probe<'r> {
    group: &'static str,
    action: Action,
    sides: Vec<ResourceSide<'r>>,
}

/// The outcome of one candidate: per probe action, its most certain possible evaluation.
type Outcome = Vec<Option<Evaluation>>;

/// Decides every access action for one candidate.
fn outcome(
    probes: &[Probe<'_>],
    decide: &dyn Fn(&Action, &ResourceSide<'_>) -> Evaluation,
) -> Outcome {
    probes
        .iter()
        .map(|probe| {
            probe
                .sides
                .iter()
                .map(|side| decide(&probe.action, side))
                .filter(|evaluation| evaluation.decision.is_possible())
                .min_by_key(is_conditional)
        })
        .collect()
}

/// Whether everything `outcome` allows, `*` (anyone) allows definitely: a public grant, which the
/// `*` edge already says for every principal.
fn covered_by_anyone(outcome: &Outcome, anyone: Option<&Outcome>) -> bool {
    let Some(anyone) = anyone else {
        return false;
    };
    outcome.iter().zip(anyone).all(|(own, public)| {
        own.is_none()
            || public
                .as_ref()
                .is_some_and(|evaluation| evaluation.decision == Decision::Allow)
    })
}

/// The edge of an outcome (per group, the most certain action, in the table's order).
fn draft(probes: &[Probe<'_>], outcome: Outcome) -> Option<Draft> {
    let mut best: Vec<(&'static str, &Action, Evaluation)> = Vec::new();
    for (probe, evaluation) in probes.iter().zip(outcome) {
        let Some(evaluation) = evaluation else {
            continue;
        };
        match best.iter_mut().find(|(group, _, _)| *group == probe.group) {
            Some(slot) if is_conditional(&slot.2) && !is_conditional(&evaluation) => {
                *slot = (probe.group, &probe.action, evaluation);
            }
            Some(_) => {}
            None => best.push((probe.group, &probe.action, evaluation)),
        }
    }
    if best.is_empty() {
        return None;
    }
    let mut allowed = Vec::new();
    let mut evidence = Vec::new();
    // The edge holds when any kind of access does.
    let mut conditions = accessgraph_policy::Conditions::never();
    for (group, action, evaluation) in best {
        // A grant that comes from the ACL says so, with its statement's description.
        let by_acl = evaluation
            .evidence
            .iter()
            .find(|citation| citation.policy.ends_with("#acl"))
            .and_then(|citation| citation.sid.as_deref())
            .map(|sid| format!(" by {sid}"))
            .unwrap_or_default();
        // A `?` marks a kind of access that holds only under the edge's conditions.
        let conditional = if is_conditional(&evaluation) { "?" } else { "" };
        allowed.push(format!("{group}{conditional} ({action}){by_acl}"));
        conditions = conditions.or(accessgraph_policy::Conditions::of(&evaluation));
        evidence.extend(
            evaluation
                .evidence
                .into_iter()
                .filter(|citation| &*citation.policy != crate::UNKNOWN_IDENTITY),
        );
    }
    let mut draft = Draft::new(EdgeKind::Permit, allowed.join(", "));
    draft.evidence = evidence;
    draft.conditions = conditions;
    Some(draft)
}

fn resource_edges(context: &Context<'_>, account: &str, target: &Target) -> Vec<EdgeSpec> {
    // One resource side per (action, probe), resolved once and shared by every candidate.
    let probes: Vec<Probe<'_>> = groups(target.kind)
        .iter()
        .flat_map(|(group, actions)| actions.iter().map(move |(name, _)| (*group, *name)))
        .map(|(group, name)| {
            let action = Action::new(name);
            let sides = targets(&context.resolver, &target.arn, &action)
                .iter()
                .map(|probe| context.resolve(probe, &action))
                .collect();
            Probe {
                group,
                action,
                sides,
            }
        })
        .collect();
    let Some(first) = probes.first().and_then(|probe| probe.sides.first()) else {
        return Vec::new();
    };
    let policies: Vec<&Policy> = first.policy.into_iter().chain(first.acl).collect();
    let might = |idx: usize| {
        context.actors.get(idx).is_some_and(|actor| {
            probes
                .iter()
                .any(|probe| Context::might_allow(actor, &probe.action))
        })
    };
    let mut named = named(context, &policies, &might);
    let owner_actors = || context.account_indices(account);
    if named.anyone {
        // `*` names every principal directly: those of the owning account need no identity
        // allow; those of other accounts need one (and may pass conditions `*` as a whole does
        // not, such as the organization's id).
        named.actors.extend(owner_actors());
        named
            .actors
            .extend((0..context.actors.len()).filter(|idx| might(*idx)));
    } else if target.kind != ResourcePolicyKind::KmsKey {
        // Principals of the owning account may be allowed by their own policies alone (not for
        // KMS, whose key policy must allow).
        named
            .actors
            .extend(owner_actors().filter(|idx| might(*idx)));
    }

    let to = NodeKey::Resource(target.arn.clone(), account.to_owned());
    let none = RequestContext::new();
    let anyone = named.anyone.then(|| {
        outcome(&probes, &|action, side| {
            evaluate_anyone(&context.accounts, &context.resolver, action, side, &none)
        })
    });
    let mut specs = Vec::new();
    for idx in named.actors {
        let Some(actor) = context.actors.get(idx) else {
            continue;
        };
        let decided = outcome(&probes, &|action, side| {
            context.evaluate(actor, action, side, &none)
        });
        if covered_by_anyone(&decided, anyone.as_ref()) {
            continue;
        }
        if let Some(draft) = draft(&probes, decided) {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: to.clone(),
                edge: draft,
            });
        }
    }
    let outside = |principal: &accessgraph_policy::Principal| {
        draft(
            &probes,
            outcome(&probes, &|action, side| {
                evaluate_outside(
                    &context.accounts,
                    &context.resolver,
                    principal,
                    action,
                    side,
                    &none,
                )
            }),
        )
    };
    for named_account in named.externals {
        let Ok(root) = context
            .resolver
            .principal(&format!("arn:aws:iam::{named_account}:root"))
        else {
            continue;
        };
        // Each kind of access that needs the account's own (unknown) policies says so in its
        // conditions.
        if let Some(decided) = outside(&root) {
            specs.push(EdgeSpec {
                from: NodeKey::External(named_account),
                to: to.clone(),
                edge: decided,
            });
        }
    }
    for id in named.canonical_users {
        let grantee = context.resolver.outsider().with_canonical_id(id.clone());
        if let Some(decided) = outside(&grantee) {
            specs.push(EdgeSpec {
                from: NodeKey::CanonicalUser(id),
                to: to.clone(),
                edge: decided,
            });
        }
    }
    if let Some(decided) = anyone.and_then(|anyone| draft(&probes, anyone)) {
        specs.push(EdgeSpec {
            from: NodeKey::Anyone,
            to,
            edge: decided,
        });
    }
    specs
}

fn is_conditional(evaluation: &Evaluation) -> bool {
    matches!(evaluation.decision, Decision::Conditional { .. })
}
