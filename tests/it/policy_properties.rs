//! Properties of the evaluator that hold in AWS whatever the policies (issue: evaluator fidelity,
//! "a generated conformance test"), checked on random policy sets: wildcards in actions and
//! resources, `NotAction`, `NotResource`, `NotPrincipal`, condition operators with `IfExists` and
//! set qualifiers, policy variables, boundaries, session policies, SCP and RCP chains and resource
//! policies, for users, role sessions, federated users, the root user and anonymous callers, in
//! the same account and across accounts (iam-semantics.md §3.5, §3.6).

use std::sync::Arc;

use accessgraph_policy::{
    Action, Decision, DenyKind, Evaluation, OrgLevel, Policy, PolicySet, Principal, Request,
    RequestContext, Resource, evaluate,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "iam:PassRole",
    "kms:Decrypt",
    "sqs:SendMessage",
];
const RESOURCES: [&str; 4] = [
    "arn:aws:s3:::data/reports/q4.csv",
    "arn:aws:s3:::data",
    "arn:aws:kms:us-east-1:111111111111:key/k1",
    "arn:aws:sqs:us-east-1:111111111111:q",
];
const PRINCIPALS: [&str; 6] = [
    "arn:aws:iam::111111111111:user/alice",
    "arn:aws:sts::111111111111:assumed-role/app/s1",
    "arn:aws:sts::111111111111:federated-user/fed",
    "arn:aws:iam::111111111111:root",
    "arn:aws:iam::222222222222:user/bob",
    "*",
];

fn action_pattern() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "*",
        "s3:*",
        "s3:Get*",
        "s3:GetObject",
        "s3:*Object",
        "iam:*",
        "kms:Decrypt",
        "sqs:Send?essage",
    ])
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "*",
        "arn:aws:s3:::data/*",
        "arn:aws:s3:::data",
        "arn:aws:s3:::data/${aws:username}/*",
        "arn:aws:kms:*:111111111111:key/*",
        "arn:aws:sqs:us-east-1:*:q",
    ])
    .prop_map(str::to_owned)
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
        1 => Just(Some(json!({"StringEqualsIfExists": {"aws:PrincipalTag/team": "red"}}))),
        1 => Just(Some(json!({"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}))),
        1 => Just(Some(json!({"ForAnyValue:StringLike": {"aws:TagKeys": ["team*"]}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"Null": {"aws:TokenIssueTime": "true"}}))),
    ]
}

/// One statement; `principal` adds a `Principal` (or, for a deny, maybe `NotPrincipal`).
fn statement(principal: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action_pattern(), 1..3),
        any::<bool>(),
        prop::collection::vec(resource_pattern(), 1..3),
        condition(),
        prop::sample::select(vec![
            json!("*"),
            json!({"AWS": "111111111111"}),
            json!({"AWS": "arn:aws:iam::111111111111:user/alice"}),
            json!({"AWS": "arn:aws:iam::111111111111:role/app"}),
            json!({"AWS": "arn:aws:iam::222222222222:root"}),
        ]),
        any::<bool>(),
    )
        .prop_map(
            move |(deny, not_action, actions, not_resource, resources, condition, who, negate)| {
                let mut map = serde_json::Map::new();
                map.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
                map.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                map.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if principal {
                    let key = if deny && negate {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    map.insert(key.into(), who);
                }
                if let Some(condition) = condition {
                    map.insert("Condition".into(), condition);
                }
                Value::Object(map)
            },
        )
}

fn document(statements: &[Value]) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn policy(label: &str, statements: &[Value]) -> Arc<Policy> {
    Arc::new(
        Policy::parse(label, &document(statements).to_string()).expect("generated policy parses"),
    )
}

/// Everything one generated request is made of.
#[derive(Debug, Clone)]
struct Case {
    principal: usize,
    action: usize,
    resource: usize,
    identity: Vec<Value>,
    boundary: Option<Vec<Value>>,
    session: Option<Vec<Value>>,
    scps: Vec<Vec<Value>>,
    rcps: Vec<Vec<Value>>,
    resource_policy: Option<Vec<Value>>,
    mfa: Option<bool>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (0..PRINCIPALS.len(), 0..ACTIONS.len(), 0..RESOURCES.len()),
        prop::collection::vec(statement(false), 0..4),
        prop::option::of(prop::collection::vec(statement(false), 1..3)),
        prop::option::of(prop::collection::vec(statement(false), 1..3)),
        prop::collection::vec(prop::collection::vec(statement(false), 1..3), 0..3),
        prop::collection::vec(prop::collection::vec(statement(false), 1..3), 0..2),
        prop::option::of(prop::collection::vec(statement(true), 1..4)),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |((principal, action, resource), identity, boundary, session, scps, rcps, rbp, mfa)| {
                Case {
                    principal,
                    action,
                    resource,
                    identity,
                    boundary,
                    session,
                    scps,
                    rcps,
                    resource_policy: rbp,
                    mfa,
                }
            },
        )
}

