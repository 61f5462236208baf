//! Finding, making and binding the key, against a real database on disk.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::secrets::{MemoryStore, Redacted, names};

struct NoKeyring;
impl SecretStore for NoKeyring {
    fn get(&self, _: &str) -> Result<Option<Redacted<String>>, SecretError> {
        Err(SecretError::Unavailable("no D-Bus".into()))
    }
    fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("no D-Bus".into()))
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Ok(())
    }
}

/// A keyring that is there but fails (locked, refused, broken).
struct BrokenKeyring;
impl SecretStore for BrokenKeyring {
    fn get(&self, _: &str) -> Result<Option<Redacted<String>>, SecretError> {
        Err(SecretError::Keyring("the collection is locked".into()))
    }
    fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
        Err(SecretError::Keyring("the collection is locked".into()))
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Ok(())
    }
}

/// A keyring that takes a secret and keeps nothing (keyring's mock store).
struct ForgetfulKeyring;
impl SecretStore for ForgetfulKeyring {
    fn get(&self, _: &str) -> Result<Option<Redacted<String>>, SecretError> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Ok(())
    }
}

/// A keyring that takes its time, as one over D-Bus does: widens the window in
/// which tills starting at once could each make a key.
struct Slow<S>(S);
impl<S: SecretStore> SecretStore for Slow<S> {
    fn get(&self, name: &str) -> Result<Option<Redacted<String>>, SecretError> {
        std::thread::sleep(std::time::Duration::from_millis(30));
        self.0.get(name)
    }
    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        std::thread::sleep(std::time::Duration::from_millis(30));
        self.0.set(name, value)
    }
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.0.delete(name)
    }
}

struct Shop {
    dir: tempfile::TempDir,
    db: Db,
}

impl Shop {
    async fn new() -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        Shop { dir, db }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    async fn open(
        &self,
        key_file: Option<PathBuf>,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<(Vault, KeySource), VaultError> {
        Vault::open_from(&self.db, self.path(), key_file, secrets).await
    }

    /// A 0600 key file outside the data folder, holding `byte` × 32.
    fn key_file(&self, name: &str, byte: u8) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, hex::encode([byte; 32])).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    }

    async fn binding(&self) -> Option<String> {
        sqlx::query_scalar("SELECT key_check FROM vault_binding")
            .fetch_optional(self.db.pool())
            .await
            .unwrap()
    }

    /// A sealed code as a database from before check values holds it: an order's
    /// code row with no binding recorded.
    async fn legacy_code(&self, key: &[u8; 32]) {
        let sealed = Vault::from_key(key)
            .seal("LEGACY-CODE", &super::code_context(1, 0, "code"))
            .unwrap();
        let mut conn = self.db.pool().acquire().await.unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO order_codes (order_id, seq, code_ct) VALUES (1, 0, $1)")
            .bind(sealed)
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
}

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
fn the_check_value_tells_keys_apart_and_shows_nothing_of_the_key() {
    let a = Vault::from_key(&[7u8; 32]);
    assert_eq!(a.check(), Vault::from_key(&[7u8; 32]).check());
    assert_ne!(a.check(), Vault::from_key(&[8u8; 32]).check());
    assert_eq!(a.check().len(), 32);
    assert!(!a.check().contains(&hex::encode([7u8; 32])[..8]));
}

fn mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o600
    }
}

#[tokio::test]
async fn key_goes_to_the_keyring_when_there_is_one_and_is_stable() {
    let shop = Shop::new().await;
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let (v1, src) = shop.open(None, store.clone()).await.unwrap();
    assert_eq!(src, KeySource::Keyring);
    let sealed = v1.seal("code", "c").unwrap();
    let (v2, _) = shop.open(None, store).await.unwrap();
    assert_eq!(v2.open_sealed(&sealed, "c").unwrap(), "code");
    assert!(!shop.path().join("vault.key").exists());
    assert_eq!(shop.binding().await.as_deref(), Some(v1.check()));
}

#[tokio::test]
async fn headless_falls_back_to_a_private_key_file() {
    let shop = Shop::new().await;
    let (v1, src) = shop.open(None, Arc::new(NoKeyring)).await.unwrap();
    let path = shop.path().join("vault.key");
    assert_eq!(src, KeySource::NewDataFile(path.clone()));
    assert_eq!(mode(&path), 0o600);
    let sealed = v1.seal("code", "c").unwrap();
    let (v2, src) = shop.open(None, Arc::new(NoKeyring)).await.unwrap();
    assert_eq!(src, KeySource::DataFile(path.clone()));
    assert_eq!(v2.open_sealed(&sealed, "c").unwrap(), "code");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            shop.open(None, Arc::new(NoKeyring)).await.is_err(),
            "a key others can read is refused"
        );
    }
}

