//! `what cuts`: choke points and plans on small generated organizations, checked against the
//! graph rebuilt from the snapshot with the changes made (issue 14).

use std::collections::BTreeSet;

use accessgraph_graph::{
    Change, CutQuestion, Filter, Graph, Method, NamesCaller, Node, StatementPrincipals, apply,
};
use accessgraph_model::Snapshot;
use accessgraph_policy::Citation;
use accessgraph_query::run;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::fixture::{OrgBuilder, iam_arn};

const ACCOUNTS: [&str; 2] = ["111111111111", "222222222222"];
const USERS: [&str; 2] = ["u0", "u1"];
const ROLES: [&str; 3] = ["r0", "r1", "r2"];

/// A principal a generated trust statement names.
fn principal() -> impl Strategy<Value = Value> {
    (0..2usize, 0..6usize).prop_map(|(account, which)| {
        let account = ACCOUNTS[account];
        match which {
            0 => json!(format!("arn:aws:iam::{account}:root")),
            1 | 2 => json!(iam_arn(account, "user", USERS[which - 1])),
            _ => json!(iam_arn(account, "role", ROLES[which - 3])),
        }
    })
}

/// A trust policy: one to three statements, each naming one or two principals.
fn trust() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::collection::vec(principal(), 1..3), 1..3).prop_map(|statements| {
        Value::Array(
            statements
                .into_iter()
                .map(|principals| {
                    json!({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"})
                })
                .collect(),
        )
    })
}

/// An identity policy: nothing, role assumption, or everything (an administrator).
fn identity() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => Just(Value::Null),
        3 => Just(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])),
        1 => Just(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
    ]
}

#[derive(Debug, Clone)]
struct Shape {
    users: Vec<Value>,
    roles: Vec<(Value, Value)>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop::collection::vec(identity(), 4),
        prop::collection::vec((trust(), identity()), 6),
    )
        .prop_map(|(users, roles)| Shape { users, roles })
}

/// Two accounts, each with users `u0`, `u1` and roles `r0`..`r2` of the generated policies.
fn build(shape: &Shape) -> Snapshot {
    let mut org = OrgBuilder::default();
    let mut users = shape.users.iter();
    let mut roles = shape.roles.iter();
    for account in ACCOUNTS {
        for user in USERS {
            org.user(
                account,
                user,
                users.next().cloned().unwrap_or(Value::Null),
                &[],
            );
        }
        for role in ROLES {
            let (trust, identity) = roles.next().cloned().unwrap_or((json!([]), Value::Null));
            org.role(account, role, trust, identity);
        }
    }
    org.collected_at("2026-12-01T00:00:00Z")
        .organization(&ACCOUNTS)
        .build()
}

/// The question `what cuts paths to admin in org` asks of a graph.
fn question<'f>(
    graph: &Graph,
    filter: &'f Filter,
    names_caller: NamesCaller<'f>,
) -> CutQuestion<'f> {
    let mut targets: Vec<_> = ACCOUNTS
        .iter()
        .flat_map(|account| graph.admin_targets(account, filter))
        .collect();
    targets.sort();
    CutQuestion {
        targets,
        filter,
        keep_nodes: Vec::new(),
        keep_policies: Vec::new(),
        rank: 100,
        names_caller: Some(names_caller),
    }
}

/// The ARNs of the principals that reach an administrator after `changes` are made.
fn reaching_after(snapshot: &Snapshot, changes: &[&Change]) -> BTreeSet<String> {
    let fixes: Vec<_> = changes
        .iter()
        .flat_map(|change| change.fixes.iter().cloned())
        .collect();
    let changed = apply(snapshot, &fixes).unwrap();
    let graph = Graph::build(&changed);
    let filter = Filter::default();
    let principals = StatementPrincipals::new(&changed);
    let names_caller =
        |citation: &Citation, caller: &Node| principals.names_caller(citation, caller);
    arns(
        &graph,
        &graph.reaching(&question(&graph, &filter, &names_caller)),
    )
}

