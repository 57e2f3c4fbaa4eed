//! `--explain`: under each row of the table, every hop with the statements that allow it, its
//! open conditions in words, the requirements of its technique, and why the administrator it
//! reaches is one.

use std::fmt::Write as _;

use accessgraph_policy::words;

use super::info;
use crate::answer::{AdminInfo, Answer, Row, Step};

/// Writes the explanation of one row.
pub(super) fn row(out: &mut String, answer: &Answer, row: &Row) {
    if row.reason.is_some() {
        // A `who is admin` row: its reason is on the row's line, its statements here.
        for line in words::citations(&row.evidence) {
            let _ = writeln!(out, "    {line}");
        }
        return;
    }
    for (index, step) in row.path.iter().enumerate() {
        hop(out, answer, index + 1, step);
    }
    let target = row.path.last().map_or(&row.principal, |step| &step.to);
    if let Some(admin) = info(answer, target).and_then(|node| node.administrator.as_ref()) {
        administrator(out, &plain_name(answer, target), admin);
    }
}

fn hop(out: &mut String, answer: &Answer, number: usize, step: &Step) {
    let from = plain_name(answer, &step.from);
    let to = plain_name(answer, &step.to);
    let mut how = match &step.technique {
        Some(technique) => format!("{} {technique}", step.edge),
        None => step.edge.to_owned(),
    };
    if let Some(id) = &step.catalog_id {
        let _ = write!(how, " ({id})");
    }
    let mark = if step.conditional {
        ", conditional"
    } else {
        ""
    };
    let _ = writeln!(out, "    {number}. {from} -> {to}: {how}{mark}");
    for line in words::citations(&step.evidence) {
        let _ = writeln!(out, "       {line}");
    }
    if step.evidence.is_empty() && step.details.is_empty() {
        let _ = writeln!(out, "       {}", without_statement(step.edge));
    }
    for detail in &step.details {
        let _ = writeln!(out, "       {detail}");
    }
    for requirement in &step.requirements {
        let _ = writeln!(out, "       requires: {requirement}");
    }
    for alternative in &step.alternatives {
        let _ = writeln!(out, "       also by: {alternative}");
    }
    if let Some(when) = &step.allowed_when {
        let when = when.words(&step.conditions).to_string();
        // A formula of the requirements alone says nothing more.
        if when != step.requirements.join(" and ") {
            let _ = writeln!(out, "       holds only if: {when}");
        }
    }
}

fn administrator(out: &mut String, name: &str, admin: &AdminInfo) {
    let _ = writeln!(out, "    {name} is an administrator: {}", admin.reason);
    for line in words::citations(&admin.evidence) {
        let _ = writeln!(out, "       {line}");
    }
    if let Some(when) = &admin.allowed_when {
        let _ = writeln!(out, "       only if: {}", when.words(&admin.conditions));
    }
}

/// What justifies a hop that no policy statement does.
fn without_statement(edge: &str) -> &'static str {
    match edge {
        "member" => "by membership of the group",
        "takeover" => "an administrator of an account can take over any principal of it",
        _ => "no policy statement is cited",
    }
}

/// A node's name, without account or admin mark.
fn plain_name(answer: &Answer, id: &str) -> String {
    info(answer, id).map_or_else(|| id.to_owned(), |node| node.name.clone())
}
