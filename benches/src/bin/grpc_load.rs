//! Load over gRPC on loopback: small-query throughput and latency at several concurrencies, and
//! `who can reach admin` on a synthetic organization, through a server in this process.
//!
//! `cargo run --release -p accessgraph-benches --bin grpc_load -- [SECONDS] [SYNTH_ACCOUNTS]`
//! (defaults: 5 seconds per level; no synthetic organization).
//!
//! `... --bin grpc_load -- against URL [SECONDS]`: only the load generator, against a server in
//! another process (e.g. `accessgraph serve` on a store holding the example organization).
//!
//! `... --bin grpc_load -- restart ACCOUNTS`: a restart on a store of a synthetic organization of
//! ACCOUNTS x 200 principals: a first server builds and saves the graph and stops; a second one
//! starts on the same store, and the report gives how long it took to report SERVING on health
//! and to answer a first query.

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

/// A server on `store`, on an ephemeral loopback port: its URL, the sender that stops it and
/// the task that ends when it has stopped (and released the store).
async fn spawn_server(
    store: Store,
) -> Result<
    (
        String,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ),
    String,
> {
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
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = serve(listener, StoreCatalog::new(store), options, async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok((format!("http://{address}"), stop, server))
}

async fn start(store: Store) -> Result<String, String> {
    let (url, stop, _) = spawn_server(store).await?;
    // Serves until the process ends.
    std::mem::forget(stop);
    ready(&url).await?;
    Ok(url)
}

/// Waits until a first query answers (the client follows the server's retry hints while it
/// loads, or builds and saves, the newest snapshot's graph).
async fn ready(url: &str) -> Result<(), String> {
    let url = url.to_owned();
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
            Ok(_) => return Ok(()),
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

/// The small query at concurrency 1 and 32 against the server at `url`.
async fn small_queries(url: &str, seconds: u64) -> Result<String, String> {
    let mut report = String::new();
    let small = "who is admin in account 111111111111";
    for concurrency in [1, 32] {
        let (rate, p50, p99) = load(url, small, concurrency, seconds).await?;
        report.push_str(&format!(
            "small query `{small}`, concurrency {concurrency}: {rate:.0} queries/s, p50 {p50:.2} ms, p99 {p99:.2} ms\n"
        ));
    }
    Ok(report)
}

async fn run(seconds: u64, synth_accounts: Option<usize>) -> Result<String, String> {
    let work = tempfile::tempdir().map_err(|error| error.to_string())?;
    let store = Store::open(&work.path().join("db")).map_err(|error| error.to_string())?;
    let org = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/org");
    let snapshot = ingest(&org, &IngestOptions::default())
        .map_err(|error| error.to_string())?
        .snapshot;
    store.put(&snapshot).map_err(|error| error.to_string())?;
    let url = start(store).await?;
    let mut report = small_queries(&url, seconds).await?;
    if let Some(accounts) = synth_accounts {
        let work = tempfile::tempdir().map_err(|error| error.to_string())?;
        let store = synthetic_store(work.path(), accounts)?;
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
        report.push_str(&first_rows(&mut client, accounts).await?);
    }
    Ok(report)
}

/// When the first row and the end of a whole `who can reach admin` answer arrive (streamed).
async fn first_rows(
    client: &mut accessgraph_server::client::Client,
    accounts: usize,
) -> Result<String, String> {
    let (mut firsts, mut lasts, mut rows) = (Vec::new(), Vec::new(), 0);
    for index in (0..accounts).step_by((accounts / 20).max(1)) {
        let started = Instant::now();
        let mut stream = client
            .query(pb::QueryRequest {
                query: format!(
                    "who can reach admin in account {}",
                    accessgraph_synth::account_id(index)
                ),
                ..pb::QueryRequest::default()
            })
            .await
            .map_err(|error| error.to_string())?
            .into_inner();
        let mut first = None;
        while let Some(message) = stream.message().await.map_err(|error| error.to_string())? {
            if let Some(pb::query_row::Item::Row(_)) = message.item {
                rows += 1;
                first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        firsts.push(first.unwrap_or(f64::NAN));
        lasts.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    firsts.sort_by(f64::total_cmp);
    lasts.sort_by(f64::total_cmp);
    Ok(format!(
        "whole answers streamed, {} accounts ({rows} rows): first row p50 {:.1} ms, max {:.1} ms; last message p50 {:.0} ms\n",
        firsts.len(),
        percentile(&firsts, 0.5),
        percentile(&firsts, 1.0),
        percentile(&lasts, 0.5),
    ))
}

/// A store in `work/db` holding a synthetic organization of `accounts` x 200 principals.
fn synthetic_store(work: &std::path::Path, accounts: usize) -> Result<Store, String> {
    let dir = work.join("snapshot");
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
    let store = Store::open(&work.join("db")).map_err(|error| error.to_string())?;
    let snapshot = ingest(&dir, &IngestOptions::default())
        .map_err(|error| error.to_string())?
        .snapshot;
    store.put(&snapshot).map_err(|error| error.to_string())?;
    Ok(store)
}

/// Time from a server's start on a store with a saved graph to SERVING and to a first answer.
async fn restart(accounts: usize) -> Result<String, String> {
    let work = tempfile::tempdir().map_err(|error| error.to_string())?;
    let store = synthetic_store(work.path(), accounts)?;
    let db = work.path().join("db");
    let started = Instant::now();
    let (url, stop, server) = spawn_server(store).await?;
    ready(&url).await?;
    let mut report = format!(
        "{accounts} accounts x 200 principals: first start (graph built and saved) answered after {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    let _ = stop.send(());
    server.await.map_err(|error| error.to_string())?;

    let store = Store::open(&db).map_err(|error| error.to_string())?;
    let started = Instant::now();
    let (url, _stop, _server) = spawn_server(store).await?;
    let channel = loop {
        match tonic::transport::Endpoint::from_shared(url.clone())
            .map_err(|error| error.to_string())?
            .connect()
            .await
        {
            Ok(channel) => break channel,
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    };
    let listening = started.elapsed().as_secs_f64();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    loop {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: accessgraph_server::SERVICE_NAME.into(),
            })
            .await
            .map_err(|error| error.to_string())?
            .into_inner()
            .status;
        if status == serving {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let serving_after = started.elapsed().as_secs_f64();
    ready(&url).await?;
    report.push_str(&format!(
        "restart on the saved graph: listening after {listening:.3} s, SERVING after {serving_after:.2} s, first answer after {:.2} s\n",
        started.elapsed().as_secs_f64()
    ));
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
    let work = if args.first().map(String::as_str) == Some("restart") {
        runtime.block_on(restart(synth.unwrap_or(1000)))
    } else if args.first().map(String::as_str) == Some("against") {
        let url = args.get(1).cloned().unwrap_or_default();
        let seconds = args.get(2).and_then(|text| text.parse().ok()).unwrap_or(5);
        runtime.block_on(small_queries(&url, seconds))
    } else {
        runtime.block_on(run(seconds, synth))
    };
    match work {
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
