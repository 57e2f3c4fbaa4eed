//! `accessgraph collect` against a local AWS emulator (moto in server mode on 127.0.0.1), with
//! the real AWS CLI on the same emulator as the reference for every file's JSON shape (issue 12).
//!
//! The tools come from `$ACCESSGRAPH_AWS_TOOLS` (a directory holding `moto_server` and `aws`;
//! `.ci/run` prepares it from `tests/aws/requirements.txt` and then requires the tests); without
//! it the tests say so and pass.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{accessgraph, tempdir};

/// The emulator, stopped when dropped.
struct Emulator {
    tools: PathBuf,
    url: String,
    child: Child,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const MANAGEMENT_KEYS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
];

impl Emulator {
    /// Starts moto on a free loopback port, or `None` (test skipped) without the tools.
    fn start() -> Option<Emulator> {
        let configured = std::env::var_os("ACCESSGRAPH_AWS_TOOLS").map(PathBuf::from);
        let required = configured.is_some();
        let tools = configured
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/awsenv/bin"));
        if !tools.join("moto_server").is_file() || !tools.join("aws").is_file() {
            assert!(!required, "no moto_server and aws in {}", tools.display());
            eprintln!(
                "skipped: no AWS emulator (set ACCESSGRAPH_AWS_TOOLS; see tests/aws/requirements.txt)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap();
        let child = Command::new(tools.join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let emulator = Emulator {
            tools,
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(emulator)
    }

    /// Runs the AWS CLI with `keys` (the management account's unless given) and returns its JSON.
    fn aws_as(&self, keys: &[(&str, &str)], args: &[&str]) -> Value {
        let output = Command::new(self.tools.join("aws"))
            .args(["--endpoint-url", &self.url, "--output", "json"])
            .args(args)
            .envs(keys.iter().copied())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if output.stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&output.stdout).unwrap()
    }

    fn aws(&self, args: &[&str]) -> Value {
        self.aws_as(&MANAGEMENT_KEYS, args)
    }

    /// `accessgraph` with the emulator's endpoint and the management account's keys.
    fn accessgraph(&self) -> assert_cmd::Command {
        let mut command = accessgraph();
        command
            .envs(MANAGEMENT_KEYS)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE");
        command
    }
}

fn document(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// A small organization: a management account with an administrator user, a member account in
/// OU `Prod` (its access role trusts the management account and is an administrator there) and
/// an SCP. Returns the member account's id and the OU's.
fn organization(emulator: &Emulator) -> (String, String) {
    emulator.aws(&[
        "organizations",
        "create-organization",
        "--feature-set",
        "ALL",
    ]);
    let created = emulator.aws(&[
        "organizations",
        "create-account",
        "--email",
        "prod@example.com",
        "--account-name",
        "prod",
    ]);
    let member = created["CreateAccountStatus"]["AccountId"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = emulator.aws(&["organizations", "list-roots"])["Roots"][0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prod = emulator.aws(&[
        "organizations",
        "create-organizational-unit",
        "--parent-id",
        &root,
        "--name",
        "Prod",
    ])["OrganizationalUnit"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.aws(&[
        "organizations",
        "move-account",
        "--account-id",
        &member,
        "--source-parent-id",
        &root,
        "--destination-parent-id",
        &prod,
    ]);
    let scp = emulator.aws(&[
        "organizations",
        "create-policy",
        "--name",
        "deny-leave",
        "--type",
        "SERVICE_CONTROL_POLICY",
        "--description",
        "no leaving",
        "--content",
        &document(json!([{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}])),
    ]);
    let scp_id = scp["Policy"]["PolicySummary"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.aws(&[
        "organizations",
        "attach-policy",
        "--policy-id",
        &scp_id,
        "--target-id",
        &root,
    ]);
    let everything = document(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    emulator.aws(&["iam", "create-user", "--user-name", "alice"]);
    emulator.aws(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "alice",
        "--policy-name",
        "admin",
        "--policy-document",
        &everything,
    ]);

    // The member account, through a role session in it.
    let session = emulator.aws(&[
        "sts",
        "assume-role",
        "--role-arn",
        &format!("arn:aws:iam::{member}:role/OrganizationAccountAccessRole"),
        "--role-session-name",
        "setup",
    ]);
    let credentials = &session["Credentials"];
    let keys = [
        (
            "AWS_ACCESS_KEY_ID",
            credentials["AccessKeyId"].as_str().unwrap(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            credentials["SecretAccessKey"].as_str().unwrap(),
        ),
        (
            "AWS_SESSION_TOKEN",
            credentials["SessionToken"].as_str().unwrap(),
        ),
    ];
    let trust = document(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]),
    );
    // The emulator creates `OrganizationAccountAccessRole` with the account, as AWS does.
    emulator.aws_as(
        &keys,
        &[
            "iam",
            "create-role",
            "--role-name",
            accessgraph_collect::DEFAULT_MEMBER_ROLE,
            "--assume-role-policy-document",
            &trust,
        ],
    );
    emulator.aws_as(
        &keys,
        &[
            "iam",
            "put-role-policy",
            "--role-name",
            "OrganizationAccountAccessRole",
            "--policy-name",
            "admin",
            "--policy-document",
            &everything,
        ],
    );
    emulator.aws_as(
        &keys,
        &["iam", "create-group", "--group-name", "Developers"],
    );
    (member, prod)
}

/// Timestamps as instants (whole seconds): the CLI prints what the wire carries (ISO 8601 for
/// IAM's XML, epoch seconds for Organizations' JSON), the collector ISO 8601 always. Members the
/// emulator sends that this version of the SDK does not model (`State` of an account, added to
/// the API after it) are left out of the comparison: no collector can print what its SDK drops.
const NOT_IN_SDK: [&str; 1] = ["State"];
fn normalized(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !NOT_IN_SDK.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), normalized(value, key)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| normalized(item, key)).collect())
        }
        Value::String(text)
            if key.ends_with("Date") || key.ends_with("Timestamp") || key == "ValidUntil" =>
        {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(|time| json!(time.timestamp()))
                .unwrap_or_else(|_| value.clone())
        }
        Value::Number(number) if key.ends_with("Date") || key.ends_with("Timestamp") => {
            json!(number.as_f64().unwrap_or_default().floor() as i64)
        }
        other => other.clone(),
    }
}

#[test]
fn collect_ingests_a_live_organization_whose_files_match_the_cli() {
    let Some(emulator) = Emulator::start() else {
        return;
    };
    let (member, prod) = organization(&emulator);
    let work = tempdir();
    let out = work.join("snapshot");
    let db = work.join("db");
    let output = emulator
        .accessgraph()
        .args(["collect", "--out"])
        .arg(&out)
        .args(["--ingest", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("collected 2 accounts"), "{stdout}");
    assert!(stdout.contains("ingested snapshot 1"), "{stdout}");

    // Real answers: the management administrator reaches the member account's administrator.
    let answer = emulator
        .accessgraph()
        .args(["query", "--db"])
        .arg(&db)
        .args(["--format", "json"])
        .arg(format!("who can reach admin in account {member}"))
        .output()
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer.stdout).unwrap();
    let principals: Vec<&str> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["principal"].as_str())
        .collect();
    assert!(
        principals.contains(&"arn:aws:iam::123456789012:user/alice"),
        "{principals:?}"
    );

    // Every file is what the AWS CLI prints for its call (timestamps compared as instants).
    let root = emulator.aws(&["organizations", "list-roots"])["Roots"][0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut calls: Vec<(String, Vec<String>)> = vec![
        (
            "organizations/describe-organization.json".into(),
            vec!["organizations".into(), "describe-organization".into()],
        ),
        (
            "organizations/list-roots.json".into(),
            vec!["organizations".into(), "list-roots".into()],
        ),
        (
            "organizations/list-accounts.json".into(),
            vec!["organizations".into(), "list-accounts".into()],
        ),
        (
            format!("organizations/ous/{root}.json"),
            vec![
                "organizations".into(),
                "list-organizational-units-for-parent".into(),
                "--parent-id".into(),
                root.clone(),
            ],
        ),
        (
            format!("organizations/children/{root}.json"),
            vec![
                "organizations".into(),
                "list-accounts-for-parent".into(),
                "--parent-id".into(),
                root.clone(),
            ],
        ),
        (
            "accounts/123456789012/iam/get-account-authorization-details.json".into(),
            vec!["iam".into(), "get-account-authorization-details".into()],
        ),
        (
            "accounts/123456789012/iam/list-saml-providers.json".into(),
            vec!["iam".into(), "list-saml-providers".into()],
        ),
        (
            "accounts/123456789012/iam/list-open-id-connect-providers.json".into(),
            vec!["iam".into(), "list-open-id-connect-providers".into()],
        ),
    ];
    for policy in emulator.aws(&[
        "organizations",
        "list-policies",
        "--filter",
        "SERVICE_CONTROL_POLICY",
    ])["Policies"]
        .as_array()
        .unwrap()
    {
        let id = policy["Id"].as_str().unwrap().to_owned();
        calls.push((
            format!("organizations/policies/{id}.json"),
            vec![
                "organizations".into(),
                "describe-policy".into(),
                "--policy-id".into(),
                id.clone(),
            ],
        ));
        calls.push((
            format!("organizations/targets/{id}.json"),
            vec![
                "organizations".into(),
                "list-targets-for-policy".into(),
                "--policy-id".into(),
                id.clone(),
            ],
        ));
    }
    for (file, args) in calls {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cli = emulator.aws(&args);
        let text = std::fs::read_to_string(out.join(&file))
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        let collected: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            normalized(&collected, ""),
            normalized(&cli, ""),
            "{file} differs from `aws {}`",
            args.join(" ")
        );
    }
    // `--ous` keeps the accounts under an OU; an OU the organization lacks is an error.
    let scoped = work.join("prod-only");
    let output = emulator
        .accessgraph()
        .args(["collect", "--ous", &prod, "--out"])
        .arg(&scoped)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let collected: Vec<String> = std::fs::read_dir(scoped.join("accounts"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(collected, vec![member.clone()]);
    let output = emulator
        .accessgraph()
        .args(["collect", "--ous", "ou-none-00000000", "--out"])
        .arg(work.join("none"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no OU or root ou-none-00000000"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!work.join("none").exists());

    // The snapshot directory is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

/// An existing output directory is never overwritten, and credentials that do not work are an
/// error naming the call, with nothing written.
#[test]
fn collect_refuses_an_existing_directory_and_reports_bad_credentials() {
    let Some(emulator) = Emulator::start() else {
        return;
    };
    let work = tempdir();
    let output = emulator
        .accessgraph()
        .args(["collect", "--out"])
        .arg(&work)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = work.join("snapshot");
    let output = accessgraph()
        .args(["collect", "--out"])
        .arg(&out)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .envs(MANAGEMENT_KEYS)
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot tell who the credentials belong to"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}
