//! The counter's sale: a live quote, then payment by cash or card, then the order's
//! outcome for the delivery screen. Amounts travel as decimal strings.

use codetill_core::orders::Quote;
use serde::Deserialize;
use tauri::State;

use super::{MAX_QUERY_CHARS, checked, non_empty};
use crate::error::AppError;
use crate::state::AppState;
use crate::till::Handover;
use codetill_core::money::parse_decimal;
use codetill_core::orders::OrderView;
use codetill_core::till::{Item, Print};

/// The live price and stock of one product (asks the supplier); `amount` is the face
/// value chosen for an open-amount product (core refuses it outside the product's
/// bounds, naming them). A refusal (out of stock, balance too low…) is an
/// `errors.refused.*` error: nothing is charged.
#[tauri::command]
pub async fn quote(
    state: State<'_, AppState>,
    sku: String,
    amount: Option<String>,
) -> Result<Quote, AppError> {
    let item = item(&sku, amount.as_deref())?;
    state.clerk().await?;
    Ok(state
        .till()
        .engine()
        .await?
        .quote_amount(&item.sku, item.amount)
        .await?)
}

/// What is sold: the sku, and the face value typed for an open-amount product.
pub(super) fn item(sku: &str, amount: Option<&str>) -> Result<Item, AppError> {
    let sku = non_empty(checked(sku, "sku", MAX_QUERY_CHARS)?, "sku")?.trim();
    Ok(match amount.map(str::trim).filter(|a| !a.is_empty()) {
        None => Item::from(sku),
        Some(a) => Item::open(
            sku,
            parse_decimal(a).map_err(|e| AppError::validation(format!("amount: {e}")))?,
        ),
    })
}

/// Sells `sku` (at the face value `amount` for an open-amount product) for cash: `tendered` (a decimal string in the price's currency) must
/// cover the live price; the change is computed by core and comes back in `paid`.
/// `email` (optional) also sends the buyer the code; `language` (`en`/`hi`, default
/// `en`) is the receipt's and the email's.
#[tauri::command]
pub async fn sell_cash(
    state: State<'_, AppState>,
    sku: String,
    amount: Option<String>,
    tendered: String,
    email: Option<String>,
    language: Option<String>,
    buyer: Option<BuyerInput>,
) -> Result<OrderView, AppError> {
    let item = item(&sku, amount.as_deref())?;
    let handover = handover(email, language, buyer)?;
    let sale = state.sell_cash(item, &tendered, &handover).await?;
    Ok(OrderView::sale(&sale))
}

/// Sells `sku` paid by card on the external terminal (`terminal_ref` from its slip).
#[tauri::command]
pub async fn sell_card(
    state: State<'_, AppState>,
    sku: String,
    amount: Option<String>,
    terminal_ref: String,
    email: Option<String>,
    language: Option<String>,
    buyer: Option<BuyerInput>,
) -> Result<OrderView, AppError> {
    let item = item(&sku, amount.as_deref())?;
    let terminal_ref = checked(&terminal_ref, "terminal reference", MAX_QUERY_CHARS)?;
    let handover = handover(email, language, buyer)?;
    let sale = state.sell_card(item, terminal_ref, &handover).await?;
    Ok(OrderView::sale(&sale))
}

/// Who buys, as typed at the counter (every field optional): a phone (or the
/// sale's email) keeps the sale under a buyer; a tax id goes on the tax invoice.
/// Core checks each before any payment.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BuyerInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub tax_id: Option<String>,
}

/// The buyer's email (checked by core before any payment), the language, and the
/// buyer's name, phone and tax id.
pub(super) fn handover(
    email: Option<String>,
    language: Option<String>,
    buyer: Option<BuyerInput>,
) -> Result<Handover, AppError> {
    let email = match email {
        Some(e) => Some(checked(&e, "email", MAX_EMAIL_CHARS)?.trim().to_string()),
        None => None,
    };
    let language = super::language(language.as_deref())?;
    let buyer = buyer.unwrap_or_default();
    // Blank fields are no answer: the counter sends what it has.
    let given = |v: Option<String>, what: &str, max: usize| -> Result<Option<String>, AppError> {
        match v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Ok(Some(checked(t, what, max)?.to_string())),
            None => Ok(None),
        }
    };
    Ok(Handover {
        email,
        language,
        print: Print::IfSetUp,
        buyer_name: given(buyer.name, "buyer name", 80)?,
        phone: given(buyer.phone, "phone", 40)?,
        buyer_tax_id: given(buyer.tax_id, "buyer tax id", 40)?,
    })
}

