//! Principal parsing and condition-key derivation (iam-semantics.md §1.5, §4.3).

use std::collections::BTreeMap;

use super::{
    Action, Env, Lookup, OrgMembership, Principal, PrincipalKind, Request, RequestContext, Resource,
};

#[test]
fn principal_forms() {
    let cases = [
        ("arn:aws:iam::111122223333:user/a", PrincipalKind::User),
        ("arn:aws:iam::111122223333:role/x/r", PrincipalKind::Role),
        (
            "arn:aws:sts::111122223333:assumed-role/r/s",
            PrincipalKind::Role,
        ),
        (
            "arn:aws:sts::111122223333:federated-user/f",
            PrincipalKind::FederatedUser,
        ),
        ("arn:aws:iam::111122223333:root", PrincipalKind::Root),
        ("ec2.amazonaws.com", PrincipalKind::Service),
        (
            "arn:aws:iam::111122223333:saml-provider/Okta",
            PrincipalKind::Federated,
        ),
        ("cognito-identity.amazonaws.com", PrincipalKind::Federated),
        ("*", PrincipalKind::Anonymous),
    ];
    for (text, kind) in cases {
        assert_eq!(Principal::parse(text).unwrap().kind(), kind, "{text}");
    }
    let session = Principal::parse("arn:aws:sts::111122223333:assumed-role/r/s").unwrap();
    assert_eq!(session.arn(), "arn:aws:iam::111122223333:role/r");
    assert_eq!(session.session_name(), Some("s"));
    let slr = Principal::parse(
        "arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
    )
    .unwrap();
    assert!(slr.is_service_linked());
    for bad in [
        "alice",
        "arn:aws:s3:::bucket",
        "arn:aws:iam::aws:policy/x",
        "arn:aws:iam::111122223333:group/g",
    ] {
        assert!(Principal::parse(bad).is_err(), "{bad}");
    }
}

fn lookup(
    principal: &Principal,
    resource: &Resource,
    context: &RequestContext,
    key: &str,
) -> String {
    let action = Action::new("s3:GetObject");
    let env = Env::new(Request {
        principal,
        action: &action,
        resource,
        context,
    });
    match env.lookup(key) {
        Lookup::Single(value) => value.to_owned(),
        Lookup::Many(values) => values.join(","),
        Lookup::Absent => "<absent>".into(),
        Lookup::Unknown => "<unknown>".into(),
        Lookup::NotBefore {
            epoch_ms,
            may_be_absent,
        } => format!(
            "<not before {epoch_ms}{}>",
            if may_be_absent { ", or absent" } else { "" }
        ),
    }
}

#[test]
fn derived_keys() {
    let tags = BTreeMap::from([("Team".to_owned(), "red".to_owned())]);
    let org = OrgMembership::Member {
        org_id: "o-exampleorg1".into(),
        paths: vec!["o-exampleorg1/r-ab12/ou-ab12-11111111/".into()],
    };
    let user = Principal::parse("arn:aws:iam::111122223333:user/alice")
        .unwrap()
        .with_tags(tags)
        .with_org(org);
    let role = Principal::parse("arn:aws:iam::111122223333:role/r").unwrap();
    let resource = Resource::new("arn:aws:sqs:us-east-1:444455556666:q");
    let context = RequestContext::new();
    let cases = [
        (
            &user,
            "aws:principalarn",
            "arn:aws:iam::111122223333:user/alice",
        ),
        (&user, "aws:principalaccount", "111122223333"),
        (&user, "aws:principaltype", "User"),
        (&user, "aws:username", "alice"),
        (&user, "aws:principaltag/team", "red"),
        (&user, "aws:principaltag/other", "<absent>"),
        (&user, "aws:principalorgid", "o-exampleorg1"),
        (
            &user,
            "aws:principalorgpaths",
            "o-exampleorg1/r-ab12/ou-ab12-11111111/",
        ),
        (&user, "aws:resourceaccount", "444455556666"),
        (&user, "aws:resourcetag/x", "<unknown>"),
        (&user, "aws:sourceip", "<unknown>"),
        (&role, "aws:username", "<absent>"),
        (&role, "aws:principaltype", "AssumedRole"),
        (&role, "aws:principaltag/team", "<unknown>"),
        (&role, "aws:principalorgid", "<unknown>"),
    ];
    for (principal, key, expected) in cases {
        assert_eq!(
            lookup(principal, &resource, &context, key),
            expected,
            "{key}"
        );
    }
    let supplied = RequestContext::new()
        .with("AWS:SourceIp", "10.0.0.1")
        .with("aws:username", "override");
    assert_eq!(
        lookup(&user, &resource, &supplied, "aws:sourceip"),
        "10.0.0.1"
    );
    assert_eq!(
        lookup(&user, &resource, &supplied, "aws:username"),
        "override",
        "supplied values win"
    );
}

#[test]
fn s3_resources_have_no_account_until_given() {
    assert_eq!(Resource::new("arn:aws:s3:::b/k").account(), None);
    assert_eq!(
        Resource::new("arn:aws:s3:::b/k")
            .with_account("111122223333")
            .account(),
        Some("111122223333")
    );
    assert_eq!(Action::new("S3:GetObject").service(), "s3");
}
