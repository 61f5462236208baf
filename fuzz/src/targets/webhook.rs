//! The relay's webhook check, one target per provider: `verify::verify` on the raw
//! body and headers, then what it reads as the event id and type.
//!
//! What must hold, beyond never panicking:
//! - a correctly signed object is accepted, with the event id and type the
//!   provider's rules give (read here independently), unless its timestamp is
//!   stale (Stripe) or it carries no id;
//! - the accepted body is the received bytes, unchanged;
//! - one byte of a verified body changed (flipped, cut, inserted) never
//!   verifies, except for NOWPayments when the change leaves the same JSON
//!   (its signature covers a re-serialisation, not the bytes);
//! - a signature made with another secret, cut short, lengthened or with one
//!   hex digit changed, or arbitrary header bytes, never verify;
//! - Stripe: the same signature under another timestamp never verifies.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use codetill_relay::verify::{
    self, Provider, Rejection, Verified, btcpay, nowpayments, razorpay, stripe,
};
use hmac::{Hmac, Mac};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha512;

use crate::driver::Target;
use crate::hostile::{self, Json, Mutation};

pub struct Webhook<const P: u8>;

pub type Stripe = Webhook<0>;
pub type Btcpay = Webhook<1>;
pub type Nowpayments = Webhook<2>;
pub type Razorpay = Webhook<3>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookCase {
    pub secrets: Vec<String>,
    #[serde(with = "crate::hostile::bytes_serde")]
    pub body: Vec<u8>,
    pub header: HeaderPlan,
    /// Razorpay's `x-razorpay-event-id` (unsigned).
    pub event_id_header: Option<String>,
    pub now: i64,
    pub tolerance: i64,
    /// Stripe's `t=`.
    pub t: i64,
    pub change: Mutation,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum HeaderPlan {
    /// A correct signature with `secrets[secret % len]`; `form` picks NOWPayments'
    /// accepted re-serialisation; `noise` are extra Stripe parts (`v1=` that do
    /// not match, `v0=`, unknown keys).
    Signed {
        secret: usize,
        form: bool,
        noise: Vec<String>,
    },
    /// Signed with a secret the endpoint does not hold.
    WrongSecret(String),
    /// A correct signature spoilt: `how` picks cut, lengthen or change a digit.
    Spoilt {
        secret: usize,
        how: u8,
        at: usize,
    },
    Arbitrary(#[serde(with = "crate::hostile::bytes_serde")] Vec<u8>),
}

impl<const P: u8> Webhook<P> {
    const PROVIDER: Provider = match P {
        0 => Provider::Stripe,
        1 => Provider::Btcpay,
        2 => Provider::Nowpayments,
        _ => Provider::Razorpay,
    };
}

impl<const P: u8> Target for Webhook<P> {
    const NAME: &'static str = match P {
        0 => "webhook-stripe",
        1 => "webhook-btcpay",
        2 => "webhook-nowpayments",
        _ => "webhook-razorpay",
    };
    type Input = WebhookCase;

    fn inputs() -> BoxedStrategy<WebhookCase> {
        let secret = prop_oneof![
            4 => "[A-Za-z0-9_]{1,40}",
            1 => hostile::short_text(),
            1 => "[a-z]{65,140}",
        ];
        let structured = event_body(Self::PROVIDER).prop_map(|j| j.to_text().into_bytes());
        let body = prop_oneof![
            6 => structured.clone(),
            1 => hostile::wild_bytes(),
            1 => (structured, hostile::mutation()).prop_map(|(b, m)| hostile::mutate(b, &m)),
        ];
        let noise = prop_oneof![
            "(v1|v0|x|T|t1)=[0-9a-zA-Z ]{0,70}",
            "v1=[0-9a-f]{64}",
            "v1=",
            "[a-z]{0,6}",
        ];
        let header = prop_oneof![
            5 => (any::<usize>(), any::<bool>(), vec(noise, 0..4))
                .prop_map(|(secret, form, noise)| HeaderPlan::Signed { secret, form, noise }),
            1 => "[A-Za-z0-9_]{1,40}".prop_map(HeaderPlan::WrongSecret),
            2 => (any::<usize>(), 0u8..5, any::<usize>())
                .prop_map(|(secret, how, at)| HeaderPlan::Spoilt { secret, how, at }),
            1 => prop_oneof![
                vec(any::<u8>(), 0..200),
                "t=-?[0-9]{1,20},v1=[0-9a-f]{0,130}".prop_map(String::into_bytes),
                "sha256=[0-9a-fA-F]{0,70}".prop_map(String::into_bytes),
                "[0-9a-f]{128}".prop_map(String::into_bytes),
            ].prop_map(HeaderPlan::Arbitrary),
        ];
        let time = prop_oneof![
            3 => 1_500_000_000i64..2_000_000_000,
            1 => Just(i64::MIN),
            1 => Just(i64::MAX),
            1 => any::<i64>(),
        ];
        (
            vec(secret, 0..3),
            body,
            header,
            proptest::option::of(hostile::short_text()),
            time.clone(),
            prop_oneof![3 => 0i64..600, 1 => any::<i64>()],
            prop_oneof![3 => -700i64..700, 1 => any::<i64>()],
            hostile::mutation(),
        )
            .prop_map(
                |(secrets, body, header, event_id_header, now, tolerance, skew, change)| {
                    WebhookCase {
                        secrets,
                        body,
                        header,
                        event_id_header,
                        now,
                        tolerance,
                        t: now.saturating_add(skew),
                        change,
                    }
                },
            )
            .boxed()
    }

    fn check(case: &WebhookCase) -> Result<(), String> {
        check(Self::PROVIDER, case)
    }
}

/// An event in the provider's shape with hostile values.
fn event_body(provider: Provider) -> BoxedStrategy<Json> {
    use crate::hostile::{extra_fields, field, json, number_text, object, short_text};
    let id = || field(short_text());
    match provider {
        Provider::Stripe => (
            id(),
            id(),
            proptest::option::of(json()),
            extra_fields(&["id", "type"]),
        )
            .prop_map(|(i, t, data, extra)| {
                object(vec![("id", i), ("type", t), ("data", data)], extra)
            })
            .boxed(),
        Provider::Btcpay => (
            id(),
            id(),
            id(),
            id(),
            extra_fields(&["deliveryId", "originalDeliveryId"]),
        )
            .prop_map(|(d, o, t, inv, extra)| {
                object(
                    vec![
                        ("deliveryId", d),
                        ("originalDeliveryId", o),
                        ("type", t),
                        ("invoiceId", inv),
                    ],
                    extra,
                )
            })
            .boxed(),
        Provider::Nowpayments => {
            let payment_id = prop_oneof![
                2 => number_text().prop_map(|n| Some(Json::Num(n))),
                1 => field(short_text()),
            ];
            (
                payment_id,
                id(),
                proptest::option::of(number_text()),
                proptest::option::of(json()),
                extra_fields(&["payment_id", "payment_status"]),
            )
                .prop_map(|(pid, status, paid, fee, extra)| {
                    object(
                        vec![
                            ("payment_id", pid),
                            ("payment_status", status),
                            ("actually_paid", paid.map(Json::Num)),
                            ("fee", fee),
                        ],
                        extra,
                    )
                })
                .boxed()
        }
        Provider::Razorpay => (id(), proptest::option::of(json()), extra_fields(&["event"]))
            .prop_map(|(e, payload, extra)| object(vec![("event", e), ("payload", payload)], extra))
            .boxed(),
    }
}

fn header_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Stripe => "stripe-signature",
        Provider::Btcpay => "btcpay-sig",
        Provider::Nowpayments => "x-nowpayments-sig",
        Provider::Razorpay => "x-razorpay-signature",
    }
}

