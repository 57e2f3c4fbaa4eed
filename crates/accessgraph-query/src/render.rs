//! Text forms of an [`Answer`]: a table for people, JSON for programs, Graphviz DOT and Mermaid
//! for pictures. Pure functions of the answer, so a remote answer renders the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use accessgraph_graph::NodeKind;

use crate::answer::{Answer, Change, NodeInfo, Row, Step};

mod cuts;
mod explain;
mod sarif;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per row, for a terminal.
    Table,
    /// The table with every hop explained under its row (`--explain`): the statements that
    /// allow it, its open conditions in words, its technique's requirements, and why the
    /// administrator it reaches is one.
    Explained,
    /// The answer as one JSON document.
    Json,
    /// Graphviz DOT of the union of the paths.
    Dot,
    /// Mermaid flowchart of the union of the paths.
    Mermaid,
    /// SARIF 2.1.0 for code scanning: each path found (for `diff`, each gained), or each change
    /// of a `what cuts` plan, as a result.
    Sarif,
}

/// Renders an answer; `pretty` indents JSON (one document per line otherwise).
#[must_use]
pub fn render(answer: &Answer, format: Format, pretty: bool) -> String {
    match format {
        Format::Table => table(answer, false),
        Format::Explained => table(answer, true),
        Format::Json if pretty => serde_json::to_string_pretty(answer).unwrap_or_default(),
        Format::Json => serde_json::to_string(answer).unwrap_or_default(),
        Format::Dot => dot(answer),
        Format::Mermaid => mermaid(answer),
        Format::Sarif => sarif::render(answer, pretty),
    }
}

fn info<'a>(answer: &'a Answer, id: &str) -> Option<&'a NodeInfo> {
    answer.nodes.get(id)
}

fn account_label(info: &NodeInfo) -> Option<String> {
    let account = info.account.as_ref()?;
    Some(match &info.account_name {
        Some(name) => format!("{name} {account}"),
        None => account.clone(),
    })
}

fn admin_mark(info: Option<&NodeInfo>) -> &'static str {
    match info {
        Some(info) if info.admin && info.admin_conditional => " (admin?)",
        Some(info) if info.admin => " (admin)",
        _ => "",
    }
}

/// A node in a path: its name, its account when it changes, its admin mark.
fn node_label(answer: &Answer, id: &str, previous_account: Option<&str>) -> String {
    let Some(node) = info(answer, id) else {
        return id.to_owned();
    };
    let mut label = node.name.clone();
    if node.account.as_deref() != previous_account
        && let Some(account) = account_label(node)
    {
        let _ = write!(label, " [{account}]");
    }
    label.push_str(admin_mark(Some(node)));
    label
}

fn arrow(step: &Step) -> String {
    // `?`: a conditional hop; `✂`: a hop the plan of `what cuts` removes.
    let mark = match (step.conditional, step.cut) {
        (false, false) => "",
        (true, false) => "?",
        (false, true) => "✂",
        (true, true) => "?✂",
    };
    match (&step.technique, step.edge) {
        (Some(technique), "privesc" | "permit") => format!("--{}:{technique}{mark}-->", step.edge),
        (Some(technique), "sso") => format!("--{technique}{mark}-->"),
        _ => format!("--{}{mark}-->", step.edge),
    }
}

fn path_text(answer: &Answer, row: &Row) -> String {
    let mut text = String::new();
    let first = info(answer, &row.principal);
    let mut account = first.and_then(|node| node.account.clone());
    for step in &row.path {
        let _ = write!(
            text,
            " {} {}",
            arrow(step),
            node_label(answer, &step.to, account.as_deref())
        );
        if let Some(node) = info(answer, &step.to) {
            account = node.account.clone();
        }
    }
    text
}

fn source_label(answer: &Answer, id: &str) -> String {
    let Some(node) = info(answer, id) else {
        return id.to_owned();
    };
    let kind = kind_name(node.kind);
    let mut label = match &node.display_name {
        Some(display) if *display != node.name => format!("{} ({display}, {kind}", node.name),
        _ => format!("{} ({kind}", node.name),
    };
    if let Some(account) = account_label(node) {
        let _ = write!(label, ", {account}");
    }
    label.push(')');
    label
}

