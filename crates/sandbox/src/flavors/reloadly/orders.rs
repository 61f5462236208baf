//! Gift card orders: `POST /orders` under a `customIdentifier`, the transaction
//! reports (filters read in UTC-4, the identifier matched loosely, as a client must
//! expect) and `/orders/transactions/{id}/cards`, which has nothing to give until the
//! order has succeeded and its codes are out.

use std::str::FromStr;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope::RlError;
use super::products::number;
use super::spring;
use crate::error::{ApiError, ErrorCode};
use crate::faults::FaultKind;
use crate::ledger::{Order, OrderRequest, OrderStatus, Placed, Repeat};
use crate::routes::gate::FiredFault;
use crate::server::ConnectionHandle;
use crate::state::{SandboxState, lock, read};

const MAX_BODY: usize = 64 * 1024;

/// Reloadly prints and reads report times at UTC-4, without an offset.
const OFFSET_HOURS: i64 = -4;

pub(crate) fn local_time(t: &DateTime<Utc>) -> String {
    (*t + chrono::Duration::hours(OFFSET_HOURS))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn parse_local(s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(naive.and_utc() - chrono::Duration::hours(OFFSET_HOURS))
}

pub(crate) fn status_word(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "PROCESSING",
        OrderStatus::Completed => "SUCCESSFUL",
        OrderStatus::Failed => "FAILED",
    }
}

