//! NOWPayments: an invoice (a hosted payment page) per remote order; the buyer's
//! crypto payment against it has its own `payment_id`, which is what their IPNs and
//! `GET /v1/payment/{id}` speak of. `x-api-key` header; the price is in the order's
//! fiat currency (lower-case code), what was paid is in crypto.
//!
//! Only `finished` is final. What was paid in crypto is not compared with the price:
//! NOWPayments converts and judges that itself (a short payment is
//! `partially_paid`); what codetill checks is that the payment is for our invoice
//! and that its price is the order's.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{
    LinkRequest, PaymentError, PaymentLink, PaymentProvider, ProviderKind, ProviderPayment,
    base_url, endpoint, http_client, json_decimal, json_id, read_json, transport,
};
use crate::money::{Currency, Money};
use crate::secrets::Redacted;

pub const DEFAULT_API_URL: &str = "https://api.nowpayments.io";
const KIND: ProviderKind = ProviderKind::Nowpayments;

pub struct NowpaymentsClient {
    http: reqwest::Client,
    base: reqwest::Url,
    key: Redacted<String>,
    ipn_url: Option<String>,
}

/// Their payment ids are numbers.
fn payment_id_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The body of `POST /v1/invoice` for `request`.
pub fn invoice_body(request: &LinkRequest, ipn_url: Option<&str>) -> Result<Value, PaymentError> {
    // A JSON number, as their API takes it; written from the decimal's own text.
    let price: serde_json::Number = request
        .amount
        .amount_string()
        .parse()
        .map_err(|e| PaymentError::BadInput(format!("price {}: {e}", request.amount)))?;
    let mut body = json!({
        "price_amount": price,
        "price_currency": request.amount.currency.code().to_ascii_lowercase(),
        "order_id": request.order_id,
        "order_description": request.description,
    });
    if let Some(url) = ipn_url.filter(|u| !u.trim().is_empty()) {
        body["ipn_callback_url"] = json!(url.trim());
    }
    Ok(body)
}

/// `GET /v1/payment/{id}` as codetill reads it.
pub fn read_payment(v: &Value) -> Result<ProviderPayment, PaymentError> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(payment_id) = json_id(v.get("payment_id")) else {
        return Err(PaymentError::Unreadable {
            provider: KIND,
            message: "payment without payment_id".into(),
        });
    };
    let amount = match (
        json_decimal(v.get("price_amount")),
        text("price_currency").map(|c| Currency::parse(&c)),
    ) {
        (Some(a), Some(Ok(c))) => Some(Money::new(a, c)),
        _ => None,
    };
    let status = text("payment_status").unwrap_or_default();
    tracing::debug!(payment = %payment_id, %status, "NOWPayments payment read");
    Ok(ProviderPayment {
        // A payment made outside our invoices has none: it matches no link.
        external_id: json_id(v.get("invoice_id")).unwrap_or_default(),
        paid: status == "finished",
        status,
        amount,
        received: None,
        order_ref: text("order_id"),
    })
}

impl NowpaymentsClient {
    pub fn new(
        api_url: &str,
        key: Redacted<String>,
        ipn_url: Option<String>,
    ) -> Result<NowpaymentsClient, PaymentError> {
        if key.expose().trim().is_empty() {
            return Err(PaymentError::NotConfigured {
                provider: KIND,
                message: "the API key is empty".into(),
            });
        }
        if let Some(url) = ipn_url.as_deref().filter(|u| !u.trim().is_empty()) {
            base_url(KIND, url)?;
        }
        Ok(NowpaymentsClient {
            http: http_client(KIND)?,
            base: base_url(KIND, api_url)?,
            key,
            ipn_url,
        })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, PaymentError> {
        endpoint(KIND, &self.base, path)
    }

    async fn json(&self, response: reqwest::Response, what: &str) -> Result<Value, PaymentError> {
        read_json(KIND, response, what).await
    }
}

#[async_trait]
impl PaymentProvider for NowpaymentsClient {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    async fn create_link(&self, request: &LinkRequest) -> Result<PaymentLink, PaymentError> {
        let body = invoice_body(request, self.ipn_url.as_deref())?;
        let response = self
            .http
            .post(self.url("v1/invoice")?)
            .header("x-api-key", self.key.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let invoice = self.json(response, "invoice").await?;
        let unreadable = |message: String| PaymentError::Unreadable {
            provider: KIND,
            message,
        };
        let id =
            json_id(invoice.get("id")).ok_or_else(|| unreadable("invoice without id".into()))?;
        let url = invoice
            .get("invoice_url")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| unreadable(format!("invoice {id} has no invoice_url")))?;
        Ok(PaymentLink {
            external_id: id,
            url: url.to_string(),
        })
    }

