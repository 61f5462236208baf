//! The order history: lists with filters, one order, an audited look at a delivered
//! code, open orders, and the refund of an order that could not be fulfilled.

use codetill_core::orders::{self, OrderFilter, OrderStatus, RecoveryReport};
use serde::Deserialize;
use tauri::State;

use super::{MAX_QUERY_CHARS, checked, non_empty};
use crate::error::AppError;
use crate::state::AppState;
use codetill_core::orders::OrderView;

/// What the Orders screen filters on; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrdersQuery {
    /// One of the order statuses (`delivered`, `refund_due`…).
    pub status: Option<String>,
    /// Orders created at or after this RFC 3339 instant (the UI sends local midnight).
    pub since: Option<String>,
    pub sku: Option<String>,
    /// A buyer's phone or email: their orders.
    pub buyer: Option<String>,
    pub limit: Option<u32>,
}

impl OrdersQuery {
    fn filter(&self) -> Result<OrderFilter, AppError> {
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let status = match blank(&self.status) {
            Some(s) => Some(
                s.parse::<OrderStatus>()
                    .map_err(|e| AppError::validation(e.to_string()))?,
            ),
            None => None,
        };
        let since = match blank(&self.since) {
            Some(s) => Some(codetill_core::db::time_text(
                chrono::DateTime::parse_from_rfc3339(&s)
                    .map_err(|_| {
                        AppError::validation(format!("since {s:?} is not an RFC 3339 instant"))
                    })?
                    .with_timezone(&chrono::Utc),
            )),
            None => None,
        };
        let sku = blank(&self.sku).map(|s| s.to_ascii_uppercase());
        if let Some(sku) = &sku {
            checked(sku, "sku", MAX_QUERY_CHARS)?;
        }
        let buyer = blank(&self.buyer);
        if let Some(buyer) = &buyer {
            checked(buyer, "buyer", MAX_QUERY_CHARS)?;
        }
        Ok(OrderFilter {
            status,
            since,
            sku,
            buyer,
            limit: Some(self.limit.unwrap_or(200).clamp(1, 1000)),
        })
    }
}

/// Orders, newest first, without their codes.
#[tauri::command]
pub async fn list_orders(
    state: State<'_, AppState>,
    query: OrdersQuery,
) -> Result<Vec<OrderView>, AppError> {
    let filter = query.filter()?;
    state.clerk().await?;
    let found = orders::list(state.till().db(), &filter).await?;
    Ok(found.iter().map(OrderView::of).collect())
}

