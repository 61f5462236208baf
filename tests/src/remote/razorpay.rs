//! Fake Razorpay Payment Links: `POST /v1/payment_links` (Basic auth with the key
//! id and secret; `reference_id` unique per link, as Razorpay keeps it) and
//! `GET /v1/payment_links/{id}`, answering the Payment Link entity; the test pays a
//! link ([`FakeProviders::rzp_pay`]) and sends the `payment_link.paid` webhook
//! Razorpay would send ([`link_event`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{FakeProviders, Ledger, bearer_ok, now_s};

pub const KEY_ID: &str = "rzp_test_codetill";
pub const KEY_SECRET: &str = "rzp-secret-codetill";
/// `Basic base64("rzp_test_codetill:rzp-secret-codetill")`.
const BASIC: &str = "Basic cnpwX3Rlc3RfY29kZXRpbGw6cnpwLXNlY3JldC1jb2RldGlsbA==";
pub const WEBHOOK_SECRET: &str = "rzp-webhook-secret";

fn error(status: StatusCode, description: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(
            json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": description,
            "source": "business", "step": "payment_initiation", "reason": "input_validation_failed",
            "metadata": {}, "field": null } }),
        ),
    )
}

pub(super) async fn create_link(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, BASIC) {
        return error(StatusCode::UNAUTHORIZED, "The api key provided is invalid");
    }
    let Some(amount) = body["amount"].as_i64().filter(|a| *a >= 100) else {
        return error(
            StatusCode::BAD_REQUEST,
            "The amount must be atleast INR 1.00.",
        );
    };
    let Some(currency) = body["currency"].as_str() else {
        return error(StatusCode::BAD_REQUEST, "The currency field is required.");
    };
    let reference = body["reference_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Ok(mut links) = ledger.rzp_links.lock() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "ledger");
    };
    if !reference.is_empty() && links.values().any(|l| l["reference_id"] == reference) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("Payment Link with reference {reference} already exists"),
        );
    }
    let n = ledger.created.fetch_add(1, Ordering::SeqCst) + 1;
    let id = format!("plink_Fake{n:010}");
    let now = now_s();
    let link = json!({
        "accept_partial": body["accept_partial"].as_bool().unwrap_or(false),
        "amount": amount, "amount_paid": 0, "callback_method": "", "callback_url": "",
        "cancelled_at": 0, "created_at": now, "currency": currency,
        "customer": body.get("customer").cloned().unwrap_or(json!({})),
        "description": body["description"], "expire_by": 0, "expired_at": 0,
        "first_min_partial_amount": 0, "id": id,
        "notes": body.get("notes").cloned().unwrap_or(Value::Null),
        "notify": body.get("notify").cloned().unwrap_or(json!({"email": false, "sms": false})),
        "payments": null, "reference_id": reference,
        "reminder_enable": body["reminder_enable"].as_bool().unwrap_or(false), "reminders": [],
        "short_url": format!("https://rzp.io/i/{id}"), "status": "created",
        "updated_at": now, "upi_link": false, "user_id": "",
    });
    links.insert(id, link.clone());
    (StatusCode::OK, Json(link))
}

pub(super) async fn get_link(
    State(ledger): State<Arc<Ledger>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> (StatusCode, Json<Value>) {
    if !bearer_ok(&headers, BASIC) {
        return error(StatusCode::UNAUTHORIZED, "The api key provided is invalid");
    }
    match ledger
        .rzp_links
        .lock()
        .ok()
        .and_then(|s| s.get(&id).cloned())
    {
        Some(l) => (StatusCode::OK, Json(l)),
        None => error(StatusCode::BAD_REQUEST, "The id provided does not exist"),
    }
}

impl FakeProviders {
    pub fn rzp_link(&self, id: &str) -> Option<Value> {
        self.ledger.rzp_links.lock().ok()?.get(id).cloned()
    }

    /// The buyer paid `amount_paid` (minor units) on link `id`, which Razorpay now
    /// shows in `status`. The link as it is now.
    pub fn rzp_pay(&self, id: &str, amount_paid: i64, status: &str) -> Option<Value> {
        let mut links = self.ledger.rzp_links.lock().ok()?;
        let link = links.get_mut(id)?;
        link["amount_paid"] = json!(amount_paid);
        link["status"] = json!(status);
        link["payments"] = json!([{ "amount": amount_paid, "created_at": now_s(),
            "method": "upi", "payment_id": format!("pay_{}", &id[6..]), "status": "captured" }]);
        link["updated_at"] = json!(now_s());
        Some(link.clone())
    }
}

/// The webhook body Razorpay sends for `event` (`payment_link.paid`,
/// `payment_link.partially_paid`, `payment.captured`) about `link`.
pub fn link_event(event: &str, link: &Value) -> String {
    let paid = link["amount_paid"].clone();
    let payment = json!({ "entity": {
        "id": format!("pay_{}", link["id"].as_str().unwrap_or("plink_x").trim_start_matches("plink_")),
        "entity": "payment", "amount": paid, "currency": link["currency"], "status": "captured",
        "order_id": "order_Fake1", "international": false, "method": "upi", "amount_refunded": 0,
        "captured": true, "description": link["description"], "email": "buyer@example.com",
        "notes": link["notes"], "fee": 0, "tax": 0, "created_at": now_s() } });
    let payload = if event.starts_with("payment_link.") {
        json!({
            "payment_link": { "entity": link },
            "order": { "entity": { "id": "order_Fake1", "entity": "order", "amount": link["amount"],
                "amount_paid": paid, "currency": link["currency"], "status": "paid",
                "receipt": link["reference_id"] } },
            "payment": payment,
        })
    } else {
        json!({ "payment": payment })
    };
    let contains: Vec<&str> = payload
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    json!({
        "entity": "event", "account_id": "acc_Fake0000000001", "event": event,
        "contains": contains, "payload": payload, "created_at": now_s(),
    })
    .to_string()
}
