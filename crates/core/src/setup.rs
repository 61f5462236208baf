//! How a till finds its supplier and its vault, the same for the app and the CLI:
//! the supplier URL from `CODETILL_SUPPLIER_URL` or the settings, its key from the
//! secret store (environment first, then the OS keyring), timeouts from
//! `CODETILL_SUPPLIER_CONNECT_TIMEOUT_MS` / `CODETILL_SUPPLIER_TIMEOUT_MS` or the
//! settings.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::db::{Db, DbError};
use crate::orders::Engine;
use crate::secrets::Redacted;
use crate::secrets::{SecretError, SecretStore, names};
use crate::settings;
use crate::supplier::{
    BambooClient, BambooConfig, DingClient, DingConfig, ReloadlyClient, ReloadlyConfig, Supplier,
    SupplierError, Suppliers, WholesaleClient, WholesaleConfig,
};
use crate::vault::{KeySource, Vault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "no supplier configured: run `codetill supplier set --url URL --key-stdin` or set CODETILL_SUPPLIER_URL"
    )]
    NoSupplier,
    #[error(
        "no supplier API key: run `codetill supplier set --url URL --key-stdin` or set CODETILL_SUPPLIER_KEY"
    )]
    NoKey,
    #[error(
        "CODETILL_SUPPLIER_KIND={0:?} is not a supplier kind (wholesale, reloadly, reloadly-airtime, bamboo or ding)"
    )]
    UnknownKind(String),
    #[error("{0} needs CODETILL_SUPPLIER_ACCOUNT ({1})")]
    NoAccount(&'static str, &'static str),
    #[error("{name}: {value:?} is not a whole number of milliseconds")]
    BadTimeout { name: &'static str, value: String },
    #[error(transparent)]
    Supplier(#[from] SupplierError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Accounts(#[from] crate::supplier::accounts::AccountError),
    #[error("a background task failed: {0}")]
    Task(String),
}

/// The configured supplier's URL, if any (environment first; a URL cleared on the
/// settings screen is none).
pub async fn supplier_url(db: &Db) -> Result<Option<String>, DbError> {
    settings::env_or_setting(db, "CODETILL_SUPPLIER_URL", settings::SUPPLIER_URL).await
}

pub async fn supplier(
    db: &Db,
    secrets: Arc<dyn SecretStore>,
) -> Result<Arc<dyn Supplier>, SetupError> {
    let url = supplier_url(db).await?.ok_or(SetupError::NoSupplier)?;
    let key = tokio::task::spawn_blocking(move || secrets.get(names::SUPPLIER_KEY))
        .await
        .map_err(|e| SetupError::Task(e.to_string()))??
        .ok_or(SetupError::NoKey)?;
    let connect = timeout(
        db,
        "CODETILL_SUPPLIER_CONNECT_TIMEOUT_MS",
        settings::SUPPLIER_CONNECT_TIMEOUT_MS,
    )
    .await?;
    let request = timeout(
        db,
        "CODETILL_SUPPLIER_TIMEOUT_MS",
        settings::SUPPLIER_REQUEST_TIMEOUT_MS,
    )
    .await?;
    let kind = std::env::var("CODETILL_SUPPLIER_KIND").unwrap_or_default();
    let account = std::env::var("CODETILL_SUPPLIER_ACCOUNT")
        .ok()
        .filter(|a| !a.trim().is_empty());
    build_supplier(kind.trim(), url, key, connect, request, account)
}

/// The client for one of the shop's supplier accounts, its key from `secrets`
/// (`supplier-key/NAME`).
pub async fn account_supplier(
    secrets: Arc<dyn SecretStore>,
    account: &crate::supplier::accounts::Account,
) -> Result<Arc<dyn Supplier>, SetupError> {
    use crate::supplier::accounts::{Kind, key_name};
    let name = key_name(&account.name);
    let key = tokio::task::spawn_blocking(move || secrets.get(&name))
        .await
        .map_err(|e| SetupError::Task(e.to_string()))??
        .ok_or(SetupError::NoKey)?;
    match account.kind {
        Kind::Reloadly | Kind::ReloadlyAirtime => {
            let auth = account
                .auth_url
                .clone()
                .unwrap_or_else(|| RELOADLY_AUTH_URL.to_string());
            let airtime = account.kind == Kind::ReloadlyAirtime;
            let config = ReloadlyConfig::with_key(account.url.clone(), auth, &key, airtime)?;
            Ok(Arc::new(ReloadlyClient::new(config)?))
        }
        other => build_supplier(
            other.as_str(),
            account.url.clone(),
            key,
            None,
            None,
            account.account.clone(),
        ),
    }
}

/// The default token host of Reloadly.
/// Every supplier the shop buys from: its single supplier when one is configured
/// (environment or settings), then each supplier account in the order added, enabled
/// or not (a disabled one still finishes its open orders). An account whose key
/// cannot be read is left out, and said so in the log.
pub async fn suppliers(db: &Db, secrets: Arc<dyn SecretStore>) -> Result<Suppliers, SetupError> {
    let mut all = Suppliers::default();
    if supplier_url(db).await?.is_some() {
        all.add(None, supplier(db, secrets.clone()).await?, true);
    }
    for account in crate::supplier::accounts::list(db).await? {
        match account_supplier(secrets.clone(), &account).await {
            Ok(s) => all.add(Some(account.name.clone()), s, account.enabled),
            Err(e) => {
                tracing::warn!(supplier = %account.name, error = %e, "supplier account left out");
            }
        }
    }
    if all.is_empty() {
        return Err(SetupError::NoSupplier);
    }
    Ok(all)
}

/// Does the shop have a supplier: a URL for its single one, or an account?
pub async fn has_supplier(db: &Db) -> Result<bool, DbError> {
    if supplier_url(db).await?.is_some() {
        return Ok(true);
    }
    let crate::db::Flag(any) =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM supplier_accounts)")
            .fetch_one(db.pool())
            .await?;
    Ok(any)
}

