//! Condition operators in three-valued logic (iam-semantics.md §1.4).

use super::Condition;
use crate::request::{Action, Env, Principal, Request, RequestContext, Resource};
use crate::tri::Tri::{self, False, True, Unknown};

fn eval(operator: &str, key: &str, values: &[&str], context: &RequestContext) -> Tri {
    let condition = Condition::new(
        operator,
        key,
        values.iter().map(|v| (*v).to_owned()).collect(),
        true,
        false,
    )
    .unwrap();
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let action = Action::new("s3:GetObject");
    let resource = Resource::new("arn:aws:s3:::bucket/key");
    condition.evaluate(&Env::new(Request {
        principal: &principal,
        action: &action,
        resource: &resource,
        context,
    }))
}

/// (operator, key, policy values, request values (`None` = absent), expected)
type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static [&'static str]>,
    Tri,
);

#[test]
fn operator_table() {
    let cases: &[Case] = &[
        ("StringEquals", "k", &["a", "b"], Some(&["b"]), True),
        ("StringEquals", "k", &["a"], Some(&["A"]), False),
        ("StringEquals", "k", &["a*"], Some(&["abc"]), False),
        ("StringEquals", "k", &["a*"], Some(&["a*"]), True),
        ("StringNotEquals", "k", &["a", "b"], Some(&["b"]), False),
        ("StringNotEquals", "k", &["a", "b"], Some(&["c"]), True),
        (
            "StringEqualsIgnoreCase",
            "k",
            &["ABC"],
            Some(&["abc"]),
            True,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "k",
            &["ABC"],
            Some(&["abc"]),
            False,
        ),
        ("StringLike", "k", &["a*c"], Some(&["abbc"]), True),
        ("StringLike", "k", &["a?c"], Some(&["abbc"]), False),
        ("StringNotLike", "k", &["a*"], Some(&["xyz"]), True),
        ("NumericEquals", "k", &["10"], Some(&["10.0"]), True),
        ("NumericNotEquals", "k", &["10"], Some(&["11"]), True),
        ("NumericLessThan", "k", &["10"], Some(&["9"]), True),
        ("NumericLessThan", "k", &["10"], Some(&["10"]), False),
        ("NumericLessThanEquals", "k", &["10"], Some(&["10"]), True),
        ("NumericGreaterThan", "k", &["10"], Some(&["11"]), True),
        (
            "NumericGreaterThanEquals",
            "k",
            &["10"],
            Some(&["9"]),
            False,
        ),
        ("NumericEquals", "k", &["10"], Some(&["ten"]), False),
        (
            "DateLessThan",
            "k",
            &["2026-01-01T00:00:00Z"],
            Some(&["2025-12-31T23:59:59Z"]),
            True,
        ),
        (
            "DateGreaterThan",
            "k",
            &["2026-01-01"],
            Some(&["1767225601"]),
            True,
        ),
        (
            "DateEquals",
            "k",
            &["2026-01-01T00:00:00Z"],
            Some(&["2026-01-01T01:00:00+01:00"]),
            True,
        ),
        (
            "DateNotEquals",
            "k",
            &["2026-01-01"],
            Some(&["2026-01-02"]),
            True,
        ),
        (
            "DateLessThanEquals",
            "k",
            &["2026-01-01"],
            Some(&["2026-01-01T00:00:00"]),
            True,
        ),
        (
            "DateGreaterThanEquals",
            "k",
            &["2026-01-01"],
            Some(&["2025-01-01"]),
            False,
        ),
        ("Bool", "k", &["true"], Some(&["TRUE"]), True),
        ("Bool", "k", &["true"], Some(&["false"]), False),
        (
            "BinaryEquals",
            "k",
            &["QmluYXJ5"],
            Some(&["QmluYXJ5"]),
            True,
        ),
        (
            "BinaryEquals",
            "k",
            &["QmluYXJ5"],
            Some(&["QmluYXJ6"]),
            False,
        ),
        (
            "IpAddress",
            "k",
            &["203.0.113.0/24"],
            Some(&["203.0.113.9"]),
            True,
        ),
        (
            "IpAddress",
            "k",
            &["203.0.113.0/24"],
            Some(&["198.51.100.1"]),
            False,
        ),
        (
            "IpAddress",
            "k",
            &["2001:db8::/32"],
            Some(&["2001:db8::1"]),
            True,
        ),
        (
            "IpAddress",
            "k",
            &["203.0.113.5"],
            Some(&["203.0.113.5"]),
            True,
        ),
        (
            "NotIpAddress",
            "k",
            &["203.0.113.0/24"],
            Some(&["198.51.100.1"]),
            True,
        ),
        (
            "ArnLike",
            "k",
            &["arn:aws:iam::*:role/admin-*"],
            Some(&["arn:aws:iam::111122223333:role/admin-x"]),
            True,
        ),
        (
            "ArnEquals",
            "k",
            &["arn:aws:iam::*:role/admin-*"],
            Some(&["arn:aws:iam::111122223333:role/admin-x"]),
            True,
        ),
        (
            "ArnLike",
            "k",
            &["arn:aws:s3:::b*"],
            Some(&["arn:aws:s3:::B"]),
            False,
        ),
        (
            "ArnNotLike",
            "k",
            &["arn:aws:iam::*:role/admin-*"],
            Some(&["arn:aws:iam::111122223333:role/dev"]),
            True,
        ),
        (
            "ArnNotEquals",
            "k",
            &["arn:aws:iam::111122223333:role/dev"],
            Some(&["arn:aws:iam::111122223333:role/dev"]),
            False,
        ),
        // Absent keys: positive operators false, negated true (§1.4).
        ("StringEquals", "k", &["a"], None, False),
        ("StringNotEquals", "k", &["a"], None, True),
        ("StringEqualsIfExists", "k", &["a"], None, True),
        ("StringEqualsIfExists", "k", &["a"], Some(&["b"]), False),
        ("NumericLessThanIfExists", "k", &["5"], None, True),
        ("Null", "k", &["true"], None, True),
        ("Null", "k", &["false"], None, False),
        ("Null", "k", &["true"], Some(&["x"]), False),
        ("Null", "k", &["false"], Some(&["x"]), True),
        // Set qualifiers (§1.4).
        (
            "ForAnyValue:StringEquals",
            "k",
            &["a"],
            Some(&["b", "a"]),
            True,
        ),
        (
            "ForAnyValue:StringEquals",
            "k",
            &["a"],
            Some(&["b", "c"]),
            False,
        ),
        ("ForAnyValue:StringEquals", "k", &["a"], None, False),
        (
            "ForAllValues:StringEquals",
            "k",
            &["a", "b"],
            Some(&["b", "a"]),
            True,
        ),
        (
            "ForAllValues:StringEquals",
            "k",
            &["a"],
            Some(&["a", "c"]),
            False,
        ),
        ("ForAllValues:StringEquals", "k", &["a"], None, True),
        ("ForAllValues:StringEquals", "k", &["a"], Some(&[]), True),
        ("ForAnyValue:StringEquals", "k", &["a"], Some(&[]), False),
        (
            "ForAnyValue:StringNotEquals",
            "k",
            &["a"],
            Some(&["a", "z"]),
            True,
        ),
        (
            "ForAllValues:StringNotLike",
            "k",
            &["x*"],
            Some(&["a", "b"]),
            True,
        ),
    ];
    for (operator, key, values, request, expected) in cases {
        let mut context = RequestContext::new();
        match request {
            None => context.insert_absent(key),
            Some([]) => context.insert_absent(key),
            Some(request) => request.iter().for_each(|value| context.insert(key, *value)),
        }
        assert_eq!(
            eval(operator, key, values, &context),
            *expected,
            "{operator} {key} {values:?} {request:?}"
        );
    }
}

