//! `--flavor bamboo`: Bamboo Card Portal's integration API over the sandbox.
//!
//! - Basic auth: client id [`CLIENT_ID`], secret = the sandbox's API key; 401 otherwise.
//! - `GET /api/integration/v2.0/catalog` (PageIndex 0-based, PageSize ≤ 100,
//!   ProductId, CountryCode): the catalog grouped into brand items (brand, region,
//!   face currency) holding products; a product's id is its position in the catalog
//!   as generated (from [`FIRST_PRODUCT_ID`]; `SandboxState::client_sku` tells it); `count` null = unlimited, 0 = out of stock;
//!   `price` is the account-currency cost. Each item of two or more denominations
//!   also has an open-amount product (from [`FIRST_RANGE_ID`]): any face value
//!   between its smallest and largest, priced as the smallest one scaled.
//! - `GET /api/integration/v1.0/accounts`: one account, [`ACCOUNT_ID`].
//! - `POST /api/integration/v1.0/orders/checkout` answers the RequestId as a JSON
//!   string; one product line per order (the sandbox's ledger keeps one sku per
//!   order). A RequestId already used: 400 `OrderAlreadyExists`.
//! - `GET /api/integration/v1.0/orders/{requestId}` (also `orders/checkout/{id}`):
//!   an order shows `Processing` without cards for `processing_ms` after it was
//!   made (and while the ledger keeps it pending), then `Succeeded` with its cards;
//!   unknown: 400 `OrderNotFound`.
//! - Limits: a checkout less than `order_gap_ms` after the last accepted one, or the
//!   `per_product`-th of one product within `window_ms`, is refused 429.
//! - Errors: 400 `{"reason": "<Bamboo reason>", "message": "..."}` (Bamboo's real
//!   shape is not confirmed; clients should not depend on it).
//! - `/_sandbox/bamboo` (GET, POST): these settings, `partial_fail` (the next N
//!   orders end `PartialFailed`: their last card fails and is refunded) and the
//!   count of checkouts refused for going too fast.

// Early answers are whole responses, made once per refused request.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::plumbing::{after_fault, base64, decimal, latency, num};
use crate::catalog::Product;
use crate::faults::{Endpoint, FaultKind};
use crate::ledger::{Order, OrderRequest, OrderStatus, Placed, Repeat};
use crate::routes::gate::{FiredFault, v1_fault, with_faults};
use crate::server::ConnectionHandle;
use crate::state::{SandboxState, lock, read};
use crate::wire::now;

pub const CLIENT_ID: &str = "sandbox-client";
pub const ACCOUNT_ID: i64 = 1001;
pub const FIRST_PRODUCT_ID: i64 = 100_001;
const MAX_PAGE: usize = 100;
const MAX_CARDS: u64 = 500;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    processing_ms: u64,
    order_gap_ms: u64,
    per_product: usize,
    window_ms: u64,
    /// The next this many orders end PartialFailed.
    partial_fail: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            processing_ms: 300,
            order_gap_ms: 500,
            per_product: 6,
            window_ms: 60_000,
            partial_fail: 0,
        }
    }
}

#[derive(Default)]
struct Pace {
    last: Option<Instant>,
    recent: HashMap<i64, VecDeque<Instant>>,
}

/// Bamboo's numeric product ids: each sandbox sku's position in the catalog as
/// generated (sorted by sku), from [`FIRST_PRODUCT_ID`]; stable while it runs.
pub(crate) struct Ids {
    sku_by_id: HashMap<i64, Arc<str>>,
    id_by_sku: HashMap<Arc<str>, i64>,
    /// One open-amount product per brand item of two or more denominations.
    ranges: BTreeMap<Group, Range>,
    range_by_id: HashMap<i64, Group>,
}

