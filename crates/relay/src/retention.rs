//! The retention job: bodies of acknowledged events older than the retention
//! period are dropped (the row, with its dedupe key and cursor, stays).
//! Unacknowledged events are never touched.

use std::time::Duration;

use crate::app::Relay;
use crate::error::StoreError;

/// Rows per statement, so the job never holds SQLite's write lock for long.
const BATCH: i64 = 1000;

/// Run once: drop what is due; how many bodies were dropped.
pub(crate) async fn sweep(relay: &Relay) -> Result<u64, StoreError> {
    let retention_ms = i64::try_from(relay.config().retention.as_millis()).unwrap_or(i64::MAX);
    let before_ms = relay.now_ms().saturating_sub(retention_ms);
    let mut dropped = 0;
    loop {
        let n = relay.store().drop_acked_bodies(before_ms, BATCH).await?;
        dropped += n;
        if n < BATCH as u64 {
            return Ok(dropped);
        }
        // Let inbound writes in between batches.
        tokio::task::yield_now().await;
    }
}

/// Sweep every `retention_every` until the relay closes.
pub(crate) async fn run(relay: Relay) {
    let mut closing = relay.closing();
    let every = relay.config().retention_every.max(Duration::from_secs(1));
    loop {
        match sweep(&relay).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(dropped = n, "retention: dropped acknowledged bodies"),
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = crate::app::until_true(&mut closing) => return,
        }
    }
}