/// The transaction as the order answer and the reports show it.
fn transaction_json(state: &SandboxState, order: &Order) -> Value {
    let catalog = read(&state.inner().catalog);
    let index = &state.inner().reloadly.index;
    let product = catalog.get(&order.sku);
    let face = order
        .request
        .face
        .or(product.map(|p| p.face_value))
        .unwrap_or_default();
    let face_currency = product.map(|p| p.face_currency).unwrap_or_default();
    let name = product.map(|p| format!("{} {}", p.brand, p.region));
    json!({
        "transactionId": order.seq,
        "amount": number(order.total),
        "discount": 0.0,
        "currencyCode": &order.currency,
        "fee": 0.0,
        "smsFee": 0.0,
        "totalFee": 0.0,
        "recipientEmail": null,
        "recipientPhone": null,
        "customIdentifier": &order.client_order_id,
        "status": status_word(order.status),
        "preOrdered": false,
        "transactionCreatedTime": local_time(&order.created_at),
        "product": {
            "productId": index.id_of(&order.sku),
            "productName": name,
            "countryCode": product.map(|p| p.region),
            "quantity": order.quantity,
            "unitPrice": number(face),
            "totalPrice": number(face * Decimal::from(order.quantity)),
            "currencyCode": face_currency,
            "brand": product.map(|p| json!({ "brandName": p.brand })),
        },
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    product_id: Option<u64>,
    quantity: Option<u32>,
    unit_price: Option<serde_json::Number>,
    custom_identifier: Option<String>,
    sender_name: Option<String>,
}

fn parse_create(bytes: &[u8]) -> Result<(u64, u32, Decimal, String), RlError> {
    let body: CreateBody = serde_json::from_slice(bytes)
        .map_err(|e| RlError::bad_request(None, format!("JSON parse error: {e}")))?;
    let product_id = body
        .product_id
        .ok_or_else(|| RlError::bad_request(None, "productId is required"))?;
    let quantity = body
        .quantity
        .filter(|q| (1..=10).contains(q))
        .ok_or_else(|| RlError::bad_request(None, "quantity must be from 1 to 10"))?;
    let unit_price = body
        .unit_price
        .and_then(|n| Decimal::from_str(&n.to_string()).ok())
        .filter(|d| *d > Decimal::ZERO)
        .ok_or_else(|| RlError::bad_request(None, "unitPrice is required"))?;
    let key = body
        .custom_identifier
        .filter(|s| !s.trim().is_empty() && s.len() <= 150 && !s.chars().any(char::is_control))
        .ok_or_else(|| RlError::bad_request(None, "customIdentifier is required"))?;
    if body.sender_name.is_none_or(|s| s.trim().is_empty()) {
        return Err(RlError::bad_request(None, "senderName is required"));
    }
    Ok((product_id, quantity, unit_price, key))
}

/// A ledger refusal in Reloadly's words (nothing was charged).
pub(crate) fn refusal(e: &ApiError) -> RlError {
    match e.code {
        ErrorCode::InsufficientBalance => RlError::bad_request(
            Some("INSUFFICIENT_BALANCE"),
            "Your account balance is not sufficient to complete this transaction",
        ),
        ErrorCode::NotFound | ErrorCode::OutOfStock => RlError::bad_request(
            None,
            "The product was either not found or is no longer available, Please contact support",
        ),
        _ => RlError::bad_request(None, e.message.clone()),
    }
}

pub(crate) fn already_used(key: &str) -> RlError {
    RlError::bad_request(
        Some("CUSTOM_IDENTIFIER_ALREADY_USED"),
        format!("The custom identifier {key} has already been used"),
    )
}

/// How a fault that fires on creation shapes the answer; `None`: answer normally.
pub(crate) async fn after_create(
    fault: Option<&FiredFault>,
    connection: Option<ConnectionHandle>,
) -> Option<Response> {
    match fault.map(|f| (f.0.kind, f.0.status)) {
        Some((FaultKind::CreateThen500, status)) => Some(
            RlError::new(
                status
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                None,
                "fault: internal server error after processing the order",
            )
            .into_response(),
        ),
        Some((FaultKind::CreateThenDrop, _)) => {
            Some(crate::routes::drop_connection(connection).await)
        }
        _ => None,
    }
}

/// Place `request` as Reloadly does: a repeated key is refused, unless the
/// duplicate race is switched on.
pub(crate) async fn place(
    state: &SandboxState,
    request: OrderRequest,
    fault: Option<&FiredFault>,
) -> Result<Placed, ApiError> {
    let hold = fault
        .filter(|f| f.0.kind == FaultKind::HoldThenCreate)
        .map(|f| f.0.hold());
    let race = lock(&state.inner().reloadly.quirks)
        .duplicate_race_ms
        .map(Duration::from_millis);
    state
        .create_order_with(request, hold, Repeat::Refuse, race)
        .await
}

pub(crate) async fn create(State(state): State<SandboxState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let fault = parts.extensions.get::<FiredFault>().cloned();
    let connection = parts.extensions.get::<ConnectionHandle>().cloned();
    let parsed = match axum::body::to_bytes(body, MAX_BODY).await {
        Err(_) => Err(RlError::bad_request(
            None,
            "body is unreadable or too large",
        )),
        Ok(bytes) => parse_create(&bytes),
    };
    let outcome = match parsed {
        Err(e) => Err(e),
        Ok((product_id, quantity, unit_price, key)) => {
            let sku = {
                let catalog = read(&state.inner().catalog);
                let index = &state.inner().reloadly.index;
                match index.sku_for(&catalog, product_id, unit_price) {
                    Some(sku) => Some((sku, None)),
                    // Not a fixed denomination: an open amount within the range.
                    None => index
                        .range(&catalog, product_id)
                        .filter(|r| (r.min..=r.max).contains(&unit_price))
                        .map(|r| (std::sync::Arc::clone(&r.base.sku), Some(unit_price))),
                }
            };
            match sku {
                None => Err(RlError::bad_request(
                    None,
                    "Invalid price: the unit price is not one of the product's denominations",
                )),
                Some((sku, face)) => {
                    let request = OrderRequest {
                        client_order_id: key.clone(),
                        sku: sku.to_string(),
                        quantity,
                        // Reloadly charges today's price; there is no ceiling to send.
                        max_unit_price: Decimal::MAX,
                        face,
                    };
                    match place(&state, request, fault.as_ref()).await {
                        Ok(Placed::Created(o) | Placed::Replayed(o)) => Ok(o),
                        Ok(Placed::Existing(_)) => Err(already_used(&key)),
                        Err(e) => Err(refusal(&e)),
                    }
                }
            }
        }
    };
    if let Some(faulted) = after_create(fault.as_ref(), connection).await {
        return faulted;
    }
    match outcome {
        Ok(order) => {
            let mut body = transaction_json(&state, &order);
            let old = order.balance_after + order.total;
            body["balanceInfo"] = json!({
                "oldBalance": number(old),
                "newBalance": number(order.balance_after),
                "cost": number(order.total),
                "currencyCode": &order.currency,
                "currencyName": &order.currency,
                "updatedAt": local_time(&order.created_at),
            });
            Json(body).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportQuery {
    pub page: Option<String>,
    pub size: Option<String>,
    pub custom_identifier: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

/// Report rows of orders matching `key` loosely (case-insensitive, contained) and
/// created within the window read in UTC-4.
pub(crate) fn matching(
    state: &SandboxState,
    key: Option<&str>,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Vec<Order>, RlError> {
    let bad_date = || RlError::bad_request(None, "dates must read yyyy-MM-dd HH:mm:ss");
    let start = start
        .map(|s| parse_local(s).ok_or_else(bad_date))
        .transpose()?;
    let end = end
        .map(|s| parse_local(s).ok_or_else(bad_date))
        .transpose()?;
    let key = key.map(str::to_lowercase);
    Ok(state.orders_where(|o| {
        key.as_deref()
            .is_none_or(|k| o.client_order_id.to_lowercase().contains(k))
            && start.is_none_or(|s| o.created_at >= s)
            && end.is_none_or(|e| o.created_at <= e)
    }))
}

pub(crate) async fn report(
    State(state): State<SandboxState>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Json<Value>, RlError> {
    let Query(q) = query.map_err(|e| RlError::bad_request(None, e.body_text()))?;
    let (page, size) = spring::paging(q.page.as_deref(), q.size.as_deref())?;
    let found = matching(
        &state,
        q.custom_identifier.as_deref(),
        q.start_date.as_deref(),
        q.end_date.as_deref(),
    )?;
    let total = found.len();
    let rows = found
        .iter()
        .rev()
        .skip((page - 1) * size)
        .take(size)
        .map(|o| transaction_json(&state, o))
        .collect();
    Ok(Json(spring::page(rows, page, size, total)))
}

fn order_by_path(
    state: &SandboxState,
    id: Result<Path<String>, PathRejection>,
) -> Result<Order, RlError> {
    let missing = || RlError::not_found("Transaction not found");
    let Path(id) = id.map_err(|_| missing())?;
    let seq: u64 = id.trim().parse().map_err(|_| missing())?;
    state.order_at(seq).ok_or_else(missing)
}

pub(crate) async fn transaction(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, RlError> {
    let order = order_by_path(&state, id)?;
    Ok(Json(transaction_json(&state, &order)))
}

/// Are the order's codes out yet (succeeded, and the cards delay passed)?
pub(crate) fn codes_ready(state: &SandboxState, order: &Order) -> bool {
    let delay = lock(&state.inner().reloadly.quirks).cards_delay_ms;
    order.status == OrderStatus::Completed
        && order.completed_at.is_some_and(|at| {
            at + chrono::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX / 2))
                <= Utc::now()
        })
}

pub(crate) async fn cards(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, RlError> {
    let order = order_by_path(&state, id)?;
    let quirks = *lock(&state.inner().reloadly.quirks);
    if !codes_ready(&state, &order) {
        return if quirks.cards_empty_while_processing {
            Ok(Json(json!([])))
        } else {
            Err(RlError::not_found("No cards found for this transaction"))
        };
    }
    let cards: Vec<Value> = order
        .codes
        .iter()
        .map(|c| {
            json!({
                "cardNumber": &c.code,
                "pinCode": c.pin.as_deref(),
            })
        })
        .collect();
    match (quirks.cards_as_object, cards.as_slice()) {
        (true, [one]) => Ok(Json(one.clone())),
        _ => Ok(Json(Value::Array(cards))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn report_times_are_utc_minus_four() {
        let t = DateTime::parse_from_rfc3339("2026-12-04T02:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_time(&t), "2026-12-03 22:30:00");
        assert_eq!(parse_local("2026-12-03 22:30:00"), Some(t));
    }
}
