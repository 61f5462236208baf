//! `--flavor ding`: Ding Connect's API (`/api/V1/<Method>`) over the sandbox.
//!
//! - Auth: header `api_key` = the sandbox's API key; 401 otherwise.
//! - `GET GetBalance`, `GET GetProducts` (`skuCodes`, repeated or comma-separated):
//!   every product fixed (`Minimum` = `Maximum`): `ReceiveValue` the face value in the
//!   face currency, `SendValue` the cost in the account's currency, no fees. Mobile
//!   top-ups are direct top-ups (`RedemptionMechanism` `Immediate`), everything else
//!   a PIN product (`ReadReceipt`). Every product's `UatNumber` is [`UAT_NUMBER`].
//! - `POST SendTransfer`: answers the transfer `Submitted` (charged, no PIN yet);
//!   `ListTransferRecords` shows it `Submitted` for `submitted_ms`, then `Complete`
//!   with `ReceiptParams` `pin` (the code) and `providerRef` (its serial) and a
//!   `ReceiptText`. A ledger order kept pending shows `Processing`; one that fails,
//!   `Failed` (refunded).
//! - UAT: an `AccountNumber` that is [`UAT_NUMBER`] with its last three digits
//!   001..009 forces Ding's documented errors (001 `RateLimited`, 002
//!   `TransientProviderError`/`ProviderTimedOut`, 003 `TransientProviderError`/
//!   `ProviderRefusedRequest`, 004 `ProviderError`/`ProductUnavailable`, 005
//!   `AccountNumberInvalid`/`ProviderRefusedRequest`, 007 `InsufficientBalance`, 008
//!   `AccountNumberInvalid`/`AccountNumberFailedRegex`, 009 `ProviderError`/
//!   `RechargeNotAllowed`; 006 goes through). Each charges nothing.
//! - A `DistributorRef` used before: Ding's behaviour is not confirmed, so it is a
//!   setting: `reject` (400 `DuplicateDistributorRef`, the default) or `create` (a
//!   second transfer, charged again, listed under the same DistributorRef).
//! - `/_sandbox/ding` (GET, POST): `submitted_ms` and `duplicate`.

// Early answers are whole responses, made once per refused request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::plumbing::{after_fault, decimal, latency, num};
use crate::catalog::Product;
use crate::catalog_data::Category;
use crate::error::ErrorCode;
use crate::faults::{Endpoint, FaultKind};
use crate::ledger::{Order, OrderRequest, OrderStatus, Placed};
use crate::routes::gate::{FiredFault, v1_fault, with_faults};
use crate::server::ConnectionHandle;
use crate::state::{SandboxState, lock, read};
use crate::wire::now;

/// The UAT number; with its last three digits replaced by 001..009 it forces errors.
pub const UAT_NUMBER: &str = "449999999000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Duplicate {
    Reject,
    Create,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Settings {
    submitted_ms: u64,
    duplicate: Duplicate,
}

/// One transfer: the ledger order it is, under which DistributorRef and number.
#[derive(Debug, Clone)]
struct Transfer {
    key: String,
    distributor_ref: String,
    account_number: String,
    sku: String,
    /// Refused while being made (nothing charged); listed as Failed.
    failed: bool,
}

pub(crate) struct Ding {
    settings: std::sync::Mutex<Settings>,
    transfers: std::sync::Mutex<Vec<Transfer>>,
}

pub(crate) fn router(state: &SandboxState) -> Router<SandboxState> {
    let fake = Arc::new(Ding {
        settings: std::sync::Mutex::new(Settings {
            submitted_ms: 300,
            duplicate: Duplicate::Reject,
        }),
        transfers: std::sync::Mutex::new(Vec::new()),
    });
    let api = Router::new()
        .route("/api/V1/GetBalance", get(balance))
        .route("/api/V1/GetProducts", get(products))
        .route("/api/V1/SendTransfer", post(send_transfer))
        .route("/api/V1/ListTransferRecords", post(list_transfers))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate));
    Router::new()
        .route("/_sandbox/ding", get(show).post(change))
        .merge(api)
        .layer(Extension(fake))
}

