//! The delivery screen's receipt and email: what was printed or sent for an order,
//! print (a reprint once printed, audited), email the code (audited), and the text
//! receipt of the sale on the screen.

use std::time::Duration;

use codetill_core::delivery::outbox::{self, OutboxFilter, OutboxItem, OutboxStatus};
use codetill_core::delivery::{self, Paper, Receipt, SmtpSetting};
use codetill_core::orders;
use serde::Serialize;
use tauri::State;

use super::{MAX_QUERY_CHARS, checked, non_empty};
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// How long a button press waits for the printer or the mail server; what does not
/// finish stays queued and the outbox worker retries it.
const RIGHT_AWAY: Duration = Duration::from_secs(5);

/// One print job or email of an order, as the delivery screen lists it.
#[derive(Debug, Clone, Serialize)]
pub struct HandoverView {
    pub id: i64,
    /// `print` or `email`.
    pub kind: String,
    /// The printer, or the email address.
    pub destination: String,
    /// `queued` (not printed / not sent yet), `sent`, or `failed` for good.
    pub status: OutboxStatus,
    pub reprint_no: Option<i64>,
    pub attempts: i64,
    /// The last problem (printer off, mail server's answer…).
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

impl From<OutboxItem> for HandoverView {
    fn from(i: OutboxItem) -> Self {
        HandoverView {
            id: i.id,
            kind: i.kind,
            destination: i.destination,
            status: i.status,
            reprint_no: i.reprint_no.filter(|_| i.payload == "reprint"),
            attempts: i.attempts,
            last_error: i.last_error,
            sent_at: i.sent_at,
        }
    }
}

/// What this till can do for a delivered order, and what it did.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryStatus {
    /// The receipt printer, when one is set up (`None`: the print button explains).
    pub printer: Option<String>,
    /// A mail server is set up and usable.
    pub email_ready: bool,
    /// Oldest first.
    pub items: Vec<HandoverView>,
}

