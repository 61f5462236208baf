//! The owner's tax invoicing (the shop's tax id, invoice prefix, financial-year
//! start, and each category's rate), how long buyers' contact data is kept, and
//! the cash drawer's key at the counter. All on the counter's till, as its prices
//! are: a demo's sales are invoiced by the demo's settings. Core checks the role
//! and writes each change with its audit row.

use codetill_core::product::Category;
use codetill_core::tax::parse_rate;
use codetill_core::till::drawer::Opening;
use codetill_core::till::tax::{TaxChange, TaxView};
use serde::{Deserialize, Serialize};
use tauri::State;

use super::checked;
use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn tax_settings(state: State<'_, AppState>) -> Result<TaxView, AppError> {
    state.clerk().await?;
    Ok(state.till().tax().await?)
}

/// The tax settings as the Settings screen sends them: a blank tax id removes it
/// (receipts stop being tax invoices).
#[derive(Debug, Clone, Deserialize)]
pub struct TaxInput {
    pub tax_id: String,
    pub prefix: String,
    pub fy_start_month: u32,
}

#[tauri::command]
pub async fn save_tax_settings(
    state: State<'_, AppState>,
    input: TaxInput,
) -> Result<TaxView, AppError> {
    let tax_id = checked(&input.tax_id, "tax id", 40)?.trim();
    let change = TaxChange {
        tax_id: Some((!tax_id.is_empty()).then(|| tax_id.to_string())),
        prefix: Some(checked(&input.prefix, "invoice prefix", 40)?.to_string()),
        fy_start_month: Some(input.fy_start_month),
    };
    let till = state.till();
    Ok(till.set_tax(&state.clerk_at(&till).await?, &change).await?)
}

/// Sets a category's rate in percent (`"18"`, `"5.5"`), or clears it (blank).
#[tauri::command]
pub async fn set_tax_rate(
    state: State<'_, AppState>,
    category: String,
    rate: Option<String>,
) -> Result<TaxView, AppError> {
    let category = category
        .parse::<Category>()
        .map_err(|e| AppError::validation(e.to_string()))?;
    let rate = match rate.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(
            parse_rate(checked(r, "tax rate", 20)?)
                .map_err(codetill_core::till::TillError::from)?,
        ),
        None => None,
    };
    let till = state.till();
    Ok(till
        .set_tax_rate(&state.clerk_at(&till).await?, category, rate)
        .await?)
}

/// Months after a buyer's last purchase when their contact data goes (`null`: kept).
#[derive(Debug, Clone, Serialize)]
pub struct Retention {
    pub months: Option<u32>,
}

#[tauri::command]
pub async fn buyer_retention(state: State<'_, AppState>) -> Result<Retention, AppError> {
    state.clerk().await?;
    Ok(Retention {
        months: state.till().buyer_retention().await?,
    })
}

#[tauri::command]
pub async fn set_buyer_retention(
    state: State<'_, AppState>,
    months: Option<u32>,
) -> Result<Retention, AppError> {
    let till = state.till();
    let months = till
        .set_buyer_retention(&state.clerk_at(&till).await?, months)
        .await?;
    Ok(Retention { months })
}

/// Whether this till opens a cash drawer (the counter shows its key only then).
#[tauri::command]
pub async fn has_drawer(state: State<'_, AppState>) -> Result<bool, AppError> {
    state.clerk().await?;
    Ok(state.till().has_drawer().await?)
}

/// Turns the cash drawer on or off at this till (the owner's; audited by core);
/// answers whether it is on now.
#[tauri::command]
pub async fn set_drawer(state: State<'_, AppState>, enabled: bool) -> Result<bool, AppError> {
    let till = state.till();
    Ok(till
        .set_drawer(&state.clerk_at(&till).await?, enabled)
        .await?)
}

