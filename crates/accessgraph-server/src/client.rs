//! The client side: connect to a server (TLS, mutual TLS, a bearer token), run a query, and
//! rebuild its [`Answer`] from the streamed messages.

use std::path::Path;
use std::time::Duration;

use accessgraph_proto::v1 as pb;
use accessgraph_proto::v1::access_graph_client::AccessGraphClient;
use accessgraph_query::Answer;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::convert::{self, DecodeError};

/// Adds `authorization: Bearer TOKEN` to every call.
#[derive(Debug, Clone)]
pub struct BearerToken(Option<MetadataValue<Ascii>>);

impl Interceptor for BearerToken {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        Ok(request)
    }
}

/// A connected client.
pub type Client = AccessGraphClient<InterceptedService<Channel, BearerToken>>;

/// How to reach a server.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `http://HOST:PORT`, or `https://HOST:PORT` for TLS.
    pub url: String,
    /// The bearer token.
    pub token: Option<String>,
    /// CA certificate(s) to trust for the server (PEM); TLS when set.
    pub ca: Option<Vec<u8>>,
    /// Client certificate and key (PEM), for mutual TLS.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    /// Deadline of each call.
    pub timeout: Option<Duration>,
}

/// Why a remote call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL or the TLS files are invalid, or the server cannot be reached.
    #[error("cannot connect to `{url}`: {reason}")]
    Connect {
        /// The server URL.
        url: String,
        /// Why, each cause once.
        reason: String,
    },
    /// The token is not valid in a header.
    #[error("the token contains characters that cannot be sent in a header")]
    Token,
    /// The server answered with an error.
    #[error("{}", .0.message())]
    Status(#[from] tonic::Status),
    /// The server sent something this client does not understand.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Connects to a server.
///
/// Why a connection failed: the chain of causes, each said once (tonic and hyper repeat their
/// own words at each level), and what to try when nothing answered.
fn connect_reason(error: &tonic::transport::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.retain(|part| !text.contains(part.as_str()));
            parts.push(text);
        }
        cause = current.source();
    }
    let mut reason = parts.join(": ");
    if reason.contains("Connection refused") || reason.contains("os error 2") {
        reason.push_str(" (is `accessgraph serve` running and listening there?)");
    }
    reason
}

/// # Errors
/// When the URL or TLS material is invalid or the server cannot be reached.
pub async fn connect(options: &ClientOptions) -> Result<Client, ClientError> {
    let tls = options.ca.is_some() || options.identity.is_some();
    // `HOST:PORT` as gRPC tools write it: plaintext, or TLS when TLS files are given.
    let url = if options.url.contains("://") {
        options.url.clone()
    } else {
        format!("{}://{}", if tls { "https" } else { "http" }, options.url)
    };
    let failed = |source: tonic::transport::Error| ClientError::Connect {
        url: url.clone(),
        reason: connect_reason(&source),
    };
    let mut endpoint = Endpoint::from_shared(url.clone()).map_err(failed)?;
    if let Some(timeout) = options.timeout {
        endpoint = endpoint.timeout(timeout);
    }
    if tls || url.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &options.ca {
            tls = tls.ca_certificate(Certificate::from_pem(ca));
        }
        if let Some((cert, key)) = &options.identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        endpoint = endpoint.tls_config(tls).map_err(failed)?;
    }
    let channel = endpoint.connect().await.map_err(failed)?;
    let token = match &options.token {
        Some(token) => Some(
            format!("Bearer {}", token.trim())
                .parse::<MetadataValue<Ascii>>()
                .map_err(|_| ClientError::Token)?,
        ),
        None => None,
    };
    Ok(
        AccessGraphClient::with_interceptor(channel, BearerToken(token))
            .max_decoding_message_size(64 * 1024 * 1024),
    )
}

/// Connects to the server holding a store through its local socket (`local_socket`); the
/// socket's permissions and the peer's user id authenticate the calls, no token is sent.
///
/// # Errors
/// When nothing answers on the socket (no server, or a stale socket left by one that died).
pub async fn connect_local(
    socket: &Path,
    timeout: Option<Duration>,
) -> Result<Client, ClientError> {
    let target = socket.to_path_buf();
    // The URI is required by the endpoint but unused: the connector dials the socket.
    let mut endpoint = Endpoint::from_static("http://localhost");
    if let Some(timeout) = timeout {
        endpoint = endpoint.timeout(timeout);
    }
    let channel = endpoint
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let target = target.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(target).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
        .map_err(|source| ClientError::Connect {
            url: format!("unix:{}", socket.display()),
            reason: connect_reason(&source),
        })?;
    Ok(
        AccessGraphClient::with_interceptor(channel, BearerToken(None))
            .max_decoding_message_size(64 * 1024 * 1024),
    )
}

/// Collects a streamed answer.
///
/// # Errors
/// A status from the server, or a message this client cannot decode.
pub async fn collect(mut stream: tonic::Streaming<pb::QueryRow>) -> Result<Answer, ClientError> {
    let mut answer: Option<Answer> = None;
    while let Some(message) = stream.message().await? {
        convert::absorb(&mut answer, message)?;
    }
    answer.ok_or_else(|| ClientError::Decode(DecodeError::new("an empty answer")))
}

/// How long [`query`] waits for a server that is loading its snapshot.
pub const LOAD_WAIT: Duration = Duration::from_secs(120);

/// Runs one query remotely, waiting up to [`LOAD_WAIT`] while the server loads the snapshot.
///
/// # Errors
/// As [`collect`].
pub async fn query(client: &mut Client, request: pb::QueryRequest) -> Result<Answer, ClientError> {
    query_within(client, request, LOAD_WAIT).await
}

/// Runs one query remotely. While the server says it is still loading the snapshot
/// (UNAVAILABLE with a `grpc-retry-pushback-ms` hint), asks again after the hinted pause, for at
/// most `wait` in all; then its last answer stands.
///
/// # Errors
/// As [`collect`].
pub async fn query_within(
    client: &mut Client,
    request: pb::QueryRequest,
    wait: Duration,
) -> Result<Answer, ClientError> {
    let give_up = tokio::time::Instant::now() + wait;
    loop {
        match client.query(request.clone()).await {
            Ok(response) => return collect(response.into_inner()).await,
            Err(status) => {
                let pause = pushback(&status)
                    .filter(|pause| tokio::time::Instant::now() + *pause < give_up);
                match pause {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => return Err(status.into()),
                }
            }
        }
    }
}

/// The pause a server asks for before a retry: `grpc-retry-pushback-ms` on an UNAVAILABLE
/// status (a negative or malformed value means "do not retry", as gRPC's retry design says).
fn pushback(status: &tonic::Status) -> Option<Duration> {
    if status.code() != tonic::Code::Unavailable {
        return None;
    }
    let millis: u64 = status
        .metadata()
        .get("grpc-retry-pushback-ms")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_millis(millis))
}
