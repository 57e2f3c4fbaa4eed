//! IAM-only techniques (iam-semantics.md §5.1): taking over a user or role of the same account,
//! joining a group, and making a reachable principal an administrator.

use std::sync::Arc;

use accessgraph_policy::{Action, Policy, RequestContext, Resource, ResourceScope};

use super::check_all;
use crate::build::Draft;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::EdgeKind;

fn spec(
    from: &Actor,
    to: NodeKey,
    technique: String,
    catalog_id: &'static str,
    checked: super::Checked,
    requirements: Vec<String>,
) -> EdgeSpec {
    EdgeSpec {
        from: NodeKey::Actor(from.index),
        to,
        edge: Draft {
            kind: EdgeKind::Privesc,
            technique,
            catalog_id: Some(catalog_id),
            evidence: checked.evidence,
            conditions: checked.conditions,
            requirements,
            alternatives: Vec::new(),
            access: Box::default(),
        },
    }
}

/// The IAM techniques this module detects: (catalog id, permissions, what is gained).
pub(crate) const CATALOG: &[(&str, &str, &str)] = &[
    (
        "iam-002",
        "iam:CreateAccessKey on a user",
        "the user (conditional: the user has fewer than two keys)",
    ),
    (
        "iam-003",
        "iam:CreateAccessKey + iam:DeleteAccessKey on a user",
        "the user",
    ),
    (
        "iam-004",
        "iam:CreateLoginProfile on a user",
        "the user (conditional: no console password yet)",
    ),
    (
        "iam-006",
        "iam:UpdateLoginProfile on a user",
        "the user (conditional: the user has a console password)",
    ),
    (
        "iam-012",
        "iam:UpdateAssumeRolePolicy on a role (+ sts:AssumeRole, allowed by the rewritten trust)",
        "the role",
    ),
    (
        "iam-013",
        "iam:AddUserToGroup on a group",
        "the group's permissions (an edge to the group)",
    ),
    (
        "iam-014",
        "iam:AttachRolePolicy (AdministratorAccess) on a role the actor can assume",
        "administrator of the account",
    ),
    (
        "iam-015",
        "iam:AttachUserPolicy (AdministratorAccess) + iam:CreateAccessKey on a user",
        "administrator of the account",
    ),
    (
        "iam-016",
        "iam:CreatePolicyVersion on a policy attached to a role the actor can assume",
        "administrator of the account",
    ),
    (
        "iam-017",
        "iam:PutRolePolicy on a role the actor can assume",
        "administrator of the account",
    ),
    (
        "iam-018",
        "iam:PutUserPolicy + iam:CreateAccessKey on a user",
        "administrator of the account",
    ),
    (
        "iam-019",
        "iam:AttachRolePolicy + iam:UpdateAssumeRolePolicy on a role",
        "administrator of the account",
    ),
    (
        "iam-020",
        "iam:CreatePolicyVersion on a policy attached to a role + iam:UpdateAssumeRolePolicy on it",
        "administrator of the account",
    ),
    (
        "iam-021",
        "iam:PutRolePolicy + iam:UpdateAssumeRolePolicy on a role",
        "administrator of the account",
    ),
    (
        "ag-iam-001",
        "iam:PutRolePolicy, iam:AttachRolePolicy (AdministratorAccess) or iam:CreatePolicyVersion (a policy attached to it) on a role the actor runs code as by a PassRole or existing-compute technique (+ that technique's permissions)",
        "administrator of the account",
    ),
    (
        "ag-iam-002",
        "iam:UpdateAssumeRolePolicy on a role the actor cannot assume once its trust is rewritten + iam:PassRole + a new-PassRole technique's actions",
        "the role (the rewritten trust lets the technique's service assume it)",
    ),
];

