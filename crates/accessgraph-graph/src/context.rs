//! Everything the edge builders need about a snapshot: parsed documents, each principal's policy
//! set (identity, boundary, SCP chain), each account's SCP and RCP chains, and an evaluation helper.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use accessgraph_model::{Account, OrgPolicyKind, Organization, PolicyHash, Snapshot};
use accessgraph_policy::admin::Group;
use accessgraph_policy::{
    Action, Conditions, Decision, DenyKind, Evaluation, Expr, OrgLevel, OrgMembership, Policy,
    PolicyDocument, PolicySet, Principal, Request, RequestContext, evaluate,
};
use rayon::prelude::*;

use crate::resolve::{Actors, Resolver, ResourceSide};

/// The label of the stand-in identity policy of principals outside the snapshot.
pub const UNKNOWN_IDENTITY: &str = "(identity policies not in the snapshot: assumed to allow)";

/// Per-account facts shared by its principals.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccountContext {
    /// SCP chain; `None` for the management account and accounts outside the organization.
    pub(crate) scps: Option<Arc<[OrgLevel]>>,
    /// RCP chain of resources in this account.
    pub(crate) rcps: Option<Arc<[OrgLevel]>>,
    /// Organization membership of the account.
    pub(crate) org: OrgMembership,
}

/// A user or role, ready to be evaluated as a caller.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) account: String,
    pub(crate) is_user: bool,
    pub(crate) principal: Principal,
    pub(crate) identity: Vec<Arc<Policy>>,
    pub(crate) boundary: Option<Arc<Policy>>,
    /// Customer-managed policies attached to the principal itself.
    pub(crate) attached_customer: Vec<String>,
    /// The user's groups.
    pub(crate) groups: Vec<Group>,
    /// The role's trust policy.
    pub(crate) trust: Option<Arc<Policy>>,
    /// The role's instance profiles.
    pub(crate) instance_profiles: Vec<String>,
    /// Service principals the role's trust policy lets assume it (lowercase).
    pub(crate) trusted_services: Vec<String>,
    /// The roles some identity statement could allow `sts:AssumeRole` on (a filter for
    /// delegation: a trust policy naming the actor's account admits only these).
    pub(crate) assume_scope: accessgraph_policy::ResourceScope,
    /// The statements that let the actor call `sts:AssumeRole` on every role alike, when its own
    /// policies decide so for every role (see [`crate::any_role`]); its assume edges into roles
    /// that admit its account alike go through the account's helper node (set by
    /// [`Context::prepare_sharing`]).
    pub(crate) any_role: Option<Vec<accessgraph_policy::Citation>>,
    /// Position in `Context::actors` (and node index in the graph).
    pub(crate) index: u32,
}

impl Actor {
    /// The actor's own policies, as a caller: identity policies, boundary, and `scps` (its
    /// account's SCP chain).
    pub(crate) fn own_policies<'a>(
        &'a self,
        scps: Option<&'a [OrgLevel]>,
    ) -> impl Iterator<Item = &'a Policy> + 'a {
        self.identity
            .iter()
            .map(Arc::as_ref)
            .chain(self.boundary.as_deref())
            .chain(
                scps.into_iter()
                    .flatten()
                    .flat_map(|level| level.policies.iter().map(Arc::as_ref)),
            )
    }
}

