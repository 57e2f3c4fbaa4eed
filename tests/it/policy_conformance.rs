//! The policy conformance suite: table-driven cases in `tests/data/policy-cases/*.json`, each
//! naming the rule of `iam-semantics.md` it checks. One test runs them all and reports every
//! failing case with its file, name and rule.
//!
//! A case file holds `{"description", "defaults", "cases": [...]}`; `defaults` are merged into
//! every case. Case kinds:
//! - `eval` (default): `principal`, `action`, `resource` (+ `resource_account`, tags, `context`,
//!   `absent`, `principal_tags`, `principal_org`, `principal_id`, `session_name`,
//!   `service_linked`, `session_of` (the role or user a session belongs to),
//!   `principal_canonical_id`, `resource_owner_unknown`, `resource_is_pattern`, `not_before` (the
//!   earliest request time); `principal` may be `outsider`, any principal of an account outside
//!   the snapshot), policies `identity`, `boundary`, `session`, `scps`, `rcps`,
//!   `resource_policy`, `acl` (an S3 ACL as a policy), `vpc_endpoint_policy`; expectations `expect` (`allow`, `explicit_deny`, `implicit_deny`, `aws_owned_deny`,
//!   `conditional_explicit`, `conditional_implicit`), optional `evidence` (`label#statement`),
//!   `missing` (layer names) and `conditions` (keys).
//! - `parse`: `document` (+ `strict`, `policy_kind`), `error_path` (`null` when it must parse).
//! - `admin`: principal and policies as for `eval`, `attached`, `groups`, expectations `full`,
//!   `self_escalating` (`true`, `false`, `unknown`) and optional `technique`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use accessgraph_policy::admin::{self, AdminReason, Group, Subject};
use accessgraph_policy::{
    Action, Decision, DenyKind, Layer, OrgLevel, OrgMembership, ParseOptions, Policy,
    PolicyDocument, PolicyKind, PolicySet, Principal, Request, RequestContext, Resource, Tri,
    evaluate,
};
use serde_json::{Map, Value};

/// The suite must keep at least this many cases (issue: "at least 200").
const MINIMUM_CASES: usize = 200;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/policy-cases")
}

#[test]
fn policy_conformance_suite() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("policy-cases directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable case file");
        let suite: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let defaults = suite
            .get("defaults")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let cases = suite["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no `cases`", file.display()));
        for (idx, case) in cases.iter().enumerate() {
            count += 1;
            let mut merged = defaults.clone();
            merged.extend(case.as_object().expect("case object").clone());
            let name = merged
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            let rule = merged
                .get("rule")
                .and_then(Value::as_str)
                .unwrap_or("<no rule>")
                .to_owned();
            if let Err(message) = run_case(&merged) {
                let file_name = file.file_name().unwrap_or_default().to_string_lossy();
                failures.push(format!(
                    "{file_name} case {idx} `{name}` [{rule}]: {message}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        count >= MINIMUM_CASES,
        "only {count} conformance cases, expected at least {MINIMUM_CASES}"
    );
}

#[test]
fn every_case_names_its_rule() {
    for entry in std::fs::read_dir(data_dir()).expect("policy-cases directory") {
        let path = entry.expect("entry").path();
        let suite: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("json");
        let default_rule = suite.get("defaults").and_then(|d| d.get("rule")).is_some();
        for case in suite["cases"].as_array().expect("cases") {
            assert!(
                default_rule
                    || case
                        .get("rule")
                        .and_then(Value::as_str)
                        .is_some_and(|rule| rule.contains('§')),
                "{}: case {} names no `§` rule",
                path.display(),
                case["name"]
            );
        }
    }
}

type CaseResult = Result<(), String>;

fn run_case(case: &Map<String, Value>) -> CaseResult {
    match case.get("kind").and_then(Value::as_str).unwrap_or("eval") {
        "eval" => run_eval(case),
        "parse" => run_parse(case),
        "admin" => run_admin(case),
        other => Err(format!("unknown case kind `{other}`")),
    }
}

fn document(value: &Value, label: &str) -> Result<Arc<Policy>, String> {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    Policy::parse(label, &text)
        .map(Arc::new)
        .map_err(|error| format!("policy `{label}` does not parse: {error}"))
}

fn documents(case: &Map<String, Value>, key: &str) -> Result<Vec<Arc<Policy>>, String> {
    case.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(idx, item)| document(item, &format!("{key}[{idx}]")))
                .collect()
        })
        .unwrap_or_else(|| Ok(Vec::new()))
}

