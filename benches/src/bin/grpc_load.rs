//! Load over gRPC on loopback: small-query throughput and latency at several concurrencies, and
//! `who can reach admin` on a synthetic organization, through a server in this process.
//!
//! `cargo run --release -p accessgraph-benches --bin grpc_load -- [SECONDS] [SYNTH_ACCOUNTS]`
//! (defaults: 5 seconds per level; no synthetic organization).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use accessgraph_db::StoreCatalog;
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_proto::v1 as pb;
use accessgraph_server::client::{ClientOptions, connect, query};
use accessgraph_server::{Limits, Options, serve};
use accessgraph_store::Store;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

async fn start(store: Store) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|error| error.to_string())?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    let options = Options {
        limits: Limits {
            max_concurrent: 256,
            max_query_time: Duration::from_secs(600),
            ..Limits::default()
        },
        ..Options::default()
    };
    tokio::spawn(serve(
        listener,
        StoreCatalog::new(store),
        options,
        std::future::pending(),
    ));
    let url = format!("http://{address}");
    // Ready when a first query answers: the server loads (or builds and saves) the newest
    // snapshot's graph before it serves.
    let started = Instant::now();
    loop {
        let ready = async {
            let mut client = connect(&ClientOptions {
                url: url.clone(),
                timeout: Some(Duration::from_secs(600)),
                ..ClientOptions::default()
            })
            .await
            .map_err(|error| error.to_string())?;
            query(
                &mut client,
                pb::QueryRequest {
                    query: "who is admin limit 1".into(),
                    ..pb::QueryRequest::default()
                },
            )
            .await
            .map_err(|error| error.to_string())
        };
        match ready.await {
            Ok(_) => return Ok(url),
            Err(error) if started.elapsed() > Duration::from_secs(600) => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Runs `concurrency` clients asking `text` for `seconds`; returns queries/s, p50 and p99 in ms.
async fn load(
    url: &str,
    text: &str,
    concurrency: usize,
    seconds: u64,
) -> Result<(f64, f64, f64), String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let url = url.to_owned();
        let text = text.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut client = connect(&ClientOptions {
                url,
                ..ClientOptions::default()
            })
            .await
            .map_err(|error| error.to_string())?;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                query(
                    &mut client,
                    pb::QueryRequest {
                        query: text.clone(),
                        ..pb::QueryRequest::default()
                    },
                )
                .await
                .map_err(|error| error.to_string())?;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, String>(latencies)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(|error| error.to_string())??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok((
        all.len() as f64 / elapsed,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    ))
}

async fn run(seconds: u64, synth_accounts: Option<usize>) -> Result<String, String> {
    let work = tempfile::tempdir().map_err(|error| error.to_string())?;
    let store = Store::open(&work.path().join("db")).map_err(|error| error.to_string())?;
    let org = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/org");
    let snapshot = ingest(&org, &IngestOptions::default())
        .map_err(|error| error.to_string())?
        .snapshot;
    store.put(&snapshot).map_err(|error| error.to_string())?;
    let mut report = String::new();
    let small = "who is admin in account 111111111111";
    let url = start(store).await?;
    for concurrency in [1, 32] {
        let (rate, p50, p99) = load(&url, small, concurrency, seconds).await?;
        report.push_str(&format!(
            "small query `{small}`, concurrency {concurrency}: {rate:.0} queries/s, p50 {p50:.2} ms, p99 {p99:.2} ms\n"
        ));
    }
    if let Some(accounts) = synth_accounts {
        let work = tempfile::tempdir().map_err(|error| error.to_string())?;
        let dir = work.path().join("snapshot");
        accessgraph_synth::generate(
            &accessgraph_synth::SynthConfig {
                accounts,
                principals: 200,
                seed: 1,
                resources: false,
            },
            &dir,
        )
        .map_err(|error| error.to_string())?;
        let store = Store::open(&work.path().join("db")).map_err(|error| error.to_string())?;
        let snapshot = ingest(&dir, &IngestOptions::default())
            .map_err(|error| error.to_string())?
            .snapshot;
        store.put(&snapshot).map_err(|error| error.to_string())?;
        drop(snapshot);
        let started = Instant::now();
        let url = start(store).await?;
        report.push_str(&format!(
            "{accounts} accounts x 200 principals: server ready (graph built and saved in the store) in {:.1} s\n",
            started.elapsed().as_secs_f64()
        ));
        let mut client = connect(&ClientOptions {
            url,
            ..ClientOptions::default()
        })
        .await
        .map_err(|error| error.to_string())?;
        for suffix in [" limit 100", ""] {
            let mut times = Vec::new();
            let mut rows = 0;
            for index in (0..accounts).step_by((accounts / 20).max(1)) {
                let text = format!(
                    "who can reach admin in account {}{suffix}",
                    accessgraph_synth::account_id(index)
                );
                let started = Instant::now();
                let answer = query(
                    &mut client,
                    pb::QueryRequest {
                        query: text,
                        ..pb::QueryRequest::default()
                    },
                )
                .await
                .map_err(|error| error.to_string())?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                rows += answer.rows.len();
            }
            times.sort_by(f64::total_cmp);
            report.push_str(&format!(
                "who can reach admin in account N{suffix} over gRPC, {} accounts ({rows} rows): p50 {:.1} ms, max {:.1} ms\n",
                times.len(),
                percentile(&times, 0.5),
                percentile(&times, 1.0)
            ));
        }
    }
    Ok(report)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds = args.first().and_then(|text| text.parse().ok()).unwrap_or(5);
    let synth = args.get(1).and_then(|text| text.parse().ok());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(seconds, synth)) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
