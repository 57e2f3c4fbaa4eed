//! Execution: a [`Plan`] run on a [`View`] into an [`Answer`].

use std::collections::{BTreeMap, HashSet};

use accessgraph_graph::{
    EdgeKind, Filter, Graph, Hop, NodeId, NodeKind, Path, Simulator, UNKNOWN_IDENTITY,
};
use accessgraph_model::{PolicyHash, Snapshot};
use accessgraph_policy::{Evaluation, RequestContext};

use crate::answer::{Answer, Change, DecisionInfo, NodeDetail, PolicyInfo, Row, Step, Writer};
use crate::ast::{
    AccessLevel, PathMode, Query, RequestSpec, Span, Spanned, Statement, level_words,
};
use crate::error::QueryError;
use crate::plan::{DEFAULT_PATH_LIMIT, Op, Plan, Targets, plan, snapshot_of};
use crate::view::{Catalog, View};

/// Parses, plans and executes one query on the catalog's snapshots.
///
/// # Errors
/// A [`QueryError`]: syntax, or a semantic error naming its token (unknown snapshot, node,
/// account, ...).
pub fn run(text: &str, catalog: &dyn Catalog) -> Result<Answer, QueryError> {
    let query = crate::parse(text)?;
    run_query(&query, catalog)
}

/// Plans and executes a parsed query.
///
/// # Errors
/// As [`run`].
pub fn run_query(query: &Query, catalog: &dyn Catalog) -> Result<Answer, QueryError> {
    let at = snapshot_of(query);
    let view = catalog
        .view(at.as_ref().map(|at| at.value))
        .map_err(|error| {
            QueryError::semantic(error.to_string(), at.map_or(Span::default(), |at| at.span))
        })?;
    let plan = plan(query, &view)?;
    execute(&plan, &view, catalog)
}

fn statement_name(statement: &Statement) -> &'static str {
    match statement {
        Statement::WhoCanReach { .. } => "who_can_reach",
        Statement::WhoCanDo { .. } => "who_can_do",
        Statement::WhoIsAdmin { .. } => "who_is_admin",
        Statement::CanDo { .. } => "can_do",
        Statement::CanReach { .. } => "can_reach",
        Statement::Path { .. } => "path",
        Statement::WhatCanReach { .. } => "what_can_reach",
        Statement::WhoCanAccess { .. } => "who_can_access",
        Statement::WhatCanAccess { .. } => "what_can_access",
        Statement::WhatCanDo { .. } => "what_can_do",
        Statement::Show { .. } => "show",
        Statement::Diff { .. } => "diff",
        Statement::WhatCuts { .. } => "what_cuts",
    }
}

/// Executes a plan on the view it was planned against.
///
/// # Errors
/// When a snapshot the plan needs cannot be read, or a simulated request names a principal
/// that does not exist.
pub fn execute(plan: &Plan, view: &View, catalog: &dyn Catalog) -> Result<Answer, QueryError> {
    let mut rows = Vec::new();
    let mut answer = execute_streaming(plan, view, catalog, &mut |_| {}, &mut |row| {
        rows.push(row);
    })?;
    answer.rows = rows;
    Ok(answer)
}

