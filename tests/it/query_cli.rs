//! End-to-end tests of `accessgraph query`: from a snapshot directory, from a store, from standard
//! input, and its errors.

use predicates::prelude::*;
use serde_json::Value;

use crate::cli::{accessgraph, tempdir};
use crate::ingest::data;

fn org() -> String {
    data("../examples/org").display().to_string()
}

/// The README's main command: the example org, in a table.
#[test]
fn readme_main_command_answers_who_can_reach_admin() {
    accessgraph()
        .args(["query", "--snapshot", &org(), "--format", "table"])
        .arg("who can reach admin in account 555555555555")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "bob (user, acme-dev 555555555555) --privesc:iam:PassRole + ec2:RunInstances?--> ec2-admin (admin)",
        ))
        .stdout(predicate::str::contains("11 principals"));
}

#[test]
fn the_query_may_be_given_as_words_and_defaults_to_json_off_a_terminal() {
    let output = accessgraph()
        .args(["query", "--snapshot", &org()])
        .args(["who", "is", "admin", "in", "account", "111111111111"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["statement"], "who_is_admin");
    let admins: Vec<&str> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["principal"].as_str().unwrap())
        .collect();
    assert_eq!(
        admins,
        [
            "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b",
            "arn:aws:iam::111111111111:user/alice"
        ]
    );
}

#[test]
fn standard_input_gives_one_json_line_per_query_and_reports_every_error() {
    let output = accessgraph()
        .args(["query", "--snapshot", &org(), "--format", "json"])
        .write_stdin(
            "# questions after the change window\nwho is admin in account 111111111111\n\nwho can reech admin\ncan user/bob reach admin in account 555555555555\n",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    // One line per query, a failed one included (issue 20): outputs stay aligned with inputs.
    assert_eq!(lines.len(), 3, "{stdout}");
    let failed: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(failed["query"], "who can reech admin");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `reach`?"),
        "{failed}"
    );
    let third: Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(third["reachable"], true);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("did you mean `reach`?"), "{stderr}");
    assert!(stderr.contains("1 query failed"), "{stderr}");
}

#[test]
fn a_syntax_error_shows_a_caret_and_fails() {
    accessgraph()
        .args(["query", "--snapshot", &org(), "who can reach admin in acount 1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "1 | who can reach admin in acount 1\n  |                        ^^^^^^ did you mean `account`?",
        ));
}

#[test]
fn a_semantic_error_names_the_token() {
    accessgraph()
        .args([
            "query",
            "--snapshot",
            &org(),
            "show role/nobody in account 555555555555",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no `role/nobody` in account 555555555555",
        ));
}

/// Reads never create a store: a mistyped `--db` is an error naming the path (issue 15), and a
/// store that an ingest creates is owner-only, its directory and its files.
#[test]
fn a_missing_store_is_an_error_and_a_new_one_is_owner_only() {
    let work = tempdir();
    let missing = work.join("no-such-db");
    let missing_text = missing.to_str().unwrap();
    for args in [
        vec!["query", "--db", missing_text, "who is admin"],
        vec!["snapshots", "list", "--db", missing_text],
        vec!["snapshots", "show", "1", "--db", missing_text],
    ] {
        accessgraph()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "no store at `{missing_text}`"
            )));
        assert!(!missing.exists(), "{args:?} created a store");
    }
    let db = work.join("db");
    // A directory without any account is refused, nothing stored, unless asked for.
    let empty = work.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("prod.txt"), "not aws").unwrap();
    accessgraph()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no account found").and(predicate::str::contains(
                "1 file(s) are neither at a path of the snapshot layout nor recognised by their content (prod.txt)",
            )),
        );
    accessgraph()
        .args(["ingest", "--allow-empty", "--db"])
        .arg(&db)
        .arg(&empty)
        .assert()
        .success();
    accessgraph()
        .args(["ingest", &org(), "--db"])
        .arg(&db)
        .assert()
        .success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode(&db) & 0o777, 0o700);
        accessgraph()
            .args(["snapshots", "list", "--db"])
            .arg(&db)
            .assert()
            .success();
        for entry in std::fs::read_dir(&db).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path) & 0o077, 0, "{}", path.display());
            }
        }
    }
}

