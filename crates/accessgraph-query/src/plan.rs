//! Planning: checking a parsed query against one snapshot's graph. Names become node ids, scopes
//! become account lists, modifiers become one search filter; every mistake names its token.

use std::collections::BTreeSet;

use accessgraph_graph::{EdgeKind, Filter, Graph, NodeId, NodeKind};

use crate::ast::{
    AccessLevel, EdgeKindName, KeepItem, Modifier, NamedKind, NodeRef, PathMode, Query,
    RequestSpec, Scope, Span, Spanned, Statement, Target,
};
use crate::error::QueryError;
use crate::view::View;

/// Rows a path enumeration (`path ... all`) returns at most unless `limit` says otherwise.
pub const DEFAULT_PATH_LIMIT: usize = 1000;

/// A query checked against a snapshot, ready to execute.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The query.
    pub query: Query,
    /// Which edges and sources the searches use.
    pub filter: Filter,
    /// Most rows returned.
    pub limit: Option<usize>,
    /// Only people (IAM users) as sources.
    pub people_only: bool,
    /// `at snapshot N`.
    pub at: Option<u64>,
    /// The operation.
    pub op: Op,
}

/// What a plan does.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Who reaches any of the targets (reverse search).
    WhoCanReach(Targets),
    /// Whether a node reaches the targets, with the shortest path to each.
    CanReach {
        /// Start.
        from: Option<NodeId>,
        /// Targets.
        targets: Targets,
    },
    /// Paths between a node and targets.
    Paths {
        /// Start.
        from: Option<NodeId>,
        /// Targets.
        targets: Targets,
        /// Shortest, all or k.
        mode: PathMode,
    },
    /// Everything a node reaches.
    Reachable {
        /// Start.
        from: Option<NodeId>,
    },
    /// One simulated request.
    CanDo {
        /// The caller (any principal text).
        principal: String,
        /// The request.
        request: RequestSpec,
    },
    /// Who may make a request, directly or through chains; a wildcard action is every action
    /// of the catalog it names.
    WhoCanDo {
        /// The request.
        request: RequestSpec,
        /// The actions: the one written, or those its wildcard names.
        actions: Vec<String>,
    },
    /// Who reaches a resource with one access level.
    WhoCanAccess {
        /// The resource.
        target: NodeId,
        /// The level.
        level: AccessLevel,
    },
    /// The resources a node reaches with one access level.
    WhatCanAccess {
        /// Start.
        from: Option<NodeId>,
        /// The level.
        level: AccessLevel,
    },
    /// Every action of the catalog on a resource's type, decided for one principal.
    WhatCanDo {
        /// The caller (any principal text).
        principal: String,
        /// The resource ARN.
        resource: Spanned<String>,
        /// The request context.
        context: crate::ast::ContextPairs,
    },
    /// The administrators of accounts.
    Admins {
        /// The accounts.
        accounts: Vec<String>,
    },
    /// One node's details.
    Show {
        /// The node.
        node: NodeId,
    },
    /// Choke points and a plan that cuts the paths to the targets.
    Cuts {
        /// The target as written (a check plans it again on the rebuilt graph).
        target: Target,
        /// The targets.
        targets: Targets,
        /// Principals whose paths are legitimate and whose policies stay.
        keep_nodes: Vec<NodeId>,
        /// Policies (or single statements) never changed.
        keep_policies: Vec<(String, Option<usize>)>,
        /// Make the plan on a copy of the snapshot and rebuild to show the paths are gone.
        check: bool,
    },
    /// Reachability compared between two snapshots (planned against each when executed).
    Diff {
        /// Earlier snapshot.
        before: Spanned<u64>,
        /// Later snapshot.
        after: Spanned<u64>,
        /// The question compared.
        target: Target,
    },
}

/// Resolved targets of a reachability question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// The nodes.
    pub nodes: Vec<NodeId>,
    /// The accounts when the target is "an administrator of" them.
    pub admin_of: Option<Vec<String>>,
}

fn all_kinds() -> Vec<EdgeKind> {
    vec![
        EdgeKind::Assume,
        EdgeKind::Privesc,
        EdgeKind::Member,
        EdgeKind::Permit,
        EdgeKind::Sso,
    ]
}

