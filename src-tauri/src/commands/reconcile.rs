//! Balance & alerts → Reconciliation (the owner's): the supplier's history for a
//! window matched with our orders, its findings, and the delivery of an order the
//! supplier filled that never reached its buyer here. Core does the matching and
//! the delivery (by key: nothing is bought again).

use codetill_core::orders::Outcome;
use codetill_core::reconcile::{self, Report};
use codetill_core::staff::Action;
use codetill_core::supplier::Window;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// Reconciles from `since` (`YYYY-MM-DD`, or RFC 3339) to the end of the day
/// `until` (or now), for the shop's supplier or the account `supplier`.
#[tauri::command]
pub async fn reconcile_run(
    state: State<'_, AppState>,
    since: String,
    until: Option<String>,
    supplier: Option<String>,
) -> Result<Report, AppError> {
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    till.authorize(&clerk, Action::ChangeSuppliers, None)
        .await?;
    let parse = |t: &str| reconcile::parse_since(t).map_err(codetill_core::till::TillError::from);
    let from = parse(&since)?;
    let now = chrono::Utc::now();
    let to = match until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        // A day given alone runs to its end; never past now.
        Some(u) if u.len() == 10 => (parse(u)? + chrono::Duration::days(1)).min(now),
        Some(u) => parse(u)?.min(now),
        None => now,
    };
    if from >= to {
        return Err(AppError::validation(format!(
            "since: {since:?} is not before the end of the window"
        )));
    }
    Ok(till
        .reconcile(Window { from, to }, supplier.as_deref())
        .await?)
}

/// Delivers an order reconciliation found charged but not delivered: its codes
/// fetched by key for its own buyer.
#[tauri::command]
pub async fn reconcile_deliver(
    state: State<'_, AppState>,
    order: String,
) -> Result<Outcome, AppError> {
    let order = super::non_empty(super::checked(&order, "order", 40)?, "order")?;
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    till.authorize(&clerk, Action::ChangeSuppliers, None)
        .await?;
    Ok(till.reconcile_deliver(order.trim()).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    #[test]
    fn the_demo_supplier_history_matches_its_sales() {
        let app = TestApp::demo();
        app.sell_cash("STEAM-US-20", "100").unwrap();
        let since = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
        let report = app
            .invoke("reconcile_run", json!({ "since": since }))
            .unwrap();
        assert_eq!(report["transactions"], 1, "{report}");
        assert_eq!(report["findings"], json!([]), "{report}");
        assert_eq!(report["clean"], true);

        let err = app
            .invoke("reconcile_run", json!({ "since": "yesterday" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        // A window that ended before the sale finds no transaction.
        let before = app
            .invoke(
                "reconcile_run",
                json!({ "since": "2026-01-01", "until": "2026-01-02" }),
            )
            .unwrap();
        assert_eq!(before["transactions"], 0, "{before}");
        let err = app
            .invoke(
                "reconcile_run",
                json!({ "since": "2026-01-03", "until": "2026-01-01" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        let err = app
            .invoke("reconcile_deliver", json!({ "order": "ORD-999999" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_found", "{err}");
    }
}