/// The build context.
#[derive(Debug)]
pub(crate) struct Context<'s> {
    /// Unique in the process: what is remembered per build is not mistaken for another's.
    pub(crate) id: u64,
    pub(crate) snapshot: &'s Snapshot,
    /// The privilege-escalation techniques edges are built with.
    pub(crate) techniques: crate::techniques::Techniques,
    pub(crate) accounts: BTreeMap<String, AccountContext>,
    /// Users and roles of every account, sorted by ARN.
    pub(crate) actors: Vec<Actor>,
    pub(crate) actor_by_arn: HashMap<String, usize>,
    /// Problems met while preparing (documents that do not parse, policies not in the snapshot).
    pub(crate) warnings: Vec<String>,
    /// Parsed documents.
    pub(crate) docs: Docs,
    /// Index range of each account's actors in `actors` (sorted by ARN, so contiguous).
    pub(crate) account_ranges: HashMap<String, std::ops::Range<usize>>,
    /// Each group's own policies (inline and attached), by group ARN.
    pub(crate) group_policies: HashMap<String, Vec<Arc<Policy>>>,
    /// The resource side of every request, and what the snapshot knows of outside principals.
    pub(crate) resolver: Resolver,
    /// Per actor: the helper its new-PassRole edges go through (see
    /// [`crate::techniques::passrole::shared_key`]), once [`Context::prepare_sharing`] ran.
    pub(crate) shared_compute: Vec<Option<(String, bool)>>,
    /// Per account: the helpers of new compute some role of it is reached through.
    pub(crate) shared_compute_keys: HashMap<String, std::collections::BTreeSet<(String, bool)>>,
}

fn chain(
    org: &Organization,
    account: &str,
    kind: OrgPolicyKind,
    warnings: &mut Vec<String>,
    docs: &Docs,
) -> Option<Arc<[OrgLevel]>> {
    if account == org.management_account_id
        || !org.policies.iter().any(|policy| policy.kind == kind)
    {
        return None;
    }
    let targets = org.chain(account)?;
    let mut levels = Vec::with_capacity(targets.len());
    for target in targets {
        let policies: Vec<Arc<Policy>> = org
            .policies
            .iter()
            .filter(|policy| policy.kind == kind && policy.targets.contains(&target))
            .filter_map(|policy| docs.policy(&policy.arn, &policy.document))
            .collect();
        if policies.is_empty() {
            // A level with no policy of this kind would deny everything; the targets data is
            // incomplete rather than the organization locked, so the level is left out.
            warnings.push(format!(
                "no {kind:?} attached at `{target}` (chain of account `{account}`): level ignored"
            ));
            continue;
        }
        levels.push(OrgLevel {
            target: target.into(),
            policies,
        });
    }
    Some(levels.into())
}

/// Parsed documents by hash.
#[derive(Debug, Default)]
pub(crate) struct Docs(HashMap<PolicyHash, Arc<PolicyDocument>>);

impl Docs {
    fn parse(snapshot: &Snapshot, warnings: &mut Vec<String>) -> Docs {
        let parsed: Vec<(PolicyHash, Result<PolicyDocument, String>)> = snapshot
            .documents
            .par_iter()
            .map(|(hash, text)| {
                (
                    hash.clone(),
                    PolicyDocument::parse(text).map_err(|error| error.to_string()),
                )
            })
            .collect();
        let mut docs = HashMap::with_capacity(parsed.len());
        for (hash, result) in parsed {
            match result {
                Ok(document) => {
                    docs.insert(hash, Arc::new(document));
                }
                Err(error) => {
                    warnings.push(format!("stored document {hash} does not parse: {error}"))
                }
            }
        }
        Docs(docs)
    }

    /// A labelled policy for a document hash.
    pub(crate) fn policy(&self, label: &str, hash: &PolicyHash) -> Option<Arc<Policy>> {
        self.0
            .get(hash)
            .map(|document| Arc::new(Policy::shared(label, document.clone())))
    }
}

fn org_membership(org: Option<&Organization>, account: &str) -> OrgMembership {
    let Some(org) = org else {
        return OrgMembership::Unknown;
    };
    if !org.accounts.iter().any(|listed| listed.id == account) {
        return OrgMembership::None;
    }
    let paths = org
        .chain(account)
        .map(|chain| {
            let ous: Vec<&str> = chain
                .iter()
                .take(chain.len().saturating_sub(1))
                .map(String::as_str)
                .collect();
            vec![format!("{}/{}/", org.id, ous.join("/"))]
        })
        .unwrap_or_default();
    OrgMembership::Member {
        org_id: org.id.clone(),
        paths,
    }
}

/// Policies of managed-policy ARNs, from the account's `Policies` list (AWS managed policies may
/// be listed by any account).
struct ManagedIndex<'s> {
    by_arn: HashMap<&'s str, &'s PolicyHash>,
}