fn object_of(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The signature header `provider` sends for `body` with `secret` (Stripe: the
/// `v1` hex only; the caller adds `t=`).
fn signature(
    provider: Provider,
    secret: &str,
    body: &[u8],
    t: i64,
    js_form: bool,
) -> Option<String> {
    match provider {
        Provider::Stripe => stripe::sign(secret, t, body)
            .split_once(",v1=")
            .map(|(_, sig)| sig.to_owned()),
        Provider::Btcpay => btcpay::sign(secret, body)
            .strip_prefix("sha256=")
            .map(str::to_owned),
        Provider::Razorpay => Some(razorpay::sign(secret, body)),
        Provider::Nowpayments => {
            let map = object_of(body)?;
            if js_form {
                let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).ok()?;
                mac.update(nowpayments::js_sort_object(&map).as_bytes());
                Some(hex::encode(mac.finalize().into_bytes()))
            } else {
                Some(nowpayments::sign(secret, &map))
            }
        }
    }
}

/// The header value for a signature (`v1` hex for Stripe, wrapped with `t=`).
fn dress(provider: Provider, sig: &str, t: i64, noise: &[String]) -> String {
    match provider {
        Provider::Stripe => {
            let mut parts: Vec<String> = noise.to_vec();
            let middle = parts.len() / 2;
            parts.insert(middle, format!("v1={sig}"));
            parts.insert(0, format!("t={t}"));
            parts.join(",")
        }
        Provider::Btcpay => {
            if sig.is_empty() {
                String::new()
            } else {
                format!("sha256={sig}")
            }
        }
        _ => sig.to_owned(),
    }
}

fn headers(provider: Provider, signature: &[u8], event_id: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(signature) {
        h.insert(HeaderName::from_static(header_name(provider)), v);
    }
    if let Some(id) = event_id
        && let Ok(v) = HeaderValue::from_str(id)
    {
        h.insert(HeaderName::from_static("x-razorpay-event-id"), v);
    }
    h
}

/// (event id, event type) by the provider's rules, read independently of the relay.
fn expected_event(
    provider: Provider,
    body: &Map<String, Value>,
    h: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let text = |k: &str| match body.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    match provider {
        Provider::Stripe => (text("id"), text("type")),
        Provider::Btcpay => (
            text("originalDeliveryId").or_else(|| text("deliveryId")),
            text("type"),
        ),
        Provider::Nowpayments => {
            let status = text("payment_status");
            let id = match (body.get("payment_id"), &status) {
                (Some(Value::Number(n)), Some(s)) => Some(format!("{n}:{s}")),
                (Some(Value::String(i)), Some(s)) if !i.is_empty() => Some(format!("{i}:{s}")),
                _ => None,
            };
            (id, status)
        }
        Provider::Razorpay => (
            h.get("x-razorpay-event-id")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            text("event"),
        ),
    }
}

/// Would HMAC treat these two keys as one? (Keys are zero-padded; long ones hashed.)
fn same_hmac_key(a: &str, b: &str) -> bool {
    a.trim_end_matches('\0') == b.trim_end_matches('\0') || a.len() > 64 || b.len() > 64
}

fn check(provider: Provider, case: &WebhookCase) -> Result<(), String> {
    let run = |header: &[u8], body: &[u8]| -> Result<Verified, Rejection> {
        let h = headers(provider, header, case.event_id_header.as_deref());
        verify::verify(provider, &case.secrets, &h, body, case.now, case.tolerance)
    };
    let pick = |i: usize| case.secrets.get(i % case.secrets.len().max(1));
    match &case.header {
        HeaderPlan::Arbitrary(bytes) => {
            if let Ok(v) = run(bytes, &case.body) {
                return Err(format!("arbitrary header bytes verified: {v:?}"));
            }
            Ok(())
        }
        HeaderPlan::WrongSecret(wrong) => {
            if case.secrets.iter().any(|s| same_hmac_key(s, wrong)) {
                return Ok(());
            }
            let Some(sig) = signature(provider, wrong, &case.body, case.t, false) else {
                return Ok(());
            };
            let header = dress(provider, &sig, case.t, &[]);
            match run(header.as_bytes(), &case.body) {
                Ok(v) => Err(format!("a signature by another secret verified: {v:?}")),
                Err(_) => Ok(()),
            }
        }
        HeaderPlan::Spoilt { secret, how, at } => {
            let Some(secret) = pick(*secret) else {
                return Ok(());
            };
            let Some(sig) = signature(provider, secret, &case.body, case.t, false) else {
                return Ok(());
            };
            let mut spoilt = sig.clone();
            match how {
                0 => {
                    spoilt.pop();
                }
                1 => {
                    spoilt.truncate(spoilt.len().saturating_sub(2));
                }
                2 => spoilt.push_str("00"),
                3 => spoilt.clear(),
                _ => {
                    let i = at % spoilt.len().max(1);
                    let c = spoilt.as_bytes().get(i).copied().unwrap_or(b'0');
                    let other = if c == b'0' { '1' } else { '0' };
                    spoilt.replace_range(i..=i, &other.to_string());
                }
            }
            let header = dress(provider, &spoilt, case.t, &[]);
            match run(header.as_bytes(), &case.body) {
                Ok(v) => Err(format!("a spoilt signature ({how}) verified: {v:?}")),
                Err(_) => Ok(()),
            }
        }
        HeaderPlan::Signed {
            secret,
            form,
            noise,
        } => {
            let Some(secret) = pick(*secret) else {
                return Ok(());
            };
            let js_form = provider == Provider::Nowpayments && *form;
            let Some(sig) = signature(provider, secret, &case.body, case.t, js_form) else {
                // NOWPayments cannot sign what is not a JSON object.
                return match run(b"00", &case.body) {
                    Err(Rejection::NotJson) => Ok(()),
                    other => Err(format!("a body that is no JSON object: {other:?}")),
                };
            };
            let header = dress(provider, &sig, case.t, noise);
            let got = run(header.as_bytes(), &case.body);
            // Stripe's timestamp is checked with its signature, before the body is read.
            let stale = provider == Provider::Stripe
                && case.now.abs_diff(case.t) > case.tolerance.unsigned_abs();
            let Some(map) = object_of(&case.body) else {
                return match got {
                    Err(Rejection::NotJson) if !stale => Ok(()),
                    Err(Rejection::StaleTimestamp) if stale => Ok(()),
                    other => Err(format!(
                        "a body that is no JSON object: {other:?} (stale: {stale})"
                    )),
                };
            };
            let h = headers(provider, header.as_bytes(), case.event_id_header.as_deref());
            let (id, kind) = expected_event(provider, &map, &h);
            let verified = match (got, stale, id) {
                (Err(Rejection::StaleTimestamp), true, _) => return Ok(()),
                (Err(Rejection::MissingEventId), false, None) => return Ok(()),
                (Ok(v), false, Some(id)) => {
                    if v.event_id != id || v.event_type != kind {
                        return Err(format!(
                            "read {:?}/{:?}, the rules say {id:?}/{kind:?}",
                            v.event_id, v.event_type
                        ));
                    }
                    if v.body.as_bytes() != case.body.as_slice() {
                        return Err("the accepted body differs from the bytes received".into());
                    }
                    v
                }
                (got, stale, id) => {
                    return Err(format!(
                        "signed delivery gave {got:?} (stale: {stale}, id: {id:?})"
                    ));
                }
            };
            let changed = hostile::mutate(case.body.clone(), &case.change);
            if changed != case.body
                && let Ok(v) = run(header.as_bytes(), &changed)
            {
                let same_json = provider == Provider::Nowpayments
                    && object_of(&changed).is_some_and(|m| {
                        nowpayments::sorted(&m) == nowpayments::sorted(&map)
                            || nowpayments::js_sort_object(&m) == nowpayments::js_sort_object(&map)
                    });
                if !same_json {
                    return Err(format!("a changed body verified: {v:?} (was {verified:?})"));
                }
            }
            if provider == Provider::Stripe
                && let Some(other) = case.t.checked_add(1)
            {
                let moved = dress(provider, &sig, other, noise);
                if let Ok(v) = run(moved.as_bytes(), &case.body) {
                    return Err(format!(
                        "the signature verified under another timestamp: {v:?}"
                    ));
                }
            }
            Ok(())
        }
    }
}
