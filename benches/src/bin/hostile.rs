//! Hostile-input files: writes a very large valid authorization dump and hostile files, each as
//! a snapshot directory, for `benches/hostile.sh` to ingest with one or more `accessgraph`
//! binaries, measuring the outcome, the time and the peak memory of each.
//!
//! `cargo run --release -p accessgraph-benches --bin hostile -- DIR [ROLES]`
//!
//! ROLES is the number of roles of the valid dump (default 497,294: about 0.95 GB). Each case is
//! written to `DIR/NAME/`; the names are printed, one per line, with a description.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

/// A file at `relative` in a new snapshot directory `dir`, for writing.
fn create(dir: &Path, relative: &str) -> std::io::Result<BufWriter<std::fs::File>> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path)?,
    ))
}

fn iam_path() -> String {
    format!("accounts/{ACCOUNT}/iam/get-account-authorization-details.json")
}

/// One role as `get-account-authorization-details` prints it, varied by `index`.
fn role(index: usize) -> Value {
    let trusted = match index % 4 {
        0 => json!({"Service": "ec2.amazonaws.com"}),
        1 => json!({"Service": "lambda.amazonaws.com"}),
        2 => json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
        _ => {
            json!({"AWS": format!("arn:aws:iam::{:012}:role/deployer", 444_455_556_666_u64 + (index % 7) as u64)})
        }
    };
    let mut trust = json!({"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"});
    if let (3, Some(statement)) = (index % 4, trust.as_object_mut()) {
        let external_id = json!({"StringEquals": {"sts:ExternalId": format!("ext-{}", index % 7)}});
        statement.insert("Condition".to_owned(), external_id);
    }
    json!({
        "Path": "/service/",
        "RoleName": format!("app-role-{index}"),
        "RoleId": format!("AROA{index:017}"),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:role/service/app-role-{index}"),
        "CreateDate": "2024-03-01T12:00:00+00:00",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
        "InstanceProfileList": if index % 4 == 0 {
            json!([{"Path": "/", "InstanceProfileName": format!("app-role-{index}"), "InstanceProfileId": format!("AIPA{index:017}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:instance-profile/app-role-{index}"), "CreateDate": "2024-03-01T12:00:00+00:00", "Roles": []}])
        } else {
            json!([])
        },
        "RolePolicyList": [{
            "PolicyName": "data-access",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::data-{}", index % 1000), format!("arn:aws:s3:::data-{}/*", index % 1000)]},
                {"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:jobs-{}", index % 500)}
            ]}
        }],
        "AttachedManagedPolicies": [
            {"PolicyName": format!("team-{}", index % 50), "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/team-{}", index % 50)}
        ],
        "Tags": [{"Key": "team", "Value": format!("team-{}", index % 50)}]
    })
}

/// The customer managed policies the roles attach.
fn team_policy(team: usize) -> Value {
    json!({
        "PolicyName": format!("team-{team}"),
        "PolicyId": format!("ANPA{team:017}"),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/team-{team}"),
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "IsAttachable": true,
        "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}
        ]}, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2024-03-01T12:00:00+00:00"}]
    })
}

/// A valid dump with `roles` roles, pretty-printed with the AWS CLI's four spaces.
fn valid_dump(dir: &Path, roles: usize) -> std::io::Result<()> {
    let mut out = create(dir, &iam_path())?;
    let pretty = |out: &mut BufWriter<std::fs::File>, value: &Value| {
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
        serde::Serialize::serialize(value, &mut serializer).map_err(std::io::Error::other)
    };
    out.write_all(b"{\n    \"UserDetailList\": [],\n    \"GroupDetailList\": [],\n    \"RoleDetailList\": [\n")?;
    for index in 0..roles {
        if index > 0 {
            out.write_all(b",\n")?;
        }
        pretty(&mut out, &role(index))?;
    }
    out.write_all(b"\n    ],\n    \"Policies\": [\n")?;
    for team in 0..50 {
        if team > 0 {
            out.write_all(b",\n")?;
        }
        pretty(&mut out, &team_policy(team))?;
    }
    out.write_all(b"\n    ]\n}\n")?;
    out.flush()
}

/// One user with one inline policy of `statements` statements of 16,384 actions each: within
/// the policy grammar's own limits, far beyond AWS's size limits.
fn hostile_policy(dir: &Path, statements: usize) -> std::io::Result<()> {
    let mut out = create(dir, &iam_path())?;
    write!(
        out,
        r#"{{"UserDetailList": [{{"Arn": "arn:aws:iam::{ACCOUNT}:user/u", "UserName": "u", "UserPolicyList": [{{"PolicyName": "p", "PolicyDocument": {{"Version": "2012-10-17", "Statement": ["#
    )?;
    for statement in 0..statements {
        if statement > 0 {
            out.write_all(b",")?;
        }
        out.write_all(br#"{"Effect":"Allow","Resource":"*","Action":["#)?;
        for action in 0..16_384 {
            if action > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\"s:a\"")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}}]}]}\n")?;
    out.flush()
}

/// A role whose trust policy, in the object form, holds one condition value of `bytes` bytes.
fn huge_condition(dir: &Path, bytes: usize) -> std::io::Result<()> {
    let mut out = create(dir, &iam_path())?;
    write!(
        out,
        r#"{{"RoleDetailList": [{{"Arn": "arn:aws:iam::{ACCOUNT}:role/r", "RoleName": "r", "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "ec2.amazonaws.com"}}, "Action": "sts:AssumeRole", "Condition": {{"StringEquals": {{"aws:PrincipalTag/x": ""#
    )?;
    out.write_all(&vec![b'x'; bytes])?;
    out.write_all(b"\"}}}]}}]}\n")?;
    out.flush()
}

/// A bucket policy output whose `Policy` string is `bytes` long (plus a valid dump, so the
/// snapshot has its account).
fn huge_bucket_policy(dir: &Path, bytes: usize) -> std::io::Result<()> {
    valid_dump(dir, 10)?;
    let mut out = create(dir, &format!("accounts/{ACCOUNT}/s3/photos.json"))?;
    out.write_all(b"{\"Policy\": \"")?;
    out.write_all(&vec![b' '; bytes])?;
    out.write_all(b"\"}\n")?;
    out.flush()
}

/// An authorization dump opening `depth` arrays.
fn deep_nesting(dir: &Path, depth: usize) -> std::io::Result<()> {
    let mut out = create(dir, &iam_path())?;
    out.write_all(b"{\"UserDetailList\": ")?;
    out.write_all(&vec![b'['; depth])?;
    out.flush()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: hostile DIR [ROLES]");
        return ExitCode::FAILURE;
    };
    let roles: usize = args
        .get(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(497_294);
    type Write = Box<dyn Fn(&Path) -> std::io::Result<()>>;
    let cases: Vec<(&str, String, Write)> = vec![
        (
            "valid",
            format!("a valid dump of {roles} roles"),
            Box::new(move |dir: &Path| valid_dump(dir, roles)),
        ),
        (
            "policy-4096",
            "one inline policy of 4,096 statements x 16,384 actions".to_owned(),
            Box::new(|dir: &Path| hostile_policy(dir, 4096)),
        ),
        (
            "policy-1024",
            "one inline policy of 1,024 statements x 16,384 actions".to_owned(),
            Box::new(|dir: &Path| hostile_policy(dir, 1024)),
        ),
        (
            "condition",
            "a 10 MB condition value in a trust policy (object form)".to_owned(),
            Box::new(|dir: &Path| huge_condition(dir, 10_000_000)),
        ),
        (
            "bucket-policy",
            "a 400 MB bucket policy string".to_owned(),
            Box::new(|dir: &Path| huge_bucket_policy(dir, 400_000_000)),
        ),
        (
            "nesting",
            "1,000,000 nested arrays".to_owned(),
            Box::new(|dir: &Path| deep_nesting(dir, 1_000_000)),
        ),
    ];
    for (name, description, write) in cases {
        if let Err(error) = write(&out.join(name)) {
            eprintln!("cannot write {name}: {error}");
            return ExitCode::FAILURE;
        }
        println!("{name}\t{description}");
    }
    ExitCode::SUCCESS
}
