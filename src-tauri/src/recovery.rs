//! Orders left open — paid, and the supplier not yet heard from — are finished in the
//! background: once at start (an earlier run may have stopped mid-sale), then every
//! minute while the app runs (a supplier that was pending or unreachable answers
//! later). As the CLI does: never a second supplier order, and never an order another
//! live till (or this till's counter) is driving — recovery has an engine of its own.

use std::sync::Arc;
use std::time::Duration;

use codetill_core::orders::{self, RecoveryReport};

use crate::till::Till;

/// How often open orders are tried again while the app runs.
pub const EVERY: Duration = Duration::from_secs(60);

/// Tries every open order of `till` once; logs what happened and answers it (None
/// when there was nothing to do or it could not run).
pub async fn recover_open_orders(till: Arc<Till>) -> Option<RecoveryReport> {
    match orders::open_order_ids(till.db()).await {
        Ok(ids) if ids.is_empty() => return None,
        Ok(ids) => tracing::info!(open = ids.len(), "finishing orders left open"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list open orders");
            return None;
        }
    }
    let engine = match till.new_engine().await {
        Ok(engine) => engine,
        Err(e) => {
            tracing::warn!(error = %e.message, "open orders wait until a supplier is configured");
            return None;
        }
    };
    match engine.recover().await {
        Ok(report) => {
            tracing::info!(
                delivered = report.delivered.len(),
                refund_due = report.refund_due.len(),
                open = report.open.len(),
                busy = report.busy.len(),
                "open orders tried again"
            );
            Some(report)
        }
        Err(e) => {
            tracing::warn!(error = %e, "finishing open orders failed");
            None
        }
    }
}
