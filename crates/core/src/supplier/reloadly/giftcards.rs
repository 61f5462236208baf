//! Gift card orders: `POST /orders` under `customIdentifier` = our `client_order_id`,
//! found again through the transaction reports, codes read from
//! `/orders/transactions/{id}/cards` once they are out.

use std::time::Instant;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::catalog::{Amount, Denomination, Page, sku};
use super::http::{classify, read_error, unreadable};
use super::{GIFTCARD_PREFIX, ReloadlyClient};
use crate::money::{Currency, Money};
use crate::secrets::Redacted;
use crate::supplier::wholesale::read_body;
use crate::supplier::{
    IssuedCode, OrderRequest, SupplierError, SupplierOrder, SupplierOrderStatus,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TxProduct {
    product_id: Option<u64>,
    quantity: Option<u32>,
    unit_price: Option<Amount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceInfo {
    new_balance: Option<Amount>,
    currency_code: Option<String>,
}

/// A transaction as the order answer and the reports carry it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tx {
    transaction_id: u64,
    amount: Option<Amount>,
    currency_code: Option<String>,
    custom_identifier: Option<String>,
    status: String,
    product: Option<TxProduct>,
    balance_info: Option<BalanceInfo>,
}

/// Reloadly's statuses: only SUCCESSFUL has codes; FAILED and REFUNDED charged nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Successful,
    Processing,
    Failed,
}

pub(super) fn status(word: &str) -> Result<Status, SupplierError> {
    match word.trim().to_ascii_uppercase().as_str() {
        "SUCCESSFUL" => Ok(Status::Successful),
        "PROCESSING" | "PENDING" => Ok(Status::Processing),
        "FAILED" | "REFUNDED" => Ok(Status::Failed),
        other => Err(SupplierError::Ambiguous {
            message: format!("the supplier sent an unknown order status {other:?}"),
        }),
    }
}

/// A card field that may be a string or a number; never quoted in an error.
pub(super) fn card_text(v: Option<&Value>, field: &str) -> Result<Option<String>, SupplierError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(SupplierError::Ambiguous {
            message: format!("the supplier sent a card whose {field} is neither text nor a number"),
        }),
    }
}