/// Ding's answer with error codes, charging nothing.
fn errors(status: StatusCode, codes: &[(&str, Option<&str>)]) -> Response {
    let codes: Vec<Value> = codes
        .iter()
        .map(|(code, context)| json!({ "Code": code, "Context": context }))
        .collect();
    (
        status,
        Json(json!({ "ResultCode": 0, "ErrorCodes": codes })),
    )
        .into_response()
}

fn classify(method: &Method, path: &str, query: Option<&str>) -> Option<Endpoint> {
    match (method, path.trim_end_matches('/')) {
        (&Method::GET, "/api/V1/GetBalance") => Some(Endpoint::Balance),
        (&Method::GET, "/api/V1/GetProducts") => {
            let some = query.is_some_and(|q| q.to_ascii_lowercase().contains("skucodes="));
            Some(if some {
                Endpoint::Stock
            } else {
                Endpoint::Catalog
            })
        }
        (&Method::POST, "/api/V1/SendTransfer") => Some(Endpoint::OrdersCreate),
        (&Method::POST, "/api/V1/ListTransferRecords") => Some(Endpoint::OrdersGet),
        _ => None,
    }
}

async fn gate(State(state): State<SandboxState>, req: Request, next: Next) -> Response {
    latency(&state).await;
    let key_ok = req
        .headers()
        .get("api_key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == state.inner().api_key);
    if !key_ok {
        return errors(StatusCode::UNAUTHORIZED, &[("AuthenticationFailed", None)]);
    }
    match classify(req.method(), req.uri().path(), req.uri().query()) {
        Some(endpoint) => with_faults(&state, endpoint, req, next, v1_fault).await,
        None => next.run(req).await,
    }
}

async fn balance(State(state): State<SandboxState>) -> Json<Value> {
    let ledger = lock(&state.inner().ledger);
    let (balance, _) = ledger.balance();
    Json(json!({
        "Balance": num(balance),
        "CurrencyIso": ledger.currency(),
        "ResultCode": 1,
        "ErrorCodes": [],
    }))
}

fn price(p: &Product) -> Value {
    json!({
        "CustomerFee": 0,
        "DistributorFee": 0,
        "ReceiveValue": num(p.face_value),
        "ReceiveCurrencyIso": p.face_currency,
        "ReceiveValueExcludingTax": num(p.face_value),
        "TaxRate": 0,
        "TaxName": null,
        "TaxCalculation": null,
        "SendValue": num(p.wholesale_price),
        "SendCurrencyIso": &*p.currency,
    })
}

fn product_json(p: &Product) -> Value {
    let direct = p.category == Category::MobileTopup;
    json!({
        "ProviderCode": p.brand.to_ascii_uppercase().replace(' ', ""),
        "SkuCode": &*p.sku,
        "LocalizationKey": &*p.sku,
        "SettingDefinitions": [],
        "Maximum": price(p),
        "Minimum": price(p),
        "CommissionRate": 0,
        "ProcessingMode": "Instant",
        "RedemptionMechanism": if direct { "Immediate" } else { "ReadReceipt" },
        "Benefits": if direct { json!(["Mobile"]) } else { json!(["Voucher"]) },
        "ValidityPeriodIso": null,
        "UatNumber": UAT_NUMBER,
        "AdditionalInformation": null,
        "DefaultDisplayText": p.name,
        "RegionCode": p.region,
        "PaymentTypes": ["Prepaid"],
        "LookupBillsRequired": false,
    })
}

async fn products(State(state): State<SandboxState>, req: Request) -> Json<Value> {
    // `skuCodes` may repeat (`?skuCodes=A&skuCodes=B`) or hold a list (`A,B`).
    let wanted: Vec<String> = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.eq_ignore_ascii_case("skuCodes"))
        .flat_map(|(_, v)| {
            percent_decode(v)
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let catalog = read(&state.inner().catalog);
    // Ding lists what it can sell now: a product out of stock is not listed.
    let items: Vec<Value> = if wanted.is_empty() {
        catalog
            .iter()
            .filter(|p| p.available())
            .map(product_json)
            .collect()
    } else {
        wanted
            .iter()
            .filter_map(|s| catalog.get(s))
            .filter(|p| p.available())
            .map(product_json)
            .collect()
    };
    Json(json!({ "ResultCode": 1, "ErrorCodes": [], "Items": items }))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The documented UAT errors, by the last three digits of the UAT number.
fn uat_error(account: &str) -> Option<Response> {
    let prefix = &UAT_NUMBER[..UAT_NUMBER.len() - 3];
    let digits = account.strip_prefix(prefix)?;
    let bad = StatusCode::BAD_REQUEST;
    Some(match digits {
        "001" => errors(bad, &[("RateLimited", None)]),
        "002" => errors(bad, &[("TransientProviderError", Some("ProviderTimedOut"))]),
        "003" => errors(
            bad,
            &[("TransientProviderError", Some("ProviderRefusedRequest"))],
        ),
        "004" => errors(bad, &[("ProviderError", Some("ProductUnavailable"))]),
        "005" => errors(
            bad,
            &[("AccountNumberInvalid", Some("ProviderRefusedRequest"))],
        ),
        "007" => errors(bad, &[("InsufficientBalance", None)]),
        "008" => errors(
            bad,
            &[("AccountNumberInvalid", Some("AccountNumberFailedRegex"))],
        ),
        "009" => errors(bad, &[("ProviderError", Some("RechargeNotAllowed"))]),
        _ => return None,
    })
}

struct Send {
    sku: String,
    account_number: String,
    distributor_ref: String,
}

fn parse_send(state: &SandboxState, body: &[u8]) -> Result<Send, Response> {
    let bad = StatusCode::BAD_REQUEST;
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| errors(bad, &[("InvalidRequest", Some("the body is not JSON"))]))?;
    let text = |field: &'static str| {
        v.get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty() && s.len() <= 100)
            .map(str::to_string)
            .ok_or_else(|| errors(bad, &[("ParameterRequired", Some(field))]))
    };
    let sku = text("SkuCode")?;
    let account_number = text("AccountNumber")?;
    let distributor_ref = text("DistributorRef")?;
    let send = v
        .get("SendValue")
        .and_then(decimal)
        .ok_or_else(|| errors(bad, &[("ParameterRequired", Some("SendValue"))]))?;
    let catalog = read(&state.inner().catalog);
    let product = catalog
        .get(&sku)
        .ok_or_else(|| errors(bad, &[("ProviderError", Some("ProductUnavailable"))]))?;
    if send != product.wholesale_price {
        return Err(errors(bad, &[("SendValueOutOfRange", Some("SendValue"))]));
    }
    if let Some(c) = v.get("SendCurrencyIso").and_then(Value::as_str)
        && !c.is_empty()
        && c != &*product.currency
    {
        return Err(errors(
            bad,
            &[("CurrencyMismatch", Some("SendCurrencyIso"))],
        ));
    }
    Ok(Send {
        sku,
        account_number,
        distributor_ref,
    })
}