fn edge_kind(name: EdgeKindName) -> EdgeKind {
    match name {
        EdgeKindName::Assume => EdgeKind::Assume,
        EdgeKindName::Privesc => EdgeKind::Privesc,
        EdgeKindName::Member => EdgeKind::Member,
        EdgeKindName::Permit => EdgeKind::Permit,
        EdgeKindName::Sso => EdgeKind::Sso,
    }
}

/// Which modifiers a statement takes.
/// Whether `modifier` applies to `statement` (a search modifier to a search, `from` to the
/// statements with sources, ...).
#[must_use]
pub fn applies(statement: &Statement, modifier: &Modifier) -> bool {
    let search = matches!(
        statement,
        Statement::WhoCanReach { .. }
            | Statement::WhoCanAccess { .. }
            | Statement::WhoCanDo { .. }
            | Statement::CanReach { .. }
            | Statement::Path { .. }
            | Statement::WhatCanReach { .. }
            | Statement::WhatCanAccess { .. }
            | Statement::Diff { .. }
            | Statement::WhatCuts { .. }
    );
    let sources = matches!(
        statement,
        Statement::WhoCanReach { .. }
            | Statement::WhoCanAccess { .. }
            | Statement::WhoCanDo { .. }
            | Statement::Diff { .. }
    );
    let cuts = matches!(statement, Statement::WhatCuts { .. });
    match modifier {
        Modifier::Via(_) | Modifier::Without(_) | Modifier::DefiniteOnly => search,
        // A plan cuts every path, however long.
        Modifier::MaxHops(_) => search && !cuts,
        Modifier::FromAccounts(_) | Modifier::FromExternal => sources || cuts,
        Modifier::PeopleOnly => sources,
        Modifier::Keep(_) | Modifier::Check => cuts,
        Modifier::Limit(_) => !matches!(statement, Statement::CanDo { .. }),
        Modifier::AtSnapshot(_) => !matches!(statement, Statement::Diff { .. }),
    }
}

/// The `at snapshot` of a query, if any.
#[must_use]
pub fn snapshot_of(query: &Query) -> Option<Spanned<u64>> {
    query
        .modifiers
        .iter()
        .find_map(|modifier| match modifier.value {
            Modifier::AtSnapshot(id) => Some(Spanned::new(id, modifier.span)),
            _ => None,
        })
}

