//! Which key a database's codes are sealed with. The check value is written once,
//! the first time a key is used on the database; a database from before check
//! values is bound by the key that opens one of its sealed codes.

use crate::db::{Db, now_text};

use super::{KeySource, Vault, VaultError, check_value, code_context};

/// What the database says about its key.
#[derive(Debug, Clone, Default)]
pub(super) struct Bound {
    /// The check value recorded for this database, if any.
    pub check: Option<String>,
    /// With no check value yet: one sealed code and its context (codes sealed before
    /// check values were recorded).
    sample: Option<(Vec<u8>, String)>,
}

impl Bound {
    /// Nothing is sealed and no key recorded: any key may be bound.
    pub fn is_free(&self) -> bool {
        self.check.is_none() && self.sample.is_none()
    }

    /// Is `key` the key this database is bound to? (A free database takes any.)
    pub fn accepts(&self, key: &[u8; 32]) -> bool {
        match (&self.check, &self.sample) {
            (Some(check), _) => *check == check_value(key),
            (None, Some((sealed, context))) => {
                Vault::from_key(key).open_sealed(sealed, context).is_ok()
            }
            (None, None) => true,
        }
    }
}

pub(super) async fn read(db: &Db) -> Result<Bound, VaultError> {
    let check: Option<String> =
        sqlx::query_scalar("SELECT key_check FROM vault_binding WHERE id = 1")
            .fetch_optional(db.pool())
            .await
            .map_err(crate::db::DbError::from)?;
    if check.is_some() {
        return Ok(Bound {
            check,
            sample: None,
        });
    }
    let sample: Option<(i64, i64, Vec<u8>)> =
        sqlx::query_as("SELECT order_id, seq, code_ct FROM order_codes ORDER BY id LIMIT 1")
            .fetch_optional(db.pool())
            .await
            .map_err(crate::db::DbError::from)?;
    Ok(Bound {
        check: None,
        sample: sample.map(|(order, seq, sealed)| (sealed, code_context(order, seq, "code"))),
    })
}

/// Records `check` as the database's key, unless one was recorded meanwhile; a
/// different one recorded meanwhile is refused.
pub(super) async fn record(db: &Db, check: &str, source: &KeySource) -> Result<(), VaultError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO vault_binding (id, key_check, bound_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(check)
    .bind(now_text())
    .execute(&mut *tx)
    .await
    .map_err(crate::db::DbError::from)?;
    let stored: String = sqlx::query_scalar("SELECT key_check FROM vault_binding WHERE id = 1")
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::db::DbError::from)?;
    tx.commit().await.map_err(crate::db::DbError::from)?;
    if stored != check {
        return Err(VaultError::WrongKey {
            found: source.to_string(),
        });
    }
    tracing::info!(key = %source, "vault key bound to this database");
    Ok(())
}
