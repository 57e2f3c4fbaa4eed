//! `accessgraph collect` in a build without the `collect` feature: the AWS SDK is not built in,
//! so the command says how to build a binary that collects.

use anyhow::{Result, bail};

use crate::cli::CollectArgs;

/// Fails with the build command that includes the collector.
pub(crate) fn run(_args: &CollectArgs) -> Result<String> {
    bail!(
        "this accessgraph was built without the collector: build it with \
         `cargo build --release -p accessgraph --features collect` \
         (or `cargo install --path crates/accessgraph --features collect`)"
    )
}
