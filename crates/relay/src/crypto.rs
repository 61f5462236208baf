//! Secrets at rest and the random names the relay hands out.
//!
//! Webhook secrets are sealed with XChaCha20-Poly1305 under the master key, with
//! the endpoint id as associated data so a sealed blob cannot be moved to another
//! endpoint. Client tokens are stored only as SHA-256 digests: they are 256-bit
//! random, so a plain hash is enough (no password stretching needed).

use std::fmt;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::error::CryptoError;

const NONCE_LEN: usize = 24;

/// The 256-bit key that seals webhook secrets. Its `Debug` shows nothing.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self(bytes))
    }

    /// A fresh random key (for tests and for `openssl rand -hex 32`-less setups).
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// `CODETILL_RELAY_MASTER_KEY` (hex), else `CODETILL_RELAY_MASTER_KEY_FILE`.
    pub fn from_env() -> Result<Self, CryptoError> {
        if let Ok(hex_key) = std::env::var("CODETILL_RELAY_MASTER_KEY") {
            return Self::from_hex(&hex_key);
        }
        match std::env::var_os("CODETILL_RELAY_MASTER_KEY_FILE") {
            Some(path) => Self::from_file(Path::new(&path)),
            None => Err(CryptoError::NoKey),
        }
    }

    /// A key file holding 64 hex digits; refused unless only its owner can read it.
    pub fn from_file(path: &Path) -> Result<Self, CryptoError> {
        use std::os::unix::fs::PermissionsExt;
        let shown = path.display().to_string();
        let io = |source| CryptoError::KeyFile {
            path: shown.clone(),
            source,
        };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(CryptoError::KeyFileOpen {
                path: shown,
                mode: mode & 0o777,
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::from_hex(&text)
    }

    /// Seal `plaintext`, bound to `context` (the endpoint id): nonce || ciphertext.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce: [u8; NONCE_LEN] = random_bytes();
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| CryptoError::Seal)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ct);
        Ok(sealed)
    }

    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context,
                },
            )
            .map_err(|_| CryptoError::Open)
    }
}

/// Bytes from the operating system's generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator failing means the machine cannot make secrets at all.
    if let Err(e) = OsRng.try_fill_bytes(&mut bytes) {
        panic!("the operating system's random generator failed: {e}");
    }
    bytes
}

/// A new client token: 256 random bits, with a prefix that says what it is.
pub(crate) fn new_token() -> String {
    format!("crt_{}", hex::encode(random_bytes::<32>()))
}

/// A new endpoint id: 160 random bits (the contract asks for at least 128).
pub(crate) fn new_endpoint_id() -> String {
    format!("ep_{}", hex::encode(random_bytes::<20>()))
}

/// A new shop id; not secret, only unique.
pub(crate) fn new_shop_id() -> String {
    format!("shop_{}", hex::encode(random_bytes::<10>()))
}

/// What the store keeps of a client token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_for_its_endpoint_and_key() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"ep_a", b"whsec_x").unwrap();
        assert_eq!(key.open(b"ep_a", &sealed).ok(), Some(b"whsec_x".to_vec()));
        assert!(key.open(b"ep_b", &sealed).is_err());
        assert!(MasterKey::generate().open(b"ep_a", &sealed).is_err());
        assert!(!sealed.windows(7).any(|w| w == b"whsec_x"));
    }

    #[test]
    fn master_key_debug_shows_nothing() {
        let key = MasterKey::generate();
        assert!(!format!("{key:?}").contains(&key.to_hex()[..8]));
    }
}
