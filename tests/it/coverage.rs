//! Answers say what they do not know (issue 20): every gap of a snapshot in the accounts an
//! answer touches travels with it, in the table (a `warning:` line), in JSON (`warnings`) and
//! over gRPC (the summary's `warnings`); one test per source of incompleteness.

use std::path::{Path, PathBuf};

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_proto::v1 as pb;
use accessgraph_server::Options;
use accessgraph_server::client::query;
use accessgraph_store::Store;
use predicates::prelude::*;

use crate::cli::{accessgraph, tempdir};
use crate::grpc::start_with;
use crate::ingest::data;
use crate::ingest_errors::copy_dir;

const GAAD_555: &str = "accounts/555555555555/iam/get-account-authorization-details.json";

/// The example organization with account 555555555555's authorization dump cut short.
fn truncated_org() -> PathBuf {
    let dir = tempdir().join("snapshot");
    copy_dir(&data("../examples/org"), &dir);
    let gaad = dir.join(GAAD_555);
    let text = std::fs::read(&gaad).unwrap();
    std::fs::write(&gaad, &text[..3000]).unwrap();
    dir
}

fn json_warnings(db: &Path, question: &str) -> Vec<String> {
    let output = accessgraph()
        .args(["query", "--format", "json", "--db"])
        .arg(db)
        .arg(question)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    answer["warnings"]
        .as_array()
        .map(|warnings| {
            warnings
                .iter()
                .map(|warning| warning.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The issue's scenario: a truncated dump, `ingest --skip-invalid`, then a question about that
/// account: `0 principals`, with the reason it may be wrong in every form.
#[test]
fn a_skipped_file_is_told_in_table_json_and_grpc() {
    let org = truncated_org();
    let store = tempfile::tempdir().unwrap();
    let db = store.path().join("db");
    accessgraph()
        .arg("ingest")
        .arg(&org)
        .arg("--db")
        .arg(&db)
        .arg("--skip-invalid")
        .assert()
        .success();
    let question = "who can reach admin in account 555555555555";
    accessgraph()
        .args(["query", "--format", "table", "--db"])
        .arg(&db)
        .arg(question)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("0 principals\n")
                .and(predicate::str::contains(
                    "warning: account 555555555555 has no IAM data",
                ))
                .and(predicate::str::contains(format!(
                    "warning: account 555555555555 lost `{GAAD_555}`, skipped as invalid \
                     (invalid JSON"
                )))
                .and(predicate::str::contains("may miss principals")),
        );
    let warnings = json_warnings(&db, question);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    // A question about another account says, in one line, that paths from 555 may be missing;
    // the administrators of an account are its own, which no other account changes.
    let other = json_warnings(&db, "who can reach admin in account 444444444444");
    assert_eq!(
        other,
        [
            "1 other account(s) have incomplete data (555555555555): paths from or through them \
          may be missing (`accessgraph snapshots show` lists what)"
        ]
    );
    assert!(json_warnings(&db, "who is admin in account 444444444444").is_empty());
    assert_eq!(json_warnings(&db, "who is admin in org"), warnings);

    // Over gRPC, in the answer's summary.
    let server = start_with(store, Options::default());
    let mut client = server.client(None);
    let answer = server
        .runtime
        .block_on(query(
            &mut client,
            pb::QueryRequest {
                query: question.into(),
                ..pb::QueryRequest::default()
            },
        ))
        .unwrap();
    assert_eq!(answer.warnings, warnings);
}

/// An account listed by Organizations without any IAM file, and what `accessgraph collect`
/// could not read (its manifest), are told too; `query --snapshot` prints the ingest's warnings
/// on standard error as `ingest` does.
#[test]
fn missing_iam_data_and_partial_collection_are_told() {
    let dir = tempdir().join("snapshot");
    copy_dir(&data("../examples/org"), &dir);
    std::fs::remove_dir_all(dir.join("accounts/666666666666/iam")).unwrap();
    std::fs::write(
        dir.join("snapshot.json"),
        r#"{"collected_at": "2026-11-20T06:00:00Z", "collector": {
            "incomplete": {"444444444444": ["s3:ListBuckets: AccessDenied"]},
            "organization_gaps": ["sso-admin:ListInstances: AccessDenied"]}}"#,
    )
    .unwrap();
    let ask = |question: &str| {
        let output = accessgraph()
            .args(["query", "--format", "json", "--snapshot"])
            .arg(&dir)
            .arg(question)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (answer["warnings"].clone(), stderr)
    };
    let (warnings, stderr) = ask("who can reach admin in account 666666666666");
    let text = warnings.to_string();
    assert!(
        text.contains("account 666666666666 has no IAM data"),
        "{text}"
    );
    assert!(
        text.contains(
            "the organization was collected in part (sso-admin:ListInstances: AccessDenied)"
        ),
        "{text}"
    );
    assert!(
        text.contains("1 other account(s) have incomplete data (444444444444)"),
        "{text}"
    );
    assert!(
        stderr.contains("warning: account 444444444444 was collected in part"),
        "{stderr}"
    );
    let (warnings, _) = ask("who can reach admin in account 444444444444");
    assert!(
        warnings
            .to_string()
            .contains("account 444444444444 was collected in part (s3:ListBuckets: AccessDenied)"),
        "{warnings}"
    );
    // The same snapshot, ingested: the gaps are stored with it.
    let snapshot = ingest(&dir, &IngestOptions::default()).unwrap().snapshot;
    let db = tempdir().join("db");
    Store::open(&db).unwrap().put(&snapshot).unwrap();
    let stored = json_warnings(&db, "who can reach admin in account 444444444444");
    assert_eq!(serde_json::json!(stored), warnings);
}

/// A complete snapshot has nothing to warn about: no `warnings` member at all.
#[test]
fn a_complete_snapshot_warns_of_nothing() {
    let output = accessgraph()
        .args(["query", "--format", "json", "--snapshot"])
        .arg(data("../examples/org"))
        .arg("who can reach admin in org")
        .output()
        .unwrap();
    assert!(output.status.success());
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(answer.get("warnings").is_none(), "{answer}");
}