/// A brand item: brand, region, face currency.
type Group = (&'static str, &'static str, &'static str);

/// An open-amount product: any face value from the item's smallest denomination to
/// its largest, priced (and bought in the ledger) as its smallest one scaled.
#[derive(Debug, Clone)]
struct Range {
    id: i64,
    base: Arc<str>,
    min: Decimal,
    max: Decimal,
}

/// Open-amount products' ids start here.
pub const FIRST_RANGE_ID: i64 = 900_001;

impl Ids {
    pub(crate) fn new(products: &[Product]) -> Ids {
        let mut skus: Vec<&Arc<str>> = products.iter().map(|p| &p.sku).collect();
        skus.sort();
        let mut ids = Ids {
            sku_by_id: HashMap::new(),
            id_by_sku: HashMap::new(),
            ranges: BTreeMap::new(),
            range_by_id: HashMap::new(),
        };
        for (i, sku) in skus.into_iter().enumerate() {
            let id = FIRST_PRODUCT_ID + i as i64;
            ids.sku_by_id.insert(id, Arc::clone(sku));
            ids.id_by_sku.insert(Arc::clone(sku), id);
        }
        let mut groups: BTreeMap<Group, Vec<&Product>> = BTreeMap::new();
        for p in products {
            groups
                .entry((p.brand, p.region, p.face_currency))
                .or_default()
                .push(p);
        }
        let mut next = FIRST_RANGE_ID;
        for (group, members) in groups.into_iter().filter(|(_, m)| m.len() >= 2) {
            let (Some(low), Some(high)) = (
                members
                    .iter()
                    .min_by_key(|p| (p.face_value, Arc::clone(&p.sku))),
                members.iter().map(|p| p.face_value).max(),
            ) else {
                continue;
            };
            if low.face_value.is_zero() || high <= low.face_value {
                continue;
            }
            ids.ranges.insert(
                group,
                Range {
                    id: next,
                    base: Arc::clone(&low.sku),
                    min: low.face_value,
                    max: high,
                },
            );
            ids.range_by_id.insert(next, group);
            next += 1;
        }
        ids
    }

    fn range(&self, id: i64) -> Option<&Range> {
        self.ranges.get(self.range_by_id.get(&id)?)
    }

    /// The open-amount product bought through its base sku.
    fn range_of_base(&self, sku: &str) -> Option<&Range> {
        self.ranges.values().find(|r| &*r.base == sku)
    }

    pub(crate) fn id(&self, sku: &str) -> Option<i64> {
        self.id_by_sku.get(sku).copied()
    }

    fn sku(&self, id: i64) -> Option<Arc<str>> {
        self.sku_by_id.get(&id).cloned()
    }
}

pub(crate) struct Bamboo {
    settings: std::sync::Mutex<Settings>,
    pace: std::sync::Mutex<Pace>,
    partial: std::sync::Mutex<HashSet<String>>,
    too_fast: AtomicU64,
}

/// A 400 with a Bamboo reason.
fn refuse(reason: &str, message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "reason": reason, "message": message.into() })),
    )
        .into_response()
}

pub(crate) fn router(state: &SandboxState) -> Router<SandboxState> {
    let fake = Arc::new(Bamboo {
        settings: std::sync::Mutex::new(Settings::default()),
        pace: std::sync::Mutex::new(Pace::default()),
        partial: std::sync::Mutex::new(HashSet::new()),
        too_fast: AtomicU64::new(0),
    });
    let api = Router::new()
        .route("/api/integration/v2.0/catalog", get(catalog_page))
        .route("/api/integration/v1.0/accounts", get(accounts))
        .route("/api/integration/v1.0/orders/checkout", post(checkout))
        .route("/api/integration/v1.0/orders/checkout/{id}", get(order))
        .route("/api/integration/v1.0/orders/{id}", get(order))
        .route("/api/integration/v1/orders", get(orders_report))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate));
    Router::new()
        .route("/_sandbox/bamboo", get(show).post(change))
        .merge(api)
        .layer(Extension(fake))
}

fn classify(method: &Method, path: &str, query: Option<&str>) -> Option<Endpoint> {
    let path = path.trim_end_matches('/');
    match (method, path) {
        (&Method::GET, "/api/integration/v2.0/catalog") => {
            let one = query.is_some_and(|q| {
                q.split('&')
                    .any(|kv| kv.to_ascii_lowercase().starts_with("productid="))
            });
            Some(if one {
                Endpoint::Stock
            } else {
                Endpoint::Catalog
            })
        }
        (&Method::GET, "/api/integration/v1.0/accounts") => Some(Endpoint::Balance),
        (&Method::POST, "/api/integration/v1.0/orders/checkout") => Some(Endpoint::OrdersCreate),
        (&Method::GET, p)
            if p.starts_with("/api/integration/v1.0/orders/")
                || p == "/api/integration/v1/orders" =>
        {
            Some(Endpoint::OrdersGet)
        }
        _ => None,
    }
}

