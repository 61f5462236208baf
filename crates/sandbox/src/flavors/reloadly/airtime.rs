//! Reloadly Airtime (top-ups with PINs) over the same products: each product group is
//! an operator, each fixed face value a local amount. `POST /topups` answers at once
//! (with `pinDetail` once the top-up succeeded), `POST /topups-async` with the id only;
//! `GET /topups/{id}/status` and the reports by `customIdentifier` find it again.

use std::str::FromStr;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope::RlError;
use super::orders::{
    ReportQuery, after_create, already_used, codes_ready, local_time, matching, place, refusal,
    status_word,
};
use super::products::number;
use super::spring;
use crate::ledger::{Order, OrderRequest, OrderStatus, Placed};
use crate::routes::gate::FiredFault;
use crate::server::ConnectionHandle;
use crate::state::{SandboxState, read};

pub(crate) fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/operators", get(operators))
        .route("/operators/{id}", get(operator))
        .route("/topups", post(topup_sync))
        .route("/topups-async", post(topup_async))
        .route("/topups/{id}/status", get(status))
        .route("/topups/reports/transactions", get(report))
}

/// A gift card product in the shape of an airtime operator with local amounts.
fn operator_json(product: &Value) -> Value {
    json!({
        "operatorId": product["productId"],
        "name": product["productName"],
        "bundle": false,
        "data": false,
        "pin": true,
        "supportsLocalAmounts": true,
        "denominationType": "FIXED",
        "status": product["status"],
        "senderCurrencyCode": product["senderCurrencyCode"],
        "destinationCurrencyCode": product["recipientCurrencyCode"],
        "commission": 0.0,
        "internationalDiscount": 0.0,
        "localDiscount": 0.0,
        "minAmount": null,
        "maxAmount": null,
        "localMinAmount": null,
        "localMaxAmount": null,
        "country": { "isoName": product["country"]["isoName"], "name": product["country"]["name"] },
        "fixedAmounts": product["fixedSenderDenominations"],
        "localFixedAmounts": product["fixedRecipientDenominations"],
        "localFixedAmountsToSenderMap": product["fixedRecipientToSenderDenominationsMap"],
        "fees": { "international": 0.0, "local": 0.0, "localPercentage": 0.0, "internationalPercentage": 0.0 },
        "logoUrls": [],
        "promotions": [],
    })
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    page: Option<String>,
    size: Option<String>,
}

