//! What a collection reports as it goes, for a progress display (the CLI draws bars on a
//! terminal and stays quiet when piped).

/// Receives the collection's progress; every method defaults to nothing.
pub trait Progress: Send + Sync {
    /// How many accounts will be read.
    fn accounts(&self, _total: usize) {}
    /// An account moved on to `what` (`iam`, `s3`, `regions 3/17`).
    fn step(&self, _account: &str, _what: &str) {}
    /// An account is done (read, in part, or not at all: the summary says which).
    fn finished(&self, _account: &str) {}
}

/// No progress display.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
