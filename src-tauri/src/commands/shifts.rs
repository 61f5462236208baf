//! The shift screen: open this till's shift with a float, cash in and out with a
//! reason, the X-report of the open shift, and the close with the cash counted,
//! whose Z-report is shown, printed on the receipt printer and kept as a PDF in the
//! data folder (English or Hindi). The figures are core's ([`codetill_core::shifts`]).

use std::path::PathBuf;

use codetill_core::delivery::{Language, Paper};
use codetill_core::shifts::{self, CashMove, CashMoveKind, Shift, ShiftReport};
use codetill_core::staff::Action;
use codetill_core::till::Clerk;
use serde::Serialize;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;
use crate::till::Till;

/// Folder of the data folder where Z- and X-reports are kept as PDFs.
pub const REPORTS_DIR: &str = "reports";
/// Longest reason for a cash move (it is printed on the Z-report).
const MAX_REASON_CHARS: usize = 200;

/// This till's shift as the screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ShiftStatus {
    /// The open shift, if there is one.
    pub open: Option<Shift>,
    /// Its X-report now.
    pub x: Option<ShiftReport>,
}

/// A report, as figures and as the text the receipt printer prints.
#[derive(Debug, Clone, Serialize)]
pub struct ShownReport {
    pub report: ShiftReport,
    pub text: String,
    /// Where it went: the printer's answer, or why it did not print.
    pub printed: Option<String>,
    pub print_error: Option<String>,
    /// The PDF kept in the data folder, when one was saved.
    pub pdf: Option<String>,
}

/// This till and who is at it, once core has read again that they may still act
/// (a member disabled while signed in moves no cash and closes no shift).
async fn at_drawer(state: &AppState) -> Result<(std::sync::Arc<Till>, Clerk), AppError> {
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    till.authorize(&clerk, Action::Sell, None).await?;
    Ok((till, clerk))
}

#[tauri::command]
pub async fn shift_status(state: State<'_, AppState>) -> Result<ShiftStatus, AppError> {
    let (till, clerk) = at_drawer(&state).await?;
    let open = shifts::open_shift(till.db(), clerk.till_id.as_deref()).await?;
    let x = match open {
        Some(_) => Some(till.shift_report(true, &clerk).await?),
        None => None,
    };
    Ok(ShiftStatus { open, x })
}

#[tauri::command]
pub async fn open_shift(state: State<'_, AppState>, float: String) -> Result<Shift, AppError> {
    let (till, clerk) = at_drawer(&state).await?;
    Ok(till.open_shift(&float, &clerk).await?)
}

/// Cash into (`in`) or out of (`out`) the drawer, with the reason.
#[tauri::command]
pub async fn move_cash(
    state: State<'_, AppState>,
    kind: String,
    amount: String,
    reason: String,
) -> Result<CashMove, AppError> {
    let kind = match kind.as_str() {
        "in" => CashMoveKind::In,
        "out" => CashMoveKind::Out,
        other => {
            return Err(AppError::validation(format!(
                "kind: {other:?} is neither in nor out"
            )));
        }
    };
    let reason = super::checked(&reason, "reason", MAX_REASON_CHARS)?;
    let (till, clerk) = at_drawer(&state).await?;
    Ok(till.move_cash(kind, &amount, reason, &clerk).await?)
}

/// Closes the shift with the cash counted: the Z-report, printed and kept as a PDF
/// in `language`. A printer that fails leaves the shift closed and says why.
#[tauri::command]
pub async fn close_shift(
    state: State<'_, AppState>,
    counted: String,
    language: Option<String>,
) -> Result<ShownReport, AppError> {
    // The language is checked before the shift is closed.
    let language = super::language(language.as_deref())?;
    let (till, clerk) = at_drawer(&state).await?;
    let report = till.close_shift(&counted, &clerk).await?;
    show(&till, report, language, true).await
}

/// The X-report of the open shift (`x`), or the last Z-report again, in `language`;
/// `print` sends it to the receipt printer too.
#[tauri::command]
pub async fn shift_report(
    state: State<'_, AppState>,
    x: bool,
    language: Option<String>,
    print: bool,
) -> Result<ShownReport, AppError> {
    let language = super::language(language.as_deref())?;
    let (till, clerk) = at_drawer(&state).await?;
    let report = till.shift_report(x, &clerk).await?;
    show(&till, report, language, print).await
}

async fn show(
    till: &Till,
    report: ShiftReport,
    language: Language,
    print: bool,
) -> Result<ShownReport, AppError> {
    let sheet = till.report_sheet(report, language).await?;
    let text = sheet.text(Paper::Mm80).trim_end().to_string();
    let (mut printed, mut print_error, mut pdf) = (None, None, None);
    if print {
        match till.print_shift_report(&sheet).await {
            Ok(p) => printed = Some(p.detail),
            Err(e) => {
                tracing::warn!(error = %e, "shift report not printed");
                print_error = Some(e.to_string());
            }
        }
        // A Z-report is kept as a PDF whatever the printer did.
        if let Some(z) = sheet.report.z_number {
            match save_pdf(till, &sheet, z, language).await {
                Ok(path) => pdf = Some(path.display().to_string()),
                Err(e) => {
                    tracing::warn!(error = %e, "Z-report PDF not saved");
                    if print_error.is_none() {
                        print_error = Some(e.message);
                    }
                }
            }
        }
    }
    Ok(ShownReport {
        report: sheet.report,
        text,
        printed,
        print_error,
        pdf,
    })
}