fn chain(levels: &[Vec<Value>], kind: &str) -> Option<Vec<OrgLevel>> {
    (!levels.is_empty()).then(|| {
        levels
            .iter()
            .enumerate()
            .map(|(index, statements)| OrgLevel {
                target: format!("{kind}-level-{index}").into(),
                policies: vec![policy(&format!("{kind}-{index}"), statements)],
            })
            .collect()
    })
}

fn run(case: &Case) -> Evaluation {
    run_with(case, &RequestContext::new())
}

fn run_with(case: &Case, extra: &RequestContext) -> Evaluation {
    let principal = Principal::parse(PRINCIPALS[case.principal]).expect("principal");
    let action = Action::new(ACTIONS[case.action]);
    let resource = Resource::new(RESOURCES[case.resource]).with_account("111111111111");
    let mut context = extra.clone();
    if let Some(mfa) = case.mfa {
        context.insert("aws:MultiFactorAuthPresent", mfa.to_string());
    }
    let identity: Vec<Arc<Policy>> = (!case.identity.is_empty())
        .then(|| policy("identity", &case.identity))
        .into_iter()
        .collect();
    let boundary = case.boundary.as_deref().map(|s| policy("boundary", s));
    let session = case.session.as_deref().map(|s| policy("session", s));
    let scps = chain(&case.scps, "scp");
    let rcps = chain(&case.rcps, "rcp");
    let resource_policy = case
        .resource_policy
        .as_deref()
        .map(|s| policy("resource", s));
    evaluate(
        &Request {
            principal: &principal,
            action: &action,
            resource: &resource,
            context: &context,
        },
        &PolicySet {
            identity: &identity,
            boundary: boundary.as_deref(),
            session: session.as_deref(),
            scps: scps.as_deref(),
            rcps: rcps.as_deref(),
            resource: resource_policy.as_deref(),
            acl: None,
            vpc_endpoint: None,
        },
    )
}

/// Deny before conditional before allow.
fn rank(decision: Decision) -> u8 {
    match decision {
        Decision::Deny(_) => 0,
        Decision::Conditional { .. } => 1,
        Decision::Allow => 2,
    }
}