/// Checks `query` against `view` and plans it.
///
/// # Errors
/// A semantic [`QueryError`] naming the offending token: an unknown node, account or OU, an
/// invalid account id, a modifier that does not apply or is given twice.
pub fn plan(query: &Query, view: &View) -> Result<Plan, QueryError> {
    let graph = view.graph();
    let mut filter = Filter::default();
    let mut limit = None;
    let mut people_only = false;
    let mut at = None;
    let mut seen: Vec<&'static str> = Vec::new();
    for modifier in &query.modifiers {
        let keyword = modifier.value.keyword();
        if !applies(&query.statement, &modifier.value) {
            return Err(QueryError::semantic(
                format!(
                    "`{keyword}` does not apply to `{}`",
                    query.statement.keyword()
                ),
                modifier.span,
            ));
        }
        if seen.contains(&keyword) {
            return Err(QueryError::semantic(
                format!("`{keyword}` is given twice"),
                modifier.span,
            ));
        }
        seen.push(keyword);
        match &modifier.value {
            Modifier::Via(kinds) => {
                let allowed: Vec<EdgeKind> = kinds.iter().map(|kind| edge_kind(*kind)).collect();
                let current = filter.kinds.take().unwrap_or_else(all_kinds);
                filter.kinds = Some(
                    current
                        .into_iter()
                        .filter(|kind| allowed.contains(kind))
                        .collect(),
                );
            }
            Modifier::Without(kinds) => {
                let removed: Vec<EdgeKind> = kinds.iter().map(|kind| edge_kind(*kind)).collect();
                let current = filter.kinds.take().unwrap_or_else(all_kinds);
                filter.kinds = Some(
                    current
                        .into_iter()
                        .filter(|kind| !removed.contains(kind))
                        .collect(),
                );
            }
            Modifier::MaxHops(hops) => {
                filter.max_hops = Some(usize::try_from(*hops).unwrap_or(usize::MAX));
            }
            Modifier::Limit(rows) => limit = Some(usize::try_from(*rows).unwrap_or(usize::MAX)),
            Modifier::FromAccounts(accounts) => {
                let mut ids = Vec::new();
                for account in accounts {
                    ids.push(account_id(graph, account)?);
                }
                filter.source_accounts = Some(ids);
            }
            Modifier::FromExternal => filter.external_sources = true,
            Modifier::DefiniteOnly => filter.definite_only = true,
            Modifier::AtSnapshot(id) => at = Some(*id),
            Modifier::PeopleOnly => people_only = true,
            Modifier::Keep(_) | Modifier::Check => {}
        }
    }
    if filter.external_sources && filter.source_accounts.is_some() {
        let span = query
            .modifiers
            .iter()
            .find(|modifier| modifier.value == Modifier::FromExternal)
            .map_or(Span::default(), |modifier| modifier.span);
        return Err(QueryError::semantic(
            "`from external` and `from account` exclude each other".into(),
            span,
        ));
    }
    if let Statement::CanDo { request, .. } = &query.statement {
        known_action(request)?;
    }
    match &query.statement {
        Statement::CanDo { request, .. } | Statement::WhoCanDo { request } => {
            known_keys(&request.context)?;
        }
        Statement::WhatCanDo { context, .. } => known_keys(context)?,
        _ => {}
    }
    let op = match &query.statement {
        Statement::WhoCanReach { target } => Op::WhoCanReach(targets(view, target, &filter)?),
        Statement::CanReach { from, target } => Op::CanReach {
            from: node(view, from)?,
            targets: targets(view, target, &filter)?,
        },
        Statement::Path { from, target, mode } => Op::Paths {
            from: node(view, from)?,
            targets: targets(view, target, &filter)?,
            mode: mode.as_ref().map_or(PathMode::Shortest, |mode| mode.value),
        },
        Statement::WhatCanReach { from } => Op::Reachable {
            from: node(view, from)?,
        },
        Statement::CanDo { principal, request } => Op::CanDo {
            principal: principal_text(view, principal)?,
            request: request.clone(),
        },
        Statement::WhoCanDo { request } => Op::WhoCanDo {
            request: request.clone(),
            actions: actions_named(request)?,
        },
        Statement::WhoCanAccess { level, target } => Op::WhoCanAccess {
            target: resource_node(view, target)?,
            level: level.value,
        },
        Statement::WhatCanAccess { from, level } => Op::WhatCanAccess {
            from: node(view, from)?,
            level: level.value,
        },
        Statement::WhatCanDo {
            principal,
            resource,
            context,
        } => Op::WhatCanDo {
            principal: principal_text(view, principal)?,
            resource: resource.clone(),
            context: context.clone(),
        },
        Statement::WhoIsAdmin { scope } => Op::Admins {
            accounts: match scope {
                Some(scope) => accounts(graph, scope)?,
                None => graph.accounts().to_vec(),
            },
        },
        Statement::Show { node: reference } => Op::Show {
            node: node(view, reference)?.ok_or_else(|| {
                QueryError::semantic(
                    "no policy names `*` in this snapshot".into(),
                    reference.span(),
                )
            })?,
        },
        Statement::WhatCuts { target } => cuts_op(view, query, target, &filter)?,
        Statement::Diff {
            before,
            after,
            target,
        } => Op::Diff {
            before: before.clone(),
            after: after.clone(),
            target: target.clone().unwrap_or(Target::Admin {
                scope: Spanned::new(Scope::Org, Span::default()),
            }),
        },
    };
    Ok(Plan {
        query: query.clone(),
        filter,
        limit,
        people_only,
        at,
        op,
    })
}

/// Checks the keys of a `with` clause against the AWS catalog: a key with a service's prefix
/// that the service does not have (`s3:prefx`) is an error at the key with the closest one, as
/// it would be ignored silently otherwise. Global (`aws:`) keys and other prefixes pass.
fn known_keys(context: &[(Spanned<String>, Spanned<String>)]) -> Result<(), QueryError> {
    let catalog = accessgraph_catalog::Catalog::embedded();
    for (key, _) in context {
        if let Some((message, suggestion)) = catalog.diagnose_condition_key(&key.value) {
            return Err(QueryError::semantic(message, key.span).with_suggestion(suggestion));
        }
    }
    Ok(())
}

/// The most actions a wildcard in `who can do` may name (`s3:*` names about 200).
pub const MAX_WILDCARD_ACTIONS: usize = 500;

