//! The counter's basket: several lines (a sku, a quantity, the face value of an
//! open-amount product) paid once by cash or card, each unit bought under its own
//! key by core. The answer lists each line with its units' orders: codes on those
//! delivered, and what is owed back for any refused after payment.

use codetill_core::money::parse_decimal;
use codetill_core::orders::{BasketLine, BasketView, MAX_LINES, Tender};
use serde::Deserialize;
use tauri::State;

use super::counter::{BuyerInput, handover, item};
use super::{MAX_QUERY_CHARS, checked};
use crate::error::AppError;
use crate::state::AppState;

/// One line as the counter sends it; core checks the quantity (1 to 10) and the
/// amount against the product.
#[derive(Debug, Clone, Deserialize)]
pub struct LineInput {
    pub sku: String,
    /// The face value of an open-amount product, a decimal string.
    pub amount: Option<String>,
    pub quantity: u32,
}

/// The lines as core takes them; more than core's limit is refused here before
/// any of them is read.
fn lines(given: Vec<LineInput>) -> Result<Vec<BasketLine>, AppError> {
    if given.len() > MAX_LINES {
        return Err(AppError::validation(format!(
            "a basket holds at most {MAX_LINES} lines"
        )));
    }
    given
        .into_iter()
        .map(|l| {
            let item = item(&l.sku, l.amount.as_deref())?;
            Ok(BasketLine {
                sku: item.sku,
                amount: item.amount,
                quantity: l.quantity,
            })
        })
        .collect()
}

/// Sells the basket for cash: `tendered` (a decimal string in the basket's
/// currency) must cover the total of the live quotes; the change comes back on the
/// basket.
#[tauri::command]
pub async fn sell_basket_cash(
    state: State<'_, AppState>,
    lines: Vec<LineInput>,
    tendered: String,
    email: Option<String>,
    language: Option<String>,
    buyer: Option<BuyerInput>,
) -> Result<BasketView, AppError> {
    let lines = self::lines(lines)?;
    let tendered = parse_decimal(checked(&tendered, "tendered", MAX_QUERY_CHARS)?.trim())?;
    let handover = handover(email, language, buyer)?;
    let basket = state
        .sell_basket(lines, Tender::Cash { tendered }, &handover)
        .await?;
    Ok(BasketView::of(&basket))
}

