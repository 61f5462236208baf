//! Signing releases for the app's updater. The updater (tauri-plugin-updater) checks
//! each downloaded bundle against the public key built into the app: a minisign
//! signature, base64-wrapped as Tauri reads it, whose trusted comment carries the
//! version it was signed for (the app requires it: an unsigned manifest cannot pair
//! a new version number with an older signed bundle).
//!
//! The secret key is made once by `codetill-release keygen` outside the repository
//! and never committed; the public key goes into the release build through
//! `CODETILL_UPDATER_PUBKEY`.

use std::io::Cursor;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("minisign: {0}")]
    Minisign(#[from] minisign::PError),
    #[error("not a key or signature in the updater's form: {0}")]
    Encoding(String),
}

/// A new key pair: the public key as the app takes it (base64 of the minisign
/// public key file), the secret key as its file holds it.
pub struct KeyPair {
    pub public: String,
    pub secret: String,
}

pub fn keygen() -> Result<KeyPair, SignError> {
    // An empty password: the key stays unencrypted (0600, outside the repository),
    // with the checksum minisign reads back.
    let pair = minisign::KeyPair::generate_encrypted_keypair(Some(String::new()))?;
    let public = pair.pk.to_box()?.to_string();
    let secret = pair
        .sk
        .to_box(Some("codetill update key (keep it secret)"))?
        .to_string();
    Ok(KeyPair {
        public: STANDARD.encode(public),
        secret,
    })
}

/// The updater's signature of `data` (the bundle named `file`, released as
/// `version`) with the secret key `secret` (its file's text).
pub fn sign(secret: &str, data: &[u8], file: &str, version: &str) -> Result<String, SignError> {
    // Kept unencrypted, 0600, outside the repository: an empty password opens it.
    let sk = minisign::SecretKeyBox::from_string(secret)?.into_secret_key(Some(String::new()))?;
    // As the Tauri CLI writes it, plus the version the updater requires.
    let trusted = format!(
        "timestamp:{}\tfile:{file}\tversion:{version}",
        chrono::Utc::now().timestamp()
    );
    let signature = minisign::sign(
        None,
        &sk,
        Cursor::new(data),
        Some(&trusted),
        Some("signature from codetill-release"),
    )?;
    Ok(STANDARD.encode(signature.to_string()))
}

/// Checks `signature` of `data` against `public` (both as the updater takes them):
/// what the app does before it installs anything.
pub fn verify(public: &str, data: &[u8], signature: &str) -> Result<(), SignError> {
    let decode = |b64: &str| {
        STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| SignError::Encoding(b64.chars().take(16).collect()))
    };
    let pk = minisign::PublicKeyBox::from_string(&decode(public)?)?.into_public_key()?;
    let sig = minisign::SignatureBox::from_string(&decode(signature)?)?;
    minisign::verify(&pk, &sig, Cursor::new(data), true, false, false)?;
    Ok(())
}

/// The static update manifest the app's update URL serves: one Linux bundle.
pub fn manifest(version: &str, notes: &str, url: &str, signature: &str) -> serde_json::Value {
    serde_json::json!({
        "version": version,
        "notes": notes,
        "pub_date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "platforms": {
            "linux-x86_64": { "signature": signature, "url": url }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_only_and_only_for_its_data() {
        let pair = keygen().unwrap();
        let other = keygen().unwrap();
        let sig = sign(&pair.secret, b"bundle", "codetill.AppImage", "0.2.0").unwrap();
        verify(&pair.public, b"bundle", &sig).unwrap();
        assert!(verify(&pair.public, b"bundle!", &sig).is_err());
        assert!(verify(&other.public, b"bundle", &sig).is_err());
        let text = String::from_utf8(STANDARD.decode(&sig).unwrap()).unwrap();
        assert!(text.contains("version:0.2.0"), "{text}");
    }
}
