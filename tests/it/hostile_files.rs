//! Every directory entry accounted for, and files named on the command line read within bounds
//! (issue 19): links inside a snapshot are followed, links leaving it are an error unless
//! `--follow-links`, FIFOs and broken links are warnings (never a hang), and a FIFO or a device
//! given as a policy, token or certificate file is refused at once.

use std::path::Path;
use std::process::Command;

use accessgraph_ingest::{IngestOptions, ingest};
use predicates::prelude::*;

use crate::cli::{accessgraph, tempdir};
use crate::ingest::data;
use crate::ingest_errors::copy_dir;

/// Mirrors `from` under `to` with a symbolic link per file (`cp -rs`).
#[cfg(unix)]
fn link_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            link_tree(&entry.path(), &target);
        } else {
            std::os::unix::fs::symlink(entry.path(), target).unwrap();
        }
    }
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[cfg(unix)]
#[test]
fn links_leaving_the_snapshot_are_refused_unless_followed() {
    let org = data("../examples/org");
    let linked = tempdir().join("linked");
    link_tree(&std::fs::canonicalize(&org).unwrap(), &linked);
    let db = tempdir().join("db");
    accessgraph()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg(&linked)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("outside the snapshot directory")
                .and(predicate::str::contains("--follow-links")),
        );
    assert!(!db.exists(), "nothing stored");
    let followed = ingest(
        &linked,
        &IngestOptions {
            follow_links: true,
            ..IngestOptions::default()
        },
    )
    .unwrap()
    .snapshot;
    let original = ingest(&org, &IngestOptions::default()).unwrap().snapshot;
    assert_eq!(followed.accounts, original.accounts);
    assert_eq!(followed.warnings, original.warnings);
}

#[cfg(unix)]
#[test]
fn links_inside_are_followed_and_special_files_are_warnings() {
    let dir = tempdir().join("snapshot");
    copy_dir(&data("../examples/org"), &dir);
    // The dev account's dump moved aside and linked back into place, relatively.
    let iam = dir.join("accounts/555555555555/iam");
    std::fs::rename(
        iam.join("get-account-authorization-details.json"),
        dir.join("dev-dump.json.saved"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../../dev-dump.json.saved",
        iam.join("get-account-authorization-details.json"),
    )
    .unwrap();
    // A directory linked twice is listed once.
    std::os::unix::fs::symlink(".", dir.join("again")).unwrap();
    mkfifo(&dir.join("pipe.json"));
    std::os::unix::fs::symlink("nowhere.json", dir.join("dangling.json")).unwrap();
    let snapshot = ingest(&dir, &IngestOptions::default()).unwrap().snapshot;
    let original = ingest(&data("../examples/org"), &IngestOptions::default())
        .unwrap()
        .snapshot;
    assert_eq!(snapshot.accounts, original.accounts);
    let warnings = snapshot.warnings.join("\n");
    assert!(
        warnings.contains("pipe.json: a FIFO, skipped"),
        "{warnings}"
    );
    assert!(
        warnings.contains("dangling.json: a link to a missing file, skipped"),
        "{warnings}"
    );
    // The moved dump is also read by its content: the same account, the same entities.
    assert!(!warnings.contains("dev-dump.json.saved"), "{warnings}");
}

#[cfg(unix)]
#[test]
fn named_files_must_be_regular_and_bounded() {
    let dir = tempdir();
    let fifo = dir.join("policy.fifo");
    mkfifo(&fifo);
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "eval",
                "--principal",
                "arn:aws:iam::111122223333:user/a",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
                "--policy",
            ],
            "a FIFO",
        ),
        (
            &[
                "eval",
                "--principal",
                "arn:aws:iam::111122223333:user/a",
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
                "--policy",
            ],
            "a device",
        ),
        (&["serve", "--token-file"], "a device"),
        (
            &["query", "--server", "http://127.0.0.1:1", "--token-file"],
            "a device",
        ),
    ];
    for (index, (args, expected)) in cases.iter().enumerate() {
        let file = if index == 0 {
            fifo.display().to_string()
        } else {
            "/dev/zero".to_owned()
        };
        accessgraph()
            .args(*args)
            .arg(&file)
            .args(if args[0] == "query" {
                vec!["who is admin"]
            } else {
                Vec::new()
            })
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*expected));
    }
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; 5 * 1024 * 1024]).unwrap();
    accessgraph()
        .args([
            "eval",
            "--principal",
            "arn:aws:iam::111122223333:user/a",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--policy",
        ])
        .arg(&big)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("more than the limit"));
}