fn single(case: &Map<String, Value>, key: &str) -> Result<Option<Arc<Policy>>, String> {
    case.get(key)
        .filter(|value| !value.is_null())
        .map(|value| document(value, key))
        .transpose()
}

fn chain(case: &Map<String, Value>, key: &str) -> Result<Option<Vec<OrgLevel>>, String> {
    let Some(levels) = case.get(key).and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut chain = Vec::new();
    for (level, items) in levels.iter().enumerate() {
        let items = items
            .as_array()
            .ok_or(format!("`{key}[{level}]` must be a list of policies"))?;
        let policies = items
            .iter()
            .enumerate()
            .map(|(idx, item)| document(item, &format!("{key}[{level}][{idx}]")))
            .collect::<Result<Vec<_>, _>>()?;
        chain.push(OrgLevel {
            target: format!("{key}[{level}]").into(),
            policies,
        });
    }
    Ok(Some(chain))
}

fn string<'a>(case: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    case.get(key).and_then(Value::as_str)
}

fn tags(case: &Map<String, Value>, key: &str) -> Option<BTreeMap<String, String>> {
    case.get(key).and_then(Value::as_object).map(|tags| {
        tags.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect()
    })
}

fn org(value: Option<&Value>) -> OrgMembership {
    match value {
        None => OrgMembership::Unknown,
        Some(Value::Null) => OrgMembership::None,
        Some(value) => OrgMembership::Member {
            org_id: value["id"].as_str().unwrap_or_default().to_owned(),
            paths: value["paths"]
                .as_array()
                .map(|paths| {
                    paths
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        },
    }
}

fn principal(case: &Map<String, Value>) -> Result<Principal, String> {
    let text = string(case, "principal").ok_or("missing `principal`")?;
    if text == "outsider" {
        return Ok(Principal::outsider("aws", org(case.get("principal_org"))));
    }
    let mut principal = Principal::parse(text).map_err(|error| error.to_string())?;
    if let Some(id) = string(case, "principal_canonical_id") {
        principal = principal.with_canonical_id(id);
    }
    if let Some(tags) = tags(case, "principal_tags") {
        principal = principal.with_tags(tags);
    }
    if let Some(id) = string(case, "principal_id") {
        principal = principal.with_unique_id(id);
    }
    if let Some(session) = string(case, "session_name") {
        principal = principal.with_session_name(session);
    }
    if let Some(parent) = string(case, "session_of") {
        principal = principal
            .with_session_of(parent)
            .map_err(|error| error.to_string())?;
    }
    if case.get("service_linked").and_then(Value::as_bool) == Some(true) {
        principal = principal.with_service_linked(true);
    }
    Ok(principal.with_org(org(case.get("principal_org"))))
}

fn run_eval(case: &Map<String, Value>) -> CaseResult {
    let principal = principal(case)?;
    let action = Action::new(string(case, "action").ok_or("missing `action`")?);
    let mut resource = Resource::new(string(case, "resource").ok_or("missing `resource`")?);
    if let Some(account) = string(case, "resource_account") {
        resource = resource.with_account(account);
    }
    if let Some(tags) = tags(case, "resource_tags") {
        resource = resource.with_tags(tags);
    }
    resource = resource.with_org(org(case.get("resource_org")));
    if case.get("resource_owner_unknown").and_then(Value::as_bool) == Some(true) {
        resource = resource.with_unknown_owner();
    }
    if case.get("resource_is_pattern").and_then(Value::as_bool) == Some(true) {
        resource = resource.as_pattern();
    }
    let mut context = RequestContext::new();
    if let Some(text) = string(case, "not_before") {
        let epoch_ms = accessgraph_policy::parse_time(text)
            .ok_or_else(|| format!("`not_before` is not a time: {text}"))?;
        context.set_earliest_time(epoch_ms);
    }
    if let Some(values) = case.get("context").and_then(Value::as_object) {
        for (key, value) in values {
            match value {
                Value::Array(items) => items
                    .iter()
                    .for_each(|item| context.insert(key, item.as_str().unwrap_or_default())),
                other => context.insert(
                    key,
                    other
                        .as_str()
                        .map_or_else(|| other.to_string(), str::to_owned),
                ),
            }
        }
    }
    for key in case
        .get("absent")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        context.insert_absent(key.as_str().unwrap_or_default());
    }
    let identity = documents(case, "identity")?;
    let boundary = single(case, "boundary")?;
    let session = single(case, "session")?;
    let resource_policy = single(case, "resource_policy")?;
    let acl = single(case, "acl")?;
    let vpc_endpoint = single(case, "vpc_endpoint_policy")?;
    let scps = chain(case, "scps")?;
    let rcps = chain(case, "rcps")?;
    let request = Request {
        principal: &principal,
        action: &action,
        resource: &resource,
        context: &context,
    };
    let policies = PolicySet {
        identity: &identity,
        boundary: boundary.as_deref(),
        session: session.as_deref(),
        scps: scps.as_deref(),
        rcps: rcps.as_deref(),
        resource: resource_policy.as_deref(),
        acl: acl.as_deref(),
        vpc_endpoint: vpc_endpoint.as_deref(),
    };
    let evaluation = evaluate(&request, &policies);
    let actual = match evaluation.decision {
        Decision::Allow => "allow",
        Decision::Deny(DenyKind::Explicit) => "explicit_deny",
        Decision::Deny(DenyKind::Implicit) => "implicit_deny",
        Decision::Deny(DenyKind::AwsOwned) => "aws_owned_deny",
        Decision::Conditional {
            deny_kind: DenyKind::Explicit,
        } => "conditional_explicit",
        Decision::Conditional {
            deny_kind: DenyKind::Implicit | DenyKind::AwsOwned,
        } => "conditional_implicit",
    };
    let expected = string(case, "expect").ok_or("missing `expect`")?;
    let matches = match expected {
        "deny" => actual.ends_with("_deny"),
        "conditional" => actual.starts_with("conditional"),
        exact => actual == exact,
    };
    if !matches {
        return Err(format!(
            "expected {expected}, got {actual}: {}",
            serde_json::to_string(&evaluation).unwrap_or_default()
        ));
    }
    if let Some(expected) = case.get("evidence").and_then(Value::as_array) {
        let mut expected: Vec<String> = expected
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let mut actual: Vec<String> = evaluation
            .evidence
            .iter()
            .map(|citation| format!("{}#{}", citation.policy, citation.statement))
            .collect();
        expected.sort();
        actual.sort();
        if expected != actual {
            return Err(format!("evidence {actual:?}, expected {expected:?}"));
        }
    }
    if let Some(expected) = case.get("missing").and_then(Value::as_array) {
        let expected: Vec<&str> = expected.iter().filter_map(Value::as_str).collect();
        let actual: Vec<String> = evaluation.missing.iter().map(layer_name).collect();
        if expected != actual {
            return Err(format!("missing layers {actual:?}, expected {expected:?}"));
        }
    }
    if let Some(expected) = case.get("conditions").and_then(Value::as_array) {
        let mut expected: Vec<String> = expected
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect();
        let mut actual: Vec<String> = evaluation
            .conditions
            .iter()
            .map(|c| c.key.to_lowercase())
            .collect();
        expected.sort();
        actual.sort();
        actual.dedup();
        if expected != actual {
            return Err(format!("unresolved keys {actual:?}, expected {expected:?}"));
        }
    }
    Ok(())
}

fn layer_name(layer: &Layer) -> String {
    match layer {
        Layer::Identity => "identity".into(),
        Layer::Boundary => "boundary".into(),
        Layer::Session => "session".into(),
        Layer::Resource => "resource".into(),
        Layer::VpcEndpoint => "vpc_endpoint".into(),
        Layer::Scp { target } | Layer::Rcp { target } => target.to_string(),
    }
}

fn run_parse(case: &Map<String, Value>) -> CaseResult {
    let text = match case.get("document").ok_or("missing `document`")? {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let kind = match string(case, "policy_kind") {
        None => None,
        Some("identity") => Some(PolicyKind::Identity),
        Some("resource") => Some(PolicyKind::Resource),
        Some("trust") => Some(PolicyKind::Trust),
        Some("scp") => Some(PolicyKind::Scp),
        Some("boundary") => Some(PolicyKind::Boundary),
        Some(other) => return Err(format!("unknown policy_kind `{other}`")),
    };
    let options = ParseOptions {
        strict: case.get("strict").and_then(Value::as_bool) == Some(true),
        kind,
        ..ParseOptions::default()
    };
    let result = PolicyDocument::parse_with(&text, &options);
    match (result, case.get("error_path")) {
        (Ok(_), None | Some(Value::Null)) => Ok(()),
        (Ok(_), Some(path)) => Err(format!("parsed, expected an error at {path}")),
        (Err(error), None | Some(Value::Null)) => Err(format!("expected to parse, got: {error}")),
        (Err(error), Some(path)) if path.as_str() == Some(error.path()) => {
            match string(case, "error_contains") {
                Some(fragment) if !error.to_string().contains(fragment) => {
                    Err(format!("error `{error}` does not contain `{fragment}`"))
                }
                _ => Ok(()),
            }
        }
        (Err(error), Some(path)) => Err(format!(
            "error at `{}` (`{error}`), expected at {path}",
            error.path()
        )),
    }
}

fn tri(text: Option<&str>) -> Result<Tri, String> {
    match text {
        Some("true") => Ok(Tri::True),
        Some("false") => Ok(Tri::False),
        Some("unknown") => Ok(Tri::Unknown),
        other => Err(format!(
            "expected `true`, `false` or `unknown`, got {other:?}"
        )),
    }
}

fn run_admin(case: &Map<String, Value>) -> CaseResult {
    let principal = principal(case)?;
    let identity = documents(case, "identity")?;
    let boundary = single(case, "boundary")?;
    let scps = chain(case, "scps")?;
    let attached: Vec<String> = case
        .get("attached")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let groups: Vec<Group> = case
        .get("groups")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|group| Group {
                    arn: group["arn"].as_str().unwrap_or_default().to_owned(),
                    attached_policies: group["attached"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &identity,
            boundary: boundary.as_deref(),
            scps: scps.as_deref(),
            ..PolicySet::default()
        },
        attached_policies: &attached,
        groups: &groups,
        earliest_time: None,
    };
    let full = admin::full_admin(&subject);
    let escalating = admin::self_escalating_admin(&subject);
    if let Some(expected) = case.get("full") {
        let expected = tri(expected.as_str())?;
        if full.status != expected {
            return Err(format!(
                "full_admin {:?}, expected {expected:?}: {full:?}",
                full.status
            ));
        }
    }
    if let Some(expected) = case.get("self_escalating") {
        let expected = tri(expected.as_str())?;
        if escalating.status != expected {
            return Err(format!(
                "self_escalating_admin {:?}, expected {expected:?}: {escalating:?}",
                escalating.status
            ));
        }
    }
    if let Some(expected) = string(case, "technique") {
        let actual = match &escalating.reason {
            Some(AdminReason::SelfEscalation { technique, .. }) => {
                serde_json::to_value(technique).unwrap_or_default()
            }
            _ => Value::Null,
        };
        if actual.as_str() != Some(expected) {
            return Err(format!("technique {actual}, expected {expected}"));
        }
    }
    Ok(())
}
