//! Shop settings kept in the database (never secrets: those live in a SecretStore).

use sqlx::SqliteExecutor;

use crate::db::{DbError, now_text};

pub const SUPPLIER_URL: &str = "supplier.url";
pub const SUPPLIER_CONNECT_TIMEOUT_MS: &str = "supplier.connect_timeout_ms";
pub const SUPPLIER_REQUEST_TIMEOUT_MS: &str = "supplier.request_timeout_ms";
pub const SHOP_NAME: &str = "shop.name";
pub const SHOP_ADDRESS: &str = "shop.address";
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

pub async fn get<'e>(db: impl SqliteExecutor<'e>, key: &str) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?1")
            .bind(key)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn set<'e>(db: impl SqliteExecutor<'e>, key: &str, value: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now_text())
    .execute(db)
    .await?;
    Ok(())
}
