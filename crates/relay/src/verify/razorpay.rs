//! Razorpay: `X-Razorpay-Signature: <hex HMAC-SHA256(secret, body)>`; the event id
//! (the dedupe key) comes in the `x-razorpay-event-id` header, which the
//! signature does not cover. So a signed body replayed under a new id is caught
//! by the store, which holds each body at most once (its SHA-256 is a unique key).

use super::mac::{hmac_sha256_hex, hmac_sha256_matches};
use super::rejection::Rejection;

pub(super) fn check(secrets: &[String], header: &str, body: &[u8]) -> Result<(), Rejection> {
    if secrets
        .iter()
        .any(|secret| hmac_sha256_matches(secret, &[body], header))
    {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The `X-Razorpay-Signature` header Razorpay would send for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hmac_sha256_hex(secret, &[body])
}