/// A node kind as answers name it.
fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::User => "user",
        NodeKind::Group => "group",
        NodeKind::Role => "role",
        NodeKind::SamlProvider => "saml provider",
        NodeKind::WebIdentityProvider => "web identity provider",
        NodeKind::Service => "service",
        NodeKind::ExternalAccount => "external account",
        NodeKind::Anyone => "anyone",
        NodeKind::AccountAdmin
        | NodeKind::ExistingCompute
        | NodeKind::AssumeAnyRole
        | NodeKind::NewCompute
        | NodeKind::UserTakeover => "helper",
        NodeKind::IdentityCenterUser => "identity center user",
        NodeKind::IdentityCenterGroup => "identity center group",
        NodeKind::Resource => "resource",
    }
}

fn count_line(answer: &Answer, noun: &str) -> String {
    let plural = if answer.total == 1 { "" } else { "s" };
    if answer.rows.len() < answer.total {
        format!(
            "{} of {} {noun}{plural} shown (limit)",
            answer.rows.len(),
            answer.total
        )
    } else {
        format!("{} {noun}{plural}", answer.total)
    }
}

/// A decision in words, the same in `eval` and in answers: `allow`, `deny (explicit)`,
/// `deny (implicit: no statement allows)`, `conditional (allowed only if ...; otherwise explicit
/// deny)`. `decision` and `deny_kind` are the names of `accessgraph_policy::Decision::as_str` and
/// `DenyKind::as_str`.
#[must_use]
pub fn decision_words(decision: &str, deny_kind: Option<&str>) -> String {
    match (decision, deny_kind) {
        ("conditional", kind) => format!(
            "conditional (allowed only if the unresolved conditions go its way; otherwise {} deny)",
            if kind == Some("explicit") {
                "explicit"
            } else {
                "implicit"
            }
        ),
        ("deny", Some("explicit")) => "deny (explicit)".to_owned(),
        ("deny", Some("aws_owned")) => {
            "deny (AWS-owned resource: no customer policy can allow it)".to_owned()
        }
        ("deny", _) => "deny (implicit: no statement allows)".to_owned(),
        (other, _) => other.to_owned(),
    }
}

