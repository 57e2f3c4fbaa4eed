//! Differential test of the one resource resolver (issue: `can ... do`, `who can do` and the
//! graph give the same answer): for every assume and permit edge of the graph, `can SOURCE do
//! ACTION on TARGET` (the [`Simulator`]) is allow or conditional with the same certainty as the
//! edge; for a sample of principal and resource pairs without an edge it is deny (or, for a public
//! resource, allowed to anyone as the `*` edge says). On the example organization, on synthetic
//! organizations of several seeds with resources of every kind, and on small random accounts
//! (a proptest).

use std::collections::BTreeSet;
use std::path::Path;

use accessgraph_graph::{AccessLevel, EdgeKind, Graph, Node, NodeId, NodeKind, Simulator};
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_model::{AclGrantee, Snapshot};
use accessgraph_policy::{Decision, Evaluation, RequestContext};
use accessgraph_synth::{SynthConfig, generate};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::fixture::{OrgBuilder, iam_arn};

/// How `can ... do` names an edge's source; `None` for sources it cannot name (a canonical user
/// id outside the snapshot, helpers).
fn principal_text(node: &Node) -> Option<String> {
    match node.kind {
        NodeKind::Anyone => Some("*".to_owned()),
        NodeKind::ExternalAccount if node.arn.starts_with("arn:") => Some(node.arn.clone()),
        NodeKind::User
        | NodeKind::Role
        | NodeKind::SamlProvider
        | NodeKind::WebIdentityProvider
        | NodeKind::Service => Some(node.arn.clone()),
        _ => None,
    }
}

/// The most certain evaluation of `action` over the resources a permit edge decides it on.
fn best(simulator: &Simulator, principal: &str, action: &str, target: &str) -> Option<Evaluation> {
    simulator
        .probes(principal, target, action)
        .iter()
        .filter_map(|probe| {
            simulator
                .evaluate(principal, action, probe, &RequestContext::new())
                .ok()
        })
        .min_by_key(|evaluation| match evaluation.decision {
            Decision::Allow => 0,
            Decision::Conditional { .. } => 1,
            Decision::Deny(_) => 2,
        })
}

fn is_conditional(decision: Decision) -> bool {
    matches!(decision, Decision::Conditional { .. })
}

