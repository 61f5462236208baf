//! Shop settings kept in the database (never secrets: those live in a SecretStore).
//! The owner's settings form, which checks each field with the part that reads it,
//! is the till's ([`crate::till::settings`]).

use crate::db::{Db, DbError, now_text};

pub const SUPPLIER_URL: &str = "supplier.url";
pub const SUPPLIER_CONNECT_TIMEOUT_MS: &str = "supplier.connect_timeout_ms";
pub const SUPPLIER_REQUEST_TIMEOUT_MS: &str = "supplier.request_timeout_ms";
pub const SHOP_NAME: &str = "shop.name";
pub const SHOP_ADDRESS: &str = "shop.address";
/// The currency the shop sells in (ISO 4217); unset, each product sells in its
/// supplier's currency.
pub const SHOP_CURRENCY: &str = "shop.currency";
/// This till's name on orders and receipts (`CODETILL_TILL_ID` overrides it).
pub const TILL_ID: &str = "till.id";
/// The shop's language for the app and receipts: `en` or `hi`.
pub const LANGUAGE: &str = "shop.language";
/// Below this supplier balance (a decimal in the balance's currency) a balance-low
/// alert is raised; without it, below two days of spend.
pub const BALANCE_THRESHOLD: &str = "alerts.balance_threshold";
/// The receipt printer: `tcp://host:9100`, `file:/dev/usb/lp0` or `pdf:/folder`.
pub const PRINTER: &str = "printer.url";
/// Outgoing mail: `smtps://user@host:465?from=…` (the password is in the keyring).
pub const SMTP_URL: &str = "smtp.url";
/// A font file with Devanagari, for Hindi on thermal receipts.
pub const RECEIPT_FONT: &str = "receipt.font";
/// How long after a sale its receipt may be printed again, in hours.
pub const REPRINT_WINDOW_HOURS: &str = "receipt.reprint_window_hours";
/// The last day (`YYYY-MM-DD`, UTC) whose daily reconciliation ran.
pub const RECONCILE_DAY: &str = "reconcile.last_day";
/// The folder the app's daily backup goes to (the owner's choice); unset, none is made.
pub const BACKUP_FOLDER: &str = "backup.folder";

pub async fn get<'e>(
    db: impl sqlx::any::AnyExecutor<'e>,
    key: &str,
) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(db)
            .await?,
    )
}

/// The settings that belong to a till, not to the shop: on a database several
/// tills share, each keeps its own ([`key`]).
pub const PER_TILL: [&str; 3] = [TILL_ID, PRINTER, DRAWER_ENABLED];

/// Whether the cash drawer is wired to this till's printer (`1`).
pub const DRAWER_ENABLED: &str = "drawer.enabled";

/// The row `key` is stored under for `db`'s till: a per-till setting on a shared
/// database carries the till's scope (`till.id@3f2a…`); every other key is itself.
pub fn key<'a>(db: &Db, key: &'a str) -> std::borrow::Cow<'a, str> {
    match db.till_scope() {
        Some(scope) if PER_TILL.contains(&key) => format!("{key}@{scope}").into(),
        _ => key.into(),
    }
}

/// A stored setting, trimmed; a blank one is unset (the settings screen clears a
/// setting by saving it empty).
pub async fn value(db: &Db, key: &str) -> Result<Option<String>, DbError> {
    Ok(get(db.pool(), &self::key(db, key))
        .await?
        .and_then(non_blank))
}

/// The environment variable `name`, trimmed, when it is set and not blank: it wins
/// over the setting it stands for.
pub fn env_override(name: &str) -> Option<String> {
    std::env::var(name).ok().and_then(non_blank)
}

/// A setting as this till uses it: the environment variable `env` when set, else the
/// stored `key` (both as [`env_override`] and [`value`] read them).
pub async fn env_or_setting(db: &Db, env: &str, key: &str) -> Result<Option<String>, DbError> {
    match env_override(env) {
        Some(v) => Ok(Some(v)),
        None => value(db, key).await,
    }
}

fn non_blank(text: String) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

pub async fn set<'e>(
    db: impl sqlx::any::AnyExecutor<'e>,
    key: &str,
    value: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now_text())
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_blank_setting_is_unset_and_values_are_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("s.db")).await.unwrap();
        // A variable nobody sets.
        let env = "CODETILL_TEST_SETTINGS_OVERRIDE";
        set(db.pool(), PRINTER, "  ").await.unwrap();
        assert_eq!(value(&db, PRINTER).await.unwrap(), None, "cleared");
        assert_eq!(env_or_setting(&db, env, PRINTER).await.unwrap(), None);
        set(db.pool(), PRINTER, " pdf:/tmp/r ").await.unwrap();
        assert_eq!(
            env_or_setting(&db, env, PRINTER).await.unwrap().as_deref(),
            Some("pdf:/tmp/r")
        );
        // (The variable itself cannot be set here: the workspace denies the unsafe
        // `set_var` takes. The app's settings and e2e tests set such variables.)
        assert_eq!(env_override(env), None);
    }

    #[tokio::test]
    async fn a_tills_own_settings_are_kept_under_its_scope_and_the_shops_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Db::open(&dir.path().join("s.db")).await.unwrap();
        let a = shared.clone().for_till("a");
        let b = shared.clone().for_till("b");
        for (db, name) in [(&a, "front"), (&b, "back")] {
            set(db.pool(), &key(db, TILL_ID), name).await.unwrap();
            set(db.pool(), &key(db, SHOP_NAME), "Corner").await.unwrap();
        }
        assert_eq!(value(&a, TILL_ID).await.unwrap().as_deref(), Some("front"));
        assert_eq!(value(&b, TILL_ID).await.unwrap().as_deref(), Some("back"));
        assert_eq!(
            get(shared.pool(), "till.id@a").await.unwrap().as_deref(),
            Some("front")
        );
        // Unscoped (a till on its own file) reads the plain key, which nobody wrote.
        assert_eq!(value(&shared, TILL_ID).await.unwrap(), None);
        assert_eq!(
            value(&shared, SHOP_NAME).await.unwrap().as_deref(),
            Some("Corner")
        );
        for k in PER_TILL {
            assert_eq!(key(&a, k), format!("{k}@a"));
        }
        assert_eq!(key(&a, SHOP_NAME), SHOP_NAME);
    }
}
