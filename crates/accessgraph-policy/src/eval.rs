//! The AWS evaluation algorithm for one request (iam-semantics.md §3.5 and §3.6).
//!
//! Every layer is scanned once; the decision is then computed in three-valued logic:
//!
//! ```text
//! allowed = NOT deny AND rcp_chain AND scp_chain AND grant
//! grant (same account)  = rbp_direct OR (rbp_role AND boundary AND session)
//!                         OR (identity AND boundary AND session AND (rbp_account if the resource
//!                             policy is required: role trust, KMS key policy))
//! grant (cross account) = identity AND boundary AND session AND rbp_names_caller
//! grant (no identity: service, identity provider, anonymous) = rbp_direct
//! ```

mod outcome;
mod scan;

pub use self::outcome::{Citation, Decision, DenyKind, Evaluation, Layer, Unresolved};
use self::scan::LayerHits;
use crate::document::Effect;
use crate::document::principal::NamedAs;
use crate::policy::{OrgLevel, PolicySet};
use crate::request::{Env, PrincipalKind, Request};
use crate::tri::Tri;

/// Services whose resources RCPs govern (iam-semantics.md §3.3); kept as data.
const RCP_SERVICES: [&str; 20] = [
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "cognito-idp",
    "cognito-identity",
    "logs",
    "dynamodb",
    "ecr",
    "aoss",
    "events",
    "codebuild",
    "codecommit",
    "codeartifact",
    "rolesanywhere",
    "transfer",
    "wafv2",
    "xray",
    "s3express",
];

/// Actions whose resource policy is the role's trust policy (iam-semantics.md §4.1-§4.3).
const TRUST_ACTIONS: [&str; 6] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

/// Whether a role's trust policy is the resource policy of this action (lowercase):
/// `sts:AssumeRole*`, `sts:TagSession`, `sts:SetSourceIdentity`, `sts:SetContext`.
#[must_use]
pub fn is_trust_action(action_lower: &str) -> bool {
    TRUST_ACTIONS.contains(&action_lower)
}

/// Whether the resource policy must allow on its own terms: a role's trust policy for
/// `sts:AssumeRole*`, or a KMS key policy (iam-semantics.md §3.4).
#[must_use]
pub fn resource_policy_required(request: &Request<'_>) -> bool {
    requires_resource_policy(
        request,
        crate::arn::components(request.resource.arn()).as_ref(),
    )
}

fn requires_resource_policy(request: &Request<'_>, parts: Option<&[&str; 6]>) -> bool {
    let Some([_, _, service, _, _, resource]) = parts else {
        return false;
    };
    match *service {
        "iam" => resource.starts_with("role/") && is_trust_action(request.action.lower()),
        "kms" => resource.starts_with("key/"),
        _ => false,
    }
}

fn scan_chain<'p>(levels: Option<&'p [OrgLevel]>, env: &Env<'_>, scp: bool) -> Vec<LayerHits<'p>> {
    levels
        .unwrap_or_default()
        .iter()
        .map(|level| {
            let layer = if scp {
                Layer::Scp {
                    target: level.target.clone(),
                }
            } else {
                Layer::Rcp {
                    target: level.target.clone(),
                }
            };
            LayerHits::scan(layer, level.policies.iter().map(shared), env, false)
        })
        .collect()
}

/// A policy behind its `Arc` (one function, so every layer of policies scans with one
/// instantiation of [`LayerHits::scan`]).
fn shared(policy: &std::sync::Arc<crate::policy::Policy>) -> &crate::policy::Policy {
    policy
}

/// Whether the request crosses accounts: an outsider always does; a resource whose owner is not
/// known may or may not be in the caller's account.
fn cross_account(request: &Request<'_>) -> Tri {
    let principal = request.principal;
    if principal.kind() == PrincipalKind::Outsider {
        return Tri::True;
    }
    match (principal.account(), request.resource.account()) {
        (Some(caller), Some(owner)) => Tri::from(caller != owner),
        (Some(_), None) if request.resource.owner_unknown() => Tri::Unknown,
        _ => Tri::False,
    }
}

/// Actions that need no permission: AWS allows them to every authenticated caller, even under an
/// explicit deny (STS API reference, `GetCallerIdentity`).
const NO_PERMISSION_ACTIONS: [&str; 1] = ["sts:getcalleridentity"];