/// Every disagreement between the graph and the simulator, and how many requests were checked.
fn disagreements(snapshot: &Snapshot, sample_every: usize) -> (usize, Vec<String>) {
    let graph = Graph::build(snapshot);
    let simulator = Simulator::new(snapshot);
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut connected: BTreeSet<(NodeId, NodeId)> = BTreeSet::new();
    // A way through a shared-assume helper is one pair's edge: its last edge names the technique,
    // and it is conditional when either edge is.
    for hop in graph.pair_hops() {
        let (from, to) = (hop.from, hop.to);
        let edges: Vec<&accessgraph_graph::Edge> =
            hop.edges.iter().filter_map(|id| graph.edge(*id)).collect();
        let Some(edge) = edges.last().copied() else {
            continue;
        };
        let hop_conditional = edges.iter().any(|edge| edge.is_conditional());
        connected.insert((from, to));
        let (Some(source), Some(target)) = (graph.node(from), graph.node(to)) else {
            continue;
        };
        let Some(principal) = principal_text(source) else {
            continue;
        };
        let decisions: Vec<(String, Option<Decision>)> = match edge.kind {
            EdgeKind::Assume => vec![(
                edge.technique.to_string(),
                simulator
                    .evaluate(
                        &principal,
                        &edge.technique,
                        &target.arn,
                        &RequestContext::new(),
                    )
                    .ok()
                    .map(|evaluation| evaluation.decision),
            )],
            EdgeKind::Permit => {
                // Each level's action is allowed, and marked conditional exactly when it is.
                for access in edge.access.iter() {
                    let conditional = best(&simulator, &principal, access.action, &target.arn)
                        .is_some_and(|evaluation| is_conditional(evaluation.decision));
                    if conditional != access.conditional {
                        failures.push(format!(
                            "edge {principal} --{}--> {}: {} is conditional: {conditional}",
                            edge.technique, target.arn, access.action
                        ));
                    }
                }
                edge.access
                    .iter()
                    .map(|access| {
                        (
                            access.action.to_owned(),
                            best(&simulator, &principal, access.action, &target.arn)
                                .map(|evaluation| evaluation.decision),
                        )
                    })
                    .collect()
            }
            _ => continue,
        };
        checked += decisions.len();
        let possible = decisions
            .iter()
            .all(|(_, decision)| decision.is_some_and(|decision| decision.is_possible()));
        // A permit edge holds when any kind of access does: it is conditional only when every
        // one is.
        let conditional = decisions
            .iter()
            .all(|(_, decision)| decision.is_some_and(is_conditional));
        if !possible || conditional != hop_conditional {
            failures.push(format!(
                "edge {principal} --{}{}--> {}: can ... do says {decisions:?}",
                edge.technique,
                if hop_conditional { "?" } else { "" },
                target.arn
            ));
        }
    }
    // Pairs without an edge: users and roles against roles and resources.
    let principals: Vec<(NodeId, &Node)> = graph
        .nodes()
        .filter(|(_, node)| matches!(node.kind, NodeKind::User | NodeKind::Role))
        .collect();
    let targets: Vec<(NodeId, &Node)> = graph
        .nodes()
        .filter(|(_, node)| matches!(node.kind, NodeKind::Role | NodeKind::Resource))
        .collect();
    let anyone = graph.find("*");
    // The levels an edge from one node to another grants (only the definite ones if asked).
    let granted = |from: NodeId, to: NodeId, definite: bool| -> BTreeSet<AccessLevel> {
        graph
            .edges()
            .filter(|(source, target, edge)| {
                *source == from && *target == to && edge.kind == EdgeKind::Permit
            })
            .flat_map(|(_, _, edge)| edge.access.iter())
            .filter(|access| !(definite && access.conditional))
            .map(|access| access.level)
            .collect()
    };
    let helpers: std::collections::BTreeMap<&str, NodeId> = graph
        .nodes()
        .filter(|(_, node)| node.kind == NodeKind::AccountAdmin)
        .filter_map(|(id, node)| Some((node.account.as_deref()?, id)))
        .collect();
    let mut pair = 0usize;
    for (source_id, source) in &principals {
        for (target_id, target) in &targets {
            if source_id == target_id {
                continue;
            }
            if target.kind == NodeKind::Role && connected.contains(&(*source_id, *target_id)) {
                continue;
            }
            pair += 1;
            if pair % sample_every != 0 {
                continue;
            }
            let actions: Vec<&str> = if target.kind == NodeKind::Role {
                vec!["sts:AssumeRole"]
            } else {
                // The levels no edge grants: directly, as a definite administrator of the
                // resource's account through its admin node, or definitely to anyone (the `*`
                // edge says it for everyone).
                let mut levels = granted(*source_id, *target_id, false);
                if let Some(anyone) = anyone {
                    levels.extend(granted(anyone, *target_id, true));
                }
                let definite_admin = source.account == target.account
                    && source
                        .admin
                        .as_ref()
                        .is_some_and(|admin| admin.status == accessgraph_policy::Tri::True);
                if let (true, Some(helper)) = (
                    definite_admin,
                    target
                        .account
                        .as_ref()
                        .and_then(|account| helpers.get(account.as_str()).copied()),
                ) {
                    levels.extend(granted(helper, *target_id, false));
                }
                simulator
                    .access_actions(&target.arn)
                    .into_iter()
                    .filter(|(level, _)| !levels.contains(level))
                    .map(|(_, action)| action)
                    .collect()
            };
            for action in actions {
                checked += 1;
                let Some(evaluation) = best(&simulator, &source.arn, action, &target.arn) else {
                    continue;
                };
                if evaluation.decision.is_possible() {
                    failures.push(format!(
                        "no edge {} -> {} for {action}, but can ... do says {:?}",
                        source.arn, target.arn, evaluation.decision
                    ));
                }
            }
        }
    }
    (checked, failures)
}

fn assert_agree(name: &str, snapshot: &Snapshot, sample_every: usize) {
    let (checked, failures) = disagreements(snapshot, sample_every);
    assert!(checked > 0, "{name}: nothing checked");
    assert!(
        failures.is_empty(),
        "{name}: {} of {checked} requests disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_example_organization_agrees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/org");
    let snapshot = ingest(&root, &IngestOptions::default())
        .expect("the example ingests")
        .snapshot;
    assert_agree("example org", &snapshot, 1);
}

#[test]
fn synthetic_organizations_agree() {
    for seed in [1, 7, 23] {
        let dir = tempfile::tempdir().expect("temp dir");
        generate(
            &SynthConfig {
                accounts: 6,
                principals: 24,
                seed,
                resources: true,
            },
            dir.path(),
        )
        .expect("synth");
        let snapshot = ingest(dir.path(), &IngestOptions::default())
            .expect("synth ingests")
            .snapshot;
        assert_agree(&format!("synth seed {seed}"), &snapshot, 3);
    }
}

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];

/// A principal entry of a generated trust or resource policy.
fn principal_entry() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        (0..3usize).prop_map(|account| json!(ACCOUNTS[account])),
        (0..3usize).prop_map(|account| json!(format!("arn:aws:iam::{}:root", ACCOUNTS[account]))),
        (0..3usize, 0..2usize).prop_map(|(account, user)| json!(iam_arn(
            ACCOUNTS[account],
            "user",
            &format!("u{user}")
        ))),
        (0..3usize).prop_map(|account| json!(iam_arn(ACCOUNTS[account], "role", "r0"))),
        Just(json!("arn:aws:iam::444444444444:root")),
    ]
}

/// An optional condition of a generated statement.
fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalOrgID": crate::fixture::ORG_ID}}))),
        1 => Just(Some(json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNTS[1]}}))),
        1 => Just(Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
        1 => Just(Some(json!({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}))),
    ]
}

