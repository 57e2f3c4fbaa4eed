//! `what cuts` as a table: the choke points ranked, the plan, what it leaves, and the check; with
//! `--explain`, every edited policy before and after.

use std::fmt::Write as _;

use super::{path_text, source_label};
use crate::answer::Answer;
use crate::cuts::{CutsAnswer, FixInfo};

/// Most changes of a plan the table lists.
const PLAN_LINES: usize = 50;

/// Writes the choke points and the plan.
pub(super) fn table(out: &mut String, answer: &Answer, cuts: &CutsAnswer, explain: bool) {
    let _ = writeln!(
        out,
        "{} principal{} reach{} the targets",
        cuts.sources,
        plural(cuts.sources),
        if cuts.sources == 1 { "es" } else { "" }
    );
    if !cuts.choke_points.is_empty() {
        let shown = if cuts.choke_points.len() < answer.total {
            format!(
                " ({} of the {} changes on shortest paths)",
                cuts.choke_points.len(),
                answer.total
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "choke points, most principals cut off alone first{shown}:"
        );
    }
    for (rank, point) in cuts.choke_points.iter().enumerate() {
        let _ = writeln!(out, "{:>3}. {}", rank + 1, change_words(&point.change));
        let examples: Vec<String> = point
            .examples
            .iter()
            .map(|id| source_label(answer, id))
            .collect();
        let _ = write!(
            out,
            "     cuts off {} of {}, on {} shortest path{}, removes {} edge{}",
            point.disconnects,
            cuts.sources,
            point.shortest_paths,
            plural(point.shortest_paths),
            point.edges,
            plural(point.edges)
        );
        if examples.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, ": {}", examples.join(", "));
        }
        if explain {
            for fix in &point.change {
                if let (Some(before), Some(after)) = (&fix.before, &fix.after) {
                    let _ = writeln!(out, "     before: {before}");
                    let _ = writeln!(out, "     after:  {after}");
                }
            }
        }
    }
    if !answer.rows.is_empty() {
        let _ = writeln!(
            out,
            "paths of the principals named above (✂ marks a hop the plan removes):"
        );
        for row in &answer.rows {
            let _ = writeln!(
                out,
                "  {}{}",
                source_label(answer, &row.principal),
                path_text(answer, row)
            );
        }
    }
    let plan = &cuts.plan;
    let method = match plan.method {
        accessgraph_graph::Method::Exact => "exact: no plan has fewer changes",
        accessgraph_graph::Method::Greedy => {
            "greedy: no change can be left out, a smaller plan may exist"
        }
    };
    let _ = writeln!(
        out,
        "plan ({method}): {} change{}",
        plan.changes.len(),
        plural(plan.changes.len())
    );
    for (index, change) in plan.changes.iter().enumerate().take(PLAN_LINES) {
        let _ = writeln!(out, "{:>3}. {}", index + 1, change_words(change));
    }
    if plan.changes.len() > PLAN_LINES {
        let _ = writeln!(
            out,
            "     ... and {} more (`--format json` lists them all)",
            plan.changes.len() - PLAN_LINES
        );
    }
    if explain {
        for edit in &plan.policies {
            let _ = writeln!(out, "  {}:", edit.words);
            let _ = writeln!(out, "     before: {}", edit.before);
            let _ = writeln!(out, "     after:  {}", edit.after);
        }
    }
    if !plan.uncut.is_empty() {
        let _ = writeln!(
            out,
            "  left: {} principal{} with a path no change here can remove (its policies are AWS's, or kept): {}",
            plan.uncut.len(),
            plural(plan.uncut.len()),
            labels(answer, &plan.uncut)
        );
    }
    if !plan.through_kept.is_empty() {
        let _ = writeln!(
            out,
            "  kept: {} principal{} still reach the targets through kept principals: {}",
            plan.through_kept.len(),
            plural(plan.through_kept.len()),
            labels(answer, &plan.through_kept)
        );
    }
    if let Some(check) = &plan.check {
        let rounds = if check.rounds == 1 {
            String::new()
        } else {
            format!(", after {} rebuilds", check.rounds)
        };
        if check.disconnected {
            let _ = writeln!(
                out,
                "check: the graph rebuilt with the plan made has no path left from these principals{rounds}; administrators {} before, {} after",
                check.admins_before, check.admins_after
            );
        } else {
            let _ = writeln!(
                out,
                "check: the graph rebuilt with the plan made still has paths from {} principal{}{rounds}: {}",
                check.still_reaching.len(),
                plural(check.still_reaching.len()),
                check.still_reaching.join(", ")
            );
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn labels(answer: &Answer, ids: &[String]) -> String {
    ids.iter()
        .map(|id| source_label(answer, id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn change_words(change: &[FixInfo]) -> String {
    let mut words: Vec<String> = change.iter().map(|fix| fix.words.clone()).collect();
    if let Some(account) = change.iter().find_map(|fix| fix.account.as_deref()) {
        if let Some(last) = words.last_mut() {
            let _ = write!(last, " [account {account}]");
        }
    }
    words.join(" and ")
}
