//! `/_sandbox/...`: scripting the supplier from tests and demos. No auth; JSON
//! in and out; errors in the contract's shape. README.md documents each one.

use std::str::FromStr;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::faults::{FaultRule, FaultSpec, Latency};
use crate::ledger::{PendingRule, Settlement};
use crate::state::{BadRow, Counters, SandboxState, lock, write};
use crate::wire::{money, now, parse_decimal, timestamp};

pub(crate) fn router() -> Router<SandboxState> {
    Router::new()
        .route("/_sandbox", get(index))
        .route("/_sandbox/", get(index))
        .route(
            "/_sandbox/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_sandbox/faults/{id}", delete(remove_fault))
        .route("/_sandbox/latency", post(set_latency).get(get_latency))
        .route("/_sandbox/pending", post(set_pending).delete(clear_pending))
        .route("/_sandbox/stock", post(set_stock))
        .route("/_sandbox/price", post(set_price))
        .route("/_sandbox/reprice", post(reprice))
        .route("/_sandbox/discontinue", post(discontinue))
        .route(
            "/_sandbox/bad_rows",
            post(add_bad_rows).delete(clear_bad_rows),
        )
        .route("/_sandbox/balance", post(change_balance))
        .route("/_sandbox/charge", post(adjust_charge))
        .route("/_sandbox/complete", post(complete_after_all))
        .route("/_sandbox/counters", get(counters))
        .route("/_sandbox/orders", get(orders))
        .route("/_sandbox/reset", post(reset))
}

type JsonBody<T> = Result<Json<T>, JsonRejection>;

fn body<T>(b: JsonBody<T>) -> Result<T, ApiError> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// Distinguishes an absent field (`None`) from `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A decimal given as a string (preferred) or a JSON number.
fn decimal_field(v: &Value, field: &str) -> Result<Decimal, ApiError> {
    let parsed = match v {
        Value::String(s) => parse_decimal(s.trim()),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    };
    parsed.ok_or_else(|| ApiError::invalid(format!("{field} must be a decimal string")))
}

async fn index() -> Json<Value> {
    Json(json!({
        "controls": [
            "POST /_sandbox/faults", "GET /_sandbox/faults", "DELETE /_sandbox/faults",
            "DELETE /_sandbox/faults/{id}", "POST /_sandbox/latency", "GET /_sandbox/latency",
            "POST /_sandbox/pending", "DELETE /_sandbox/pending", "POST /_sandbox/stock",
            "POST /_sandbox/price", "POST /_sandbox/reprice", "POST /_sandbox/discontinue",
            "POST /_sandbox/bad_rows", "DELETE /_sandbox/bad_rows", "POST /_sandbox/balance",
            "POST /_sandbox/charge", "POST /_sandbox/complete", "GET /_sandbox/counters", "GET /_sandbox/orders", "POST /_sandbox/reset"
        ]
    }))
}

async fn add_fault(
    State(state): State<SandboxState>,
    spec: JsonBody<FaultSpec>,
) -> Result<Json<FaultRule>, ApiError> {
    let spec = body(spec)?;
    let rule = lock(&state.inner().faults)
        .add(spec)
        .map_err(ApiError::invalid)?;
    tracing::info!(id = rule.id, kind = ?rule.kind, endpoint = ?rule.endpoint, "fault rule added");
    Ok(Json(rule))
}

async fn list_faults(State(state): State<SandboxState>) -> Json<Vec<FaultRule>> {
    Json(lock(&state.inner().faults).list())
}

async fn clear_faults(State(state): State<SandboxState>) -> Json<Value> {
    lock(&state.inner().faults).clear();
    Json(json!({ "cleared": true }))
}

async fn remove_fault(
    State(state): State<SandboxState>,
    id: Result<Path<u64>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::invalid(e.body_text()))?;
    if lock(&state.inner().faults).remove(id) {
        Ok(Json(json!({ "removed": id })))
    } else {
        Err(ApiError::not_found(format!("no fault rule {id}")))
    }
}