/// A generated statement of a resource policy: allow or deny, `Principal` or (deny only)
/// `NotPrincipal`, with an optional condition.
fn statement(action: &'static str, resource: String) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(principal_entry(), 1..3),
        condition(),
    )
        .prop_map(move |(deny, negated, principals, condition)| {
            let mut statement = json!({
                "Effect": if deny { "Deny" } else { "Allow" },
                "Action": action,
                "Resource": resource,
            });
            let key = if deny && negated {
                "NotPrincipal"
            } else {
                "Principal"
            };
            if let Some(map) = statement.as_object_mut() {
                map.insert(key.to_owned(), json!({"AWS": principals}));
                if let Some(condition) = condition {
                    map.insert("Condition".to_owned(), condition);
                }
            }
            statement
        })
}

/// An identity policy: nothing, the actions on everything, or everything.
fn identity() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!([{"Effect": "Allow", "Action": ["sts:AssumeRole", "s3:*"], "Resource": "*"}])),
        Just(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
        Just(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])),
    ]
}

/// A grant of a generated bucket ACL.
fn acl_grant() -> impl Strategy<Value = (AclGrantee, &'static str)> {
    (
        prop_oneof![
            Just(AclGrantee::AllUsers),
            Just(AclGrantee::AuthenticatedUsers),
            (0..3usize).prop_map(|account| AclGrantee::CanonicalUser(canonical(account))),
            Just(AclGrantee::CanonicalUser("f".repeat(64))),
        ],
        prop::sample::select(vec![
            "READ",
            "WRITE",
            "READ_ACP",
            "WRITE_ACP",
            "FULL_CONTROL",
        ]),
    )
}

fn canonical(account: usize) -> String {
    format!("{account}").repeat(64)
}

/// Everything a small generated organization is made of.
#[derive(Debug, Clone)]
struct Shape {
    organization: bool,
    identities: Vec<Value>,
    trust: Vec<Value>,
    bucket_policy: Vec<Value>,
    listed: bool,
    acl: Vec<(AclGrantee, &'static str)>,
    enforced: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        any::<bool>(),
        prop::collection::vec(identity(), 9),
        prop::collection::vec(statement("sts:AssumeRole", "*".to_owned()), 1..3),
        prop::collection::vec(
            statement("s3:*", "arn:aws:s3:::gen-bucket/*".to_owned()),
            0..3,
        ),
        any::<bool>(),
        prop::collection::vec(acl_grant(), 0..3),
        any::<bool>(),
    )
        .prop_map(
            |(organization, identities, trust, bucket_policy, listed, acl, enforced)| Shape {
                organization,
                identities,
                trust,
                bucket_policy,
                listed,
                acl,
                enforced,
            },
        )
}

/// Three accounts with users `u0`, `u1` and role `r0` each; the role of the first account has the
/// generated trust policy, and it owns `gen-bucket` with the generated policy and ACL.
fn build(shape: &Shape) -> Snapshot {
    let mut org = OrgBuilder::default();
    let mut identities = shape.identities.iter().cloned();
    for (index, account) in ACCOUNTS.iter().enumerate() {
        org.canonical_id(account, &canonical(index));
        for user in ["u0", "u1"] {
            org.user(account, user, identities.next().unwrap_or(Value::Null), &[]);
        }
        let trust = if index == 0 {
            Value::Array(shape.trust.iter().map(without_resource).collect())
        } else {
            json!({"Effect": "Allow", "Principal": {"AWS": ACCOUNTS[0]}, "Action": "sts:AssumeRole"})
        };
        org.role(
            account,
            "r0",
            trust,
            identities.next().unwrap_or(Value::Null),
        );
    }
    let policy =
        (!shape.bucket_policy.is_empty()).then(|| Value::Array(shape.bucket_policy.clone()));
    org.bucket(ACCOUNTS[0], "gen-bucket", shape.listed, policy);
    if !shape.acl.is_empty() {
        org.acl(
            ACCOUNTS[0],
            "gen-bucket",
            &shape.acl,
            shape.enforced.then_some("BucketOwnerEnforced"),
        );
    }
    let org = org.collected_at("2026-12-01T00:00:00Z");
    if shape.organization {
        org.organization(&ACCOUNTS).build()
    } else {
        org.build()
    }
}

/// A trust statement has no `Resource`.
fn without_resource(statement: &Value) -> Value {
    let mut statement = statement.clone();
    if let Some(map) = statement.as_object_mut() {
        map.remove("Resource");
    }
    statement
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random accounts: trust policies naming account roots, ARNs, `*`, with `NotPrincipal`
    /// denies and organization, account, MFA and expired-time conditions; a bucket listed or
    /// not, with and without a policy and an ACL.
    #[test]
    fn random_accounts_agree(shape in shape()) {
        let snapshot = build(&shape);
        let (_, failures) = disagreements(&snapshot, 1);
        prop_assert!(failures.is_empty(), "{shape:#?}\n{}", failures.join("\n"));
    }
}
