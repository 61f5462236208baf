//! The retention job: bodies of acknowledged events older than the retention
//! period are dropped (the row, with its dedupe key and cursor, stays).
//! Unacknowledged events are never touched.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::error::StoreError;
use crate::flag::until_true;
use crate::store::Store;

/// Rows per statement, so the job never holds SQLite's write lock for long.
const BATCH: i64 = 1000;

/// Run once at `now_ms`: drop the bodies acknowledged and older than `retention`;
/// how many were dropped.
pub(crate) async fn sweep(
    store: &Store,
    retention: Duration,
    now_ms: i64,
) -> Result<u64, StoreError> {
    let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let before_ms = now_ms.saturating_sub(retention_ms);
    let mut dropped = 0;
    loop {
        let n = store.drop_acked_bodies(before_ms, BATCH).await?;
        dropped += n;
        if n < BATCH as u64 {
            return Ok(dropped);
        }
        // Let inbound writes in between batches.
        tokio::task::yield_now().await;
    }
}

/// Sweep every `every` (at least a second) until `closing` turns true.
pub(crate) async fn run(
    store: Store,
    retention: Duration,
    every: Duration,
    clock: Arc<dyn Clock>,
    mut closing: watch::Receiver<bool>,
) {
    let every = every.max(Duration::from_secs(1));
    loop {
        match sweep(&store, retention, clock.now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(dropped = n, "retention: dropped acknowledged bodies"),
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = until_true(&mut closing) => return,
        }
    }
}
