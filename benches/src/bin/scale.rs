//! Scale harness: generates a synthetic organization, then ingests and stores it, and reports the
//! time of each phase and the process's peak resident memory.
//!
//! `cargo run --release -p accessgraph-benches --bin scale -- ACCOUNTS PRINCIPALS`

use std::process::ExitCode;
use std::time::Instant;

use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_store::Store;
use accessgraph_synth::{SynthConfig, generate};

/// The same allocator as the `accessgraph` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Peak resident set size of this process in MiB (`VmHWM`), on Linux.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn run(accounts: usize, principals: usize) -> Result<String, String> {
    let work = tempfile::tempdir().map_err(|error| error.to_string())?;
    let snapshot_dir = work.path().join("snapshot");
    let started = Instant::now();
    let summary = generate(
        &SynthConfig {
            accounts,
            principals,
            seed: 1,
        },
        &snapshot_dir,
    )
    .map_err(|error| error.to_string())?;
    let generated = started.elapsed().as_secs_f64();
    let rss_after_generate = peak_rss_mib().unwrap_or(f64::NAN);

    let started = Instant::now();
    let ingested =
        ingest(&snapshot_dir, &IngestOptions::default()).map_err(|error| error.to_string())?;
    let parsed = started.elapsed().as_secs_f64();
    let store = Store::open(&work.path().join("db")).map_err(|error| error.to_string())?;
    let meta = store
        .put(&ingested.snapshot)
        .map_err(|error| error.to_string())?;
    let total = started.elapsed().as_secs_f64();
    Ok(format!(
        "{accounts} accounts x {principals} principals ({} users, {} roles, {} files): generate {generated:.2} s; \
         ingest {total:.2} s (parse {parsed:.2} s, store {:.2} s); {} documents; peak RSS {:.0} MiB (after generating: {rss_after_generate:.0} MiB)",
        summary.users,
        summary.roles,
        summary.files,
        total - parsed,
        meta.counts.documents,
        peak_rss_mib().unwrap_or(f64::NAN),
    ))
}

fn main() -> ExitCode {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let (accounts, principals) = match args.as_slice() {
        [accounts, principals] => (*accounts, *principals),
        _ => (1000, 200),
    };
    let result = run(accounts, principals);
    #[expect(
        clippy::print_stdout,
        clippy::print_stderr,
        reason = "the harness reports on the terminal"
    )]
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