async fn send_transfer(
    State(state): State<SandboxState>,
    Extension(fake): Extension<Arc<Ding>>,
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
        Err(_) => return errors(StatusCode::BAD_REQUEST, &[("InvalidRequest", None)]),
    };
    let send = match parse_send(&state, &bytes) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(r) = uat_error(&send.account_number) {
        return r;
    }
    // The ledger key: the DistributorRef, or a numbered one for a duplicate. The
    // transfer is on record from now on, as Ding's would be while it is processed.
    let key = {
        let mut transfers = lock(&fake.transfers);
        let earlier = transfers
            .iter()
            .filter(|t| t.distributor_ref == send.distributor_ref)
            .count();
        let key = match (earlier, lock(&fake.settings).duplicate) {
            (0, _) => send.distributor_ref.clone(),
            (_, Duplicate::Reject) => {
                return errors(
                    StatusCode::BAD_REQUEST,
                    &[("DuplicateDistributorRef", Some("DistributorRef"))],
                );
            }
            (n, Duplicate::Create) => format!("{}#{}", send.distributor_ref, n + 1),
        };
        transfers.push(Transfer {
            key: key.clone(),
            distributor_ref: send.distributor_ref.clone(),
            account_number: send.account_number.clone(),
            sku: send.sku.clone(),
            failed: false,
        });
        key
    };
    let placed = state
        .create_order(
            OrderRequest {
                client_order_id: key.clone(),
                sku: send.sku.clone(),
                quantity: 1,
                max_unit_price: Decimal::MAX,
                face: None,
            },
            hold,
        )
        .await;
    let bad = StatusCode::BAD_REQUEST;
    let answer = match placed {
        Ok(Placed::Created(order)) => {
            let transfer = Transfer {
                key,
                distributor_ref: send.distributor_ref,
                account_number: send.account_number,
                sku: send.sku,
                failed: false,
            };
            let record = fake.record(&state, &transfer, &order, true);
            Json(json!({ "TransferRecord": record["TransferRecord"], "ResultCode": 1, "ErrorCodes": [] }))
                .into_response()
        }
        // Two sends raced on one DistributorRef.
        Ok(Placed::Replayed(_) | Placed::Existing(_)) => {
            errors(bad, &[("DuplicateDistributorRef", None)])
        }
        Err(e) => {
            if let Some(t) = lock(&fake.transfers).iter_mut().find(|t| t.key == key) {
                t.failed = true;
            }
            match e.code {
                ErrorCode::OutOfStock => {
                    errors(bad, &[("ProviderError", Some("ProductUnavailable"))])
                }
                ErrorCode::InsufficientBalance => errors(bad, &[("InsufficientBalance", None)]),
                _ => errors(bad, &[("ProviderError", Some("ProductUnavailable"))]),
            }
        }
    };
    after_fault(fault.as_ref(), connection, answer).await
}

