//! Scale harness: generates a synthetic organization, then ingests and stores it, and reports the
//! time of each phase and the process's peak resident memory.
//!
//! `cargo run --release -p accessgraph-benches --bin scale -- ACCOUNTS PRINCIPALS [resources]`
//!
//! The saved graph is loaded back in a new process (`scale load FILE`), as a restarted server
//! loads it, so its time and memory are those of a process that only loads. With
//! `SCALE_SAVED_GRAPH=FILE`, the saved graph is written there and kept (to profile loading it).
//!
//! With `resources`, every account also has buckets, a key, a queue, a topic and a secret
//! (`SynthConfig::resources`), and the report adds the latency of a question about a bucket.

use std::process::ExitCode;
use std::time::Instant;

use accessgraph_graph::{Filter, Graph};
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_store::Store;
use accessgraph_synth::{SynthConfig, generate};

/// The same allocator as the `accessgraph` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Peak resident set size of this process in MiB (`VmHWM`), on Linux.
fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

/// A memory figure of this process's `/proc/self/status` (its line starting with `key`) in MiB.
fn status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn run(accounts: usize, principals: usize, resources: bool, cuts: bool) -> Result<String, String> {
    let work = tempfile::tempdir().map_err(|error| error.to_string())?;
    let snapshot_dir = work.path().join("snapshot");
    let started = Instant::now();
    let summary = generate(
        &SynthConfig {
            accounts,
            principals,
            seed: 1,
            resources,
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
    let rss_after_ingest = peak_rss_mib().unwrap_or(f64::NAN);

    let started = Instant::now();
    let graph = std::sync::Arc::new(Graph::build(&ingested.snapshot));
    let built = started.elapsed().as_secs_f64();
    let rss_after_build = peak_rss_mib().unwrap_or(f64::NAN);
    let (nodes, edges) = (graph.nodes().count(), graph.edges().count());
    let mut by_kind: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (_, _, edge) in graph.edges() {
        *by_kind.entry(format!("{:?}", edge.kind)).or_default() += 1;
    }
    let by_kind: Vec<String> = by_kind
        .iter()
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    let filter = Filter::default();
    let mut admin_times = Vec::new();
    let mut page_times = Vec::new();
    let mut definite_times = Vec::new();
    let mut bfs_times = Vec::new();
    let mut answers = 0;
    let definite = Filter {
        definite_only: true,
        ..Filter::default()
    };
    for index in (0..accounts).step_by((accounts / 50).max(1)) {
        let account = accessgraph_synth::account_id(index);
        let started = Instant::now();
        answers += graph.who_can_reach_admin(&account, &filter).len();
        admin_times.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let reach = graph.reach_admin(&account, &filter);
        bfs_times.push(started.elapsed().as_secs_f64() * 1000.0);
        let page: Vec<_> = reach
            .sources(&graph, &filter)
            .take(100)
            .filter_map(|source| reach.path(&graph, source))
            .collect();
        page_times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(page);
        let started = Instant::now();
        std::hint::black_box(graph.who_can_reach_admin(&account, &definite).len());
        definite_times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let mut path_times = Vec::new();
    for index in (3..accounts).step_by((accounts / 50).max(1)) {
        let from = graph.find(&format!(
            "arn:aws:iam::{}:user/user-0000",
            accessgraph_synth::account_id(index)
        ));
        let to = graph.find(&format!(
            "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
            accessgraph_synth::account_id((index + 7) % accounts)
        ));
        if let (Some(from), Some(to)) = (from, to) {
            let started = Instant::now();
            let _ = graph.shortest_path(from, to, &filter);
            path_times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    if cuts {
        return Ok(format!(
            "{accounts} accounts x {principals} principals: graph build {built:.2} s ({edges} edges)\n{}",
            cuts_report(&graph, &ingested.snapshot, accounts)?
        ));
    }
    let query_report = query_engine(&graph, &ingested.snapshot, accounts, resources)?;
    let started = Instant::now();
    let bytes = graph.to_bytes();
    let saved = started.elapsed().as_secs_f64();
    let saved_path = std::env::var_os("SCALE_SAVED_GRAPH")
        .map_or_else(|| work.path().join("saved.graph"), std::path::PathBuf::from);
    std::fs::write(&saved_path, &bytes).map_err(|error| error.to_string())?;
    let size = bytes.len() as f64 / 1024.0 / 1024.0;
    drop(bytes);
    let persist_report = format!(
        "saved graph {size:.0} MiB: encode {saved:.2} s; in a new process: {}",
        load_elsewhere(&saved_path)?
    );
    let median = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let graph_report = format!(
        "graph build {built:.2} s ({nodes} nodes, {edges} edges: {}; peak RSS {rss_after_build:.0} MiB)\nwho-can-reach-admin over {} accounts ({answers} answers): all paths p50 {:.2} ms; search only p50 {:.2} ms; first 100 paths p50 {:.2} ms; definite only, all paths p50 {:.2} ms\nshortest path p50 {:.2} ms",
        by_kind.join(", "),
        admin_times.len(),
        median(&mut admin_times),
        median(&mut bfs_times),
        median(&mut page_times),
        median(&mut definite_times),
        median(&mut path_times),
    );
    Ok(format!(
        "{accounts} accounts x {principals} principals ({} users, {} roles, {} files): generate {generated:.2} s; \
         ingest {total:.2} s (parse {parsed:.2} s, store {:.2} s); {} documents; peak RSS {rss_after_ingest:.0} MiB (after generating: {rss_after_generate:.0} MiB)\n{graph_report}\n{query_report}\n{persist_report}",
        summary.users,
        summary.roles,
        summary.files,
        total - parsed,
        meta.counts.documents,
    ))
}

/// Loads a saved graph in a new process (this binary with `load FILE`), as a restarted server
/// does, and returns its report: the load time and that process's peak memory.
fn load_elsewhere(path: &std::path::Path) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = std::process::Command::new(exe)
        .arg("load")
        .arg(path)
        .output()
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `scale load FILE`: reads one saved graph as the server does (in order, from the file).
fn load(path: &str) -> Result<String, String> {
    let started = Instant::now();
    let file = std::fs::File::open(path).map_err(|error| format!("{path}: {error}"))?;
    let length = file.metadata().map_err(|error| error.to_string())?.len();
    let graph = Graph::read_from(std::io::BufReader::new(file), length)
        .map_err(|error| error.to_string())?;
    let load = started.elapsed().as_secs_f64();
    let rss_loaded = status_mib("VmRSS:").unwrap_or(f64::NAN);
    Ok(format!(
        "load {load:.2} s of {} nodes and {} edges, as the server reads it; peak RSS {:.0} MiB, {rss_loaded:.0} MiB once loaded",
        graph.node_count(),
        graph.edges().count(),
        peak_rss_mib().unwrap_or(f64::NAN),
    ))
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A view of the built graph for the query engine, the snapshot loaded from memory.
fn engine_view(
    graph: &std::sync::Arc<Graph>,
    snapshot: &accessgraph_model::Snapshot,
) -> std::sync::Arc<accessgraph_query::View> {
    let snapshot = std::sync::Arc::new(snapshot.clone());
    std::sync::Arc::new(accessgraph_query::View::new(
        1,
        None,
        graph.clone(),
        Box::new(move || Ok(snapshot.as_ref().clone())),
    ))
}

/// `what cuts paths to admin` through the query engine: in the whole organization, in single
/// accounts, and one account's plan checked by a rebuild.
fn cuts_report(
    graph: &std::sync::Arc<Graph>,
    snapshot: &accessgraph_model::Snapshot,
    accounts: usize,
) -> Result<String, String> {
    use accessgraph_query::{MemoryCatalog, run};
    let catalog = MemoryCatalog::new(vec![engine_view(graph, snapshot)]);
    let timed = |text: &str| -> Result<(f64, accessgraph_query::Answer), String> {
        let started = Instant::now();
        let answer = run(text, &catalog).map_err(|error| error.message)?;
        Ok((started.elapsed().as_secs_f64(), answer))
    };
    let describe = |answer: &accessgraph_query::Answer| {
        answer.cuts.as_ref().map_or_else(String::new, |cuts| {
            format!(
                "{} sources, {} changes on shortest paths, plan of {} changes ({:?})",
                cuts.sources,
                answer.total,
                cuts.plan.changes.len(),
                cuts.plan.method
            )
        })
    };
    let (first, answer) = timed("what cuts paths to admin in org")?;
    let (second, _) = timed("what cuts paths to admin in org")?;
    let org = format!(
        "what cuts paths to admin in org: {first:.2} s, again {second:.2} s ({})",
        describe(&answer)
    );
    let mut single = Vec::new();
    let mut described = String::new();
    for index in (0..accounts).step_by((accounts / 20).max(1)) {
        let account = accessgraph_synth::account_id(index);
        let (took, answer) = timed(&format!("what cuts paths to admin in account {account}"))?;
        single.push(took * 1000.0);
        if described.is_empty() {
            described = describe(&answer);
        }
    }
    let account = accessgraph_synth::account_id(1);
    let (checked, answer) = timed(&format!(
        "what cuts paths to admin in account {account} check"
    ))?;
    let check = answer
        .cuts
        .as_ref()
        .and_then(|cuts| cuts.plan.check.as_ref())
        .map_or_else(String::new, |check| {
            format!(
                "disconnected {}, {} rebuilds",
                check.disconnected, check.rounds
            )
        });
    Ok(format!(
        "{org}\nwhat cuts paths to admin in account N over {} accounts: p50 {:.1} ms (first: {described})\nwith check (one rebuild of the whole graph): {checked:.2} s ({check})",
        single.len(),
        median(&mut single),
    ))
}

/// End-to-end `who can reach admin` through the query engine (parse, plan, search, answer rows
/// with evidence), and parse + plan alone.
fn query_engine(
    graph: &std::sync::Arc<Graph>,
    snapshot: &accessgraph_model::Snapshot,
    accounts: usize,
    resources: bool,
) -> Result<String, String> {
    use accessgraph_query::{Format, MemoryCatalog, parse, plan, render, run};
    let view = engine_view(graph, snapshot);
    let catalog = MemoryCatalog::new(vec![view.clone()]);
    let (mut full, mut page, mut json, mut planned) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rows = 0;
    for index in (0..accounts).step_by((accounts / 50).max(1)) {
        let account = accessgraph_synth::account_id(index);
        let text = format!("who can reach admin in account {account}");
        let started = Instant::now();
        let answer = run(&text, &catalog).map_err(|error| error.message)?;
        full.push(started.elapsed().as_secs_f64() * 1000.0);
        rows += answer.rows.len();
        let started = Instant::now();
        std::hint::black_box(render(&answer, Format::Json, false).len());
        json.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        std::hint::black_box(
            run(&format!("{text} limit 100"), &catalog).map_err(|error| error.message)?,
        );
        page.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        for _ in 0..100 {
            let query = parse(&text).map_err(|error| error.message)?;
            std::hint::black_box(plan(&query, &view).map_err(|error| error.message)?);
        }
        planned.push(started.elapsed().as_secs_f64() * 1e6 / 100.0);
    }
    let mut report = format!(
        "query engine, who can reach admin in account N over {} accounts ({rows} rows): full answer p50 {:.2} ms; limit 100 p50 {:.2} ms; JSON rendering of the full answer p50 {:.2} ms; parse + plan p50 {:.1} us",
        full.len(),
        median(&mut full),
        median(&mut page),
        median(&mut json),
        median(&mut planned),
    );
    if resources {
        for (question, page) in [
            ("who can reach", ""),
            ("who can read", ""),
            ("who can read", " limit 100"),
            ("who can manage permissions of", ""),
        ] {
            let (mut times, mut rows) = (Vec::new(), 0);
            for index in (0..accounts).step_by((accounts / 50).max(1)) {
                let text = format!(
                    "{question} arn:aws:s3:::synth-data-{}{page}",
                    accessgraph_synth::account_id(index)
                );
                let started = Instant::now();
                let answer = run(&text, &catalog).map_err(|error| error.message)?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                rows += answer.rows.len();
            }
            report.push_str(&format!(
                "\n{question} BUCKET{page} (a bucket without a policy) over {} accounts ({rows} rows): answer p50 {:.2} ms",
                times.len(),
                median(&mut times)
            ));
        }
    }
    Ok(report)
}

fn main() -> ExitCode {
    let mut arguments = std::env::args().skip(1);
    if arguments.next().as_deref() == Some("load") {
        return report(load(&arguments.next().unwrap_or_default()));
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let resources = std::env::args().any(|arg| arg == "resources");
    let cuts = std::env::args().any(|arg| arg == "cuts");
    let (accounts, principals) = match args.as_slice() {
        [accounts, principals] => (*accounts, *principals),
        _ => (1000, 200),
    };
    report(run(accounts, principals, resources, cuts))
}

fn report(result: Result<String, String>) -> ExitCode {
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
