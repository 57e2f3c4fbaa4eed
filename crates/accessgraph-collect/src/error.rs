//! What can go wrong while collecting.

use std::path::PathBuf;

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata};

/// A call AWS (or the network) refused: which call, the AWS error code and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{call}: {}{message}", code.as_deref().map(|code| format!("{code}: ")).unwrap_or_default())]
pub struct CallError {
    /// The call, as an IAM action name (`iam:GetAccountAuthorizationDetails`).
    pub call: &'static str,
    /// The AWS error code (`AccessDenied`, `Throttling`), when AWS answered.
    pub code: Option<String>,
    /// The message.
    pub message: String,
}

impl CallError {
    /// The error of an SDK call.
    pub(crate) fn of<E>(call: &'static str, error: &E) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error,
    {
        CallError {
            call,
            code: error.code().map(str::to_owned),
            message: error
                .message()
                .map_or_else(|| DisplayErrorContext(error).to_string(), str::to_owned),
        }
    }
}

/// Why a collection failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The output directory exists (a collection never overwrites one).
    #[error("`{0}` exists: choose a new directory for the snapshot")]
    Exists(PathBuf),
    /// A file or directory could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The caller's own identity could not be read: nothing can be collected.
    #[error(
        "cannot tell who the credentials belong to ({0}); check the credentials and the region"
    )]
    Identity(CallError),
    /// Nothing could be read.
    #[error("no account could be read: {0}")]
    Nothing(String),
}
