//! Where the vault key lives, and the one place a new key is made.
//!
//! Finding and making a key run under an exclusive lock on the data folder, so two
//! tills starting at once cannot each make and store a key of their own.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::secrets::{SecretError, SecretStore, names};

use super::VaultError;
use super::binding::Bound;

/// The key file a headless till keeps in its data folder.
const KEY_FILE: &str = "vault.key";
/// Held while a till finds, makes and binds its key.
const LOCK_FILE: &str = "vault.lock";
/// Names a key file that beats every other source (headless machines, CI).
pub const KEY_FILE_ENV: &str = "CODETILL_VAULT_KEY_FILE";

/// Where the key came from, for the one warning a headless till prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    EnvFile(PathBuf),
    DataFile(PathBuf),
    Keyring,
    /// Created just now in the data folder because no keyring was available.
    NewDataFile(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::EnvFile(p) => write!(f, "{KEY_FILE_ENV} ({})", p.display()),
            KeySource::DataFile(p) | KeySource::NewDataFile(p) => write!(f, "{}", p.display()),
            KeySource::Keyring => f.write_str("the OS keyring"),
        }
    }
}

/// `CODETILL_VAULT_KEY_FILE`, when set and not empty.
pub fn key_file_from_env() -> Option<PathBuf> {
    std::env::var_os(KEY_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The key for a database bound as `bound`: the named key file if there is one
/// (and only if it is the bound key); else the keyring's or the data folder's key,
/// whichever is bound. A new key is made only when the database is free, and never
/// past a keyring that fails for another reason than being absent.
pub(super) fn find(
    data_dir: &Path,
    key_file: Option<PathBuf>,
    secrets: &dyn SecretStore,
    bound: &Bound,
) -> Result<([u8; 32], KeySource), VaultError> {
    if let Some(path) = key_file {
        let key = read_key_file(&path)?;
        let source = KeySource::EnvFile(path);
        return match bound.accepts(&key) {
            true => Ok((key, source)),
            false => Err(VaultError::WrongKey {
                found: source.to_string(),
            }),
        };
    }
    let local = data_dir.join(KEY_FILE);
    let mut found = Vec::new();
    let keyring_error = match secrets.get(names::VAULT_KEY) {
        Ok(Some(hex_key)) => {
            let key = parse_key(hex_key.expose()).ok_or_else(|| {
                SecretError::Keyring("the vault key in the keyring is malformed".into())
            })?;
            found.push((key, KeySource::Keyring));
            None
        }
        Ok(None) => None,
        Err(e) => Some(e),
    };
    if local.exists() {
        found.push((read_key_file(&local)?, KeySource::DataFile(local.clone())));
    }

    if bound.is_free() {
        if let Some(first) = found.into_iter().next() {
            return Ok(first);
        }
        return match keyring_error {
            None => Ok((create_in_keyring(secrets)?, KeySource::Keyring)),
            // No keyring on this machine at all (a headless till): the data folder.
            Some(SecretError::Unavailable(_)) => {
                let key: [u8; 32] = rand::random();
                write_key_file(&local, &key)?;
                if read_key_file(&local)? != key {
                    return Err(VaultError::KeyFile {
                        path: local,
                        message: "the key read back is not the key written".into(),
                    });
                }
                Ok((key, KeySource::NewDataFile(local)))
            }
            Some(e) => Err(VaultError::Secret(e)),
        };
    }

    let mut refused = Vec::new();
    for (key, source) in found {
        if bound.accepts(&key) {
            return Ok((key, source));
        }
        refused.push(source.to_string());
    }
    if !refused.is_empty() {
        return Err(VaultError::WrongKey {
            found: refused.join(" and "),
        });
    }
    Err(VaultError::KeyMissing {
        why: match keyring_error {
            Some(e) => format!("the OS keyring failed: {e}"),
            None => "neither the OS keyring nor the data folder holds a vault key".into(),
        },
    })
}

/// A new key in the keyring, read back before it is used: a store that keeps
/// nothing (a mock keyring) must not hand out a key that is gone next time.
fn create_in_keyring(secrets: &dyn SecretStore) -> Result<[u8; 32], VaultError> {
    let key: [u8; 32] = rand::random();
    secrets.set(names::VAULT_KEY, &hex::encode(key))?;
    match secrets.get(names::VAULT_KEY)? {
        Some(back) if parse_key(back.expose()) == Some(key) => Ok(key),
        _ => Err(VaultError::Secret(SecretError::Keyring(
            "the keyring did not keep the new vault key; nothing was sealed with it".into(),
        ))),
    }
}

/// An exclusive lock on the data folder's `vault.lock`, released on drop.
pub(super) struct FolderLock {
    _file: std::fs::File,
}

impl FolderLock {
    pub async fn acquire(data_dir: &Path) -> Result<FolderLock, VaultError> {
        let path = data_dir.join(LOCK_FILE);
        tokio::task::spawn_blocking(move || {
            let err = |e: std::io::Error| VaultError::Lock {
                path: path.clone(),
                message: e.to_string(),
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(err)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let file = options.open(&path).map_err(err)?;
            file.lock().map_err(err)?;
            Ok(FolderLock { _file: file })
        })
        .await
        .map_err(|e| VaultError::Task(e.to_string()))?
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
