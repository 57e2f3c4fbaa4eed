//! Permit edges: which principals may act on a resource, per access level of the AWS catalog
//! (list, read, write, permissions management, tagging; `access`), each decided by full
//! evaluation on the resource side the resolver gives (policy, ACL, owner, organization) with the
//! same- and cross-account rules (KMS keys honour the key-policy rule).
//!
//! Resources: every resource of an account the snapshot knows, with a resource policy or an S3
//! ACL or without (the buckets of its bucket list, the Lambda functions of its inventory).
//!
//! Candidates: the principals the policy or ACL names (an account delegates to those of its
//! principals whose identity policies could allow one of the actions), principals of the owning
//! account whose own policies could allow them, accounts outside the snapshot it names (as their
//! node, or as a canonical-user node for an ACL grantee no account of the snapshot owns), and `*`
//! (anyone) when it names everyone. Other accounts' principals reaching a public resource are not
//! listed one by one: the `*` edge says it.
//!
//! Administrators are not listed one by one either: the account's admin helper node has one edge
//! into each resource, decided for a new principal of the account allowed everything (which an
//! administrator can create), so a definite administrator reaches every resource of its account
//! through one hop without an edge per (administrator, resource).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use accessgraph_catalog::AccessLevel;
use accessgraph_model::{ComputeService, ResourcePolicyKind};
use accessgraph_policy::{
    Action, AwsPrincipal, Decision, Effect, Evaluation, Policy, Principal, PrincipalEntry,
    RequestContext, Tri,
};
use rayon::prelude::*;

use crate::access::{AccessAction, acts_on_objects, levels_of};
use crate::build::{Draft, EdgeSpec, NodeKey};
use crate::context::{Actor, Context, evaluate_anyone, evaluate_outside};
use crate::model::{Access, Admin, EdgeKind};
use crate::resolve::{Resolver, ResourceSide};

/// The label of the stand-in identity policy of an account's new administrator.
const ADMINISTRATOR_POLICY: &str = "(a new principal of the account, allowed everything)";

/// The access actions a permit edge into `arn` decides, with their level, the most telling first.
pub(crate) fn access_actions(
    resolver: &Resolver,
    arn: &str,
) -> Vec<(AccessLevel, &'static AccessAction)> {
    resolver
        .kind(arn)
        .map(levels_of)
        .unwrap_or_default()
        .iter()
        .flat_map(|level| {
            level
                .actions
                .iter()
                .map(move |action| (level.level, action))
        })
        .collect()
}

/// The resources a permit edge into `arn` decides `action` on: the resource itself, or for an
/// action on objects one generic object and one per object pattern the policy or ACL names, or
/// `principal`'s own identity policies name (wildcards and variables replaced), so grants on a
/// prefix are seen.
pub(crate) fn targets(
    resolver: &Resolver,
    arn: &str,
    action: &Action,
    principal: Option<&Actor>,
) -> Vec<String> {
    let on_objects = resolver
        .kind(arn)
        .is_some_and(|kind| acts_on_objects(kind, action));
    if !on_objects {
        return vec![arn.to_owned()];
    }
    let mut probes = BTreeSet::from([format!("{arn}/accessgraph-probe")]);
    let policies = resolver
        .policy(arn)
        .map(|owned| owned.policy.as_ref())
        .into_iter()
        .chain(resolver.bucket_acl(arn));
    for policy in policies {
        probes.extend(object_patterns(policy, arn, None));
    }
    if let Some(actor) = principal {
        probes.extend(identity_probes(actor, arn));
    }
    probes.into_iter().collect()
}

/// The object patterns under `arn` that a policy's statements name, as probes: variables
/// replaced by the caller's user name when known (`${aws:username}`), else by `x`, as wildcards
/// are.
fn object_patterns(policy: &Policy, arn: &str, user_name: Option<&str>) -> Vec<String> {
    let prefix = format!("{arn}/");
    policy
        .document()
        .statements()
        .iter()
        .flat_map(|statement| {
            statement
                .resources()
                .map(|set| set.patterns())
                .unwrap_or_default()
        })
        .map(|pattern| pattern.as_str())
        .filter(|text| text.starts_with(&prefix))
        .map(|text| instantiate(text, user_name))
        .collect()
}

