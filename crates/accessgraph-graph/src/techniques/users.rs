//! Taking over another user of the same account (iam-002, iam-003, iam-004, iam-006): new access
//! keys or a console password. Checked user by user, or, when the actor's statements decide each
//! of these actions alike for every user, once: the edge then goes to one helper per (account,
//! technique kept), and from it one edge to each user carries what only that user can settle
//! (its access keys, its console password). The edge kept for a pair, and its alternatives, are
//! those the per-user check would have merged (`merge_parallel`), so answers do not change.

use accessgraph_policy::{Action, RequestContext, Resource, ResourceScope};

use super::{check_all, decided_alike};
use crate::build::{Draft, EdgeSpec, NodeKey};
use crate::context::{Actor, Context};
use crate::model::EdgeKind;

/// What the edge to one user needs that only the user settles, by technique.
fn requirement(catalog_id: &str, user: &str) -> Option<String> {
    match catalog_id {
        "iam-002" => Some(format!("`{user}` has fewer than two access keys")),
        "iam-004" => Some(format!("`{user}` has no console password")),
        "iam-006" => Some(format!("`{user}` has a console password")),
        _ => None,
    }
}

/// The actions of the family, with the users some statement of the actor could allow each on.
pub(crate) struct UserTakeover {
    create_key: Action,
    delete_key: Action,
    create_login: Action,
    update_login: Action,
    create_key_scope: ResourceScope,
    create_login_scope: ResourceScope,
    update_login_scope: ResourceScope,
}

impl UserTakeover {
    /// The family for `actor`, its scopes compiled once.
    pub(crate) fn new(actor: &Actor) -> UserTakeover {
        let create_key = Action::new("iam:CreateAccessKey");
        let create_login = Action::new("iam:CreateLoginProfile");
        let update_login = Action::new("iam:UpdateLoginProfile");
        UserTakeover {
            create_key_scope: Context::allow_scope(actor, &create_key),
            create_login_scope: Context::allow_scope(actor, &create_login),
            update_login_scope: Context::allow_scope(actor, &update_login),
            create_key,
            delete_key: Action::new("iam:DeleteAccessKey"),
            create_login,
            update_login,
        }
    }

    /// Whether some statement could allow one of the family's actions on some user.
    pub(crate) fn wanted(&self) -> bool {
        [
            &self.create_key_scope,
            &self.create_login_scope,
            &self.update_login_scope,
        ]
        .iter()
        .any(|scope| !scope.is_empty())
    }