/// Like [`execute`], but the rows of `who can reach` and `who can LEVEL` go to `on_row` as they
/// are written, in the answer's order, after `on_start` has seen the answer's header (its query,
/// statement and snapshot): the first rows of a large answer are ready long before the last.
/// The answer returned holds the rest (total, node labels, warnings) and the rows of every other
/// statement, which are computed whole.
///
/// # Errors
/// As [`execute`]; rows already given to `on_row` stand.
pub fn execute_streaming(
    plan: &Plan,
    view: &View,
    catalog: &dyn Catalog,
    on_start: &mut dyn FnMut(&Answer),
    on_row: &mut dyn FnMut(Row),
) -> Result<Answer, QueryError> {
    let graph = view.graph();
    let mut writer = Writer::new(graph);
    let mut answer = Answer {
        query: plan.query.to_string(),
        statement: statement_name(&plan.query.statement),
        snapshot: Some(view.snapshot_ref()),
        ..Answer::default()
    };
    let limit = plan.limit.unwrap_or(usize::MAX);
    let mut streamed = false;
    match &plan.op {
        Op::WhoCanReach(targets) => {
            on_start(&answer);
            streamed = true;
            answer.total = who_can_reach(graph, &mut writer, targets, plan, limit, on_row);
        }
        Op::CanReach { from, targets } => {
            let rows = from
                .map(|from| reach_targets(graph, &mut writer, from, targets, &plan.filter))
                .unwrap_or_default();
            answer.reachable = Some(!rows.is_empty());
            finish(&mut answer, rows, limit);
        }
        Op::Paths {
            from,
            targets,
            mode,
        } => {
            let rows = from
                .map(|from| paths(graph, &mut writer, from, targets, *mode, plan))
                .unwrap_or_default();
            answer.reachable = Some(!rows.is_empty());
            finish(&mut answer, rows, limit);
        }
        Op::Reachable { from } => {
            let rows: Vec<Row> = from
                .map(|from| {
                    graph
                        .reachable_from(from, &plan.filter)
                        .into_iter()
                        .filter(|(node, _)| *node != from)
                        .map(|(node, path)| writer.row(from, node, &path))
                        .collect()
                })
                .unwrap_or_default();
            finish(&mut answer, rows, limit);
        }
        Op::Admins { accounts } => {
            let mut rows = Vec::new();
            for account in accounts {
                for admin in graph.admins(account) {
                    rows.push(admin_row(graph, &mut writer, admin));
                }
            }
            finish(&mut answer, rows, limit);
        }
        Op::CanDo { principal, request } => {
            let simulator = simulator(view)?;
            let evaluation = simulator
                .evaluate(
                    principal,
                    &request.action.value,
                    &request.resource.value,
                    &context(&request.context),
                )
                .map_err(|error| {
                    QueryError::semantic(error.to_string(), plan_principal_span(&plan.query))
                })?;
            answer.decision = Some(DecisionInfo::of(&evaluation));
        }
        Op::WhoCanDo { request, actions } => {
            let simulator = simulator(view)?;
            let rows = who_can_do(graph, &simulator, &mut writer, request, actions, plan);
            finish(&mut answer, rows, limit);
        }
        Op::WhoCanAccess { target, level } => {
            on_start(&answer);
            streamed = true;
            answer.total = who_can_access(graph, &mut writer, *target, *level, plan, limit, on_row);
        }
        Op::WhatCanAccess { from, level } => {
            let rows = from
                .map(|from| what_can_access(graph, &mut writer, from, *level, &plan.filter))
                .unwrap_or_default();
            finish(&mut answer, rows, limit);
        }
        Op::WhatCanDo {
            principal,
            resource,
            context,
        } => {
            let simulator = simulator(view)?;
            let rows = what_can_do(&simulator, principal, resource, context)
                .map_err(|error| QueryError::semantic(error, plan_principal_span(&plan.query)))?;
            finish(&mut answer, rows, limit);
        }
        Op::Show { node } => {
            let snapshot = view
                .snapshot()
                .map_err(|error| QueryError::semantic(error, Span::default()))?;
            answer.node = Some(show(graph, &snapshot, &mut writer, *node));
        }
        Op::Cuts {
            target,
            targets,
            keep_nodes,
            keep_policies,
            check,
        } => {
            let asked = crate::cuts::Asked {
                target,
                keep_nodes,
                keep_policies,
                check: *check,
            };
            let (cuts, rows, total) =
                crate::cuts::what_cuts(view, plan, &asked, &targets.nodes, &mut writer)?;
            answer.rows = rows;
            answer.total = total;
            answer.cuts = Some(cuts);
        }
        Op::Diff {
            before,
            after,
            target,
        } => {
            let fetch = |id: &crate::ast::Spanned<u64>| {
                catalog
                    .view(Some(id.value))
                    .map_err(|error| QueryError::from_catalog(&error, id.span))
            };
            let (old, new) = (fetch(before)?, fetch(after)?);
            answer.snapshot = Some(new.snapshot_ref());
            answer.before = Some(old.snapshot_ref());
            let side = |view: &View| -> Result<
                (Vec<Row>, BTreeMap<String, crate::answer::NodeInfo>),
                QueryError,
            > {
                let targets = match crate::plan::targets(view, target, &plan.filter) {
                    Ok(targets) => targets,
                    // A node missing from one snapshot reaches nothing there.
                    Err(error) if error.message.starts_with("no ") => Targets {
                        nodes: Vec::new(),
                        admin_of: None,
                    },
                    Err(error) => return Err(error),
                };
                let mut writer = Writer::new(view.graph());
                let mut rows = Vec::new();
                who_can_reach(
                    view.graph(),
                    &mut writer,
                    &targets,
                    plan,
                    usize::MAX,
                    &mut |row| rows.push(row),
                );
                Ok((rows, writer.nodes))
            };
            let (old_rows, old_nodes) = side(&old)?;
            let (new_rows, new_nodes) = side(&new)?;
            let key = |row: &Row| (row.principal.clone(), row.target.clone());
            let old_keys: HashSet<_> = old_rows.iter().map(key).collect();
            let new_keys: HashSet<_> = new_rows.iter().map(key).collect();
            let mut rows: Vec<Row> = Vec::new();
            for mut row in new_rows
                .into_iter()
                .filter(|row| !old_keys.contains(&key(row)))
            {
                row.change = Some(Change::Gained);
                rows.push(row);
            }
            for mut row in old_rows
                .into_iter()
                .filter(|row| !new_keys.contains(&key(row)))
            {
                row.change = Some(Change::Lost);
                rows.push(row);
            }
            writer.nodes = old_nodes;
            writer.nodes.extend(new_nodes);
            finish(&mut answer, rows, limit);
        }
    }
    if plan.filter.stop.stopped() {
        return Err(QueryError::interrupted(plan.filter.stop.deadline_passed()));
    }
    answer.nodes = writer.nodes;
    // Streamed rows are written only when kept, so every label they made is named; the rows of
    // other statements go out now, after their labels were trimmed.
    if !streamed {
        retain_named_nodes(&mut answer);
        for row in std::mem::take(&mut answer.rows) {
            on_row(row);
        }
    }
    answer.warnings = crate::coverage::warnings(graph, &plan.query);
    Ok(answer)
}

