//! What can go wrong while collecting.

use std::path::PathBuf;

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

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
    /// The error of an SDK call: AWS's code and message, or what went wrong on the way (an
    /// HTTP status without an AWS error, a timeout, a connection failure).
    pub(crate) fn of<E>(call: &'static str, error: &SdkError<E, HttpResponse>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = match (error.message(), error) {
            (Some(message), _) => message.to_owned(),
            (None, SdkError::ServiceError(context)) if context.raw().status().is_success() => {
                format!(
                    "unreadable answer (HTTP {}): {}",
                    context.raw().status().as_u16(),
                    innermost(context.err())
                )
            }
            (None, SdkError::ServiceError(context)) => format!(
                "HTTP {} without an AWS error (is the service available at this endpoint?)",
                context.raw().status().as_u16()
            ),
            (None, SdkError::ResponseError(context)) => format!(
                "unreadable response (HTTP {})",
                context.raw().status().as_u16()
            ),
            (None, SdkError::TimeoutError(_)) => "timed out".to_owned(),
            (None, other) => DisplayErrorContext(other).to_string(),
        };
        CallError {
            call,
            code: error.code().map(str::to_owned),
            message,
        }
    }
}

/// The deepest cause of an error (what a parser could not read), without the SDK's wrapping.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The conversion of an SDK call's error, for `map_err`.
pub(crate) fn failed<E>(call: &'static str) -> impl FnOnce(SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |error| CallError::of(call, &error)
}

impl CallError {
    /// Whether AWS answered with one of `codes` (e.g. the "no policy" answers, which mean
    /// absence rather than a gap).
    pub(crate) fn is(&self, codes: &[&str]) -> bool {
        self.code
            .as_deref()
            .is_some_and(|code| codes.contains(&code))
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
    /// `--strict`, and something could not be read: nothing is written.
    #[error("--strict: {} part(s) could not be read, nothing written:\n  {}", .0.len(), .0.join("\n  "))]
    Incomplete(Vec<String>),
    /// Nothing could be read.
    #[error("no account could be read: {0}")]
    Nothing(String),
}