/// Evaluates one request against its policies.
#[must_use]
pub fn evaluate(request: &Request<'_>, policies: &PolicySet<'_>) -> Evaluation {
    let principal = request.principal;
    let has_identity = principal.has_identity();
    let env = Env::with_boundary(*request, has_identity && policies.boundary.is_some());
    if let Some(reason) =
        crate::owned::aws_owned_parts(env.resource_parts(), request.action.lower())
    {
        return Evaluation {
            decision: Decision::Deny(DenyKind::AwsOwned),
            evidence: Vec::new(),
            missing: Vec::new(),
            conditions: Vec::new(),
            notes: vec![format!("`{}` is {reason}", request.resource.arn())],
        };
    }
    if has_identity && NO_PERMISSION_ACTIONS.contains(&request.action.lower()) {
        return Evaluation {
            decision: Decision::Allow,
            evidence: Vec::new(),
            missing: Vec::new(),
            conditions: Vec::new(),
            notes: vec![format!(
                "`{}` needs no permission: AWS allows it to every authenticated caller, even under an explicit deny",
                request.action
            )],
        };
    }
    let mut notes = Vec::new();
    if request.resource.is_pattern() {
        notes.push(format!(
            "`{}` is a pattern: the answer is for some resource it names; a deny of only some of them leaves it conditional",
            request.resource.arn()
        ));
    }

    let identity = has_identity.then(|| {
        LayerHits::scan(
            Layer::Identity,
            policies.identity.iter().map(shared),
            &env,
            false,
        )
    });
    let boundary = policies
        .boundary
        .filter(|_| has_identity)
        .map(|policy| LayerHits::scan(Layer::Boundary, [Some(policy), None], &env, false));
    let session = policies
        .session
        .filter(|_| has_identity)
        .map(|policy| LayerHits::scan(Layer::Session, [Some(policy), None], &env, false));
    let scps_apply = has_identity && !principal.is_service_linked();
    if policies.scps.is_some() && !scps_apply {
        notes.push("SCPs do not apply to this caller".to_owned());
    }
    let scps = if scps_apply {
        scan_chain(policies.scps, &env, true)
    } else {
        Vec::new()
    };
    let rcps_apply =
        !principal.is_service_linked() && RCP_SERVICES.contains(&request.action.service());
    let rcps = if rcps_apply {
        scan_chain(policies.rcps, &env, false)
    } else {
        Vec::new()
    };
    // The bucket ACL, written as a policy, is part of the resource side.
    let resource = (policies.resource.is_some() || policies.acl.is_some()).then(|| {
        LayerHits::scan(
            Layer::Resource,
            [policies.resource, policies.acl],
            &env,
            true,
        )
    });

    let endpoint = policies
        .vpc_endpoint
        .map(|policy| LayerHits::scan(Layer::VpcEndpoint, [Some(policy), None], &env, true));
    let all_layers = || {
        identity
            .iter()
            .chain(&boundary)
            .chain(&session)
            .chain(&scps)
            .chain(&rcps)
            .chain(&resource)
            .chain(&endpoint)
    };
    let deny = all_layers().fold(Tri::False, |acc, layer| acc.or(layer.deny()));

    let mut missing = Vec::new();
    let chain_ok = |levels: &[LayerHits<'_>], missing: &mut Vec<Layer>| {
        levels.iter().fold(Tri::True, |acc, level| {
            let allowed = level.allow(None);
            if allowed == Tri::False {
                missing.push(level.layer.clone());
            }
            acc.and(allowed)
        })
    };
    let scp_ok = chain_ok(&scps, &mut missing);
    let rcp_ok = chain_ok(&rcps, &mut missing);
    // An endpoint policy filters like a ceiling: some statement naming the caller must allow.
    let endpoint_ok = chain_ok(endpoint.as_slice(), &mut missing);

    let required = requires_resource_policy(request, env.resource_parts());
    let rbp = |class: NamedAs| {
        resource
            .as_ref()
            .map_or(Tri::False, |hits| hits.allow(Some(class)))
    };
    let rbp_direct = rbp(NamedAs::Direct);
    let rbp_any = rbp_direct.or(rbp(NamedAs::Role)).or(rbp(NamedAs::Account));
    let grant = if has_identity {
        let identity_allow = if principal.kind() == PrincipalKind::Root {
            notes.push("the root user holds every identity permission".to_owned());
            Tri::True
        } else {
            identity
                .as_ref()
                .map_or(Tri::False, |hits| hits.allow(None))
        };
        let ceiling =
            |hits: &Option<LayerHits<'_>>| hits.as_ref().map_or(Tri::True, |hits| hits.allow(None));
        let boundary_ok = ceiling(&boundary);
        let session_ok = ceiling(&session);
        let cross_account = cross_account(request);
        let cross_grant = identity_allow.and(boundary_ok).and(session_ok).and(rbp_any);
        let same_grant = || {
            let delegated = if required {
                rbp(NamedAs::Account)
            } else {
                Tri::True
            };
            rbp_direct
                .or(rbp(NamedAs::Role).and(boundary_ok).and(session_ok))
                .or(identity_allow
                    .and(boundary_ok)
                    .and(session_ok)
                    .and(delegated))
        };
        let grant = match cross_account {
            Tri::True => {
                notes.push("cross-account request: both the caller's policies and the resource policy must allow".to_owned());
                cross_grant
            }
            Tri::False => same_grant(),
            Tri::Unknown => {
                let same = same_grant();
                if same == cross_grant {
                    same
                } else {
                    notes.push("the resource's owner is not in the snapshot: the answer depends on whether it is the caller's account and on its resource policy".to_owned());
                    Tri::Unknown
                }
            }
        };
        if grant == Tri::False {
            for (layer, allowed) in [
                (Layer::Identity, identity_allow),
                (Layer::Boundary, boundary_ok),
                (Layer::Session, session_ok),
            ] {
                if allowed == Tri::False {
                    missing.push(layer);
                }
            }
            if (cross_account != Tri::False || required) && rbp_any == Tri::False {
                missing.push(Layer::Resource);
            }
        }
        grant
    } else {
        if rbp_direct == Tri::False {
            missing.push(Layer::Resource);
        }
        rbp_direct
    };

    let allowed = (!deny).and(scp_ok).and(rcp_ok).and(endpoint_ok).and(grant);
    let decision = match allowed {
        Tri::True => Decision::Allow,
        Tri::False if deny == Tri::True => Decision::Deny(DenyKind::Explicit),
        Tri::False => Decision::Deny(DenyKind::Implicit),
        Tri::Unknown if deny == Tri::False => Decision::Conditional {
            deny_kind: DenyKind::Implicit,
        },
        Tri::Unknown => Decision::Conditional {
            deny_kind: DenyKind::Explicit,
        },
    };
    let hits =
        || all_layers().flat_map(|layer| layer.hits.iter().map(move |hit| (&layer.layer, hit)));
    let (evidence, conditions) = match decision {
        Decision::Deny(DenyKind::Explicit) => (
            hits()
                .filter(|(_, hit)| hit.effect() == Effect::Deny && hit.tri_any() == Tri::True)
                .map(|(layer, hit)| hit.citation(layer))
                .collect(),
            Vec::new(),
        ),
        Decision::Deny(DenyKind::Implicit | DenyKind::AwsOwned) => (Vec::new(), Vec::new()),
        Decision::Allow => (
            hits()
                .filter(|(_, hit)| hit.effect() == Effect::Allow)
                .map(|(layer, hit)| hit.citation(layer))
                .collect(),
            Vec::new(),
        ),
        Decision::Conditional { .. } => (
            hits()
                .filter(|(_, hit)| hit.effect() == Effect::Allow || hit.tri_any() == Tri::Unknown)
                .map(|(layer, hit)| hit.citation(layer))
                .collect(),
            hits()
                .filter(|(_, hit)| hit.is_conditional())
                .flat_map(|(layer, hit)| hit.unresolved(layer))
                .collect(),
        ),
    };
    if !matches!(decision, Decision::Deny(DenyKind::Implicit)) {
        missing.clear();
    }
    Evaluation {
        decision,
        evidence,
        missing,
        conditions,
        notes,
    }
}

#[cfg(test)]
mod tests;
