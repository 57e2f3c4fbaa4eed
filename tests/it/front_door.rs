//! A running server is the store's front door (issue 15): while `accessgraph serve` holds a store,
//! `query`, `snapshots` and `ingest --db` on it go through the server's owner-only Unix socket in
//! the store's directory and print what they print without a server; another user is refused; a
//! socket left by a killed server is not in the way.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::cli::{accessgraph, binary, tempdir};
use crate::ingest::data;
use crate::serve_cli::wait_for_log;

/// Runs the CLI with `args` and returns its output.
fn run(args: &[&str]) -> Output {
    accessgraph().args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A server process, killed when the test ends, even by a panic.
struct Server(Child);

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(db: &Path) -> Server {
    let mut server = Command::new(binary())
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_log(&mut server, "serving accessgraph.v1.AccessGraph");
    Server(server)
}

fn stop(server: &mut Child, signal: &str) {
    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The commands compared with and without a server.
const QUESTIONS: [&str; 3] = [
    "who can reach admin in account 555555555555",
    "path from user/bob to admin in account 555555555555",
    "who is admin in org",
];

fn outputs(db: &str) -> Vec<String> {
    let mut found = vec![
        stdout(&run(&["snapshots", "list", "--db", db])),
        stdout(&run(&["snapshots", "list", "--db", db, "--format", "json"])),
        stdout(&run(&["snapshots", "show", "1", "--db", db])),
    ];
    for question in QUESTIONS {
        for format in ["table", "json"] {
            found.push(stdout(&run(&[
                "query", "--db", db, "--format", format, question,
            ])));
        }
    }
    found
}

#[test]
fn the_command_line_goes_through_a_running_server_with_the_same_output() {
    let work = tempdir();
    let db = work.join("db");
    let db_text = db.to_str().unwrap();
    let org = data("../examples/org");
    stdout(&run(&["ingest", org.to_str().unwrap(), "--db", db_text]));
    let alone = outputs(db_text);
    let missing = run(&["snapshots", "show", "9", "--db", db_text]);
    assert_eq!(missing.status.code(), Some(2));

    let mut server = start_server(&db);
    let socket = db.join("accessgraph.sock");
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
        let found = std::fs::symlink_metadata(&socket).unwrap();
        assert!(found.file_type().is_socket());
        assert_eq!(found.permissions().mode() & 0o777, 0o600);
        let directory = std::fs::metadata(&db).unwrap().permissions().mode();
        assert_eq!(directory & 0o777, 0o700);
    }
    assert_eq!(
        outputs(db_text),
        alone,
        "the same output through the server"
    );
    let through = run(&["snapshots", "show", "9", "--db", db_text]);
    assert_eq!(through.status.code(), Some(2));
    assert_eq!(through.stderr, missing.stderr);

    // An ingest goes through the server (which holds the store), and the server serves it;
    // the same data again is recognised (issue 20) unless `--force`.
    let identical = stdout(&run(&["ingest", org.to_str().unwrap(), "--db", db_text]));
    assert!(
        identical.starts_with("identical to snapshot 1 (ingested "),
        "{identical}"
    );
    assert!(identical.contains("nothing stored (--force stores it again)"));
    let ingested = stdout(&run(&[
        "ingest",
        org.to_str().unwrap(),
        "--db",
        db_text,
        "--label",
        "second",
        "--force",
    ]));
    assert!(
        ingested.starts_with("ingested snapshot 2 `second` from "),
        "{ingested}"
    );
    assert!(ingested.contains("accounts 6, OUs 4"), "{ingested}");
    let listed = stdout(&run(&["snapshots", "list", "--db", db_text]));
    assert!(listed.contains("2 snapshot(s)"), "{listed}");
    let diff = stdout(&run(&[
        "query", "--db", db_text, "--format", "table", "diff 1 2",
    ]));
    assert_eq!(diff.trim(), "0 changes", "the same organization twice");
    accessgraph()
        .args(["query", "--db", db_text, "--at", "7", "who is admin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--at 7: unknown snapshot 7 (the store holds 1, 2)",
        ));
    let deleted = stdout(&run(&["snapshots", "delete", "2", "--db", db_text]));
    assert_eq!(deleted, "deleted snapshot 2\n");
    // A failed ingest through the server stores nothing.
    let empty = work.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    accessgraph()
        .args(["ingest", empty.to_str().unwrap(), "--db", db_text])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no account found"));
    assert_eq!(outputs(db_text), alone, "back to the first snapshot alone");

    another_user_is_refused(&db);

    // A server killed outright leaves its socket behind: the command line opens the store itself,
    // and the next server replaces the stale socket.
    stop(&mut server, "-KILL");
    assert!(socket.exists());
    assert_eq!(outputs(db_text), alone, "a stale socket is not in the way");
    let mut server = start_server(&db);
    assert_eq!(outputs(db_text), alone);
    stop(&mut server, "-TERM");
    assert!(!socket.exists(), "a server that stops removes its socket");
}

/// Another user cannot reach the store: the directory is owner-only; and even with the
/// directory and socket opened to everyone, the server refuses a peer that is not the store's
/// owner. Needs root (to run as `nobody`) and `setpriv`; skipped otherwise.
fn another_user_is_refused(db: &Path) {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    let has_setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !is_root || !has_setpriv {
        eprintln!("skipped: running as another user needs root and setpriv");
        return;
    }
    let as_nobody = || {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(binary())
            .args(["snapshots", "list", "--db", db.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let refused = as_nobody();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("ermission denied"),
        "{refused:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let socket = db.join("accessgraph.sock");
        let open = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        open(db, 0o755);
        open(&socket, 0o666);
        let refused = as_nobody();
        open(&socket, 0o600);
        open(db, 0o700);
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        assert!(
            String::from_utf8_lossy(&refused.stderr)
                .contains("the local socket is for the store's owner only"),
            "{refused:?}"
        );
    }
}
