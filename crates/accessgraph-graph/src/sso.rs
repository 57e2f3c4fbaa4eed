//! IAM Identity Center: people and their groups as nodes, and the edges that let them sign in to
//! the roles their permission sets are provisioned as (`AWSReservedSSO_<PermissionSetName>_<hash>`
//! in each assigned account), so paths can start at people.
//!
//! Node ids: `arn:aws:identitystore::IDENTITY_STORE_ID/user/USER_ID` and `.../group/GROUP_ID`.
//! An assignment whose role is not in the account's IAM data is a warning, not a silent gap.

use std::collections::HashMap;
use std::sync::Arc;

use accessgraph_model::{AssignedTo, IdentityCenter, PermissionSet};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::context::Context;
use crate::model::{Edge, EdgeKind, Node, NodeKind};

fn node(kind: NodeKind, id: String, name: String, display_name: Option<String>) -> Node {
    Node {
        kind,
        arn: id,
        name,
        account: None,
        admin: None,
        instance_profiles: Vec::new(),
        display_name,
    }
}

fn edge(kind: EdgeKind, technique: String, details: Vec<String>) -> Edge {
    Edge {
        kind,
        technique: technique.into(),
        catalog_id: None,
        evidence: Arc::default(),
        conditions: Arc::default(),
        requirements: Arc::default(),
        alternatives: Arc::default(),
        details: details.into(),
        access: Arc::default(),
    }
}

/// The role a permission set is provisioned as in `account`, if the snapshot has it.
fn provisioned_role(context: &Context<'_>, account: &str, set: &PermissionSet) -> Option<u32> {
    let prefix = set.role_prefix();
    context
        .account_actors(account)
        .iter()
        .find(|actor| !actor.is_user && actor.name.starts_with(&prefix))
        .map(|actor| actor.index)
}

/// Adds the people, groups, memberships and assignments of Identity Center to the graph.
/// `actors` maps actor indices to their nodes.
pub(crate) fn add(
    graph: &mut DiGraph<Node, Edge, u32>,
    actors: &HashMap<u32, NodeIndex<u32>>,
    context: &Context<'_>,
    center: &IdentityCenter,
    warnings: &mut Vec<String>,
) {
    let mut users: HashMap<&str, NodeIndex<u32>> = HashMap::new();
    let mut groups: HashMap<&str, NodeIndex<u32>> = HashMap::new();
    let mut group_names: HashMap<&str, &str> = HashMap::new();
    for user in &center.users {
        let index = graph.add_node(node(
            NodeKind::IdentityCenterUser,
            user.node_id(),
            user.user_name.clone(),
            user.display_name.clone(),
        ));
        users.insert(&user.id, index);
    }
    for group in &center.groups {
        let index = graph.add_node(node(
            NodeKind::IdentityCenterGroup,
            group.node_id(),
            group.display_name.clone(),
            Some(group.display_name.clone()),
        ));
        groups.insert(&group.id, index);
        group_names.insert(&group.id, &group.display_name);
    }
    for membership in &center.memberships {
        match (
            users.get(membership.user_id.as_str()),
            groups.get(membership.group_id.as_str()),
        ) {
            (Some(user), Some(group)) => {
                graph.add_edge(
                    *user,
                    *group,
                    edge(
                        EdgeKind::Member,
                        "identitystore:GroupMembership".into(),
                        vec![format!(
                            "member of Identity Center group `{}`",
                            group_names
                                .get(membership.group_id.as_str())
                                .copied()
                                .unwrap_or_default()
                        )],
                    ),
                );
            }
            _ => warnings.push(format!(
                "Identity Center membership of user `{}` in group `{}`: the user or the group is not in list-users / list-groups",
                membership.user_id, membership.group_id
            )),
        }
    }
    for assignment in &center.assignments {
        // An assignment without its permission set's file is reported by the ingest.
        let Some(set) = center.permission_set(&assignment.permission_set_arn) else {
            continue;
        };
        let (from, who) = match assignment.principal_type {
            AssignedTo::User => (
                users.get(assignment.principal_id.as_str()),
                format!("user `{}`", assignment.principal_id),
            ),
            AssignedTo::Group => (
                groups.get(assignment.principal_id.as_str()),
                format!(
                    "group `{}`",
                    group_names
                        .get(assignment.principal_id.as_str())
                        .copied()
                        .unwrap_or(&assignment.principal_id)
                ),
            ),
        };
        let Some(from) = from else {
            warnings.push(format!(
                "Identity Center assignment of `{}` in account {} to {who}: not in list-users / list-groups",
                set.name, assignment.account
            ));
            continue;
        };
        let Some(role) = provisioned_role(context, &assignment.account, set)
            .and_then(|actor| actors.get(&actor))
        else {
            warnings.push(format!(
                "Identity Center assignment of `{}` to {who} in account {}: no role `{}*` in the account's IAM data (not provisioned, or the account's IAM data is missing); no edge",
                set.name,
                assignment.account,
                set.role_prefix()
            ));
            continue;
        };
        graph.add_edge(
            *from,
            *role,
            edge(
                EdgeKind::Sso,
                format!("sso:{}", set.name),
                vec![
                    format!("permission set `{}` ({})", set.name, set.arn),
                    format!("assigned to {who} in account {}", assignment.account),
                ],
            ),
        );
    }
}
