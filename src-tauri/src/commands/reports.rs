//! The reports screen (F10; a manager's or the owner's): sales, cost, margin and
//! margin % for a period, by day, week, month, product, category, supplier, staff
//! or payment method, and each table as CSV in the data folder's `exports/`
//! (WebKitGTK offers no save dialog without a plugin; the screen says where the file
//! went). The figures are core's ([`codetill_core::reports`]).

use codetill_core::reports::{self, SalesQuery, SalesReport};
use codetill_core::staff::Action;
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// Folder of the shop's data folder that CSV exports go to.
pub const EXPORTS_DIR: &str = "exports";

async fn report(
    state: &AppState,
    from: &str,
    to: &str,
    by: &str,
    at: Option<&str>,
) -> Result<SalesReport, AppError> {
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    let query = SalesQuery::parse(from, to, by)?.at_till(at)?;
    till.authorize(&clerk, Action::ViewReports, None).await?;
    Ok(reports::sales(till.db(), &query).await?)
}

/// The sales report for `from`–`to` (`YYYY-MM-DD`, both included) by `by`, for
/// the shop or the till named `till`.
#[tauri::command]
pub async fn sales_report(
    state: State<'_, AppState>,
    from: String,
    to: String,
    by: String,
    till: Option<String>,
) -> Result<SalesReport, AppError> {
    report(&state, &from, &to, &by, till.as_deref()).await
}

/// The tills a report can be narrowed to.
#[tauri::command]
pub async fn report_tills(state: State<'_, AppState>) -> Result<Vec<String>, AppError> {
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    till.authorize(&clerk, Action::ViewReports, None).await?;
    Ok(reports::tills(till.db()).await?)
}

/// Where a CSV export went.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub path: String,
    pub rows: usize,
}

/// The same report as CSV, written to `exports/sales-by-BY-FROM-TO[-at-TILL].csv`
/// in the shop's data folder (the same report again replaces its file).
#[tauri::command]
pub async fn export_sales_csv(
    state: State<'_, AppState>,
    from: String,
    to: String,
    by: String,
    till: Option<String>,
) -> Result<Exported, AppError> {
    let report = report(&state, &from, &to, &by, till.as_deref()).await?;
    let dir = state.shop().data_dir().join(EXPORTS_DIR);
    // The dates and grouping are parsed already; of the till's name only letters,
    // digits, - and _ reach the file name.
    let at = report
        .till
        .as_deref()
        .map(|t| {
            let safe: String = t
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("-at-{safe}")
        })
        .unwrap_or_default();
    let path = dir.join(format!(
        "sales-by-{}-{}-{}{at}.csv",
        report.by.as_str(),
        report.from,
        report.to
    ));
    let csv = reports::csv(&report);
    let written = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&path, csv)
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::File, e.to_string()))?
    .map_err(|e| {
        AppError::new(
            ErrorCode::File,
            format!("cannot write {}: {e}", written.display()),
        )
    })?;
    tracing::info!(path = %written.display(), "sales report exported");
    Ok(Exported {
        path: written.display().to_string(),
        rows: report.rows.len(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    fn today() -> String {
        chrono::Local::now().date_naive().to_string()
    }

    #[test]
    fn todays_sales_by_day_and_product_with_their_margin_and_a_csv_in_exports() {
        let app = TestApp::demo();
        app.sell_cash("STEAM-US-20", "100").unwrap();
        app.sell_cash("STEAM-US-20", "100").unwrap();
        let day = today();
        let report = app
            .invoke(
                "sales_report",
                json!({ "from": day, "to": day, "by": "day" }),
            )
            .unwrap();
        assert_eq!(report["rows"].as_array().unwrap().len(), 1, "{report}");
        assert_eq!(report["rows"][0]["key"], day.as_str());
        assert_eq!(report["rows"][0]["orders"], 2);
        assert_eq!(report["totals"][0]["codes"], 2);
        assert!(report["totals"][0]["margin_pct"].is_string(), "{report}");

        let by_product = app
            .invoke(
                "sales_report",
                json!({ "from": day, "to": day, "by": "product" }),
            )
            .unwrap();
        assert_eq!(by_product["rows"][0]["key"], "STEAM-US-20");
        assert!(by_product["rows"][0]["name"].is_string());

        let exported = app
            .invoke(
                "export_sales_csv",
                json!({ "from": day, "to": day, "by": "product" }),
            )
            .unwrap();
        let path = std::path::PathBuf::from(exported["path"].as_str().unwrap());
        assert!(
            path.starts_with(app.state().shop().data_dir().join("exports")),
            "{}",
            path.display()
        );
        let csv = std::fs::read_to_string(&path).unwrap();
        assert!(
            csv.starts_with("key,name,currency,orders,codes,sales,cost,margin,margin_pct,tax\n")
        );
        assert!(csv.contains("STEAM-US-20,"), "{csv}");
        assert!(csv.lines().last().unwrap().starts_with("total,"), "{csv}");

        // Narrowed to this till (the test app's is till-1) or to one never sold at.
        assert_eq!(
            app.invoke("report_tills", json!({})).unwrap(),
            json!(["till-1"])
        );
        let here = app
            .invoke(
                "sales_report",
                json!({ "from": day, "to": day, "by": "till", "till": "till-1" }),
            )
            .unwrap();
        assert_eq!(here["till"], "till-1");
        assert_eq!(here["rows"][0]["key"], "till-1");
        assert_eq!(here["rows"][0]["orders"], 2);
        let exported = app
            .invoke(
                "export_sales_csv",
                json!({ "from": day, "to": day, "by": "day", "till": "../back office" }),
            )
            .unwrap();
        let path = std::path::PathBuf::from(exported["path"].as_str().unwrap());
        assert_eq!(exported["rows"], 0);
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            format!("sales-by-day-{day}-{day}-at-___back_office.csv")
        );
        assert_eq!(
            path.parent(),
            Some(app.state().shop().data_dir().join("exports").as_path())
        );
    }

    #[test]
    fn a_period_that_does_not_read_is_refused_by_field() {
        let app = TestApp::demo();
        for (from, to, by, field) in [
            ("2026-13-01", "2026-01-31", "day", "from"),
            ("2026-02-01", "2026-01-31", "day", "to"),
            ("2026-01-01", "2026-01-31", "hour", "by"),
        ] {
            let err = app
                .invoke("sales_report", json!({ "from": from, "to": to, "by": by }))
                .unwrap_err();
            assert_eq!(err["code"], "errors.validation");
            assert!(err["message"].as_str().unwrap().starts_with(field), "{err}");
        }
    }
}
