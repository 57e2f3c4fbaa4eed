//! Reading policy files: a bare document, or the AWS CLI output that wraps one.

use std::path::Path;
use std::sync::Arc;

use accessgraph_policy::{ParseOptions, Policy, PolicyDocument};
use anyhow::{Context as _, Result};

use crate::bounded_file::read_text;
use serde_json::Value;

/// Largest policy file read (AWS documents are at most 131,072 characters).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads and parses a policy file; the policy is labelled with the path as given.
pub(crate) fn read(path: &Path, options: &ParseOptions) -> Result<Arc<Policy>> {
    let label = path.display().to_string();
    let text = read_text(path, "policy file", MAX_FILE_BYTES)?;
    let document = parse(&text, options).with_context(|| format!("in `{label}`"))?;
    Ok(Arc::new(Policy::new(label, document)))
}

/// Parses text that is a policy document or AWS CLI output holding one.
fn parse(text: &str, options: &ParseOptions) -> Result<PolicyDocument> {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        // Not JSON: maybe URL-encoded; let the policy parser report.
        return Ok(PolicyDocument::parse_with(text.trim(), options)?);
    };
    let (inner, path) = unwrap_cli_output(&value);
    PolicyDocument::from_value(inner, options).map_err(|error| match path {
        Some(path) => anyhow::Error::new(error).context(format!("in the document at `{path}`")),
        None => anyhow::Error::new(error),
    })
}

/// Finds the policy document inside AWS CLI output shapes (iam-semantics.md §7):
/// `get-policy-version` (`PolicyVersion.Document`), `describe-policy` (`Policy.Content`),
/// `get-bucket-policy` / `get-key-policy` / `lambda get-policy` (`Policy`),
/// `secretsmanager get-resource-policy` (`ResourcePolicy`), `sqs`/`sns` attributes
/// (`Attributes.Policy`), `get-role` (`Role.AssumeRolePolicyDocument`).
fn unwrap_cli_output(value: &Value) -> (&Value, Option<&'static str>) {
    if value.get("Statement").is_some() || !value.is_object() {
        return (value, None);
    }
    let candidates: [(&[&str], &'static str); 7] = [
        (&["PolicyVersion", "Document"], "$.PolicyVersion.Document"),
        (&["Policy", "Content"], "$.Policy.Content"),
        (&["Policy"], "$.Policy"),
        (&["ResourcePolicy"], "$.ResourcePolicy"),
        (&["Attributes", "Policy"], "$.Attributes.Policy"),
        (
            &["Role", "AssumeRolePolicyDocument"],
            "$.Role.AssumeRolePolicyDocument",
        ),
        (&["PolicyDocument"], "$.PolicyDocument"),
    ];
    for (keys, path) in candidates {
        let found = keys.iter().try_fold(value, |current, key| current.get(key));
        if let Some(found) =
            found.filter(|found| found.is_string() || found.get("Statement").is_some())
        {
            return (found, Some(path));
        }
    }
    (value, None)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::unwrap_cli_output;

    #[test]
    fn finds_documents_in_cli_output() {
        let document = json!({"Statement": []});
        let wrapped = [
            (
                json!({"PolicyVersion": {"Document": document, "VersionId": "v1"}}),
                "$.PolicyVersion.Document",
            ),
            (
                json!({"Policy": {"PolicySummary": {}, "Content": "{}"}}),
                "$.Policy.Content",
            ),
            (json!({"Policy": "{}", "RevisionId": "x"}), "$.Policy"),
            (
                json!({"ARN": "a", "ResourcePolicy": "{}"}),
                "$.ResourcePolicy",
            ),
            (
                json!({"Attributes": {"Policy": "{}"}}),
                "$.Attributes.Policy",
            ),
        ];
        for (value, path) in wrapped {
            assert_eq!(unwrap_cli_output(&value).1, Some(path), "{value}");
        }
        assert_eq!(unwrap_cli_output(&document).1, None);
    }
}
