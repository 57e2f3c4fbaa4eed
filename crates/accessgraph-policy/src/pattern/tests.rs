//! Policy variables and ARN component globs (iam-semantics.md §1.5, §1.7).

use super::{ArnGlob, Resolved, Template};
use crate::request::{Action, Env, Principal, Request, RequestContext, Resource};
use crate::wildcard::elems_of;

fn resolve(source: &str, context: RequestContext) -> Resolved {
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let action = Action::new("s3:GetObject");
    let resource = Resource::new("arn:aws:s3:::bucket");
    let request = Request {
        principal: &principal,
        action: &action,
        resource: &resource,
        context: &context,
    };
    Template::new(source, true).resolve(&Env::new(request))
}

fn text(resolved: Resolved) -> String {
    match resolved {
        Resolved::Elems(elems) => super::display_text(&elems),
        other => panic!("not resolved: {other:?}"),
    }
}

#[test]
fn substitutes_derived_and_supplied_keys() {
    assert_eq!(
        text(resolve("home/${aws:username}/*", RequestContext::new())),
        "home/alice/*"
    );
    assert_eq!(
        text(resolve("x/${AWS:UserName}", RequestContext::new())),
        "x/alice",
        "keys are case-insensitive"
    );
    let context = RequestContext::new().with("aws:PrincipalTag/team", "red");
    assert_eq!(
        text(resolve("t/${aws:PrincipalTag/team}", context)),
        "t/red"
    );
}

#[test]
fn escapes_and_defaults() {
    assert_eq!(
        text(resolve("a${*}b${?}c${$}", RequestContext::new())),
        "a*b?c$"
    );
    let mut context = RequestContext::new();
    context.insert_absent("aws:PrincipalTag/team");
    assert_eq!(
        text(resolve("${aws:PrincipalTag/team, 'company-wide'}", context)),
        "company-wide"
    );
}

#[test]
fn absent_and_unknown_keys() {
    let mut context = RequestContext::new();
    context.insert_absent("aws:sourcevpc");
    assert_eq!(resolve("${aws:SourceVpc}", context), Resolved::Absent);
    assert!(
        matches!(resolve("${aws:SourceIp}", RequestContext::new()), Resolved::Unknown(key) if &*key == "aws:sourceip")
    );
}

#[test]
fn variables_are_literal_without_2012_version() {
    assert_eq!(
        Template::new("${aws:username}", false),
        Template::Static(elems_of("${aws:username}"))
    );
}

#[test]
fn substituted_values_are_literal_text() {
    let context = RequestContext::new().with("aws:PrincipalTag/p", "*");
    let Resolved::Elems(elems) = resolve("arn:aws:s3:::b/${aws:PrincipalTag/p}", context) else {
        panic!()
    };
    let glob = ArnGlob::from_elems(elems);
    assert!(glob.matches("arn:aws:s3:::b/*"));
    assert!(
        !glob.matches("arn:aws:s3:::b/anything"),
        "a `*` from a tag value is not a wildcard"
    );
}

#[test]
fn arn_globs_match_component_wise() {
    let glob = |text: &str| ArnGlob::from_elems(elems_of(text));
    assert!(glob("*").matches("anything"));
    assert!(glob("arn:aws:iam::*:role/*").matches("arn:aws:iam::111122223333:role/path/x"));
    assert!(!glob("arn:aws:iam::*:role/*").matches("arn:aws:iam::111122223333:user/x"));
    // A star in the region component does not swallow the account separator.
    assert!(!glob("arn:aws:s3:*:111122223333:x").matches("arn:aws:s3:a:b:111122223333:x"));
    assert!(glob("arn:aws:s3:*:111122223333:x").matches("arn:aws:s3:a:111122223333:x"));
    assert!(
        glob("arn:aws:lambda:*:*:function:fn*")
            .matches("arn:aws:lambda:us-east-1:1:function:fn:prod")
    );
    // Fewer than six components: whole-string glob.
    assert!(glob("arn:aws:s3*").matches("arn:aws:s3:::bucket"));
    assert!(!glob("arn:aws:s3:::bucket/*").matches("not-an-arn"));
}