fn deny_all(principal: bool) -> Value {
    let mut statement = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
    if principal && let Some(map) = statement.as_object_mut() {
        map.insert("Principal".into(), json!("*"));
    }
    statement
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// §3.5 step 1: an unconditional `Deny *` in the identity policies (callers with an identity)
    /// or in the resource policy (everyone) decides an explicit deny.
    #[test]
    fn an_explicit_deny_wins(mut case in case()) {
        let principal = Principal::parse(PRINCIPALS[case.principal]).expect("principal");
        if principal.has_identity() {
            case.identity.push(deny_all(false));
        } else {
            case.resource_policy.get_or_insert_with(Vec::new).push(deny_all(true));
        }
        prop_assert_eq!(run(&case).decision, Decision::Deny(DenyKind::Explicit));
    }

    /// Removing an allow statement never turns a deny into an allow or a conditional.
    #[test]
    fn removing_an_allow_never_allows_more(case in case(), drop in any::<prop::sample::Index>()) {
        let before = run(&case).decision;
        let mut smaller = case.clone();
        let allows: Vec<usize> = smaller.identity.iter().enumerate()
            .filter(|(_, statement)| statement["Effect"] == "Allow")
            .map(|(index, _)| index)
            .collect();
        prop_assume!(!allows.is_empty());
        smaller.identity.remove(allows[drop.index(allows.len())]);
        prop_assert!(rank(run(&smaller).decision) <= rank(before));
    }

    /// Adding a deny statement (to any layer) never turns a deny into an allow.
    #[test]
    fn adding_a_deny_never_allows_more(case in case(), extra in statement(false), layer in 0..3usize) {
        let before = run(&case).decision;
        let mut denied = case.clone();
        let mut deny = extra;
        if let Some(map) = deny.as_object_mut() {
            map.insert("Effect".into(), json!("Deny"));
        }
        match layer {
            0 => denied.identity.push(deny),
            1 => denied.boundary.get_or_insert_with(Vec::new).push(deny),
            _ => {
                if let Some(map) = deny.as_object_mut() {
                    map.insert("Principal".into(), json!("*"));
                }
                denied.resource_policy.get_or_insert_with(Vec::new).push(deny);
            }
        }
        prop_assert!(rank(run(&denied).decision) <= rank(before));
    }

    /// §3.2: an SCP never grants: adding an SCP level never allows more.
    #[test]
    fn an_scp_never_grants(case in case(), level in prop::collection::vec(statement(false), 1..3)) {
        let before = run(&case).decision;
        let mut capped = case.clone();
        capped.scps.push(level);
        prop_assert!(rank(run(&capped).decision) <= rank(before));
    }

    /// §3.6: a cross-account request needs both sides: without a resource policy, a caller of
    /// another account is never allowed; without identity policies, neither.
    #[test]
    fn cross_account_needs_both_sides(mut case in case()) {
        case.principal = 4; // bob, of account 222222222222
        let mut no_resource_policy = case.clone();
        no_resource_policy.resource_policy = None;
        prop_assert!(!run(&no_resource_policy).decision.is_possible());
        let mut no_identity = case.clone();
        no_identity.identity.clear();
        prop_assert!(!run(&no_identity).decision.is_possible());
    }

    /// §3.5: the root user is not limited by identity policies (it holds every identity
    /// permission) but is by SCPs: with no SCP, no deny and no policy it needs, it is allowed
    /// in its own account; an SCP that allows nothing denies it.
    #[test]
    fn root_is_limited_by_scps_only(mut case in case()) {
        case.principal = 3;
        case.action = 0; // s3:GetObject on a bucket object: no required resource policy
        case.resource = 0;
        case.identity.retain(|statement| statement["Effect"] == "Allow");
        case.boundary = None;
        case.session = None;
        case.scps.clear();
        case.rcps.clear();
        case.resource_policy = None;
        prop_assert_eq!(run(&case).decision, Decision::Allow);
        case.scps.push(vec![json!({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})]);
        prop_assert!(!run(&case).decision.is_possible());
    }

    /// Adding a context key changes no decision (so never turns an explicit deny into an allow)
    /// unless a condition of the policies names that key.
    #[test]
    fn a_new_context_key_needs_a_condition_to_matter(case in case(), value in "[a-z]{1,4}") {
        let before = run(&case).decision;
        let key = "aws:SourceVpce";
        let named = serde_json::to_string(&(&case.identity, &case.boundary, &case.session, &case.scps, &case.rcps, &case.resource_policy))
            .map(|text| text.to_lowercase().contains(&key.to_lowercase()))
            .unwrap_or(true);
        prop_assume!(!named);
        let after = run_with(&case, &RequestContext::new().with(key, value)).decision;
        prop_assert_eq!(after, before);
    }
}
