//! The Wholesale API adapter's reading of the supplier's JSON: catalog pages and
//! their rows (`parse_product`), order answers and error answers.
//!
//! Catalog: a page that parses gives one result per row, in order; a good row
//! has every required text non-blank, a known currency, a wholesale price that is
//! not negative and amounts that fit minor units; a bad row names its sku (when
//! the row has one as text) and a reason.
//! Orders: the code and PIN never appear in an error's text or in the order's
//! `Debug`; a completed order carries codes; its amounts are in its currency.
//! Errors: every status and body gives an error with a message; 401 is a
//! configuration error, 429 retryable, other 5xx ambiguous (unless the body says
//! `unauthorized` or `rate_limited`), and an unexpected status is ambiguous.

use codetill_core::fuzzing;
use codetill_core::supplier::{SupplierError, SupplierOrderStatus};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::driver::Target;
use crate::hostile::{
    self, Json, amount_text, extra_fields, field, json, number_text, object, short_text, text,
};

const CURRENCIES: &[&str] = &[
    "USD", "usd", " EUR ", "INR", "JPY", "KWD", "XYZ", "", "US", "USDD",
];
const CATEGORIES: &[&str] = &[
    "gift_card",
    "game_topup",
    "mobile_topup",
    "software_key",
    " gift_card",
    "toaster",
    "",
];

fn currency() -> BoxedStrategy<Option<Json>> {
    field(prop_oneof![4 => proptest::sample::select(CURRENCIES).prop_map(str::to_owned), 1 => short_text()].boxed())
}

fn row() -> BoxedStrategy<Json> {
    let time = prop_oneof![
        4 => Just("2026-11-30T10:00:00Z".to_owned()),
        1 => Just("2026-11-30T10:00:00.123456789+05:30".to_owned()),
        1 => Just("+262143-12-31T23:59:59Z".to_owned()),
        1 => Just("9999-12-31T23:59:60Z".to_owned()),
        1 => short_text(),
    ];
    let in_stock = prop_oneof![
        4 => any::<bool>().prop_map(|b| Some(Json::Bool(b))),
        1 => proptest::option::of(json()),
    ];
    (
        (field(short_text()), field(text()), field(text()), field(prop_oneof![3 => proptest::sample::select(CATEGORIES).prop_map(str::to_owned), 1 => short_text()].boxed())),
        (field(short_text()), field(amount_text()), currency(), field(amount_text()), currency()),
        (in_stock, field(text()), field(text()), field(time.boxed())),
        extra_fields(&["sku", "name", "wholesale_price"]),
    )
        .prop_map(|((sku, name, brand, category), (region, face, face_cur, price, cur), (in_stock, url, how, at), extra)| {
            object(
                vec![
                    ("sku", sku),
                    ("name", name),
                    ("brand", brand),
                    ("category", category),
                    ("region", region),
                    ("face_value", face),
                    ("face_currency", face_cur),
                    ("wholesale_price", price),
                    ("currency", cur),
                    ("in_stock", in_stock),
                    ("redeem_url", url),
                    ("redeem_instructions", how),
                    ("updated_at", at),
                ],
                extra,
            )
        })
        .boxed()
}

pub struct Catalog;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogCase {
    #[serde(with = "crate::hostile::bytes_serde")]
    pub body: Vec<u8>,
}

impl Target for Catalog {
    const NAME: &'static str = "supplier-catalog";
    const QUICK_CASES: u32 = 128;
    type Input = CatalogCase;

    fn inputs() -> BoxedStrategy<CatalogCase> {
        let page = (
            vec(prop_oneof![6 => row(), 1 => json()], 0..8),
            field(short_text()),
            prop_oneof![3 => number_text().prop_map(|n| Some(Json::Num(n))), 1 => Just(None), 1 => json().prop_map(Some)],
        )
            .prop_map(|(rows, cursor, total)| {
                object(vec![("products", Some(Json::Arr(rows))), ("next_cursor", cursor), ("total", total)], vec![])
                    .to_text()
                    .into_bytes()
            });
        prop_oneof![
            6 => page.clone(),
            1 => hostile::wild_bytes(),
            1 => (page, hostile::mutation()).prop_map(|(b, m)| hostile::mutate(b, &m)),
        ]
        .prop_map(|body| CatalogCase { body })
        .boxed()
    }

