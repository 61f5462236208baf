//! NOWPayments: `x-nowpayments-sig` is hex HMAC-SHA512(secret, the body
//! re-serialised compactly with its keys sorted at every depth). Senders write
//! that in two ways, and each is accepted:
//!
//! - `sorted`: every object's keys sorted, at every depth (Python's
//!   `sort_keys=True`, PHP's recursive `ksort`).
//! - `js_sort_object`: their JS helper `sortObject`, recursive like `sorted`
//!   but, being JS, it turns arrays into objects keyed "0", "1", ….
//!
//! Their older documented JS recipe, `allow_list` below
//! (`JSON.stringify(params, Object.keys(params).sort())`), is not accepted: an
//! array replacer is an allow-list applied at every depth, so nested objects keep
//! only keys that are also top-level keys (usually none: `"fee":{}`) and their
//! values would go unsigned. For a body with nothing nested it writes what
//! `sorted` writes, so such a signature still verifies.
//!
//! Numbers are written the way JavaScript writes them (`1.0` → `1`, `1e-7`,
//! `1e+21`), since the sender's re-serialisation, not our parser, decides the bytes.

use serde_json::{Map, Number, Value};

use super::mac::{hmac_sha512_hex, hmac_sha512_matches};
use super::rejection::Rejection;