#[test]
fn a_store_is_queried_at_any_snapshot_and_its_graph_is_cached() {
    let db = tempdir().join("db");
    let db = db.to_str().unwrap();
    for label in ["first", "second"] {
        accessgraph()
            .args(["ingest", &org(), "--db", db, "--label", label, "--force"])
            .assert()
            .success();
    }
    let ask = |extra: &[&str]| {
        let output = accessgraph()
            .args(["query", "--db", db, "--format", "json"])
            .args(extra)
            .arg("who is admin in account 555555555555")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let newest = ask(&[]);
    assert_eq!(newest["snapshot"]["label"], "second");
    let first = ask(&["--at", "1"]);
    assert_eq!(first["snapshot"]["label"], "first");
    assert_eq!(first["rows"], newest["rows"]);
    accessgraph()
        .args(["query", "--db", db, "--at", "9", "who is admin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--at 9: unknown snapshot 9 (the store holds 1, 2)",
        ));
}

#[test]
fn an_empty_store_says_to_ingest_first() {
    let work = tempdir();
    let db = work.join("store");
    let empty = work.join("nothing");
    std::fs::create_dir_all(&empty).unwrap();
    // A refused first ingest (no account) leaves no store behind.
    accessgraph()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&empty)
        .assert()
        .code(2);
    assert!(!db.exists(), "a failed first ingest left a store");
    accessgraph()
        .args(["ingest", &org(), "--db"])
        .arg(&db)
        .assert()
        .success();
    accessgraph()
        .args(["snapshots", "delete", "1", "--db"])
        .arg(&db)
        .assert()
        .success();
    accessgraph()
        .args(["query", "--db", db.to_str().unwrap(), "who is admin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ingest one first"));
}

#[test]
fn pictures_render_as_dot_and_mermaid() {
    accessgraph()
        .args(["query", "--snapshot", &org(), "--format", "dot"])
        .arg("who can reach admin in account 222222222222")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("digraph accessgraph {"))
        .stdout(predicate::str::contains("style=dashed"));
    accessgraph()
        .args(["query", "--snapshot", &org(), "--format", "mermaid"])
        .arg("who can reach admin in account 222222222222")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("flowchart LR"))
        .stdout(predicate::str::contains("-.->"));
}

