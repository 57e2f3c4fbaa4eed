//! An ingest killed with SIGKILL at different moments leaves the store opening cleanly, with every
//! earlier snapshot intact and no partial snapshot listed (sled's crash-recovery tests are the
//! model).

use std::path::Path;
use std::process::Command;

use accessgraph_store::Store;
use accessgraph_synth::{SynthConfig, generate};

use crate::cli::binary;
use crate::cli::tempdir;
use crate::ingest::data;

fn check_store(db: &Path, earlier: &accessgraph_model::Snapshot) -> usize {
    let store = Store::open(db).expect("the store opens after a crash");
    let listed = store.list().expect("list");
    let first = store
        .load(listed[0].id)
        .expect("the earlier snapshot loads");
    assert_eq!(
        first.accounts, earlier.accounts,
        "the earlier snapshot is intact"
    );
    for meta in &listed {
        let snapshot = store
            .load(meta.id)
            .expect("every listed snapshot is complete");
        assert_eq!(snapshot.meta.counts.accounts, meta.counts.accounts);
    }
    listed.len()
}

#[test]
fn killed_ingests_leave_the_store_consistent() {
    let synth = tempdir().join("synth");
    generate(
        &SynthConfig {
            accounts: 80,
            principals: 60,
            seed: 3,
            resources: false,
        },
        &synth,
    )
    .expect("synth org");
    let db = tempdir().join("db");
    let earlier = accessgraph_ingest::ingest(&data("../examples/org"), &Default::default())
        .expect("ingest")
        .snapshot;
    {
        let store = Store::open(&db).expect("open");
        store.put(&earlier).expect("put");
    }
    let program = binary();
    let ingest = || {
        Command::new(&program)
            .arg("ingest")
            .arg(&synth)
            .arg("--force")
            .arg("--db")
            .arg(&db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn ingest")
    };
    // One full ingest tells how long one takes on this machine.
    let started = std::time::Instant::now();
    assert!(ingest().wait().expect("wait").success());
    let full = started.elapsed();
    assert_eq!(check_store(&db, &earlier), 2);
    let mut completed = 1;
    let mut attempts = 1;
    // Kill at fractions of that: while parsing, and densely near the end, where the snapshot is
    // written, flushed and published.
    for percent in [3u32, 20, 45, 70, 80, 86, 90, 93, 96, 98, 100, 103] {
        let mut child = ingest();
        std::thread::sleep(full * percent / 100);
        let _ = child.kill();
        let status = child.wait().expect("wait");
        attempts += 1;
        if status.success() {
            completed += 1;
        }
        // A process killed after publishing (while printing its summary) leaves a complete
        // snapshot: listed snapshots are between the successful ingests and all attempts, and
        // every one is complete (checked in `check_store`).
        let listed = check_store(&db, &earlier);
        assert!(
            (1 + completed..=1 + attempts).contains(&listed),
            "after a kill at {percent}% of an ingest: {listed} listed, {completed} completed, {attempts} attempted"
        );
    }
}