const RELOADLY_AUTH_URL: &str = "https://auth.reloadly.com";

/// The client for a supplier kind (`CODETILL_SUPPLIER_KIND`; empty = wholesale).
/// Reloadly's key reads `client_id:client_secret`, its token host comes from
/// `CODETILL_SUPPLIER_AUTH_URL`. Bamboo's key is `client_id:client_secret` too and
/// `account` (`CODETILL_SUPPLIER_ACCOUNT`) its AccountId; Ding's key is its api key and
/// `account` the shop's phone number, which its PIN products are sent to.
fn build_supplier(
    kind: &str,
    url: String,
    key: Redacted<String>,
    connect: Option<Duration>,
    request: Option<Duration>,
    account: Option<String>,
) -> Result<Arc<dyn Supplier>, SetupError> {
    match kind {
        "" | "wholesale" => {
            let mut config = WholesaleConfig::new(url, key);
            config.connect_timeout = connect.unwrap_or(config.connect_timeout);
            config.request_timeout = request.unwrap_or(config.request_timeout);
            Ok(Arc::new(WholesaleClient::new(config)?))
        }
        "reloadly" | "reloadly-airtime" => {
            let auth = std::env::var("CODETILL_SUPPLIER_AUTH_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| RELOADLY_AUTH_URL.to_string());
            let mut config = ReloadlyConfig::with_key(url, auth, &key, kind == "reloadly-airtime")?;
            config.connect_timeout = connect.unwrap_or(config.connect_timeout);
            config.request_timeout = request.unwrap_or(config.request_timeout);
            Ok(Arc::new(ReloadlyClient::new(config)?))
        }
        "bamboo" => {
            let account =
                account.ok_or(SetupError::NoAccount("Bamboo", "its numeric AccountId"))?;
            let mut config = BambooConfig::from_key(url, &key, &account)?;
            config.connect_timeout = connect.unwrap_or(config.connect_timeout);
            config.request_timeout = request.unwrap_or(config.request_timeout);
            Ok(Arc::new(BambooClient::new(config)?))
        }
        "ding" => {
            let account = account.ok_or(SetupError::NoAccount(
                "Ding",
                "the shop's phone number, which PIN products are sent to",
            ))?;
            let mut config = DingConfig::new(url, key, account.trim());
            config.connect_timeout = connect.unwrap_or(config.connect_timeout);
            config.request_timeout = request.unwrap_or(config.request_timeout);
            Ok(Arc::new(DingClient::new(config)?))
        }
        other => Err(SetupError::UnknownKind(other.to_string())),
    }
}

async fn timeout(db: &Db, env: &'static str, key: &str) -> Result<Option<Duration>, SetupError> {
    let text = match std::env::var(env) {
        Ok(v) => Some(v),
        Err(_) => settings::get(db.pool(), key).await?,
    };
    match text {
        None => Ok(None),
        Some(t) => t
            .trim()
            .parse::<u64>()
            .map(|ms| Some(Duration::from_millis(ms.max(1))))
            .map_err(|_| SetupError::BadTimeout {
                name: env,
                value: t,
            }),
    }
}

/// The vault of the till whose database is `db` and whose data lives in `data_dir`
/// (see [`crate::vault`]): only the key bound to `db` is accepted.
pub async fn vault(
    db: &Db,
    data_dir: &Path,
    secrets: Arc<dyn SecretStore>,
) -> Result<(Vault, KeySource), SetupError> {
    Ok(Vault::open(db, data_dir, secrets).await?)
}

/// The order engine of this till.
pub async fn engine(
    db: &Db,
    data_dir: &Path,
    secrets: Arc<dyn SecretStore>,
) -> Result<(Engine, KeySource), SetupError> {
    let suppliers = Arc::new(suppliers(db, secrets.clone()).await?);
    let (vault, source) = vault(db, data_dir, secrets).await?;
    Ok((
        Engine::routed(db.clone(), suppliers, Arc::new(vault)),
        source,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::secrets::MemoryStore;

    #[tokio::test]
    async fn a_supplier_url_cleared_on_the_settings_screen_is_no_supplier() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.db")).await.unwrap();
        let secrets = Arc::new(MemoryStore::default());
        secrets.set(names::SUPPLIER_KEY, "sk_1").unwrap();
        // Saving the settings with the field empty stores an empty URL.
        settings::set(db.pool(), settings::SUPPLIER_URL, "")
            .await
            .unwrap();
        assert_eq!(supplier_url(&db).await.unwrap(), None);
        assert!(matches!(
            supplier(&db, secrets.clone()).await,
            Err(SetupError::NoSupplier)
        ));
        settings::set(
            db.pool(),
            settings::SUPPLIER_URL,
            "https://api.wholesale.example",
        )
        .await
        .unwrap();
        assert_eq!(
            supplier_url(&db).await.unwrap().as_deref(),
            Some("https://api.wholesale.example")
        );
        assert!(supplier(&db, secrets).await.is_ok());
    }

    #[test]
    fn bamboo_and_ding_need_their_account() {
        use crate::supplier::DuplicateMode;
        let url = || "https://api.example/".to_string();
        let key = |k: &str| Redacted::new(k.to_string());
        let bamboo = build_supplier(
            "bamboo",
            url(),
            key("id:secret"),
            None,
            None,
            Some("555".into()),
        );
        assert_eq!(
            bamboo.unwrap().duplicate_mode(),
            DuplicateMode::RejectDuplicate
        );
        assert!(matches!(
            build_supplier("bamboo", url(), key("id:secret"), None, None, None),
            Err(SetupError::NoAccount("Bamboo", _))
        ));
        assert!(matches!(
            build_supplier(
                "bamboo",
                url(),
                key("no-colon"),
                None,
                None,
                Some("555".into())
            ),
            Err(SetupError::Supplier(SupplierError::Configuration { .. }))
        ));
        let ding = build_supplier(
            "ding",
            url(),
            key("k"),
            None,
            None,
            Some("447700900123".into()),
        );
        assert_eq!(ding.unwrap().duplicate_mode(), DuplicateMode::LookupOnly);
        assert!(matches!(
            build_supplier("ding", url(), key("k"), None, None, None),
            Err(SetupError::NoAccount("Ding", _))
        ));
    }
}