/// Keeps the node labels the answer refers to (a limit may have dropped rows).
fn retain_named_nodes(answer: &mut Answer) {
    let mut named: HashSet<&str> = HashSet::new();
    for row in &answer.rows {
        named.insert(&row.principal);
        named.insert(&row.target);
        for step in &row.path {
            named.insert(&step.from);
            named.insert(&step.to);
        }
    }
    if let Some(node) = &answer.node {
        named.insert(&node.id);
        for step in node.incoming.iter().chain(&node.outgoing) {
            named.insert(&step.from);
            named.insert(&step.to);
        }
    }
    if let Some(cuts) = &answer.cuts {
        let plan = &cuts.plan;
        for id in cuts
            .choke_points
            .iter()
            .flat_map(|point| &point.examples)
            .chain(&plan.uncut)
            .chain(&plan.through_kept)
        {
            named.insert(id);
        }
    }
    let mut nodes = std::mem::take(&mut answer.nodes);
    nodes.retain(|id, _| named.contains(id.as_str()));
    answer.nodes = nodes;
}

fn finish(answer: &mut Answer, mut rows: Vec<Row>, limit: usize) {
    answer.total = rows.len();
    rows.truncate(limit);
    answer.rows = rows;
}

fn plan_principal_span(query: &Query) -> Span {
    match &query.statement {
        Statement::CanDo { principal, .. } | Statement::WhatCanDo { principal, .. } => {
            principal.span()
        }
        _ => Span::default(),
    }
}

fn simulator(view: &View) -> Result<std::sync::Arc<Simulator>, QueryError> {
    view.simulator()
        .map_err(|error| QueryError::semantic(error, Span::default()))
}

fn context(pairs: &[(Spanned<String>, Spanned<String>)]) -> RequestContext {
    let mut context = RequestContext::new();
    for (key, value) in pairs {
        context.insert(&key.value, value.value.clone());
    }
    context
}