    /// `external_id` here is the payment's id (an IPN's `payment_id`), not the
    /// invoice's: the answer names the invoice it belongs to.
    async fn payment(&self, external_id: &str) -> Result<ProviderPayment, PaymentError> {
        if !payment_id_ok(external_id) {
            return Err(PaymentError::BadInput(format!(
                "{external_id:?} is not a NOWPayments payment id"
            )));
        }
        let response = self
            .http
            .get(self.url(&format!("v1/payment/{external_id}"))?)
            .header("x-api-key", self.key.expose())
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let payment = self.json(response, "payment").await?;
        read_payment(&payment)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn request() -> LinkRequest {
        LinkRequest {
            order_id: "ORD-000007".into(),
            idempotency_key: "ct-01J".into(),
            amount: Money::new(dec!(21.99), Currency::USD),
            description: "Steam Gift Card $20 — US".into(),
            email: "buyer@example.com".into(),
        }
    }

    #[test]
    fn the_invoice_names_the_order_and_the_price_as_a_number() {
        let body = invoice_body(&request(), Some("https://relay.example/in/ep_1")).unwrap();
        assert_eq!(
            body.to_string(),
            json!({"price_amount": 21.99, "price_currency": "usd", "order_id": "ORD-000007",
                "order_description": "Steam Gift Card $20 — US",
                "ipn_callback_url": "https://relay.example/in/ep_1"})
            .to_string()
        );
        assert!(
            invoice_body(&request(), None)
                .unwrap()
                .get("ipn_callback_url")
                .is_none()
        );
    }

    #[test]
    fn only_finished_is_paid_and_the_price_is_read_exactly() {
        let mut v = json!({"payment_id": 5077125051u64, "invoice_id": 4522625843u64,
            "payment_status": "finished", "price_amount": 21.99, "price_currency": "usd",
            "pay_amount": 0.00034151, "actually_paid": 0.00034151, "pay_currency": "btc",
            "order_id": "ORD-000007"});
        let p = read_payment(&v).unwrap();
        assert!(p.paid);
        assert_eq!(p.external_id, "4522625843");
        assert_eq!(p.amount, Some(Money::new(dec!(21.99), Currency::USD)));
        assert_eq!(p.received, None);
        assert_eq!(p.order_ref.as_deref(), Some("ORD-000007"));
        for status in [
            "waiting",
            "confirming",
            "confirmed",
            "sending",
            "partially_paid",
            "failed",
            "refunded",
            "expired",
        ] {
            v["payment_status"] = json!(status);
            assert!(!read_payment(&v).unwrap().paid, "{status}");
        }
        // Their invoice answers write numbers as strings.
        v["price_amount"] = json!("1000");
        v["invoice_id"] = Value::Null;
        let p = read_payment(&v).unwrap();
        assert_eq!(p.amount, Some(Money::new(dec!(1000), Currency::USD)));
        assert_eq!(p.external_id, "", "a payment of no invoice matches no link");
        assert!(matches!(
            read_payment(&json!({})),
            Err(PaymentError::Unreadable { .. })
        ));
        assert!(!payment_id_ok("12/../3") && payment_id_ok("5077125051"));
    }
}
