//! PINs: what a PIN may be, and its Argon2id hash. A PIN is never stored or logged;
//! only its hash (PHC string: algorithm, parameters and salt inside) is kept.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::StaffError;

/// Fewest digits a PIN has: four digits is what a PIN pad is for.
pub const MIN_DIGITS: usize = 4;
/// Most digits a PIN has.
pub const MAX_DIGITS: usize = 8;

/// A PIN as typed: digits only, [`MIN_DIGITS`]–[`MAX_DIGITS`] of them. The message
/// names the field and never repeats what was typed.
pub fn check(pin: &str) -> Result<&str, StaffError> {
    let pin = pin.trim();
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(StaffError::bad_input("pin", "digits only"));
    }
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&pin.len()) {
        return Err(StaffError::bad_input(
            "pin",
            format!("{MIN_DIGITS} to {MAX_DIGITS} digits"),
        ));
    }
    Ok(pin)
}

/// Argon2id with the parameters new hashes get. Tests use small ones: the hash
/// string carries its own parameters, so verifying does not depend on these.
fn hasher() -> Argon2<'static> {
    #[cfg(not(test))]
    let params = Params::default();
    #[cfg(test)]
    let params = Params::new(1024, 1, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The Argon2id hash of `pin` with a fresh random salt. CPU-bound: call it off the
/// async threads ([`hash_blocking`]).
pub fn hash(pin: &str) -> Result<String, StaffError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| StaffError::Hash(e.to_string()))?;
    Ok(hasher()
        .hash_password(pin.as_bytes(), &salt)
        .map_err(|e| StaffError::Hash(e.to_string()))?
        .to_string())
}

/// Does `pin` match `stored`? A stored hash that cannot be read matches nothing.
pub fn matches(pin: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(pin.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "a stored PIN hash cannot be read");
            false
        }
    }
}

/// [`hash`] on a blocking thread.
pub async fn hash_blocking(pin: &str) -> Result<String, StaffError> {
    let pin = pin.to_string();
    tokio::task::spawn_blocking(move || hash(&pin))
        .await
        .map_err(|e| StaffError::Hash(e.to_string()))?
}

/// Which of `stored` hashes `pin` matches (every one is tried, so the time taken
/// does not say which matched), on a blocking thread.
pub async fn matching(pin: &str, stored: Vec<String>) -> Result<Vec<usize>, StaffError> {
    let pin = pin.to_string();
    tokio::task::spawn_blocking(move || {
        stored
            .iter()
            .enumerate()
            .filter(|(_, h)| matches(&pin, h))
            .map(|(i, _)| i)
            .collect()
    })
    .await
    .map_err(|e| StaffError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_pin_is_four_to_eight_digits() {
        for good in ["1234", "12345678", " 0000 "] {
            assert!(check(good).is_ok(), "{good}");
        }
        for bad in ["123", "123456789", "12a4", "", "12 34", "١٢٣٤"] {
            let e = check(bad).unwrap_err();
            assert!(e.to_string().starts_with("pin: "), "{bad}: {e}");
            assert!(bad.trim().is_empty() || !e.to_string().contains(bad.trim()));
        }
    }

    #[test]
    fn the_hash_is_argon2id_salted_and_matches_only_its_pin() {
        let a = hash("2468").unwrap();
        let b = hash("2468").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.contains("2468"));
        assert!(matches("2468", &a));
        assert!(matches("2468", &b));
        assert!(!matches("2469", &a));
        assert!(!matches("2468", "not a hash"));
    }
}