/// Whether a node may be listed as a source: principals only (no services, resources, helpers),
/// and people only when asked.
fn listable(graph: &Graph, node: NodeId, people_only: bool) -> bool {
    graph.node(node).is_some_and(|node| {
        if people_only {
            matches!(node.kind, NodeKind::User | NodeKind::IdentityCenterUser)
        } else {
            !node.kind.is_helper() && !matches!(node.kind, NodeKind::Service | NodeKind::Resource)
        }
    })
}

fn path_end(source: NodeId, path: &Path) -> NodeId {
    path.hops.last().map_or(source, |hop| hop.to)
}

/// `who can reach`: rows for every source reaching the targets to `emit`, nearest first, paths
/// built for the first `limit`; returns the total before `limit`.
fn who_can_reach(
    graph: &Graph,
    writer: &mut Writer<'_>,
    targets: &Targets,
    plan: &Plan,
    limit: usize,
    emit: &mut dyn FnMut(Row),
) -> usize {
    reverse_rows(
        graph,
        writer,
        &targets.nodes,
        plan,
        limit,
        &Finish {
            make: &|source, path| Some((path_end(source, &path), path)),
            added_hops: 0,
        },
        emit,
    )
}

/// How a source's path to an entry becomes a row's target and path.
struct Finish<'a> {
    /// Makes them (`None` drops the source).
    make: &'a dyn Fn(NodeId, Path) -> Option<(NodeId, Path)>,
    /// Hops `make` adds to every path.
    added_hops: usize,
}

/// Rows for every listable source the reverse search from `entries` reaches, to `emit` nearest
/// first (fewest hops, then in search order), paths built for the first `limit`; returns the
/// total. `finish` turns a source's path to an entry into the row's target and path, which
/// `max hops` then bounds. The paths are found and ordered first, then each row is written (its
/// evidence, the costly part) and emitted, so the first row of a large answer is out long before
/// the last.
fn reverse_rows(
    graph: &Graph,
    writer: &mut Writer<'_>,
    entries: &[NodeId],
    plan: &Plan,
    limit: usize,
    finish: &Finish<'_>,
    emit: &mut dyn FnMut(Row),
) -> usize {
    let added_hops = finish.added_hops;
    let reach = graph.reach(entries, &plan.filter);
    let mut found: Vec<(NodeId, NodeId, Path)> = Vec::new();
    let mut total = 0;
    for source in reach.sources(graph, &plan.filter) {
        if plan.filter.stop.stopped() {
            break;
        }
        if !listable(graph, source, plan.people_only) {
            continue;
        }
        // Past the page, a source only counts: its path is built only when `max hops` may
        // drop it (`finish` adds `added_hops` to the path).
        if found.len() >= limit
            && plan.filter.max_hops.is_none_or(|max| {
                max >= added_hops && reach.surely_within(graph, source, max - added_hops)
            })
        {
            total += 1;
            continue;
        }
        let Some((target, path)) = reach
            .path(graph, source)
            .and_then(|path| (finish.make)(source, path))
        else {
            continue;
        };
        if plan
            .filter
            .max_hops
            .is_some_and(|max| path.hops.len() > max)
        {
            continue;
        }
        total += 1;
        if found.len() < limit {
            found.push((source, target, path));
        }
    }
    // Stable: equal lengths keep the search's order.
    found.sort_by_key(|(_, _, path)| path.hops.len());
    for (source, target, path) in found {
        if plan.filter.stop.stopped() {
            break;
        }
        emit(writer.row(source, target, &path));
    }
    total
}

/// The shortest path from `from` to each target it reaches.
fn reach_targets(
    graph: &Graph,
    writer: &mut Writer<'_>,
    from: NodeId,
    targets: &Targets,
    filter: &Filter,
) -> Vec<Row> {
    let wanted: HashSet<NodeId> = targets.nodes.iter().copied().collect();
    if wanted.contains(&from) {
        return vec![writer.row(from, from, &Path::default())];
    }
    // A path through another target is that target's path extended: only the first target
    // reached on each path counts.
    graph
        .reachable_from(from, filter)
        .into_iter()
        .filter(|(node, path)| {
            wanted.contains(node)
                && !path
                    .hops
                    .iter()
                    .rev()
                    .skip(1)
                    .any(|hop| wanted.contains(&hop.to))
        })
        .map(|(node, path)| writer.row(from, node, &path))
        .collect()
}