#[tauri::command]
pub async fn delivery_status(
    state: State<'_, AppState>,
    order: String,
) -> Result<DeliveryStatus, AppError> {
    let order = non_empty(checked(&order, "order", MAX_QUERY_CHARS)?, "order")?;
    let till = state.till();
    state.clerk_at(&till).await?;
    let found = orders::find(till.db(), order).await?;
    let outbox = till.outbox().await?;
    let config = outbox.config();
    let mut items: Vec<HandoverView> = outbox::list(
        till.db(),
        &OutboxFilter {
            order: Some(found.id),
            limit: Some(50),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(HandoverView::from)
    .collect();
    items.reverse();
    Ok(DeliveryStatus {
        printer: config.printer().ok().map(|p| p.to_string()),
        email_ready: matches!(config.smtp, SmtpSetting::Ready(_)),
        items,
    })
}

/// Prints the order's receipt now: its first print, or REPRINT #n (audited). One
/// attempt within a few seconds; a printer that is off leaves it queued.
#[tauri::command]
pub async fn print_receipt(
    state: State<'_, AppState>,
    order: String,
) -> Result<HandoverView, AppError> {
    let order = non_empty(checked(&order, "order", MAX_QUERY_CHARS)?, "order")?;
    let till = state.till();
    let (id, _) = till
        .print_receipt(&state.clerk_at(&till).await?, order)
        .await?;
    attempt(&state, id).await
}

/// Emails the order's code to `to` (or the address given at the sale), audited.
#[tauri::command]
pub async fn email_code(
    state: State<'_, AppState>,
    order: String,
    to: Option<String>,
) -> Result<HandoverView, AppError> {
    let order = non_empty(checked(&order, "order", MAX_QUERY_CHARS)?, "order")?;
    let to = match &to {
        Some(t) => Some(checked(t, "email", 254)?),
        None => None,
    };
    let till = state.till();
    let id = till
        .resend(&state.clerk_at(&till).await?, order, to)
        .await?;
    attempt(&state, id).await
}

/// The plain-text receipt of the sale on the delivery screen now (its code is on the
/// screen already). Any other order's code is shown only through an audited reveal.
#[tauri::command]
pub async fn receipt_preview(
    state: State<'_, AppState>,
    order: String,
    language: Option<String>,
) -> Result<String, AppError> {
    let order = non_empty(checked(&order, "order", MAX_QUERY_CHARS)?, "order")?;
    state.clerk().await?;
    if !state.is_last_sale(order).await {
        return Err(AppError::new(
            ErrorCode::WrongState,
            format!("{order} is not the sale on the screen: reveal its code from Orders"),
        ));
    }
    let language = super::language(language.as_deref())?;
    let till = state.till();
    let found = orders::find(till.db(), order).await?;
    let engine = till.engine().await?;
    let codes = engine.delivered_codes(found.id).await?;
    let shop = delivery::shop(till.db()).await?;
    let paper = till
        .outbox()
        .await?
        .config()
        .printer()
        .map(|p| p.paper())
        .unwrap_or(Paper::Mm80);
    let receipt = Receipt::from_order(&found, codes, shop, language, None);
    Ok(delivery::text::render(&receipt, paper))
}

/// The codes of the sale on the delivery screen now, each as a QR code (SVG) the
/// buyer scans with a phone. Made here on each call and never stored; any other
/// order is refused, as its receipt preview is.
#[tauri::command]
pub async fn code_qr(state: State<'_, AppState>, order: String) -> Result<Vec<String>, AppError> {
    let order = non_empty(checked(&order, "order", MAX_QUERY_CHARS)?, "order")?;
    state.clerk().await?;
    if !state.is_last_sale(order).await {
        return Err(AppError::new(
            ErrorCode::WrongState,
            format!("{order} is not the sale on the screen: its code is not shown as a QR code"),
        ));
    }
    let till = state.till();
    let found = orders::find(till.db(), order).await?;
    let codes = till.engine().await?.delivered_codes(found.id).await?;
    Ok(codes
        .iter()
        .filter_map(|c| codetill_core::remote::svg_qr(&c.code))
        .collect())
}

/// The counter moved on from the delivery screen: the sale's code is no longer on
/// it, and its receipt preview now takes an audited reveal.
#[tauri::command]
pub async fn sale_done(state: State<'_, AppState>) -> Result<(), AppError> {
    state.sale_done().await;
    Ok(())
}

async fn attempt(state: &AppState, id: i64) -> Result<HandoverView, AppError> {
    let till = state.till();
    let outbox = till.outbox().await?;
    if let Err(e) = outbox.attempt(&[id], RIGHT_AWAY).await {
        // Still queued: the worker tries again; the screen shows "not printed".
        tracing::warn!(error = %e, outbox = id, "first attempt failed");
    }
    Ok(outbox::item(till.db(), id).await?.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use crate::testing::{TestApp, block_on};

    const SKU: &str = "STEAM-US-20";

    /// The order's delivery status once `done` holds (the first attempt runs in the
    /// background after the sale).
    fn status_when(till: &TestApp, order: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let status = till
                .invoke("delivery_status", json!({ "order": order }))
                .unwrap();
            if done(&status) || started.elapsed() > Duration::from_secs(15) {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn audit(till: &TestApp, action: &str) -> Vec<(String, String)> {
        block_on(
            sqlx::query_as("SELECT actor, detail FROM audit_log WHERE action = ?1 ORDER BY id")
                .bind(action)
                .fetch_all(till.state().till().db().pool()),
        )
        .unwrap()
    }

    #[test]
    fn a_demo_sale_prints_its_receipt_and_a_reprint_is_numbered_and_audited() {
        let till = TestApp::demo();
        let sale = till.sell_cash(SKU, "100").unwrap();
        let order = sale["order_id"].as_str().unwrap();
        let status = status_when(&till, order, |s| s["items"][0]["status"] == "sent");
        assert!(
            status["printer"].as_str().unwrap().starts_with("pdf:"),
            "{status}"
        );
        let items = status["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{status}");
        assert_eq!(items[0]["kind"], "print");
        assert_eq!(items[0]["status"], "sent", "{status}");
        assert_eq!(items[0]["reprint_no"], Value::Null);

        let again = till
            .invoke("print_receipt", json!({ "order": order }))
            .unwrap();
        assert_eq!(again["status"], "sent", "{again}");
        assert_eq!(again["reprint_no"], 1);
        let audit = audit(&till, "reprint");
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert_eq!(audit[0].0, "asha");
        assert!(audit[0].1.starts_with("REPRINT #1"), "{audit:?}");
        let folder = till.state().till().data_dir().join("receipts");
        let pdfs = std::fs::read_dir(folder).unwrap().count();
        assert_eq!(pdfs, 2, "the receipt and its reprint");
    }

    #[test]
    fn an_email_without_a_mail_server_stays_queued_and_says_why() {
        let till = TestApp::demo();
        let sale = till
            .invoke(
                "sell_cash",
                json!({ "sku": SKU, "tendered": "100", "email": "buyer@example.com", "language": "hi" }),
            )
            .unwrap();
        assert_eq!(sale["status"], "delivered", "the sale never waits on mail");
        let order = sale["order_id"].as_str().unwrap();
        let status = status_when(&till, order, |s| {
            s["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["kind"] == "email" && i["attempts"].as_i64() > Some(0))
        });
        assert_eq!(status["email_ready"], false);
        let email = status["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == "email")
            .unwrap()
            .clone();
        assert_eq!(email["destination"], "buyer@example.com");
        assert_eq!(email["status"], "queued", "{email}");
        assert!(
            email["last_error"]
                .as_str()
                .unwrap()
                .contains("no mail server"),
            "{email}"
        );

        // Sent again, to another address: audited, also queued.
        let resend = till
            .invoke(
                "email_code",
                json!({ "order": order, "to": "other@example.com" }),
            )
            .unwrap();
        assert_eq!(resend["destination"], "other@example.com");
        assert_eq!(resend["status"], "queued");
        let audit = audit(&till, "resend");
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert!(audit[0].1.contains("other@example.com"));
    }

    #[test]
    fn a_bad_email_or_language_is_refused_before_payment() {
        let till = TestApp::demo();
        for args in [
            json!({ "sku": SKU, "tendered": "100", "email": "not-an-address" }),
            json!({ "sku": SKU, "tendered": "100", "language": "fr" }),
        ] {
            let err = till.invoke("sell_cash", args.clone()).unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{args} → {err}");
        }
        let orders: i64 = block_on(
            sqlx::query_scalar("SELECT count(*) FROM orders")
                .fetch_one(till.state().till().db().pool()),
        )
        .unwrap();
        assert_eq!(orders, 0, "nothing was opened or charged");
    }

    #[test]
    fn the_receipt_preview_is_only_for_the_sale_on_the_screen() {
        let till = TestApp::demo();
        let first = till.sell_cash(SKU, "100").unwrap();
        let second = till.sell_cash(SKU, "100").unwrap();
        let code = second["codes"][0]["code"].as_str().unwrap();
        let text = till
            .invoke("receipt_preview", json!({ "order": second["order_id"] }))
            .unwrap();
        let text = text.as_str().unwrap();
        assert!(text.contains(code), "{text}");
        assert!(text.contains(second["order_id"].as_str().unwrap()));
        assert!(text.contains("non-refundable"), "{text}");

        let err = till
            .invoke("receipt_preview", json!({ "order": first["order_id"] }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state", "{err}");

        // The counter moved on: the code is off the screen, and so off the preview.
        till.invoke("sale_done", json!({})).unwrap();
        let err = till
            .invoke("receipt_preview", json!({ "order": second["order_id"] }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state", "{err}");
    }

    #[test]
    fn a_code_shows_as_a_qr_code_only_while_its_sale_is_on_the_screen() {
        let till = TestApp::demo();
        let first = till.sell_cash(SKU, "100").unwrap();
        let second = till.sell_cash(SKU, "100").unwrap();
        let qr = till
            .invoke("code_qr", json!({ "order": second["order_id"] }))
            .unwrap();
        let svgs = qr.as_array().unwrap();
        assert_eq!(svgs.len(), 1, "{qr}");
        assert!(svgs[0].as_str().unwrap().starts_with("<svg"), "{qr}");
        let code = second["codes"][0]["code"].as_str().unwrap();
        assert!(
            !svgs[0].as_str().unwrap().contains(code),
            "drawn, not written"
        );
        let err = till
            .invoke("code_qr", json!({ "order": first["order_id"] }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state", "{err}");
        till.invoke("sale_done", json!({})).unwrap();
        let err = till
            .invoke("code_qr", json!({ "order": second["order_id"] }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state", "{err}");
    }

    #[test]
    fn no_receipt_for_an_order_without_a_code() {
        let till = TestApp::demo();
        till.sandbox_control("pending", json!({ "seconds": 0.2, "then": "failed" }));
        let failed = till.sell_cash(SKU, "100").unwrap();
        assert_eq!(failed["status"], "refund_due", "{failed}");
        for cmd in ["print_receipt", "email_code"] {
            let err = till
                .invoke(
                    cmd,
                    json!({ "order": failed["order_id"], "to": "b@example.com" }),
                )
                .unwrap_err();
            assert_eq!(err["code"], "errors.wrong_state", "{cmd}: {err}");
        }
        let err = till
            .invoke("print_receipt", json!({ "order": "ORD-999999" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_found", "{err}");
    }
}
