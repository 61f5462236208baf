//! BTCPay Server (Greenfield API): an invoice per remote order, re-read before
//! fulfilment. `Authorization: token KEY`; amounts are decimal strings.
//!
//! `Settled` alone is not enough: a store's payment tolerance settles an invoice
//! paid a few percent short (`additionalStatus: PaidPartial`), and a merchant can
//! mark one settled by hand. So a settled invoice's payment methods are read too,
//! and what they received, at their rates, in the invoice's currency, is reported
//! as received.

use async_trait::async_trait;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{
    LinkRequest, PaymentError, PaymentLink, PaymentProvider, ProviderKind, ProviderPayment,
    base_url, endpoint, http_client, json_decimal, read_json, transport,
};
use crate::money::{Currency, Money};
use crate::secrets::Redacted;

const KIND: ProviderKind = ProviderKind::Btcpay;

pub struct BtcpayClient {
    http: reqwest::Client,
    base: reqwest::Url,
    store: String,
    key: Redacted<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    id: String,
    status: Option<String>,
    /// `None`, `PaidLate`, `PaidPartial`, `Marked`, `Invalid` or `PaidOver`.
    additional_status: Option<String>,
    amount: Option<serde_json::Value>,
    currency: Option<String>,
    checkout_link: Option<String>,
    #[serde(default)]
    metadata: serde_json::Value,
}

/// One of an invoice's payment methods (`GET …/invoices/{id}/payment-methods`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    /// `paymentMethod` before Greenfield 2.0.
    #[serde(alias = "paymentMethod")]
    payment_method_id: Option<String>,
    /// The method's currency in the invoice's currency.
    rate: Option<serde_json::Value>,
    /// What this method received, in its own currency.
    payment_method_paid: Option<serde_json::Value>,
}

fn unreadable(message: String) -> PaymentError {
    PaymentError::Unreadable {
        provider: KIND,
        message,
    }
}

/// The invoice's price, in its currency.
fn price(invoice: &Invoice) -> Option<Money> {
    let currency = Currency::parse(invoice.currency.as_deref()?).ok()?;
    // Greenfield sends the amount as a decimal string; never through a float.
    Some(Money::new(json_decimal(invoice.amount.as_ref())?, currency))
}

/// What the methods received, each at its rate, in `currency`, to its minor unit.
fn received(methods: &[PaymentMethod], currency: Currency) -> Result<Money, PaymentError> {
    let mut total = Decimal::ZERO;
    for m in methods {
        let name = m.payment_method_id.as_deref().unwrap_or("?");
        let paid = json_decimal(m.payment_method_paid.as_ref())
            .ok_or_else(|| unreadable(format!("payment method {name}: no paymentMethodPaid")))?;
        if paid.is_zero() {
            continue;
        }
        let rate = json_decimal(m.rate.as_ref())
            .filter(|r| r.is_sign_positive() && !r.is_zero())
            .ok_or_else(|| unreadable(format!("payment method {name}: no rate")))?;
        total = paid
            .checked_mul(rate)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| unreadable(format!("payment method {name}: {paid} at {rate}")))?;
    }
    Ok(Money::new(
        total.round_dp_with_strategy(currency.exponent(), RoundingStrategy::MidpointAwayFromZero),
        currency,
    ))
}