fn paths(
    graph: &Graph,
    writer: &mut Writer<'_>,
    from: NodeId,
    targets: &Targets,
    mode: PathMode,
    plan: &Plan,
) -> Vec<Row> {
    let count = match mode {
        PathMode::Shortest => 1,
        PathMode::K(k) => usize::try_from(k).unwrap_or(usize::MAX),
        PathMode::All => plan.limit.unwrap_or(DEFAULT_PATH_LIMIT),
    };
    if mode == PathMode::Shortest {
        return reach_targets(graph, writer, from, targets, &plan.filter)
            .into_iter()
            .take(1)
            .collect();
    }
    let mut found: Vec<(NodeId, Path)> = Vec::new();
    for target in &targets.nodes {
        if *target == from {
            found.push((from, Path::default()));
            continue;
        }
        found.extend(
            graph
                .paths(from, *target, &plan.filter, count)
                .into_iter()
                .map(|path| (*target, path)),
        );
    }
    found.sort_by_key(|(_, path)| path.hops.len());
    found.truncate(count);
    found
        .iter()
        .map(|(target, path)| writer.row(from, *target, path))
        .collect()
}

fn admin_row(graph: &Graph, writer: &mut Writer<'_>, admin: NodeId) -> Row {
    let mut row = writer.row(admin, admin, &Path::default());
    if let Some(info) = graph.node(admin).and_then(|node| node.admin.as_ref()) {
        row.reason = Some(info.reason.clone());
        row.evidence = info.evidence.clone();
        row.conditional = info.status != accessgraph_policy::Tri::True;
        if !info.conditions.is_settled() {
            row.conditions = info.conditions.list.clone();
            row.allowed_when = Some(info.conditions.when.clone());
        }
    }
    row
}

/// The last step of a `who can do` path: `from` making the request `technique` (the action, or
/// the actions a wildcard names that it is allowed) on `resource`.
fn request_step(from: String, resource: &str, technique: String, evaluation: &Evaluation) -> Step {
    Step {
        from,
        to: resource.to_owned(),
        edge: "permit",
        technique: Some(technique),
        catalog_id: None,
        evidence: evaluation
            .evidence
            .iter()
            .filter(|citation| &*citation.policy != UNKNOWN_IDENTITY)
            .cloned()
            .collect(),
        conditional: evaluation.decision != accessgraph_policy::Decision::Allow,
        conditions: evaluation.conditions.clone(),
        allowed_when: evaluation.allowed_when.clone(),
        requirements: evaluation.notes.clone(),
        details: Vec::new(),
        alternatives: Vec::new(),
        cut: false,
    }
}

/// How many of a wildcard's allowed actions a row names before `and N more`.
const ACTIONS_SHOWN: usize = 5;

