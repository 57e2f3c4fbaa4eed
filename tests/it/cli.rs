//! End-to-end tests of the `accessgraph` binary.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies")
}

/// The `accessgraph` binary, built once per test run: a test package cannot depend on another
/// package's binary, so the build is asked of cargo (escargot) rather than assumed.
pub(crate) fn accessgraph() -> Command {
    static BINARY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let path = BINARY.get_or_init(|| {
        escargot::CargoBuild::new()
            .manifest_path(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
            .package("accessgraph")
            .bin("accessgraph")
            .features("collect")
            .current_release()
            .run()
            .expect("the accessgraph binary builds")
            .path()
            .to_path_buf()
    });
    Command::new(path)
}

/// The path of the `accessgraph` binary, for tests that run it as a child process.
pub(crate) fn binary() -> std::path::PathBuf {
    accessgraph().get_program().into()
}

fn example(name: &str) -> String {
    examples().join(name).display().to_string()
}

/// The README's main command on the bundled example: the MFA condition stays unresolved.
#[test]
fn readme_example_is_conditional_on_mfa() {
    let output = accessgraph()
        .args([
            "eval",
            "--policy",
            &example("developer.json"),
            "--boundary",
            &example("boundary.json"),
        ])
        .args(["--scp", &example("scp-full-access.json")])
        .args([
            "--scp",
            &format!(
                "{},{}",
                example("scp-full-access.json"),
                example("scp-region-guard.json")
            ),
        ])
        .args(["--resource-policy", &example("payroll-bucket-policy.json")])
        .args([
            "--principal",
            "arn:aws:iam::111122223333:user/alice",
            "--action",
            "s3:GetObject",
        ])
        .args([
            "--resource",
            "arn:aws:s3:::example-payroll/2026/03.csv",
            "--resource-account",
            "111122223333",
        ])
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&output).expect("json output");
    assert_eq!(json["decision"], "conditional");
    assert_eq!(json["deny_kind"], "explicit");
    let keys: Vec<&str> = json["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["aws:MultiFactorAuthPresent", "aws:SecureTransport"]);
}

#[test]
fn supplied_context_settles_the_decision() {
    let base = |extra: &[&str]| {
        let mut command = accessgraph();
        command
            .args(["eval", "--policy", &example("developer.json")])
            .args(["--resource-policy", &example("payroll-bucket-policy.json")])
            .args([
                "--principal",
                "arn:aws:iam::111122223333:user/alice",
                "--action",
                "s3:GetObject",
            ])
            .args([
                "--resource",
                "arn:aws:s3:::example-payroll/a.csv",
                "--resource-account",
                "111122223333",
            ])
            .args(extra);
        command
    };
    // (extra flags, first line, a fragment of the evidence)
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &[
                "--context",
                "aws:MultiFactorAuthPresent=true",
                "--context",
                "aws:SecureTransport=true",
            ],
            "decision: allow\n",
            "Sid `ReadPayrollWithMfa`",
        ),
        (
            &[
                "--context",
                "aws:MultiFactorAuthPresent=true",
                "--context",
                "aws:SecureTransport=false",
            ],
            "decision: deny (explicit)",
            "Sid `DenyInsecureTransport`",
        ),
        (
            &[
                "--absent",
                "aws:MultiFactorAuthPresent",
                "--context",
                "aws:SecureTransport=true",
            ],
            "decision: deny (implicit",
            "no allow in:\n  identity policies",
        ),
    ];
    for (extra, first_line, evidence) in cases {
        base(extra)
            .assert()
            .success()
            .stdout(predicate::str::starts_with(first_line))
            .stdout(predicate::str::contains(evidence));
    }
}

