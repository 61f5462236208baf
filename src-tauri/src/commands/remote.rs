//! Selling to a buyer who is not at the counter: a `quoted` order and a payment link
//! (Stripe Checkout, a BTCPay or NOWPayments invoice, a Razorpay payment link) with
//! its QR code for the screen. The order is paid and fulfilled later, when the
//! provider's payment event comes through the relay ([`crate::relay`]); the screen
//! follows it with the `order` command.

use codetill_core::payments::ProviderKind;
use codetill_core::remote::{self, RemoteOrder};
use serde::Serialize;
use tauri::State;

use super::{MAX_QUERY_CHARS, checked, non_empty};
use crate::error::AppError;
use crate::state::AppState;

/// The longest address SMTP allows.
const MAX_EMAIL_CHARS: usize = 254;

/// A remote order as the screen shows it: the order and its payment link, and the
/// link as a QR code (SVG) for the buyer's phone.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteSaleView {
    #[serde(flatten)]
    pub order: RemoteOrder,
    /// `None` only for a link too long for any QR code: the link itself still shows.
    pub qr_svg: Option<String>,
}

/// Quotes `sku` live and opens a remote order for `email`, paid through `provider`
/// (`stripe`, `btcpay`, `nowpayments` or `razorpay`). Bad input, a refusal or a
/// provider that is not set up creates nothing; a link the provider would not make
/// cancels the quote.
#[tauri::command]
pub async fn sell_remotely(
    state: State<'_, AppState>,
    sku: String,
    email: String,
    provider: String,
    language: Option<String>,
) -> Result<RemoteSaleView, AppError> {
    let sku = non_empty(checked(&sku, "sku", MAX_QUERY_CHARS)?, "sku")?;
    let email = non_empty(checked(&email, "email", MAX_EMAIL_CHARS)?, "email")?;
    let provider: ProviderKind = checked(&provider, "provider", MAX_QUERY_CHARS)?.parse()?;
    let language = super::language(language.as_deref())?;
    let till = state.till();
    let clerk = state.clerk_at(&till).await?;
    let order = till
        .sell_remotely(sku, email, language, provider, &clerk)
        .await?;
    let qr_svg = remote::svg_qr(&order.payment_url);
    Ok(RemoteSaleView { order, qr_svg })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::{Form, Json, Router};
    use codetill_core::payments::STRIPE_API_URL;
    use codetill_core::secrets::names;
    use serde_json::{Value, json};

    use crate::testing::{TestApp, block_on};

    const SKU: &str = "STEAM-US-20";
    const KEY: &str = "sk_test_counter";
    const BUYER: &str = "buyer@example.com";

    type Forms = Arc<Mutex<Vec<HashMap<String, String>>>>;

    /// Stripe's `POST /v1/checkout/sessions` on loopback: checks the key, keeps the
    /// form it was sent and answers a session with its checkout URL.
    struct FakeStripe {
        url: String,
        forms: Forms,
    }

    async fn create_session(
        State(forms): State<Forms>,
        headers: HeaderMap,
        Form(form): Form<HashMap<String, String>>,
    ) -> (StatusCode, Json<Value>) {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {KEY}")) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": { "message": "Invalid API Key provided" } })),
            );
        }
        let mut forms = forms.lock().unwrap();
        forms.push(form);
        let id = format!("cs_test_{:04}", forms.len());
        let url = format!("https://checkout.stripe.test/c/pay/{id}");
        (StatusCode::OK, Json(json!({ "id": id, "url": url })))
    }

    impl FakeStripe {
        fn start() -> FakeStripe {
            let forms = Forms::default();
            let app = Router::new()
                .route("/v1/checkout/sessions", post(create_session))
                .with_state(forms.clone());
            let listener = block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tauri::async_runtime::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            FakeStripe { url, forms }
        }

        fn sessions(&self) -> Vec<HashMap<String, String>> {
            self.forms.lock().unwrap().clone()
        }
    }

    /// A demo till whose Stripe is `stripe`, with `key` in its secret store.
    fn till_with_stripe(stripe: &FakeStripe, key: Option<&str>) -> TestApp {
        let app = TestApp::demo();
        let till = app.state().till();
        block_on(codetill_core::settings::set(
            till.db().pool(),
            STRIPE_API_URL,
            &stripe.url,
        ))
        .unwrap();
        if let Some(key) = key {
            till.secrets().set(names::STRIPE_KEY, key).unwrap();
        }
        app
    }

    fn sell(app: &TestApp, sku: &str, email: &str, provider: &str) -> Result<Value, Value> {
        app.invoke(
            "sell_remotely",
            json!({ "sku": sku, "email": email, "provider": provider }),
        )
    }

    fn orders(app: &TestApp) -> Vec<Value> {
        let list = app.invoke("list_orders", json!({ "query": {} })).unwrap();
        list.as_array().unwrap().clone()
    }

    #[test]
    fn a_remote_sale_makes_a_payment_link_its_qr_code_and_a_quoted_order() {
        let stripe = FakeStripe::start();
        let app = till_with_stripe(&stripe, Some(KEY));
        let price = app.invoke("quote", json!({ "sku": SKU })).unwrap()["price"].clone();

        let sale = sell(&app, SKU, &format!(" {BUYER} "), "Stripe").unwrap();
        assert_eq!(sale["provider"], "stripe");
        assert_eq!(sale["status"], "quoted");
        assert_eq!(sale["email"], BUYER);
        assert_eq!(sale["price"], price["amount"]);
        assert_eq!(sale["currency"], price["currency"]);
        assert_eq!(
            sale["payment_url"],
            "https://checkout.stripe.test/c/pay/cs_test_0001"
        );
        let order_id = sale["order_id"].as_str().unwrap();
        assert!(order_id.starts_with("ORD-"), "{order_id}");
        let qr = sale["qr_svg"].as_str().unwrap();
        assert!(qr.starts_with("<svg") && qr.contains("<path"), "{qr}");
        assert_eq!(
            Some(qr),
            codetill_core::remote::svg_qr("https://checkout.stripe.test/c/pay/cs_test_0001")
                .as_deref()
        );

        // Stripe was asked for exactly this order, amount and buyer.
        let sessions = stripe.sessions();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0]["client_reference_id"], order_id);
        assert_eq!(sessions[0]["customer_email"], BUYER);
        let minor = price["amount"].as_str().unwrap().replace('.', "");
        assert_eq!(
            sessions[0]["line_items[0][price_data][unit_amount]"].trim_start_matches('0'),
            minor.trim_start_matches('0')
        );

        // The screen follows the order with the `order` command.
        let order = app.invoke("order", json!({ "id": order_id })).unwrap();
        assert_eq!(order["status"], "quoted");
        assert_eq!(order["staff"], "asha");
        assert_eq!(order["till_id"], "till-1");
        assert!(order["paid"].is_null());
        assert_eq!(orders(&app).len(), 1);
    }

    #[test]
    fn the_buyers_language_goes_with_the_order_and_a_bad_one_is_refused() {
        let stripe = FakeStripe::start();
        let app = till_with_stripe(&stripe, Some(KEY));
        let bad = app
            .invoke(
                "sell_remotely",
                json!({ "sku": SKU, "email": BUYER, "provider": "stripe", "language": "fr" }),
            )
            .unwrap_err();
        assert_eq!(bad["code"], "errors.validation", "{bad}");
        assert!(orders(&app).is_empty(), "nothing opened for a bad language");
        assert!(stripe.sessions().is_empty(), "and no link asked for");

        let sale = app
            .invoke(
                "sell_remotely",
                json!({ "sku": SKU, "email": BUYER, "provider": "stripe", "language": "hi" }),
            )
            .unwrap();
        let language: String = block_on(
            sqlx::query_scalar("SELECT language FROM orders WHERE public_id = ?1")
                .bind(sale["order_id"].as_str().unwrap())
                .fetch_one(app.state().till().db().pool()),
        )
        .unwrap();
        assert_eq!(language, "hi", "the code's email will be in Hindi");
    }

    #[test]
    fn bad_input_is_refused_before_anything_is_created() {
        let stripe = FakeStripe::start();
        let app = till_with_stripe(&stripe, Some(KEY));
        for (sku, email, provider, code) in [
            (SKU, "not-an-address", "stripe", "errors.validation"),
            (SKU, "  ", "stripe", "errors.validation"),
            (SKU, BUYER, "paypal", "errors.validation"),
            ("NOPE-1", BUYER, "stripe", "errors.unknown_sku"),
            ("", BUYER, "stripe", "errors.validation"),
        ] {
            let err = sell(&app, sku, email, provider).unwrap_err();
            assert_eq!(err["code"], code, "{sku:?} {email:?} {provider:?}: {err}");
        }
        let err = sell(&app, SKU, BUYER, "paypal").unwrap_err();
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("stripe, btcpay, nowpayments or razorpay"),
            "{err}"
        );
        assert!(orders(&app).is_empty(), "no order was opened");
        assert!(stripe.sessions().is_empty(), "no link was asked for");
    }

    #[test]
    fn a_provider_without_a_key_is_its_own_error_and_creates_nothing() {
        let stripe = FakeStripe::start();
        let app = till_with_stripe(&stripe, None);
        let err = sell(&app, SKU, BUYER, "stripe").unwrap_err();
        assert_eq!(err["code"], "errors.payment_provider", "{err}");
        assert!(
            err["message"].as_str().unwrap().contains("no API key"),
            "{err}"
        );
        // BTCPay has no server set at all.
        let err = sell(&app, SKU, BUYER, "btcpay").unwrap_err();
        assert_eq!(err["code"], "errors.payment_provider", "{err}");
        assert!(orders(&app).is_empty(), "no order was opened");
        assert!(stripe.sessions().is_empty());
    }

    #[test]
    fn a_link_the_provider_refuses_cancels_the_quote() {
        let stripe = FakeStripe::start();
        let app = till_with_stripe(&stripe, Some("sk_test_wrong"));
        let err = sell(&app, SKU, BUYER, "stripe").unwrap_err();
        assert_eq!(err["code"], "errors.payment_link", "{err}");
        assert!(
            err["message"].as_str().unwrap().contains("Invalid API Key"),
            "{err}"
        );
        assert!(
            !err["message"].as_str().unwrap().contains("sk_test_wrong"),
            "the key is never shown"
        );
        let list = orders(&app);
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["status"], "cancelled", "nothing waits for payment");
    }
}