/// Principals allowed a request directly (users, roles, and principals outside the snapshot that
/// a resource policy names), then everyone reaching one of them. With several actions (a
/// wildcard), a principal allowed any of them is listed, with the actions it is allowed and the
/// most certain evaluation.
fn who_can_do<'a>(
    graph: &Graph,
    simulator: &Simulator,
    writer: &mut Writer<'_>,
    request: &RequestSpec,
    actions: &'a [String],
    plan: &Plan,
) -> Vec<Row> {
    let context = context(&request.context);
    let resource = &request.resource.value;
    let outside: Vec<(NodeId, &str)> = graph
        .nodes()
        .filter(|(_, info)| {
            matches!(
                info.kind,
                NodeKind::ExternalAccount
                    | NodeKind::Anyone
                    | NodeKind::SamlProvider
                    | NodeKind::WebIdentityProvider
            )
        })
        .map(|(node, info)| (node, info.arn.as_str()))
        .collect();
    let mut allowed: BTreeMap<NodeId, (Vec<&str>, Evaluation)> = BTreeMap::new();
    let mut record = |node: NodeId, action: &'a str, evaluation: Evaluation| {
        let entry = allowed
            .entry(node)
            .or_insert_with(|| (Vec::new(), evaluation.clone()));
        if entry.1.decision != accessgraph_policy::Decision::Allow
            && evaluation.decision == accessgraph_policy::Decision::Allow
        {
            entry.1 = evaluation;
        }
        entry.0.push(action);
    };
    for action in actions {
        if plan.filter.stop.stopped() {
            break;
        }
        for (arn, evaluation) in simulator.allowed(action, resource, &context) {
            if let Some(node) = graph.find(arn) {
                record(node, action, evaluation);
            }
        }
        for (node, arn) in &outside {
            if let Ok(evaluation) = simulator.evaluate(arn, action, resource, &context)
                && evaluation.decision.is_possible()
            {
                record(*node, action, evaluation);
            }
        }
    }
    let targets: Vec<NodeId> = allowed.keys().copied().collect();
    let reach = graph.reach(&targets, &plan.filter);
    let mut rows = Vec::new();
    for source in reach.sources(graph, &plan.filter) {
        if plan.filter.stop.stopped() {
            break;
        }
        if !listable(graph, source, plan.people_only) {
            continue;
        }
        let Some(path) = reach.path(graph, source) else {
            continue;
        };
        let end = path_end(source, &path);
        let Some((names, evaluation)) = allowed.get(&end) else {
            continue;
        };
        if plan.filter.definite_only && evaluation.decision != accessgraph_policy::Decision::Allow {
            continue;
        }
        let mut technique = names
            .iter()
            .take(ACTIONS_SHOWN)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > ACTIONS_SHOWN {
            technique.push_str(&format!(" and {} more", names.len() - ACTIONS_SHOWN));
        }
        let mut row = writer.row(source, end, &path);
        let from = writer.id(end);
        row.path
            .push(request_step(from, resource, technique, evaluation));
        row.target = resource.clone();
        row.join_conditions();
        if plan.filter.max_hops.is_none_or(|max| row.path.len() <= max) {
            rows.push(row);
        }
    }
    rows.sort_by_key(|row| row.path.len());
    rows
}

/// The hops into `target` that give `level` (a permit edge with that access level), the most
/// certain per source, as the filter allows them.
fn level_hops(
    graph: &Graph,
    target: NodeId,
    level: AccessLevel,
    filter: &Filter,
) -> BTreeMap<NodeId, (bool, Hop)> {
    let mut best: BTreeMap<NodeId, (bool, Hop)> = BTreeMap::new();
    for hop in graph.hops(target, true) {
        let Some(conditional) = gives_level(graph, &hop, level, filter) else {
            continue;
        };
        match best.get(&hop.from) {
            Some((kept_conditional, _)) if !*kept_conditional || conditional => {}
            _ => {
                best.insert(hop.from, (conditional, hop));
            }
        }
    }
    best
}

/// Whether a hop's permit edge gives `level` (as the filter allows it): `Some(conditional)`.
fn gives_level(graph: &Graph, hop: &Hop, level: AccessLevel, filter: &Filter) -> Option<bool> {
    if filter
        .kinds
        .as_ref()
        .is_some_and(|kinds| !kinds.contains(&EdgeKind::Permit))
    {
        return None;
    }
    let edges: Vec<_> = hop
        .edges
        .iter()
        .filter_map(|edge| graph.edge(*edge))
        .collect();
    let access = edges
        .iter()
        .filter(|edge| edge.kind == EdgeKind::Permit)
        .flat_map(|edge| edge.access.iter())
        .find(|access| access.level == level)?;
    let conditional = access.conditional || edges.iter().any(|edge| edge.is_conditional());
    (!(filter.definite_only && conditional)).then_some(conditional)
}

/// `who can LEVEL R`: every source reaching a principal with that access to the resource, the
/// path ending with that principal's permit hop; nearest first, paths built for the first
/// `limit`.
fn who_can_access(
    graph: &Graph,
    writer: &mut Writer<'_>,
    target: NodeId,
    level: AccessLevel,
    plan: &Plan,
    limit: usize,
    emit: &mut dyn FnMut(Row),
) -> usize {
    let direct = level_hops(graph, target, level, &plan.filter);
    let entries: Vec<NodeId> = direct.keys().copied().collect();
    reverse_rows(
        graph,
        writer,
        &entries,
        plan,
        limit,
        &Finish {
            make: &|source, mut path| {
                let (_, hop) = direct.get(&path_end(source, &path))?;
                path.hops.push(hop.clone());
                Some((target, path))
            },
            added_hops: 1,
        },
        &mut |mut row| {
            row.level = Some(level_words(level).to_owned());
            emit(row);
        },
    )
}

