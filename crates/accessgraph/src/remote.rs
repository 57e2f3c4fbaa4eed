//! `accessgraph query --server URL` (and `query --db` on a store a server holds): the same
//! statements and output formats, answered by a running server.

use std::time::Duration;

use accessgraph_proto::v1 as pb;
use accessgraph_server::client::{Client, ClientError, ClientOptions, connect, query_within};
use anyhow::{Context as _, Result};

use crate::cli::QueryArgs;
use crate::query_command::{Printed, answer_all};
use crate::serve_command::{read, read_token};

/// How a remote error is shown: parse errors arrive rendered (with the caret) from the server.
fn shown(error: &ClientError) -> String {
    match error {
        ClientError::Status(status) => {
            let message = status.message();
            if message.starts_with("error: ") {
                message.to_owned()
            } else {
                format!("error: {message} ({:?})", status.code())
            }
        }
        other => format!("error: {other}"),
    }
}

/// Runs the queries of `args` on the server.
pub(crate) fn run(args: &QueryArgs) -> Result<Printed> {
    let options = ClientOptions {
        url: args.server.clone().unwrap_or_default(),
        token: args.token_file.as_deref().map(read_token).transpose()?,
        ca: args
            .ca
            .as_deref()
            .map(|path| read(path, "CA certificate"))
            .transpose()?,
        identity: match (&args.client_cert, &args.client_key) {
            (Some(cert), Some(key)) => {
                Some((read(cert, "client certificate")?, read(key, "client key")?))
            }
            _ => None,
        },
        timeout: Some(Duration::from_secs(args.timeout.max(1))),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut client = runtime.block_on(connect(&options))?;
    answer_remotely(args, args.at, &runtime, &mut client)
}

/// Answers the queries of `args` with a connected client, by default from `snapshot` (else from
/// the snapshot the server serves).
pub(crate) fn answer_remotely(
    args: &QueryArgs,
    snapshot: Option<u64>,
    runtime: &tokio::runtime::Runtime,
    client: &mut Client,
) -> Result<Printed> {
    answer_all(args, |text| {
        let request = pb::QueryRequest {
            query: text.to_owned(),
            snapshot,
            ..pb::QueryRequest::default()
        };
        runtime
            .block_on(query_within(
                client,
                request,
                Duration::from_secs(args.timeout.max(1)),
            ))
            .map_err(|error| shown(&error))
    })
}
