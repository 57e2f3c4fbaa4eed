//! What a snapshot says, as one hash: its contents (organization, accounts, documents, warnings,
//! gaps, partition and collection time), not where or when it was ingested, so that ingesting
//! the same files again is recognised (`identical to snapshot N`).

use std::io::Write;

use accessgraph_model::Snapshot;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// The parts of a snapshot its hash covers.
#[derive(Serialize)]
struct Content<'a> {
    partition: &'a str,
    collected_at: &'a Option<String>,
    organization: &'a Option<accessgraph_model::Organization>,
    accounts: &'a [accessgraph_model::Account],
    documents: &'a std::collections::BTreeMap<accessgraph_model::PolicyHash, String>,
    warnings: &'a [String],
    gaps: &'a [accessgraph_model::Gap],
}

/// Feeds written bytes to the hash.
struct Hashing(Sha256);

impl Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 (hex) of what `snapshot` says.
pub(crate) fn hash(snapshot: &Snapshot) -> String {
    let content = Content {
        partition: &snapshot.meta.partition,
        collected_at: &snapshot.meta.collected_at,
        organization: &snapshot.organization,
        accounts: &snapshot.accounts,
        documents: &snapshot.documents,
        warnings: &snapshot.warnings,
        gaps: &snapshot.gaps,
    };
    let mut hashing = Hashing(Sha256::new());
    // Writing to a hash cannot fail; the model serializes without errors.
    let _ = serde_json::to_writer(&mut hashing, &content);
    hex::encode(hashing.0.finalize())
}
