//! Progress of long work (a catalog sync), reported to whichever front end is
//! watching: a progress bar in the terminal, a bar in the app, nothing in tests.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What is happening now, e.g. "fetching", "saving".
    pub stage: &'static str,
    /// Units done so far (products received).
    pub done: u64,
    /// Units expected, when the source says.
    pub total: Option<u64>,
}

pub trait ProgressSink: Send + Sync {
    fn progress(&self, progress: &Progress);
}

/// For callers who do not watch.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&self, _: &Progress) {}
}

impl<F: Fn(&Progress) + Send + Sync> ProgressSink for F {
    fn progress(&self, progress: &Progress) {
        self(progress)
    }
}