/// A transfer on record whose order is not made yet (`Submitted`), or was refused
/// while being made (`Failed`, nothing charged).
fn unfinished(t: &Transfer) -> Value {
    let (state, codes) = if t.failed {
        (
            "Failed",
            json!([{ "Code": "ProviderError", "Context": "ProductUnavailable" }]),
        )
    } else {
        ("Submitted", json!([]))
    };
    json!({
        "TransferRecord": {
            "TransferId": { "TransferRef": format!("DT-{}", t.key), "DistributorRef": t.distributor_ref },
            "SkuCode": t.sku,
            "Price": { "SendValue": 0, "SendCurrencyIso": "USD", "ReceiveValue": 0,
                       "ReceiveCurrencyIso": "USD", "DistributorFee": 0 },
            "CommissionApplied": 0,
            "ProcessingState": state,
            "ReceiptText": null,
            "ReceiptParams": {},
            "AccountNumber": t.account_number,
        },
        "ResultCode": 1,
        "ErrorCodes": codes,
    })
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Ding {
    /// A `TransferRecordWithErrorCodes` for one transfer; `just_sent` for the answer
    /// to SendTransfer itself (always Submitted when `submitted_ms` > 0).
    fn record(&self, state: &SandboxState, t: &Transfer, o: &Order, just_sent: bool) -> Value {
        let submitted = std::time::Duration::from_millis(lock(&self.settings).submitted_ms);
        let young = o
            .completed_at
            .is_some_and(|done| (now() - done).to_std().unwrap_or_default() < submitted);
        let (state_name, codes): (&str, Value) = match o.status {
            OrderStatus::Pending => ("Processing", json!([])),
            OrderStatus::Failed => (
                "Failed",
                json!([{ "Code": "ProviderError", "Context": "ProductUnavailable" }]),
            ),
            OrderStatus::Completed if young || (just_sent && !submitted.is_zero()) => {
                ("Submitted", json!([]))
            }
            OrderStatus::Completed => ("Complete", json!([])),
        };
        let complete = state_name == "Complete";
        let code = o.codes.first();
        let product = read(&state.inner().catalog).get(&o.sku).cloned();
        let mut price = match &product {
            Some(p) => price(p),
            None => json!({ "SendValue": num(o.unit_price), "SendCurrencyIso": o.currency,
                            "ReceiveValue": 0, "ReceiveCurrencyIso": o.currency, "DistributorFee": 0 }),
        };
        // What this transfer was charged, not what the product costs today.
        price["SendValue"] = num(o.total);
        let receipt_params = match code.filter(|_| complete) {
            Some(c) => json!({ "pin": c.code, "providerRef": c.serial }),
            None => json!({}),
        };
        let receipt_text = code.filter(|_| complete).map(|c| {
            format!(
                "PIN: {}. Dial the number on the card and enter the PIN.",
                c.code
            )
        });
        json!({
            "TransferRecord": {
                "TransferId": {
                    "TransferRef": format!("DT{}", o.order_id.trim_start_matches("SO-")),
                    "DistributorRef": t.distributor_ref,
                },
                "SkuCode": o.sku,
                "Price": price,
                "CommissionApplied": 0,
                "StartedUtc": time(&o.created_at),
                "CompletedUtc": o.completed_at.filter(|_| complete).map(|t| time(&t)),
                "ProcessingState": state_name,
                "ReceiptText": receipt_text,
                "ReceiptParams": receipt_params,
                "AccountNumber": t.account_number,
            },
            "ResultCode": 1,
            "ErrorCodes": codes,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    transfer_ref: Option<String>,
    distributor_ref: Option<String>,
    account_number: Option<String>,
    #[serde(default)]
    skip: Option<usize>,
    take: Option<usize>,
}

async fn list_transfers(
    State(state): State<SandboxState>,
    Extension(fake): Extension<Arc<Ding>>,
    body: Bytes,
) -> Response {
    let Ok(q) = serde_json::from_slice::<ListRequest>(&body) else {
        return errors(StatusCode::BAD_REQUEST, &[("InvalidRequest", None)]);
    };
    let Some(take) = q.take.filter(|t| *t > 0) else {
        return errors(
            StatusCode::BAD_REQUEST,
            &[("ParameterRequired", Some("Take"))],
        );
    };
    let transfers = lock(&fake.transfers).clone();
    let mut items = Vec::new();
    for t in &transfers {
        if q.distributor_ref
            .as_ref()
            .is_some_and(|r| *r != t.distributor_ref)
            || q.account_number
                .as_ref()
                .is_some_and(|a| *a != t.account_number)
        {
            continue;
        }
        let record = match state.order(&t.key) {
            Some(order) => fake.record(&state, t, &order, false),
            // Still being made (or refused while being made).
            None => unfinished(t),
        };
        if q.transfer_ref
            .as_ref()
            .is_some_and(|r| record["TransferRecord"]["TransferId"]["TransferRef"] != json!(r))
        {
            continue;
        }
        items.push(record);
    }
    let skip = q.skip.unwrap_or(0);
    let more = items.len() > skip + take;
    let items: Vec<Value> = items.into_iter().skip(skip).take(take).collect();
    Json(json!({ "ResultCode": 1, "ErrorCodes": [], "Items": items, "ThereAreMoreItems": more }))
        .into_response()
}

async fn show(Extension(fake): Extension<Arc<Ding>>) -> Json<Value> {
    let transfers: HashMap<String, usize> =
        lock(&fake.transfers)
            .iter()
            .fold(HashMap::new(), |mut m, t| {
                *m.entry(t.distributor_ref.clone()).or_default() += 1;
                m
            });
    Json(json!({
        "settings": *lock(&fake.settings),
        "uat_number": UAT_NUMBER,
        "transfers_by_ref": transfers,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    submitted_ms: Option<u64>,
    duplicate: Option<Duplicate>,
}

async fn change(
    Extension(fake): Extension<Arc<Ding>>,
    body: Result<Json<Change>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(c)) = body else {
        return crate::error::ApiError::invalid(
            "expected {submitted_ms, duplicate: \"reject\" | \"create\"}",
        )
        .into_response();
    };
    let mut s = lock(&fake.settings);
    s.submitted_ms = c.submitted_ms.unwrap_or(s.submitted_ms);
    s.duplicate = c.duplicate.unwrap_or(s.duplicate);
    Json(json!({ "settings": *s })).into_response()
}