/// `snapshots prune --keep N` deletes all but the newest N, with their saved graphs.
#[test]
fn prune_keeps_the_newest_snapshots() {
    let db = tempdir().join("db");
    for _ in 0..3 {
        accessgraph()
            .args(["ingest", &org(), "--force", "--db"])
            .arg(&db)
            .assert()
            .success();
    }
    accessgraph()
        .args(["query", "--at", "1", "--db"])
        .arg(&db)
        .arg("who is admin")
        .assert()
        .success();
    assert!(
        db.join("graphs/1.graph").exists(),
        "the first query saved the graph"
    );
    accessgraph()
        .args(["snapshots", "prune", "--keep", "1", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout("deleted snapshot(s) 1, 2 (kept the newest 1)\n");
    assert!(!db.join("graphs/1.graph").exists());
    accessgraph()
        .args(["snapshots", "list", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 snapshot(s)"));
    accessgraph()
        .args(["snapshots", "prune", "--keep", "0", "--db"])
        .arg(&db)
        .assert()
        .code(2);
}

/// Ingesting the same files again stores nothing and says which snapshot holds them; `--force`
/// stores them again (issue 20).
#[test]
fn identical_data_is_not_stored_twice() {
    let db = tempdir().join("db");
    accessgraph()
        .args(["ingest", &org(), "--label", "first", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ingested snapshot 1 `first`"));
    accessgraph()
        .args(["ingest", &org(), "--label", "again", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "identical to snapshot 1 `first` (ingested ",
        ));
    let json = accessgraph()
        .args(["ingest", &org(), "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["identical"], true);
    assert_eq!(report["snapshot"]["id"], 1);
    accessgraph()
        .args(["ingest", &org(), "--force", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ingested snapshot 2"));
}

/// `accessgraph diff BEFORE AFTER QUESTION` compares two directories without a store, with the
/// answer `diff 1 2 QUESTION` gives for the same two snapshots stored (issue 20).
#[test]
fn two_directories_are_compared_without_a_store() {
    let after = tempdir().join("after");
    crate::ingest_errors::copy_dir(&crate::ingest::data("../examples/org"), &after);
    let gaad = after.join("accounts/555555555555/iam/get-account-authorization-details.json");
    let mut dump: Value = serde_json::from_str(&std::fs::read_to_string(&gaad).unwrap()).unwrap();
    dump["UserDetailList"].as_array_mut().unwrap().push(serde_json::json!({
        "UserName": "frank", "Arn": "arn:aws:iam::555555555555:user/frank",
        "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
    }));
    std::fs::write(&gaad, dump.to_string()).unwrap();
    let question = "who can reach admin in account 555555555555";
    let direct = accessgraph()
        .args(["diff", "--format", "table", &org()])
        .arg(&after)
        .arg(question)
        .output()
        .unwrap();
    assert!(direct.status.success(), "{direct:?}");
    assert_eq!(
        String::from_utf8_lossy(&direct.stdout),
        "+ frank (user, acme-dev 555555555555) (admin)\n1 change\n"
    );
    let db = tempdir().join("db");
    for path in [std::path::PathBuf::from(org()), after.clone()] {
        accessgraph()
            .arg("ingest")
            .arg(&path)
            .arg("--db")
            .arg(&db)
            .assert()
            .success();
    }
    let stored = accessgraph()
        .args(["query", "--format", "table", "--db"])
        .arg(&db)
        .arg(format!("diff 1 2 {question}"))
        .output()
        .unwrap();
    assert_eq!(stored.stdout, direct.stdout);
    // Swapped, the path is lost; a bad question points at its own words.
    accessgraph()
        .args(["diff", "--format", "table"])
        .arg(&after)
        .arg(org())
        .arg(question)
        .assert()
        .success()
        .stdout("- frank (user, acme-dev 555555555555) (admin)\n1 change\n");
    accessgraph()
        .args(["diff", &org(), &org(), "who can reech admin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `reach`?"));
}

/// The `diff` example of docs/query-language.md comes out of the shipped files by its documented
/// recipe, through `accessgraph diff` (issue 20).
#[test]
fn the_documented_diff_is_reproducible_from_shipped_files() {
    let docs = std::fs::read_to_string(crate::ingest::data("../docs/query-language.md")).unwrap();
    let question = "who can reach admin in account 666666666666";
    let opening = format!("```query\ndiff 1 2 {question}\n```\n\n```text\n");
    let start = docs.find(&opening).unwrap() + opening.len();
    let shown = &docs[start..start + docs[start..].find("```").unwrap()];
    let before = tempdir().join("before");
    crate::ingest_errors::copy_dir(&crate::ingest::data("../examples/org"), &before);
    for file in [
        "organizations/policies/p-sandboxiam1.json",
        "organizations/targets/p-sandboxiam1.json",
    ] {
        std::fs::remove_file(before.join(file)).unwrap();
    }
    accessgraph()
        .args(["diff", "--format", "table"])
        .arg(&before)
        .arg(org())
        .arg(question)
        .assert()
        .success()
        .stdout(shown.to_owned());
}

/// `--explain` (issue 20): the issue's own path, explained in place — the statement that allows
/// the hop, the technique's requirement, why carol is an administrator — and the group alice's
/// administrator policy comes through; off the table form it is a clear error.
#[test]
fn explain_says_why_in_the_table() {
    accessgraph()
        .args(["query", "--snapshot", &org(), "--explain"])
        .arg("path from user/eve-contractor to admin in account 555555555555")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "    1. eve-contractor -> carol: privesc iam:CreateAccessKey (iam-002), conditional\n       \
             allowed by inline policy `manage-keys` of user `eve-contractor`, statement 0 (Sid \
             `KeyRotationHelper`)\n",
        ))
        .stdout(predicate::str::contains(
            "       requires: `carol` has fewer than two access keys\n",
        ))
        .stdout(predicate::str::contains(
            "    carol is an administrator: iam:CreatePolicyVersion on an attached \
             customer-managed policy",
        ));
    accessgraph()
        .args([
            "query",
            "--snapshot",
            &org(),
            "--explain",
            "--format",
            "table",
        ])
        .arg("who is admin in account 111111111111")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "alice (user, acme-management 111111111111): full access\n    allowed by AWS \
             managed policy `AdministratorAccess` attached to group `OrgAdmins`, statement 0\n",
        ));
    accessgraph()
        .args([
            "query",
            "--snapshot",
            &org(),
            "--explain",
            "--format",
            "json",
        ])
        .arg("who is admin")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--explain explains the table form, not --format json",
        ));
}

/// A team's own technique (issue 22): `examples/techniques/appsync.toml` finds an edge the
/// built-in techniques do not, in a copy of the example organization where a user of the AppSync
/// account may pass its data-source role; a bad definition is refused with its file and line.
#[test]
fn a_team_technique_file_adds_its_edges() {
    let dir = tempdir().join("org");
    crate::ingest_errors::copy_dir(&data("../examples/org"), &dir);
    let gaad = dir.join("accounts/444444444444/iam/get-account-authorization-details.json");
    let mut dump: Value = serde_json::from_slice(&std::fs::read(&gaad).unwrap()).unwrap();
    dump["UserDetailList"] = serde_json::json!([{
        "UserName": "integrator",
        "UserId": "AIDAINTEGRATOR000001",
        "Arn": "arn:aws:iam::444444444444:user/integrator",
        "Path": "/",
        "CreateDate": "2026-01-05T10:00:00Z",
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "UserPolicyList": [{
            "PolicyName": "build-apis",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "appsync:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole",
                 "Resource": "arn:aws:iam::444444444444:role/service-role/appsync-datasource"}
            ]}
        }]
    }]);
    std::fs::write(&gaad, serde_json::to_vec(&dump).unwrap()).unwrap();
    let question = "path from user/integrator to role/appsync-datasource";
    let ask = |techniques: Option<&std::path::Path>| {
        let mut command = accessgraph();
        command
            .args(["query", "--format", "json", "--snapshot"])
            .arg(&dir);
        if let Some(techniques) = techniques {
            command.arg("--techniques").arg(techniques);
        }
        let output = command.arg(question).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    assert_eq!(ask(None)["reachable"], false);
    let answer = ask(Some(&data("../examples/techniques")));
    assert_eq!(answer["reachable"], true);
    let hop = &answer["rows"][0]["path"][0];
    assert_eq!(hop["catalog_id"], "acme-appsync-001");
    assert_eq!(hop["edge"], "privesc");
    assert_eq!(
        hop["requirements"][0],
        "the data source signs its requests with the role (`authorizationConfig` AWS_IAM)"
    );

    // A second technique with the same calls takes the same hop: the answer lists it.
    let twice = tempdir().join("twice");
    std::fs::create_dir_all(&twice).unwrap();
    let appsync = std::fs::read_to_string(data("../examples/techniques/appsync.toml")).unwrap();
    std::fs::write(twice.join("a.toml"), &appsync).unwrap();
    std::fs::write(
        twice.join("b.toml"),
        appsync.replace("acme-appsync-001", "acme-appsync-002"),
    )
    .unwrap();
    let answer = ask(Some(&twice));
    let hop = &answer["rows"][0]["path"][0];
    assert_eq!(hop["catalog_id"], "acme-appsync-001");
    assert!(
        hop["alternatives"][0]
            .as_str()
            .unwrap()
            .ends_with(" [acme-appsync-002]"),
        "{hop}"
    );

    let bad = tempdir().join("techniques");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("team.toml"),
        "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"new-passrole\"\n\
         trusted_service = \"appsync.amazonaws.com\"\nactions = [\"appsync:CreateDataSorce\"]\n",
    )
    .unwrap();
    accessgraph()
        .args(["query", "--snapshot"])
        .arg(&dir)
        .arg("--techniques")
        .arg(&bad)
        .arg(question)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(format!(
                "--techniques: {}:6: ",
                bad.join("team.toml").display()
            ))
            .and(predicate::str::contains("appsync:CreateDataSorce"))
            .and(predicate::str::contains("appsync:CreateDataSource")),
        );
}