pub(super) fn check(
    secrets: &[String],
    header: &str,
    body: &Map<String, Value>,
) -> Result<(), Rejection> {
    let matches = |canonical: String| {
        secrets
            .iter()
            .any(|secret| hmac_sha512_matches(secret, canonical.as_bytes(), header))
    };
    // Only forms that cover every nested value (see the module's note).
    if matches(sorted(body)) || matches(js_sort_object(body)) {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The `x-nowpayments-sig` header for `body`, keys sorted at every depth.
pub fn sign(secret: &str, body: &Map<String, Value>) -> String {
    hmac_sha512_hex(secret, sorted(body).as_bytes())
}

/// `JSON.stringify(body, Object.keys(body).sort())`: their older recipe, which
/// leaves nested values out, so the relay does not accept it.
pub fn allow_list(body: &Map<String, Value>) -> String {
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut out = String::new();
    write_allow_listed(&Value::Object(body.clone()), &keys, &mut out);
    out
}

/// Every object's keys sorted, at every depth; arrays stay arrays.
pub fn sorted(body: &Map<String, Value>) -> String {
    let mut out = String::new();
    write_sorted(&Value::Object(body.clone()), false, &mut out);
    out
}

/// `JSON.stringify(sortObject(body))` with their JS `sortObject` helper.
pub fn js_sort_object(body: &Map<String, Value>) -> String {
    let mut out = String::new();
    write_sorted(&Value::Object(body.clone()), true, &mut out);
    out
}

fn write_allow_listed(value: &Value, keys: &[&str], out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_allow_listed(item, keys, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut first = true;
            // The replacer list's order, not the object's, sets the key order.
            for key in keys {
                if let Some(v) = map.get(*key) {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_string(key, out);
                    out.push(':');
                    write_allow_listed(v, keys, out);
                }
            }
            out.push('}');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_sorted(value: &Value, arrays_as_objects: bool, out: &mut String) {
    match value {
        Value::Array(items) if arrays_as_objects => {
            // JS orders integer-like keys numerically, so "0","1",…,"10" in order.
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(&i.to_string(), out);
                out.push(':');
                write_sorted(item, arrays_as_objects, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, arrays_as_objects, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if arrays_as_objects {
                keys.sort_by(|a, b| js_key_order(a, b));
            } else {
                keys.sort_unstable();
            }
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_sorted(v, arrays_as_objects, out);
                }
            }
            out.push('}');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// A JS object's own-key order after inserting keys in sorted order: array-index
/// keys first, numerically; the rest as inserted (sorted).
fn js_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (array_index(a), array_index(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn array_index(key: &str) -> Option<u32> {
    let n: u32 = key.parse().ok()?;
    (n != u32::MAX && n.to_string() == key).then_some(n)
}

fn write_scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(_) | Value::Object(_) => {}
    }
}

/// JSON.stringify's string escaping is serde_json's: `"`, `\`, the short
/// escapes and `\u00xx` for other controls; nothing else.
fn write_string(s: &str, out: &mut String) {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// A number as JavaScript's `Number.prototype.toString` writes it.
pub fn js_number(n: &Number) -> String {
    // Integers that a JS number holds exactly print as they are.
    const EXACT: u64 = 1 << 53;
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) if u <= EXACT => return u.to_string(),
        (None, Some(i)) if i.unsigned_abs() <= EXACT => return i.to_string(),
        _ => {}
    }
    match n.as_f64() {
        Some(f) => js_f64(f),
        None => n.to_string(),
    }
}

fn js_f64(f: f64) -> String {
    if f == 0.0 {
        return "0".to_owned(); // also -0
    }
    if !f.is_finite() {
        return "null".to_owned();
    }
    if f < 0.0 {
        return format!("-{}", js_f64(-f));
    }
    // serde_json writes floats with ryu: the shortest digits that round-trip and,
    // among those, the closest, which is also JS's choice. Only the layout differs.
    let Some(written) = Number::from_f64(f).map(|n| n.to_string()) else {
        return "null".to_owned();
    };
    let (mantissa, exp) = match written.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (written.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let trimmed = all.trim_start_matches('0');
    // n: where the decimal point sits relative to the significant digits.
    let n = int.len() as i64 + exp - (all.len() - trimmed.len()) as i64;
    let digits = trimmed.trim_end_matches('0');
    if digits.is_empty() {
        return "0".to_owned();
    }
    let k = digits.len() as i64;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let e = (n - 1).abs();
        if k == 1 {
            format!("{digits}e{sign}{e}")
        } else {
            format!("{}.{}e{sign}{e}", &digits[..1], &digits[1..])
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn num(text: &str) -> String {
        let v: Value = serde_json::from_str(text).unwrap();
        match v {
            Value::Number(n) => js_number(&n),
            _ => panic!("not a number"),
        }
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (input, js) in [
            ("1", "1"),
            ("1.0", "1"),
            ("-2.50", "-2.5"),
            ("0.1", "0.1"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1e-7"),
            ("1.5e-7", "1.5e-7"),
            ("123456789012345680000", "123456789012345680000"),
            ("1e21", "1e+21"),
            ("1.25e22", "1.25e+22"),
            ("-0.0", "0"),
            ("12345678901234567890", "12345678901234567000"),
            ("5077125051", "5077125051"),
            ("0.00081", "0.00081"),
        ] {
            assert_eq!(num(input), js, "{input}");
        }
    }

    #[test]
    fn allow_list_form_empties_nested_objects_and_sorts() {
        let body: Map<String, Value> = serde_json::from_str(
            r#"{"payment_status":"finished","payment_id":5077125051,"fee":{"currency":"btc","depositFee":0},"actually_paid":1.0,"tags":[{"payment_id":1,"x":2}]}"#,
        )
        .unwrap();
        assert_eq!(
            allow_list(&body),
            r#"{"actually_paid":1,"fee":{},"payment_id":5077125051,"payment_status":"finished","tags":[{"payment_id":1}]}"#
        );
        assert_eq!(
            sorted(&body),
            r#"{"actually_paid":1,"fee":{"currency":"btc","depositFee":0},"payment_id":5077125051,"payment_status":"finished","tags":[{"payment_id":1,"x":2}]}"#
        );
        assert_eq!(
            js_sort_object(&body),
            r#"{"actually_paid":1,"fee":{"currency":"btc","depositFee":0},"payment_id":5077125051,"payment_status":"finished","tags":{"0":{"payment_id":1,"x":2}}}"#
        );
    }
}