#[test]
fn unknown_keys_and_operators_stay_unknown() {
    let context = RequestContext::new();
    assert_eq!(
        eval("IpAddress", "aws:SourceIp", &["10.0.0.0/8"], &context),
        Unknown
    );
    assert_eq!(
        eval("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"], &context),
        Unknown
    );
    assert_eq!(eval("Null", "aws:SourceIp", &["true"], &context), Unknown);
    assert_eq!(
        eval("StringEqualz", "aws:username", &["alice"], &context),
        Unknown
    );
    // A variable on an unknown key leaves the value unknown.
    assert_eq!(
        eval(
            "StringEquals",
            "aws:username",
            &["${aws:SourceIp}"],
            &context
        ),
        Unknown
    );
}

#[test]
fn variables_in_values() {
    let context = RequestContext::new();
    assert_eq!(
        eval(
            "StringEquals",
            "aws:username",
            &["${aws:username}"],
            &context
        ),
        True
    );
    assert_eq!(
        eval(
            "StringLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:user/${aws:username}"],
            &context
        ),
        True
    );
    let mut absent = RequestContext::new();
    absent.insert_absent("aws:principaltag/team");
    absent.insert("k", "x");
    // An unresolvable variable: positive operators do not match, negated ones do (§1.5).
    assert_eq!(
        eval("StringEquals", "k", &["${aws:PrincipalTag/team}"], &absent),
        False
    );
    assert_eq!(
        eval(
            "StringNotEquals",
            "k",
            &["${aws:PrincipalTag/team}"],
            &absent
        ),
        True
    );
}

#[test]
fn key_names_are_case_insensitive() {
    let context = RequestContext::new().with("aws:SourceVpc", "vpc-1");
    assert_eq!(
        eval("StringEquals", "AWS:SOURCEVPC", &["vpc-1"], &context),
        True
    );
}
