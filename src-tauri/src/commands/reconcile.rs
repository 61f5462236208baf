//! Balance & alerts → Reconciliation (the owner's): the supplier's history for a
//! window matched with our orders, its findings, and the delivery of an order the
//! supplier filled that never reached its buyer here. Core does the matching and
//! the delivery (by key: nothing is bought again).

use codetill_core::orders::Outcome;
use codetill_core::reconcile::{self, NewTopup, Report, Topup};
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

/// The top-ups recorded for the supplier accounts, newest first.
#[tauri::command]
pub async fn supplier_topups(state: State<'_, AppState>) -> Result<Vec<Topup>, AppError> {
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    till.authorize(&clerk, Action::ChangeSuppliers, None)
        .await?;
    Ok(till.topups(None).await?)
}

/// Records money the owner paid into a supplier account (`supplier`: an account's
/// name; none, the primary one), on `date` (`YYYY-MM-DD`; none, now).
#[tauri::command]
pub async fn record_topup(
    state: State<'_, AppState>,
    amount: String,
    currency: String,
    date: Option<String>,
    reference: Option<String>,
    supplier: Option<String>,
) -> Result<Topup, AppError> {
    let amount = super::non_empty(super::checked(&amount, "amount", 40)?, "amount")?;
    let currency = super::non_empty(super::checked(&currency, "currency", 3)?, "currency")?;
    let date = super::checked(date.as_deref().unwrap_or(""), "date", 40)?;
    let reference = super::checked(reference.as_deref().unwrap_or(""), "reference", 120)?;
    let supplier = super::checked(supplier.as_deref().unwrap_or(""), "supplier", 80)?;
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    let new = NewTopup {
        supplier: supplier.trim().to_string(),
        amount: amount.trim().to_string(),
        currency: currency.trim().to_ascii_uppercase(),
        date: date.trim().to_string(),
        reference: Some(reference.trim().to_string()).filter(|r| !r.is_empty()),
        staff: clerk.staff.clone(),
    };
    Ok(till.record_topup(&clerk, &new).await?)
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

    #[test]
    fn the_owner_records_a_top_up_and_bad_input_records_nothing() {
        let app = TestApp::demo();
        assert_eq!(app.invoke("supplier_topups", json!({})).unwrap(), json!([]));
        for (args, field) in [
            (json!({ "amount": "lots", "currency": "USD" }), "AMOUNT"),
            (json!({ "amount": "-5", "currency": "USD" }), "AMOUNT"),
            (json!({ "amount": "500", "currency": "XXQ" }), "currency"),
            (
                json!({ "amount": "500", "currency": "USD", "date": "soon" }),
                "date",
            ),
        ] {
            let err = app.invoke("record_topup", args.clone()).unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{args}: {err}");
            assert!(
                err["message"].as_str().unwrap().contains(field),
                "{args}: {err}"
            );
        }
        assert_eq!(app.invoke("supplier_topups", json!({})).unwrap(), json!([]));
        let made = app
            .invoke(
                "record_topup",
                json!({ "amount": "500", "currency": "usd", "date": "2026-12-01", "reference": "NEFT-7731" }),
            )
            .unwrap();
        assert_eq!(made["reference"], "NEFT-7731");
        let listed = app.invoke("supplier_topups", json!({})).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed[0]["id"], made["id"]);
    }
}
