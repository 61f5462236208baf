//! The balance and alerts screen: the supplier's balance, spend per day, days of
//! runway at the 7-day average, the owner's low-balance threshold, and the alert list
//! (acknowledge). Asking for the balance is also a supplier health check.

use codetill_core::alerts::{self, Alert};
use codetill_core::balance::{self, DaySpend};
use codetill_core::catalog;
use codetill_core::money::Money;
use codetill_core::staff::Action;
use serde::Serialize;
use tauri::State;

use crate::error::AppError;
use crate::state::{AppState, SupplierStatus};

#[derive(Debug, Clone, Serialize)]
pub struct BalanceView {
    /// The supplier's prepaid balance; `null` when it could not be asked.
    pub available: Option<Money>,
    pub updated_at: Option<String>,
    /// Average supplier spend per day over the last 7 days.
    pub avg_daily_spend: Option<Money>,
    /// Whole days the balance lasts at that rate.
    pub runway_days: Option<i64>,
    /// The owner's low-balance threshold (in the balance's currency).
    pub threshold: Option<String>,
    /// Spend for each of the last `days` days, today last.
    pub spend: Vec<DaySpend>,
    /// Why the supplier could not be asked, if it could not.
    pub supplier_error: Option<String>,
}

/// The balance screen's figures. `utc_offset_minutes`: the shop's clock east of UTC
/// (so "a day" is the shop's day); `days`: how many days of spend (1–90).
#[tauri::command]
pub async fn balance_overview(
    state: State<'_, AppState>,
    days: u32,
    utc_offset_minutes: i32,
) -> Result<BalanceView, AppError> {
    let till = state.till();
    state.clerk_at(&till).await?;
    let (check, _) = state.check_supplier().await;
    let balance = check.as_ref().and_then(|c| c.balance.clone());
    let runway = check.as_ref().and_then(|c| c.runway.clone());
    // Spend is shown in the balance's currency, else in the catalog's.
    let currency = match &balance {
        Some(b) => Some(b.available.currency),
        None => catalog::main_currency(till.db()).await?,
    };
    let spend = match currency {
        Some(c) => balance::spend_per_day(till.db(), c, days, utc_offset_minutes).await?,
        None => Vec::new(),
    };
    Ok(BalanceView {
        available: balance.as_ref().map(|b| b.available),
        updated_at: balance
            .as_ref()
            .map(|b| codetill_core::db::time_text(b.updated_at)),
        avg_daily_spend: runway.as_ref().and_then(|r| r.avg_daily_spend),
        runway_days: runway.as_ref().and_then(|r| r.days),
        threshold: alerts::balance_threshold(till.db())
            .await?
            .map(|t| t.to_string()),
        spend,
        supplier_error: match check {
            Some(c) => c.error,
            None => state.supplier_status().error,
        },
    })
}

/// Sets the low-balance threshold (a decimal string), or clears it with `null`/"".
#[tauri::command]
pub async fn set_balance_threshold(
    state: State<'_, AppState>,
    amount: Option<String>,
) -> Result<(), AppError> {
    let till = state.till();
    till.authorize(&state.clerk_at(&till).await?, Action::ChangeSettings, None)
        .await?;
    Ok(alerts::set_balance_threshold(till.db(), amount.as_deref()).await?)
}

/// The alert list, newest first: open ones only, or all (at most 200).
#[tauri::command]
pub async fn alerts(state: State<'_, AppState>, open_only: bool) -> Result<Vec<Alert>, AppError> {
    state.clerk().await?;
    Ok(alerts::list(state.till().db(), open_only, 200).await?)
}

/// The owner has seen alert `id`.
#[tauri::command]
pub async fn acknowledge_alert(state: State<'_, AppState>, id: i64) -> Result<Alert, AppError> {
    state.clerk().await?;
    Ok(alerts::acknowledge(state.till().db(), id).await?)
}

/// Did the supplier answer the last health check (every minute)?
/// The UI listens for alerts and words their desktop notifications from now on.
#[tauri::command]
pub fn take_alert_notifications(state: State<'_, AppState>) {
    state.alerts().word_notifications_in_ui();
}

/// Longest notification title and text the UI may ask for (a sentence or two).
const NOTIFICATION_TITLE_MAX: usize = 120;
const NOTIFICATION_BODY_MAX: usize = 1_000;

/// A desktop notification of an alert, as the UI worded it.
#[tauri::command]
pub async fn notify_desktop(
    state: State<'_, AppState>,
    title: String,
    body: String,
) -> Result<(), AppError> {
    let (title, body) = (title.trim(), body.trim());
    if title.is_empty() || title.chars().count() > NOTIFICATION_TITLE_MAX {
        return Err(AppError::validation(format!(
            "a notification's title must be 1 to {NOTIFICATION_TITLE_MAX} characters"
        )));
    }
    if body.chars().count() > NOTIFICATION_BODY_MAX {
        return Err(AppError::validation(format!(
            "a notification's text must be at most {NOTIFICATION_BODY_MAX} characters"
        )));
    }
    state.alerts().notify(title.into(), body.into()).await;
    Ok(())
}