/// An edge to the account's administrators: the actor makes `target` an administrator and uses
/// it (a boundary on the target may cap the added policy).
fn admin_spec(
    actor: &Actor,
    target: &Actor,
    technique: String,
    catalog_id: &'static str,
    checked: super::Checked,
) -> EdgeSpec {
    spec(
        actor,
        NodeKey::AccountAdmin(target.account.clone()),
        technique,
        catalog_id,
        checked,
        boundary_requirement(target),
    )
}

/// Whether `actor` could assume `role` after rewriting its trust policy to name the actor.
fn can_assume_after_rewrite(
    context: &Context<'_>,
    actor: &Actor,
    role: &Actor,
) -> Option<super::Checked> {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#,
        actor.arn
    );
    let trust: Arc<Policy> =
        Arc::new(Policy::parse(format!("{}#trust (rewritten)", role.arn), &trust).ok()?);
    let assume = Action::new("sts:AssumeRole");
    let mut side = context.resolve(&role.arn, &assume);
    side.policy = Some(&trust);
    let evaluation = context.evaluate(actor, &assume, &side, &RequestContext::new());
    let conditions = accessgraph_policy::Conditions::of(&evaluation);
    evaluation.decision.is_possible().then(|| super::Checked {
        evidence: evaluation
            .evidence
            .into_iter()
            .filter(|citation| !citation.policy.ends_with("(rewritten)"))
            .collect(),
        conditions,
    })
}

/// A role whose trust policy the actor may rewrite, though it could not assume the role after
/// the rewrite (an SCP or a boundary denies `sts:AssumeRole`): the start of `ag-iam-002`.
pub(crate) struct Rewritable<'c> {
    pub(crate) role: &'c Actor,
    pub(crate) checked: super::Checked,
}

/// What a policy change does to a role.
#[derive(Debug, Clone, Copy)]
enum ChangeKind {
    /// `iam:AttachRolePolicy` with `AdministratorAccess`.
    AttachAdmin,
    /// `iam:PutRolePolicy`.
    PutInline,
    /// `iam:CreatePolicyVersion` on a customer-managed policy attached to the role.
    NewVersion,
}

/// The ways an actor may make a role an administrator, with the resources some statement of the
/// actor could allow each on: compiled once per actor, shared by iam-014..021 and `ag-iam-001`.
pub(crate) struct RoleChanges {
    put: Action,
    attach: Action,
    create_version: Action,
    put_scope: ResourceScope,
    attach_scope: ResourceScope,
    create_version_scope: ResourceScope,
    /// `iam:PolicyARN` = the partition's `AdministratorAccess`.
    attach_admin: RequestContext,
    none: RequestContext,
}

impl RoleChanges {
    pub(crate) fn new(actor: &Actor) -> RoleChanges {
        let (put, attach, create_version) = (
            Action::new("iam:PutRolePolicy"),
            Action::new("iam:AttachRolePolicy"),
            Action::new("iam:CreatePolicyVersion"),
        );
        let admin_arn = format!(
            "arn:{}:iam::aws:policy/AdministratorAccess",
            actor.principal.partition()
        );
        RoleChanges {
            put_scope: Context::allow_scope(actor, &put),
            attach_scope: Context::allow_scope(actor, &attach),
            create_version_scope: Context::allow_scope(actor, &create_version),
            put,
            attach,
            create_version,
            attach_admin: RequestContext::new().with("iam:PolicyARN", admin_arn.as_str()),
            none: RequestContext::new(),
        }
    }

    /// Whether no statement could allow any change.
    pub(crate) fn is_empty(&self) -> bool {
        self.put_scope.is_empty()
            && self.attach_scope.is_empty()
            && self.create_version_scope.is_empty()
    }

