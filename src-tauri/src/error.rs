//! The one error the UI sees: `{ "code": "errors.database", "message": "…" }`.
//!
//! The code is stable and doubles as the UI's message-catalog key, so the UI reacts to
//! the code and shows a translated sentence; the message is the full English cause
//! chain, for logs and for the "details" line.

use std::error::Error as StdError;

use serde::Serialize;

/// What went wrong, as the UI can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorCode {
    /// The shop's database could not answer (locked, corrupt, disk full…).
    #[serde(rename = "errors.database")]
    Database,
    /// The request itself was wrong (empty sku, a query longer than a person types…).
    #[serde(rename = "errors.validation")]
    Validation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn validation(message: impl Into<String>) -> Self {
        AppError {
            code: ErrorCode::Validation,
            message: message.into(),
        }
    }

    /// An error from core, with its whole `source()` chain in one line, logged once
    /// here so every failed command leaves a trace.
    fn from_source(code: ErrorCode, err: &(dyn StdError + 'static)) -> Self {
        let message = chain(err);
        tracing::error!(?code, error = %message, "command failed");
        AppError { code, message }
    }
}

/// "outer: inner: innermost", skipping a source whose text its parent already shows
/// (thiserror's `#[error("…: {source}")]` and `transparent` both repeat it).
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

impl From<codetill_core::catalog::CatalogError> for AppError {
    fn from(e: codetill_core::catalog::CatalogError) -> Self {
        AppError::from_source(ErrorCode::Database, &e)
    }
}

impl From<codetill_core::db::DbError> for AppError {
    fn from(e: codetill_core::db::DbError) -> Self {
        AppError::from_source(ErrorCode::Database, &e)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use codetill_core::catalog::CatalogError;
    use codetill_core::db::DbError;

    #[test]
    fn validation_error_serialises_to_code_and_message() {
        let json = serde_json::to_string(&AppError::validation("sku is empty")).unwrap();
        assert_eq!(
            json,
            r#"{"code":"errors.validation","message":"sku is empty"}"#
        );
    }

    #[test]
    fn database_error_serialises_with_its_cause_chain_once() {
        let err: AppError = CatalogError::Db(DbError::Sql(sqlx::Error::PoolTimedOut)).into();
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "errors.database",
                "message": "database: pool timed out while waiting for an open connection",
            })
        );
    }
}
