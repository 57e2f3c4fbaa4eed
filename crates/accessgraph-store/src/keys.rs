//! Snapshot ids as keys (8 bytes, big-endian), and the keys of the `data` tree of format 1
//! (read when such a store is moved to files): `id | kind (1 byte) | name`.
//!
//! Big-endian ids keep one snapshot's entries contiguous and the catalog in id order.

use accessgraph_model::SnapshotId;

/// What a data entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataKey<'a> {
    /// The organization.
    Organization,
    /// One account, by id.
    Account(&'a str),
    /// The ingest warnings.
    Warnings,
    /// The hashes of the documents the snapshot uses.
    DocumentList,
}

const ORGANIZATION: u8 = 0;
const ACCOUNT: u8 = 1;
const WARNINGS: u8 = 2;
const DOCUMENT_LIST: u8 = 3;

pub(crate) fn encode_id(id: SnapshotId) -> [u8; 8] {
    id.0.to_be_bytes()
}

/// The id at the start of a key.
pub(crate) fn decode_id(key: &[u8]) -> Option<SnapshotId> {
    key.get(..8)
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(|bytes| SnapshotId(u64::from_be_bytes(bytes)))
}

/// The key of a format-1 entry (written by tests that build a format-1 store).
#[cfg(test)]
pub(crate) fn data_key(id: SnapshotId, kind: DataKey<'_>) -> Vec<u8> {
    let mut key = encode_id(id).to_vec();
    match kind {
        DataKey::Organization => key.push(ORGANIZATION),
        DataKey::Account(account) => {
            key.push(ACCOUNT);
            key.extend_from_slice(account.as_bytes());
        }
        DataKey::Warnings => key.push(WARNINGS),
        DataKey::DocumentList => key.push(DOCUMENT_LIST),
    }
    key
}

/// What a data key holds; `None` for a key this version does not write.
pub(crate) fn kind_of(key: &[u8]) -> Option<DataKey<'_>> {
    match *key.get(8)? {
        ORGANIZATION => Some(DataKey::Organization),
        ACCOUNT => std::str::from_utf8(key.get(9..)?)
            .ok()
            .map(DataKey::Account),
        WARNINGS => Some(DataKey::Warnings),
        DOCUMENT_LIST => Some(DataKey::DocumentList),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use accessgraph_model::SnapshotId;

    use super::{DataKey, data_key, decode_id, kind_of};

    #[test]
    fn keys_round_trip_and_sort_by_id() {
        let key = data_key(SnapshotId(7), DataKey::Account("111122223333"));
        assert_eq!(decode_id(&key), Some(SnapshotId(7)));
        assert_eq!(kind_of(&key), Some(DataKey::Account("111122223333")));
        assert!(
            data_key(SnapshotId(255), DataKey::Warnings)
                < data_key(SnapshotId(256), DataKey::Organization)
        );
        assert_eq!(kind_of(&[0; 8]), None);
    }
}