async fn gate(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    latency(&state).await;
    let expected = format!(
        "Basic {}",
        base64(format!("{CLIENT_ID}:{}", state.inner().api_key).as_bytes())
    );
    let authorized = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == expected);
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic")],
            Json(json!({ "message": "Authorization has been denied for this request." })),
        )
            .into_response();
    }
    match classify(req.method(), req.uri().path(), req.uri().query()) {
        Some(endpoint) => with_faults(&state, endpoint, req, next, v1_fault).await,
        None => next.run(req).await,
    }
}

/// Bamboo's dates, as its examples show them: ISO without a zone (UTC).
fn date(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

impl Ids {
    /// The open-amount product of a brand item, priced from its base product now.
    fn range_json(&self, range: &Range, base: &Product) -> Value {
        let per_face = base.wholesale_price / base.face_value;
        json!({
            "id": range.id,
            "name": format!("{} {}-{} {}", base.brand, range.min, range.max, base.face_currency),
            "minFaceValue": num(range.min),
            "maxFaceValue": num(range.max),
            "count": if base.available() { Value::Null } else { json!(0) },
            "price": {
                "min": num(crate::wire::money(range.min * per_face)),
                "max": num(crate::wire::money(range.max * per_face)),
                "currencyCode": &*base.currency,
            },
            "modifiedDate": date(&base.updated_at),
        })
    }

    fn product_json(&self, p: &Product) -> Value {
        let count = if p.available() {
            p.quantity.map(u64::from)
        } else {
            Some(0)
        };
        json!({
            "id": self.id(&p.sku).unwrap_or_default(),
            "name": p.name,
            "minFaceValue": num(p.face_value),
            "maxFaceValue": num(p.face_value),
            "count": count,
            "price": {
                "min": num(p.wholesale_price),
                "max": num(p.wholesale_price),
                "currencyCode": &*p.currency,
            },
            "modifiedDate": date(&p.updated_at),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CatalogQuery {
    page_index: Option<String>,
    page_size: Option<String>,
    product_id: Option<String>,
    country_code: Option<String>,
}

async fn catalog_page(
    State(state): State<SandboxState>,
    Query(q): Query<CatalogQuery>,
) -> Response {
    let ids = &state.inner().bamboo;
    let index = match q.page_index.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(i)) => i,
        Some(Err(_)) => return refuse("InvalidRequest", "PageIndex must be a number"),
    };
    let size = match q.page_size.as_deref().map(str::parse::<usize>) {
        None => MAX_PAGE,
        Some(Ok(s)) if (1..=MAX_PAGE).contains(&s) => s,
        Some(_) => return refuse("InvalidRequest", "PageSize must be 1 to 100"),
    };
    let only = match q.product_id.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return refuse("InvalidRequest", "ProductId must be a number"),
    };
    let catalog = read(&state.inner().catalog);
    // Brand items: (brand, region, face currency) → products, in a stable order.
    let mut items: BTreeMap<(&str, &str, &str), Vec<&Product>> = BTreeMap::new();
    for p in catalog.iter() {
        let group = (p.brand, p.region, p.face_currency);
        if only.is_some_and(|id| {
            ids.id(&p.sku) != Some(id) && ids.ranges.get(&group).is_none_or(|r| r.id != id)
        }) {
            continue;
        }
        if q.country_code
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(p.region))
        {
            continue;
        }
        items
            .entry((p.brand, p.region, p.face_currency))
            .or_default()
            .push(p);
    }
    let count = items.len();
    let page: Vec<Value> = items
        .iter()
        .skip(index.saturating_mul(size))
        .take(size)
        .map(|((brand, region, currency), products)| {
            let modified = products
                .iter()
                .map(|p| p.updated_at)
                .max()
                .unwrap_or_else(now);
            json!({
                "internalId": format!("{brand}-{region}-{currency}"),
                "name": brand,
                "countryCode": if *region == "GLOBAL" { Value::Null } else { json!(region) },
                "currencyCode": currency,
                "description": format!("{brand} gift cards"),
                "disclaimer": null,
                "redemptionInstructions": products.first().map(|p| p.redeem_instructions),
                "terms": null,
                "logoUrl": null,
                "modifiedDate": date(&modified),
                "products": item_products(ids, only, (brand, region, currency), products),
            })
        })
        .collect();
    Json(json!({ "pageIndex": index, "pageSize": size, "count": count, "items": page }))
        .into_response()
}

/// An item's products: its fixed ones, then its open-amount one (whose base product
/// is in the item); `only` keeps the one asked for.
fn item_products(ids: &Ids, only: Option<i64>, group: Group, products: &[&Product]) -> Vec<Value> {
    let mut out: Vec<Value> = products
        .iter()
        .filter(|p| only.is_none_or(|id| ids.id(&p.sku) == Some(id)))
        .map(|p| ids.product_json(p))
        .collect();
    if let Some(range) = ids.ranges.get(&group)
        && only.is_none_or(|id| id == range.id)
        && let Some(base) = products.iter().find(|p| p.sku == range.base)
    {
        out.push(ids.range_json(range, base));
    }
    out
}

async fn accounts(State(state): State<SandboxState>) -> Response {
    let ledger = lock(&state.inner().ledger);
    let (balance, _) = ledger.balance();
    Json(json!({ "accounts": [{
        "id": ACCOUNT_ID,
        "currency": ledger.currency(),
        "balance": num(balance),
        "isActive": true,
        "sandboxMode": true,
    }]}))
    .into_response()
}

fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

struct Checkout {
    request_id: String,
    product_id: i64,
    sku: Arc<str>,
    quantity: u32,
    /// The face value of an open-amount card.
    face: Option<Decimal>,
}

fn parse_checkout(state: &SandboxState, body: &[u8]) -> Result<Checkout, Response> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| refuse("InvalidRequest", "the body is not JSON"))?;
    let request_id = v
        .get("RequestId")
        .and_then(Value::as_str)
        .filter(|s| is_guid(s))
        .ok_or_else(|| refuse("InvalidRequest", "RequestId must be a GUID"))?
        .to_ascii_lowercase();
    if v.get("AccountId").and_then(Value::as_i64) != Some(ACCOUNT_ID) {
        return Err(refuse("WrongAccount", "the account is not this client's"));
    }
    let lines = v
        .get("Products")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| refuse("NoProducts", "the order has no products"))?;
    let [line] = lines.as_slice() else {
        return Err(refuse(
            "InvalidProduct",
            "the sandbox takes one product line per order",
        ));
    };
    let quantity = line
        .get("Quantity")
        .and_then(Value::as_u64)
        .filter(|q| *q >= 1)
        .ok_or_else(|| refuse("InvalidProduct", "Quantity must be at least 1"))?;
    if quantity > MAX_CARDS {
        return Err(refuse("CardsLimitExceeded", "at most 500 cards per order"));
    }
    let product_id = line
        .get("ProductId")
        .and_then(Value::as_i64)
        .ok_or_else(|| refuse("InvalidProductIds", "ProductId must be a number"))?;
    let value = line.get("Value").and_then(decimal);
    if let Some(range) = state.inner().bamboo.range(product_id) {
        let face = value
            .filter(|v| *v >= range.min && *v <= range.max)
            .ok_or_else(|| {
                refuse(
                    "InvalidDenomination",
                    format!("Value must be {} to {}", range.min, range.max),
                )
            })?;
        return Ok(Checkout {
            request_id,
            product_id,
            sku: Arc::clone(&range.base),
            quantity: quantity as u32,
            face: Some(face),
        });
    }
    let sku = state
        .inner()
        .bamboo
        .sku(product_id)
        .ok_or_else(|| refuse("InvalidProductIds", format!("no product {product_id}")))?;
    let face = read(&state.inner().catalog)
        .get(&sku)
        .map(|p| p.face_value)
        .ok_or_else(|| refuse("InvalidProductIds", format!("no product {product_id}")))?;
    if value != Some(face) {
        return Err(refuse(
            "InvalidDenomination",
            format!("Value must be {face} for product {product_id}"),
        ));
    }
    Ok(Checkout {
        request_id,
        product_id,
        sku,
        quantity: quantity as u32,
        face: None,
    })
}