    fn check(case: &CatalogCase) -> Result<(), String> {
        let Ok(page) = fuzzing::wholesale_catalog_page(&case.body) else {
            return Ok(());
        };
        // The rows as sent, each read on its own (a row the adapter could not
        // read may not be readable here either).
        // Shaped as the adapter's page, so it takes what the adapter takes (serde
        // also reads a struct from an array: `[[rows…], "cursor"]`).
        #[derive(Deserialize)]
        struct Rows<'a> {
            #[serde(borrow)]
            products: Vec<&'a serde_json::value::RawValue>,
            #[serde(rename = "next_cursor")]
            _next_cursor: Option<serde::de::IgnoredAny>,
            #[serde(default, rename = "total")]
            _total: Option<serde::de::IgnoredAny>,
        }
        let rows: Vec<Option<Value>> = serde_json::from_slice::<Rows<'_>>(&case.body)
            .map_err(|e| format!("a page parsed that has no products array: {e}"))?
            .products
            .into_iter()
            .map(|raw| serde_json::from_str::<Value>(raw.get()).ok())
            .collect();
        if rows.len() != page.products.len() {
            return Err(format!(
                "{} rows sent, {} read",
                rows.len(),
                page.products.len()
            ));
        }
        if page.next_cursor.as_deref() == Some("") {
            return Err("an empty cursor was kept".into());
        }
        for (row, result) in rows.iter().zip(&page.products) {
            let Some(row) = row else {
                continue;
            };
            let sent_sku = row.get("sku").and_then(Value::as_str);
            match result {
                Ok(p) => {
                    for (what, v) in [
                        ("sku", &p.sku),
                        ("name", &p.name),
                        ("brand", &p.brand),
                        ("region", &p.region),
                    ] {
                        if v.trim().is_empty() {
                            return Err(format!("a product with a blank {what}"));
                        }
                    }
                    if Some(p.sku.as_str()) != sent_sku {
                        return Err(format!("sku {:?} read as {:?}", sent_sku, p.sku));
                    }
                    if p.wholesale.amount.is_sign_negative() && !p.wholesale.amount.is_zero() {
                        return Err(format!("negative wholesale {}", p.wholesale));
                    }
                    for m in [p.wholesale, p.face_value] {
                        // Sync rounds up and stores minor units: an error there is
                        // a skipped row; anything but an error or a value is a bug.
                        let _ = m.ceil_to_minor().to_minor();
                        let _ = m.to_string();
                    }
                }
                Err(bad) => {
                    if bad.reason.trim().is_empty() {
                        return Err("a bad row without a reason".into());
                    }
                    if bad.sku.as_deref() != sent_sku {
                        return Err(format!(
                            "bad row names sku {:?}, sent {sent_sku:?}",
                            bad.sku
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

pub struct Answers;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AnswerCase {
    /// A 2xx order answer; `code` and `pin` are the secrets it carries.
    Order {
        status: u16,
        #[serde(with = "crate::hostile::bytes_serde")]
        body: Vec<u8>,
        code: String,
        pin: String,
    },
    /// An error answer.
    Error {
        status: u16,
        retry_after: Option<String>,
        #[serde(with = "crate::hostile::bytes_serde")]
        body: Vec<u8>,
    },
}

/// A secret in every shape a supplier might send it (text, number, object …).
fn secret_value(secret: String) -> BoxedStrategy<Json> {
    let as_number = secret.chars().all(|c| c.is_ascii_digit()) && !secret.starts_with('0');
    let s = secret.clone();
    prop_oneof![
        6 => Just(Json::Str(secret.clone())),
        1 => Just(if as_number { Json::Num(secret.clone()) } else { Json::Str(secret.clone()) }),
        1 => Just(Json::Obj(vec![("value".into(), Json::Str(s.clone()))])),
        1 => Just(Json::Arr(vec![Json::Str(s)])),
    ]
    .boxed()
}

fn order_case() -> BoxedStrategy<AnswerCase> {
    let secrets = (
        prop_oneof!["CODE-[A-Z0-9]{5}-[A-Z0-9]{5}", "7345[0-9]{12}"],
        prop_oneof!["PIN[0-9]{6}", "9876[0-9]{10}"],
    );
    secrets
        .prop_flat_map(|(code, pin)| {
            let status = prop_oneof![
                4 => proptest::sample::select(vec!["pending", "completed", "failed"]).prop_map(str::to_owned),
                1 => short_text(),
            ];
            let codes = vec(
                (secret_value(code.clone()), proptest::option::of(secret_value(pin.clone())), field(short_text()), field(short_text()))
                    .prop_map(|(c, p, serial, exp)| object(vec![("code", Some(c)), ("pin", p), ("serial", serial), ("expires_at", exp)], vec![])),
                0..3,
            );
            let failure = proptest::option::of((field(short_text()), field(text())).prop_map(|(c, m)| object(vec![("code", c), ("message", m)], vec![])));
            let quantity = prop_oneof![
                3 => (0u64..5).prop_map(|n| Some(Json::Num(n.to_string()))),
                1 => number_text().prop_map(|n| Some(Json::Num(n))),
                1 => field(short_text()),
            ];
            let body = (
                (field(short_text()), field(short_text()), field(status.boxed()), field(short_text()), quantity),
                (field(amount_text()), field(amount_text()), currency(), field(amount_text())),
                (prop_oneof![4 => codes.prop_map(|c| Some(Json::Arr(c))), 1 => json().prop_map(Some)], failure),
                extra_fields(&["codes", "status"]),
            )
                .prop_map(|((id, cid, status, sku, qty), (unit, total, cur, bal), (codes, failure), extra)| {
                    object(
                        vec![
                            ("order_id", id),
                            ("client_order_id", cid),
                            ("status", status),
                            ("sku", sku),
                            ("quantity", qty),
                            ("unit_price", unit),
                            ("total", total),
                            ("currency", cur),
                            ("codes", codes),
                            ("failure", failure),
                            ("balance_after", bal),
                        ],
                        extra,
                    )
                    .to_text()
                    .into_bytes()
                });
            let body = prop_oneof![
                6 => body.clone(),
                1 => (body, hostile::mutation()).prop_map(|(b, m)| hostile::mutate(b, &m)),
            ];
            (prop_oneof![3 => Just(200u16), 1 => 200u16..300], body)
                .prop_map(move |(status, body)| AnswerCase::Order { status, body, code: code.clone(), pin: pin.clone() })
        })
        .boxed()
}

fn error_case() -> BoxedStrategy<AnswerCase> {
    let codes = &[
        "unauthorized",
        "rate_limited",
        "not_found",
        "invalid_request",
        "insufficient_balance",
        "out_of_stock",
        "price_changed",
        "idempotency_conflict",
        "unavailable",
        "internal",
        "",
    ];
    let detail = (
        field(prop_oneof![3 => proptest::sample::select(&codes[..]).prop_map(str::to_owned), 1 => short_text()].boxed()),
        field(text()),
        prop_oneof![2 => number_text().prop_map(|n| Some(Json::Num(n))), 1 => field(short_text())],
    )
        .prop_map(|(code, message, retry)| object(vec![("code", code), ("message", message), ("retry_after_s", retry)], vec![]));
    let body = prop_oneof![
        4 => (detail, extra_fields(&["error"])).prop_map(|(d, extra)| object(vec![("error", Some(d))], extra).to_text().into_bytes()),
        1 => hostile::wild_bytes(),
    ];
    let status = prop_oneof![
        3 => proptest::sample::select(vec![400u16, 401, 402, 403, 404, 409, 422, 429, 500, 502, 503, 504]),
        1 => 100u16..1000,
    ];
    let retry = proptest::option::of(prop_oneof!["[0-9]{1,25}", short_text()]);
    (status, retry, body)
        .prop_map(|(status, retry_after, body)| AnswerCase::Error {
            status,
            retry_after,
            body,
        })
        .boxed()
}

impl Target for Answers {
    const NAME: &'static str = "supplier-answers";
    type Input = AnswerCase;

    fn inputs() -> BoxedStrategy<AnswerCase> {
        prop_oneof![3 => order_case(), 2 => error_case()].boxed()
    }

    fn check(case: &AnswerCase) -> Result<(), String> {
        match case {
            AnswerCase::Order {
                status,
                body,
                code,
                pin,
            } => check_order(*status, body, code, pin),
            AnswerCase::Error {
                status,
                retry_after,
                body,
            } => check_error(*status, retry_after.as_deref(), body),
        }
    }
}

fn check_order(status: u16, body: &[u8], code: &str, pin: &str) -> Result<(), String> {
    let text = String::from_utf8_lossy(body);
    // A secret that also appears outside its own field (by chance) may be quoted.
    let unique = |s: &str| text.matches(s).count() <= 1;
    match fuzzing::wholesale_order(status, body) {
        Err(e) => {
            let said = format!("{e} {e:?}");
            for secret in [code, pin] {
                if unique(secret) && said.contains(secret) {
                    return Err(format!("an error quotes a secret: {said}"));
                }
            }
            if e.to_string().trim().is_empty() {
                return Err("an error without a message".into());
            }
        }
        Ok(order) => {
            let shown = format!("{order:?}");
            for secret in [code, pin] {
                if shown.contains(secret) && unique(secret) {
                    return Err(format!("an order's Debug shows a secret: {shown}"));
                }
            }
            if order.status == SupplierOrderStatus::Completed && order.codes.is_empty() {
                return Err("a completed order without codes".into());
            }
            let currency = order.unit_price.currency;
            if order.total.currency != currency
                || order.balance_after.is_some_and(|b| b.currency != currency)
            {
                return Err("an order's amounts in different currencies".into());
            }
            for m in [
                Some(order.unit_price),
                Some(order.total),
                order.balance_after,
            ]
            .into_iter()
            .flatten()
            {
                let _ = m.to_minor();
            }
        }
    }
    Ok(())
}

fn check_error(status: u16, retry_after: Option<&str>, body: &[u8]) -> Result<(), String> {
    let e = fuzzing::wholesale_error(status, retry_after, body);
    if e.to_string().trim().is_empty() {
        return Err("an error without a message".into());
    }
    // The body counts only when it is the API's error shape, read as the adapter
    // reads it (a `Value` would refuse numbers like 1e400 that it skips).
    #[derive(Deserialize)]
    struct Shape {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        code: String,
        #[serde(default, rename = "message")]
        _message: String,
        #[serde(default, rename = "retry_after_s")]
        _retry_after_s: Option<u64>,
    }
    let code = serde_json::from_slice::<Shape>(body)
        .ok()
        .map(|s| s.error.code);
    let special = matches!(code.as_deref(), Some("unauthorized" | "rate_limited"));
    let fine = match (status, &e) {
        (401, SupplierError::Configuration { .. }) => true,
        (401, _) => false,
        (429, SupplierError::Retryable { .. }) => true,
        (429, _) => special,
        (500..=599, SupplierError::Ambiguous { .. }) => true,
        (500..=599, _) => special,
        (400..=499, SupplierError::Ambiguous { .. }) => false,
        (400..=499, _) => true,
        (_, SupplierError::Ambiguous { .. }) => true,
        _ => special,
    };
    if !fine {
        return Err(format!("HTTP {status} (code {code:?}) classified as {e:?}"));
    }
    if let SupplierError::Retryable {
        retry_after: Some(d),
        ..
    } = &e
        && d.as_secs() > 0
        && retry_after
            .and_then(|h| h.trim().parse::<u64>().ok())
            .is_none()
        && !String::from_utf8_lossy(body).contains(&d.as_secs().to_string())
    {
        return Err(format!("a retry delay from nowhere: {d:?}"));
    }
    Ok(())
}