/// An invoice and, once settled, its payment methods, as codetill reads them.
pub fn read_invoice(
    invoice: Invoice,
    methods: Option<&[PaymentMethod]>,
) -> Result<ProviderPayment, PaymentError> {
    let amount = price(&invoice);
    let received = match (methods, amount) {
        (Some(methods), Some(price)) => Some(received(methods, price.currency)?),
        _ => None,
    };
    let status = invoice.status.unwrap_or_default();
    let additional = invoice.additional_status.unwrap_or_default();
    Ok(ProviderPayment {
        external_id: invoice.id,
        // Settled within the store's tolerance is still short.
        paid: status == "Settled" && additional != "PaidPartial",
        status: if additional.is_empty() || additional == "None" {
            status
        } else {
            format!("{status} ({additional})")
        },
        amount,
        received,
        order_ref: invoice
            .metadata
            .get("orderId")
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl BtcpayClient {
    pub fn new(
        url: &str,
        store: &str,
        key: Redacted<String>,
    ) -> Result<BtcpayClient, PaymentError> {
        let not = |message: String| PaymentError::NotConfigured {
            provider: KIND,
            message,
        };
        if key.expose().trim().is_empty() {
            return Err(not("the API key is empty".into()));
        }
        if !id_ok(store.trim()) {
            return Err(not(format!("{store:?} is not a store id")));
        }
        Ok(BtcpayClient {
            http: http_client(KIND)?,
            base: base_url(KIND, url)?,
            store: store.trim().to_string(),
            key,
        })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, PaymentError> {
        endpoint(
            KIND,
            &self.base,
            &format!("api/v1/stores/{}/{path}", self.store),
        )
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T, PaymentError> {
        let response = self
            .http
            .get(self.url(path)?)
            .header("Authorization", format!("token {}", self.key.expose()))
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        self.read(response, what).await
    }

    async fn read<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Result<T, PaymentError> {
        read_json(KIND, response, what).await
    }
}

#[async_trait]
impl PaymentProvider for BtcpayClient {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    async fn create_link(&self, request: &LinkRequest) -> Result<PaymentLink, PaymentError> {
        let body = json!({
            "amount": request.amount.amount_string(),
            "currency": request.amount.currency.code(),
            "metadata": {
                "orderId": request.order_id,
                "buyerEmail": request.email,
                "itemDesc": request.description,
            },
        });
        let response = self
            .http
            .post(self.url("invoices")?)
            .header("Authorization", format!("token {}", self.key.expose()))
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let invoice: Invoice = self.read(response, "invoice").await?;
        let url = invoice
            .checkout_link
            .ok_or_else(|| PaymentError::Unreadable {
                provider: KIND,
                message: format!("invoice {} has no checkoutLink", invoice.id),
            })?;
        Ok(PaymentLink {
            external_id: invoice.id,
            url,
        })
    }

    async fn payment(&self, external_id: &str) -> Result<ProviderPayment, PaymentError> {
        if !id_ok(external_id) {
            return Err(PaymentError::BadInput(format!(
                "{external_id:?} is not an invoice id"
            )));
        }
        let invoice: Invoice = self
            .get(&format!("invoices/{external_id}"), "invoice")
            .await?;
        // What was paid matters only to an invoice that says it is settled.
        let methods: Option<Vec<PaymentMethod>> = if invoice.status.as_deref() == Some("Settled") {
            Some(
                self.get(
                    &format!("invoices/{external_id}/payment-methods"),
                    "payment methods",
                )
                .await?,
            )
        } else {
            None
        };
        read_invoice(invoice, methods.as_deref())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn invoice(status: &str, additional: &str) -> Invoice {
        serde_json::from_value(
            json!({"id": "inv_1", "status": status, "additionalStatus": additional,
            "amount": "21.99", "currency": "USD", "metadata": {"orderId": "ORD-000001"}}),
        )
        .unwrap()
    }

    fn methods(v: serde_json::Value) -> Vec<PaymentMethod> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_settled_invoice_reports_what_its_methods_received_at_their_rates() {
        let full = methods(json!([
            {"paymentMethodId": "BTC-CHAIN", "currency": "BTC", "rate": "64392.23", "amount": "0.00034150",
             "paymentMethodPaid": "0.00034150", "totalPaid": "0.00034150", "due": "0.00000000"},
            {"paymentMethodId": "BTC-LN", "currency": "BTC", "rate": "64392.23", "amount": "0.00034150",
             "paymentMethodPaid": "0", "totalPaid": "0.00034150", "due": "0"}
        ]));
        let p = read_invoice(invoice("Settled", "None"), Some(&full)).unwrap();
        assert!(p.paid);
        assert_eq!(p.status, "Settled");
        // 0.0003415 × 64392.23 = 21.9899465…: to the cent, the price.
        assert_eq!(p.received, Some(Money::new(dec!(21.99), Currency::USD)));
        assert_eq!(p.amount, p.received);

        // Two percent short, settled by the store's tolerance.
        let short = methods(
            json!([{"paymentMethod": "BTC", "rate": "64392.23", "paymentMethodPaid": "0.0003347"}]),
        );
        let p = read_invoice(invoice("Settled", "PaidPartial"), Some(&short)).unwrap();
        assert!(!p.paid, "PaidPartial is not paid");
        assert_eq!(p.status, "Settled (PaidPartial)");
        assert_eq!(p.received, Some(Money::new(dec!(21.55), Currency::USD)));
        // Short without the flag still reports the short amount.
        let p = read_invoice(invoice("Settled", "None"), Some(&short)).unwrap();
        assert!(p.received.unwrap().amount < dec!(21.99));
        // Marked settled by hand, nothing received.
        let p = read_invoice(invoice("Settled", "Marked"), Some(&[])).unwrap();
        assert_eq!(p.received, Some(Money::new(dec!(0), Currency::USD)));
        // A paying method without a rate cannot be judged.
        let bad = methods(json!([{"paymentMethodId": "BTC-CHAIN", "paymentMethodPaid": "0.1"}]));
        assert!(read_invoice(invoice("Settled", "None"), Some(&bad)).is_err());
        // Not settled: nothing asked of the methods.
        let p = read_invoice(invoice("Processing", "None"), None).unwrap();
        assert!(!p.paid);
        assert_eq!(p.received, None);
    }
}
