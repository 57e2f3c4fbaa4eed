//! The local Unix socket: created owner-only in the store's directory, replacing a stale one
//! (the server holds the store's lock, so no other server can be using it).

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::Path;

use tokio::net::UnixListener;

use crate::ServeError;

/// Binds the socket at `path` (mode 0600) and returns it with the user id trusted on it: the
/// owner of the directory it is in, the store's owner.
pub(crate) fn bind(path: &Path) -> Result<(UnixListener, u32), ServeError> {
    let failed = |source: std::io::Error| ServeError::LocalSocket {
        path: path.display().to_string(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(found) if found.file_type().is_socket() => std::fs::remove_file(path).map_err(failed)?,
        Ok(_) => {
            return Err(failed(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file that is not a socket is in the way",
            )));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(failed(error)),
    }
    let directory = path.parent().unwrap_or(Path::new("."));
    let owner = std::fs::metadata(directory).map_err(failed)?.uid();
    let listener = UnixListener::bind(path).map_err(failed)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    Ok((listener, owner))
}
