//! Codes at rest: XChaCha20-Poly1305 with a 256-bit key that never enters the
//! database. Each ciphertext is bound to its order and position (associated data),
//! so a code copied onto another order's row does not decrypt.
//!
//! Where the key lives, first found wins: the file named by `CODETILL_VAULT_KEY_FILE`
//! (mode 0600); an existing `vault.key` in the data folder; the OS keyring (created
//! there on first use); else a new `vault.key` (0600) in the data folder, with a
//! warning — codetill never refuses to sell for want of a keyring.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::secrets::{SecretError, SecretStore, names};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("vault key file {path}: {message}")]
    KeyFile { path: PathBuf, message: String },
    #[error("vault key: {0}")]
    Secret(#[from] SecretError),
    #[error("a stored code does not decrypt (wrong vault key, or the row was altered)")]
    Decrypt,
    #[error("cannot encrypt a code")]
    Encrypt,
}

const NONCE_LEN: usize = 24;

/// Where the key came from, for the one warning a headless till prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    EnvFile(PathBuf),
    DataFile(PathBuf),
    Keyring,
    /// Created just now in the data folder because no keyring was available.
    NewDataFile(PathBuf),
}

pub struct Vault {
    cipher: XChaCha20Poly1305,
}

impl Vault {
    pub fn from_key(key: &[u8; 32]) -> Vault {
        Vault {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// Finds (or creates) the key as the module documentation says.
    pub fn open(
        data_dir: &Path,
        secrets: &dyn SecretStore,
    ) -> Result<(Vault, KeySource), VaultError> {
        if let Ok(file) = std::env::var("CODETILL_VAULT_KEY_FILE")
            && !file.is_empty()
        {
            let path = PathBuf::from(file);
            return Ok((
                Vault::from_key(&read_key_file(&path)?),
                KeySource::EnvFile(path),
            ));
        }
        let local = data_dir.join("vault.key");
        if local.exists() {
            return Ok((
                Vault::from_key(&read_key_file(&local)?),
                KeySource::DataFile(local),
            ));
        }
        match secrets.get(names::VAULT_KEY) {
            Ok(Some(hex_key)) => {
                let key = parse_key(hex_key.expose()).ok_or_else(|| {
                    VaultError::Secret(SecretError::Keyring(
                        "the vault key in the keyring is malformed".into(),
                    ))
                })?;
                return Ok((Vault::from_key(&key), KeySource::Keyring));
            }
            Ok(None) => {
                let key: [u8; 32] = rand::random();
                if secrets.set(names::VAULT_KEY, &hex::encode(key)).is_ok() {
                    return Ok((Vault::from_key(&key), KeySource::Keyring));
                }
            }
            Err(e) => tracing::debug!(error = %e, "keyring unavailable for the vault key"),
        }
        let key: [u8; 32] = rand::random();
        write_key_file(&local, &key)?;
        Ok((Vault::from_key(&key), KeySource::NewDataFile(local)))
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

fn parse_key(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

fn read_key_file(path: &Path) -> Result<[u8; 32], VaultError> {
    let err = |message: String| VaultError::KeyFile {
        path: path.to_path_buf(),
        message,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| err(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "is readable by others (mode {:o}); run chmod 600 on it",
                mode & 0o777
            )));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    parse_key(&text).ok_or_else(|| err("must hold 64 hex digits (a 256-bit key)".into()))
}

fn write_key_file(path: &Path, key: &[u8; 32]) -> Result<(), VaultError> {
    let err = |message: String| VaultError::KeyFile {
        path: path.to_path_buf(),
        message,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| err(e.to_string()))?;
    std::io::Write::write_all(&mut file, hex::encode(key).as_bytes())
        .map_err(|e| err(e.to_string()))?;
    file.sync_all().map_err(|e| err(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn sealed_codes_open_only_in_their_own_context() {
        let v = Vault::from_key(&[7u8; 32]);
        let sealed = v.seal("ABCDE-FGHIJ-KLMNO", "order:1:code:0").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"ABCDE"), "stored in clear");
        assert_eq!(
            v.open_sealed(&sealed, "order:1:code:0").unwrap(),
            "ABCDE-FGHIJ-KLMNO"
        );
        assert!(v.open_sealed(&sealed, "order:2:code:0").is_err());
        assert!(
            Vault::from_key(&[8u8; 32])
                .open_sealed(&sealed, "order:1:code:0")
                .is_err()
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(v.open_sealed(&tampered, "order:1:code:0").is_err());
    }

    #[test]
    fn key_goes_to_the_keyring_when_there_is_one_and_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        let (v1, src) = Vault::open(dir.path(), &store).unwrap();
        assert_eq!(src, KeySource::Keyring);
        let sealed = v1.seal("code", "c").unwrap();
        let (v2, _) = Vault::open(dir.path(), &store).unwrap();
        assert_eq!(v2.open_sealed(&sealed, "c").unwrap(), "code");
        assert!(!dir.path().join("vault.key").exists());
    }

    struct NoKeyring;
    impl SecretStore for NoKeyring {
        fn get(&self, _: &str) -> Result<Option<crate::secrets::Redacted<String>>, SecretError> {
            Err(SecretError::Unavailable("no D-Bus".into()))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
            Err(SecretError::Unavailable("no D-Bus".into()))
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Ok(())
        }
    }

    #[test]
    fn headless_falls_back_to_a_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let (v1, src) = Vault::open(dir.path(), &NoKeyring).unwrap();
        let path = dir.path().join("vault.key");
        assert_eq!(src, KeySource::NewDataFile(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let sealed = v1.seal("code", "c").unwrap();
        let (v2, src) = Vault::open(dir.path(), &NoKeyring).unwrap();
        assert_eq!(src, KeySource::DataFile(path.clone()));
        assert_eq!(v2.open_sealed(&sealed, "c").unwrap(), "code");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(
                Vault::open(dir.path(), &NoKeyring).is_err(),
                "a key others can read is refused"
            );
        }
    }
}