/// Opens the drawer with no sale (audited by core); `false` when the till has no
/// drawer or no printer to drive it.
#[tauri::command]
pub async fn open_drawer(state: State<'_, AppState>) -> Result<bool, AppError> {
    let till = state.till();
    Ok(till
        .open_drawer(&state.clerk_at(&till).await?, Opening::NoSale)
        .await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    #[test]
    fn the_owner_sets_a_tax_id_and_a_rate_and_the_next_sale_is_a_tax_invoice() {
        let till = TestApp::demo();
        let tax = till
            .invoke(
                "save_tax_settings",
                json!({ "input": { "tax_id": "27AAPFU0939F1ZV", "prefix": "INV", "fy_start_month": 4 } }),
            )
            .unwrap();
        assert_eq!(tax["tax_id"], "27AAPFU0939F1ZV");
        assert_eq!(tax["fy_start_month"], 4);
        let tax = till
            .invoke(
                "set_tax_rate",
                json!({ "category": "gift_card", "rate": "18" }),
            )
            .unwrap();
        assert_eq!(
            tax["rates"],
            json!([{ "category": "gift_card", "rate": "18" }])
        );

        let order = till.sell_cash("STEAM-US-20", "100").unwrap();
        assert!(
            order["invoice"]["number"]
                .as_str()
                .unwrap()
                .starts_with("INV"),
            "{order}"
        );
        assert_eq!(order["tax"]["rate"], "18");
        let price = codetill_core::money::parse_decimal(order["price"].as_str().unwrap()).unwrap();
        let net =
            codetill_core::money::parse_decimal(order["tax"]["net"].as_str().unwrap()).unwrap();
        let tax =
            codetill_core::money::parse_decimal(order["tax"]["amount"].as_str().unwrap()).unwrap();
        assert_eq!(net + tax, price, "inclusive: net and tax make the price");

        // A blank rate clears it; a blank tax id stops the invoices.
        let tax = till
            .invoke(
                "set_tax_rate",
                json!({ "category": "gift_card", "rate": " " }),
            )
            .unwrap();
        assert_eq!(tax["rates"], json!([]));
        let err = till
            .invoke("set_tax_rate", json!({ "category": "socks", "rate": "5" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        let err = till
            .invoke(
                "save_tax_settings",
                json!({ "input": { "tax_id": "", "prefix": "a b", "fy_start_month": 4 } }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation", "{err}");
    }

    #[test]
    fn the_retention_period_is_kept_cleared_and_audited() {
        // The shop's own till: its audit log is the one the owner reads.
        let till = TestApp::with_demo_catalog();
        let r = till.invoke("buyer_retention", json!({})).unwrap();
        assert_eq!(r, json!({ "months": null }));
        let r = till
            .invoke("set_buyer_retention", json!({ "months": 24 }))
            .unwrap();
        assert_eq!(r, json!({ "months": 24 }));
        let err = till
            .invoke("set_buyer_retention", json!({ "months": 0 }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation", "{err}");
        let r = till.invoke("set_buyer_retention", json!({})).unwrap();
        assert_eq!(r, json!({ "months": null }));
        let audit = till.invoke("audit_log", json!({ "limit": 10 })).unwrap();
        assert!(audit.to_string().contains("buyer_retention"), "{audit}");
    }

    #[test]
    fn only_the_owner_turns_the_drawer_on_and_it_is_audited() {
        let till = TestApp::with_demo_catalog();
        till.state().session().begin(crate::till::Clerk {
            role: codetill_core::staff::Role::Cashier,
            ..crate::testing::clerk()
        });
        let err = till
            .invoke("set_drawer", json!({ "enabled": true }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_allowed", "{err}");
        assert_eq!(till.invoke("has_drawer", json!({})).unwrap(), json!(false));

        till.state().session().begin(crate::testing::clerk());
        let on = till
            .invoke("set_drawer", json!({ "enabled": true }))
            .unwrap();
        assert_eq!(on, json!(true));
        assert_eq!(till.invoke("has_drawer", json!({})).unwrap(), json!(true));
        let off = till
            .invoke("set_drawer", json!({ "enabled": false }))
            .unwrap();
        assert_eq!(off, json!(false));
        let audit = till.invoke("audit_log", json!({ "limit": 10 })).unwrap();
        let details: Vec<_> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "drawer_setting")
            .map(|e| e["detail"].clone())
            .collect();
        assert_eq!(details.len(), 2, "{audit}");
    }

    #[test]
    fn without_a_drawer_set_up_the_key_does_nothing() {
        let till = TestApp::demo();
        assert_eq!(till.invoke("has_drawer", json!({})).unwrap(), json!(false));
        assert_eq!(till.invoke("open_drawer", json!({})).unwrap(), json!(false));
    }
}