impl Bamboo {
    /// Bamboo's limits; a checkout that breaks one is refused (and counted).
    fn admit(&self, product: i64) -> Result<(), Response> {
        let settings = *lock(&self.settings);
        let mut pace = lock(&self.pace);
        let now = Instant::now();
        let gap = Duration::from_millis(settings.order_gap_ms);
        let window = Duration::from_millis(settings.window_ms);
        let too_soon = pace.last.is_some_and(|t| now.duration_since(t) < gap);
        let recent = pace.recent.entry(product).or_default();
        recent.retain(|t| now.duration_since(*t) < window);
        if too_soon || recent.len() >= settings.per_product {
            self.too_fast.fetch_add(1, Ordering::Relaxed);
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                Json(json!({ "message": "Too many requests" })),
            )
                .into_response());
        }
        recent.push_back(now);
        pace.last = Some(now);
        Ok(())
    }
}

async fn checkout(
    State(state): State<SandboxState>,
    Extension(fake): Extension<Arc<Bamboo>>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let fault = parts.extensions.get::<FiredFault>().map(|f| f.0.clone());
    let connection = parts.extensions.get::<ConnectionHandle>().cloned();
    let hold = fault
        .as_ref()
        .filter(|f| f.kind == FaultKind::HoldThenCreate)
        .map(|f| f.hold());
    let bytes: Bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return refuse("InvalidRequest", "the body is unreadable"),
    };
    let order = match parse_checkout(&state, &bytes) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if state.order(&order.request_id).is_some() {
        return refuse("OrderAlreadyExists", "an order with this RequestId exists");
    }
    if let Err(r) = fake.admit(order.product_id) {
        return r;
    }
    let placed = state
        .create_order_with(
            OrderRequest {
                client_order_id: order.request_id.clone(),
                sku: order.sku.to_string(),
                quantity: order.quantity,
                max_unit_price: Decimal::MAX,
                face: order.face,
            },
            hold,
            Repeat::Refuse,
            None,
        )
        .await;
    let answer = match placed {
        Ok(Placed::Created(created)) => {
            let partial = {
                let mut s = lock(&fake.settings);
                let take = s.partial_fail > 0;
                if take {
                    s.partial_fail -= 1;
                }
                take
            };
            if partial {
                // The last card fails; Bamboo does not charge for it.
                lock(&fake.partial).insert(created.client_order_id.clone());
                let mut ledger = lock(&state.inner().ledger);
                let (balance, _) = ledger.balance();
                ledger.set_balance(balance + created.unit_price, now());
            }
            Json(json!(order.request_id)).into_response()
        }
        // Two checkouts raced on one RequestId: the second is a duplicate.
        Ok(Placed::Existing(_) | Placed::Replayed(_)) => {
            refuse("OrderAlreadyExists", "an order with this RequestId exists")
        }
        Err(e) => match e.code {
            crate::error::ErrorCode::OutOfStock => {
                refuse("ProductIsOutOfStock", "the product is out of stock")
            }
            crate::error::ErrorCode::InsufficientBalance => {
                refuse("InsufficientBalance", "the account balance is too low")
            }
            crate::error::ErrorCode::NotFound => refuse("InvalidProductIds", e.message),
            _ => refuse("InvalidProduct", e.message),
        },
    };
    after_fault(fault.as_ref(), connection, answer).await
}

