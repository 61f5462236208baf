//! Webhook verification on the raw body, one module per provider scheme
//! (`relay-api.md`, "Inbound"). Every comparison of a signature goes through
//! `hmac`'s `verify_slice`, which is constant-time.
//!
//! Each provider module also has a `sign` function: the same scheme from the
//! sender's side, for tests, the benchmark and fake providers.

pub mod btcpay;
mod mac;
pub mod nowpayments;
pub mod razorpay;
mod rejection;
pub mod stripe;

use std::fmt;
use std::str::FromStr;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

pub use rejection::Rejection;

/// A payment provider whose webhooks the relay accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Stripe,
    Btcpay,
    Nowpayments,
    Razorpay,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Stripe,
        Provider::Btcpay,
        Provider::Nowpayments,
        Provider::Razorpay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Stripe => "stripe",
            Provider::Btcpay => "btcpay",
            Provider::Nowpayments => "nowpayments",
            Provider::Razorpay => "razorpay",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| s.to_owned())
    }
}

/// A delivery that passed its provider's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The provider's id for the event: the dedupe key.
    pub event_id: String,
    pub event_type: Option<String>,
    /// The raw body, exactly as received (it is valid UTF-8 JSON).
    pub body: String,
}

/// Check one delivery. `secrets` are the endpoint's secrets (any may match, so a
/// secret can be rolled); `now_s` and `stripe_tolerance_s` are unix seconds.
pub fn verify(
    provider: Provider,
    secrets: &[String],
    headers: &HeaderMap,
    body: &[u8],
    now_s: i64,
    stripe_tolerance_s: i64,
) -> Result<Verified, Rejection> {
    // The signature comes first so an unsigned request learns nothing else.
    let parsed = match provider {
        Provider::Stripe => {
            let header = header(headers, "stripe-signature")?;
            stripe::check(secrets, header, body, now_s, stripe_tolerance_s)?;
            parse_object(body)?
        }
        Provider::Btcpay => {
            btcpay::check(secrets, header(headers, "btcpay-sig")?, body)?;
            parse_object(body)?
        }
        Provider::Razorpay => {
            razorpay::check(secrets, header(headers, "x-razorpay-signature")?, body)?;
            parse_object(body)?
        }
        Provider::Nowpayments => {
            // Its signature is over a re-serialisation, so the JSON is needed first.
            let header = header(headers, "x-nowpayments-sig")?;
            let parsed = parse_object(body)?;
            nowpayments::check(secrets, header, &parsed)?;
            parsed
        }
    };
    let (event_id, event_type) = match provider {
        Provider::Stripe => (text(&parsed, "id"), text(&parsed, "type")),
        Provider::Btcpay => (
            text(&parsed, "originalDeliveryId").or_else(|| text(&parsed, "deliveryId")),
            text(&parsed, "type"),
        ),
        Provider::Nowpayments => {
            let status = text(&parsed, "payment_status");
            let id = match (parsed.get("payment_id"), &status) {
                (Some(Value::Number(n)), Some(s)) => Some(format!("{n}:{s}")),
                (Some(Value::String(id)), Some(s)) if !id.is_empty() => Some(format!("{id}:{s}")),
                _ => None,
            };
            (id, status)
        }
        Provider::Razorpay => (
            headers
                .get("x-razorpay-event-id")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            text(&parsed, "event"),
        ),
    };
    let event_id = event_id.ok_or(Rejection::MissingEventId)?;
    // parse_object succeeded, so the body is valid UTF-8.
    let body = String::from_utf8(body.to_vec()).map_err(|_| Rejection::NotJson)?;
    Ok(Verified {
        event_id,
        event_type,
        body,
    })
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, Rejection> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(Rejection::MissingSignature)
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Rejection::NotJson),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}
