//! Codes at rest: XChaCha20-Poly1305 with a 256-bit key that never enters the
//! database. Each ciphertext is bound to its order and position (associated data),
//! so a code copied onto another order's row does not decrypt.
//!
//! The key is bound to the database it seals for ([`binding`]): the first till to
//! use a key on a database records the key's check value, and every later open
//! accepts only a key with that check value. Where the key lives ([`key`]): the file
//! named by `CODETILL_VAULT_KEY_FILE`; else the OS keyring or a `vault.key` in the
//! data folder, whichever holds the bound key; a new key is made only for a
//! database that has sealed nothing yet — in the keyring, or, on a headless machine
//! with no keyring at all, in `vault.key` (0600) with a warning.

mod binding;
mod key;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::db::{Db, DbError};
use crate::secrets::{SecretError, SecretStore};

pub use key::{KEY_FILE_ENV, KeySource};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("vault key file {path}: {message}")]
    KeyFile { path: PathBuf, message: String },
    #[error("vault key: {0}")]
    Secret(#[from] SecretError),
    #[error(
        "the vault key from {found} is not the key that sealed this shop's codes; nothing was written. Point CODETILL_VAULT_KEY_FILE at the shop's key, or open the app where its keyring holds it"
    )]
    WrongKey { found: String },
    #[error(
        "the key that sealed this shop's codes is not here ({why}); nothing was written and no new key was made. Set CODETILL_VAULT_KEY_FILE to the shop's key file, or run where the OS keyring that holds it is reachable"
    )]
    KeyMissing { why: String },
    #[error("vault key lock {path}: {message}")]
    Lock { path: PathBuf, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("a background task failed: {0}")]
    Task(String),
    #[error("a stored code does not decrypt (wrong vault key, or the row was altered)")]
    Decrypt,
    #[error("cannot encrypt a code")]
    Encrypt,
}

const NONCE_LEN: usize = 24;

pub struct Vault {
    cipher: XChaCha20Poly1305,
    check: String,
}

impl Vault {
    pub fn from_key(key: &[u8; 32]) -> Vault {
        Vault {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
            check: check_value(key),
        }
    }

    /// The vault of the till whose database is `db` and whose data folder is
    /// `data_dir`: the key bound to `db`, found as the module documentation says.
    /// Refuses any other key, writing nothing. Two tills opening at once agree: the
    /// key is found, made and bound under a lock on the data folder.
    pub async fn open(
        db: &Db,
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<(Vault, KeySource), VaultError> {
        Vault::open_from(db, data_dir, key::key_file_from_env(), secrets).await
    }

    /// As [`Vault::open`], with the key file that `CODETILL_VAULT_KEY_FILE` would name.
    pub async fn open_from(
        db: &Db,
        data_dir: &Path,
        key_file: Option<PathBuf>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<(Vault, KeySource), VaultError> {
        let lock = key::FolderLock::acquire(data_dir).await?;
        let bound = binding::read(db).await?;
        let dir = data_dir.to_path_buf();
        let check = bound.clone();
        let (key, source) = tokio::task::spawn_blocking(move || {
            key::find(&dir, key_file, secrets.as_ref(), &check)
        })
        .await
        .map_err(|e| VaultError::Task(e.to_string()))??;
        let vault = Vault::from_key(&key);
        if bound.check.is_none() {
            binding::record(db, &vault.check, &source).await?;
        }
        drop(lock);
        Ok((vault, source))
    }

    /// The key's check value: names the key without revealing it.
    pub fn check(&self) -> &str {
        &self.check
    }

    /// Encrypts `plain` for `context` (e.g. "order:12:code:0"): nonce ‖ ciphertext.
    pub fn seal(&self, plain: &str, context: &str) -> Result<Vec<u8>, VaultError> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ct = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Encrypt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open_sealed(&self, sealed: &[u8], context: &str) -> Result<String, VaultError> {
        if sealed.len() < NONCE_LEN {
            return Err(VaultError::Decrypt);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| VaultError::Decrypt)
    }
}

/// The check value of the key `db` is bound to, once one is recorded: which key
/// that database's codes need, without the key. (A database from before check
/// values answers `None` until a till opens it.)
pub async fn bound_check(db: &Db) -> Result<Option<String>, VaultError> {
    Ok(binding::read(db).await?.check)
}

/// What a sealed code is bound to (its associated data): the order and its place,
/// so a code copied onto another order's row does not decrypt.
pub(crate) fn code_context(order_id: i64, seq: i64, what: &str) -> String {
    format!("codetill:order:{order_id}:{what}:{seq}")
}

/// A one-way digest of the key under a label of its own (128 bits, hex): enough to
/// tell keys apart, useless for finding the key.
fn check_value(key: &[u8; 32]) -> String {
    let digest = Sha256::new()
        .chain_update(b"codetill vault key check v1\0")
        .chain_update(key)
        .finalize();
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests;
