//! A store held by a running `accessgraph serve` is reached through the server's Unix socket in
//! the store's directory, so `query`, `snapshots` and `ingest` on it work as they do without a
//! server, with the same output. The socket's permissions (the directory is 0700, the socket
//! 0600) and the peer's user id, checked by the server, are the authentication: no token.

use std::path::Path;
use std::time::Duration;

use accessgraph_proto::v1 as pb;
use accessgraph_server::client::{Client, ClientError, connect_local};
use accessgraph_server::convert::meta_from_info;
use accessgraph_server::local_socket;
use anyhow::{Context as _, Result, anyhow};
use tokio::runtime::Runtime;

use crate::cli::DbArgs;
use crate::snapshots_command::{Shown, store_path};

/// A connection to the server that holds a store.
pub(crate) struct FrontDoor {
    runtime: Runtime,
    client: Client,
}

/// A failed call, shown as the command would show the same failure without a server.
fn failed(error: ClientError) -> anyhow::Error {
    match error {
        ClientError::Status(status) => anyhow!("{}", status.message()),
        other => anyhow!("the server holding the store failed: {other}"),
    }
}

/// Whether `path` is a Unix socket (a missing or unreadable path is not).
fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    std::fs::symlink_metadata(path).is_ok_and(|found| found.file_type().is_socket())
}

impl FrontDoor {
    /// The deadline of a listing or a query's connection.
    pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(60);

    /// The server holding the store of `--db`, if one answers on its socket; `None` when there is
    /// no socket or nothing answers on it (a server that died leaves a stale one): the command
    /// then opens the store itself. `timeout` bounds each call (`None`: an ingest may take long).
    pub(crate) fn open(db: &DbArgs, timeout: Option<Duration>) -> Result<Option<FrontDoor>> {
        let socket = local_socket(&store_path(db)?);
        if !is_socket(&socket) {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        match runtime.block_on(connect_local(&socket, timeout)) {
            Ok(client) => Ok(Some(FrontDoor { runtime, client })),
            Err(_) => Ok(None),
        }
    }

    /// The runtime and client, for queries.
    pub(crate) fn parts(&mut self) -> (&Runtime, &mut Client) {
        (&self.runtime, &mut self.client)
    }

    /// The stored snapshots.
    pub(crate) fn snapshots(&mut self) -> Result<Vec<accessgraph_model::SnapshotMeta>> {
        let response = self
            .runtime
            .block_on(self.client.list_snapshots(pb::ListSnapshotsRequest {}))
            .map_err(|status| failed(status.into()))?;
        Ok(response
            .into_inner()
            .snapshots
            .iter()
            .map(meta_from_info)
            .collect())
    }

    /// One snapshot, as `snapshots show` prints it.
    pub(crate) fn snapshot(&mut self, id: u64) -> Result<Shown> {
        let response = self
            .runtime
            .block_on(self.client.get_snapshot(pb::GetSnapshotRequest { id }))
            .map_err(|status| failed(status.into()))?
            .into_inner();
        let info = response
            .snapshot
            .ok_or_else(|| anyhow!("the server sent no snapshot"))?;
        Ok(Shown {
            meta: meta_from_info(&info),
            organization: response.organization_id.zip(response.management_account_id),
            warnings: response.warnings,
        })
    }

    /// Deletes a snapshot (the server serves the newest remaining if it served this one).
    pub(crate) fn delete(&mut self, id: u64) -> Result<()> {
        self.runtime
            .block_on(
                self.client
                    .delete_snapshot(pb::DeleteSnapshotRequest { id }),
            )
            .map_err(|status| failed(status.into()))?;
        Ok(())
    }

    /// Ingests a directory the server reads from the same file system (it runs as the same
    /// user), then serves it.
    pub(crate) fn ingest(&mut self, request: pb::IngestRequest) -> Result<pb::IngestResponse> {
        Ok(self
            .runtime
            .block_on(self.client.ingest(request))
            .map_err(|status| failed(status.into()))?
            .into_inner())
    }
}
