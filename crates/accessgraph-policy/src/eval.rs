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
use self::scan::{HitClause, HitLogic, LayerHits};
use crate::document::Effect;
use crate::document::principal::NamedAs;
use crate::expr::{Conditions, Expr};
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
            allowed_when: None,
            notes: vec![format!("`{}` is {reason}", request.resource.arn())],
        };
    }
    if has_identity && NO_PERMISSION_ACTIONS.contains(&request.action.lower()) {
        return Evaluation {
            decision: Decision::Allow,
            evidence: Vec::new(),
            missing: Vec::new(),
            conditions: Vec::new(),
            allowed_when: None,
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
    let scanned = Scanned {
        identity,
        boundary,
        session,
        scps,
        rcps,
        resource,
        endpoint,
    };
    let required = requires_resource_policy(request, env.resource_parts());
    let is_root = principal.kind() == PrincipalKind::Root;
    let cross_account = cross_account(request);
    let shape = Shape {
        has_identity,
        is_root,
        required,
    };
    // The truth values, kept to guide a conditional answer's formula.
    let guide: Parts<Tri> = scanned.parts(&shape, cross_account, None);
    let Parts {
        deny,
        grant,
        owner_matters,
        ..
    } = guide;
    let allowed = guide.allowed();
    if has_identity && is_root {
        notes.push("the root user holds every identity permission".to_owned());
    }
    if has_identity {
        match cross_account {
            Tri::True => notes.push("cross-account request: both the caller's policies and the resource policy must allow".to_owned()),
            Tri::Unknown if owner_matters => notes.push("the resource's owner is not in the snapshot: the answer depends on whether it is the caller's account and on its resource policy".to_owned()),
            _ => {}
        }
    }
    let missing = if allowed == Tri::False && deny != Tri::True {
        scanned.missing(&shape, grant, cross_account != Tri::False || required)
    } else {
        Vec::new()
    };
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
    // Evidence: the matching denies of an explicit deny, the allows of an allow, and for a
    // conditional answer the allows and the denies that may apply.
    let cited = |hit: &scan::Hit<'_>| match decision {
        Decision::Deny(DenyKind::Explicit) => {
            hit.effect() == Effect::Deny && hit.tri_any() == Tri::True
        }
        Decision::Deny(_) => false,
        Decision::Allow => hit.effect() == Effect::Allow,
        Decision::Conditional { .. } => {
            hit.effect() == Effect::Allow || hit.tri_any() == Tri::Unknown
        }
    };
    let mut evidence = Vec::new();
    // The clauses of conditional statements, in layer order: the conditions list.
    let mut listed: Vec<HitClause<'_, '_>> = Vec::new();
    let conditional = matches!(decision, Decision::Conditional { .. });
    for layer in scanned.layers() {
        for hit in &layer.hits {
            if cited(hit) {
                evidence.push(hit.citation(&layer.layer));
            }
            if conditional && hit.is_conditional() {
                listed.extend(hit.clauses(&layer.layer));
            }
        }
    }
    let mut conditions: Vec<Unresolved> =
        listed.iter().map(|clause| clause.to_unresolved()).collect();
    let allowed_when = match decision {
        Decision::Conditional { .. } => {
            let cross = match cross_account {
                Tri::Unknown => Expr::fact(format!(
                    "the owner of `{}` is not the caller's account {}",
                    request.resource.arn(),
                    principal.account().unwrap_or_default()
                )),
                known => Expr::Const(known == Tri::True),
            };
            let parts: Parts<Expr<HitClause<'_, '_>>> = scanned.parts(&shape, cross, Some(&guide));
            let formula = parts.allowed().simplify();
            Some(formula.map(&mut |clause: HitClause<'_, '_>| {
                listed
                    .iter()
                    .position(|known| known.is(&clause))
                    .unwrap_or_else(|| {
                        conditions.push(clause.to_unresolved());
                        conditions.len() - 1
                    })
            }))
        }
        _ => None,
    };
    let mut evaluation = Evaluation {
        decision,
        evidence,
        missing,
        conditions: Vec::new(),
        allowed_when: None,
        notes,
    };
    // A formula whose clauses contradict (or complete) each other settles the decision.
    if let Some(when) = allowed_when {
        let note = match evaluation.settle(Conditions {
            list: conditions,
            when,
        }) {
            Some(true) => "the conditions of the statements that apply cover every case",
            Some(false) => {
                "the conditions under which an allow applies contradict the conditions of a deny or of a required allow"
            }
            None => return evaluation,
        };
        evaluation.notes.push(note.to_owned());
    }
    evaluation
}

/// The matched statements of every layer.
struct Scanned<'p> {
    identity: Option<LayerHits<'p>>,
    boundary: Option<LayerHits<'p>>,
    session: Option<LayerHits<'p>>,
    scps: Vec<LayerHits<'p>>,
    rcps: Vec<LayerHits<'p>>,
    resource: Option<LayerHits<'p>>,
    endpoint: Option<LayerHits<'p>>,
}

/// What shapes the combination of layers.
struct Shape {
    has_identity: bool,
    is_root: bool,
    /// The resource policy must allow on its own terms (role trust, KMS key policy).
    required: bool,
}

/// The terms of the decision, in one logic.
#[derive(Clone, Copy)]
struct Parts<L> {
    /// Some deny applies.
    deny: L,
    /// The SCP and RCP chains and the endpoint policy allow.
    ceilings: L,
    /// Some policy grants.
    grant: L,
    /// The owner is not known and the grant differs between the same and another account.
    owner_matters: bool,
}

