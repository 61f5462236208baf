//! Claims in the app: the owner's setting (take claims when the supplier is down, and
//! how long one may wait before it is refunded) and the claims still waiting. All on
//! the counter's till, where its sales are taken (a demo's claims follow the demo's
//! setting). A claim's slip is the sale's order view (`claim` set); its QR code is
//! drawn from its number by [`claim_qr`].

use codetill_core::orders::OrderView;
use codetill_core::orders::claim::ClaimTerms;
use codetill_core::staff::Action;
use tauri::State;

use super::{MAX_QUERY_CHARS, checked, non_empty};
use crate::error::AppError;
use crate::state::AppState;

/// Whether claims are on, and their limit in hours (anyone signed in may read it:
/// the counter shows it).
#[tauri::command]
pub async fn claim_terms(state: State<'_, AppState>) -> Result<ClaimTerms, AppError> {
    state.clerk().await?;
    Ok(state.till().claim_terms().await?)
}

/// Turns claims on or off and sets the limit (the owner's; audited by core).
#[tauri::command]
pub async fn set_claims(
    state: State<'_, AppState>,
    enabled: bool,
    limit_hours: Option<u32>,
) -> Result<ClaimTerms, AppError> {
    let till = state.till();
    Ok(till
        .set_claims(&state.clerk_at(&till).await?, enabled, limit_hours)
        .await?)
}

/// The claims waiting for the supplier, oldest first.
#[tauri::command]
pub async fn open_claims(state: State<'_, AppState>) -> Result<Vec<OrderView>, AppError> {
    let till = state.till();
    till.authorize(&state.clerk_at(&till).await?, Action::Sell, None)
        .await?;
    Ok(till
        .open_claims()
        .await?
        .iter()
        .map(OrderView::of)
        .collect())
}

/// The claim slip's QR code (an SVG) for `order` (its order or claim number): the
/// claim number, which the counter's scanner reads back when the buyer returns.
/// Holds no code; an order that is no claim is refused.
#[tauri::command]
pub async fn claim_qr(state: State<'_, AppState>, order: String) -> Result<String, AppError> {
    let order = non_empty(checked(&order, "order", MAX_QUERY_CHARS)?, "order")?;
    state.clerk().await?;
    let found = codetill_core::orders::find(state.till().db(), order.trim()).await?;
    let Some(claim) = found.claim else {
        return Err(AppError::validation(format!(
            "{} is not a claim",
            found.public_id
        )));
    };
    codetill_core::remote::svg_qr(&claim.number)
        .ok_or_else(|| AppError::validation(format!("{} does not fit a QR code", claim.number)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use codetill_core::staff::Role;
    use serde_json::json;

    use crate::testing::{TestApp, clerk};
    use crate::till::Clerk;

    fn as_cashier(app: &TestApp) {
        app.state().session().begin(Clerk {
            staff: "ravi".into(),
            role: Role::Cashier,
            ..clerk()
        });
    }

    fn audit_rows(app: &TestApp, action: &str) -> usize {
        let audit = app.invoke("audit_log", json!({ "limit": 50 })).unwrap();
        audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    }

    #[test]
    fn only_the_owner_turns_claims_on_and_a_limit_outside_a_month_changes_nothing() {
        let app = TestApp::with_demo_catalog();
        let terms = app.invoke("claim_terms", json!({})).unwrap();
        assert_eq!(terms, json!({ "enabled": false, "limit": 48 }));

        as_cashier(&app);
        let err = app
            .invoke("set_claims", json!({ "enabled": true, "limitHours": 24 }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_allowed", "{err}");
        // A cashier still reads the terms: the counter shows them.
        assert_eq!(
            app.invoke("claim_terms", json!({})).unwrap()["enabled"],
            false
        );

        app.state().session().begin(clerk());
        for bad in [0, 745] {
            let err = app
                .invoke("set_claims", json!({ "enabled": true, "limitHours": bad }))
                .unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{bad}: {err}");
        }
        assert_eq!(
            app.invoke("claim_terms", json!({})).unwrap()["enabled"],
            false
        );
        let set = app
            .invoke("set_claims", json!({ "enabled": true, "limitHours": 744 }))
            .unwrap();
        assert_eq!(set, json!({ "enabled": true, "limit": 744 }));
        // No limit given: the one set stays.
        let set = app
            .invoke("set_claims", json!({ "enabled": false }))
            .unwrap();
        assert_eq!(set, json!({ "enabled": false, "limit": 744 }));
        assert_eq!(audit_rows(&app, "claim_settings"), 2);
    }

    #[test]
    fn a_sale_while_the_supplier_is_down_is_a_claim_with_a_qr_of_its_number() {
        let app = TestApp::demo();
        let sold = app.sell_cash("STEAM-US-20", "100").unwrap();
        let delivered = sold["order_id"].as_str().unwrap().to_string();
        // A delivered sale is no claim: no slip, no QR.
        let err = app
            .invoke("claim_qr", json!({ "order": delivered }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation", "{err}");
        assert!(err["message"].as_str().unwrap().contains("not a claim"));
        let err = app.invoke("claim_qr", json!({ "order": " " })).unwrap_err();
        assert_eq!(err["code"], "errors.validation", "{err}");

        app.invoke("set_claims", json!({ "enabled": true, "limitHours": 24 }))
            .unwrap();
        app.sandbox_control(
            "faults",
            json!({ "endpoint": "any", "kind": "drop", "times": 0 }),
        );
        let claimed = app.sell_cash("STEAM-US-20", "100").unwrap();
        assert_eq!(claimed["status"], "paid", "{claimed}");
        assert!(claimed.get("codes").is_none());
        let number = claimed["claim"]["number"].as_str().unwrap().to_string();
        let order = claimed["order_id"].as_str().unwrap().to_string();
        assert_eq!(number, order.replace("ORD-", "CLM-"));

        // By its order number or by the slip's number: the same QR, of the number.
        let by_order = app.invoke("claim_qr", json!({ "order": order })).unwrap();
        let by_number = app
            .invoke("claim_qr", json!({ "order": number.to_lowercase() }))
            .unwrap();
        assert!(by_order.as_str().unwrap().starts_with("<svg"), "{by_order}");
        assert_eq!(by_order, by_number);
        // The slip's number finds the order at the counter's search.
        let found = app.invoke("order", json!({ "id": number })).unwrap();
        assert_eq!(found["order_id"], order.as_str());

        let open = app.invoke("open_claims", json!({})).unwrap();
        let open = open.as_array().unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0]["claim"]["number"], number.as_str());
        assert!(
            open[0].get("codes").is_none(),
            "a list never carries a code"
        );
    }
}