/// `/cards` as an array of cards or one card object, fields as strings or numbers.
/// `None`: no codes yet.
pub(super) fn parse_cards(bytes: &[u8]) -> Result<Option<Vec<IssuedCode>>, SupplierError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| unreadable("cards answer", &e))?;
    let cards = match value {
        Value::Array(cards) => cards,
        one @ Value::Object(_) => vec![one],
        _ => {
            return Err(SupplierError::Ambiguous {
                message: "the supplier sent cards in an unexpected shape".into(),
            });
        }
    };
    if cards.is_empty() {
        return Ok(None);
    }
    cards
        .iter()
        .map(|card| {
            let code = card_text(card.get("cardNumber"), "cardNumber")?.ok_or_else(|| {
                SupplierError::Ambiguous {
                    message: "the supplier sent a card without a cardNumber".into(),
                }
            })?;
            Ok(IssuedCode {
                code: Redacted::new(code),
                pin: card_text(card.get("pinCode"), "pinCode")?.map(Redacted::new),
                serial: None,
                expires_at: None,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The codes of a transaction, or `None` while they are not out (404 or `[]`).
async fn cards(client: &ReloadlyClient, id: u64) -> Result<Option<Vec<IssuedCode>>, SupplierError> {
    let path = format!("orders/transactions/{id}/cards");
    let response = client.api.call(Method::GET, &path, &[], None).await?;
    if !response.status().is_success() {
        let error = read_error(response).await;
        if error.status == StatusCode::NOT_FOUND && !error.no_route {
            return Ok(None);
        }
        return Err(classify(error));
    }
    let bytes = read_body(response).await?;
    parse_cards(&bytes)
}

fn protocol(what: &str) -> SupplierError {
    SupplierError::Ambiguous {
        message: format!("the supplier's order answer lacks {what}"),
    }
}

impl Tx {
    fn order(
        &self,
        key: &str,
        sku_hint: Option<&str>,
        status: SupplierOrderStatus,
        codes: Vec<IssuedCode>,
    ) -> Result<SupplierOrder, SupplierError> {
        let currency = self
            .currency_code
            .as_deref()
            .and_then(|c| Currency::parse(c).ok())
            .ok_or_else(|| protocol("a known currencyCode"))?;
        let total = Money::new(self.amount.map(|a| a.0).unwrap_or_default(), currency);
        let quantity = self
            .product
            .as_ref()
            .and_then(|p| p.quantity)
            .unwrap_or(1)
            .max(1);
        let sku = match sku_hint {
            Some(s) => s.to_string(),
            None => {
                let p = self
                    .product
                    .as_ref()
                    .ok_or_else(|| protocol("its product"))?;
                let id = p.product_id.ok_or_else(|| protocol("a productId"))?;
                let face = p.unit_price.ok_or_else(|| protocol("a unitPrice"))?;
                sku(GIFTCARD_PREFIX, id, Denomination::Fixed(face.0))
            }
        };
        let balance_after = self.balance_info.as_ref().and_then(|b| {
            let currency = b
                .currency_code
                .as_deref()
                .and_then(|c| Currency::parse(c).ok())
                .unwrap_or(currency);
            b.new_balance.map(|n| Money::new(n.0, currency))
        });
        let failure = (status == SupplierOrderStatus::Failed).then(|| {
            (
                self.status.trim().to_ascii_lowercase(),
                format!(
                    "the supplier reported the order {}; nothing was charged",
                    self.status.trim()
                ),
            )
        });
        Ok(SupplierOrder {
            order_id: self.transaction_id.to_string(),
            client_order_id: key.to_string(),
            status,
            sku,
            quantity,
            unit_price: Money::new(
                total.amount / rust_decimal::Decimal::from(quantity),
                currency,
            )
            .ceil_to_minor(),
            total,
            codes,
            failure,
            balance_after,
        })
    }
}

/// Follow a transaction to its end or to the budget: final status, then codes.
async fn settle(
    client: &ReloadlyClient,
    key: &str,
    sku_hint: Option<&str>,
    mut tx: Tx,
    deadline: Instant,
) -> Result<SupplierOrder, SupplierError> {
    loop {
        match status(&tx.status)? {
            Status::Failed => {
                return tx.order(key, sku_hint, SupplierOrderStatus::Failed, Vec::new());
            }
            Status::Successful => {
                if let Some(codes) = cards(client, tx.transaction_id).await? {
                    return tx.order(key, sku_hint, SupplierOrderStatus::Completed, codes);
                }
            }
            Status::Processing => {}
        }
        if Instant::now() + client.config.poll_interval > deadline {
            return tx.order(key, sku_hint, SupplierOrderStatus::Pending, Vec::new());
        }
        tokio::time::sleep(client.config.poll_interval).await;
        if status(&tx.status)? != Status::Successful {
            let path = format!("reports/transactions/{}", tx.transaction_id);
            tx = client.api.get(&path, &[], "transaction").await?;
        }
    }
}

pub(super) async fn place(
    client: &ReloadlyClient,
    request: &OrderRequest,
    product_id: u64,
    face: Money,
) -> Result<SupplierOrder, SupplierError> {
    let body = json!({
        "productId": product_id,
        "quantity": request.quantity,
        "unitPrice": super::airtime::number(face.amount),
        "customIdentifier": request.client_order_id,
        "senderName": client.config.sender_name,
        "preOrder": false,
    });
    let deadline = client.deadline();
    let response = client
        .api
        .call(Method::POST, "orders", &[], Some(&body))
        .await?;
    if !response.status().is_success() {
        let error = read_error(response).await;
        if error.code.as_deref() == Some("CUSTOM_IDENTIFIER_ALREADY_USED") {
            // An order under this key exists (ours, from an earlier attempt): find it.
            tracing::info!(client_order_id = %request.client_order_id, "key already used; looking the order up");
            return find(client, &request.client_order_id).await?.ok_or_else(|| {
                SupplierError::Ambiguous {
                    message: "the supplier says the key was used but its reports do not show the order yet".into(),
                }
            });
        }
        return Err(classify(error));
    }
    let bytes = read_body(response).await?;
    let tx: Tx = serde_json::from_slice(&bytes).map_err(|e| unreadable("order answer", &e))?;
    settle(
        client,
        &request.client_order_id,
        Some(&request.sku),
        tx,
        deadline,
    )
    .await
}

/// Report pages read for one look-up at most (200 rows each).
const MAX_REPORT_PAGES: u64 = 20;

/// Rows of a report whose `customIdentifier` is `key` (the filter matches loosely:
/// only an exact, case-insensitive match counts).
pub(super) async fn matches<T, F>(
    client: &ReloadlyClient,
    path: &str,
    key: &str,
    parse: F,
) -> Result<Vec<T>, SupplierError>
where
    F: Fn(&RawValue) -> Result<(Option<String>, T), SupplierError>,
{
    let (start, end) = client.lookup_window();
    let mut found = Vec::new();
    for page in 1..=MAX_REPORT_PAGES {
        let query = [
            ("customIdentifier", key.to_string()),
            ("startDate", start.clone()),
            ("endDate", end.clone()),
            ("page", page.to_string()),
            ("size", "200".to_string()),
        ];
        let response = client.api.call(Method::GET, path, &query, None).await?;
        if !response.status().is_success() {
            return Err(classify(read_error(response).await));
        }
        let bytes = read_body(response).await?;
        let body: Page<'_> =
            serde_json::from_slice(&bytes).map_err(|e| unreadable("report", &e))?;
        for raw in &body.content {
            let (id, row) = parse(raw)?;
            if id.is_some_and(|id| id.eq_ignore_ascii_case(key)) {
                found.push(row);
            }
        }
        if body.last.unwrap_or(true) || body.content.is_empty() {
            break;
        }
    }
    Ok(found)
}

pub(super) async fn find(
    client: &ReloadlyClient,
    key: &str,
) -> Result<Option<SupplierOrder>, SupplierError> {
    let deadline = client.deadline();
    let mut found: Vec<Tx> = matches(client, "reports/transactions", key, |raw| {
        let tx: Tx = serde_json::from_str(raw.get()).map_err(|e| unreadable("report row", &e))?;
        Ok((tx.custom_identifier.clone(), tx))
    })
    .await?;
    found.sort_by_key(|t| t.transaction_id);
    if found.len() > 1 {
        tracing::warn!(client_order_id = %key, count = found.len(), "several supplier orders under one key; taking the first");
    }
    match found.into_iter().next() {
        None => Ok(None),
        Some(tx) => settle(client, key, None, tx, deadline).await.map(Some),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cards_come_as_an_array_or_an_object_with_strings_or_numbers() {
        let list = parse_cards(
            br#"[{"cardNumber":"AAAA-1","pinCode":"12"},{"cardNumber":7349912345,"pinCode":4321}]"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].code.expose(), "AAAA-1");
        assert_eq!(list[1].code.expose(), "7349912345");
        assert_eq!(list[1].pin.as_ref().unwrap().expose(), "4321");
        let one =
            parse_cards(br#"{"cardNumber":"BBBB-2","pinCode":null,"redemptionUrl":"https://x"}"#)
                .unwrap()
                .unwrap();
        assert_eq!((one.len(), one[0].pin.is_none()), (1, true));
        assert!(parse_cards(b"[]").unwrap().is_none(), "[] means not yet");
    }

    #[test]
    fn unusable_cards_are_ambiguous_and_never_quote_a_code() {
        for body in [
            &br#"[{"cardNumber":{"v":"SECRET-5511"}}]"#[..],
            br#"[{"pinCode":"SECRET-5511"}]"#,
            br#""SECRET-5511""#,
            br#"[{"cardNumber":"SECRET-5511""#,
        ] {
            let e = parse_cards(body).unwrap_err();
            assert!(matches!(e, SupplierError::Ambiguous { .. }), "{e:?}");
            assert!(!e.to_string().contains("5511"), "{e}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(status("SUCCESSFUL").unwrap(), Status::Successful);
        assert_eq!(status("PENDING").unwrap(), Status::Processing);
        assert_eq!(status("REFUNDED").unwrap(), Status::Failed);
        assert!(status("WEIRD").is_err());
    }
}
