//! Reading files named on the command line (policies, tokens, certificates): regular files only,
//! since a FIFO would block and a device never ends, and within a size bound.

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

/// What a path that is not a regular file is.
fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    if metadata.is_dir() {
        return "a directory";
    }
    accessgraph_ingest::special_kind(metadata.file_type())
}

/// Reads the `what` at `path` (a link is followed): an error naming it when it is not a regular
/// file or holds more than `limit` bytes.
pub(crate) fn read_bounded(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>> {
    let shown = path.display();
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read the {what} `{shown}`"))?;
    if !metadata.is_file() {
        bail!("the {what} `{shown}` is {}, not a file", kind_of(&metadata));
    }
    let too_large = |size: u64| {
        anyhow::anyhow!("the {what} `{shown}` is {size} bytes, more than the limit of {limit}")
    };
    if metadata.len() > limit {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read the {what} `{shown}`"))?;
    // The file may have grown since it was measured.
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// As [`read_bounded`], as UTF-8 text.
pub(crate) fn read_text(path: &Path, what: &str, limit: u64) -> Result<String> {
    String::from_utf8(read_bounded(path, what, limit)?)
        .map_err(|_| anyhow::anyhow!("the {what} `{}` is not UTF-8 text", path.display()))
}
