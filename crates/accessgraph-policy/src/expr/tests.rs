//! Tests of the allowed-condition expression: simplification rules, and the property that the
//! formula of a conditional evaluation says exactly what evaluating the same request with the
//! unknown keys known decides (issue: evaluator fidelity, item 12).

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{Conditions, Expr, Leaf};
use crate::condition::Condition;
use crate::document::Effect;
use crate::eval::{Citation, Decision, Layer, Unresolved, evaluate};
use crate::policy::{OrgLevel, Policy, PolicySet};
use crate::request::{Action, Env, Principal, Request, RequestContext, Resource};
use crate::tri::Tri;

fn unresolved(value: &str, effect: Effect) -> Unresolved {
    Unresolved {
        citation: Citation {
            layer: Layer::Identity,
            policy: "p".into(),
            statement: 0,
            sid: None,
            effect,
            conditional: true,
            via: None,
        },
        operator: "StringEquals".into(),
        key: "k".into(),
        values: vec![value.into()],
    }
}

/// Clauses `k = a`, `k = b`, `k = c` (allows) and `k = a` again in a deny.
fn clauses() -> Vec<Unresolved> {
    vec![
        unresolved("a", Effect::Allow),
        unresolved("b", Effect::Allow),
        unresolved("c", Effect::Allow),
        unresolved("a", Effect::Deny),
    ]
}

fn leaf(clause: &Unresolved) -> Expr<&Unresolved> {
    Expr::Term {
        term: clause,
        negated: false,
    }
}

#[test]
fn constants_fold_and_junctions_flatten() {
    let list = clauses();
    let [a, b, c] = [leaf(&list[0]), leaf(&list[1]), leaf(&list[2])];
    assert_eq!(Expr::all([a.clone(), Expr::Const(true)]), a);
    assert_eq!(
        Expr::all([a.clone(), Expr::Const(false)]),
        Expr::Const(false)
    );
    assert_eq!(
        Expr::All(vec![a.clone(), Expr::All(vec![b.clone(), c.clone()])]).simplify(),
        Expr::All(vec![a, b, c])
    );
    assert_eq!(
        Expr::<&Unresolved>::Any(Vec::new()).simplify(),
        Expr::Const(false)
    );
    assert_eq!(
        Expr::<&Unresolved>::All(Vec::new()).simplify(),
        Expr::Const(true)
    );
}

#[test]
fn the_same_clause_from_another_statement_is_one_term() {
    // Same operator, key and values in a deny: one predicate of the request.
    let list = clauses();
    let (a, other) = (leaf(&list[0]), leaf(&list[3]));
    assert_eq!(Expr::all([a.clone(), other.clone()]), a);
    assert_eq!(Expr::all([a, !other]), Expr::Const(false));
}

#[test]
fn contradictions_and_tautologies() {
    let list = clauses();
    let a = leaf(&list[0]);
    assert_eq!(Expr::all([a.clone(), !a.clone()]), Expr::Const(false));
    assert_eq!(Expr::Any(vec![a.clone(), !a]).simplify(), Expr::Const(true));
}

#[test]
fn absorption_drops_implied_branches() {
    let list = clauses();
    let [a, b, c] = [leaf(&list[0]), leaf(&list[1]), leaf(&list[2])];
    // a and (a or b) = a
    assert_eq!(Expr::all([a.clone(), a.clone().or(b.clone())]), a);
    // a or (a and b) = a
    assert_eq!(
        Expr::Any(vec![a.clone(), a.clone().and(b.clone())]).simplify(),
        a
    );
    // (a and b) or (a and b and c) = a and b
    assert_eq!(
        Expr::Any(vec![
            a.clone().and(b.clone()),
            Expr::All(vec![a.clone(), b.clone(), c])
        ])
        .simplify(),
        Expr::All(vec![a, b])
    );
}

#[test]
fn negation_reaches_the_leaves() {
    let list = clauses();
    let [a, b] = [leaf(&list[0]), leaf(&list[1])];
    assert_eq!(!(a.clone().and(b.clone())), Expr::Any(vec![!a.clone(), !b]));
    assert!(matches!(!a, Expr::Term { negated: true, .. }));
}