/// A pattern as one concrete name: `${aws:username}` as the user's name, other variables and
/// wildcards as `x`.
fn instantiate(pattern: &str, user_name: Option<&str>) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            rest = after;
            break;
        };
        let variable = &after[..end];
        match user_name {
            Some(name) if variable.eq_ignore_ascii_case("aws:username") => out.push_str(name),
            _ => out.push('x'),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.replace(['*', '?'], "x")
}

/// The object patterns under `arn` that an actor's identity policies name.
fn identity_probes(actor: &Actor, arn: &str) -> Vec<String> {
    let user_name = actor.is_user.then_some(actor.name.as_str());
    actor
        .identity
        .iter()
        .flat_map(|policy| object_patterns(policy, arn, user_name))
        .collect()
}

/// A resource permit edges go into.
struct Target {
    arn: String,
    kind: ResourcePolicyKind,
}

/// Every resource of `account` the snapshot knows: with a resource policy, with an S3 ACL, in
/// its bucket list, a Lambda function of its inventory, or a resource whose output has no policy.
fn resources(context: &Context<'_>, account: &accessgraph_model::Account) -> Vec<Target> {
    let mut found: BTreeMap<String, ResourcePolicyKind> = account
        .resource_policies
        .iter()
        .map(|resource| (resource.arn.clone(), resource.kind))
        .chain(
            account
                .policyless_resources
                .iter()
                .map(|resource| (resource.arn.clone(), resource.kind)),
        )
        .collect();
    let buckets = account
        .bucket_acls
        .iter()
        .map(|acl| acl.bucket.as_str())
        .chain(account.buckets.iter().flatten().map(String::as_str));
    for bucket in buckets {
        found
            .entry(context.resolver.bucket_arn(bucket))
            .or_insert(ResourcePolicyKind::S3Bucket);
    }
    for function in &account.compute {
        if function.service == ComputeService::Lambda && function.id.starts_with("arn:") {
            found
                .entry(function.id.clone())
                .or_insert(ResourcePolicyKind::LambdaFunction);
        }
    }
    found
        .into_iter()
        .map(|(arn, kind)| Target { arn, kind })
        .collect()
}

/// The permit edges into every resource of `account`; `admins` holds each actor's admin status.
pub(crate) fn edges(
    context: &Context<'_>,
    account: &str,
    admins: &[Option<Admin>],
) -> Vec<EdgeSpec> {
    let Some(owner) = context.snapshot.account(account) else {
        return Vec::new();
    };
    let administrator = administrator(context, account);
    resources(context, owner)
        .par_iter()
        .flat_map_iter(|resource| {
            resource_edges(context, account, resource, admins, administrator.as_ref())
        })
        .collect()
}