/// Sells the basket paid by card on the external terminal (`terminal_ref` from its
/// slip).
#[tauri::command]
pub async fn sell_basket_card(
    state: State<'_, AppState>,
    lines: Vec<LineInput>,
    terminal_ref: String,
    email: Option<String>,
    language: Option<String>,
    buyer: Option<BuyerInput>,
) -> Result<BasketView, AppError> {
    let lines = self::lines(lines)?;
    let terminal_ref = checked(&terminal_ref, "terminal reference", MAX_QUERY_CHARS)?
        .trim()
        .to_string();
    let handover = handover(email, language, buyer)?;
    let basket = state
        .sell_basket(lines, Tender::Card { terminal_ref }, &handover)
        .await?;
    Ok(BasketView::of(&basket))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::testing::TestApp;

    fn codes(order: &serde_json::Value) -> usize {
        order["codes"].as_array().map_or(0, Vec::len)
    }

    #[test]
    fn a_basket_of_two_lines_is_paid_once_and_every_unit_gets_its_code() {
        let till = TestApp::demo();
        let basket = till
            .invoke(
                "sell_basket_cash",
                json!({
                    "lines": [
                        { "sku": "STEAM-US-20", "quantity": 2 },
                        { "sku": "STEAM-US-50", "quantity": 1 },
                    ],
                    "tendered": "500",
                }),
            )
            .unwrap();
        assert!(basket["basket"].as_str().unwrap().starts_with("BSK-"));
        assert_eq!(basket["refund_due"], "0.00");
        let lines = basket["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["quantity"], 2);
        assert_eq!(lines[0]["orders"].as_array().unwrap().len(), 2);
        for line in lines {
            for order in line["orders"].as_array().unwrap() {
                assert_eq!(order["status"], "delivered", "{order}");
                assert_eq!(codes(order), 1);
                assert_eq!(order["basket"], basket["basket"]);
            }
        }
        // The change is the basket's: 500 less the total, to the cent.
        let total = codetill_core::money::parse_decimal(basket["total"].as_str().unwrap()).unwrap();
        let change =
            codetill_core::money::parse_decimal(basket["change"].as_str().unwrap()).unwrap();
        assert_eq!(
            total + change,
            codetill_core::money::parse_decimal("500").unwrap()
        );

        // Every unit's code is on the delivery screen: its receipt previews unaudited.
        let second = lines[1]["orders"][0]["order_id"].as_str().unwrap();
        let receipt = till
            .invoke("receipt_preview", json!({ "order": second }))
            .unwrap();
        assert!(receipt.as_str().unwrap().contains(second), "{receipt}");
    }

    #[test]
    fn a_card_basket_keeps_the_terminal_reference_and_the_buyer() {
        let till = TestApp::demo();
        let basket = till
            .invoke(
                "sell_basket_card",
                json!({
                    "lines": [{ "sku": "STEAM-US-20", "quantity": 1 }, { "sku": "STEAM-US-50", "quantity": 1 }],
                    "terminalRef": " T-4711 ",
                    "buyer": { "phone": "+91 98765 43210", "name": "Ravi", "tax_id": "" },
                }),
            )
            .unwrap();
        let first = &basket["lines"][0]["orders"][0];
        assert_eq!(first["paid"]["method"], "card");
        assert_eq!(first["paid"]["reference"], "T-4711");
        assert_eq!(first["buyer_name"], "Ravi");
        let found = till
            .invoke(
                "list_orders",
                json!({ "query": { "buyer": "+919876543210" } }),
            )
            .unwrap();
        assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
    }

    #[test]
    fn a_unit_refused_after_payment_is_owed_back_and_the_rest_delivered() {
        let till = TestApp::demo();
        // The supplier fails the first order it is sent, then fills the rest.
        till.sandbox_control(
            "pending",
            json!({ "seconds": 0.1, "times": 1, "then": "failed" }),
        );
        let basket = till
            .invoke(
                "sell_basket_cash",
                json!({
                    "lines": [{ "sku": "STEAM-US-20", "quantity": 1 }, { "sku": "STEAM-US-50", "quantity": 1 }],
                    "tendered": "500",
                }),
            )
            .unwrap();
        let orders: Vec<&serde_json::Value> = basket["lines"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["orders"].as_array().unwrap())
            .collect();
        let refused: Vec<_> = orders
            .iter()
            .filter(|o| o["status"] == "refund_due")
            .collect();
        let delivered: Vec<_> = orders
            .iter()
            .filter(|o| o["status"] == "delivered")
            .collect();
        assert_eq!((refused.len(), delivered.len()), (1, 1), "{basket}");
        assert_eq!(basket["refund_due"], refused[0]["price"]);
    }

    #[test]
    fn lines_that_are_no_basket_are_refused_before_payment() {
        let till = TestApp::demo();
        let sell = |lines: serde_json::Value| {
            till.invoke(
                "sell_basket_cash",
                json!({ "lines": lines, "tendered": "500" }),
            )
        };
        for bad in [
            json!([]),
            json!([{ "sku": "STEAM-US-20", "quantity": 0 }]),
            json!([{ "sku": "STEAM-US-20", "quantity": 11 }]),
            json!([{ "sku": " ", "quantity": 1 }]),
            json!(
                (0..21)
                    .map(|_| json!({ "sku": "STEAM-US-20", "quantity": 1 }))
                    .collect::<Vec<_>>()
            ),
        ] {
            let err = sell(bad.clone()).unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{bad}: {err}");
        }
        let err = sell(json!([{ "sku": "STEAM-US-20", "quantity": 10 }, { "sku": "STEAM-US-50", "quantity": 10 }]))
            .unwrap_err();
        assert_eq!(err["code"], "errors.short_tender", "{err}");
        let orders = till.invoke("list_orders", json!({ "query": {} })).unwrap();
        assert_eq!(orders, json!([]), "nothing was ordered");
    }
}
