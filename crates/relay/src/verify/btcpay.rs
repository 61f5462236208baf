//! BTCPay Server: `BTCPay-Sig: sha256=<hex HMAC-SHA256(secret, body)>`.

use super::mac::{hmac_sha256_hex, hmac_sha256_matches};
use super::rejection::Rejection;

pub(super) fn check(secrets: &[String], header: &str, body: &[u8]) -> Result<(), Rejection> {
    let sig = header
        .strip_prefix("sha256=")
        .ok_or(Rejection::BadSignature)?;
    if secrets
        .iter()
        .any(|secret| hmac_sha256_matches(secret, &[body], sig))
    {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The `BTCPay-Sig` header BTCPay would send for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(secret, &[body]))
}