async fn order(
    State(state): State<SandboxState>,
    Extension(fake): Extension<Arc<Bamboo>>,
    Path(id): Path<String>,
) -> Response {
    let key = id.to_ascii_lowercase();
    let Some(order) = state.order(&key) else {
        return refuse("OrderNotFound", format!("no order {id}"));
    };
    Json(fake.order_json(&state, &order)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportQuery {
    start_date: Option<String>,
    end_date: Option<String>,
}

/// `GET v1/orders?startDate=&endDate=`: Bamboo's orders report, one row per product
/// line of each order made on those days (both included), in the order's status and
/// total as `GET orders/{id}` shows them now.
async fn orders_report(
    State(state): State<SandboxState>,
    Extension(fake): Extension<Arc<Bamboo>>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let day = |v: Option<&str>| {
        v.and_then(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
    };
    let (Some(start), Some(end)) = (day(q.start_date.as_deref()), day(q.end_date.as_deref()))
    else {
        return refuse(
            "InvalidRequest",
            "startDate and endDate (yyyy-MM-dd) are required",
        );
    };
    let orders = state.orders_where(|o| {
        let d = o.created_at.date_naive();
        start <= d && d <= end
    });
    let rows: Vec<Value> = orders
        .iter()
        .map(|o| {
            let shown = fake.order_json(&state, o);
            let product = read(&state.inner().catalog).get(&o.sku).cloned();
            json!({
                "clientName": "codetill sandbox",
                "orderNumber": o.order_id,
                "orderDate": date(&o.created_at),
                "clientReferenceNumber": o.client_order_id,
                "channel": "Sandbox",
                "productName": product.as_ref().map(|p| p.name.to_string()),
                "denomination": product.as_ref().map(|p| format!("{} {}", p.face_value, p.face_currency)),
                "quantity": o.quantity,
                "unitPrice": num(o.unit_price),
                "subTotal": shown["total"],
                "total": shown["total"],
                "accountCurrency": o.currency,
                "status": shown["status"],
            })
        })
        .collect();
    Json(rows).into_response()
}

impl Bamboo {
    fn order_json(&self, state: &SandboxState, o: &Order) -> Value {
        let processing = Duration::from_millis(lock(&self.settings).processing_ms);
        let partial = lock(&self.partial).contains(&o.client_order_id);
        let still_processing = match (o.status, o.completed_at) {
            (OrderStatus::Pending, _) => true,
            (OrderStatus::Completed, Some(done)) => {
                (now() - done).to_std().unwrap_or_default() < processing
            }
            _ => false,
        };
        let (status, cards, total): (&str, Vec<Value>, Decimal) = if still_processing {
            ("Processing", Vec::new(), o.total)
        } else {
            match o.status {
                OrderStatus::Failed => ("Failed", Vec::new(), Decimal::ZERO),
                _ => {
                    let mut cards: Vec<Value> = o
                        .codes
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            json!({
                                "id": i + 1,
                                "serialNumber": c.serial,
                                "cardCode": c.code,
                                "pin": c.pin,
                                "expirationDate": null,
                                "status": "Sold",
                            })
                        })
                        .collect();
                    if partial {
                        if let Some(last) = cards.last_mut() {
                            *last = json!({ "id": last["id"], "serialNumber": null, "cardCode": null,
                                "pin": null, "expirationDate": null, "status": "Failed" });
                        }
                        ("PartialFailed", cards, o.total - o.unit_price)
                    } else {
                        ("Succeeded", cards, o.total)
                    }
                }
            }
        };
        let product = read(&state.inner().catalog).get(&o.sku).cloned();
        json!({
            "orderId": o.order_id.trim_start_matches("SO-").parse::<i64>().unwrap_or_default(),
            "requestId": o.client_order_id,
            "status": status,
            "createdDate": date(&o.created_at),
            "total": num(total),
            "errorMessage": o.failure.as_ref().map(|f| f.message.clone()),
            "orderType": "Order",
            "currency": o.currency,
            "items": [{
                "productId": match o.request.face {
                    Some(_) => state.inner().bamboo.range_of_base(&o.sku).map(|r| r.id),
                    None => state.inner().bamboo.id(&o.sku),
                }
                .unwrap_or_default(),
                "productFaceValue": o.request.face.or(product.as_ref().map(|p| p.face_value)).map(num),
                "quantity": o.quantity,
                "countryCode": product.as_ref().map(|p| p.region),
                "currencyCode": product.as_ref().map(|p| p.face_currency),
                "cards": cards,
            }],
        })
    }
}

async fn show(Extension(fake): Extension<Arc<Bamboo>>) -> Json<Value> {
    Json(json!({
        "settings": *lock(&fake.settings),
        "rate_limited": fake.too_fast.load(Ordering::Relaxed),
        "account_id": ACCOUNT_ID,
        "client_id": CLIENT_ID,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    processing_ms: Option<u64>,
    order_gap_ms: Option<u64>,
    per_product: Option<usize>,
    window_ms: Option<u64>,
    partial_fail: Option<u32>,
}

async fn change(
    Extension(fake): Extension<Arc<Bamboo>>,
    body: Result<Json<Change>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(c)) = body else {
        return crate::error::ApiError::invalid(
            "expected {processing_ms, order_gap_ms, per_product, window_ms, partial_fail}",
        )
        .into_response();
    };
    let mut s = lock(&fake.settings);
    s.processing_ms = c.processing_ms.unwrap_or(s.processing_ms);
    s.order_gap_ms = c.order_gap_ms.unwrap_or(s.order_gap_ms);
    s.per_product = c.per_product.unwrap_or(s.per_product).max(1);
    s.window_ms = c.window_ms.unwrap_or(s.window_ms);
    s.partial_fail = c.partial_fail.unwrap_or(s.partial_fail);
    Json(json!({ "settings": *s })).into_response()
}
