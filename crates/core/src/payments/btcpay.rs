//! BTCPay Server (Greenfield API): an invoice per remote order, re-read before
//! fulfilment. `Authorization: token KEY`; amounts are decimal strings.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{
    LinkRequest, PaymentError, PaymentLink, PaymentProvider, ProviderKind, ProviderPayment,
    base_url, http_client, read_body, refusal, transport,
};
use crate::money::{Currency, Money, parse_decimal};
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
struct Invoice {
    id: String,
    status: Option<String>,
    amount: Option<serde_json::Value>,
    currency: Option<String>,
    checkout_link: Option<String>,
    #[serde(default)]
    metadata: serde_json::Value,
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
        self.base
            .join(&format!("api/v1/stores/{}/{path}", self.store))
            .map_err(|e| PaymentError::NotConfigured {
                provider: KIND,
                message: format!("URL for {path}: {e}"),
            })
    }

    async fn invoice(&self, response: reqwest::Response) -> Result<Invoice, PaymentError> {
        if !response.status().is_success() {
            return Err(refusal(KIND, response).await);
        }
        let bytes = read_body(KIND, response).await?;
        serde_json::from_slice(&bytes).map_err(|e| PaymentError::Unreadable {
            provider: KIND,
            message: format!("invoice: {e}"),
        })
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
        let invoice = self.invoice(response).await?;
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
        let response = self
            .http
            .get(self.url(&format!("invoices/{external_id}"))?)
            .header("Authorization", format!("token {}", self.key.expose()))
            .send()
            .await
            .map_err(|e| transport(KIND, &e))?;
        let invoice = self.invoice(response).await?;
        // Greenfield sends the amount as a decimal string; never through a float.
        let amount_text = match &invoice.amount {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let amount = match (amount_text, invoice.currency.as_deref()) {
            (Some(a), Some(c)) => match (parse_decimal(&a), Currency::parse(c)) {
                (Ok(a), Ok(c)) => Some(Money::new(a, c)),
                _ => None,
            },
            _ => None,
        };
        let status = invoice.status.unwrap_or_default();
        Ok(ProviderPayment {
            external_id: invoice.id,
            paid: status == "Settled",
            status,
            amount,
            order_ref: invoice
                .metadata
                .get("orderId")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        })
    }
}