    /// The changes some statement could allow on `role` (or on a policy attached to it), in
    /// order: attach, put, then each policy's new version; each with the resource it acts on.
    fn on(&self, role: &Actor) -> Vec<(&Action, Resource, &RequestContext, ChangeKind)> {
        let resource = Resource::new(role.arn.clone()).with_account(role.account.clone());
        let mut changes = Vec::new();
        if self.attach_scope.might_include(&role.arn) {
            changes.push((
                &self.attach,
                resource.clone(),
                &self.attach_admin,
                ChangeKind::AttachAdmin,
            ));
        }
        if self.put_scope.might_include(&role.arn) {
            changes.push((&self.put, resource, &self.none, ChangeKind::PutInline));
        }
        for policy_arn in &role.attached_customer {
            if self.create_version_scope.might_include(policy_arn) {
                let policy = Resource::new(policy_arn.clone()).with_account(role.account.clone());
                changes.push((
                    &self.create_version,
                    policy,
                    &self.none,
                    ChangeKind::NewVersion,
                ));
            }
        }
        changes
    }
}

/// The IAM-only edges of one actor, and the roles whose trust it may rewrite but not assume.
pub(crate) fn edges<'c>(
    context: &'c Context<'_>,
    actor: &Actor,
    role_changes: &RoleChanges,
) -> (Vec<EdgeSpec>, Vec<Rewritable<'c>>) {
    let create_key = Action::new("iam:CreateAccessKey");
    let update_trust = Action::new("iam:UpdateAssumeRolePolicy");
    let add_to_group = Action::new("iam:AddUserToGroup");
    let put_user = Action::new("iam:PutUserPolicy");
    let attach_user = Action::new("iam:AttachUserPolicy");
    let assume = Action::new("sts:AssumeRole");
    let might = |action: &Action| Context::might_allow(actor, action);
    let none = RequestContext::new();
    let attach_admin = &role_changes.attach_admin;
    let mut specs = Vec::new();
    let mut rewritable_only = Vec::new();
    // What each action could be allowed on, compiled once: a peer none of them could name is
    // skipped without evaluation (users and roles have no resource policy for these actions, so
    // only the actor's own statements can allow them; iam-semantics.md §3).
    let scope = |action: &Action| Context::allow_scope(actor, action);
    let create_key_scope = scope(&create_key);
    let (put_user_scope, attach_user_scope) = (scope(&put_user), scope(&attach_user));
    let update_trust_scope = scope(&update_trust);
    // Access keys and console passwords of other users: once for every user when the actor's
    // statements decide them alike, else user by user below.
    let takeover = super::users::UserTakeover::new(actor);
    let wants_users = takeover.wanted();
    let shared_users = wants_users
        .then(|| takeover.shared(context, actor))
        .flatten();
    specs.extend(shared_users.iter().flatten().cloned());
    // Users are visited one by one only for what is not shared.
    let visit_users = wants_users
        && (shared_users.is_none() || !put_user_scope.is_empty() || !attach_user_scope.is_empty());
    let wants_roles = !update_trust_scope.is_empty() || !role_changes.is_empty();
    let peers = context
        .account_actors(&actor.account)
        .iter()
        .filter(|peer: &&'c Actor| (visit_users || wants_roles) && peer.arn != actor.arn);
    for peer in peers {
        if peer.is_user && !visit_users || !peer.is_user && !wants_roles {
            continue;
        }
        let resource = Resource::new(peer.arn.clone()).with_account(peer.account.clone());
        let target = NodeKey::Actor(peer.index);
        if peer.is_user {
            if shared_users.is_none() {
                specs.extend(takeover.of_user(context, actor, peer));
            }
            // Make the user an administrator, then use its credentials (iam-015, iam-018).
            for (action, scope, request_context, catalog_id) in [
                (&attach_user, &attach_user_scope, attach_admin, "iam-015"),
                (&put_user, &put_user_scope, &none, "iam-018"),
            ] {
                if !scope.might_include(&peer.arn) || !create_key_scope.might_include(&peer.arn) {
                    continue;
                }
                if let Some(checked) = check_all(
                    context,
                    actor,
                    &[
                        (action, &resource, request_context),
                        (&create_key, &resource, &none),
                    ],
                ) {
                    let technique = format!("{action} + iam:CreateAccessKey on `{}`", peer.arn);
                    specs.push(admin_spec(actor, peer, technique, catalog_id, checked));
                }
            }
        }
        if !peer.is_user && !peer.principal.is_service_linked() && wants_roles {
            let update_trust_allowed = update_trust_scope
                .might_include(&peer.arn)
                .then(|| check_all(context, actor, &[(&update_trust, &resource, &none)]))
                .flatten();
            let rewritten = update_trust_allowed.is_some();
            if let Some(checked) = update_trust_allowed {
                match can_assume_after_rewrite(context, actor, peer) {
                    Some(assumed) => {
                        let checked = checked.and(assumed);
                        specs.push(spec(
                            actor,
                            target.clone(),
                            "iam:UpdateAssumeRolePolicy + sts:AssumeRole".into(),
                            "iam-012",
                            checked,
                            Vec::new(),
                        ));
                    }
                    None => rewritable_only.push(Rewritable {
                        role: peer,
                        checked,
                    }),
                }
            }
            // Make a role the actor can reach (or whose trust it can rewrite) an administrator:
            // iam-014/016/017 through sts:AssumeRole, iam-019/020/021 through the rewrite. Only
            // the changes some statement could allow are kept, so a role none of them can touch
            // costs no assume decision.
            let changes = role_changes.on(peer);
            if changes.is_empty() {
                continue;
            }
            let assumable = peer.trust.is_some()
                && context
                    .decide(actor, &assume, &peer.arn, &none)
                    .decision
                    .is_possible();
            if !assumable && !rewritten {
                continue;
            }
            let how = if assumable {
                "sts:AssumeRole"
            } else {
                "iam:UpdateAssumeRolePolicy"
            };
            for (action, target_resource, request_context, kind) in changes {
                if let Some(checked) = check_all(
                    context,
                    actor,
                    &[(action, &target_resource, request_context)],
                ) {
                    let technique = format!(
                        "{action} on `{}` + {how} on `{}`",
                        target_resource.arn(),
                        peer.arn
                    );
                    let catalog_id = match (kind, assumable) {
                        (ChangeKind::AttachAdmin, true) => "iam-014",
                        (ChangeKind::AttachAdmin, false) => "iam-019",
                        (ChangeKind::PutInline, true) => "iam-017",
                        (ChangeKind::PutInline, false) => "iam-021",
                        (ChangeKind::NewVersion, true) => "iam-016",
                        (ChangeKind::NewVersion, false) => "iam-020",
                    };
                    specs.push(admin_spec(actor, peer, technique, catalog_id, checked));
                }
            }
        }
    }
    specs.extend(set_default_version(context, actor));
    if actor.is_user && might(&add_to_group) {
        if let Some(account) = context.snapshot.account(&actor.account) {
            for group in &account.groups {
                if actor
                    .groups
                    .iter()
                    .any(|member_of| member_of.arn == group.arn)
                {
                    continue;
                }
                let resource = Resource::new(group.arn.clone()).with_account(account.id.clone());
                if let Some(checked) =
                    check_all(context, actor, &[(&add_to_group, &resource, &none)])
                {
                    specs.push(spec(
                        actor,
                        NodeKey::Principal(group.arn.clone()),
                        "iam:AddUserToGroup".into(),
                        "iam-013",
                        checked,
                        Vec::new(),
                    ));
                }
            }
        }
    }
    (specs, rewritable_only)
}

/// `ag-iam-001`: the actor runs code as a role (an edge of `gained`: a PassRole or
/// existing-compute technique) and may also change that role's permissions, so it makes the role
/// an administrator and uses it. Roles the actor can assume are left to iam-014/016/017.
pub(crate) fn change_a_role_it_runs_as(
    context: &Context<'_>,
    actor: &Actor,
    role_changes: &RoleChanges,
    gained: &[EdgeSpec],
) -> Vec<EdgeSpec> {
    if gained.is_empty() || role_changes.is_empty() {
        return Vec::new();
    }
    let none = RequestContext::new();
    let assume = Action::new("sts:AssumeRole");
    let mut seen: Vec<u32> = Vec::new();
    let mut specs = Vec::new();
    for gain in gained {
        let NodeKey::Actor(role_idx) = gain.to else {
            continue;
        };
        let Some(role) = context.actors.get(role_idx as usize) else {
            continue;
        };
        if role.is_user || seen.contains(&role_idx) {
            continue;
        }
        seen.push(role_idx);
        // Only the changes some statement could allow on this role (or its policy) are checked.
        let changes = role_changes.on(role);
        if changes.is_empty()
            || role.trust.is_some()
                && context
                    .decide(actor, &assume, &role.arn, &none)
                    .decision
                    .is_possible()
        {
            continue;
        }
        for (action, target_resource, request_context, _) in changes {
            let Some(checked) = check_all(
                context,
                actor,
                &[(action, &target_resource, request_context)],
            ) else {
                continue;
            };
            let checked = checked.and(super::Checked {
                evidence: gain.edge.evidence.clone(),
                conditions: gain.edge.conditions.clone(),
            });
            let technique = format!(
                "{action} on `{}` + {} (runs code as `{}`)",
                target_resource.arn(),
                gain.edge.technique,
                role.name
            );
            let mut edge = admin_spec(actor, role, technique, "ag-iam-001", checked);
            edge.edge
                .requirements
                .extend(gain.edge.requirements.iter().cloned());
            specs.push(edge);
        }
    }
    specs
}

/// `iam:SetDefaultPolicyVersion` (PMapper's extra): a non-default version of a customer-managed
/// policy attached to the actor (or its group) allows everything; making it the default makes the
/// actor an administrator.
fn set_default_version(context: &Context<'_>, actor: &Actor) -> Vec<EdgeSpec> {
    let action = Action::new("iam:SetDefaultPolicyVersion");
    if !Context::might_allow(actor, &action) {
        return Vec::new();
    }
    let Some(account) = context.snapshot.account(&actor.account) else {
        return Vec::new();
    };
    let attached = actor.attached_customer.iter().chain(
        actor
            .groups
            .iter()
            .flat_map(|group| group.attached_policies.iter()),
    );
    let mut specs = Vec::new();
    for policy_arn in attached {
        let Some(policy) = account
            .managed_policies
            .iter()
            .find(|policy| &policy.arn == policy_arn)
        else {
            continue;
        };
        let broad = policy
            .versions
            .iter()
            .filter(|version| !version.is_default)
            .find(|version| {
                context
                    .docs
                    .policy(policy_arn, &version.document)
                    .is_some_and(|document| {
                        document.document().statements().iter().any(|statement| {
                            statement.effect() == accessgraph_policy::Effect::Allow
                                && statement.actions().covers_all()
                                && statement
                                    .resources()
                                    .is_none_or(|resources| resources.covers_all())
                                && statement.conditions().is_empty()
                        })
                    })
            });
        let Some(version) = broad else { continue };
        let resource = Resource::new(policy_arn.clone()).with_account(account.id.clone());
        if let Some(checked) = check_all(
            context,
            actor,
            &[(&action, &resource, &RequestContext::new())],
        ) {
            let technique = format!(
                "iam:SetDefaultPolicyVersion on `{policy_arn}` (version {} allows everything)",
                version.version_id
            );
            let requirements = boundary_requirement(actor);
            specs.push(spec(
                actor,
                NodeKey::AccountAdmin(actor.account.clone()),
                technique,
                "iam:SetDefaultPolicyVersion (PMapper)",
                checked,
                requirements,
            ));
        }
    }
    specs
}

/// A permissions boundary on the target caps what an added policy grants.
fn boundary_requirement(target: &Actor) -> Vec<String> {
    target
        .boundary
        .as_ref()
        .map(|boundary| {
            vec![format!(
                "the boundary `{}` of the target does not cap the added policy",
                boundary.label()
            )]
        })
        .unwrap_or_default()
}