/// The actions of a `who can do`: the action written (checked against the catalog), or the
/// actions of the catalog its wildcard names that apply to the resource.
fn actions_named(request: &RequestSpec) -> Result<Vec<String>, QueryError> {
    let written = &request.action;
    if !written.value.contains(['*', '?']) {
        known_action(request)?;
        return Ok(vec![written.value.clone()]);
    }
    let catalog = accessgraph_catalog::Catalog::embedded();
    let named = catalog.expand(&written.value);
    if named.is_empty() {
        return Err(QueryError::semantic(
            format!("`{}` names no action of the AWS catalog", written.value),
            written.span,
        ));
    }
    // Only the actions that apply to the resource (AWS authorizes no other on it; an action
    // without resource types acts on `*` only).
    let resource = &request.resource.value;
    let count = named.len();
    let actions: Vec<String> = named
        .into_iter()
        .filter(|action| resource == "*" || catalog.applies_to(action, resource) == Some(true))
        .collect();
    if actions.is_empty() {
        return Err(QueryError::semantic(
            format!(
                "`{}` names {count} actions of the AWS catalog, none of which applies to `{resource}`",
                written.value
            ),
            request.resource.span,
        ));
    }
    if actions.len() > MAX_WILDCARD_ACTIONS {
        return Err(QueryError::semantic(
            format!(
                "`{}` names {} actions; at most {MAX_WILDCARD_ACTIONS} are asked about at once: narrow the pattern",
                written.value,
                actions.len()
            ),
            written.span,
        ));
    }
    Ok(actions)
}

/// A node that is a resource (the target of `who can LEVEL`).
fn resource_node(view: &View, reference: &NodeRef) -> Result<NodeId, QueryError> {
    let found = node(view, reference)?;
    match found.and_then(|id| view.graph().node(id).map(|node| (id, node))) {
        Some((id, node)) if node.kind == NodeKind::Resource => Ok(id),
        _ => Err(QueryError::semantic(
            format!(
                "`{reference}` is not a resource: access levels are about buckets, keys, functions, queues, topics, secrets and APIs (ask `who can reach {reference}` for a principal)"
            ),
            reference.span(),
        )),
    }
}