async fn operators(
    State(state): State<SandboxState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, RlError> {
    let Query(q) = query.map_err(|e| RlError::bad_request(None, e.body_text()))?;
    let (page, size) = spring::paging(q.page.as_deref(), q.size.as_deref())?;
    let index = &state.inner().reloadly.index;
    let catalog = read(&state.inner().catalog);
    let start = (page - 1).saturating_mul(size);
    let content = (start..(start + size).min(index.len()))
        .filter_map(|i| index.product_json(&catalog, i as u64 + 1))
        .map(|p| operator_json(&p))
        .collect();
    Ok(Json(spring::page(content, page, size, index.len())))
}

async fn operator(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, RlError> {
    let missing = || RlError::not_found("Operator not found");
    let Path(id) = id.map_err(|_| missing())?;
    let id: u64 = id.trim().parse().map_err(|_| missing())?;
    let catalog = read(&state.inner().catalog);
    let product = state
        .inner()
        .reloadly
        .index
        .product_json(&catalog, id)
        .ok_or_else(missing)?;
    Ok(Json(operator_json(&product)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopupBody {
    operator_id: Option<u64>,
    amount: Option<serde_json::Number>,
    use_local_amount: Option<bool>,
    custom_identifier: Option<String>,
    recipient_phone: Option<Value>,
}

fn topup_json(state: &SandboxState, order: &Order) -> Value {
    let catalog = read(&state.inner().catalog);
    let product = catalog.get(&order.sku);
    let pin = (order.status == OrderStatus::Completed && codes_ready(state, order))
        .then(|| order.codes.first())
        .flatten()
        .map(|c| {
            json!({
                "serial": &c.serial,
                "info1": "Dial *123*PIN# to recharge",
                "info2": null,
                "info3": null,
                "value": null,
                "code": &c.code,
                "ivr": null,
                "validity": null,
            })
        });
    json!({
        "transactionId": order.seq,
        "status": status_word(order.status),
        "operatorTransactionId": null,
        "customIdentifier": &order.client_order_id,
        "recipientPhone": "0000000000",
        "countryCode": product.map(|p| p.region),
        "operatorId": state.inner().reloadly.index.id_of(&order.sku),
        "operatorName": product.map(|p| format!("{} {}", p.brand, p.region)),
        "discount": 0.0,
        "discountCurrencyCode": &order.currency,
        "requestedAmount": number(order.total),
        "requestedAmountCurrencyCode": &order.currency,
        "deliveredAmount": product.map(|p| number(p.face_value * Decimal::from(order.quantity))),
        "deliveredAmountCurrencyCode": product.map(|p| p.face_currency),
        "transactionDate": local_time(&order.created_at),
        "pinDetail": pin,
        "balanceInfo": {
            "oldBalance": number(order.balance_after + order.total),
            "newBalance": number(order.balance_after),
            "currencyCode": &order.currency,
            "currencyName": &order.currency,
            "updatedAt": local_time(&order.created_at),
        },
    })
}

async fn topup(state: &SandboxState, req: Request) -> Result<(Order, Option<Response>), Response> {
    let (parts, body) = req.into_parts();
    let fault = parts.extensions.get::<FiredFault>().cloned();
    let connection = parts.extensions.get::<ConnectionHandle>().cloned();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| {
        RlError::bad_request(None, "body is unreadable or too large").into_response()
    })?;
    let parsed: TopupBody = serde_json::from_slice(&bytes).map_err(|e| {
        RlError::bad_request(None, format!("JSON parse error: {e}")).into_response()
    })?;
    let bad = |m: &str| RlError::bad_request(None, m.to_owned()).into_response();
    let operator = parsed
        .operator_id
        .ok_or_else(|| bad("operatorId is required"))?;
    let amount = parsed
        .amount
        .and_then(|n| Decimal::from_str(&n.to_string()).ok())
        .ok_or_else(|| bad("amount is required"))?;
    if parsed.use_local_amount != Some(true) {
        return Err(bad(
            "this operator takes local amounts only (useLocalAmount)",
        ));
    }
    if parsed.recipient_phone.is_none() {
        return Err(bad("recipientPhone is required"));
    }
    let key = parsed
        .custom_identifier
        .filter(|s| !s.trim().is_empty() && s.len() <= 150)
        .ok_or_else(|| bad("customIdentifier is required"))?;
    let sku = {
        let catalog = read(&state.inner().catalog);
        state
            .inner()
            .reloadly
            .index
            .sku_for(&catalog, operator, amount)
    }
    .ok_or_else(|| {
        RlError::bad_request(
            Some("INVALID_AMOUNT_FOR_OPERATOR"),
            "The amount is not valid for this operator",
        )
        .into_response()
    })?;
    let request = OrderRequest {
        client_order_id: key.clone(),
        sku: sku.to_string(),
        quantity: 1,
        max_unit_price: Decimal::MAX,
        face: None,
    };
    let outcome = place(state, request, fault.as_ref()).await;
    let faulted = after_create(fault.as_ref(), connection).await;
    if let Some(f) = faulted {
        return Err(f);
    }
    match outcome {
        Ok(Placed::Created(o) | Placed::Replayed(o)) => Ok((o, None)),
        Ok(Placed::Existing(_)) => Err(already_used(&key).into_response()),
        Err(e) => Err(refusal(&e).into_response()),
    }
}

async fn topup_sync(State(state): State<SandboxState>, req: Request) -> Response {
    match topup(&state, req).await {
        Ok((order, _)) => Json(topup_json(&state, &order)).into_response(),
        Err(r) => r,
    }
}

async fn topup_async(State(state): State<SandboxState>, req: Request) -> Response {
    match topup(&state, req).await {
        Ok((order, _)) => Json(json!({ "transactionId": order.seq })).into_response(),
        Err(r) => r,
    }
}

async fn status(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, RlError> {
    let missing = || RlError::not_found("Transaction not found");
    let Path(id) = id.map_err(|_| missing())?;
    let seq: u64 = id.trim().parse().map_err(|_| missing())?;
    let order = state.order_at(seq).ok_or_else(missing)?;
    Ok(Json(json!({
        "code": null,
        "message": null,
        "status": status_word(order.status),
        "transaction": topup_json(&state, &order),
    })))
}

async fn report(
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
        .map(|o| topup_json(&state, o))
        .collect();
    Ok(Json(spring::page(rows, page, size, total)))
}
