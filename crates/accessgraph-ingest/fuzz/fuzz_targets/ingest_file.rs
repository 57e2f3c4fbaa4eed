//! Arbitrary bytes ingested as one file: as a file of each kind of the snapshot layout (the first
//! byte chooses which) or, under another name, recognised by its content. It must never panic;
//! an error must say where (the file, or one the merge needs).

#![no_main]

use accessgraph_ingest::{FUZZ_FILE_NAMES, ingest_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((choice, bytes)) = data.split_first() else {
        return;
    };
    let name = FUZZ_FILE_NAMES[usize::from(*choice) % FUZZ_FILE_NAMES.len()];
    if let Err(error) = ingest_document(name, bytes) {
        assert!(!error.file_path().is_empty(), "{name}: {error}");
    }
});
