//! The contract's endpoints (Wholesale API v1).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::gate::FiredFault;
use crate::catalog::{PageError, PageRequest, ProductWire};
use crate::error::{ApiError, ErrorCode};
use crate::faults::FaultKind;
use crate::ledger::{OrderRequest, Placed};
use crate::server::ConnectionHandle;
use crate::state::{SandboxState, lock, read};
use crate::wire::{money, parse_decimal, parse_instant, timestamp};

const MAX_BODY: usize = 64 * 1024;
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Deserialize)]
pub(crate) struct CatalogQuery {
    cursor: Option<String>,
    limit: Option<String>,
    updated_since: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Row<'a> {
    Product(ProductWire<'a>),
    Raw(&'a Value),
}

#[derive(Serialize)]
struct CatalogBody<'a> {
    products: Vec<Row<'a>>,
    next_cursor: Option<String>,
    /// Not in the contract: products in this walk, for progress bars.
    total: usize,
}

pub(crate) async fn catalog(
    State(state): State<SandboxState>,
    query: Result<Query<CatalogQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query string: {e}")))?;
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(format!(
                    "limit must be an integer from 1 to {MAX_LIMIT}"
                )));
            }
        },
    };
    let since = match q.updated_since.as_deref() {
        None => None,
        Some(s) => Some(
            parse_instant(s)
                .ok_or_else(|| ApiError::invalid("updated_since must be an RFC 3339 timestamp"))?,
        ),
    };
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());

    // Serialise under the read locks: rows borrow from the catalog.
    let catalog = read(&state.inner().catalog);
    let page = catalog
        .page(&PageRequest {
            cursor,
            since,
            limit,
        })
        .map_err(|e| match e {
            PageError::BadCursor => ApiError::invalid("cursor is not valid"),
            PageError::CursorMismatch => {
                ApiError::invalid("cursor does not belong to this updated_since walk")
            }
        })?;
    let bad_rows = read(&state.inner().bad_rows);
    let last_page = page.next.is_none();
    let mut products: Vec<Row<'_>> = page
        .products
        .iter()
        .map(|p| Row::Product(p.wire()))
        .collect();
    products.extend(
        bad_rows
            .iter()
            .filter(|b| b.page == page.page || (last_page && b.page > page.page))
            .map(|b| Row::Raw(&b.row)),
    );
    let body = CatalogBody {
        products,
        next_cursor: page.next.as_ref().map(|c| c.encode()),
        total: page.total + bad_rows.len(),
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise catalog page");
        ApiError::new(ErrorCode::Internal, "cannot serialise catalog page")
    })?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::from(bytes),
    )
        .into_response())
}

pub(crate) async fn stock(
    State(state): State<SandboxState>,
    sku: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(sku) = sku.map_err(|e| ApiError::invalid(e.to_string()))?;
    let catalog = read(&state.inner().catalog);
    let p = catalog
        .get(&sku)
        .ok_or_else(|| ApiError::not_found(format!("no product with sku {sku}")))?;
    Ok(Json(json!({
        "sku": &*p.sku,
        "available": p.available(),
        "quantity": p.quantity,
        "wholesale_price": money(p.wholesale_price).to_string(),
        "currency": &*p.currency,
    })))
}

pub(crate) async fn balance(State(state): State<SandboxState>) -> Json<Value> {
    let ledger = lock(&state.inner().ledger);
    let (available, updated_at) = ledger.balance();
    Json(json!({
        "currency": ledger.currency(),
        "available": money(available).to_string(),
        "updated_at": timestamp(&updated_at),
    }))
}

pub(crate) async fn get_order(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::invalid(e.to_string()))?;
    let order = state
        .order(&id)
        .ok_or_else(|| ApiError::not_found(format!("no order with client_order_id {id}")))?;
    Ok(Json(order).into_response())
}

