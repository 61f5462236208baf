//! Razorpay Payment Links: a link per remote order (`reference_id` = our order id,
//! which Razorpay requires to be unique per link, so a request sent twice cannot
//! make two payable links),
//! re-read before fulfilment. Basic auth with the key id and key secret; amounts
//! are integer minor units (paise) with an upper-case currency.
//!
//! Final is `status: paid` with `amount_paid` equal to `amount`; partial payments
//! are not allowed on our links, and a `partially_paid` one is held.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    LinkRequest, PaymentError, PaymentLink, PaymentProvider, ProviderKind, ProviderPayment,
    base_url, endpoint, http_client, read_json, transport,
};
use crate::money::{Currency, Money};
use crate::secrets::Redacted;

pub const DEFAULT_API_URL: &str = "https://api.razorpay.com";
const KIND: ProviderKind = ProviderKind::Razorpay;

pub struct RazorpayClient {
    http: reqwest::Client,
    base: reqwest::Url,
    key_id: String,
    key_secret: Redacted<String>,
}

/// The part of a Payment Link entity codetill reads.
#[derive(Debug, Deserialize)]
pub struct Link {
    pub id: String,
    pub short_url: Option<String>,
    pub status: Option<String>,
    pub amount: Option<i64>,
    pub amount_paid: Option<i64>,
    pub currency: Option<String>,
    pub reference_id: Option<String>,
}

/// `plink_` and letters or digits.
fn link_id_ok(s: &str) -> bool {
    s.strip_prefix("plink_").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 40 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// How long a link can be paid: a day, inside the 25 hours after which an unpaid
/// remote order is cancelled. Razorpay links otherwise never expire, and a buyer
/// paying a cancelled order would be charged for nothing.
pub const LINK_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

/// The body of `POST /v1/payment_links` for `request`, made at `now`.
pub fn link_body(
    request: &LinkRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, PaymentError> {
    let minor = request
        .amount
        .to_minor()
        .map_err(|e| PaymentError::BadInput(e.to_string()))?;
    Ok(json!({
        "amount": minor,
        "currency": request.amount.currency.code(),
        "accept_partial": false,
        "reference_id": request.order_id,
        "description": request.description,
        "customer": { "email": request.email },
        // The code's email is ours to send; Razorpay need not mail the link.
        "notify": { "email": false, "sms": false },
        "reminder_enable": false,
        "expire_by": (now + LINK_LIFETIME).timestamp(),
        "notes": { "order_id": request.order_id },
    }))
}

/// A Payment Link entity as codetill reads it.
pub fn read_link(link: Link) -> ProviderPayment {
    let currency = link
        .currency
        .as_deref()
        .and_then(|c| Currency::parse(c).ok());
    let amount = link
        .amount
        .zip(currency)
        .map(|(m, c)| Money::from_minor(m, c));
    let received = link
        .amount_paid
        .zip(currency)
        .map(|(m, c)| Money::from_minor(m, c));
    let status = link.status.unwrap_or_default();
    let whole = matches!((link.amount, link.amount_paid), (Some(a), Some(p)) if a == p && a > 0);
    ProviderPayment {
        external_id: link.id,
        paid: status == "paid" && whole,
        status,
        amount,
        received,
        order_ref: link.reference_id,
    }
}

impl RazorpayClient {
    pub fn new(
        api_url: &str,
        key_id: &str,
        key_secret: Redacted<String>,
    ) -> Result<RazorpayClient, PaymentError> {
        let not = |message: &str| PaymentError::NotConfigured {
            provider: KIND,
            message: message.to_string(),
        };
        let key_id = key_id.trim();
        if key_id.is_empty()
            || !key_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(not("the key id is empty or not a Razorpay key id"));
        }
        if key_secret.expose().trim().is_empty() {
            return Err(not("the key secret is empty"));
        }
        Ok(RazorpayClient {
            http: http_client(KIND)?,
            base: base_url(KIND, api_url)?,
            key_id: key_id.to_string(),
            key_secret,
        })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, PaymentError> {
        endpoint(KIND, &self.base, path)
    }

    async fn link(&self, response: reqwest::Response) -> Result<Link, PaymentError> {
        read_json(KIND, response, "payment link").await
    }
}

#[async_trait]
impl PaymentProvider for RazorpayClient {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    async fn create_link(&self, request: &LinkRequest) -> Result<PaymentLink, PaymentError> {
        let body = link_body(request, chrono::Utc::now())?;
        let response = self
            .http
            .post(self.url("v1/payment_links")?)
            .basic_auth(&self.key_id, Some(self.key_secret.expose()))
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let link = self.link(response).await?;
        let url =
            link.short_url
                .filter(|u| !u.is_empty())
                .ok_or_else(|| PaymentError::Unreadable {
                    provider: KIND,
                    message: format!("payment link {} has no short_url", link.id),
                })?;
        Ok(PaymentLink {
            external_id: link.id,
            url,
        })
    }

    async fn payment(&self, external_id: &str) -> Result<ProviderPayment, PaymentError> {
        if !link_id_ok(external_id) {
            return Err(PaymentError::BadInput(format!(
                "{external_id:?} is not a payment link id"
            )));
        }
        let response = self
            .http
            .get(self.url(&format!("v1/payment_links/{external_id}"))?)
            .basic_auth(&self.key_id, Some(self.key_secret.expose()))
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        Ok(read_link(self.link(response).await?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_link_asks_the_whole_price_in_paise_for_our_order() {
        let request = LinkRequest {
            order_id: "ORD-000007".into(),
            idempotency_key: "ct-01J".into(),
            amount: Money::new(dec!(1899.5), Currency::parse("INR").unwrap()),
            description: "Google Play ₹1900".into(),
            email: "buyer@example.com".into(),
        };
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let body = link_body(&request, now).unwrap();
        assert_eq!(body["amount"], 189950);
        // Unpayable a day on, before the unpaid order is cancelled (25 hours).
        assert_eq!(body["expire_by"], 1_800_000_000 + 24 * 3600);
        assert_eq!(body["currency"], "INR");
        assert_eq!(body["accept_partial"], false);
        assert_eq!(body["reference_id"], "ORD-000007");
    }

    fn link(status: &str, amount: i64, paid: i64) -> Link {
        serde_json::from_value(
            json!({"id": "plink_ExjpAUN3gVHrPJ", "short_url": "https://rzp.io/i/x",
            "status": status, "amount": amount, "amount_paid": paid, "currency": "INR",
            "reference_id": "ORD-000007", "accept_partial": false, "payments": []}),
        )
        .unwrap()
    }

    #[test]
    fn only_a_link_paid_in_full_is_paid() {
        let inr = Currency::parse("INR").unwrap();
        let p = read_link(link("paid", 189950, 189950));
        assert!(p.paid);
        assert_eq!(p.amount, Some(Money::new(dec!(1899.50), inr)));
        assert_eq!(p.received, p.amount);
        assert_eq!(p.order_ref.as_deref(), Some("ORD-000007"));
        assert!(!read_link(link("paid", 189950, 100000)).paid);
        assert!(!read_link(link("partially_paid", 189950, 100000)).paid);
        assert!(!read_link(link("created", 189950, 0)).paid);
        assert!(!read_link(link("paid", 0, 0)).paid);
        assert!(link_id_ok("plink_ExjpAUN3gVHrPJ"));
        assert!(!link_id_ok("plink_../x") && !link_id_ok("pay_1") && !link_id_ok("plink_"));
    }
}
