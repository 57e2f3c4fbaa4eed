//! Hostile-input harness: writes a very large valid authorization dump and hostile files, ingests
//! each in a fresh process (this binary, run again as `one DIR [MAX_MEMORY]`) the way
//! `accessgraph ingest` does (parse, then store), and reports the outcome, the time and the peak
//! resident memory of that process.
//!
//! `cargo run --release -p accessgraph-benches --bin hostile -- [ROLES]`
//!
//! ROLES is the number of roles of the valid dump (default 497,294: about 0.95 GB).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_store::Store;
use serde_json::{Value, json};

/// The same allocator as the `accessgraph` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ACCOUNT: &str = "111122223333";

/// Peak resident set size of this process in MiB (`VmHWM`), on Linux.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

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

/// Runs one ingest in this process and prints `outcome<TAB>seconds<TAB>peak MiB`.
fn one(dir: &Path, max_memory: Option<u64>) -> ExitCode {
    let started = Instant::now();
    let options = IngestOptions {
        max_memory: max_memory.or(IngestOptions::default().max_memory),
        ..IngestOptions::default()
    };
    let outcome = match ingest(dir, &options) {
        Ok(ingested) => {
            eprintln!(
                "parsed in {:.1} s, peak {:.0} MiB",
                started.elapsed().as_secs_f64(),
                peak_rss_mib().unwrap_or(f64::NAN)
            );
            let store = tempfile::tempdir()
                .map_err(|error| error.to_string())
                .and_then(|work| {
                    let store = Store::open(&work.path().join("db")).map_err(|e| e.to_string())?;
                    store.put(&ingested.snapshot).map_err(|e| e.to_string())?;
                    Ok(())
                });
            match store {
                Ok(()) => format!(
                    "stored: {} roles, {} users, {} documents",
                    ingested.snapshot.meta.counts.roles,
                    ingested.snapshot.meta.counts.users,
                    ingested.snapshot.meta.counts.documents
                ),
                Err(error) => format!("store failed: {error}"),
            }
        }
        Err(error) => {
            let mut text = error.to_string();
            text.truncate(160);
            format!("refused: {text}")
        }
    };
    println!(
        "{outcome}\t{:.1}\t{:.0}",
        started.elapsed().as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    ExitCode::SUCCESS
}

/// Measures one case in a fresh process.
fn measure(case: &str, dir: &Path, max_memory: Option<&str>) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let mut command = Command::new(exe);
    command.arg("one").arg(dir);
    command.args(max_memory);
    let output = command.output().map_err(|error| error.to_string())?;
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.trim_end().split('\t');
    let (outcome, seconds, peak) = (
        fields.next().unwrap_or("crashed"),
        fields.next().unwrap_or("-"),
        fields.next().unwrap_or("-"),
    );
    let size: u64 = walk_size(dir);
    Ok(format!(
        "| {case} | {:.0} MB | {outcome} | {peak} MiB | {seconds} s |",
        size as f64 / 1e6
    ))
}

fn walk_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk_size(&entry.path()),
            _ => entry.metadata().map_or(0, |metadata| metadata.len()),
        })
        .sum()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("one") {
        let Some(dir) = args.get(1) else {
            eprintln!("usage: hostile one DIR [MAX_MEMORY_BYTES]");
            return ExitCode::FAILURE;
        };
        let max_memory = args.get(2).and_then(|text| text.parse().ok());
        return one(&PathBuf::from(dir), max_memory);
    }
    let roles: usize = args
        .first()
        .and_then(|text| text.parse().ok())
        .unwrap_or(497_294);
    let work = match tempfile::tempdir() {
        Ok(work) => work,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    // Each input, and the `--max-memory` values it is measured with (`None`: the default).
    type Write = Box<dyn Fn(&Path) -> std::io::Result<()>>;
    let cases: Vec<(String, Write, Vec<Option<&str>>)> = vec![
        (
            format!("valid dump, {roles} roles"),
            Box::new(move |dir: &Path| valid_dump(dir, roles)),
            vec![None, Some("536870912")],
        ),
        (
            "one inline policy of 4,096 x 16,384 actions".to_owned(),
            Box::new(|dir: &Path| hostile_policy(dir, 4096)),
            vec![None],
        ),
        (
            "one inline policy of 1,024 x 16,384 actions".to_owned(),
            Box::new(|dir: &Path| hostile_policy(dir, 1024)),
            vec![None],
        ),
        (
            "a 10 MB condition value (object form)".to_owned(),
            Box::new(|dir: &Path| huge_condition(dir, 10_000_000)),
            vec![None],
        ),
        (
            "a 400 MB bucket policy string".to_owned(),
            Box::new(|dir: &Path| huge_bucket_policy(dir, 400_000_000)),
            vec![None],
        ),
        (
            "1,000,000 nested arrays".to_owned(),
            Box::new(|dir: &Path| deep_nesting(dir, 1_000_000)),
            vec![None],
        ),
    ];
    println!("| input | size | outcome | peak RSS | time |\n|---|---|---|---|---|");
    for (index, (case, write, budgets)) in cases.iter().enumerate() {
        let dir = work.path().join(format!("case-{index}"));
        if let Err(error) = write(&dir) {
            eprintln!("cannot write {case}: {error}");
            return ExitCode::FAILURE;
        }
        for max_memory in budgets {
            let name = match max_memory {
                Some(bytes) => format!("{case}, `--max-memory {bytes}`"),
                None => case.clone(),
            };
            match measure(&name, &dir, *max_memory) {
                Ok(line) => println!("{line}"),
                Err(error) => {
                    eprintln!("{case}: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    ExitCode::SUCCESS
}
