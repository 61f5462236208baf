//! Secrets (the supplier key, webhook secrets, the relay token, the vault key, the
//! shop's database URL with its password) live in the OS keyring; headless machines
//! pass them as environment variables. Secret values are wrapped in [`Redacted`] so
//! that no `Debug` or log line can print them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the OS keyring is not available ({0}); on a headless machine set the secret in the environment instead (e.g. CODETILL_SUPPLIER_KEY)"
    )]
    Unavailable(String),
    #[error("keyring: {0}")]
    Keyring(String),
    #[error(
        "this build's OS keyring keeps nothing ({0}): secrets saved now would be gone at the next start, and codes sealed now unreadable; use a build with the platform's keyring"
    )]
    NotPersistent(String),
}

/// Names of the secrets codetill keeps, and the environment variable for each.
pub mod names {
    pub const SUPPLIER_KEY: &str = "supplier-key";
    pub const RELAY_TOKEN: &str = "relay-token";
    pub const VAULT_KEY: &str = "vault-key";
    pub const SMTP_PASSWORD: &str = "smtp-password";
    pub const STRIPE_KEY: &str = "stripe-key";
    pub const BTCPAY_KEY: &str = "btcpay-key";
    pub const NOWPAYMENTS_KEY: &str = "nowpayments-key";
    pub const RAZORPAY_KEY_SECRET: &str = "razorpay-key-secret";
    /// The shop's PostgreSQL server (`postgres://user:password@host/db`).
    pub const DATABASE_URL: &str = "database-url";

    pub fn env_var(name: &str) -> Option<&'static str> {
        match name {
            SUPPLIER_KEY => Some("CODETILL_SUPPLIER_KEY"),
            RELAY_TOKEN => Some("CODETILL_RELAY_TOKEN"),
            SMTP_PASSWORD => Some("CODETILL_SMTP_PASSWORD"),
            STRIPE_KEY => Some("CODETILL_STRIPE_KEY"),
            BTCPAY_KEY => Some("CODETILL_BTCPAY_KEY"),
            NOWPAYMENTS_KEY => Some("CODETILL_NOWPAYMENTS_KEY"),
            RAZORPAY_KEY_SECRET => Some("CODETILL_RAZORPAY_KEY_SECRET"),
            DATABASE_URL => Some("CODETILL_DATABASE_URL"),
            _ => None,
        }
    }

    /// The environment variable of a secret named at run time: a supplier
    /// account's key (`supplier-key/rl-main` → `CODETILL_SUPPLIER_KEY_RL_MAIN`).
    pub fn account_env_var(name: &str) -> Option<String> {
        let account = name.strip_prefix("supplier-key/")?;
        let suffix: String = account
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        Some(format!("CODETILL_SUPPLIER_KEY_{suffix}"))
    }
}

/// Where secrets are kept. Implementations may block (the keyring talks D-Bus):
/// async callers use `spawn_blocking`.
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError>;
    fn set(&self, name: &str, value: &str) -> Result<(), SecretError>;
    fn delete(&self, name: &str) -> Result<(), SecretError>;

    /// What the store itself keeps, the environment not asked: for a caller that
    /// read the environment already and must tell the two apart (where the shop's
    /// database URL came from). Only [`EnvFirst`] asks the environment in `get`.
    fn get_stored(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError> {
        self.get(name)
    }
}

/// A value that must never be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted<T>(T);

impl<T> Redacted<T> {
    pub fn new(value: T) -> Self {
        Redacted(value)
    }
    /// The secret itself; call only where it is used, never to log.
    pub fn expose(&self) -> &T {
        &self.0
    }
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The OS keyring (Secret Service on Linux, Keychain, Credential Manager).
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: impl Into<String>) -> Self {
        KeyringStore {
            service: service.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, name).map_err(map_keyring)
    }
}

fn map_keyring(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            SecretError::Unavailable(e.to_string())
        }
        other => SecretError::Keyring(other.to_string()),
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(Redacted(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        self.entry(name)?.set_password(value).map_err(map_keyring)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }
}