/// `what can NODE LEVEL`: the resources the node, or a principal it reaches, has that access
/// to; one row per resource, by the shortest path (a definite last hop preferred).
fn what_can_access(
    graph: &Graph,
    writer: &mut Writer<'_>,
    from: NodeId,
    level: AccessLevel,
    filter: &Filter,
) -> Vec<Row> {
    let mut reached = graph.reachable_from(from, filter);
    if !reached.iter().any(|(node, _)| *node == from) {
        reached.push((from, Path::default()));
    }
    let mut found: BTreeMap<NodeId, (usize, bool, Path)> = BTreeMap::new();
    for (node, path) in reached {
        if filter.stop.stopped() {
            break;
        }
        if graph
            .node(node)
            .is_none_or(|info| info.kind == NodeKind::Resource)
        {
            continue;
        }
        for hop in graph.hops(node, false) {
            if graph
                .node(hop.to)
                .is_none_or(|info| info.kind != NodeKind::Resource)
            {
                continue;
            }
            let Some(conditional) = gives_level(graph, &hop, level, filter) else {
                continue;
            };
            let length = path.hops.len() + 1;
            if filter.max_hops.is_some_and(|max| length > max) {
                continue;
            }
            let better = found
                .get(&hop.to)
                .is_none_or(|(kept, kept_conditional, _)| {
                    (length, conditional) < (*kept, *kept_conditional)
                });
            if better {
                let mut extended = path.clone();
                let to = hop.to;
                extended.hops.push(hop);
                found.insert(to, (length, conditional, extended));
            }
        }
    }
    let mut rows: Vec<Row> = found
        .into_iter()
        .map(|(resource, (_, _, path))| {
            let mut row = writer.row(from, resource, &path);
            row.level = Some(level_words(level).to_owned());
            row
        })
        .collect();
    rows.sort_by_key(|row| row.path.len());
    rows
}

/// `what can P do on R`: every action of the catalog on the resource's type, decided for the
/// principal on the objects the graph probes; one row per allowed (or conditional) action, by
/// access level.
fn what_can_do(
    simulator: &Simulator,
    principal: &str,
    resource: &Spanned<String>,
    pairs: &[(Spanned<String>, Spanned<String>)],
) -> Result<Vec<Row>, String> {
    let actions = simulator.access_actions(&resource.value);
    if actions.is_empty() {
        return Err(format!(
            "`{}` is not a resource of a kind accessgraph knows the actions of (an S3 bucket, a KMS key, a Lambda function, an SQS queue, an SNS topic, a secret or a REST API)",
            resource.value
        ));
    }
    let context = context(pairs);
    let mut rows = Vec::new();
    for (level, action) in actions {
        let mut best: Option<Evaluation> = None;
        for probe in simulator.probes(principal, &resource.value, action) {
            let evaluation = simulator
                .evaluate(principal, action, &probe, &context)
                .map_err(|error| error.to_string())?;
            let rank = |evaluation: &Evaluation| match evaluation.decision {
                accessgraph_policy::Decision::Allow => 0,
                accessgraph_policy::Decision::Conditional { .. } => 1,
                accessgraph_policy::Decision::Deny(_) => 2,
            };
            if best
                .as_ref()
                .is_none_or(|kept| rank(&evaluation) < rank(kept))
            {
                best = Some(evaluation);
            }
        }
        let Some(evaluation) = best.filter(|evaluation| evaluation.decision.is_possible()) else {
            continue;
        };
        let step = request_step(
            principal.to_owned(),
            &resource.value,
            action.to_owned(),
            &evaluation,
        );
        let mut row = Row {
            principal: principal.to_owned(),
            target: resource.value.clone(),
            path: vec![step],
            conditional: false,
            conditions: Vec::new(),
            allowed_when: None,
            change: None,
            reason: None,
            evidence: Vec::new(),
            level: Some(level_words(level).to_owned()),
        };
        row.join_conditions();
        rows.push(row);
    }
    Ok(rows)
}

