//! Bad input to `accessgraph ingest`: each error names the file and the JSON path, the exit code is
//! non-zero, and the store keeps exactly what it had.

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{accessgraph, tempdir};
use crate::ingest::data;

/// Copies the example org into a fresh directory the test may damage.
fn copy_example(to: &Path) {
    copy_dir(&data("../examples/org"), to);
}

/// Copies a directory tree.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn snapshot_ids(db: &Path) -> Vec<u64> {
    let output = accessgraph()
        .args(["snapshots", "list", "--format", "json", "--db"])
        .arg(db)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list: Value = serde_json::from_slice(&output).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|meta| meta["id"].as_u64().unwrap())
        .collect()
}

/// A store holding one good snapshot of the example org.
fn store_with_one_snapshot() -> std::path::PathBuf {
    let db = tempdir().join("db");
    accessgraph()
        .args(["ingest"])
        .arg(data("../examples/org"))
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    assert_eq!(snapshot_ids(&db), [1]);
    db
}

const GAAD: &str = "accounts/555555555555/iam/get-account-authorization-details.json";

/// (what to do to the copy, expected fragments of the error)
#[test]
fn bad_files_fail_the_ingest_and_leave_the_store_unchanged() {
    let db = store_with_one_snapshot();
    type Damage = fn(&Path);
    let cases: [(&str, Damage, &[&str]); 9] = [
        (
            "bucket ACL with an unknown permission",
            |root| {
                std::fs::write(
                    root.join("accounts/333333333333/s3/acl/acme-prod-a-reports.json"),
                    r#"{"Grants": [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "EVERYTHING"}]}"#,
                )
                .unwrap()
            },
            &[
                "accounts/333333333333/s3/acl/acme-prod-a-reports.json",
                "$.Grants[0].Permission",
                "expected one of READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL, found `EVERYTHING`",
            ],
        ),
        (
            "Identity Center assignment to an unknown principal type",
            |root| {
                std::fs::write(
                    root.join("organizations/sso/assignments/111111111111.ps-0a1b2c3d4e5f6a7b.json"),
                    r#"{"AccountAssignments": [{"AccountId": "111111111111", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-0a1b2c3d4e5f6a7b", "PrincipalType": "ROBOT", "PrincipalId": "x"}]}"#,
                )
                .unwrap()
            },
            &[
                "organizations/sso/assignments/111111111111.ps-0a1b2c3d4e5f6a7b.json",
                "$.AccountAssignments[0].PrincipalType",
                "expected `USER` or `GROUP`, found `ROBOT`",
            ],
        ),
        (
            "Identity Center user without an id",
            |root| {
                std::fs::write(
                    root.join("organizations/sso/identitystore/list-users.json"),
                    r#"{"Users": [{"UserName": "x", "IdentityStoreId": "d-9067a1b2c3"}]}"#,
                )
                .unwrap()
            },
            &[
                "organizations/sso/identitystore/list-users.json",
                "$.Users[0]: missing required field `UserId`",
            ],
        ),
        (
            "invalid JSON",
            |root| {
                std::fs::write(
                    root.join("organizations/list-roots.json"),
                    "{\"Roots\": [ nope ]}",
                )
                .unwrap()
            },
            // The JSON path of the element the error is in, besides line and column.
            &[
                "organizations/list-roots.json: $.Roots[0]: invalid JSON",
                "line 1",
            ],
        ),
        (
            "truncated file",
            |root| {
                let text = std::fs::read_to_string(root.join(GAAD)).unwrap();
                std::fs::write(root.join(GAAD), &text[..text.len() / 2]).unwrap();
            },
            &[GAAD, "invalid JSON: EOF while parsing"],
        ),
        (
            "wrong type",
            |root| {
                let path = root.join(GAAD);
                let mut value: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                value["RoleDetailList"][2]["AssumeRolePolicyDocument"] = Value::from(42);
                std::fs::write(&path, value.to_string()).unwrap();
            },
            &[
                GAAD,
                "$.RoleDetailList[2].AssumeRolePolicyDocument",
                "expected a policy document object or a (URL-encoded) JSON string, found a number",
            ],
        ),
        (
            "invalid policy inside a document",
            |root| {
                let path = root.join(GAAD);
                let mut value: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                value["UserDetailList"][1]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]
                    ["Effect"] = Value::from("Permit");
                std::fs::write(&path, value.to_string()).unwrap();
            },
            &[
                GAAD,
                "$.UserDetailList[1].UserPolicyList[0].PolicyDocument.Statement[0].Effect",
                "expected `Allow` or `Deny`",
            ],
        ),
        (
            "missing required field",
            |root| {
                let path = root.join("organizations/describe-organization.json");
                std::fs::write(&path, r#"{"Organization": {"Id": "o-acme4exmpl"}}"#).unwrap();
            },
            &[
                "organizations/describe-organization.json: $.Organization: missing required field `MasterAccountId`",
            ],
        ),
        (
            "unknown account layout",
            |root| {
                std::fs::create_dir_all(root.join("accounts/prod/iam")).unwrap();
                std::fs::write(
                    root.join("accounts/prod/iam/get-account-authorization-details.json"),
                    "{}",
                )
                .unwrap();
            },
            &["accounts/prod: not a 12-digit account id"],
        ),
    ];
    for (name, damage, fragments) in cases {
        let root = tempdir().join("snapshot");
        copy_example(&root);
        damage(&root);
        let mut assertion = accessgraph()
            .arg("ingest")
            .arg(&root)
            .arg("--db")
            .arg(&db)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty());
        for fragment in fragments {
            assertion = assertion.stderr(predicate::str::contains(*fragment));
        }
        assert_eq!(snapshot_ids(&db), [1], "{name}: the store is unchanged");
    }
}

