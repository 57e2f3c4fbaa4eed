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
