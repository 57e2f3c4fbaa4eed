//! Files under their users' own names (issue 15): AWS CLI outputs outside the layout are read by
//! their content, with the account taken from the ARNs inside, and give the same snapshot and the
//! same answers as the layout would.

use std::path::Path;

use accessgraph_ingest::{IngestOptions, ingest};
use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{accessgraph, tempdir};
use crate::ingest::data;
use crate::ingest_errors::copy_dir;

/// Moves `from` (relative to `root`) to `to`, as a user saving outputs under their own names.
fn rename(root: &Path, from: &str, to: &str) {
    let target = root.join(to);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::rename(root.join(from), target).unwrap();
}

/// The example org with every file that names its own account and resource moved off the layout.
fn renamed_example(root: &Path) {
    copy_dir(&data("../examples/org"), root);
    for (from, to) in [
        (
            "organizations/describe-organization.json",
            "org/describe-organization.json",
        ),
        ("organizations/list-accounts.json", "org/accounts.json"),
        ("organizations/list-roots.json", "org/roots.json"),
        (
            "organizations/policies/p-sandboxiam1.json",
            "scps/sandbox.json",
        ),
        (
            "accounts/111111111111/iam/get-account-authorization-details.json",
            "management.json",
        ),
        (
            "accounts/222222222222/iam/get-account-authorization-details.json",
            "gaad/222222222222-gaad.json",
        ),
        (
            "accounts/333333333333/iam/get-account-authorization-details.json",
            "gaad/prod-a.json",
        ),
        (
            "accounts/444444444444/iam/get-account-authorization-details.json",
            "gaad/prod-b.txt",
        ),
        (
            "accounts/555555555555/iam/get-account-authorization-details.json",
            "dev",
        ),
        (
            "accounts/222222222222/iam/list-saml-providers.json",
            "idp/saml.json",
        ),
        (
            "accounts/333333333333/iam/list-open-id-connect-providers.json",
            "idp/oidc.json",
        ),
        (
            "accounts/333333333333/us-east-1/lambda/orders-api.json",
            "policies/lambda.json",
        ),
        (
            "accounts/444444444444/us-east-1/sns/order-alerts.json",
            "policies/topic.json",
        ),
    ] {
        rename(root, from, to);
    }
}

fn snapshot_of(path: &Path) -> accessgraph_model::Snapshot {
    ingest(path, &IngestOptions::default()).unwrap().snapshot
}

#[test]
fn outputs_under_their_own_names_give_the_layout_snapshot() {
    let renamed = tempdir();
    renamed_example(&renamed);
    let layout = snapshot_of(&data("../examples/org"));
    let found = snapshot_of(&renamed);
    assert_eq!(found.accounts, layout.accounts);
    assert_eq!(found.organization, layout.organization);
    assert_eq!(found.documents, layout.documents);
    assert_eq!(found.warnings, layout.warnings);
}

#[test]
fn outputs_under_their_own_names_give_the_layout_answers() {
    let renamed = tempdir();
    renamed_example(&renamed);
    let answer = |snapshot: &Path| {
        accessgraph()
            .args(["query", "--format", "json", "--snapshot"])
            .arg(snapshot)
            .arg("who can reach admin in org")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let layout: Value = serde_json::from_slice(&answer(&data("../examples/org"))).unwrap();
    let found: Value = serde_json::from_slice(&answer(&renamed)).unwrap();
    assert!(
        layout["rows"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
    );
    assert_eq!(found["rows"], layout["rows"]);
}

/// Two files of one account are pages of its dump: merged, as the layout's pages are.
#[test]
fn two_files_of_one_account_are_its_pages() {
    let dir = tempdir();
    let full =
        data("../examples/org/accounts/555555555555/iam/get-account-authorization-details.json");
    let dump: Value = serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap();
    let mut users = dump.clone();
    let mut rest = dump.clone();
    for key in ["RoleDetailList", "Policies"] {
        users.as_object_mut().unwrap().remove(key);
    }
    for key in ["UserDetailList", "GroupDetailList"] {
        rest.as_object_mut().unwrap().remove(key);
    }
    std::fs::write(dir.join("dev-users.json"), users.to_string()).unwrap();
    std::fs::write(dir.join("dev-roles.json"), rest.to_string()).unwrap();
    let merged = snapshot_of(&dir);
    let whole = snapshot_of(&full);
    assert_eq!(merged.accounts, whole.accounts);
}

/// Dumps of one account taken at different times disagree: merging them would invent a picture
/// that never existed, so the ingest fails naming both files.
#[test]
fn two_dumps_of_one_account_that_disagree_are_refused() {
    let dir = tempdir();
    let full =
        data("../examples/org/accounts/555555555555/iam/get-account-authorization-details.json");
    let dump: Value = serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap();
    let mut later = dump.clone();
    later["RoleDetailList"][0]["Path"] = Value::String("/moved/".to_owned());
    std::fs::write(dir.join("dev-january.json"), dump.to_string()).unwrap();
    std::fs::write(dir.join("dev-june.json"), later.to_string()).unwrap();
    let db = tempdir().join("db");
    accessgraph()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("dev-january.json, dev-june.json")
                .and(predicate::str::contains("different times")),
        );
    assert!(!db.exists(), "nothing stored");
    // The same dump saved twice is the same picture.
    std::fs::write(dir.join("dev-june.json"), dump.to_string()).unwrap();
    assert_eq!(snapshot_of(&dir).accounts, snapshot_of(&full).accounts);
}

/// Outputs that do not say their account or resource are skipped with the layout path that
/// would place them; other files are skipped with a warning; a `.json` file that does not parse
/// is an error (it may be a truncated dump), which `--skip-invalid` turns into a skip.
#[test]
fn what_cannot_be_placed_is_a_warning_and_broken_json_an_error() {
    let dir = tempdir();
    std::fs::copy(
        data("../examples/org/accounts/555555555555/iam/get-account-authorization-details.json"),
        dir.join("dev.json"),
    )
    .unwrap();
    std::fs::copy(
        data("../examples/org/accounts/222222222222/s3/acme-security-logs.json"),
        dir.join("logs-bucket.json"),
    )
    .unwrap();
    std::fs::write(dir.join("package.json"), r#"{"name": "infra"}"#).unwrap();
    std::fs::write(dir.join("notes.md"), "# notes").unwrap();
    let warnings = snapshot_of(&dir).warnings;
    assert!(
        warnings
            .iter()
            .any(|warning| warning.starts_with("logs-bucket.json:")
                && warning.contains("accounts/ACCOUNT_ID/s3/acme-security-logs.json")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|warning| warning.starts_with("package.json:")
                && warning.contains("not an AWS CLI output")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(
            |warning| warning.starts_with("notes.md:") && warning.contains("not a JSON object")
        ),
        "{warnings:?}"
    );
    std::fs::write(dir.join("prod.json"), r#"{"UserDetailList": [{"Arn": "#).unwrap();
    let error = ingest(&dir, &IngestOptions::default()).unwrap_err();
    assert_eq!(error.file_path(), "prod.json");
    let skipped = ingest(
        &dir,
        &IngestOptions {
            skip_invalid: true,
            ..IngestOptions::default()
        },
    )
    .unwrap();
    assert_eq!(skipped.skipped.len(), 1);
    assert_eq!(skipped.snapshot.accounts.len(), 1);
}
