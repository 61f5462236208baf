//! At every start, orders an earlier run left open (paid, ordering, unknown) are
//! finished in the background, as the CLI does: never a second supplier order, and
//! never an order another live till is still driving.

use std::path::PathBuf;
use std::sync::Arc;

use codetill_core::db::Db;
use codetill_core::orders;
use codetill_core::secrets::{EnvFirst, KeyringStore};
use codetill_core::setup;

pub async fn recover_open_orders(db: Db, data_dir: PathBuf) {
    match orders::open_order_ids(&db).await {
        Ok(ids) if ids.is_empty() => return,
        Ok(ids) => tracing::info!(open = ids.len(), "finishing orders left open"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list open orders");
            return;
        }
    }
    let secrets = Arc::new(EnvFirst::new(KeyringStore::new("codetill")));
    let engine = match setup::engine(&db, &data_dir, secrets).await {
        Ok((engine, _)) => engine,
        Err(e) => {
            tracing::warn!(error = %e, "open orders wait until a supplier is configured");
            return;
        }
    };
    match engine.recover().await {
        Ok(report) => tracing::info!(
            delivered = report.delivered.len(),
            refund_due = report.refund_due.len(),
            open = report.open.len(),
            "recovery at start done"
        ),
        Err(e) => tracing::warn!(error = %e, "recovery at start failed"),
    }
}