/// Buyers on record whose phone or email holds `text` (3 characters at least),
/// most recent first, each with how many orders they have.
#[tauri::command]
pub async fn find_buyers(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<codetill_core::buyers::Buyer>, AppError> {
    let text = checked(&text, "buyer", MAX_QUERY_CHARS)?;
    state.clerk().await?;
    codetill_core::buyers::find(state.till().db(), text)
        .await
        .map_err(|e| codetill_core::till::TillError::from(e).into())
}

/// Orders paid and not yet delivered or refused (the supplier has not answered).
#[tauri::command]
pub async fn open_orders(state: State<'_, AppState>) -> Result<Vec<OrderView>, AppError> {
    let till = state.till();
    state.clerk_at(&till).await?;
    let mut open = Vec::new();
    for id in orders::open_order_ids(till.db()).await? {
        open.push(OrderView::of(
            &orders::find(till.db(), &id.to_string()).await?,
        ));
    }
    Ok(open)
}

/// One order by its number (`ORD-000123`), without its codes.
#[tauri::command]
pub async fn order(state: State<'_, AppState>, id: String) -> Result<OrderView, AppError> {
    let id = non_empty(checked(&id, "order", MAX_QUERY_CHARS)?, "order")?;
    state.clerk().await?;
    Ok(OrderView::of(&orders::find(state.till().db(), id).await?))
}

/// The codes of a delivered order, shown again: needs a reason, and writes who, when
/// and why to the audit log.
#[tauri::command]
pub async fn reveal_code(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> Result<OrderView, AppError> {
    let reason = checked(&reason, "reason", 500)?;
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    Ok(OrderView::revealed(
        &till.reveal(&id, reason, &clerk).await?,
    ))
}

/// Records that a `refund_due` order's money was given back (`method`: cash or card).
#[tauri::command]
pub async fn record_refund(
    state: State<'_, AppState>,
    id: String,
    method: String,
    reference: Option<String>,
) -> Result<OrderView, AppError> {
    let method = refund_method(&method)?;
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    let order = till
        .refund(
            &clerk,
            &id,
            method,
            reference.as_deref().filter(|r| !r.trim().is_empty()),
        )
        .await?;
    Ok(OrderView::of(&order))
}

/// Asks the supplier again about every open order now (what the app also does at
/// start), with an engine of its own so it never races the counter's sale.
#[tauri::command]
pub async fn finish_open_orders(state: State<'_, AppState>) -> Result<RecoveryReport, AppError> {
    state.clerk().await?;
    Ok(state.till().recover(None).await?)
}

fn refund_method(method: &str) -> Result<&'static str, AppError> {
    match method.trim() {
        "cash" => Ok("cash"),
        "card" => Ok("card"),
        other => Err(AppError::validation(format!(
            "refund method {other:?}: expected cash or card"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::{Value, json};

    use crate::testing::{TestApp, block_on};

    const SKU: &str = "STEAM-US-20";

    fn list(till: &TestApp, query: Value) -> Vec<Value> {
        let v = till
            .invoke("list_orders", json!({ "query": query }))
            .unwrap();
        v.as_array().unwrap().clone()
    }

    #[test]
    fn the_history_lists_sales_newest_first_and_never_with_codes() {
        let till = TestApp::demo();
        let first = till.sell_cash(SKU, "50").unwrap();
        let second = till.sell_cash("STEAM-US-20", "21.99").unwrap();
        let all = list(&till, json!({}));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0]["order_id"], second["order_id"]);
        assert_eq!(all[1]["order_id"], first["order_id"]);
        for o in &all {
            assert!(o.get("codes").is_none(), "a list never carries codes: {o}");
            assert!(o.get("outcome").is_none());
        }
        let one = till
            .invoke("order", json!({ "id": first["order_id"] }))
            .unwrap();
        assert!(one.get("codes").is_none());
        assert_eq!(one["paid"]["tendered"], "50.00");

        assert_eq!(list(&till, json!({ "status": "delivered" })).len(), 2);
        assert_eq!(list(&till, json!({ "status": "refund_due" })).len(), 0);
        assert_eq!(list(&till, json!({ "sku": "steam-us-20" })).len(), 2);
        assert_eq!(list(&till, json!({ "sku": "PSN-US-10" })).len(), 0);
        assert_eq!(
            list(&till, json!({ "since": "2000-01-01T00:00:00+05:30" })).len(),
            2
        );
        assert_eq!(
            list(&till, json!({ "since": "2999-01-01T00:00:00Z" })).len(),
            0
        );
        assert_eq!(
            list(&till, json!({ "status": "", "sku": " ", "since": null })).len(),
            2
        );
    }

    #[test]
    fn bad_filters_are_validation_errors() {
        let till = TestApp::demo();
        let err = till
            .invoke("list_orders", json!({ "query": { "status": "shipped" } }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        let err = till
            .invoke("list_orders", json!({ "query": { "since": "yesterday" } }))
            .unwrap_err();
        assert_eq!(
            err,
            json!({ "code": "errors.validation", "message": "since \"yesterday\" is not an RFC 3339 instant" })
        );
        let err = till
            .invoke("order", json!({ "id": "ORD-999999" }))
            .unwrap_err();
        assert_eq!(
            err,
            json!({ "code": "errors.not_found", "message": "no order \"ORD-999999\"" })
        );
    }

    #[test]
    fn showing_a_code_again_needs_a_reason_and_is_audited() {
        let till = TestApp::demo();
        let sale = till.sell_cash(SKU, "50").unwrap();
        let id = sale["order_id"].clone();
        let err = till
            .invoke("reveal_code", json!({ "id": id, "reason": "  " }))
            .unwrap_err();
        assert_eq!(
            err,
            json!({ "code": "errors.validation", "message": "say why the code is shown again" })
        );
        let shown = till
            .invoke(
                "reveal_code",
                json!({ "id": id, "reason": "customer lost the receipt" }),
            )
            .unwrap();
        assert_eq!(shown["codes"], sale["codes"]);
        let audit: Vec<(String, String, Option<String>)> = block_on(
            sqlx::query_as("SELECT actor, action, detail FROM audit_log")
                .fetch_all(till.state().till().db().pool()),
        )
        .unwrap();
        assert_eq!(
            audit,
            [(
                "asha".to_string(),
                "reveal".to_string(),
                Some("customer lost the receipt".to_string())
            )]
        );
    }

    #[test]
    fn a_refund_is_recorded_only_for_an_order_that_is_due_one() {
        let till = TestApp::demo();
        let delivered = till.sell_cash(SKU, "50").unwrap();
        let err = till
            .invoke(
                "record_refund",
                json!({ "id": delivered["order_id"], "method": "cash" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state");
        let err = till
            .invoke("reveal_code", json!({ "id": "nope", "reason": "x" }))
            .unwrap_err();
        assert_eq!(err["code"], "errors.not_found");

        till.sandbox_control("pending", json!({ "seconds": 0.2, "then": "failed" }));
        let failed = till.sell_cash(SKU, "50").unwrap();
        assert_eq!(failed["status"], "refund_due");
        let err = till
            .invoke(
                "reveal_code",
                json!({ "id": failed["order_id"], "reason": "check" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.wrong_state");
        let err = till
            .invoke(
                "record_refund",
                json!({ "id": failed["order_id"], "method": "cheque" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "errors.validation");
        let refunded = till
            .invoke(
                "record_refund",
                json!({ "id": failed["order_id"], "method": "cash", "reference": "drawer 2" }),
            )
            .unwrap();
        assert_eq!(refunded["status"], "refunded");
        assert_eq!(refunded["refund"]["amount"], failed["price"]);
        assert_eq!(refunded["refund"]["method"], "cash");
        assert_eq!(refunded["refund"]["reference"], "drawer 2");
        assert_eq!(refunded["refund"]["staff"], "asha");
        assert_eq!(list(&till, json!({ "status": "refund_due" })).len(), 0);
    }

    #[test]
    fn open_orders_are_listed_and_can_be_tried_again() {
        let till = TestApp::demo();
        assert_eq!(till.invoke("open_orders", json!({})).unwrap(), json!([]));
        let report = till.invoke("finish_open_orders", json!({})).unwrap();
        assert_eq!(report["examined"], 0);
    }
}
