//! The shop's supplier accounts: each named by the owner, of one kind (the API it
//! speaks), at one address, enabled or not. Keys live in the secret store under
//! `supplier-key/NAME`; the database holds everything else.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

use crate::db::{Db, DbError, now_text};
use crate::money::Currency;
use crate::secrets::{Redacted, SecretError, SecretStore};

/// The API a supplier account speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Wholesale,
    Reloadly,
    ReloadlyAirtime,
    Bamboo,
    Ding,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Wholesale,
        Kind::Reloadly,
        Kind::ReloadlyAirtime,
        Kind::Bamboo,
        Kind::Ding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Wholesale => "wholesale",
            Kind::Reloadly => "reloadly",
            Kind::ReloadlyAirtime => "reloadly-airtime",
            Kind::Bamboo => "bamboo",
            Kind::Ding => "ding",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = AccountError;
    fn from_str(s: &str) -> Result<Kind, AccountError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                bad(
                    "kind",
                    format!(
                        "{s:?} is not a supplier kind (wholesale, reloadly, reloadly-airtime, bamboo or ding)"
                    ),
                )
            })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error("no supplier named {0:?} (`codetill supplier list` shows them)")]
    NotFound(String),
    #[error("a supplier named {0:?} exists already")]
    Exists(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Db(DbError::from(e))
    }
}

fn bad(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::BadInput {
        field,
        message: message.into(),
    }
}

/// One supplier account, as kept (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub name: String,
    pub kind: Kind,
    pub url: String,
    pub auth_url: Option<String>,
    pub account: Option<String>,
    pub account_currency: Option<String>,
    pub enabled: bool,
    pub created_at: String,
}

/// An account as the owner types it; [`add`] checks every field before anything is
/// written.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub auth_url: Option<String>,
    pub account: Option<String>,
    pub account_currency: Option<String>,
}

/// The secret store's name for an account's key.
pub fn key_name(account: &str) -> String {
    format!("supplier-key/{account}")
}

fn check_url(field: &'static str, text: &str) -> Result<String, AccountError> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| bad(field, format!("{text:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            field,
            format!("{text:?}: use an http or https address"),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(field, format!("{text:?}: no host")));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn check_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(name.to_string())
    } else {
        Err(bad(
            "name",
            format!("{name:?}: 1 to 40 letters, digits, - or _"),
        ))
    }
}

/// Checks `new`; the fields as they will be stored.
fn checked(new: &NewAccount) -> Result<Account, AccountError> {
    let name = check_name(&new.name)?;
    let kind: Kind = new.kind.parse()?;
    let url = check_url("url", &new.url)?;
    let auth_url = match new
        .auth_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(u) if matches!(kind, Kind::Reloadly | Kind::ReloadlyAirtime) => {
            Some(check_url("auth-url", u)?)
        }
        Some(_) => {
            return Err(bad(
                "auth-url",
                format!("a {kind} account has no token host"),
            ));
        }
        None => None,
    };
    let account = new
        .account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    match (kind, &account) {
        (Kind::Bamboo, None) => return Err(bad("account", "Bamboo needs its AccountId")),
        (Kind::Bamboo, Some(a)) if !a.chars().all(|c| c.is_ascii_digit()) => {
            return Err(bad(
                "account",
                format!("{a:?}: Bamboo's AccountId is a number"),
            ));
        }
        (Kind::Ding, None) => {
            return Err(bad(
                "account",
                "Ding needs the shop's phone number, which PIN products are sent to",
            ));
        }
        _ => {}
    }
    let account_currency = match new.account_currency.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(
            Currency::parse(c)
                .map_err(|e| bad("account-currency", e.to_string()))?
                .code()
                .to_string(),
        ),
        _ => None,
    };
    Ok(Account {
        name,
        kind,
        url,
        auth_url,
        account,
        account_currency,
        enabled: true,
        created_at: now_text(),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AccountError::Secret(SecretError::Keyring(e.to_string())))?
        .map_err(AccountError::from)
}