#[test]
fn oversized_files_are_refused() {
    let db = store_with_one_snapshot();
    accessgraph()
        .arg("ingest")
        .arg(data("../examples/org"))
        .args(["--max-file-bytes", "2048", "--db"])
        .arg(&db)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("more than the limit of 2048"));
    assert_eq!(snapshot_ids(&db), [1]);
}

#[test]
fn deep_nesting_is_refused() {
    let root = tempdir().join("snapshot");
    copy_example(&root);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    std::fs::write(root.join("organizations/list-accounts.json"), deep).unwrap();
    let db = tempdir().join("db");
    accessgraph()
        .arg("ingest")
        .arg(&root)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "organizations/list-accounts.json: JSON nested more than 128 levels deep",
        ));
}

#[test]
fn skip_invalid_lists_the_bad_files_and_keeps_the_rest() {
    let root = tempdir().join("snapshot");
    copy_example(&root);
    std::fs::write(root.join(GAAD), "not json").unwrap();
    let db = tempdir().join("db");
    accessgraph()
        .arg("ingest")
        .arg(&root)
        .args(["--skip-invalid", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("skipped: {GAAD}: $")))
        .stdout(predicate::str::contains("invalid JSON"))
        .stdout(predicate::str::contains("users 4"));
    assert_eq!(snapshot_ids(&db), [1]);
}

#[test]
fn snapshots_show_and_delete() {
    let db = store_with_one_snapshot();
    accessgraph()
        .args(["snapshots", "show", "1", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "organization: o-acme4exmpl (management account 111111111111)",
        ))
        .stdout(predicate::str::contains(
            "collected at: 2026-11-20T06:00:00Z",
        ));
    accessgraph()
        .args(["snapshots", "show", "7", "--db"])
        .arg(&db)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no snapshot `7`"));
    accessgraph()
        .args(["snapshots", "delete", "1", "--db"])
        .arg(&db)
        .assert()
        .success();
    assert!(snapshot_ids(&db).is_empty());
}
