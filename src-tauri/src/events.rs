//! Events the Rust side sends the UI (besides command answers).

use codetill_core::progress::{Progress, ProgressSink};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

/// The supplier's reachability changed: a [`crate::state::SupplierStatus`].
pub const SUPPLIER_STATUS: &str = "supplier-status";
/// A new alert (core's `Alert`), also shown as a desktop notification.
pub const ALERT_RAISED: &str = "alert-raised";

/// A catalog sync's progress: `{ stage, done, total }` on [`SYNC_PROGRESS`].
pub const SYNC_PROGRESS: &str = "catalog-sync-progress";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub stage: &'static str,
    pub done: u64,
    pub total: Option<u64>,
}

/// A [`ProgressSink`] that forwards progress to the UI as Tauri events. A window that
/// is gone is not an error: the sync goes on.
pub struct EventProgress<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> EventProgress<R> {
    pub fn new(app: AppHandle<R>) -> Self {
        EventProgress { app }
    }
}

impl<R: Runtime> ProgressSink for EventProgress<R> {
    fn progress(&self, p: &Progress) {
        let payload = SyncProgress {
            stage: p.stage,
            done: p.done,
            total: p.total,
        };
        if let Err(e) = self.app.emit(SYNC_PROGRESS, payload) {
            tracing::debug!(error = %e, "sync progress not delivered to the UI");
        }
    }
}
