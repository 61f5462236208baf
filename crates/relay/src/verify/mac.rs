//! The HMAC every provider's scheme is built on: signing, and checking a hex
//! signature in constant time (`verify_slice`).

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};

/// Whether `hex_sig` is HMAC-SHA256(secret, parts…), compared in constant time.
pub(super) fn hmac_sha256_matches(secret: &str, parts: &[&[u8]], hex_sig: &str) -> bool {
    let Ok(expected) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_slice(&expected).is_ok()
}

/// Whether `hex_sig` is HMAC-SHA512(secret, message), compared in constant time.
pub(super) fn hmac_sha512_matches(secret: &str, message: &[u8], hex_sig: &str) -> bool {
    let Ok(expected) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(&expected).is_ok()
}

pub(super) fn hmac_sha256_hex(secret: &str, parts: &[&[u8]]) -> String {
    // HMAC takes a key of any length; new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

pub(super) fn hmac_sha512_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = match Hmac::<Sha512>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}