fn arns(graph: &Graph, nodes: &[accessgraph_graph::NodeId]) -> BTreeSet<String> {
    nodes
        .iter()
        .filter_map(|node| graph.node(*node).map(|node| node.arn.clone()))
        .collect()
}

/// Every set of `size` items of `items`.
fn subsets<T>(items: &[T], size: usize) -> Vec<Vec<&T>> {
    if size == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for (index, first) in items.iter().enumerate() {
        for mut rest in subsets(items.get(index + 1..).unwrap_or_default(), size - 1) {
            rest.insert(0, first);
            all.push(rest);
        }
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// On random organizations: the plan disconnects every source it does not name as uncut
    /// (the graph rebuilt from the snapshot with the plan made shows it); each choke point cuts
    /// off exactly the sources it says when it alone is made; an exact plan is minimal: no set
    /// of fewer of the changes on the paths disconnects them all.
    #[test]
    fn plans_disconnect_and_exact_plans_are_minimal(shape in shape()) {
        let snapshot = build(&shape);
        let graph = Graph::build(&snapshot);
        let filter = Filter::default();
        let principals = StatementPrincipals::new(&snapshot);
        let names_caller =
            |citation: &Citation, caller: &Node| principals.names_caller(citation, caller);
        let asked = question(&graph, &filter, &names_caller);
        let cuts = graph.cuts(&asked);
        let sources = arns(&graph, &cuts.sources);
        let uncut = arns(&graph, &cuts.plan.uncut);
        let plan: Vec<&Change> = cuts.plan.changes.iter().collect();
        let left: BTreeSet<String> = reaching_after(&snapshot, &plan)
            .intersection(&sources)
            .cloned()
            .collect();
        prop_assert!(left.is_subset(&uncut), "{shape:#?}\nleft {left:?}, plan {plan:#?}");
        for point in &cuts.points {
            let still = reaching_after(&snapshot, &[&point.change]);
            let cut_off: BTreeSet<String> = sources.difference(&still).cloned().collect();
            prop_assert_eq!(&cut_off, &arns(&graph, &point.disconnects), "{:#?}", point.change);
        }
        let universe = graph.cut_changes(&asked);
        if cuts.plan.method == Method::Exact && !plan.is_empty() && universe.len() <= 12 {
            let cuttable: BTreeSet<String> = sources.difference(&uncut).cloned().collect();
            for smaller in subsets(&universe, plan.len() - 1) {
                let still = reaching_after(&snapshot, &smaller);
                prop_assert!(
                    still.intersection(&cuttable).next().is_some(),
                    "{shape:#?}\n{} changes disconnect everything, fewer than the plan's {}: {smaller:#?}",
                    smaller.len(),
                    plan.len()
                );
            }
        }
    }
}

/// The example organization: the plan with `check` leaves no path to an administrator of the
/// organization but through kept principals, and the answer names the mistakes a reviewer would
/// pick (pinned in `tests/data/queries/cuts-*`).
#[test]
fn the_example_plan_checks_out() {
    let catalog = crate::query_golden::catalog();
    let answer = run(
        "what cuts paths to admin in account 555555555555 keep role/OrganizationAccountAccessRole in account 555555555555 check",
        catalog,
    )
    .unwrap();
    let cuts = answer.cuts.unwrap();
    let check = cuts.plan.check.unwrap();
    assert!(check.disconnected, "{:?}", check.still_reaching);
    assert_eq!(check.admins_before, check.admins_after);
    let words: Vec<String> = cuts
        .plan
        .changes
        .iter()
        .flatten()
        .map(|fix| fix.words.clone())
        .collect();
    assert_eq!(
        words,
        [
            "remove inline policy `launch-instances` of group `Developers`, statement 0 (Sid `RunAndPass`)",
            "remove inline policy `manage-keys` of user `eve-contractor`, statement 0 (Sid `KeyRotationHelper`)",
        ]
    );
    assert!(
        cuts.plan
            .through_kept
            .contains(&"arn:aws:iam::111111111111:user/alice".to_owned())
    );
}
