//! Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`, where each `v1` may
//! be HMAC-SHA256(secret, "{t}.{body}"); any match passes (Stripe sends one per
//! active secret while a secret is rolled). Other schemes (`v0`) are ignored.

use super::mac::{hmac_sha256_hex, hmac_sha256_matches};
use super::rejection::Rejection;

pub(super) fn check(
    secrets: &[String],
    header: &str,
    body: &[u8],
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), Rejection> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let (Some(t), false) = (timestamp, signatures.is_empty()) else {
        return Err(Rejection::BadSignature);
    };
    let t_value: i64 = t.parse().map_err(|_| Rejection::BadSignature)?;
    let signed = secrets.iter().any(|secret| {
        signatures
            .iter()
            .any(|sig| hmac_sha256_matches(secret, &[t.as_bytes(), b".", body], sig))
    });
    if !signed {
        return Err(Rejection::BadSignature);
    }
    // Checked after the signature, as Stripe's libraries do: a replay of a
    // genuine old delivery is refused even though it is correctly signed.
    if now_s.abs_diff(t_value) > tolerance_s.unsigned_abs() {
        return Err(Rejection::StaleTimestamp);
    }
    Ok(())
}

/// The `Stripe-Signature` header Stripe would send for `body` at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    format!(
        "t={t},v1={}",
        hmac_sha256_hex(secret, &[t.as_bytes(), b".", body])
    )
}