/// The longest address SMTP allows.
const MAX_EMAIL_CHARS: usize = 254;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use codetill_core::money::parse_decimal;
    use serde_json::json;

    use crate::testing::TestApp;

    const SKU: &str = "STEAM-US-20";

    fn is_code(v: &serde_json::Value) -> bool {
        let c = v.as_str().unwrap_or_default();
        c.len() == 17 && c.split('-').all(|part| part.len() == 5)
    }

    #[test]
    fn a_demo_cash_sale_delivers_the_code_and_the_change() {
        let till = TestApp::demo();
        let quote = till.invoke("quote", json!({ "sku": SKU })).unwrap();
        assert_eq!(quote["product"]["sku"], SKU);
        let price = quote["price"]["amount"].as_str().unwrap().to_string();
        assert_eq!(quote["price"]["currency"], "USD");

        let order = till.sell_cash(SKU, "100").unwrap();
        assert_eq!(order["status"], "delivered");
        assert_eq!(order["outcome"], json!({ "outcome": "delivered" }));
        assert_eq!(order["price"], price);
        assert_eq!(order["currency"], "USD");
        assert!(order["order_id"].as_str().unwrap().starts_with("ORD-"));
        let paid = &order["paid"];
        assert_eq!(paid["method"], "cash");
        assert_eq!(paid["tendered"], "100.00");
        let change = parse_decimal("100.00").unwrap() - parse_decimal(&price).unwrap();
        assert_eq!(paid["change"], change.to_string());
        assert_eq!(paid["staff"], "asha");
        let codes = order["codes"].as_array().unwrap();
        assert_eq!(codes.len(), 1);
        assert!(is_code(&codes[0]["code"]), "{}", codes[0]["code"]);
        assert!(codes[0]["serial"].as_str().unwrap().starts_with("SN-"));
        assert!(order["redeem_url"].is_string() || order["redeem_url"].is_null());
        assert!(order["failure"].is_null());
    }

    #[test]
    fn a_card_sale_records_the_terminal_reference() {
        let till = TestApp::demo();
        let order = till
            .invoke(
                "sell_card",
                json!({ "sku": SKU, "terminalRef": " AUTH-778812 " }),
            )
            .unwrap();
        assert_eq!(order["status"], "delivered");
        assert_eq!(order["paid"]["method"], "card");
        assert_eq!(order["paid"]["reference"], "AUTH-778812");
        assert!(order["paid"]["change"].is_null());
        assert!(is_code(&order["codes"][0]["code"]));
    }

    #[test]
    fn cash_below_the_price_is_refused_and_nothing_is_ordered() {
        let till = TestApp::demo();
        let err = till.sell_cash(SKU, "1.00").unwrap_err();
        assert_eq!(err["code"], "errors.short_tender");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("less than the price"),
            "{err}"
        );
        let orders = till.invoke("list_orders", json!({ "query": {} })).unwrap();
        assert_eq!(orders, json!([]), "no order was opened");
    }

    #[test]
    fn what_is_not_an_amount_or_a_reference_is_a_validation_error() {
        let till = TestApp::demo();
        for bad in ["", "abc", "-5", "1.001"] {
            let err = till.sell_cash(SKU, bad).unwrap_err();
            assert_eq!(err["code"], "errors.validation", "{bad:?}: {err}");
        }
        let err = till
            .invoke("sell_card", json!({ "sku": SKU, "terminalRef": "  " }))
            .unwrap_err();
        assert_eq!(
            err,
            json!({ "code": "errors.validation", "message": "the card terminal's reference is empty" })
        );
        let err = till.sell_cash("NOPE-1", "100").unwrap_err();
        assert_eq!(
            err,
            json!({ "code": "errors.unknown_sku", "message": "unknown sku \"NOPE-1\"" })
        );
    }

    #[test]
    fn out_of_stock_at_the_supplier_is_refused_before_payment() {
        let till = TestApp::demo();
        till.sandbox_control("stock", json!({ "sku": SKU, "available": false }));
        let err = till.invoke("quote", json!({ "sku": SKU })).unwrap_err();
        assert_eq!(
            err,
            json!({
                "code": "errors.refused.out_of_stock",
                "message": "sale refused, nothing charged: STEAM-US-20 is out of stock at the supplier",
            })
        );
        let err = till.sell_cash(SKU, "100").unwrap_err();
        assert_eq!(err["code"], "errors.refused.out_of_stock");
    }

    #[test]
    fn a_supplier_that_fails_the_order_after_payment_leaves_a_refund_due() {
        let till = TestApp::demo();
        till.sandbox_control("pending", json!({ "seconds": 0.2, "then": "failed" }));
        let order = till.sell_cash(SKU, "100").unwrap();
        assert_eq!(order["status"], "refund_due", "{order}");
        assert_eq!(order["outcome"]["outcome"], "refund_due");
        assert_eq!(order["outcome"]["code"], "out_of_stock");
        assert_eq!(order["paid"]["method"], "cash", "the payment was taken");
        assert!(order.get("codes").is_none(), "no codes key at all: {order}");
        assert_eq!(order["failure"]["code"], "out_of_stock");

        let alerts = till.invoke("alerts", json!({ "openOnly": true })).unwrap();
        assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
        assert_eq!(alerts[0]["kind"], "refund_due");
        assert_eq!(alerts[0]["order_ref"], order["order_id"]);
        assert_eq!(alerts[0]["state"], "open");
    }

    #[test]
    fn without_a_supplier_a_quote_asks_for_one() {
        let till = TestApp::with_demo_catalog();
        let err = till.invoke("quote", json!({ "sku": SKU })).unwrap_err();
        assert_eq!(err["code"], "errors.no_supplier");
    }
}