#[derive(Deserialize)]
pub(crate) struct OrdersQuery {
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/orders?since=&until=&cursor=&limit=`: the orders created in
/// `[since, until)`, oldest first, without their codes (for reconciliation; an
/// order's codes come from `GET /v1/orders/{client_order_id}`). The cursor is the
/// position after the last order of the page, so pages stay stable while new orders
/// arrive.
pub(crate) async fn list_orders(
    State(state): State<SandboxState>,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid(format!("bad query string: {e}")))?;
    let instant = |field: &str, v: Option<&str>| {
        v.map(|s| {
            parse_instant(s)
                .ok_or_else(|| ApiError::invalid(format!("{field} must be an RFC 3339 timestamp")))
        })
        .transpose()
    };
    let since = instant("since", q.since.as_deref())?;
    let until = instant("until", q.until.as_deref())?;
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(s) => s
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
            })?,
    };
    let after: u64 = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c
            .strip_prefix("o")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::invalid("cursor is not valid"))?,
    };
    let found = state.orders_where(|o| {
        o.seq > after
            && since.is_none_or(|s| o.created_at >= s)
            && until.is_none_or(|u| o.created_at < u)
    });
    let more = found.len() > limit;
    let orders: Vec<Value> = found
        .iter()
        .take(limit)
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
            v["codes"] = json!([]);
            v
        })
        .collect();
    let next = more
        .then(|| found.get(limit - 1).map(|o| format!("o{}", o.seq)))
        .flatten();
    Ok(Json(json!({ "orders": orders, "next_cursor": next })))
}

pub(crate) async fn create_order(State(state): State<SandboxState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let fault = parts.extensions.get::<FiredFault>().map(|f| f.0.clone());
    let connection = parts.extensions.get::<ConnectionHandle>().cloned();
    let hold = fault
        .as_ref()
        .filter(|f| f.kind == FaultKind::HoldThenCreate)
        .map(|f| f.hold());

    let outcome = match axum::body::to_bytes(body, MAX_BODY).await {
        Err(_) => Err(ApiError::invalid(
            "body is unreadable or larger than 64 KiB",
        )),
        Ok(bytes) => match parse_order(&parts.headers, &bytes) {
            Err(e) => Err(e),
            Ok(order) => state.create_order(order, hold).await,
        },
    };

    match fault.map(|f| (f.kind, f.status)) {
        Some((FaultKind::CreateThen500, status)) => ApiError::new(
            ErrorCode::Internal,
            "fault: internal server error after processing the order",
        )
        .with_status(status.and_then(|s| StatusCode::from_u16(s).ok()))
        .into_response(),
        Some((FaultKind::CreateThenDrop, _)) => super::drop_connection(connection).await,
        _ => match outcome {
            Ok(Placed::Created(o)) => (StatusCode::CREATED, Json(o)).into_response(),
            Ok(Placed::Replayed(o) | Placed::Existing(o)) => {
                (StatusCode::OK, Json(o)).into_response()
            }
            Err(e) => e.into_response(),
        },
    }
}

/// Validate a `POST /v1/orders` request; errors name the offending field.
fn parse_order(headers: &HeaderMap, body: &[u8]) -> Result<OrderRequest, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("body is not valid JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| ApiError::invalid("body must be a JSON object"))?;

    let client_order_id = obj
        .get("client_order_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 128 && !s.chars().any(char::is_control))
        .ok_or_else(|| {
            ApiError::invalid(
                "client_order_id must be a non-empty string of at most 128 characters",
            )
        })?
        .to_owned();
    let key = headers
        .get("idempotency-key")
        .ok_or_else(|| ApiError::invalid("Idempotency-Key header is required"))?
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key header is not valid text"))?;
    if key != client_order_id {
        return Err(ApiError::invalid(
            "Idempotency-Key header must equal client_order_id",
        ));
    }
    let sku = obj
        .get("sku")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("sku must be a non-empty string"))?
        .to_owned();
    let quantity = obj
        .get("quantity")
        .and_then(Value::as_u64)
        .filter(|q| (1..=10).contains(q))
        .ok_or_else(|| ApiError::invalid("quantity must be an integer from 1 to 10"))?
        as u32;
    let max_unit_price = obj
        .get("max_unit_price")
        .and_then(Value::as_str)
        .and_then(parse_decimal)
        .filter(|d| !d.is_sign_negative())
        .ok_or_else(|| {
            ApiError::invalid(
                "max_unit_price must be a non-negative decimal string such as \"18.40\"",
            )
        })?;
    Ok(OrderRequest {
        client_order_id,
        sku,
        quantity,
        max_unit_price,
        face: None,
    })
}