/// Adds an account and keeps its key in `secrets`. Nothing is written when a field is
/// wrong, the name is taken, or the key cannot be kept.
pub async fn add(
    db: &Db,
    secrets: Arc<dyn SecretStore>,
    new: &NewAccount,
    key: Option<Redacted<String>>,
) -> Result<Account, AccountError> {
    let account = checked(new)?;
    if key.as_ref().is_some_and(|k| k.expose().trim().is_empty()) {
        return Err(bad("key", "the key read from stdin is empty"));
    }
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO supplier_accounts (name, kind, url, auth_url, account, account_currency,
             enabled, created_at, updated_at, added)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7,
             (SELECT coalesce(max(added), 0) + 1 FROM supplier_accounts))
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(&account.name)
    .bind(account.kind.as_str())
    .bind(&account.url)
    .bind(&account.auth_url)
    .bind(&account.account)
    .bind(&account.account_currency)
    .bind(&account.created_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AccountError::Exists(account.name));
    }
    if let Some(key) = key {
        // The key first: an account whose key was not kept is not added.
        let name = key_name(&account.name);
        let store = secrets.clone();
        blocking(move || store.set(&name, key.expose().trim())).await?;
    }
    tx.commit().await?;
    Ok(account)
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    crate::db::Flag,
    String,
);

const COLUMNS: &str = "name, kind, url, auth_url, account, account_currency, enabled, created_at";

fn from_row(r: Row) -> Result<Account, AccountError> {
    Ok(Account {
        kind: r.1.parse().map_err(|_| {
            AccountError::Db(DbError::Corrupt {
                what: "supplier_accounts",
                detail: format!("kind {:?}", r.1),
            })
        })?,
        name: r.0,
        url: r.2,
        auth_url: r.3,
        account: r.4,
        account_currency: r.5,
        enabled: r.6.0,
        created_at: r.7,
    })
}

/// Every account, oldest first (the first enabled one is the shop's main supplier).
pub async fn list(db: &Db) -> Result<Vec<Account>, AccountError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM supplier_accounts ORDER BY added"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(from_row).collect()
}

pub async fn get(db: &Db, name: &str) -> Result<Account, AccountError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM supplier_accounts WHERE name = $1"
    ))
    .bind(name.trim())
    .fetch_optional(db.pool())
    .await?;
    row.map(from_row)
        .transpose()?
        .ok_or_else(|| AccountError::NotFound(name.trim().to_string()))
}

/// Takes an account into routing, or out of it.
pub async fn set_enabled(db: &Db, name: &str, enabled: bool) -> Result<Account, AccountError> {
    let changed =
        sqlx::query("UPDATE supplier_accounts SET enabled = $2, updated_at = $3 WHERE name = $1")
            .bind(name.trim())
            .bind(i64::from(enabled))
            .bind(now_text())
            .execute(db.pool())
            .await?
            .rows_affected();
    if changed == 0 {
        return Err(AccountError::NotFound(name.trim().to_string()));
    }
    get(db, name).await
}

/// Removes an account and its key. Orders bought from it keep their history.
pub async fn remove(
    db: &Db,
    secrets: Arc<dyn SecretStore>,
    name: &str,
) -> Result<Account, AccountError> {
    let account = get(db, name).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM supplier_accounts WHERE name = $1")
        .bind(&account.name)
        .execute(&mut *tx)
        .await?;
    let key = key_name(&account.name);
    match blocking(move || secrets.delete(&key)).await {
        // No keyring on this machine: no key can have been kept in it.
        Ok(()) | Err(AccountError::Secret(SecretError::Unavailable(_))) => {}
        Err(e) => return Err(e),
    }
    tx.commit().await?;
    Ok(account)
}

/// The account's key, from the secret store.
pub async fn key(
    secrets: Arc<dyn SecretStore>,
    name: &str,
) -> Result<Option<Redacted<String>>, AccountError> {
    let key = key_name(name);
    blocking(move || secrets.get(&key)).await
}

#[cfg(test)]
mod tests;
