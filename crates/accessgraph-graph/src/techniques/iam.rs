//! IAM-only techniques (iam-semantics.md §5.1): taking over a user or role of the same account,
//! joining a group, and making a reachable principal an administrator.

use std::sync::Arc;

use accessgraph_policy::{Action, Policy, RequestContext, Resource};

use super::check_all;
use crate::build::{EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::{Edge, EdgeKind};

fn spec(
    from: &Actor,
    to: NodeKey,
    technique: String,
    catalog_id: &'static str,
    checked: super::Checked,
    requirements: Vec<String>,
) -> EdgeSpec {
    EdgeSpec {
        from: NodeKey::Principal(from.arn.clone()),
        to,
        edge: Edge {
            kind: EdgeKind::Privesc,
            technique,
            catalog_id: Some(catalog_id),
            evidence: checked.evidence,
            conditions: checked.conditions,
            requirements,
        },
    }
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
    let resource = Resource::new(role.arn.clone()).with_account(role.account.clone());
    let evaluation = context.evaluate(
        actor,
        &Action::new("sts:AssumeRole"),
        &resource,
        Some(&trust),
        &RequestContext::new(),
    );
    evaluation.decision.is_possible().then(|| super::Checked {
        evidence: evaluation
            .evidence
            .into_iter()
            .filter(|citation| !citation.policy.ends_with("(rewritten)"))
            .collect(),
        conditions: evaluation.conditions,
    })
}

/// The IAM-only edges of one actor.
pub(crate) fn edges(context: &Context<'_>, actor: &Actor) -> Vec<EdgeSpec> {
    let create_key = Action::new("iam:CreateAccessKey");
    let delete_key = Action::new("iam:DeleteAccessKey");
    let create_login = Action::new("iam:CreateLoginProfile");
    let update_login = Action::new("iam:UpdateLoginProfile");
    let update_trust = Action::new("iam:UpdateAssumeRolePolicy");
    let add_to_group = Action::new("iam:AddUserToGroup");
    let put_role = Action::new("iam:PutRolePolicy");
    let attach_role = Action::new("iam:AttachRolePolicy");
    let put_user = Action::new("iam:PutUserPolicy");
    let attach_user = Action::new("iam:AttachUserPolicy");
    let assume = Action::new("sts:AssumeRole");
    let might = |action: &Action| Context::might_allow(actor, action);
    let none = RequestContext::new();
    let admin_arn = format!(
        "arn:{}:iam::aws:policy/AdministratorAccess",
        actor.principal.partition()
    );
    let attach_admin = RequestContext::new().with("iam:PolicyARN", admin_arn.as_str());
    let mut specs = Vec::new();
    let user_actions = [&create_key, &create_login, &update_login];
    let role_actions = [&update_trust, &put_role, &attach_role];
    let peers = context
        .actors
        .iter()
        .filter(|peer| peer.account == actor.account && peer.arn != actor.arn);
    let wants_users = user_actions.iter().any(|action| might(action));
    let wants_roles = role_actions.iter().any(|action| might(action));
    for peer in peers {
        let resource = Resource::new(peer.arn.clone()).with_account(peer.account.clone());
        let target = NodeKey::Principal(peer.arn.clone());
        if peer.is_user && wants_users {
            if let Some(checked) = check_all(context, actor, &[(&create_key, &resource, &none)]) {
                match check_all(context, actor, &[(&delete_key, &resource, &none)]) {
                    Some(delete) => {
                        let mut checked = checked;
                        checked.evidence.extend(delete.evidence);
                        checked.conditions.extend(delete.conditions);
                        specs.push(spec(
                            actor,
                            target.clone(),
                            "iam:CreateAccessKey + iam:DeleteAccessKey".into(),
                            "iam-003",
                            checked,
                            Vec::new(),
                        ));
                    }
                    None => specs.push(spec(
                        actor,
                        target.clone(),
                        "iam:CreateAccessKey".into(),
                        "iam-002",
                        checked,
                        vec![format!("`{}` has fewer than two access keys", peer.name)],
                    )),
                }
            }
            if let Some(checked) = check_all(context, actor, &[(&create_login, &resource, &none)]) {
                specs.push(spec(
                    actor,
                    target.clone(),
                    "iam:CreateLoginProfile".into(),
                    "iam-004",
                    checked,
                    vec![format!("`{}` has no console password", peer.name)],
                ));
            }
            if let Some(checked) = check_all(context, actor, &[(&update_login, &resource, &none)]) {
                specs.push(spec(
                    actor,
                    target.clone(),
                    "iam:UpdateLoginProfile".into(),
                    "iam-006",
                    checked,
                    vec![format!("`{}` has a console password", peer.name)],
                ));
            }
            // Make the user an administrator, then use its credentials (iam-015, iam-018).
            for (action, request_context, catalog_id) in [
                (&attach_user, &attach_admin, "iam-015"),
                (&put_user, &none, "iam-018"),
            ] {
                if !might(action) {
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
                    specs.push(spec(
                        actor,
                        NodeKey::AccountAdmin(peer.account.clone()),
                        technique,
                        catalog_id,
                        checked,
                        boundary_requirement(peer),
                    ));
                }
            }
        }
        if !peer.is_user && !peer.principal.is_service_linked() && wants_roles {
            let rewrite = check_all(context, actor, &[(&update_trust, &resource, &none)]).and_then(
                |checked| {
                    can_assume_after_rewrite(context, actor, peer).map(|assumed| (checked, assumed))
                },
            );
            if let Some((mut checked, assumed)) = rewrite {
                checked.evidence.extend(assumed.evidence);
                checked.conditions.extend(assumed.conditions);
                specs.push(spec(
                    actor,
                    target.clone(),
                    "iam:UpdateAssumeRolePolicy + sts:AssumeRole".into(),
                    "iam-012",
                    checked,
                    Vec::new(),
                ));
            }
            // Make a role the actor can reach an administrator (iam-014, iam-017; iam-019, iam-021
            // when the trust must be rewritten first).
            let assumable = peer.trust.as_deref().is_some_and(|trust| {
                context
                    .evaluate(actor, &assume, &resource, Some(trust), &none)
                    .decision
                    .is_possible()
            }) || check_all(context, actor, &[(&update_trust, &resource, &none)])
                .is_some();
            if assumable {
                for (action, request_context, catalog_id) in [
                    (&attach_role, &attach_admin, "iam-014"),
                    (&put_role, &none, "iam-017"),
                ] {
                    if let Some(checked) =
                        check_all(context, actor, &[(action, &resource, request_context)])
                    {
                        let technique = format!("{action} + sts:AssumeRole on `{}`", peer.arn);
                        specs.push(spec(
                            actor,
                            NodeKey::AccountAdmin(peer.account.clone()),
                            technique,
                            catalog_id,
                            checked,
                            boundary_requirement(peer),
                        ));
                    }
                }
            }
        }
    }
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