impl<L: crate::expr::Logic> Parts<L> {
    /// `NOT deny AND rcp_chain AND scp_chain AND endpoint AND grant`.
    fn allowed(self) -> L {
        self.deny.negate().and(self.ceilings).and(self.grant)
    }
}

/// The grants of a caller with an identity (iam-semantics.md §3.4, §3.6).
#[derive(Clone)]
struct Grants<L> {
    identity_allow: L,
    boundary_ok: L,
    session_ok: L,
    rbp_direct: L,
    rbp_role: L,
    rbp_account: L,
}

impl<L: crate::expr::Logic> Grants<L> {
    /// Another account: the caller's policies and the resource policy both allow.
    fn cross_account(self) -> L {
        self.identity_allow
            .and(self.boundary_ok)
            .and(self.session_ok)
            .and(self.rbp_direct.or(self.rbp_role).or(self.rbp_account))
    }

    /// The same account: the resource policy naming the caller directly, or naming its role
    /// (within boundary and session policy), or the identity policies (and the resource policy
    /// naming the account where it must allow on its own terms).
    fn same_account(self, required: bool) -> L {
        let delegated = if required {
            self.rbp_account
        } else {
            L::constant(true)
        };
        let ceilings = self.boundary_ok.and(self.session_ok);
        self.rbp_direct
            .or(self.rbp_role.and(ceilings.clone()))
            .or(self.identity_allow.and(ceilings).and(delegated))
    }
}

impl<'p> Scanned<'p> {
    fn layers(&self) -> impl Iterator<Item = &LayerHits<'p>> {
        self.identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.session)
            .chain(&self.scps)
            .chain(&self.rcps)
            .chain(&self.resource)
            .chain(&self.endpoint)
    }

    fn rbp<'s, L: HitLogic<'s, 'p>>(&'s self, class: NamedAs) -> L {
        self.resource
            .as_ref()
            .map_or(L::constant(false), |hits| hits.allow(Some(class)))
    }

    fn grants<'s, L: HitLogic<'s, 'p>>(&'s self, shape: &Shape) -> Grants<L> {
        let ceiling = |hits: &'s Option<LayerHits<'p>>| {
            hits.as_ref()
                .map_or(L::constant(true), |hits| hits.allow(None))
        };
        Grants {
            identity_allow: if shape.is_root {
                L::constant(true)
            } else {
                self.identity
                    .as_ref()
                    .map_or(L::constant(false), |hits| hits.allow(None))
            },
            boundary_ok: ceiling(&self.boundary),
            session_ok: ceiling(&self.session),
            rbp_direct: self.rbp(NamedAs::Direct),
            rbp_role: self.rbp(NamedAs::Role),
            rbp_account: self.rbp(NamedAs::Account),
        }
    }

    /// The decision's terms; `cross` says whether the request crosses accounts. `guide`, the
    /// same terms as truth values, lets a formula skip every term they settle.
    fn parts<'s, L: HitLogic<'s, 'p>>(
        &'s self,
        shape: &Shape,
        cross: L,
        guide: Option<&Parts<Tri>>,
    ) -> Parts<L> {
        let settled = |term: fn(&Parts<Tri>) -> Tri| {
            guide
                .and_then(|guide| crate::expr::Logic::known(&term(guide)))
                .map(L::constant)
        };
        let deny = settled(|parts| parts.deny).unwrap_or_else(|| {
            self.layers()
                .fold(L::constant(false), |acc, layer| acc.or(layer.deny()))
        });
        // An endpoint policy filters like a ceiling: some statement naming the caller must allow.
        let ceilings = settled(|parts| parts.ceilings).unwrap_or_else(|| {
            self.scps
                .iter()
                .chain(&self.rcps)
                .chain(&self.endpoint)
                .fold(L::constant(true), |acc, level| acc.and(level.allow(None)))
        });
        let mut owner_matters = false;
        let grant = if let Some(grant) = settled(|parts| parts.grant) {
            grant
        } else if shape.has_identity {
            let grants: Grants<L> = self.grants(shape);
            match cross.known() {
                Some(true) => grants.cross_account(),
                Some(false) => grants.same_account(shape.required),
                None => {
                    let same = grants.clone().same_account(shape.required);
                    let other = grants.cross_account();
                    owner_matters = !same.equals(&other);
                    L::select(cross, other, same)
                }
            }
        } else {
            self.rbp(NamedAs::Direct)
        };
        Parts {
            deny,
            ceilings,
            grant,
            owner_matters,
        }
    }

    /// The layers with no `Allow` where one was required, for an implicit deny.
    fn missing(&self, shape: &Shape, grant: Tri, resource_needed: bool) -> Vec<Layer> {
        let mut missing = Vec::new();
        for level in self.scps.iter().chain(&self.rcps).chain(&self.endpoint) {
            if level.allow::<Tri>(None) == Tri::False {
                missing.push(level.layer.clone());
            }
        }
        if grant == Tri::False {
            if shape.has_identity {
                let grants: Grants<Tri> = self.grants(shape);
                for (layer, allowed) in [
                    (Layer::Identity, grants.identity_allow),
                    (Layer::Boundary, grants.boundary_ok),
                    (Layer::Session, grants.session_ok),
                ] {
                    if allowed == Tri::False {
                        missing.push(layer);
                    }
                }
                let rbp_any = grants.rbp_direct.or(grants.rbp_role).or(grants.rbp_account);
                if resource_needed && rbp_any == Tri::False {
                    missing.push(Layer::Resource);
                }
            } else {
                missing.push(Layer::Resource);
            }
        }
        missing
    }
}

#[cfg(test)]
mod tests;