/// The table, then a line per warning (what the answer may miss).
fn table(answer: &Answer, explain: bool) -> String {
    let mut out = table_body(answer, explain);
    for warning in &answer.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

fn table_body(answer: &Answer, explain: bool) -> String {
    let mut out = String::new();
    if let Some(decision) = &answer.decision {
        let _ = writeln!(
            out,
            "decision: {}",
            decision_words(decision.decision, decision.deny_kind.as_deref())
        );
        for citation in &decision.evidence {
            let _ = writeln!(out, "  evidence: {citation}");
        }
        for layer in &decision.missing {
            let _ = writeln!(out, "  no allow in: {layer}");
        }
        for condition in &decision.conditions {
            let _ = writeln!(out, "  unresolved: {condition}");
        }
        if let Some(when) = &decision.allowed_when {
            let _ = writeln!(
                out,
                "  allowed when: {}",
                when.display(&decision.conditions)
            );
        }
        for note in &decision.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        return out;
    }
    if let Some(node) = &answer.node {
        return show_table(answer, node);
    }
    if let Some(cuts) = &answer.cuts {
        cuts::table(&mut out, answer, cuts, explain);
        return out;
    }
    if let Some(reachable) = answer.reachable {
        let _ = writeln!(out, "{}", if reachable { "yes" } else { "no" });
    }
    if answer.statement == "what_can_do" {
        return actions_table(answer);
    }
    for row in &answer.rows {
        let change = match row.change {
            Some(Change::Gained) => "+ ",
            Some(Change::Lost) => "- ",
            None => "",
        };
        let source = source_label(answer, &row.principal);
        if let Some(reason) = &row.reason {
            let mark = if row.conditional {
                " (conditional)"
            } else {
                ""
            };
            let _ = writeln!(out, "{change}{source}: {reason}{mark}");
            write_when(&mut out, row);
            if explain {
                explain::row(&mut out, answer, row);
            }
            continue;
        }
        if row.path.is_empty() {
            let _ = writeln!(
                out,
                "{change}{source}{}",
                admin_mark(info(answer, &row.principal))
            );
        } else {
            let _ = writeln!(out, "{change}{source}{}", path_text(answer, row));
        }
        write_when(&mut out, row);
        if explain {
            explain::row(&mut out, answer, row);
        }
    }
    let noun = match answer.statement {
        "who_is_admin" => "administrator",
        "path" | "can_reach" => "path",
        "what_can_reach" => "reachable node",
        "what_can_access" => "resource",
        "diff" => "change",
        _ => "principal",
    };
    out.push_str(&count_line(answer, noun));
    if answer
        .rows
        .iter()
        .any(|row| row.path.iter().any(|step| step.conditional))
    {
        out.push_str(" (? marks a conditional hop)");
    }
    out.push('\n');
    out
}

/// `what can P do on R`: one line per allowed action, by access level.
fn actions_table(answer: &Answer) -> String {
    let mut out = String::new();
    for row in &answer.rows {
        let level = row.level.as_deref().unwrap_or("other");
        let mark = if row.conditional { "?" } else { "" };
        let action = row
            .path
            .last()
            .and_then(|step| step.technique.as_deref())
            .unwrap_or_default();
        let _ = writeln!(out, "{level}: {action}{mark}");
        write_when(&mut out, row);
    }
    out.push_str(&count_line(answer, "allowed action"));
    if answer.rows.iter().any(|row| row.conditional) {
        out.push_str(" (? marks a conditional one)");
    }
    out.push('\n');
    out
}

/// The formula under which a conditional row holds, on its own line.
fn write_when(out: &mut String, row: &crate::answer::Row) {
    if let Some(when) = &row.allowed_when {
        let _ = writeln!(out, "    when: {}", when.display(&row.conditions));
    }
}

fn show_table(answer: &Answer, node: &crate::answer::NodeDetail) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", node.id);
    if let Some(info) = info(answer, &node.id) {
        let _ = writeln!(out, "  kind: {}", kind_name(info.kind));
        if let Some(account) = account_label(info) {
            let _ = writeln!(out, "  account: {account}");
        }
    }
    match info(answer, &node.id).and_then(|info| info.administrator.as_ref()) {
        Some(admin) => {
            let _ = writeln!(out, "  admin: yes, {}", admin.reason);
            for citation in &admin.evidence {
                let _ = writeln!(out, "    evidence: {citation}");
            }
            if let Some(when) = &admin.allowed_when {
                let _ = writeln!(out, "    when: {}", when.display(&admin.conditions));
            }
        }
        None => {
            let _ = writeln!(out, "  admin: no");
        }
    }
    for profile in &node.instance_profiles {
        let _ = writeln!(out, "  instance profile: {profile}");
    }
    for policy in &node.policies {
        let document = policy.document.as_ref().map_or_else(
            || "(document not in the snapshot)".to_owned(),
            ToString::to_string,
        );
        let _ = writeln!(
            out,
            "  policy ({}) {}: {document}",
            policy.kind, policy.name
        );
    }
    for (title, steps) in [("in", &node.incoming), ("out", &node.outgoing)] {
        let _ = writeln!(out, "  {title}-edges: {}", steps.len());
        for step in steps {
            let _ = writeln!(
                out,
                "    {} {} {}",
                node_label(answer, &step.from, None),
                arrow(step),
                node_label(answer, &step.to, None)
            );
        }
    }
    out
}

/// The nodes and edges of the union of the answer's paths.
fn union(answer: &Answer) -> (Vec<String>, BTreeMap<(String, String), &Step>) {
    let mut nodes: Vec<String> = Vec::new();
    let mut edges: BTreeMap<(String, String), &Step> = BTreeMap::new();
    let add = |id: &str, nodes: &mut Vec<String>| {
        if !nodes.iter().any(|known| known == id) {
            nodes.push(id.to_owned());
        }
    };
    let steps = answer.rows.iter().flat_map(|row| &row.path).chain(
        answer
            .node
            .iter()
            .flat_map(|node| node.incoming.iter().chain(&node.outgoing)),
    );
    for row in &answer.rows {
        add(&row.principal, &mut nodes);
    }
    for step in steps {
        add(&step.from, &mut nodes);
        add(&step.to, &mut nodes);
        edges
            .entry((step.from.clone(), step.to.clone()))
            .and_modify(|known| {
                if step.cut && !known.cut {
                    *known = step;
                }
            })
            .or_insert(step);
    }
    (nodes, edges)
}