impl<'s> ManagedIndex<'s> {
    fn new(snapshot: &'s Snapshot) -> ManagedIndex<'s> {
        let mut by_arn = HashMap::new();
        for account in &snapshot.accounts {
            for policy in &account.managed_policies {
                if let Some(document) = policy.default_document() {
                    by_arn.insert(policy.arn.as_str(), document);
                }
            }
        }
        ManagedIndex { by_arn }
    }
}

impl<'s> Context<'s> {
    /// Prepares a snapshot for building.
    pub(crate) fn new(snapshot: &'s Snapshot) -> Context<'s> {
        let mut warnings = Vec::new();
        let docs = Docs::parse(snapshot, &mut warnings);
        let org = snapshot.organization.as_ref();
        let mut accounts = BTreeMap::new();
        let mut account_ids: Vec<String> = snapshot
            .accounts
            .iter()
            .map(|account| account.id.clone())
            .collect();
        if let Some(org) = org {
            account_ids.extend(org.accounts.iter().map(|account| account.id.clone()));
        }
        account_ids.sort();
        account_ids.dedup();
        for id in account_ids {
            let context = AccountContext {
                scps: org.and_then(|org| chain(org, &id, OrgPolicyKind::Scp, &mut warnings, &docs)),
                rcps: org.and_then(|org| chain(org, &id, OrgPolicyKind::Rcp, &mut warnings, &docs)),
                org: org_membership(org, &id),
            };
            accounts.insert(id, context);
        }
        let managed = ManagedIndex::new(snapshot);
        let mut actors = Vec::new();
        let mut group_policies = HashMap::new();
        for account in &snapshot.accounts {
            let org = accounts
                .get(&account.id)
                .map(|context| context.org.clone())
                .unwrap_or_default();
            let groups = account_groups(account, &docs, &managed, &mut warnings);
            actors.extend(account_actors(
                account,
                &groups,
                &docs,
                &managed,
                &org,
                &mut warnings,
            ));
            group_policies.extend(groups);
        }
        actors.sort_by(|a, b| a.arn.cmp(&b.arn));
        let resolver = Resolver::new(snapshot, &docs, &accounts);
        let assume = Action::new("sts:AssumeRole");
        actors
            .par_iter_mut()
            .enumerate()
            .for_each(|(index, actor)| {
                actor.assume_scope = Context::allow_scope(actor, &assume);
                actor.index = u32::try_from(index).unwrap_or(u32::MAX);
                if let Some(id) = resolver.canonical_id(&actor.account) {
                    let principal = std::mem::replace(
                        &mut actor.principal,
                        Principal::outsider("aws", OrgMembership::Unknown),
                    );
                    actor.principal = principal.with_canonical_id(id);
                }
            });
        let actor_by_arn: HashMap<String, usize> = actors
            .iter()
            .enumerate()
            .map(|(idx, actor)| (actor.arn.clone(), idx))
            .collect();
        let list = Actors {
            list: &actors,
            by_arn: &actor_by_arn,
        };
        let trusted: Vec<Vec<String>> = actors
            .par_iter()
            .map(|actor| trusted_services(actor, &accounts, &resolver, list))
            .collect();
        for (actor, services) in actors.iter_mut().zip(trusted) {
            actor.trusted_services = services;
        }
        let mut account_ranges: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        for (idx, actor) in actors.iter().enumerate() {
            account_ranges
                .entry(actor.account.clone())
                .and_modify(|range| range.end = idx + 1)
                .or_insert(idx..idx + 1);
        }
        warnings.sort();
        warnings.dedup();
        static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Context {
            id: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            snapshot,
            techniques: crate::techniques::Techniques::builtin(),
            accounts,
            actors,
            actor_by_arn,
            warnings,
            docs,
            account_ranges,
            group_policies,
            resolver,
            shared_compute: Vec::new(),
            shared_compute_keys: HashMap::new(),
        }
    }

    /// The users and roles, as the resolver reads them.
    pub(crate) fn actor_list(&self) -> Actors<'_> {
        Actors {
            list: &self.actors,
            by_arn: &self.actor_by_arn,
        }
    }

