//! Writing a snapshot directory atomically: into a temporary directory beside the target,
//! owner-only, then renamed into place.

use std::path::Path;

use serde_json::Value;

use crate::error::CollectError;

/// Writes `files` (paths in the layout, contents) as the snapshot directory `out`; returns how
/// many were written.
pub(crate) fn snapshot(out: &Path, files: &[(String, Value)]) -> Result<usize, CollectError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| CollectError::Write { path, source }
    };
    let name = out
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".to_owned());
    let parent = out.parent().filter(|parent| !parent.as_os_str().is_empty());
    let parent = parent.unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).map_err(write_error(parent))?;
    let temporary = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if temporary.exists() {
        std::fs::remove_dir_all(&temporary).map_err(write_error(&temporary))?;
    }
    let result = (|| {
        create_private_dir(&temporary).map_err(write_error(&temporary))?;
        for (relative, content) in files {
            let path = temporary.join(relative);
            if let Some(dir) = path.parent() {
                create_private_dir(dir).map_err(write_error(dir))?;
            }
            let text = serde_json::to_string_pretty(content).unwrap_or_default();
            std::fs::write(&path, text + "\n").map_err(write_error(&path))?;
        }
        std::fs::rename(&temporary, out).map_err(write_error(out))?;
        Ok(files.len())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&temporary);
    }
    result
}

/// A directory (and its parents) only the owner can read: a snapshot maps how to break in.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