/// `--exit-code`: 1 when an answer finds something (a path gained by a change, a principal that
/// reaches the target), 0 when not, 2 on error; SARIF for code scanning.
#[test]
fn exit_codes_let_a_pipeline_fail_on_new_paths() {
    let before = crate::query_golden::before_sandbox_scp();
    let before = before.path().display().to_string();
    // Adding the sandbox SCP only cuts paths: nothing gained.
    accessgraph()
        .args(["diff", "--exit-code", &before, &org()])
        .arg("who can reach admin in account 666666666666")
        .assert()
        .code(0);
    // Removing it opens paths again: the pipeline fails, and SARIF names each new path.
    let output = accessgraph()
        .args(["diff", "--exit-code", "--format", "sarif", &org(), &before])
        .arg("who can reach admin in account 666666666666")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    assert!(
        results
            .iter()
            .all(|result| result["ruleId"] == "accessgraph/new-path-to-target")
    );
    // A question with an answer exits 1, one without 0, an error 2.
    accessgraph()
        .args(["query", "--exit-code", "--snapshot", &org()])
        .arg("who can reach admin in org from external definite only")
        .assert()
        .code(1);
    accessgraph()
        .args(["query", "--exit-code", "--snapshot", &org()])
        .arg("can user/bob reach admin in account 111111111111")
        .assert()
        .code(0);
    accessgraph()
        .args(["query", "--exit-code", "--snapshot", &org()])
        .arg("who can reech admin")
        .assert()
        .code(2);
}