/// The reproduction: codes sealed with a key file; a run without it (a cron job with
/// no session bus) used to make `vault.key` and seal the next sale with it.
#[tokio::test]
async fn a_run_without_the_shops_key_makes_no_key_and_is_refused() {
    let shop = Shop::new().await;
    let env_key = shop.key_file("shop.hex", 0x5a);
    let (v, src) = shop
        .open(Some(env_key.clone()), Arc::new(NoKeyring))
        .await
        .unwrap();
    assert_eq!(src, KeySource::EnvFile(env_key.clone()));
    assert_eq!(v.check(), Vault::from_key(&[0x5a; 32]).check());

    let err = shop.open(None, Arc::new(NoKeyring)).await.err().unwrap();
    assert!(matches!(err, VaultError::KeyMissing { .. }), "{err}");
    assert!(err.to_string().contains("CODETILL_VAULT_KEY_FILE"), "{err}");
    assert!(!shop.path().join("vault.key").exists(), "no key was made");

    // A keyring that is there but holds nothing: no key is made there either.
    let keyring = Arc::new(MemoryStore::default());
    let err = shop.open(None, keyring.clone()).await.err().unwrap();
    assert!(matches!(err, VaultError::KeyMissing { .. }), "{err}");
    assert!(keyring.get(names::VAULT_KEY).unwrap().is_none());

    // Another key, wherever it comes from, is refused.
    let other = shop.key_file("other.hex", 0x11);
    let err = shop
        .open(Some(other), Arc::new(NoKeyring))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, VaultError::WrongKey { .. }), "{err}");
    keyring
        .set(names::VAULT_KEY, &hex::encode([0x22; 32]))
        .unwrap();
    let err = shop.open(None, keyring).await.err().unwrap();
    assert!(
        err.to_string().contains("the OS keyring"),
        "names where the wrong key was found: {err}"
    );

    // The binding did not move, and the shop's key still opens.
    assert_eq!(shop.binding().await.as_deref(), Some(v.check()));
    shop.open(Some(env_key), Arc::new(NoKeyring)).await.unwrap();
}

#[tokio::test]
async fn an_existing_key_file_does_not_beat_the_bound_keyring_key() {
    let shop = Shop::new().await;
    let keyring: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let (bound, _) = shop.open(None, keyring.clone()).await.unwrap();
    // A stray key file appears in the data folder (made by an older version).
    let stray = shop.key_file("vault.key", 0x33);
    let (v, src) = shop.open(None, keyring).await.unwrap();
    assert_eq!(src, KeySource::Keyring);
    assert_eq!(v.check(), bound.check());
    // Without the keyring, the stray file alone is refused.
    let err = shop.open(None, Arc::new(NoKeyring)).await.err().unwrap();
    assert!(matches!(err, VaultError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains(&stray.display().to_string()));
}

#[tokio::test]
async fn a_keyring_that_fails_is_not_passed_by() {
    let shop = Shop::new().await;
    let err = shop
        .open(None, Arc::new(BrokenKeyring))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, VaultError::Secret(_)), "{err}");
    assert!(!shop.path().join("vault.key").exists());
    assert_eq!(shop.binding().await, None, "nothing was written");
}

#[tokio::test]
async fn a_keyring_that_keeps_nothing_hands_out_no_key() {
    let shop = Shop::new().await;
    let err = shop
        .open(None, Arc::new(ForgetfulKeyring))
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("did not keep"), "{err}");
    assert_eq!(shop.binding().await, None);
}

/// A database from before check values: the key that opens its codes is found and
/// bound; no other key is taken, and none is made.
#[tokio::test]
async fn codes_sealed_before_check_values_bind_the_key_that_opens_them() {
    let shop = Shop::new().await;
    shop.legacy_code(&[0x44; 32]).await;

    let err = shop.open(None, Arc::new(NoKeyring)).await.err().unwrap();
    assert!(matches!(err, VaultError::KeyMissing { .. }), "{err}");
    assert!(
        !shop.path().join("vault.key").exists(),
        "codes exist: no key made"
    );
    let keyring: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    keyring
        .set(names::VAULT_KEY, &hex::encode([0x55; 32]))
        .unwrap();
    let err = shop.open(None, keyring.clone()).await.err().unwrap();
    assert!(matches!(err, VaultError::WrongKey { .. }), "{err}");
    assert_eq!(shop.binding().await, None);

    // The right key is in the data folder, beside a wrong one in the keyring.
    shop.key_file("vault.key", 0x44);
    let (v, src) = shop.open(None, keyring).await.unwrap();
    assert!(matches!(src, KeySource::DataFile(_)));
    assert_eq!(shop.binding().await.as_deref(), Some(v.check()));
    assert_eq!(v.check(), Vault::from_key(&[0x44; 32]).check());
}

/// Tills starting at once agree on one key: with no keyring (one `vault.key`) and
/// with a shared keyring (one stored key).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tills_starting_at_once_make_one_key() {
    for keyring in [false, true] {
        let shop = Arc::new(Shop::new().await);
        let store: Arc<dyn SecretStore> = match keyring {
            true => Arc::new(Slow(MemoryStore::default())),
            false => Arc::new(Slow(NoKeyring)),
        };
        let opens: Vec<_> = (0..8)
            .map(|_| {
                let (shop, store) = (shop.clone(), store.clone());
                tokio::spawn(async move { shop.open(None, store).await.map(|(v, _)| v.check) })
            })
            .collect();
        let mut checks = Vec::new();
        for open in opens {
            checks.push(open.await.unwrap().unwrap());
        }
        checks.dedup();
        assert_eq!(checks.len(), 1, "one key for all (keyring: {keyring})");
        assert_eq!(shop.binding().await.as_ref(), checks.first());
    }
}