/// A new principal of `account` allowed everything: what an administrator can create and use.
fn administrator(context: &Context<'_>, account: &str) -> Option<Actor> {
    let arn = format!("arn:aws:iam::{account}:role/accessgraph-new-administrator");
    let principal = Principal::parse(&arn)
        .ok()?
        .with_org(context.account(account).org);
    let policy = Policy::parse(
        ADMINISTRATOR_POLICY,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .ok()?;
    Some(Actor {
        arn,
        name: "accessgraph-new-administrator".to_owned(),
        account: account.to_owned(),
        is_user: false,
        principal,
        identity: vec![Arc::new(policy)],
        boundary: None,
        attached_customer: Vec::new(),
        groups: Vec::new(),
        trust: None,
        instance_profiles: Vec::new(),
        trusted_services: Vec::new(),
        assume_scope: accessgraph_policy::ResourceScope::everything(),
        any_role: None,
        index: u32::MAX,
    })
}

/// Who the resource side names, as edge sources.
#[derive(Default)]
struct Named {
    actors: BTreeSet<usize>,
    /// The actors named by their own ARN (the resource side alone may allow them; an account
    /// named delegates to its principals' own policies).
    by_arn: BTreeSet<usize>,
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
                                named.by_arn.insert(*idx);
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
    level: AccessLevel,
    action: &'static AccessAction,
    sides: Vec<ResourceSide<'r>>,
    /// Whether an allow statement of the resource policy or ACL names the action.
    resource_allows: bool,
}

/// One access level a candidate has: the action found allowed and its evaluation.
struct Granted {
    level: AccessLevel,
    action: &'static Action,
    evaluation: Evaluation,
}

/// Decides every access level for one candidate: per level, the first action (most telling
/// first) allowed on a probe where it `could` be (a cheap filter), else the first conditionally
/// allowed one (after which only the telling actions are tried).
/// `extra` are further objects to decide object actions on (the candidate's own patterns).
fn outcome(
    probes: &[&Probe<'_>],
    extra: &[ResourceSide<'_>],
    could: &dyn Fn(&Probe<'_>, &str) -> bool,
    decide: &dyn Fn(&Action, &ResourceSide<'_>) -> Evaluation,
) -> Vec<Granted> {
    let mut granted = Vec::new();
    for level in AccessLevel::ALL {
        let mut conditional: Option<Granted> = None;
        let mut allowed = None;
        for probe in probes.iter().copied().filter(|probe| probe.level == level) {
            // Once a conditional allow is found, only the telling actions are tried for a
            // definite one: a condition on every action (an SCP's region) would otherwise make
            // every action of the catalog an evaluation.
            if conditional.is_some() && !probe.action.telling {
                break;
            }
            let action: &'static AccessAction = probe.action;
            let extra = if action.on_objects { extra } else { &[] };
            let best = probe
                .sides
                .iter()
                .chain(extra)
                .filter(|side| could(probe, side.resource.arn()))
                .map(|side| decide(&probe.action.action, side))
                .filter(|evaluation| evaluation.decision.is_possible())
                .min_by_key(is_conditional);
            match best {
                Some(evaluation) if !is_conditional(&evaluation) => {
                    allowed = Some(Granted {
                        level,
                        action: &action.action,
                        evaluation,
                    });
                    break;
                }
                Some(evaluation) if conditional.is_none() => {
                    conditional = Some(Granted {
                        level,
                        action: &action.action,
                        evaluation,
                    });
                }
                _ => {}
            }
        }
        granted.extend(allowed.or(conditional));
    }
    granted
}

/// Whether every level `own` has, `*` (anyone) has definitely: a public grant, which the `*` edge
/// already says for every principal.
fn covered_by_anyone(own: &[Granted], anyone: Option<&Vec<Granted>>) -> bool {
    let Some(anyone) = anyone else {
        return false;
    };
    own.iter().all(|granted| {
        anyone.iter().any(|public| {
            public.level == granted.level && public.evaluation.decision == Decision::Allow
        })
    })
}

/// The edge of an outcome: one kind of access per level, in the catalog's order.
fn draft(granted: Vec<Granted>, prefix: &str) -> Option<Draft> {
    if granted.is_empty() {
        return None;
    }
    let mut labels = Vec::new();
    let mut access = Vec::new();
    let mut evidence = Vec::new();
    // The edge holds when any kind of access does.
    let mut conditions = accessgraph_policy::Conditions::never();
    for Granted {
        level,
        action,
        evaluation,
    } in granted
    {
        // A grant that comes from the ACL says so, with its statement's description.
        let by_acl = evaluation
            .evidence
            .iter()
            .find(|citation| citation.policy.ends_with("#acl"))
            .and_then(|citation| citation.sid.as_deref())
            .map(|sid| format!(" by {sid}"))
            .unwrap_or_default();
        // A `?` marks a kind of access that holds only under the edge's conditions.
        let conditional = is_conditional(&evaluation);
        let mark = if conditional { "?" } else { "" };
        labels.push(format!("{}{mark} ({action}){by_acl}", level.word()));
        access.push(Access {
            level,
            action: action.as_str(),
            conditional,
        });
        conditions = conditions.or(accessgraph_policy::Conditions::of(&evaluation));
        evidence.extend(evaluation.evidence.into_iter().filter(|citation| {
            &*citation.policy != crate::UNKNOWN_IDENTITY
                && &*citation.policy != ADMINISTRATOR_POLICY
        }));
    }
    let mut draft = Draft::new(EdgeKind::Permit, format!("{prefix}{}", labels.join(", ")));
    draft.evidence = evidence;
    draft.conditions = conditions;
    draft.access = access.into_boxed_slice();
    Some(draft)
}

/// Whether an allow statement of the resource side's policies names `action`.
fn resource_allows(side: Option<&ResourceSide<'_>>, action: &Action) -> bool {
    side.into_iter()
        .flat_map(|side| side.policy.into_iter().chain(side.acl))
        .any(|policy| {
            policy.document().statements_for(action).any(|statement| {
                statement.effect() == Effect::Allow && statement.matches_action(action.lower())
            })
        })
}

fn resource_edges(
    context: &Context<'_>,
    account: &str,
    target: &Target,
    admins: &[Option<Admin>],
    administrator: Option<&Actor>,
) -> Vec<EdgeSpec> {
    // One resource side per (action, probe), resolved once and shared by every candidate.
    let probes: Vec<Probe<'_>> = levels_of(target.kind)
        .iter()
        .flat_map(|level| {
            level
                .actions
                .iter()
                .map(move |action| (level.level, action))
        })
        .map(|(level, action)| {
            let sides: Vec<ResourceSide<'_>> =
                targets(&context.resolver, &target.arn, &action.action, None)
                    .iter()
                    .map(|probe| context.resolve(probe, &action.action))
                    .collect();
            let resource_allows = resource_allows(sides.first(), &action.action);
            Probe {
                level,
                action,
                sides,
                resource_allows,
            }
        })
        .collect();
    let Some(first) = probes.first().and_then(|probe| probe.sides.first()) else {
        return Vec::new();
    };
    // Every probe, and those the resource side allows (all that callers of other accounts and
    // outsiders can be allowed).
    let every: Vec<&Probe<'_>> = probes.iter().collect();
    let shared: Vec<&Probe<'_>> = probes
        .iter()
        .filter(|probe| probe.resource_allows)
        .collect();
    let policies: Vec<&Policy> = first.policy.into_iter().chain(first.acl).collect();
    // Whether an actor's own policies could allow an action: any action for the owner's
    // principals, one the resource side allows for others (cross-account needs both).
    let actions = |resource_allowed: bool| -> Vec<&Action> {
        let mut actions: Vec<&Action> = probes
            .iter()
            .filter(|probe| probe.resource_allows || !resource_allowed)
            .map(|probe| &probe.action.action)
            .collect();
        actions.sort_by(|a, b| a.lower().cmp(b.lower()));
        actions.dedup_by(|a, b| a.lower() == b.lower());
        actions
    };
    let (any_action, shared_actions) = (actions(false), actions(true));
    // Every action of a kind is of one service: a caller with no allow statement for the service
    // (the action index answers per service) is skipped before any action is matched.
    let service_allowed = |actor: &Actor| {
        any_action.first().is_some_and(|action| {
            actor.identity.iter().any(|policy| {
                policy
                    .document()
                    .statements_for(action)
                    .any(|statement| statement.effect() == Effect::Allow)
            })
        })
    };
    let might = |idx: usize| {
        context.actors.get(idx).is_some_and(|actor| {
            if !service_allowed(actor) {
                return false;
            }
            let actions = if actor.account == account {
                &any_action
            } else {
                &shared_actions
            };
            actions
                .iter()
                .any(|action| Context::might_allow(actor, action))
        })
    };
    let mut named = named(context, &policies, &might);
    let object_actions = probes.iter().any(|probe| probe.action.on_objects);
    let to = NodeKey::Resource(target.arn.clone(), account.to_owned());
    let none = RequestContext::new();
    let mut specs = Vec::new();

    // The account's administrators, through its admin node.
    let administered = administrator.map(|administrator| {
        outcome(&every, &[], &|_, _| true, &|action, side| {
            context.evaluate(administrator, action, side, &none)
        })
    });
    // A definite administrator is listed on its own only if the admin node does not have every
    // level definitely.
    let admin_has_all = administered.as_ref().is_some_and(|granted| {
        granted.len() == levels_of(target.kind).len()
            && granted
                .iter()
                .all(|granted| granted.evaluation.decision == Decision::Allow)
    });
    if let Some(draft) = administered.and_then(|granted| draft(granted, "as an administrator: ")) {
        specs.push(EdgeSpec {
            from: NodeKey::AccountAdmin(account.to_owned()),
            to: to.clone(),
            edge: draft,
        });
    }
    let definite_admin = |idx: usize| {
        admins
            .get(idx)
            .and_then(Option::as_ref)
            .is_some_and(|admin| admin.status == Tri::True)
    };

    // Administrators the resource side does not name are reached through the admin node.
    let owner_actors = || {
        context
            .account_indices(account)
            .filter(|idx| !(admin_has_all && definite_admin(*idx)))
    };
    if named.anyone {
        // `*` names every principal directly: those of the owning account need no identity
        // allow; those of other accounts need one (and may pass conditions `*` as a whole does
        // not, such as the organization's id).
        named.actors.extend(owner_actors());
        named.actors.extend(
            (0..context.actors.len())
                .filter(|idx| might(*idx) && !context.account_indices(account).contains(idx)),
        );
    } else if target.kind != ResourcePolicyKind::KmsKey {
        // Principals of the owning account may be allowed by their own policies alone (not for
        // KMS, whose key policy must allow).
        named
            .actors
            .extend(owner_actors().filter(|idx| might(*idx)));
    }

    let anyone = named.anyone.then(|| {
        outcome(&shared, &[], &|_, _| true, &|action, side| {
            evaluate_anyone(&context.accounts, &context.resolver, action, side, &none)
        })
    });
    for &idx in &named.actors {
        let Some(actor) = context.actors.get(idx) else {
            continue;
        };
        // Within the account, the resource side alone allows a principal it names by ARN or
        // as `*`; across accounts, both sides must allow.
        let same_account = actor.account == account;
        let resource_alone = same_account && (named.anyone || named.by_arn.contains(&idx));
        let could = |probe: &Probe<'_>, resource: &str| {
            let identity = Context::might_allow_on(actor, &probe.action.action, resource);
            if resource_alone {
                identity || probe.resource_allows
            } else if same_account {
                identity
            } else {
                identity && probe.resource_allows
            }
        };
        let patterns = if object_actions {
            identity_probes(actor, &target.arn)
        } else {
            Vec::new()
        };
        let own: Vec<ResourceSide<'_>> = patterns
            .iter()
            .map(|probe| context.resolve(probe, &Action::new("s3:GetObject")))
            .collect();
        let candidates = if same_account { &every } else { &shared };
        let decided = outcome(candidates, &own, &could, &|action, side| {
            context.evaluate(actor, action, side, &none)
        });
        if covered_by_anyone(&decided, anyone.as_ref()) {
            continue;
        }
        if let Some(draft) = draft(decided, "") {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: to.clone(),
                edge: draft,
            });
        }
    }
    let outside = |principal: &Principal| {
        draft(
            outcome(&shared, &[], &|_, _| true, &|action, side| {
                evaluate_outside(
                    &context.accounts,
                    &context.resolver,
                    principal,
                    action,
                    side,
                    &none,
                )
            }),
            "",
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
    if let Some(decided) = anyone.and_then(|anyone| draft(anyone, "")) {
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

#[cfg(test)]
mod tests {
    use super::instantiate;

    #[test]
    fn patterns_become_one_concrete_object() {
        assert_eq!(
            instantiate("arn:aws:s3:::b/home/${aws:username}/*", Some("bob")),
            "arn:aws:s3:::b/home/bob/x"
        );
        assert_eq!(
            instantiate("arn:aws:s3:::b/${aws:PrincipalTag/team}/?", None),
            "arn:aws:s3:::b/x/x"
        );
        assert_eq!(
            instantiate("arn:aws:s3:::b/${unterminated", None),
            "arn:aws:s3:::b/unterminated"
        );
    }
}
