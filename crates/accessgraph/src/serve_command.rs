//! `accessgraph serve`: the gRPC server, until SIGINT or SIGTERM.

use std::time::Duration;

use accessgraph_db::StoreCatalog;
use accessgraph_server::{Limits, Options, TlsFiles, Tokens, local_socket, serve};
use anyhow::{Context as _, Result, anyhow};

use crate::bounded_file::{read_bounded, read_text};
use crate::cli::ServeArgs;
use crate::snapshots_command::open_existing_store;

/// Largest token file read.
const MAX_TOKEN_BYTES: u64 = 64 * 1024;
/// Largest certificate, key or CA file read.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Reads a token file: its content without surrounding whitespace, which must not be empty.
pub(crate) fn read_token(path: &std::path::Path) -> Result<String> {
    let text = read_text(path, "token file", MAX_TOKEN_BYTES)?;
    let token = text.trim();
    if token.is_empty() {
        return Err(anyhow!("the token file `{}` is empty", path.display()));
    }
    Ok(token.to_owned())
}

/// Reads a file the server or client needs (certificate, key, CA), naming it on error.
pub(crate) fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>> {
    read_bounded(path, what, MAX_PEM_BYTES)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = interrupt => {},
            () = terminate => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutting down: finishing calls in flight");
}

/// Runs `serve`.
pub(crate) fn run(args: &ServeArgs) -> Result<String> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: read(cert, "TLS certificate")?,
            key: read(key, "TLS key")?,
            client_ca: args
                .client_ca
                .as_deref()
                .map(|path| read(path, "client CA"))
                .transpose()?,
        }),
        _ => None,
    };
    let read_token_file = args.token_file.as_deref().map(read_token).transpose()?;
    let admin_token = args
        .admin_token_file
        .as_deref()
        .map(read_token)
        .transpose()?;
    // A server serves a store that exists: only `ingest` creates one.
    let store = open_existing_store(&args.db)?;
    let options = Options {
        tls,
        tokens: Tokens::new(read_token_file.as_deref(), admin_token.as_deref()),
        limits: Limits {
            max_query_time: Duration::from_secs(args.max_query_time.max(1)),
            max_rows: args.max_rows.max(1),
            max_hops: args.max_hops,
            max_concurrent: args.max_concurrent.max(1),
        },
        insecure: args.insecure,
        local_socket: (!args.no_local_socket).then(|| local_socket(store.path())),
        ui: !args.no_ui,
    };
    let techniques = crate::query_command::techniques(args.techniques.as_deref())?;
    let catalog = StoreCatalog::new(store).with_techniques(techniques);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on `{}`", args.listen))?;
        if !args.no_ui
            && let Ok(address) = listener.local_addr()
        {
            let scheme = if args.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            tracing::info!(url = %format!("{scheme}://{address}/ui/"), "web page");
        }
        serve(listener, catalog, options, shutdown_signal())
            .await
            .map_err(anyhow::Error::from)
    })?;
    Ok(String::new())
}