#[test]
fn cross_account_caller_is_allowed_by_the_bucket_policy_and_its_own_policy() {
    let dir = tempdir();
    let policy = dir.join("auditor.json");
    std::fs::write(&policy, r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#).unwrap();
    accessgraph()
        .args(["eval", "--policy", &policy.display().to_string()])
        .args(["--resource-policy", &example("payroll-bucket-policy.json")])
        .args([
            "--principal",
            "arn:aws:iam::444455556666:role/auditor",
            "--action",
            "s3:GetObject",
        ])
        .args([
            "--resource",
            "arn:aws:s3:::example-payroll/a.csv",
            "--resource-account",
            "111122223333",
        ])
        .args(["--context", "aws:SecureTransport=true"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("decision: allow"))
        .stdout(predicate::str::contains("cross-account"));
}

#[test]
fn malformed_policy_names_file_and_statement() {
    let dir = tempdir();
    let policy = dir.join("bad.json");
    std::fs::write(&policy, r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Oops","Action":"s3:*","NotAction":"iam:*","Effect":"Allow"}]}"#).unwrap();
    accessgraph()
        .args(["eval", "--policy", &policy.display().to_string()])
        .args([
            "--principal",
            "arn:aws:iam::111122223333:user/alice",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("bad.json"))
        .stderr(predicate::str::contains("$.Statement[1]"))
        .stderr(predicate::str::contains("(Sid `Oops`)"))
        .stderr(predicate::str::contains(
            "`Action` and `NotAction` cannot both be present",
        ));
}

#[test]
fn bad_arguments_are_clear_errors() {
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "--principal",
                "alice",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
            ],
            "`alice` is not a principal",
        ),
        (
            &[
                "--principal",
                "*",
                "--action",
                "GetObject",
                "--resource",
                "*",
            ],
            "`GetObject` is not an action",
        ),
        (
            &[
                "--principal",
                "*",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
                "--context",
                "novalue",
            ],
            "`novalue` is not `KEY=VALUE`",
        ),
        (
            &[
                "--principal",
                "*",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
                "--policy",
                "/nonexistent/p.json",
            ],
            "cannot read the policy file `/nonexistent/p.json`",
        ),
        (
            &[
                "--principal",
                "*",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
                "--scp",
                ",",
            ],
            "level 0 names no file",
        ),
    ];
    for (args, message) in cases {
        accessgraph()
            .arg("eval")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn strict_mode_rejects_unknown_operators() {
    let dir = tempdir();
    let policy = dir.join("typo.json");
    std::fs::write(&policy, r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}}"#).unwrap();
    let run = |strict: bool| {
        let mut command = accessgraph();
        command
            .args(["eval", "--policy", &policy.display().to_string()])
            .args([
                "--principal",
                "arn:aws:iam::111122223333:user/a",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
            ]);
        if strict {
            command.arg("--strict");
        }
        command.assert()
    };
    run(false)
        .success()
        .stdout(predicate::str::starts_with("decision: conditional"))
        .stdout(predicate::str::contains("warning:"));
    run(true).code(2).stderr(predicate::str::contains(
        "unknown condition operator `StringEqualz`",
    ));
}

/// A fresh, empty directory under the system's temporary directory (no extra dependency
/// needed). A directory of the same name is left over from an earlier test process that had
/// the same process id (ids are reused): it is removed first.
pub(crate) fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "accessgraph-it-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `eval --not-before`: a grant that expired before the given time is no grant, one that expires
/// later stays conditional, and a time that does not parse is an error naming the flag.
#[test]
fn not_before_settles_expired_grants() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("temporary.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-06-30T00:00:00Z"}}}]}"#,
    )
    .unwrap();
    let eval = |not_before: &str| {
        let mut command = accessgraph();
        command
            .args(["eval", "--policy", &policy.display().to_string()])
            .args(["--principal", "arn:aws:iam::111122223333:user/alice"])
            .args(["--action", "s3:GetObject", "--resource", "*"])
            .args(["--not-before", not_before]);
        command
    };
    eval("2026-12-01T00:00:00Z")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("decision: deny (implicit"));
    eval("2026-01-01")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("decision: conditional"));
    eval("next tuesday")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "in `--not-before`: `next tuesday` is not a time",
        ));
}

/// `eval --context` given twice for one key makes it multivalued (issue: a repeated key kept only
/// its last value, so `ForAllValues` allowed a request AWS denies); `--session-of` says which role
/// (with its path) a session belongs to, and rejects a role of another name.
#[test]
fn repeated_context_keys_and_session_owners() {
    let dir = tempfile::tempdir().unwrap();
    let tagging = dir.path().join("tagging.json");
    std::fs::write(
        &tagging,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}]}"#,
    )
    .unwrap();
    accessgraph()
        .args(["eval", "--policy", &tagging.display().to_string()])
        .args(["--principal", "arn:aws:iam::111122223333:user/alice"])
        .args(["--action", "ec2:CreateTags", "--resource", "*"])
        .args([
            "--context",
            "aws:TagKeys=team",
            "--context",
            "aws:TagKeys=owner",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("decision: deny (implicit"));

    let deny_role = dir.path().join("deny-role.json");
    std::fs::write(
        &deny_role,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/svc/deploy"},"Action":"s3:*","Resource":"*"}]}"#,
    )
    .unwrap();
    let session = |parent: &str| {
        let mut command = accessgraph();
        command
            .args([
                "eval",
                "--resource-policy",
                &deny_role.display().to_string(),
            ])
            .args([
                "--principal",
                "arn:aws:sts::111122223333:assumed-role/deploy/s1",
            ])
            .args(["--session-of", parent])
            .args(["--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"])
            .args(["--resource-account", "111122223333"]);
        command
    };
    session("arn:aws:iam::111122223333:role/svc/deploy")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("decision: deny (explicit)"));
    session("arn:aws:iam::111122223333:role/svc/other")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("in `--session-of`"));
}

/// A misspelled action is an error with the catalog's closest action, not a silent deny
/// (issue: the AWS action catalog).
#[test]
fn eval_rejects_a_misspelled_action_with_a_suggestion() {
    let output = accessgraph()
        .args(["eval", "--policy", &example("developer.json")])
        .args([
            "--principal",
            "arn:aws:iam::111122223333:user/alice",
            "--action",
            "s3:GetObjekt",
            "--resource",
            "arn:aws:s3:::example-payroll/a.csv",
        ])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean `s3:GetObject`?"), "{stderr}");
}
