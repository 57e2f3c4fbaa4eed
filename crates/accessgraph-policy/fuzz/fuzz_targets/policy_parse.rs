//! Fuzz target: the policy parser and evaluator must never panic, whatever the input.
//!
//! Run from `crates/accessgraph-policy`: `cargo fuzz run policy_parse` (see docs/fuzzing.md).

#![no_main]

use std::sync::Arc;

use accessgraph_policy::{
    Action, ParseOptions, Policy, PolicyDocument, PolicyKind, PolicySet, Principal, Request, RequestContext,
    Resource, evaluate,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = ParseOptions { strict: true, kind: Some(PolicyKind::Resource), ..ParseOptions::default() };
    let _ = PolicyDocument::parse_with(text, &strict);
    let Ok(policy) = Policy::parse("fuzz", text) else {
        return;
    };
    // Whatever parsed must round-trip and evaluate without panicking.
    let again = PolicyDocument::parse(&policy.document().to_json().to_string());
    assert!(again.is_ok(), "re-parse of printed document failed");
    let policies = [Arc::new(policy)];
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap_or_else(|_| unreachable!());
    let action = Action::new("s3:GetObject");
    let resource = Resource::new("arn:aws:s3:::bucket/key");
    let context = RequestContext::new().with("aws:SourceIp", "203.0.113.7");
    let request = Request { principal: &principal, action: &action, resource: &resource, context: &context };
    let set = PolicySet { identity: &policies, resource: Some(&policies[0]), ..PolicySet::default() };
    let _ = evaluate(&request, &set);
});
