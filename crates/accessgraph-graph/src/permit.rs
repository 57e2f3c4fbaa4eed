//! Permit edges: which principals may act on a resource that carries a resource-based policy,
//! grouped as read, write and permissions management, decided by full evaluation with the
//! resource policy and the cross-account rule (KMS keys honour the key-policy rule).
//!
//! Candidates: the principals the resource policy names (an account delegates to those of its
//! principals whose identity policies could allow one of the actions), principals of the owning
//! account whose own policies could allow them, external accounts it names, and `*` (anyone, an
//! anonymous request) when it names everyone. Other accounts' principals reaching a public
//! resource are not listed one by one: the `*` edge says it.

use std::collections::BTreeSet;

use accessgraph_model::{ResourcePolicy, ResourcePolicyKind};
use accessgraph_policy::{
    Action, AwsPrincipal, Decision, Effect, Evaluation, Policy, PolicySet, Principal,
    PrincipalEntry, Request, RequestContext, Resource, evaluate,
};
use rayon::prelude::*;

use crate::build::{Draft, EdgeSpec, NodeKey};
use crate::context::Context;
use crate::model::EdgeKind;

/// (group, action, acts on objects rather than the bucket)
fn groups(kind: ResourcePolicyKind) -> &'static [(&'static str, &'static str, bool)] {
    match kind {
        ResourcePolicyKind::ApiGateway => &[("invoke", "execute-api:Invoke", true)],
        ResourcePolicyKind::S3Bucket => &[
            ("read", "s3:GetObject", true),
            ("write", "s3:PutObject", true),
            ("permissions", "s3:PutBucketPolicy", false),
        ],
        ResourcePolicyKind::KmsKey => &[
            ("read", "kms:Decrypt", false),
            ("write", "kms:Encrypt", false),
            ("permissions", "kms:PutKeyPolicy", false),
        ],
        ResourcePolicyKind::LambdaFunction => &[
            ("read", "lambda:GetFunction", false),
            ("write", "lambda:InvokeFunction", false),
            ("permissions", "lambda:AddPermission", false),
        ],
        ResourcePolicyKind::SqsQueue => &[
            ("read", "sqs:ReceiveMessage", false),
            ("write", "sqs:SendMessage", false),
            ("permissions", "sqs:SetQueueAttributes", false),
        ],
        ResourcePolicyKind::SnsTopic => &[
            ("read", "sns:Subscribe", false),
            ("write", "sns:Publish", false),
            ("permissions", "sns:SetTopicAttributes", false),
        ],
        ResourcePolicyKind::Secret => &[
            ("read", "secretsmanager:GetSecretValue", false),
            ("write", "secretsmanager:PutSecretValue", false),
            ("permissions", "secretsmanager:PutResourcePolicy", false),
        ],
    }
}

/// Object ARNs to probe a bucket with: one generic key, and one per object pattern the policy
/// names (wildcards replaced), so grants on a prefix are seen.
fn object_probes(bucket_arn: &str, policy: &Policy) -> Vec<String> {
    let mut probes = BTreeSet::from([format!("{bucket_arn}/accessgraph-probe")]);
    let prefix = format!("{bucket_arn}/");
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
    probes.into_iter().collect()
}

/// The permit edges into every resource of `account`.
pub(crate) fn edges(context: &Context<'_>, account: &str) -> Vec<EdgeSpec> {
    let Some(owner) = context.snapshot.account(account) else {
        return Vec::new();
    };
    owner
        .resource_policies
        .par_iter()
        .flat_map_iter(|resource| resource_edges(context, account, resource))
        .collect()
}