fn kind_colour(kind: Option<NodeKind>) -> &'static str {
    match kind {
        Some(NodeKind::User | NodeKind::IdentityCenterUser) => "#cfe2ff",
        Some(NodeKind::Group | NodeKind::IdentityCenterGroup) => "#e2d9f3",
        Some(NodeKind::Role) => "#d1e7dd",
        Some(NodeKind::SamlProvider | NodeKind::WebIdentityProvider) => "#fff3cd",
        Some(NodeKind::ExternalAccount | NodeKind::Anyone) => "#f8d7da",
        Some(NodeKind::Service) => "#e9ecef",
        _ => "#ffffff",
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn edge_label(step: &Step) -> String {
    match (&step.technique, step.edge) {
        (Some(technique), "privesc" | "permit") => format!("{}: {technique}", step.edge),
        (Some(technique), "sso") => technique.clone(),
        _ => step.edge.to_owned(),
    }
}

fn dot(answer: &Answer) -> String {
    let (nodes, edges) = union(answer);
    let mut out = String::from(
        "digraph accessgraph {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n",
    );
    for (index, id) in nodes.iter().enumerate() {
        let node = info(answer, id);
        let mut label = escape(&node.map_or_else(|| id.clone(), |node| node.name.clone()));
        if let Some(account) = node.and_then(account_label) {
            let _ = write!(label, "\\n{}", escape(&account));
        }
        label.push_str(admin_mark(node));
        let admin = if node.is_some_and(|node| node.admin) {
            ", peripheries=2, color=\"#b02a37\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  n{index} [label=\"{label}\", tooltip=\"{}\", fillcolor=\"{}\"{admin}];",
            escape(id),
            kind_colour(node.map(|node| node.kind))
        );
    }
    let position = |id: &str| nodes.iter().position(|known| known == id).unwrap_or(0);
    for ((from, to), step) in &edges {
        let mut style = if step.conditional {
            ", style=dashed".to_owned()
        } else {
            String::new()
        };
        if step.cut {
            // A choke point: the plan of `what cuts` removes this hop.
            style.push_str(", color=\"#b02a37\", fontcolor=\"#b02a37\", penwidth=3");
        }
        let cut = if step.cut { "cut: " } else { "" };
        let _ = writeln!(
            out,
            "  n{} -> n{} [label=\"{cut}{}\"{style}];",
            position(from),
            position(to),
            escape(&edge_label(step))
        );
    }
    out.push_str("}\n");
    out
}

fn mermaid(answer: &Answer) -> String {
    let (nodes, edges) = union(answer);
    let mut out = String::from("flowchart LR\n");
    for (index, id) in nodes.iter().enumerate() {
        let node = info(answer, id);
        let mut label = node.map_or_else(|| id.clone(), |node| node.name.clone());
        if let Some(account) = node.and_then(account_label) {
            let _ = write!(label, "<br/>{account}");
        }
        label.push_str(admin_mark(node));
        let label = label.replace('"', "#quot;");
        let class = node
            .map_or("resource", |node| kind_name(node.kind))
            .replace(' ', "_");
        let _ = writeln!(out, "  n{index}[\"{label}\"]:::{class}");
        if node.is_some_and(|node| node.admin) {
            let _ = writeln!(out, "  class n{index} admin");
        }
    }
    let position = |id: &str| nodes.iter().position(|known| known == id).unwrap_or(0);
    let mut cut_links = Vec::new();
    for (link, ((from, to), step)) in edges.iter().enumerate() {
        let arrow = if step.conditional { "-.->" } else { "-->" };
        let mut label = edge_label(step).replace('"', "#quot;").replace('|', "/");
        if step.cut {
            label.insert_str(0, "cut: ");
            cut_links.push(link.to_string());
        }
        let _ = writeln!(
            out,
            "  n{} {arrow}|\"{label}\"| n{}",
            position(from),
            position(to)
        );
    }
    if !cut_links.is_empty() {
        // The hops the plan of `what cuts` removes.
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:#b02a37,stroke-width:3px",
            cut_links.join(",")
        );
    }
    for kind in [
        NodeKind::User,
        NodeKind::Group,
        NodeKind::Role,
        NodeKind::SamlProvider,
        NodeKind::WebIdentityProvider,
        NodeKind::ExternalAccount,
        NodeKind::Anyone,
        NodeKind::Service,
    ] {
        let _ = writeln!(
            out,
            "  classDef {} fill:{}",
            kind_name(kind).replace(' ', "_"),
            kind_colour(Some(kind))
        );
    }
    out.push_str(
        "  classDef resource fill:#ffffff\n  classDef admin stroke:#b02a37,stroke-width:3px\n",
    );
    out
}
