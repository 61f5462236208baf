//! Airtime top-ups with PINs: `POST /topups` under `customIdentifier`, answered at
//! once with `pinDetail` when the top-up succeeded; `GET /topups/{id}/status` and the
//! top-up reports find it again.

use std::time::Instant;

use reqwest::Method;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalog::{Amount, Denomination, sku};
use super::giftcards::{Status, card_text, matches, status};
use super::http::{classify, read_error, unreadable};
use super::{AIRTIME_PREFIX, ReloadlyClient};
use crate::money::{Currency, Money};
use crate::secrets::Redacted;
use crate::supplier::wholesale::read_body;
use crate::supplier::{
    IssuedCode, OrderRequest, SupplierError, SupplierOrder, SupplierOrderStatus,
};

/// An amount as the JSON number Reloadly expects.
pub(super) fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceInfo {
    new_balance: Option<Amount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Topup {
    transaction_id: u64,
    status: String,
    custom_identifier: Option<String>,
    operator_id: Option<u64>,
    requested_amount: Option<Amount>,
    requested_amount_currency_code: Option<String>,
    delivered_amount: Option<Amount>,
    pin_detail: Option<Value>,
    balance_info: Option<BalanceInfo>,
}

#[derive(Deserialize)]
struct StatusBody {
    transaction: Topup,
}

impl Topup {
    fn pin(&self) -> Result<Option<IssuedCode>, SupplierError> {
        let Some(detail) = self.pin_detail.as_ref().filter(|d| d.is_object()) else {
            return Ok(None);
        };
        Ok(
            card_text(detail.get("code"), "code")?.map(|code| IssuedCode {
                code: Redacted::new(code),
                pin: None,
                serial: card_text(detail.get("serial"), "serial").ok().flatten(),
                expires_at: card_text(detail.get("validity"), "validity").ok().flatten(),
            }),
        )
    }

    fn order(
        &self,
        key: &str,
        sku_hint: Option<&str>,
        status: SupplierOrderStatus,
        codes: Vec<IssuedCode>,
    ) -> Result<SupplierOrder, SupplierError> {
        let lacks = |what: &str| SupplierError::Ambiguous {
            message: format!("the supplier's top-up answer lacks {what}"),
        };
        let currency = self
            .requested_amount_currency_code
            .as_deref()
            .and_then(|c| Currency::parse(c).ok())
            .ok_or_else(|| lacks("a known requestedAmountCurrencyCode"))?;
        let total = Money::new(
            self.requested_amount.map(|a| a.0).unwrap_or_default(),
            currency,
        );
        let sku = match sku_hint {
            Some(s) => s.to_string(),
            None => sku(
                AIRTIME_PREFIX,
                self.operator_id.ok_or_else(|| lacks("an operatorId"))?,
                Denomination::Fixed(
                    self.delivered_amount
                        .ok_or_else(|| lacks("a deliveredAmount"))?
                        .0,
                ),
            ),
        };
        Ok(SupplierOrder {
            order_id: self.transaction_id.to_string(),
            client_order_id: key.to_string(),
            status,
            sku,
            quantity: 1,
            unit_price: total,
            total,
            codes,
            failure: (status == SupplierOrderStatus::Failed).then(|| {
                (
                    self.status.trim().to_ascii_lowercase(),
                    format!(
                        "the supplier reported the top-up {}; nothing was charged",
                        self.status.trim()
                    ),
                )
            }),
            balance_after: self
                .balance_info
                .as_ref()
                .and_then(|b| b.new_balance)
                .map(|b| Money::new(b.0, currency)),
        })
    }
}

async fn settle(
    client: &ReloadlyClient,
    key: &str,
    sku_hint: Option<&str>,
    mut topup: Topup,
    deadline: Instant,
) -> Result<SupplierOrder, SupplierError> {
    loop {
        match status(&topup.status)? {
            Status::Failed => {
                return topup.order(key, sku_hint, SupplierOrderStatus::Failed, Vec::new());
            }
            Status::Successful => {
                if let Some(pin) = topup.pin()? {
                    return topup.order(key, sku_hint, SupplierOrderStatus::Completed, vec![pin]);
                }
            }
            Status::Processing => {}
        }
        if Instant::now() + client.config.poll_interval > deadline {
            return topup.order(key, sku_hint, SupplierOrderStatus::Pending, Vec::new());
        }
        tokio::time::sleep(client.config.poll_interval).await;
        let path = format!("topups/{}/status", topup.transaction_id);
        let body: StatusBody = client.api.get(&path, &[], "top-up status").await?;
        topup = body.transaction;
    }
}

pub(super) async fn place(
    client: &ReloadlyClient,
    request: &OrderRequest,
    operator_id: u64,
    face: Money,
) -> Result<SupplierOrder, SupplierError> {
    if request.quantity != 1 {
        return Err(SupplierError::Rejected {
            reason: crate::supplier::RejectReason::InvalidRequest,
            message: "a top-up is bought one at a time".into(),
        });
    }
    let (country, phone) = &client.config.recipient_phone;
    let body = json!({
        "operatorId": operator_id,
        "amount": number(face.amount),
        "useLocalAmount": true,
        "customIdentifier": request.client_order_id,
        "recipientPhone": { "countryCode": country, "number": phone },
    });
    let deadline = client.deadline();
    let response = client
        .api
        .call(Method::POST, "topups", &[], Some(&body))
        .await?;
    if !response.status().is_success() {
        let error = read_error(response).await;
        if error.code.as_deref() == Some("CUSTOM_IDENTIFIER_ALREADY_USED") {
            return find(client, &request.client_order_id).await?.ok_or_else(|| {
                SupplierError::Ambiguous {
                    message: "the supplier says the key was used but its reports do not show the top-up yet".into(),
                }
            });
        }
        return Err(classify(error));
    }
    let bytes = read_body(response).await?;
    let topup: Topup =
        serde_json::from_slice(&bytes).map_err(|e| unreadable("top-up answer", &e))?;
    settle(
        client,
        &request.client_order_id,
        Some(&request.sku),
        topup,
        deadline,
    )
    .await
}

pub(super) async fn find(
    client: &ReloadlyClient,
    key: &str,
) -> Result<Option<SupplierOrder>, SupplierError> {
    let deadline = client.deadline();
    let mut found: Vec<Topup> = matches(client, "topups/reports/transactions", key, |raw| {
        let t: Topup = serde_json::from_str(raw.get()).map_err(|e| unreadable("report row", &e))?;
        Ok((t.custom_identifier.clone(), t))
    })
    .await?;
    found.sort_by_key(|t| t.transaction_id);
    match found.into_iter().next() {
        None => Ok(None),
        Some(t) => settle(client, key, None, t, deadline).await.map(Some),
    }
}