    /// Decides which edges a build shares through helpers (not needed to evaluate one request):
    /// the actors whose `sts:AssumeRole` is the same on every role, and, for the techniques set,
    /// which roles are reached through a helper of new compute.
    pub(crate) fn prepare_sharing(&mut self) {
        let trusts = crate::any_role::StandInTrusts::new(self.accounts.keys().map(String::as_str));
        let no_account = AccountContext::default();
        let (accounts, resolver) = (&self.accounts, &self.resolver);
        self.actors.par_iter_mut().for_each(|actor| {
            let account = accounts.get(&actor.account).unwrap_or(&no_account);
            actor.any_role = crate::any_role::caller_side(actor, account, resolver, &trusts);
        });
        let keys: Vec<Option<(String, bool)>> = self
            .actors
            .par_iter()
            .map(|actor| crate::techniques::passrole::shared_key(&self.techniques, actor))
            .collect();
        let mut by_account: HashMap<String, std::collections::BTreeSet<(String, bool)>> =
            HashMap::new();
        for (actor, key) in self.actors.iter().zip(&keys) {
            if let Some(key) = key {
                by_account
                    .entry(actor.account.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        self.shared_compute = keys;
        self.shared_compute_keys = by_account;
    }

    /// The helper of new compute `role` is reached through, if any.
    pub(crate) fn shared_compute(&self, role: &Actor) -> Option<&(String, bool)> {
        self.shared_compute
            .get(role.index as usize)
            .and_then(Option::as_ref)
    }

    /// The helpers of new compute of `account`.
    pub(crate) fn shared_compute_keys(
        &self,
        account: &str,
    ) -> impl Iterator<Item = &(String, bool)> {
        self.shared_compute_keys.get(account).into_iter().flatten()
    }

    /// The resource side of `action` on `arn` (see [`Resolver::resolve`]).
    pub(crate) fn resolve(&self, arn: &str, action: &Action) -> ResourceSide<'_> {
        self.resolver.resolve(arn, action, self.actor_list())
    }

    /// The positions in `actors` of one account's users and roles (empty for an account without
    /// any).
    pub(crate) fn account_indices(&self, account: &str) -> std::ops::Range<usize> {
        self.account_ranges
            .get(account)
            .cloned()
            .unwrap_or_default()
    }

    /// The users and roles of one account.
    pub(crate) fn account_actors(&self, account: &str) -> &[Actor] {
        self.account_ranges
            .get(account)
            .and_then(|range| self.actors.get(range.clone()))
            .unwrap_or_default()
    }

    /// The account context (empty for accounts outside the snapshot).
    pub(crate) fn account(&self, id: &str) -> AccountContext {
        self.accounts.get(id).cloned().unwrap_or_default()
    }

    /// Evaluates `actor` performing `action` on the resource side `side`.
    pub(crate) fn evaluate(
        &self,
        actor: &Actor,
        action: &Action,
        side: &ResourceSide<'_>,
        context: &RequestContext,
    ) -> Evaluation {
        evaluate_actor(&self.accounts, &self.resolver, actor, action, side, context)
    }

    /// Evaluates `actor` performing `action` on `arn`, its resource side resolved.
    pub(crate) fn decide(
        &self,
        actor: &Actor,
        action: &Action,
        arn: &str,
        context: &RequestContext,
    ) -> Evaluation {
        self.evaluate(actor, action, &self.resolve(arn, action), context)
    }

    /// Whether any identity statement of `actor` could allow `action` on `resource` (ignoring
    /// conditions and variables): a cheap filter before full evaluation.
    pub(crate) fn might_allow_on(actor: &Actor, action: &Action, resource: &str) -> bool {
        actor.identity.iter().any(|policy| {
            policy.document().statements_for(action).any(|statement| {
                statement.effect() == accessgraph_policy::Effect::Allow
                    && statement.matches_action(action.lower())
                    && statement.might_match_resource(resource)
            })
        })
    }

    /// The resources some identity statement of `actor` could allow `action` on (ignoring
    /// conditions, `${aws:username}` taken as the user's name): compiled once per actor, then
    /// tested against many resources before any is evaluated.
    pub(crate) fn allow_scope(actor: &Actor, action: &Action) -> accessgraph_policy::ResourceScope {
        let username = actor.is_user.then(|| actor.principal.name()).flatten();
        let mut scope = accessgraph_policy::ResourceScope::default();
        for policy in actor.identity.iter() {
            for statement in policy.document().statements_for(action) {
                if statement.effect() == accessgraph_policy::Effect::Allow
                    && statement.matches_action(action.lower())
                {
                    scope.add(statement.resource_scope(username));
                }
            }
        }
        scope
    }

    /// Whether any identity statement of `actor` could allow `action` (ignoring resources and
    /// conditions): a cheap filter before full evaluation.
    pub(crate) fn might_allow(actor: &Actor, action: &Action) -> bool {
        actor.identity.iter().any(|policy| {
            policy.document().statements_for(action).any(|statement| {
                statement.effect() == accessgraph_policy::Effect::Allow
                    && statement.matches_action(action.lower())
            })
        })
    }
}

/// Evaluates `actor` performing `action` on `side`, with every layer: identity, boundary, the
/// caller's SCPs, the owner's RCPs, the resource policy and ACL; the request context starts from
/// the resolver's (earliest request time, keys the action always carries).
pub(crate) fn evaluate_actor(
    accounts: &BTreeMap<String, AccountContext>,
    resolver: &Resolver,
    actor: &Actor,
    action: &Action,
    side: &ResourceSide<'_>,
    context: &RequestContext,
) -> Evaluation {
    let context = resolver.request_context(action, context);
    let caller = accounts.get(&actor.account);
    let owner = side
        .resource
        .account()
        .and_then(|account| accounts.get(account));
    let request = Request {
        principal: &actor.principal,
        action,
        resource: &side.resource,
        context: &context,
    };
    let policies = PolicySet {
        identity: &actor.identity,
        boundary: actor.boundary.as_deref(),
        session: None,
        scps: caller.and_then(|account| account.scps.as_deref()),
        rcps: owner.and_then(|account| account.rcps.as_deref()),
        resource: side.policy,
        acl: side.acl,
        vpc_endpoint: resolver.endpoint_policy(&context),
    };
    evaluate_through_endpoints(resolver, &request, &policies)
}

/// Evaluates a request; when the answer is conditional on the request coming through one of the
/// snapshot's VPC endpoints (`aws:SourceVpce` equal to its id), the way through that endpoint is
/// evaluated again with its policy, a further layer AWS applies to requests through it (issue 23,
/// item 9): the answer holds when the request comes through the endpoint and everything,
/// endpoint policy included, allows, or when it does not come through it and the first answer
/// holds.
fn evaluate_through_endpoints(
    resolver: &Resolver,
    request: &Request<'_>,
    policies: &PolicySet<'_>,
) -> Evaluation {
    let mut evaluation = evaluate(request, policies);
    if !matches!(evaluation.decision, Decision::Conditional { .. })
        || request.context.value("aws:SourceVpce").is_some()
    {
        return evaluation;
    }
    for (id, via) in resolver.endpoints_named(&evaluation.conditions) {
        let mut context = request.context.clone();
        context.insert("aws:SourceVpce", id.as_str());
        let through = evaluate(
            &Request {
                context: &context,
                ..*request
            },
            &PolicySet {
                vpc_endpoint: resolver.endpoint_policy(&context),
                ..*policies
            },
        );
        let combined = via
            .clone()
            .and(Conditions::of(&through))
            .or(via.negate().and(Conditions::of(&evaluation)));
        for citation in through.evidence {
            if !evaluation.evidence.contains(&citation) {
                evaluation.evidence.push(citation);
            }
        }
        evaluation.notes.push(format!(
            "through VPC endpoint `{id}` the endpoint's policy applies too: {}",
            through.decision.as_str()
        ));
        if evaluation.settle(combined).is_some() {
            break;
        }
    }
    evaluation
}

/// Evaluates a principal that is not a user or role of the snapshot (another account's
/// principal, a service, a provider, `*` as anonymous or as [`Resolver::outsider`]): its identity
/// policies are not known, so they are stood in by the resolver's allow-everything policy, and an
/// allow that needed them becomes conditional on them.
pub(crate) fn evaluate_outside(
    accounts: &BTreeMap<String, AccountContext>,
    resolver: &Resolver,
    principal: &Principal,
    action: &Action,
    side: &ResourceSide<'_>,
    context: &RequestContext,
) -> Evaluation {
    let context = resolver.request_context(action, context);
    let owner = side
        .resource
        .account()
        .and_then(|account| accounts.get(account));
    let request = Request {
        principal,
        action,
        resource: &side.resource,
        context: &context,
    };
    let identity: &[Arc<Policy>] = if principal.has_identity() {
        resolver.unknown_identity()
    } else {
        &[]
    };
    let policies = PolicySet {
        identity,
        rcps: owner.and_then(|account| account.rcps.as_deref()),
        resource: side.policy,
        acl: side.acl,
        vpc_endpoint: resolver.endpoint_policy(&context),
        ..PolicySet::default()
    };
    let mut evaluation = evaluate_through_endpoints(resolver, &request, &policies);
    if relies_on_unknown_identity(&evaluation) && evaluation.decision.is_possible() {
        // The stand-in allowed everything: the caller's own policies are a further condition.
        let who = match principal.canonical_id() {
            Some(id) if principal.arn() == accessgraph_policy::OUTSIDER_LABEL => {
                format!("the account of canonical user `{id}`")
            }
            _ => format!("`{}`", principal.arn()),
        };
        let own = Expr::fact(format!(
            "the identity policies of {who} (outside the snapshot) allow it"
        ));
        evaluation.allowed_when = Some(match evaluation.allowed_when.take() {
            Some(when) => Expr::All(vec![when, own]),
            None => own,
        });
        if evaluation.decision == Decision::Allow {
            evaluation.decision = Decision::Conditional {
                deny_kind: DenyKind::Implicit,
            };
        }
        evaluation.notes.push(format!(
            "`{}` is outside the snapshot: allowed only if its own identity policies allow it",
            principal.arn()
        ));
    }
    evaluation
}

/// Whether an evaluation of an outside principal needed its unknown identity policies.
pub(crate) fn relies_on_unknown_identity(evaluation: &Evaluation) -> bool {
    evaluation
        .evidence
        .iter()
        .any(|citation| &*citation.policy == UNKNOWN_IDENTITY)
}

/// Evaluates `*`, anyone: an anonymous caller (not for `sts:` actions, which need a signed or
/// federated caller) and an authenticated [`Resolver::outsider`]; the more permissive answer.
pub(crate) fn evaluate_anyone(
    accounts: &BTreeMap<String, AccountContext>,
    resolver: &Resolver,
    action: &Action,
    side: &ResourceSide<'_>,
    context: &RequestContext,
) -> Evaluation {
    let outsider = evaluate_outside(
        accounts,
        resolver,
        &resolver.outsider(),
        action,
        side,
        context,
    );
    if action.service() == "sts" {
        return outsider;
    }
    let Ok(anonymous) = Principal::parse("*") else {
        return outsider;
    };
    let anonymous = evaluate_outside(accounts, resolver, &anonymous, action, side, context);
    let rank = |evaluation: &Evaluation| match evaluation.decision {
        Decision::Allow => 0,
        Decision::Conditional { .. } => 1,
        Decision::Deny(_) => 2,
    };
    if rank(&anonymous) <= rank(&outsider) {
        anonymous
    } else {
        outsider
    }
}

/// The service principals a role's trust policy lets assume it, each checked by evaluation
/// (conditions on the service caller may leave it conditional; such services count). Amazon
/// Cognito identity pools count as the service `cognito-identity.amazonaws.com` when the trust
/// lets their identities in (`Federated`, `sts:AssumeRoleWithWebIdentity`): whoever sets a pool's
/// roles hands the role to the pool's identities (iam-semantics.md §1, principals).
fn trusted_services(
    actor: &Actor,
    accounts: &BTreeMap<String, AccountContext>,
    resolver: &Resolver,
    actors: Actors<'_>,
) -> Vec<String> {
    let Some(trust) = actor.trust.as_deref() else {
        return Vec::new();
    };
    let assume = Action::new("sts:AssumeRole");
    let web = Action::new("sts:AssumeRoleWithWebIdentity");
    // (service, whether it is a Cognito identity pool, which calls `AssumeRoleWithWebIdentity`)
    let mut named: Vec<(String, bool)> = Vec::new();
    for statement in trust.document().statements() {
        if statement.effect() != accessgraph_policy::Effect::Allow {
            continue;
        }
        let (assumes, federates) = (
            statement.matches_action(assume.lower()),
            statement.matches_action(web.lower()),
        );
        for entry in statement
            .principals()
            .map(|set| set.entries())
            .unwrap_or_default()
        {
            match entry {
                accessgraph_policy::PrincipalEntry::Service(service) if assumes => {
                    named.push((service.to_ascii_lowercase(), false));
                }
                accessgraph_policy::PrincipalEntry::Federated(provider)
                    if federates && provider.eq_ignore_ascii_case(COGNITO_IDENTITY) =>
                {
                    named.push((COGNITO_IDENTITY.to_owned(), true));
                }
                _ => {}
            }
        }
    }
    named.sort();
    named.dedup();
    let side = resolver.resolve(&actor.arn, &assume, actors);
    let context = RequestContext::new();
    named
        .into_iter()
        .filter(|(service, federated)| {
            let Ok(principal) = Principal::parse(service) else {
                return false;
            };
            let action = if *federated { &web } else { &assume };
            evaluate_outside(accounts, resolver, &principal, action, &side, &context)
                .decision
                .is_possible()
        })
        .map(|(service, _)| service)
        .collect()
}

/// Amazon Cognito's identity pools, as a trust policy's `Federated` principal.
const COGNITO_IDENTITY: &str = "cognito-identity.amazonaws.com";

/// The default version of a managed policy, or a warning that its statements are unknown.
fn managed_policy(
    managed: &ManagedIndex<'_>,
    docs: &Docs,
    arn: &str,
    warnings: &mut Vec<String>,
) -> Option<Arc<Policy>> {
    let policy = managed
        .by_arn
        .get(arn)
        .and_then(|hash| docs.policy(arn, hash));
    if policy.is_none() {
        warnings.push(format!(
            "managed policy `{arn}` is attached but not in the snapshot: its statements are unknown"
        ));
    }
    policy
}

/// Each group's own policies (inline, then attached), by group ARN.
fn account_groups(
    account: &Account,
    docs: &Docs,
    managed: &ManagedIndex<'_>,
    warnings: &mut Vec<String>,
) -> HashMap<String, Vec<Arc<Policy>>> {
    account
        .groups
        .iter()
        .map(|group| {
            let mut policies: Vec<Arc<Policy>> = group
                .inline_policies
                .iter()
                .filter_map(|inline| {
                    docs.policy(
                        &format!("{}#inline/{}", group.arn, inline.name),
                        &inline.document,
                    )
                })
                .collect();
            policies.extend(
                group
                    .attached_policies
                    .iter()
                    .filter_map(|arn| managed_policy(managed, docs, arn, warnings)),
            );
            let via: Arc<str> = group.arn.as_str().into();
            let policies = policies
                .iter()
                .map(|policy| Arc::new(policy.through_group(via.clone())))
                .collect();
            (group.arn.clone(), policies)
        })
        .collect()
}

fn account_actors(
    account: &Account,
    group_policies: &HashMap<String, Vec<Arc<Policy>>>,
    docs: &Docs,
    managed: &ManagedIndex<'_>,
    org: &OrgMembership,
    warnings: &mut Vec<String>,
) -> Vec<Actor> {
    let attached = |arns: &[String], warnings: &mut Vec<String>| -> Vec<Arc<Policy>> {
        arns.iter()
            .filter_map(|arn| managed_policy(managed, docs, arn, warnings))
            .collect()
    };
    let customer = |arns: &[String]| -> Vec<String> {
        arns.iter()
            .filter(|arn| {
                !arn.starts_with("arn:aws:iam::aws:") && !arn.contains(":iam::aws:policy")
            })
            .cloned()
            .collect()
    };
    let mut actors = Vec::new();
    for user in &account.users {
        let mut identity: Vec<Arc<Policy>> = user
            .inline_policies
            .iter()
            .filter_map(|inline| {
                docs.policy(
                    &format!("{}#inline/{}", user.arn, inline.name),
                    &inline.document,
                )
            })
            .collect();
        identity.extend(attached(&user.attached_policies, warnings));
        let mut groups = Vec::new();
        for group_name in &user.groups {
            let Some(group) = account
                .groups
                .iter()
                .find(|group| &group.name == group_name)
            else {
                warnings.push(format!(
                    "user `{}` is in group `{group_name}`, which is not in the snapshot",
                    user.arn
                ));
                continue;
            };
            identity.extend(
                group_policies
                    .get(&group.arn)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            groups.push(Group {
                arn: group.arn.clone(),
                attached_policies: customer(&group.attached_policies),
            });
        }
        let Ok(principal) = Principal::parse(&user.arn) else {
            warnings.push(format!("user ARN `{}` does not parse", user.arn));
            continue;
        };
        let tags: BTreeMap<String, String> = user
            .tags
            .iter()
            .map(|tag| (tag.key.clone(), tag.value.clone()))
            .collect();
        actors.push(Actor {
            arn: user.arn.clone(),
            name: user.name.clone(),
            account: account.id.clone(),
            is_user: true,
            principal: principal
                .with_tags(tags)
                .with_unique_id(user.id.clone())
                .with_org(org.clone()),
            identity,
            boundary: user
                .permissions_boundary
                .as_ref()
                .and_then(|arn| managed_policy(managed, docs, arn, warnings)),
            attached_customer: customer(&user.attached_policies),
            groups,
            trust: None,
            instance_profiles: Vec::new(),
            trusted_services: Vec::new(),
            assume_scope: accessgraph_policy::ResourceScope::default(),
            any_role: None,
            index: 0,
        });
    }
    for role in &account.roles {
        let mut identity: Vec<Arc<Policy>> = role
            .inline_policies
            .iter()
            .filter_map(|inline| {
                docs.policy(
                    &format!("{}#inline/{}", role.arn, inline.name),
                    &inline.document,
                )
            })
            .collect();
        identity.extend(attached(&role.attached_policies, warnings));
        let Ok(principal) = Principal::parse(&role.arn) else {
            warnings.push(format!("role ARN `{}` does not parse", role.arn));
            continue;
        };
        let tags: BTreeMap<String, String> = role
            .tags
            .iter()
            .map(|tag| (tag.key.clone(), tag.value.clone()))
            .collect();
        actors.push(Actor {
            arn: role.arn.clone(),
            name: role.name.clone(),
            account: account.id.clone(),
            is_user: false,
            principal: principal
                .with_tags(tags)
                .with_unique_id(role.id.clone())
                .with_org(org.clone())
                .with_service_linked(role.is_service_linked()),
            identity,
            boundary: role
                .permissions_boundary
                .as_ref()
                .and_then(|arn| managed_policy(managed, docs, arn, warnings)),
            attached_customer: customer(&role.attached_policies),
            groups: Vec::new(),
            trust: docs.policy(&format!("{}#trust", role.arn), &role.trust_policy),
            instance_profiles: role.instance_profiles.clone(),
            trusted_services: Vec::new(),
            assume_scope: accessgraph_policy::ResourceScope::default(),
            any_role: None,
            index: 0,
        });
    }
    actors
}