#[tauri::command]
pub fn supplier_status(state: State<'_, AppState>) -> SupplierStatus {
    state.supplier_status()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    #[test]
    fn the_demo_balance_covers_spend_per_day_and_runway_after_a_sale() {
        let app = TestApp::demo();
        app.sell_cash("STEAM-US-20", "100").unwrap();
        let view = app
            .invoke(
                "balance_overview",
                json!({ "days": 14, "utcOffsetMinutes": 330 }),
            )
            .unwrap();
        assert_eq!(view["available"]["currency"], "USD", "{view}");
        assert!(view["supplier_error"].is_null());
        let spend = view["spend"].as_array().unwrap();
        assert_eq!(spend.len(), 14);
        assert_ne!(
            spend[13]["spent"]["amount"], "0.00",
            "today's sale is counted: {view}"
        );
        assert!(view["avg_daily_spend"]["amount"].is_string());
        assert!(view["runway_days"].as_i64().unwrap() > 0);
        let status = app.invoke("supplier_status", json!({})).unwrap();
        assert_eq!(status["reachable"], true);
    }

    #[test]
    fn a_balance_under_the_threshold_raises_one_alert_that_can_be_acknowledged() {
        let app = TestApp::demo();
        app.invoke("set_balance_threshold", json!({ "amount": "1000000" }))
            .unwrap();
        let view = app
            .invoke(
                "balance_overview",
                json!({ "days": 7, "utcOffsetMinutes": 0 }),
            )
            .unwrap();
        assert_eq!(view["threshold"], "1000000");
        // Asked twice: still one open alert.
        app.invoke(
            "balance_overview",
            json!({ "days": 7, "utcOffsetMinutes": 0 }),
        )
        .unwrap();
        let open = app.invoke("alerts", json!({ "openOnly": true })).unwrap();
        let open = open.as_array().unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0]["kind"], "balance_low");
        assert_eq!(open[0]["state"], "open");
        let id = open[0]["id"].clone();
        let acked = app
            .invoke("acknowledge_alert", json!({ "id": id }))
            .unwrap();
        assert_eq!(acked["state"], "acknowledged");
        assert_eq!(
            app.invoke("alerts", json!({ "openOnly": true })).unwrap(),
            json!([])
        );
        assert_eq!(
            app.invoke("alerts", json!({ "openOnly": false }))
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let err = app
            .invoke("acknowledge_alert", json!({ "id": 999 }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_found");
        let err = app
            .invoke("set_balance_threshold", json!({ "amount": "lots" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
    }

    #[test]
    fn the_ui_takes_over_alert_notifications_and_its_wording_is_checked() {
        let app = TestApp::with_demo_catalog();
        app.invoke("take_alert_notifications", json!({})).unwrap();
        app.invoke(
            "notify_desktop",
            json!({ "title": "बैलेंस कम है", "body": "सप्लायर खाते में पैसे डालें।" }),
        )
        .unwrap();
        for (title, body) in [
            ("  ".to_string(), "text".to_string()),
            ("t".repeat(121), "text".to_string()),
            ("title".to_string(), "b".repeat(1_001)),
        ] {
            let err = app
                .invoke("notify_desktop", json!({ "title": title, "body": body }))
                .unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{err}");
        }
    }

    #[test]
    fn an_unreachable_supplier_is_alerted_and_reported() {
        let app = TestApp::demo();
        app.sandbox_control(
            "faults",
            json!({ "endpoint": "balance", "kind": "error_503", "times": 0 }),
        );
        let view = app
            .invoke(
                "balance_overview",
                json!({ "days": 7, "utcOffsetMinutes": 0 }),
            )
            .unwrap();
        assert!(view["available"].is_null(), "{view}");
        assert!(view["supplier_error"].is_string());
        let status = app.invoke("supplier_status", json!({})).unwrap();
        assert_eq!(status["reachable"], false);
        let open = app.invoke("alerts", json!({ "openOnly": true })).unwrap();
        assert_eq!(open[0]["kind"], "supplier_unreachable", "{open}");
    }

    #[test]
    fn without_a_supplier_the_balance_says_why_and_nothing_is_alerted() {
        let app = TestApp::with_demo_catalog();
        let view = app
            .invoke(
                "balance_overview",
                json!({ "days": 7, "utcOffsetMinutes": 0 }),
            )
            .unwrap();
        assert!(view["available"].is_null());
        assert!(
            view["supplier_error"]
                .as_str()
                .unwrap()
                .contains("no supplier"),
            "{view}"
        );
        assert_eq!(
            app.invoke("alerts", json!({ "openOnly": false })).unwrap(),
            json!([])
        );
        assert!(app.invoke("supplier_status", json!({})).unwrap()["reachable"].is_null());
    }
}
