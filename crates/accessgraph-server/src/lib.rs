//! The accessgraph gRPC service (`proto/accessgraph/v1/accessgraph.proto`) and its client.
//!
//! [`serve`] runs the service with standard health checks and server reflection, bearer-token
//! authentication, optional TLS and mutual TLS, limits per query, and graceful shutdown; besides
//! its TCP address it listens on a Unix socket in the store's directory ([`local_socket`]), the
//! store's front door for its owner's command line.
//! [`client`] connects to it and rebuilds answers, so the command line renders remote answers
//! with the same code as local ones.

#![warn(missing_docs)]

mod auth;
pub mod client;
pub mod convert;
mod local;
mod service;
mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use accessgraph_db::StoreCatalog;
use accessgraph_proto::v1::access_graph_server::AccessGraphServer;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

pub use auth::{Access, Tokens};
pub use service::{Limits, SERVICE_NAME, Service};

/// PEM files of the server's TLS identity and, for mutual TLS, the CA of client certificates.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: Vec<u8>,
    /// Private key (PEM).
    pub key: Vec<u8>,
    /// CA certificates that client certificates must chain to (PEM); clients without one are
    /// refused when set.
    pub client_ca: Option<Vec<u8>>,
}

/// How to serve.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// TLS, if any.
    pub tls: Option<TlsFiles>,
    /// Tokens.
    pub tokens: Tokens,
    /// Limits.
    pub limits: Limits,
    /// Allow plaintext on a non-loopback address.
    pub insecure: bool,
    /// Also listen on this Unix socket (owner-only; calls on it are trusted by the peer's user
    /// id, see [`Tokens::check_request`]).
    pub local_socket: Option<PathBuf>,
    /// Serve the web page and its JSON API at `/ui/` on the TCP listener (HTTP/1.1 beside
    /// gRPC's HTTP/2).
    pub ui: bool,
}

/// The name of the server's socket in its store's directory.
pub const LOCAL_SOCKET_NAME: &str = "accessgraph.sock";

/// Where a server holding the store at `store` listens for its owner's command line.
#[must_use]
pub fn local_socket(store: &Path) -> PathBuf {
    store.join(LOCAL_SOCKET_NAME)
}

/// Why the server cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Plaintext on a non-loopback address without `--insecure`.
    #[error(
        "refusing to listen on {0} without TLS: give `--tls-cert` and `--tls-key`, or `--insecure` to accept plaintext on a network address"
    )]
    PlaintextOnNetwork(SocketAddr),
    /// TLS configuration or transport error.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection setup.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// Socket error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The local socket cannot be created.
    #[error("cannot listen on the local socket `{path}`: {source}")]
    LocalSocket {
        /// The socket's path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Largest request message accepted (a query is at most 16 KiB); larger ones are refused with
/// `RESOURCE_EXHAUSTED` by the service.
const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest request message the transport decodes (beyond it, `OUT_OF_RANGE` before the service
/// sees it): room for the service to refuse oversized requests with the conventional code.
const MAX_DECODED_BYTES: usize = 1024 * 1024;
/// Largest response message sent (one row, or one `GetNode` answer).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Serves `catalog` on `listener` (and the local socket of `options`, if any) until `shutdown`
/// completes, then finishes the calls in flight.
///
/// # Errors
/// When the address is a network address without TLS (and not `insecure`), the TLS files are
/// invalid, the local socket cannot be created, or the newest snapshot cannot be loaded.
pub async fn serve(
    listener: TcpListener,
    catalog: StoreCatalog,
    options: Options,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let address = listener.local_addr()?;
    if options.tls.is_none() && !address.ip().is_loopback() && !options.insecure {
        return Err(ServeError::PlaintextOnNetwork(address));
    }
    let mut tokens = options.tokens.clone();
    let local = match &options.local_socket {
        Some(path) => {
            let (listener, owner) = local::bind(path)?;
            tokens = tokens.with_local_owner(owner);
            Some((listener, path.clone()))
        }
        None => None,
    };
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let service = Service::new(catalog, tokens, options.limits.clone(), health_reporter).await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(accessgraph_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(accessgraph_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    // The gRPC services, and on TCP with `ui` the web page and its JSON API.
    let routes = |ui: bool| {
        let grpc = Routes::new(health_service.clone())
            .add_service(reflection_v1.clone())
            .add_service(reflection_v1alpha.clone())
            .add_service(
                AccessGraphServer::new(service.clone())
                    .max_decoding_message_size(MAX_DECODED_BYTES)
                    .max_encoding_message_size(MAX_RESPONSE_BYTES),
            );
        if ui {
            Routes::from(web::routes(service.clone()).merge(grpc.into_axum_router()))
        } else {
            grpc
        }
    };
    // Browsers speak HTTP/1.1 to the page; gRPC clients HTTP/2.
    let mut builder = Server::builder().accept_http1(options.ui);
    if let Some(tls) = &options.tls {
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(&tls.cert, &tls.key));
        if let Some(ca) = &tls.client_ca {
            config = config.client_ca_root(Certificate::from_pem(ca));
        }
        builder = builder.tls_config(config)?;
    }
    tracing::info!(
        %address,
        tls = options.tls.is_some(),
        mutual_tls = options.tls.as_ref().is_some_and(|tls| tls.client_ca.is_some()),
        local_socket = %options
            .local_socket
            .as_ref()
            .map_or_else(|| "none".to_owned(), |path| path.display().to_string()),
        "serving accessgraph.v1.AccessGraph"
    );
    // Both listeners stop on the same signal and finish their calls in flight.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let stopped = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let tcp = builder
        .add_routes(routes(options.ui))
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY, small answers wait for delayed acknowledgements (~40 ms each).
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            stopped(stopping.clone()),
        );
    let local_path = local.as_ref().map(|(_, path)| path.clone());
    let unix = async {
        match local {
            Some((listener, _)) => {
                Server::builder()
                    .add_routes(routes(false))
                    .serve_with_incoming_shutdown(
                        tokio_stream::wrappers::UnixListenerStream::new(listener),
                        stopped(stopping.clone()),
                    )
                    .await
            }
            None => Ok(()),
        }
    };
    let servers = async { tokio::try_join!(tcp, unix) };
    tokio::pin!(servers);
    let result = tokio::select! {
        result = &mut servers => result,
        () = shutdown => {
            let _ = stop.send(true);
            servers.await
        }
    };
    if let Some(path) = local_path {
        let _ = std::fs::remove_file(path);
    }
    result?;
    tracing::info!("stopped");
    Ok(())
}