/// A name that cannot be named in a query is refused; a file name that is not UTF-8 is skipped
/// with a warning rather than stored under an altered name (issue 19).
#[cfg(unix)]
#[test]
fn names_must_be_storable_unaltered() {
    let dir = tempdir().join("snapshot");
    copy_dir(&data("../examples/org"), &dir);
    let gaad = dir.join("accounts/555555555555/iam/get-account-authorization-details.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gaad).unwrap()).unwrap();
    let long = "a".repeat(100_000);
    value["UserDetailList"][0]["UserName"] = serde_json::Value::String(long);
    std::fs::write(&gaad, value.to_string()).unwrap();
    let error = ingest(&dir, &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("$.UserDetailList[0].UserName: 100000 characters, more than the 512"),
        "{error}"
    );
    std::fs::remove_file(&gaad).unwrap();
    use std::os::unix::ffi::OsStrExt as _;
    let odd = std::ffi::OsStr::from_bytes(b"notes-\xff.json");
    std::fs::write(dir.join(odd), "{}").unwrap();
    let warnings = ingest(&dir, &IngestOptions::default())
        .unwrap()
        .snapshot
        .warnings
        .join("\n");
    assert!(warnings.contains("a name that is not UTF-8"), "{warnings}");
}

/// Memory follows from limits (issue 19): one entry of an authorization dump is bounded (16 MiB),
/// refused after a bounded read and named by its JSON path, skippable like any invalid file;
/// and `--max-memory` below what the process holds stops the ingest naming the file.
#[test]
fn one_hostile_entry_and_the_memory_limit_are_refused_with_their_place() {
    let dir = tempdir().join("snapshot");
    copy_dir(&data("../examples/org"), &dir);
    let gaad = dir.join("accounts/555555555555/iam/get-account-authorization-details.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gaad).unwrap()).unwrap();
    // 17 MiB of actions in one statement: within the policy grammar, not within the bound.
    let actions = vec![serde_json::Value::String("s3:GetObject".into()); 1_200_000];
    value["UserDetailList"][1]["UserPolicyList"] = serde_json::json!([{
        "PolicyName": "huge",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    }]);
    std::fs::write(&gaad, value.to_string()).unwrap();
    let db = tempdir().join("db");
    accessgraph()
        .arg("ingest")
        .arg(&dir)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(
                "accounts/555555555555/iam/get-account-authorization-details.json: \
                 $.UserDetailList[1]: larger than 16.0 MiB",
            )
            .and(predicate::str::contains("refused without reading it whole")),
        );
    assert!(!db.exists(), "nothing stored");
    accessgraph()
        .arg("ingest")
        .arg(&dir)
        .arg("--db")
        .arg(&db)
        .arg("--skip-invalid")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "skipped: accounts/555555555555/iam/get-account-authorization-details.json",
        ));

    accessgraph()
        .arg("ingest")
        .arg(data("../examples/org"))
        .arg("--db")
        .arg(tempdir().join("db"))
        .args(["--max-memory", "1M"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("more than its limit of 1.0 MiB (--max-memory)")
                .and(predicate::str::contains(".json")),
        );
    accessgraph()
        .arg("ingest")
        .arg(data("../examples/org"))
        .arg("--db")
        .arg(tempdir().join("db"))
        .args(["--max-memory", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a size such as 8G"));
}
