//! Stripe Checkout: a checkout session per remote order, re-read before fulfilment.
//! The API takes form-encoded bodies and a Bearer secret key; amounts are integer
//! minor units with a lower-case currency.
//!
//! A session stays `paid` after its payment is refunded or disputed, so the re-read
//! expands the payment's charge and counts a refunded or disputed one as unpaid: a
//! shop that refunded a buyer from Stripe's dashboard never then sends the code.

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    LinkRequest, PaymentError, PaymentLink, PaymentProvider, ProviderKind, ProviderPayment,
    base_url, endpoint, http_client, read_json, transport,
};
use crate::money::{Currency, Money};
use crate::secrets::Redacted;

pub const DEFAULT_API_URL: &str = "https://api.stripe.com";
const KIND: ProviderKind = ProviderKind::Stripe;

pub struct StripeClient {
    http: reqwest::Client,
    base: reqwest::Url,
    key: Redacted<String>,
    success_url: Option<String>,
}

/// The part of a Checkout Session codetill reads.
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
    payment_status: Option<String>,
    amount_total: Option<i64>,
    currency: Option<String>,
    client_reference_id: Option<String>,
    /// Expanded on the re-read (`payment_intent.latest_charge`); an id, or absent,
    /// otherwise.
    payment_intent: Option<serde_json::Value>,
}

/// What became of a session's charge after the buyer paid: "refunded" (in whole
/// or in part) or "disputed", or None while it stands.
fn charge_undone(payment_intent: Option<&serde_json::Value>) -> Option<&'static str> {
    let charge = payment_intent?.get("latest_charge")?;
    let refunded = charge.get("refunded").and_then(|v| v.as_bool()) == Some(true)
        || charge
            .get("amount_refunded")
            .and_then(|v| v.as_i64())
            .is_some_and(|a| a > 0);
    let disputed = charge.get("disputed").and_then(|v| v.as_bool()) == Some(true);
    if disputed {
        Some("disputed")
    } else if refunded {
        Some("refunded")
    } else {
        None
    }
}

impl StripeClient {
    pub fn new(
        api_url: &str,
        key: Redacted<String>,
        success_url: Option<String>,
    ) -> Result<StripeClient, PaymentError> {
        if key.expose().trim().is_empty() {
            return Err(PaymentError::NotConfigured {
                provider: KIND,
                message: "the API key is empty".into(),
            });
        }
        Ok(StripeClient {
            http: http_client(KIND)?,
            base: base_url(KIND, api_url)?,
            key,
            success_url,
        })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, PaymentError> {
        endpoint(KIND, &self.base, path)
    }

    async fn session(&self, response: reqwest::Response) -> Result<Session, PaymentError> {
        read_json(KIND, response, "checkout session").await
    }
}

/// The form body of a checkout session for one unit of `request`.
pub fn session_form(
    request: &LinkRequest,
    success_url: Option<&str>,
) -> Result<String, PaymentError> {
    let minor = request
        .amount
        .to_minor()
        .map_err(|e| PaymentError::BadInput(e.to_string()))?
        .to_string();
    let currency = request.amount.currency.code().to_ascii_lowercase();
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("mode", "payment")
        .append_pair("client_reference_id", &request.order_id)
        .append_pair("metadata[order_id]", &request.order_id)
        .append_pair("customer_email", &request.email)
        .append_pair("line_items[0][quantity]", "1")
        .append_pair("line_items[0][price_data][currency]", &currency)
        .append_pair("line_items[0][price_data][unit_amount]", &minor)
        .append_pair(
            "line_items[0][price_data][product_data][name]",
            &request.description,
        );
    if let Some(url) = success_url {
        form.append_pair("success_url", url);
    }
    Ok(form.finish())
}

#[async_trait]
impl PaymentProvider for StripeClient {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    async fn create_link(&self, request: &LinkRequest) -> Result<PaymentLink, PaymentError> {
        let body = session_form(request, self.success_url.as_deref())?;
        let response = self
            .http
            .post(self.url("v1/checkout/sessions")?)
            .bearer_auth(self.key.expose())
            // One session per order, even if this request is sent twice.
            .header("Idempotency-Key", &request.idempotency_key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let session = self.session(response).await?;
        let url = session.url.ok_or_else(|| PaymentError::Unreadable {
            provider: KIND,
            message: format!("checkout session {} has no url", session.id),
        })?;
        Ok(PaymentLink {
            external_id: session.id,
            url,
        })
    }

    async fn payment(&self, external_id: &str) -> Result<ProviderPayment, PaymentError> {
        if external_id.is_empty()
            || !external_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(PaymentError::BadInput(format!(
                "{external_id:?} is not a checkout session id"
            )));
        }
        let response = self
            .http
            .get(self.url(&format!("v1/checkout/sessions/{external_id}"))?)
            .query(&[("expand[]", "payment_intent.latest_charge")])
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let s = self.session(response).await?;
        let amount = match (s.amount_total, s.currency.as_deref()) {
            (Some(minor), Some(code)) => Currency::parse(code)
                .ok()
                .map(|c| Money::from_minor(minor, c)),
            _ => None,
        };
        let mut status = s.payment_status.unwrap_or_default();
        let undone = charge_undone(s.payment_intent.as_ref());
        if let Some(what) = undone {
            status = format!("{status}, then {what}");
        }
        Ok(ProviderPayment {
            external_id: s.id,
            paid: status == "paid" && undone.is_none(),
            status,
            amount,
            // `paid` is for the session's whole amount_total.
            received: None,
            order_ref: s.client_reference_id,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_form_names_the_order_and_the_amount_in_minor_units() {
        let request = LinkRequest {
            order_id: "ORD-000007".into(),
            idempotency_key: "ct-01J".into(),
            amount: Money::new(dec!(21.99), Currency::USD),
            description: "Steam Gift Card $20 — US".into(),
            email: "buyer@example.com".into(),
        };
        let form = session_form(&request, None).unwrap();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("client_reference_id"), Some("ORD-000007"));
        assert_eq!(get("metadata[order_id]"), Some("ORD-000007"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("2199"));
        assert_eq!(get("line_items[0][price_data][currency]"), Some("usd"));
        assert_eq!(get("success_url"), None);
    }

    #[test]
    fn a_refunded_or_disputed_charge_undoes_the_payment() {
        let intent =
            |charge: serde_json::Value| serde_json::json!({"id": "pi_1", "latest_charge": charge});
        assert_eq!(charge_undone(None), None);
        assert_eq!(charge_undone(Some(&serde_json::json!("pi_1"))), None);
        let standing =
            intent(serde_json::json!({"refunded": false, "amount_refunded": 0, "disputed": false}));
        assert_eq!(charge_undone(Some(&standing)), None);
        let part = intent(
            serde_json::json!({"refunded": false, "amount_refunded": 500, "disputed": false}),
        );
        assert_eq!(charge_undone(Some(&part)), Some("refunded"));
        let whole = intent(serde_json::json!({"refunded": true, "amount_refunded": 2199}));
        assert_eq!(charge_undone(Some(&whole)), Some("refunded"));
        let disputed = intent(serde_json::json!({"refunded": false, "disputed": true}));
        assert_eq!(charge_undone(Some(&disputed)), Some("disputed"));
    }
}