async fn save_pdf(
    till: &Till,
    sheet: &shifts::print::ReportSheet,
    z: i64,
    language: Language,
) -> Result<PathBuf, AppError> {
    let font = match till.outbox().await {
        Ok(outbox) => outbox.config().font.clone(),
        Err(_) => None,
    };
    let bytes = sheet.pdf(font.as_deref())?;
    let dir = till.data_dir().join(REPORTS_DIR);
    let path = dir.join(format!("z-report-{z:06}-{}.pdf", language.as_str()));
    let written = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&path, bytes)
    })
    .await
    .map_err(|e| AppError::new(crate::error::ErrorCode::File, e.to_string()))?
    .map_err(|e| {
        AppError::new(
            crate::error::ErrorCode::File,
            format!("cannot write {}: {e}", written.display()),
        )
    })?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    #[test]
    fn a_member_disabled_while_signed_in_opens_no_shift() {
        let app = TestApp::empty();
        app.owner_and_cashier();
        let db = app.state().shop().db().clone();
        crate::testing::block_on(async {
            codetill_core::settings::set(db.pool(), codetill_core::settings::SHOP_CURRENCY, "INR")
                .await
                .unwrap();
        });
        app.invoke("lock", json!({})).unwrap();
        app.invoke("sign_in", json!({ "pin": "3333" })).unwrap();
        // The owner disables Asha at another till while she is still signed in here.
        crate::testing::block_on(async {
            sqlx::query("UPDATE staff SET enabled = 0 WHERE name = 'Asha'")
                .execute(db.pool())
                .await
                .unwrap();
        });
        assert!(app.invoke("open_shift", json!({ "float": "100" })).is_err());
        let open: i64 = crate::testing::block_on(async {
            sqlx::query_scalar("SELECT count(*) FROM shifts")
                .fetch_one(db.pool())
                .await
                .unwrap()
        });
        assert_eq!(open, 0);
    }

    #[test]
    fn a_shift_opens_takes_a_sale_and_cash_out_and_closes_short_with_its_z_report() {
        let app = TestApp::demo();
        let none = app.invoke("shift_status", json!({})).unwrap();
        assert_eq!(none, json!({ "open": null, "x": null }));
        let err = app
            .invoke("open_shift", json!({ "float": "lots" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        app.invoke("open_shift", json!({ "float": "100" })).unwrap();
        let err = app
            .invoke("open_shift", json!({ "float": "100" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state");

        let sold = app.sell_cash("STEAM-US-20", "100").unwrap();
        let price: f64 = sold["price"].as_str().unwrap().parse().unwrap();
        let err = app
            .invoke(
                "move_cash",
                json!({ "kind": "sideways", "amount": "5", "reason": "x" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        app.invoke(
            "move_cash",
            json!({ "kind": "out", "amount": "20", "reason": "banked" }),
        )
        .unwrap();

        let status = app.invoke("shift_status", json!({})).unwrap();
        let x = &status["x"];
        assert_eq!(x["kind"], "x");
        assert_eq!(x["sales_count"], 1);
        let expected: f64 = x["cash"]["expected"]["amount"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((expected - (100.0 + price - 20.0)).abs() < 0.001, "{x}");

        let shown = app
            .invoke(
                "shift_report",
                json!({ "x": true, "language": "hi", "print": false }),
            )
            .unwrap();
        assert_eq!(shown["pdf"], json!(null));
        assert!(!shown["text"].as_str().unwrap().is_empty());

        let counted = format!("{:.2}", expected - 1.0);
        let z = app
            .invoke(
                "close_shift",
                json!({ "counted": counted, "language": "en" }),
            )
            .unwrap();
        assert_eq!(z["report"]["kind"], "z");
        assert_eq!(z["report"]["z_number"], 1);
        assert_eq!(z["report"]["cash"]["over_short"]["amount"], "-1.00");
        assert!(z["text"].as_str().unwrap().contains("#1"), "{}", z["text"]);
        // Printed on the demo's PDF printer, and kept as a PDF in the data folder.
        assert!(z["printed"].is_string(), "{z}");
        let pdf = std::path::PathBuf::from(z["pdf"].as_str().unwrap());
        assert!(
            pdf.ends_with("reports/z-report-000001-en.pdf"),
            "{}",
            pdf.display()
        );
        assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));

        assert_eq!(
            app.invoke("shift_status", json!({})).unwrap(),
            json!({ "open": null, "x": null })
        );
        let again = app
            .invoke(
                "shift_report",
                json!({ "x": false, "language": "en", "print": false }),
            )
            .unwrap();
        assert_eq!(again["report"]["z_number"], 1, "the last Z-report again");
        let err = app
            .invoke("close_shift", json!({ "counted": "1", "language": "en" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state");
    }

    #[test]
    fn a_bad_language_closes_nothing() {
        let app = TestApp::demo();
        app.invoke("open_shift", json!({ "float": "50" })).unwrap();
        let err = app
            .invoke("close_shift", json!({ "counted": "50", "language": "fr" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        assert!(app.invoke("shift_status", json!({})).unwrap()["open"].is_object());
    }
}
