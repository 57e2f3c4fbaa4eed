//! Evaluator unit tests; the conformance suite in `tests/data/policy-cases` covers the rules
//! case by case (iam-semantics.md §3).

use std::sync::Arc;

use super::{Decision, DenyKind, Layer, evaluate};
use crate::policy::{Policy, PolicySet};
use crate::request::{Action, Principal, Request, RequestContext, Resource};

fn policy(label: &str, text: &str) -> Arc<Policy> {
    Arc::new(Policy::parse(label, text).unwrap())
}

#[test]
fn evidence_cites_label_index_and_sid() {
    let identity = [policy(
        "arn:aws:iam::111122223333:policy/p",
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"},{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#,
    )];
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let action = Action::new("s3:GetObject");
    let resource = Resource::new("arn:aws:s3:::b/k").with_account("111122223333");
    let context = RequestContext::new();
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
            ..PolicySet::default()
        },
    );
    assert_eq!(evaluation.decision, Decision::Allow);
    assert_eq!(evaluation.evidence.len(), 1);
    let citation = &evaluation.evidence[0];
    assert_eq!(&*citation.policy, "arn:aws:iam::111122223333:policy/p");
    assert_eq!(citation.statement, 1);
    assert_eq!(citation.sid.as_deref(), Some("Read"));
    assert_eq!(citation.layer, Layer::Identity);
}

#[test]
fn implicit_deny_names_the_missing_layer() {
    let identity = [policy(
        "id",
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )];
    let boundary = policy(
        "boundary",
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    );
    let principal = Principal::parse("arn:aws:iam::111122223333:role/r").unwrap();
    let action = Action::new("iam:CreateUser");
    let resource = Resource::new("arn:aws:iam::111122223333:user/x");
    let context = RequestContext::new();
    let request = Request {
        principal: &principal,
        action: &action,
        resource: &resource,
        context: &context,
    };
    let policies = PolicySet {
        identity: &identity,
        boundary: Some(&boundary),
        ..PolicySet::default()
    };
    let evaluation = evaluate(&request, &policies);
    assert_eq!(evaluation.decision, Decision::Deny(DenyKind::Implicit));
    assert_eq!(evaluation.missing, vec![Layer::Boundary]);
}

#[test]
fn json_shape_matches_the_cli_contract() {
    let identity = [policy(
        "id",
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#,
    )];
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let action = Action::new("iam:CreateUser");
    let resource = Resource::new("arn:aws:iam::111122223333:user/x");
    let context = RequestContext::new();
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
            ..PolicySet::default()
        },
    );
    let json = serde_json::to_value(&evaluation).unwrap();
    assert_eq!(json["decision"], "conditional");
    assert_eq!(json["deny_kind"], "implicit");
    assert_eq!(json["conditions"][0]["key"], "aws:MultiFactorAuthPresent");
    assert_eq!(json["evidence"][0]["conditional"], true);
}

/// `Statement::resource_scope` is the pre-check the graph uses to skip evaluations: whatever
/// full evaluation allows (or allows under conditions) for a user must be in the scope of its
/// allow statements, with `${aws:username}` taken as the user's name (iam-semantics.md §1.5,
/// §1.7).
mod resource_scope {
    use proptest::prelude::*;

    use super::*;

    fn scope_of(text: &str, username: Option<&str>) -> crate::ResourceScope {
        let policy = policy("p", text);
        let mut scope = crate::ResourceScope::default();
        for statement in policy.document().statements() {
            scope.add(statement.resource_scope(username));
        }
        scope
    }

    #[test]
    fn a_user_name_variable_names_only_the_caller() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}]}"#;
        let scope = scope_of(text, Some("alice"));
        assert!(scope.might_include("arn:aws:iam::111122223333:user/alice"));
        assert!(!scope.might_include("arn:aws:iam::111122223333:user/bob"));
        // A role caller has no user name: the pre-check keeps every user.
        assert!(scope_of(text, None).might_include("arn:aws:iam::111122223333:user/bob"));
    }

    #[test]
    fn other_variables_not_resource_and_no_resource_keep_everything() {
        for text in [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:user/${aws:PrincipalTag/team}-*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::111122223333:user/bob"}]}"#,
        ] {
            assert!(
                scope_of(text, Some("alice")).might_include("arn:aws:iam::111122223333:user/ops-x")
            );
        }
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:role/app-*"}]}"#;
        let scope = scope_of(text, Some("alice"));
        assert!(scope.might_include("arn:aws:iam::111122223333:role/app-1"));
        assert!(!scope.might_include("arn:aws:iam::111122223333:role/ops"));
        assert!(scope_of(r#"{"Statement":[]}"#, None).is_empty());
    }

    fn pattern() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("${aws:username}".to_owned()),
            Just("${aws:PrincipalTag/team}".to_owned()),
            Just("${aws:username, 'x'}".to_owned()),
            Just("*".to_owned()),
            Just("?".to_owned()),
            "[a-c]{1,2}",
        ];
        prop::collection::vec(piece, 0..4)
            .prop_map(|pieces| format!("arn:aws:iam::111122223333:user/{}", pieces.concat()))
    }

    proptest! {
        #[test]
        fn evaluation_never_allows_outside_the_scope(
            pattern in pattern(),
            name in "[a-c]{1,3}",
            target in "[a-c*?x-]{0,4}",
            tagged in any::<bool>(),
        ) {
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"{pattern}"}}]}}"#
            );
            let identity = [policy("p", &text)];
            let mut principal =
                Principal::parse(&format!("arn:aws:iam::111122223333:user/{name}")).unwrap();
            if tagged {
                principal = principal.with_tags(std::collections::BTreeMap::from([("team".to_owned(), "ab".to_owned())]));
            }
            let target = format!("arn:aws:iam::111122223333:user/{target}");
            let action = Action::new("iam:CreateAccessKey");
            let resource = Resource::new(target.clone()).with_account("111122223333");
            let context = RequestContext::new();
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
                    ..PolicySet::default()
                },
            );
            if evaluation.decision.is_possible() {
                prop_assert!(
                    scope_of(&text, Some(&name)).might_include(&target),
                    "{pattern} allows {target} for {name}"
                );
            }
        }
    }
}