fn document(snapshot: &Snapshot, hash: &PolicyHash) -> Option<serde_json::Value> {
    snapshot
        .documents
        .get(hash)
        .and_then(|text| serde_json::from_str(text).ok())
}

fn managed(snapshot: &Snapshot, kind: &'static str, arn: &str) -> PolicyInfo {
    let document = snapshot
        .accounts
        .iter()
        .flat_map(|account| &account.managed_policies)
        .find(|policy| policy.arn == arn)
        .and_then(|policy| policy.default_document())
        .and_then(|hash| document(snapshot, hash));
    PolicyInfo {
        kind,
        name: arn.to_owned(),
        document,
    }
}

/// A principal's own policies: inline, attached managed, and the permissions boundary.
fn own_policies(
    snapshot: &Snapshot,
    (inline_kind, managed_kind): (&'static str, &'static str),
    inline: &[accessgraph_model::InlinePolicy],
    attached: &[String],
    boundary: Option<&String>,
) -> Vec<PolicyInfo> {
    inline
        .iter()
        .map(|policy| PolicyInfo {
            kind: inline_kind,
            name: policy.name.clone(),
            document: document(snapshot, &policy.document),
        })
        .chain(
            attached
                .iter()
                .map(|arn| managed(snapshot, managed_kind, arn)),
        )
        .chain(boundary.map(|arn| managed(snapshot, "boundary", arn)))
        .collect()
}

/// The policies of a user, role, group or resource of `account`, from the snapshot.
fn policies_of(snapshot: &Snapshot, account: Option<&str>, arn: &str) -> Vec<PolicyInfo> {
    let mut out = Vec::new();
    let Some(account) = account.and_then(|account| snapshot.account(account)) else {
        return out;
    };
    let own = ("inline", "managed");
    if let Some(role) = account.roles.iter().find(|role| role.arn == arn) {
        out.push(PolicyInfo {
            kind: "trust",
            name: "AssumeRolePolicyDocument".into(),
            document: document(snapshot, &role.trust_policy),
        });
        out.extend(own_policies(
            snapshot,
            own,
            &role.inline_policies,
            &role.attached_policies,
            role.permissions_boundary.as_ref(),
        ));
    }
    if let Some(user) = account.users.iter().find(|user| user.arn == arn) {
        out.extend(own_policies(
            snapshot,
            own,
            &user.inline_policies,
            &user.attached_policies,
            user.permissions_boundary.as_ref(),
        ));
        for group in account
            .groups
            .iter()
            .filter(|group| user.groups.contains(&group.name))
        {
            out.extend(own_policies(
                snapshot,
                ("group_inline", "group_managed"),
                &group.inline_policies,
                &group.attached_policies,
                None,
            ));
        }
    }
    if let Some(group) = account.groups.iter().find(|group| group.arn == arn) {
        out.extend(own_policies(
            snapshot,
            own,
            &group.inline_policies,
            &group.attached_policies,
            None,
        ));
    }
    if let Some(resource) = account
        .resource_policies
        .iter()
        .find(|resource| resource.arn == arn)
    {
        out.push(PolicyInfo {
            kind: "resource",
            name: format!("{arn}#policy"),
            document: document(snapshot, &resource.document),
        });
    }
    out
}

fn show(graph: &Graph, snapshot: &Snapshot, writer: &mut Writer<'_>, node: NodeId) -> NodeDetail {
    let info = graph.node(node);
    let id = writer.id(node);
    let incoming = graph
        .hops(node, true)
        .iter()
        .map(|hop| writer.step(hop))
        .collect();
    let outgoing = graph
        .hops(node, false)
        .iter()
        .map(|hop| writer.step(hop))
        .collect();
    NodeDetail {
        policies: policies_of(snapshot, info.and_then(|info| info.account.as_deref()), &id),
        id,
        instance_profiles: info
            .map(|info| info.instance_profiles.clone())
            .unwrap_or_default(),
        incoming,
        outgoing,
    }
}