/// Refuses a build whose OS keyring does not keep secrets across runs: keyring 3
/// built without its platform's store falls back to a mock that keeps nothing, which
/// would give every vault open a new key and lose every secret saved in Settings.
/// The fronts call this before they open anything.
pub fn ensure_keyring_persists() -> Result<(), SecretError> {
    let persistence = keyring::default::default_credential_builder().persistence();
    match keeps_secrets(&persistence) {
        true => Ok(()),
        false => Err(SecretError::NotPersistent(persistence_name(&persistence))),
    }
}

/// Only a store that keeps secrets until they are deleted will do: one that forgets
/// them at exit or at a reboot loses the vault key with them.
fn keeps_secrets(persistence: &keyring::credential::CredentialPersistence) -> bool {
    matches!(
        persistence,
        keyring::credential::CredentialPersistence::UntilDelete
    )
}

fn persistence_name(persistence: &keyring::credential::CredentialPersistence) -> String {
    use keyring::credential::CredentialPersistence as P;
    match persistence {
        P::EntryOnly => "secrets live only as long as one entry object",
        P::ProcessOnly => "secrets live only as long as the process",
        P::UntilReboot => "secrets are lost at a reboot",
        _ => "secrets are not kept",
    }
    .to_string()
}

/// Environment variables first (headless use), then the next store. Writes go to the
/// next store: the environment is read-only.
pub struct EnvFirst<S> {
    inner: S,
}

impl<S: SecretStore> EnvFirst<S> {
    pub fn new(inner: S) -> Self {
        EnvFirst { inner }
    }
}

impl<S: SecretStore> SecretStore for EnvFirst<S> {
    fn get(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError> {
        let var = names::env_var(name)
            .map(str::to_string)
            .or_else(|| names::account_env_var(name));
        if let Some(var) = var
            && let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return Ok(Some(Redacted(v)));
        }
        self.inner.get(name)
    }

    fn get_stored(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError> {
        self.inner.get_stored(name)
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        self.inner.set(name, value)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.inner.delete(name)
    }
}

/// Secrets in memory: tests, and a first run that never persists.
#[derive(Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError> {
        let map = self
            .values
            .lock()
            .map_err(|_| SecretError::Keyring("memory store poisoned".into()))?;
        Ok(map.get(name).cloned().map(Redacted))
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let mut map = self
            .values
            .lock()
            .map_err(|_| SecretError::Keyring("memory store poisoned".into()))?;
        map.insert(name.to_string(), value.to_string());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let mut map = self
            .values
            .lock()
            .map_err(|_| SecretError::Keyring("memory store poisoned".into()))?;
        map.remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn redacted_never_prints_its_value() {
        let r = Redacted::new("sk_live_123".to_string());
        assert_eq!(format!("{r:?} {r}"), "[redacted] [redacted]");
        assert_eq!(r.expose(), "sk_live_123");
    }

    #[test]
    fn only_a_store_that_keeps_secrets_until_deleted_will_do() {
        use keyring::credential::CredentialPersistence as P;
        assert!(keeps_secrets(&P::UntilDelete));
        for forgetful in [P::EntryOnly, P::ProcessOnly, P::UntilReboot] {
            assert!(!keeps_secrets(&forgetful));
            assert!(!persistence_name(&forgetful).is_empty());
        }
    }

    /// This platform's build has its real keyring (Secret Service on Linux), not
    /// keyring's in-memory mock.
    #[test]
    fn this_build_has_a_keyring_that_persists() {
        ensure_keyring_persists().unwrap();
    }

    #[test]
    fn env_first_asks_its_store_alone_for_what_the_store_keeps() {
        let s = EnvFirst::new(MemoryStore::default());
        assert!(s.get_stored(names::DATABASE_URL).unwrap().is_none());
        s.set(names::DATABASE_URL, "postgres://db/shop").unwrap();
        assert_eq!(
            s.get_stored(names::DATABASE_URL).unwrap().unwrap().expose(),
            "postgres://db/shop"
        );
    }

    #[test]
    fn memory_store_round_trip() {
        let s = MemoryStore::default();
        assert!(s.get("x").unwrap().is_none());
        s.set("x", "v").unwrap();
        assert_eq!(s.get("x").unwrap().unwrap().expose(), "v");
        s.delete("x").unwrap();
        assert!(s.get("x").unwrap().is_none());
    }
}