async fn set_latency(
    State(state): State<SandboxState>,
    latency: JsonBody<Latency>,
) -> Result<Json<Latency>, ApiError> {
    let latency = body(latency)?;
    if latency.fixed_ms > 600_000 || latency.jitter_ms > 600_000 {
        return Err(ApiError::invalid(
            "fixed_ms and jitter_ms must be at most 600000",
        ));
    }
    *lock(&state.inner().latency) = latency;
    Ok(Json(latency))
}

async fn get_latency(State(state): State<SandboxState>) -> Json<Latency> {
    Json(*lock(&state.inner().latency))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingBody {
    seconds: f64,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    then: Option<String>,
}

fn one() -> u32 {
    1
}

async fn set_pending(
    State(state): State<SandboxState>,
    req: JsonBody<PendingBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    if !req.seconds.is_finite() || !(0.0..=86_400.0).contains(&req.seconds) {
        return Err(ApiError::invalid("seconds must be between 0 and 86400"));
    }
    let then = match req.then.as_deref() {
        None | Some("completed") => Settlement::Complete,
        Some("failed") => Settlement::Fail,
        Some(_) => {
            return Err(ApiError::invalid(
                "then must be \"completed\" or \"failed\"",
            ));
        }
    };
    let rule = PendingRule {
        seconds: req.seconds,
        remaining: req.times,
        then,
    };
    lock(&state.inner().ledger).set_pending(Some(rule));
    Ok(Json(json!({ "pending": rule })))
}

async fn clear_pending(State(state): State<SandboxState>) -> Json<Value> {
    let mut ledger = lock(&state.inner().ledger);
    ledger.set_pending(None);
    Json(json!({ "pending": ledger.pending_rule() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockBody {
    sku: String,
    #[serde(default)]
    available: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    quantity: Option<Option<u32>>,
}

async fn set_stock(
    State(state): State<SandboxState>,
    req: JsonBody<StockBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let mut catalog = write(&state.inner().catalog);
    let p = catalog
        .touch(&req.sku, now(), |p| {
            if let Some(q) = req.quantity {
                p.quantity = q;
            }
            if let Some(a) = req.available {
                p.in_stock = a;
                // "Available" with an empty finite stock would still read as out.
                if a && req.quantity.is_none() && p.quantity == Some(0) {
                    p.quantity = None;
                }
            }
        })
        .ok_or_else(|| ApiError::not_found(format!("no product with sku {}", req.sku)))?;
    Ok(Json(json!({
        "sku": &*p.sku,
        "available": p.available(),
        "quantity": p.quantity,
        "wholesale_price": money(p.wholesale_price).to_string(),
        "currency": &*p.currency,
        "updated_at": timestamp(&p.updated_at),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceBody {
    sku: String,
    wholesale_price: Value,
}

async fn set_price(
    State(state): State<SandboxState>,
    req: JsonBody<PriceBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let price = decimal_field(&req.wholesale_price, "wholesale_price")?;
    if price <= Decimal::ZERO {
        return Err(ApiError::invalid("wholesale_price must be positive"));
    }
    let mut catalog = write(&state.inner().catalog);
    let p = catalog
        .touch(&req.sku, now(), |p| p.wholesale_price = money(price))
        .ok_or_else(|| ApiError::not_found(format!("no product with sku {}", req.sku)))?;
    Ok(Json(serde_json::to_value(p.wire()).unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepriceBody {
    fraction: f64,
    percent: Value,
    #[serde(default)]
    seed: Option<u64>,
}

async fn reprice(
    State(state): State<SandboxState>,
    req: JsonBody<RepriceBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    if !req.fraction.is_finite() || !(0.0..=1.0).contains(&req.fraction) {
        return Err(ApiError::invalid("fraction must be between 0 and 1"));
    }
    let percent = decimal_field(&req.percent, "percent")?;
    if percent <= Decimal::from(-100) {
        return Err(ApiError::invalid("percent must be above -100"));
    }
    // Without a seed, successive reprices pick different products.
    let seed = req.seed.unwrap_or_else(|| state.next_reprice_seed());
    let skus = write(&state.inner().catalog).reprice(req.fraction, percent, seed, now());
    tracing::info!(changed = skus.len(), %percent, "catalog repriced");
    Ok(Json(json!({ "changed": skus.len(), "skus": skus })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscontinueBody {
    skus: Vec<String>,
}

async fn discontinue(
    State(state): State<SandboxState>,
    req: JsonBody<DiscontinueBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let mut catalog = write(&state.inner().catalog);
    let (removed, unknown): (Vec<String>, Vec<String>) =
        req.skus.into_iter().partition(|s| catalog.remove(s));
    Ok(Json(
        json!({ "removed": removed.len(), "unknown": unknown }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BadRowsBody {
    rows: Vec<Value>,
    /// Which page of a walk gets them (0 = first; past the end = last page).
    #[serde(default)]
    page: usize,
}

async fn add_bad_rows(
    State(state): State<SandboxState>,
    req: JsonBody<BadRowsBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let mut rows = write(&state.inner().bad_rows);
    rows.extend(req.rows.into_iter().map(|row| BadRow {
        page: req.page,
        row,
    }));
    Ok(Json(json!({ "injected": rows.len() })))
}

async fn clear_bad_rows(State(state): State<SandboxState>) -> Json<Value> {
    let mut rows = write(&state.inner().bad_rows);
    let n = rows.len();
    rows.clear();
    Json(json!({ "cleared": n }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceBody {
    #[serde(default)]
    add: Option<Value>,
    #[serde(default)]
    set: Option<Value>,
}

async fn change_balance(
    State(state): State<SandboxState>,
    req: JsonBody<BalanceBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let mut ledger = lock(&state.inner().ledger);
    let current = ledger.balance().0;
    let new = match (req.add, req.set) {
        (Some(add), None) => current + decimal_field(&add, "add")?,
        (None, Some(set)) => decimal_field(&set, "set")?,
        _ => return Err(ApiError::invalid("give exactly one of add or set")),
    };
    if new.is_sign_negative() && !new.is_zero() {
        return Err(ApiError::invalid("the balance cannot go below zero"));
    }
    ledger.set_balance(new, now());
    let (available, updated_at) = ledger.balance();
    Ok(Json(json!({
        "currency": ledger.currency(),
        "available": money(available).to_string(),
        "updated_at": timestamp(&updated_at),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeBody {
    client_order_id: String,
    total: Value,
}

/// The supplier charges an order another total after the fact (the balance moves by
/// the difference), for reconciliation to find.
async fn adjust_charge(
    State(state): State<SandboxState>,
    req: JsonBody<ChargeBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let total = decimal_field(&req.total, "total")?;
    if total.is_sign_negative() {
        return Err(ApiError::invalid("total cannot be negative"));
    }
    let order = lock(&state.inner().ledger)
        .adjust_charge(&req.client_order_id, total, now())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no charged order with client_order_id {}",
                req.client_order_id
            ))
        })?;
    Ok(Json(json!({
        "client_order_id": order.client_order_id,
        "total": money(order.total).to_string(),
        "currency": order.currency,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    client_order_id: String,
}

/// A failed order completes after all: charged, its codes issued.
async fn complete_after_all(
    State(state): State<SandboxState>,
    req: JsonBody<CompleteBody>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let order = lock(&state.inner().ledger)
        .complete_after_all(&req.client_order_id, now())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no failed order with client_order_id {}",
                req.client_order_id
            ))
        })?;
    Ok(Json(json!({
        "client_order_id": order.client_order_id,
        "status": order.status,
        "total": money(order.total).to_string(),
    })))
}

async fn counters(State(state): State<SandboxState>) -> Json<Counters> {
    Json(state.counters())
}

async fn orders(State(state): State<SandboxState>) -> Json<Vec<Value>> {
    Json(state.orders())
}

async fn reset(State(state): State<SandboxState>) -> Json<Value> {
    state.reset();
    tracing::info!("sandbox reset");
    Json(json!({ "reset": true }))
}