fn resource_edges(
    context: &Context<'_>,
    account: &str,
    resource: &ResourcePolicy,
) -> Vec<EdgeSpec> {
    let Some(policy) = context
        .docs
        .policy(&format!("{}#policy", resource.arn), &resource.document)
    else {
        return Vec::new();
    };
    let groups = groups(resource.kind);
    let actions: Vec<(&str, Action, bool)> = groups
        .iter()
        .map(|(group, action, objects)| (*group, Action::new(*action), *objects))
        .collect();
    // Objects of a bucket, and method paths of an API (`API_ARN/stage/METHOD/path`).
    let probes = if matches!(
        resource.kind,
        ResourcePolicyKind::S3Bucket | ResourcePolicyKind::ApiGateway
    ) {
        object_probes(&resource.arn, &policy)
    } else {
        Vec::new()
    };
    let targets = |objects: bool| -> Vec<Resource> {
        if objects {
            probes
                .iter()
                .map(|probe| Resource::new(probe.clone()).with_account(account))
                .collect()
        } else {
            vec![Resource::new(resource.arn.clone()).with_account(account)]
        }
    };
    let might = |idx: usize| {
        context.actors.get(idx).is_some_and(|actor| {
            actions
                .iter()
                .any(|(_, action, _)| Context::might_allow(actor, action))
        })
    };

    let mut actors: BTreeSet<usize> = BTreeSet::new();
    let mut externals: BTreeSet<String> = BTreeSet::new();
    let mut anyone = false;
    for statement in policy.document().statements() {
        if statement.effect() != Effect::Allow {
            continue;
        }
        for entry in statement
            .principals()
            .filter(|set| !set.is_negated())
            .map(|set| set.entries())
            .unwrap_or_default()
        {
            let PrincipalEntry::Aws { target, .. } = entry else {
                continue;
            };
            match target {
                AwsPrincipal::Everyone => anyone = true,
                AwsPrincipal::Account(named) if context.snapshot.account(named).is_some() => {
                    let start = context
                        .account_ranges
                        .get(named)
                        .map_or(0, |range| range.start);
                    actors.extend(
                        (0..context.account_actors(named).len())
                            .map(|offset| start + offset)
                            .filter(|idx| might(*idx)),
                    );
                }
                AwsPrincipal::Account(named) => {
                    externals.insert(named.clone());
                }
                AwsPrincipal::User(arn) | AwsPrincipal::Role(arn) => {
                    match context.actor_by_arn.get(arn) {
                        Some(idx) => {
                            actors.insert(*idx);
                        }
                        None => {
                            if let Some(named) = accessgraph_policy::arn_components(arn)
                                .map(|parts| parts[4].to_owned())
                            {
                                if context.snapshot.account(&named).is_none() {
                                    externals.insert(named);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Principals of the owning account may be allowed by their own policies alone (not for KMS,
    // whose key policy must allow).
    if resource.kind != ResourcePolicyKind::KmsKey {
        let start = context
            .account_ranges
            .get(account)
            .map_or(0, |range| range.start);
        actors.extend(
            (0..context.account_actors(account).len())
                .map(|offset| start + offset)
                .filter(|idx| might(*idx)),
        );
    }

    let to = NodeKey::Resource(resource.arn.clone(), account.to_owned());
    let mut specs = Vec::new();
    let evaluate_all = |decide: &dyn Fn(&Action, &Resource) -> Evaluation| -> Option<Draft> {
        let mut allowed = Vec::new();
        let mut evidence = Vec::new();
        let mut conditions = Vec::new();
        for (group, action, objects) in &actions {
            let best = targets(*objects)
                .iter()
                .map(|target| decide(action, target))
                .filter(|evaluation| evaluation.decision.is_possible())
                .min_by_key(|evaluation| {
                    matches!(evaluation.decision, Decision::Conditional { .. })
                });
            if let Some(evaluation) = best {
                allowed.push(format!("{group} ({action})"));
                evidence.extend(evaluation.evidence);
                if matches!(evaluation.decision, Decision::Conditional { .. }) {
                    conditions.extend(evaluation.conditions);
                }
            }
        }
        (!allowed.is_empty()).then(|| Draft {
            kind: EdgeKind::Permit,
            technique: allowed.join(", "),
            catalog_id: None,
            evidence,
            conditions,
            requirements: Vec::new(),
            alternatives: Vec::new(),
        })
    };
    for idx in actors {
        let Some(actor) = context.actors.get(idx) else {
            continue;
        };
        let none = RequestContext::new();
        if let Some(draft) = evaluate_all(&|action, target| {
            context.evaluate(actor, action, target, Some(&policy), &none)
        }) {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: to.clone(),
                edge: draft,
            });
        }
    }
    let rcps = context.account(account).rcps;
    let outsider = |principal: &Principal, action: &Action, target: &Resource| {
        let request = Request {
            principal,
            action,
            resource: target,
            context: &RequestContext::new(),
        };
        let policies = PolicySet {
            rcps: rcps.as_deref(),
            resource: Some(&policy),
            ..PolicySet::default()
        };
        evaluate(&request, &policies)
    };
    for named in externals {
        let Ok(root) = Principal::parse(&format!("arn:aws:iam::{named}:root")) else {
            continue;
        };
        if let Some(mut draft) = evaluate_all(&|action, target| outsider(&root, action, target)) {
            draft.requirements.push(format!(
                "account `{named}` is not in the snapshot: its own policies must allow the actions"
            ));
            specs.push(EdgeSpec {
                from: NodeKey::External(named),
                to: to.clone(),
                edge: draft,
            });
        }
    }
    if anyone {
        if let Ok(anonymous) = Principal::parse("*") {
            if let Some(draft) =
                evaluate_all(&|action, target| outsider(&anonymous, action, target))
            {
                specs.push(EdgeSpec {
                    from: NodeKey::Anyone,
                    to,
                    edge: draft,
                });
            }
        }
    }
    specs
}
