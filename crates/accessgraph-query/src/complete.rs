//! Completion of the names a query may write: `user/`, `role/` and `group/` names (IAM, and
//! IAM Identity Center users and groups) and ARNs, by prefix, for editors such as the web page.

use accessgraph_graph::NodeKind;

use crate::view::View;

/// Most names one completion returns.
pub const MAX_COMPLETIONS: usize = 50;

/// The names of `view` that begin with `prefix` as a query writes them (`user/ev` gives
/// `user/eve-contractor`; `arn:aws:iam::5` gives ARNs), sorted, at most `limit` (capped at
/// [`MAX_COMPLETIONS`]). Names compare without case, as the language finds them.
#[must_use]
pub fn complete(view: &View, prefix: &str, limit: usize) -> Vec<String> {
    let limit = limit.min(MAX_COMPLETIONS);
    let lower = prefix.to_lowercase();
    let named = [
        ("user/", [NodeKind::User, NodeKind::IdentityCenterUser]),
        ("role/", [NodeKind::Role, NodeKind::Role]),
        ("group/", [NodeKind::Group, NodeKind::IdentityCenterGroup]),
    ];
    let mut found: Vec<String> = Vec::new();
    if let Some((written, kinds, name)) = named.iter().find_map(|(written, kinds)| {
        lower
            .strip_prefix(written)
            .map(|name| (*written, kinds, name.to_owned()))
    }) {
        for (_, node) in view.graph().nodes() {
            if kinds.contains(&node.kind) && node.name.to_lowercase().starts_with(&name) {
                found.push(format!("{written}{}", node.name));
            }
        }
    } else if lower.starts_with("arn:") {
        for (_, node) in view.graph().nodes() {
            if !node.kind.is_helper() && node.arn.to_lowercase().starts_with(&lower) {
                found.push(node.arn.clone());
            }
        }
    }
    found.sort();
    found.dedup();
    found.truncate(limit);
    found
}