/// Resolves a target.
/// Checks a request's action against the AWS catalog: a typo is an error at the action's
/// position with the closest action as the suggestion (a service newer than the catalog passes).
fn known_action(request: &RequestSpec) -> Result<(), QueryError> {
    let catalog = accessgraph_catalog::Catalog::embedded();
    if let Some((message, suggestion)) = catalog.diagnose_request(&request.action.value) {
        return Err(QueryError::semantic(message, request.action.span).with_suggestion(suggestion));
    }
    let (action, resource) = (&request.action.value, &request.resource.value);
    if resource != "*" && catalog.applies_to(action, resource) == Some(false) {
        let types = catalog
            .action(action)
            .map(|(service, info)| {
                info.resource_types
                    .iter()
                    .map(|resource_type| {
                        let format = service.resource_arn(&resource_type.name).unwrap_or("?");
                        format!("{} (`{format}`)", resource_type.name)
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        return Err(QueryError::semantic(
            format!(
                "`{action}` does not apply to `{resource}`: the AWS catalog names its resource types as {types}"
            ),
            request.resource.span,
        ));
    }
    Ok(())
}

/// The `what cuts` operation: targets, and what the plan keeps.
fn cuts_op(view: &View, query: &Query, target: &Target, filter: &Filter) -> Result<Op, QueryError> {
    let mut keep_nodes = Vec::new();
    let mut keep_policies = Vec::new();
    let mut check = false;
    for modifier in &query.modifiers {
        match &modifier.value {
            Modifier::Keep(items) => {
                for item in items {
                    match item {
                        KeepItem::Node { node: reference } => {
                            keep_nodes.extend(node(view, reference)?);
                        }
                        KeepItem::Policy { policy, statement } => keep_policies.push((
                            policy.value.clone(),
                            statement
                                .as_ref()
                                .map(|index| usize::try_from(index.value).unwrap_or(usize::MAX)),
                        )),
                    }
                }
            }
            Modifier::Check => check = true,
            _ => {}
        }
    }
    Ok(Op::Cuts {
        target: target.clone(),
        targets: targets(view, target, filter)?,
        keep_nodes,
        keep_policies,
        check,
    })
}

/// The accounts whose administrators an admin target names (none for a node target).
pub(crate) fn admin_accounts(graph: &Graph, target: &Target) -> Vec<String> {
    match target {
        Target::Admin { scope } => accounts(graph, scope).unwrap_or_default(),
        Target::Node { .. } => Vec::new(),
    }
}

pub(crate) fn targets(
    view: &View,
    target: &Target,
    filter: &Filter,
) -> Result<Targets, QueryError> {
    let graph = view.graph();
    match target {
        Target::Admin { scope } => {
            let accounts = accounts(graph, scope)?;
            let mut nodes: Vec<NodeId> = accounts
                .iter()
                .flat_map(|account| graph.admin_targets(account, filter))
                .collect();
            nodes.sort();
            nodes.dedup();
            Ok(Targets {
                nodes,
                admin_of: Some(accounts),
            })
        }
        Target::Node { node: reference } => Ok(Targets {
            nodes: node(view, reference)?.into_iter().collect(),
            admin_of: None,
        }),
    }
}

/// A checked account id, known to the snapshot.
fn account_id(graph: &Graph, written: &Spanned<String>) -> Result<String, QueryError> {
    let id = &written.value;
    if id.len() != 12 || !id.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(QueryError::semantic(
            format!(
                "`{id}` is not an account id: an account id has 12 digits ({} given)",
                id.len()
            ),
            written.span,
        ));
    }
    let known =
        graph.accounts().iter().any(|account| account == id) || graph.account_name(id).is_some();
    if !known {
        let suggestion = nearest(id, graph.accounts().iter().map(String::as_str));
        return Err(QueryError::not_found(
            format!("unknown account {id}: the snapshot has no such account"),
            written.span,
        )
        .with_suggestion(suggestion));
    }
    Ok(id.clone())
}

/// The accounts of a scope.
fn accounts(graph: &Graph, scope: &Spanned<Scope>) -> Result<Vec<String>, QueryError> {
    match &scope.value {
        Scope::Account(id) => {
            // The account digits follow `in account `.
            let start = scope.span.end.saturating_sub(id.len());
            let written = Spanned::new(
                id.clone(),
                Span {
                    start,
                    end: scope.span.end,
                },
            );
            Ok(vec![account_id(graph, &written)?])
        }
        Scope::Org => {
            let mut accounts: BTreeSet<String> = graph.accounts().iter().cloned().collect();
            if let Some(org) = graph.organization() {
                accounts.extend(org.accounts.iter().map(|account| account.id.clone()));
            }
            Ok(accounts.into_iter().collect())
        }
        Scope::Ou(name) => {
            let Some(org) = graph.organization() else {
                return Err(QueryError::semantic(
                    "the snapshot has no organization, so no OU".into(),
                    scope.span,
                ));
            };
            let ou = org
                .ous
                .iter()
                .find(|ou| ou.id.eq_ignore_ascii_case(name) || ou.name.eq_ignore_ascii_case(name));
            let root = org.roots.iter().find(|root| root.id == *name);
            let Some(top) = ou
                .map(|ou| ou.id.clone())
                .or(root.map(|root| root.id.clone()))
            else {
                let suggestion = nearest(name, org.ous.iter().map(|ou| ou.name.as_str()));
                return Err(
                    QueryError::not_found(format!("unknown OU `{name}`"), scope.span)
                        .with_suggestion(suggestion),
                );
            };
            Ok(org
                .accounts
                .iter()
                .filter(|account| {
                    org.chain(&account.id)
                        .is_some_and(|chain| chain.contains(&top))
                })
                .map(|account| account.id.clone())
                .collect())
        }
    }
}

fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|candidate| (strsim::levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Resolves a node; `*` resolves to `None` when no policy names it (it then reaches nothing).
pub(crate) fn node(view: &View, reference: &NodeRef) -> Result<Option<NodeId>, QueryError> {
    let graph = view.graph();
    match reference {
        NodeRef::Anyone { .. } => Ok(graph.find("*")),
        NodeRef::Arn { arn } => graph.find(&arn.value).map(Some).ok_or_else(|| {
            let account = arn.value.split(':').nth(4).unwrap_or_default();
            let error = if arn.value.ends_with(":root") && graph.accounts().iter().any(|a| a == account) {
                QueryError::semantic(format!("`{}` is an account of the snapshot, not a principal node: ask about `admin in account {account}`", arn.value), arn.span)
            } else {
                QueryError::not_found(format!("no node `{}` in this snapshot", arn.value), arn.span)
            };
            let name = arn.value.rsplit('/').next().unwrap_or_default();
            let suggestion = nearest(
                &arn.value,
                graph
                    .nodes()
                    .filter(|(_, node)| node.name.eq_ignore_ascii_case(name) || node.account.as_deref() == Some(account))
                    .map(|(_, node)| node.arn.as_str()),
            );
            error.with_suggestion(suggestion)
        }),
        NodeRef::Named {
            kind,
            name,
            account,
        } => {
            let node_kind = match kind {
                NamedKind::User => NodeKind::User,
                NamedKind::Role => NodeKind::Role,
                NamedKind::Group => NodeKind::Group,
            };
            let account = account
                .as_ref()
                .map(|account| account_id(graph, account))
                .transpose()?;
            let (path, short) = match name.value.rsplit_once('/') {
                Some((path, short)) => (Some(format!("/{path}/")), short),
                None => (None, name.value.as_str()),
            };
            // `user/NAME` and `group/NAME` also name Identity Center users and groups.
            let people_kind = match node_kind {
                NodeKind::User => Some(NodeKind::IdentityCenterUser),
                NodeKind::Group => Some(NodeKind::IdentityCenterGroup),
                _ => None,
            };
            let matches: Vec<NodeId> = view
                .by_name(node_kind, short)
                .iter()
                .chain(people_kind.map_or(&[][..], |kind| view.by_name(kind, short)))
                .copied()
                .filter(|id| {
                    graph.node(*id).is_some_and(|node| {
                        account.as_ref().is_none_or(|account| node.account.as_ref() == Some(account))
                            && path.as_ref().is_none_or(|path| node.arn.contains(path.as_str()))
                    })
                })
                .collect();
            let written = format!("{}/{}", format!("{kind:?}").to_lowercase(), name.value);
            match matches.as_slice() {
                [one] => Ok(Some(*one)),
                [] => {
                    // The same name under another kind (`role/x` written for `user/x`)?
                    let other_kind = [NodeKind::User, NodeKind::Role, NodeKind::Group]
                        .into_iter()
                        .filter(|other| *other != node_kind)
                        .find(|other| {
                            view.by_name(*other, short).iter().any(|id| {
                                graph.node(*id).is_some_and(|node| {
                                    account.as_ref().is_none_or(|account| {
                                        node.account.as_ref() == Some(account)
                                    })
                                })
                            })
                        })
                        .map(|other| format!("{}/{short}", format!("{other:?}").to_lowercase()));
                    let suggestion = other_kind.or_else(|| nearest(
                        short,
                        graph
                            .nodes()
                            .filter(|(_, node)| {
                                node.kind == node_kind
                                    && account.as_ref().is_none_or(|account| node.account.as_ref() == Some(account))
                            })
                            .map(|(_, node)| node.name.as_str()),
                    ));
                    let place = account.map_or_else(|| "in this snapshot".to_owned(), |account| format!("in account {account}"));
                    Err(QueryError::not_found(format!("no `{written}` {place}"), name.span).with_suggestion(suggestion))
                }
                several => {
                    let accounts: Vec<String> = several
                        .iter()
                        .filter_map(|id| graph.node(*id).and_then(|node| node.account.clone()))
                        .collect();
                    Err(QueryError::semantic(
                        format!(
                            "`{written}` is ambiguous: it exists in accounts {}; add `in account ID`",
                            accounts.join(", ")
                        ),
                        name.span,
                    ))
                }
            }
        }
    }
}

/// The principal text of a `can ... do` caller: an ARN as written (it may be outside the
/// snapshot), `*`, or a named node's ARN.
fn principal_text(view: &View, reference: &NodeRef) -> Result<String, QueryError> {
    match reference {
        NodeRef::Arn { arn } => Ok(arn.value.clone()),
        NodeRef::Anyone { .. } => Ok("*".into()),
        NodeRef::Named { .. } => {
            let id = node(view, reference)?;
            Ok(id
                .and_then(|id| view.graph().node(id))
                .map(|node| node.arn.clone())
                .unwrap_or_default())
        }
    }
}