#[test]
fn display_names_key_operator_values_and_layer() {
    let list = clauses();
    let term = |index: usize| Expr::Term {
        term: index,
        negated: false,
    };
    let formula = Expr::All(vec![term(0), Expr::Any(vec![!term(1), term(2)])]);
    assert_eq!(
        formula.display(&list).to_string(),
        "k StringEquals `a` [identity policies] AND (NOT k StringEquals `b` [identity policies] OR k StringEquals `c` [identity policies])"
    );
    // A position the list does not hold is shown as such, never dropped.
    assert!(term(9).display(&list).to_string().contains("condition #9"));
}

/// In words, each clause says what the request must be and which statement asks it (issue 20).
#[test]
fn words_say_each_clause_and_its_statement() {
    let list = clauses();
    let term = |index: usize| Expr::Term {
        term: index,
        negated: false,
    };
    let formula = Expr::All(vec![
        term(0),
        Expr::Any(vec![
            !term(3),
            Expr::Fact {
                fact: "`carol` has fewer than two access keys".into(),
                negated: true,
            },
        ]),
    ]);
    assert_eq!(
        formula.words(&list).to_string(),
        "`k` is `a` (from p, statement 0) and (`k` is not `a` (from p, statement 0) or not: \
         `carol` has fewer than two access keys)"
    );
}

#[test]
fn joining_merges_the_lists_of_the_parts() {
    let term = |index: usize, negated: bool| Expr::Term {
        term: index,
        negated,
    };
    let first = Conditions {
        list: vec![unresolved("a", Effect::Allow)],
        when: term(0, false),
    };
    let second = Conditions {
        list: vec![
            unresolved("b", Effect::Allow),
            unresolved("a", Effect::Deny),
        ],
        when: Expr::Any(vec![term(0, false), term(1, false)]),
    };
    // a and (b or a) = a: one clause left.
    let both = first.clone().and(second);
    assert_eq!(both.when, term(0, false));
    assert_eq!(both.list.len(), 1);
    let opposed = Conditions {
        list: vec![unresolved("a", Effect::Deny)],
        when: term(0, true),
    };
    assert_eq!(
        first.clone().and(opposed.clone()).when,
        Expr::Const(false),
        "a and not a"
    );
    assert_eq!(
        first.clone().or(opposed).when,
        Expr::Const(true),
        "a or not a"
    );
    assert!(first.clone().and(Conditions::none()) == first);
    assert!(
        Conditions::fact("an instance profile exists")
            .and(first)
            .display()
            .to_string()
            .starts_with("an instance profile exists AND k StringEquals")
    );
}

// --- The formula is exact: property over generated policies ---------------------------------

const KEYS: [&str; 3] = [
    "aws:MultiFactorAuthPresent",
    "aws:SourceIp",
    "aws:SourceVpce",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))),
        1 => Just(Some(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))),
        1 => Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        1 => Just(Some(json!({"NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"}}))),
        1 => Just(Some(json!({"StringEquals": {"aws:SourceVpce": "vpce-1"}}))),
        1 => Just(Some(json!({"StringNotEqualsIfExists": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}))),
        1 => Just(Some(json!({"Null": {"aws:SourceVpce": "false"}}))),
    ]
}

fn statement(principal: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop::sample::select(vec!["*", "s3:GetObject", "s3:Get*"]),
        prop::sample::select(vec!["*", "arn:aws:s3:::data/*", "arn:aws:s3:::other/*"]),
        condition(),
        condition(),
        prop::sample::select(vec![
            "*",
            "111111111111",
            "arn:aws:iam::222222222222:user/bob",
        ]),
    )
        .prop_map(move |(allow, action, resource, first, second, who)| {
            let mut statement = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Action": action,
                "Resource": resource,
            });
            let mut conditions = serde_json::Map::new();
            for clause in [first, second].into_iter().flatten() {
                if let Value::Object(map) = clause {
                    for (operator, body) in map {
                        conditions.insert(operator, body);
                    }
                }
            }
            if let Value::Object(map) = &mut statement {
                if !conditions.is_empty() {
                    map.insert("Condition".into(), Value::Object(conditions));
                }
                if principal {
                    map.insert("Principal".into(), json!({ "AWS": who }));
                }
            }
            statement
        })
}

fn policy(label: &str, statements: &[Value]) -> Arc<Policy> {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    Arc::new(Policy::parse(label, &text).expect("generated policy parses"))
}

