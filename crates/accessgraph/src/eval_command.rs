//! `accessgraph eval`: one request against policy files, printed as text or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use accessgraph_policy::{
    Action, DenyKind, Evaluation, OrgLevel, ParseOptions, Policy, PolicyKind, PolicySet, Principal,
    Request, RequestContext, Resource, evaluate,
};
use anyhow::{Context as _, Result, bail};

use crate::cli::{EvalArgs, Format};
use crate::policy_file;

/// Runs the command and returns what to print.
pub(crate) fn run(args: &EvalArgs) -> Result<String> {
    let read = |path: &Path, kind: PolicyKind| {
        let options = ParseOptions {
            strict: args.strict,
            kind: Some(kind),
            ..ParseOptions::default()
        };
        policy_file::read(path, &options)
    };
    let identity = args
        .policies
        .iter()
        .map(|path| read(path, PolicyKind::Identity))
        .collect::<Result<Vec<_>>>()?;
    let boundary = args
        .boundary
        .as_deref()
        .map(|path| read(path, PolicyKind::Boundary))
        .transpose()?;
    let session = args
        .session_policy
        .as_deref()
        .map(|path| read(path, PolicyKind::Session))
        .transpose()?;
    let resource_policy = args
        .resource_policy
        .as_deref()
        .map(|path| read(path, PolicyKind::Resource))
        .transpose()?;
    let endpoint_policy = args
        .vpc_endpoint_policy
        .as_deref()
        .map(|path| read(path, PolicyKind::Resource))
        .transpose()?;
    let scps = chain(&args.scps, "scp", |path| read(path, PolicyKind::Scp))?;
    let rcps = chain(&args.rcps, "rcp", |path| read(path, PolicyKind::Rcp))?;

    let mut principal = Principal::parse(&args.principal).context("in `--principal`")?;
    if !args.principal_tags.is_empty() {
        principal = principal.with_tags(
            pairs(&args.principal_tags, "--principal-tag")?
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        );
    }
    if let Some(id) = &args.principal_id {
        principal = principal.with_unique_id(id.clone());
    }
    if let Some(parent) = &args.session_of {
        principal = principal
            .with_session_of(parent)
            .context("in `--session-of`")?;
    }
    let mut resource = Resource::new(args.resource.clone()).as_pattern();
    let mut warnings = Vec::new();
    if let Some(account) = &args.resource_account {
        resource = resource.with_account(account.clone());
    } else if resource.account().is_none() {
        if let Some(account) = principal.account() {
            if args.resource.starts_with("arn:") {
                warnings.push(format!(
                    "the resource ARN names no account: assumed the principal's account `{account}` (set `--resource-account`)"
                ));
            }
            resource = resource.with_account(account);
        }
    }
    if !args.resource_tags.is_empty() {
        resource = resource.with_tags(
            pairs(&args.resource_tags, "--resource-tag")?
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
        );
    }
    let mut context = RequestContext::new();
    for (key, value) in pairs(&args.context, "--context")? {
        context.insert(&key, value);
    }
    for key in &args.absent {
        context.insert_absent(key);
    }
    if let Some(text) = &args.not_before {
        let Some(epoch_ms) = accessgraph_policy::parse_time(text) else {
            bail!(
                "in `--not-before`: `{text}` is not a time: expected ISO 8601 (`2026-12-01T00:00:00Z`) or epoch seconds"
            );
        };
        context.set_earliest_time(epoch_ms);
    }
    let action = Action::new(args.action.clone());
    if let Some((message, suggestion)) =
        accessgraph_catalog::Catalog::embedded().diagnose_request(&args.action)
    {
        match suggestion {
            Some(suggestion) => bail!("in `--action`: {message}; did you mean `{suggestion}`?"),
            None => bail!("in `--action`: {message}"),
        }
    }

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
        scps: (!scps.is_empty()).then_some(scps.as_slice()),
        rcps: (!rcps.is_empty()).then_some(rcps.as_slice()),
        resource: resource_policy.as_deref(),
        acl: None,
        vpc_endpoint: endpoint_policy.as_deref(),
    };
    let evaluation = evaluate(&request, &policies);
    warnings.extend(
        identity
            .iter()
            .chain(&boundary)
            .chain(&session)
            .chain(&resource_policy)
            .chain(&endpoint_policy)
            .chain(scps.iter().chain(&rcps).flat_map(|level| &level.policies))
            .flat_map(|policy| {
                policy
                    .document()
                    .warnings()
                    .iter()
                    .map(|warning| format!("`{}`: {warning}", policy.label()))
            }),
    );
    match args.format {
        Format::Json => {
            let mut json = serde_json::to_value(&evaluation)?;
            if let Some(object) = json.as_object_mut() {
                object.insert("warnings".into(), warnings.into());
            }
            Ok(format!("{}\n", serde_json::to_string_pretty(&json)?))
        }
        Format::Text => Ok(render_text(&evaluation, &warnings)),
    }
}

/// Parses `--scp` / `--rcp` values: one level per value, comma-separated files within a level.
fn chain(
    values: &[String],
    flag: &str,
    read: impl Fn(&Path) -> Result<Arc<Policy>>,
) -> Result<Vec<OrgLevel>> {
    values
        .iter()
        .enumerate()
        .map(|(level, files)| {
            let policies = files
                .split(',')
                .filter(|file| !file.is_empty())
                .map(|file| read(Path::new(file)))
                .collect::<Result<Vec<_>>>()?;
            if policies.is_empty() {
                bail!("in `--{flag}`: level {level} names no file");
            }
            Ok(OrgLevel {
                target: format!("{flag} level {level}").into(),
                policies,
            })
        })
        .collect()
}

/// Parses `KEY=VALUE` arguments.
/// `KEY=VALUE` arguments in the order given; a key given twice keeps both values (a multivalued
/// context key such as `aws:TagKeys`).
fn pairs(values: &[String], flag: &str) -> Result<Vec<(String, String)>> {
    values
        .iter()
        .map(|value| match value.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => bail!("in `{flag}`: `{value}` is not `KEY=VALUE`"),
        })
        .collect()
}

fn render_text(evaluation: &Evaluation, warnings: &[String]) -> String {
    let mut out = String::new();
    let decision = accessgraph_query::decision_words(
        evaluation.decision.as_str(),
        evaluation.decision.deny_kind().map(DenyKind::as_str),
    );
    let _ = writeln!(out, "decision: {decision}");
    if !evaluation.evidence.is_empty() {
        let _ = writeln!(out, "evidence:");
        for citation in &evaluation.evidence {
            let _ = writeln!(out, "  {citation}");
        }
    }
    if !evaluation.missing.is_empty() {
        let _ = writeln!(out, "no allow in:");
        for layer in &evaluation.missing {
            let _ = writeln!(out, "  {layer}");
        }
    }
    if !evaluation.conditions.is_empty() {
        let _ = writeln!(out, "unresolved conditions:");
        for condition in &evaluation.conditions {
            let _ = writeln!(out, "  {condition}");
        }
    }
    if let Some(when) = &evaluation.allowed_when {
        let _ = writeln!(
            out,
            "allowed when: {}",
            when.display(&evaluation.conditions)
        );
    }
    for note in &evaluation.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for warning in warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}