    /// The edges to the user `arn` (named `name` in requirements), as `target`.
    fn specs(
        &self,
        context: &Context<'_>,
        actor: &Actor,
        (arn, name): (&str, &str),
        target: &NodeKey,
    ) -> Vec<EdgeSpec> {
        let none = RequestContext::new();
        let resource = Resource::new(arn.to_owned()).with_account(actor.account.clone());
        let mut specs = Vec::new();
        let push = |specs: &mut Vec<EdgeSpec>, technique: String, id, checked: super::Checked| {
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: target.clone(),
                edge: Draft {
                    catalog_id: Some(id),
                    evidence: checked.evidence,
                    conditions: checked.conditions,
                    requirements: requirement(id, name).into_iter().collect(),
                    ..Draft::new(EdgeKind::Privesc, technique)
                },
            });
        };
        let create_key_allowed = self
            .create_key_scope
            .might_include(arn)
            .then(|| check_all(context, actor, &[(&self.create_key, &resource, &none)]))
            .flatten();
        if let Some(checked) = create_key_allowed {
            match check_all(context, actor, &[(&self.delete_key, &resource, &none)]) {
                Some(delete) => push(
                    &mut specs,
                    "iam:CreateAccessKey + iam:DeleteAccessKey".into(),
                    "iam-003",
                    checked.and(delete),
                ),
                None => push(&mut specs, "iam:CreateAccessKey".into(), "iam-002", checked),
            }
        }
        // Console access: which one applies depends on whether the user has a password.
        for (action, scope, id) in [
            (&self.create_login, &self.create_login_scope, "iam-004"),
            (&self.update_login, &self.update_login_scope, "iam-006"),
        ] {
            if !scope.might_include(arn) {
                continue;
            }
            if let Some(checked) = check_all(context, actor, &[(action, &resource, &none)]) {
                push(&mut specs, action.to_string(), id, checked);
            }
        }
        specs
    }

    /// The edges of `actor` to the user `peer`.
    pub(crate) fn of_user(
        &self,
        context: &Context<'_>,
        actor: &Actor,
        peer: &Actor,
    ) -> Vec<EdgeSpec> {
        self.specs(
            context,
            actor,
            (&peer.arn, &peer.name),
            &NodeKey::Actor(peer.index),
        )
    }

    /// The edge of `actor` to its account's helper for the technique it would keep for every
    /// user, when its statements decide the family alike for every user: the techniques checked
    /// once and merged as for one user, the user's own requirement left to the helper's edges.
    /// `None` when they do not (its edges are then built user by user) or allow nothing.
    pub(crate) fn shared(&self, context: &Context<'_>, actor: &Actor) -> Option<Vec<EdgeSpec>> {
        let actions = [
            &self.create_key,
            &self.delete_key,
            &self.create_login,
            &self.update_login,
        ];
        if !actions
            .iter()
            .all(|action| decided_alike(context, actor, action, "user"))
        {
            return None;
        }
        // Any other user stands for all of them (the resolver knows it; no statement names it).
        let Some(any_user) = context
            .account_actors(&actor.account)
            .iter()
            .find(|peer| peer.is_user && peer.index != actor.index)
        else {
            return Some(Vec::new());
        };
        let placeholder = NodeKey::UserTakeover(actor.account.clone(), "");
        let merged = crate::build::merge_parallel(self.specs(
            context,
            actor,
            (&any_user.arn, "(every user)"),
            &placeholder,
        ));
        Some(
            merged
                .into_iter()
                .filter_map(|mut spec| {
                    spec.to = NodeKey::UserTakeover(actor.account.clone(), spec.edge.catalog_id?);
                    spec.edge.requirements.clear();
                    Some(spec)
                })
                .collect(),
        )
    }
}

/// The edges from each user-takeover helper `specs` reach to the users of its account, with what
/// each user must settle.
pub(crate) fn helper_edges(context: &Context<'_>, specs: &[EdgeSpec]) -> Vec<EdgeSpec> {
    let helpers: std::collections::BTreeSet<&NodeKey> = specs
        .iter()
        .map(|spec| &spec.to)
        .filter(|key| matches!(key, NodeKey::UserTakeover(..)))
        .collect();
    let mut out = Vec::new();
    for helper in helpers {
        let NodeKey::UserTakeover(account, id) = helper else {
            continue;
        };
        for user in context
            .account_actors(account)
            .iter()
            .filter(|actor| actor.is_user)
        {
            out.push(EdgeSpec {
                from: helper.clone(),
                to: NodeKey::Actor(user.index),
                edge: Draft {
                    requirements: requirement(id, &user.name).into_iter().collect(),
                    ..Draft::new(EdgeKind::Privesc, "the user's credentials")
                },
            });
        }
    }
    out
}

/// Where an actor has another privilege-escalation edge straight to a user it also reaches
/// through a user-takeover helper, its edges of this family to that user are kept straight too:
/// the pair's one merged edge stays the same.
pub(crate) fn keep_direct_beside(context: &Context<'_>, specs: &mut Vec<EdgeSpec>) {
    let through_helper: std::collections::HashSet<u32> = specs
        .iter()
        .filter_map(|spec| match (&spec.from, &spec.to) {
            (NodeKey::Actor(actor), NodeKey::UserTakeover(..)) => Some(*actor),
            _ => None,
        })
        .collect();
    if through_helper.is_empty() {
        return;
    }
    let mut pairs: Vec<(u32, u32)> = specs
        .iter()
        .filter(|spec| spec.edge.kind == EdgeKind::Privesc)
        .filter_map(|spec| match (&spec.from, &spec.to) {
            (NodeKey::Actor(from), NodeKey::Actor(to)) if through_helper.contains(from) => {
                let user = context.actors.get(*to as usize)?;
                user.is_user.then_some((*from, *to))
            }
            _ => None,
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut added = Vec::new();
    for (from, to) in pairs {
        let (Some(actor), Some(user)) = (
            context.actors.get(from as usize),
            context.actors.get(to as usize),
        ) else {
            continue;
        };
        added.extend(UserTakeover::new(actor).of_user(context, actor, user));
    }
    specs.extend(added);
}
