//! Fake NOWPayments: `POST /v1/invoice` makes a hosted invoice, the buyer's crypto
//! payments against it are added by the test ([`FakeProviders::np_pay`]) and read
//! back by `GET /v1/payment/{payment_id}`, as their API answers (ids and prices as
//! JSON numbers in a payment, strings in an invoice). IPNs are signed as they sign
//! them: hex HMAC-SHA512 of the body with its keys sorted.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha512;

use super::{FakeProviders, Ledger, now_s};

pub const API_KEY: &str = "np-api-key-codetill";
pub const IPN_SECRET: &str = "np-ipn-secret";

fn error(status: StatusCode, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(
            json!({ "status": false, "statusCode": status.as_u16(), "code": "INVALID_REQUEST_PARAMS", "message": message }),
        ),
    )
}

fn key_ok(headers: &HeaderMap) -> bool {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == API_KEY)
}

pub(super) async fn create_invoice(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !key_ok(&headers) {
        return error(StatusCode::FORBIDDEN, "Invalid api key");
    }
    let Some(price) = body["price_amount"].as_f64().filter(|p| *p > 0.0) else {
        return error(
            StatusCode::BAD_REQUEST,
            "\"price_amount\" must be a positive number",
        );
    };
    let Some(currency) = body["price_currency"].as_str() else {
        return error(StatusCode::BAD_REQUEST, "\"price_currency\" is required");
    };
    let n = ledger.created.fetch_add(1, Ordering::SeqCst) + 1;
    let id = (4_522_625_000u64 + u64::from(n)).to_string();
    let invoice = json!({
        "id": id, "token_id": format!("tok{n}"), "order_id": body["order_id"],
        "order_description": body["order_description"],
        // Their invoice answers write the price as a string.
        "price_amount": price.to_string(), "price_currency": currency, "pay_currency": null,
        "ipn_callback_url": body.get("ipn_callback_url").cloned().unwrap_or(Value::Null),
        "invoice_url": format!("https://nowpayments.io/payment/?iid={id}"),
        "success_url": null, "cancel_url": null, "customer_email": null,
        "partially_paid_url": null, "payout_currency": null,
        "created_at": "2026-12-04T10:00:00.000Z", "updated_at": "2026-12-04T10:00:00.000Z",
        "is_fixed_rate": false, "is_fee_paid_by_user": false,
    });
    if let Ok(mut s) = ledger.np_invoices.lock() {
        s.insert(id, invoice.clone());
    }
    (StatusCode::OK, Json(invoice))
}

pub(super) async fn get_payment(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> (StatusCode, Json<Value>) {
    if !key_ok(&headers) {
        return error(StatusCode::FORBIDDEN, "Invalid api key");
    }
    match ledger
        .np_payments
        .lock()
        .ok()
        .and_then(|s| s.get(&id).cloned())
    {
        Some(p) => (StatusCode::OK, Json(p)),
        None => error(StatusCode::NOT_FOUND, "Payment not found"),
    }
}

impl FakeProviders {
    pub fn np_invoice(&self, id: &str) -> Option<Value> {
        self.ledger.np_invoices.lock().ok()?.get(id).cloned()
    }

    /// The buyer starts paying invoice `invoice_id` in bitcoin: a new payment in
    /// `status`, priced as the invoice is. Its `payment_id`.
    pub fn np_pay(&self, invoice_id: &str, status: &str) -> Option<String> {
        let invoice = self.np_invoice(invoice_id)?;
        let n = self.ledger.created.fetch_add(1, Ordering::SeqCst) + 1;
        let payment_id = 5_077_125_000u64 + u64::from(n);
        let price: f64 = invoice["price_amount"].as_str()?.parse().ok()?;
        let payment = json!({
            "payment_id": payment_id, "invoice_id": invoice_id.parse::<u64>().ok()?,
            "payment_status": status, "pay_address": "bc1qnowpayments",
            "price_amount": price, "price_currency": invoice["price_currency"],
            "pay_amount": 0.00034151, "actually_paid": 0, "actually_paid_at_fiat": 0,
            "pay_currency": "btc", "order_id": invoice["order_id"],
            "order_description": invoice["order_description"], "purchase_id": 5_837_122_679u64,
            "outcome_amount": 0.000339, "outcome_currency": "btc", "payout_hash": null,
            "payin_hash": null, "created_at": "2026-12-04T10:01:00.000Z",
            "updated_at": "2026-12-04T10:01:00.000Z", "burning_percent": null, "type": "crypto2crypto",
        });
        self.ledger
            .np_payments
            .lock()
            .ok()?
            .insert(payment_id.to_string(), payment);
        Some(payment_id.to_string())
    }

    /// Changes payment `id` as NOWPayments would see it now.
    pub fn np_set(&self, id: &str, change: impl FnOnce(&mut Value)) {
        if let Ok(mut s) = self.ledger.np_payments.lock()
            && let Some(p) = s.get_mut(id)
        {
            change(p);
            if p["payment_status"] == "finished" {
                p["actually_paid"] = p["pay_amount"].clone();
            }
        }
    }

    pub fn np_payment(&self, id: &str) -> Option<Value> {
        self.ledger.np_payments.lock().ok()?.get(id).cloned()
    }
}

/// The IPN NOWPayments sends for `payment` (as `GET /v1/payment` shows it), with
/// its keys sorted as their signature covers them.
pub fn ipn_body(payment: &Value) -> String {
    let mut ipn = payment.clone();
    ipn["fee"] = json!({ "currency": "btc", "depositFee": 0, "withdrawalFee": 0, "serviceFee": 0 });
    ipn["updated_at"] = json!(now_s() * 1000);
    sorted(&ipn)
}

/// Compact JSON with every object's keys sorted, at every depth, and whole numbers
/// written whole (`20`, not `20.0`) as their JavaScript signer writes them.
fn sorted(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), sorted(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted).collect();
            format!("[{}]", items.join(","))
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        scalar => scalar.to_string(),
    }
}

/// `x-nowpayments-sig` for a body written by [`ipn_body`].
pub fn signature(body: &str) -> anyhow::Result<String> {
    let value: Value = serde_json::from_str(body)?;
    let mut mac = Hmac::<Sha512>::new_from_slice(IPN_SECRET.as_bytes())?;
    mac.update(sorted(&value).as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}