#[derive(Debug, Clone)]
struct Case {
    cross_account: bool,
    identity: Vec<Value>,
    boundary: Option<Vec<Value>>,
    scp: Option<Vec<Value>>,
    resource: Option<Vec<Value>>,
    /// A value for each of [`KEYS`] (`None`: absent from the request).
    values: [Option<&'static str>; 3],
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        prop::collection::vec(statement(false), 0..4),
        prop::option::of(prop::collection::vec(statement(false), 1..3)),
        prop::option::of(prop::collection::vec(statement(false), 1..3)),
        prop::option::of(prop::collection::vec(statement(true), 1..3)),
        (
            prop::option::of(prop::sample::select(vec!["true", "false"])),
            prop::option::of(prop::sample::select(vec!["10.1.2.3", "192.0.2.1"])),
            prop::option::of(prop::sample::select(vec!["vpce-1", "vpce-2", "vpce-3"])),
        ),
    )
        .prop_map(
            |(cross_account, identity, boundary, scp, resource, (mfa, ip, vpce))| Case {
                cross_account,
                identity,
                boundary,
                scp,
                resource,
                values: [mfa, ip, vpce],
            },
        )
}

/// Evaluates the case with the keys known (`known`) or not, and hands the request and the
/// evaluation to `check`.
fn with_evaluation<T>(
    case: &Case,
    known: bool,
    check: impl FnOnce(&Request<'_>, crate::eval::Evaluation) -> T,
) -> T {
    let principal = Principal::parse(if case.cross_account {
        "arn:aws:iam::222222222222:user/bob"
    } else {
        "arn:aws:iam::111111111111:user/alice"
    })
    .expect("principal");
    let action = Action::new("s3:GetObject");
    let resource = Resource::new("arn:aws:s3:::data/q4.csv").with_account("111111111111");
    let mut context = RequestContext::new();
    for (key, value) in KEYS.iter().zip(case.values) {
        match (known, value) {
            (false, _) => {}
            (true, Some(value)) => context.insert(key, value),
            (true, None) => context.insert_absent(key),
        }
    }
    let identity: Vec<Arc<Policy>> = (!case.identity.is_empty())
        .then(|| policy("identity", &case.identity))
        .into_iter()
        .collect();
    let boundary = case.boundary.as_deref().map(|s| policy("boundary", s));
    let scps = case.scp.as_deref().map(|s| {
        vec![OrgLevel {
            target: "root".into(),
            policies: vec![policy("scp", s)],
        }]
    });
    let resource_policy = case.resource.as_deref().map(|s| policy("resource", s));
    let request = Request {
        principal: &principal,
        action: &action,
        resource: &resource,
        context: &context,
    };
    let evaluation = evaluate(
        &request,
        &PolicySet {
            identity: &identity,
            boundary: boundary.as_deref(),
            scps: scps.as_deref(),
            resource: resource_policy.as_deref(),
            ..PolicySet::default()
        },
    );
    check(&request, evaluation)
}

fn allowed(decision: Decision) -> Tri {
    match decision {
        Decision::Allow => Tri::True,
        Decision::Deny(_) => Tri::False,
        Decision::Conditional { .. } => Tri::Unknown,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// With the keys unknown, the formula decided by the clauses' values under a request with the
    /// keys known gives that request's decision; a decided answer holds whatever the values are.
    #[test]
    fn the_formula_says_what_the_known_request_decides(case in case()) {
        let unknown = with_evaluation(&case, false, |_, evaluation| evaluation);
        let (actual, formula) = with_evaluation(&case, true, |request, evaluation| {
            let env = Env::new(*request);
            let formula = unknown.allowed_when.as_ref().map(|expr| {
                expr.decide(&unknown.conditions, &|leaf| match leaf {
                    Leaf::Term(term) => Condition::new(
                        &term.operator, &term.key, term.values.clone(), true, false,
                    )
                    .ok()
                    .and_then(|condition| match condition.evaluate(&env) {
                        Tri::Unknown => None,
                        known => Some(known == Tri::True),
                    }),
                    Leaf::Fact(_) => None,
                })
            });
            (allowed(evaluation.decision), formula)
        });
        prop_assert_ne!(actual, Tri::Unknown, "every key is known");
        match unknown.decision {
            Decision::Conditional { .. } => {
                prop_assert_eq!(formula, Some(actual), "formula {:?}", unknown.allowed_when);
            }
            decided => {
                prop_assert!(unknown.allowed_when.is_none());
                prop_assert_eq!(allowed(decided), actual);
            }
        }
    }
}
