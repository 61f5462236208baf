//! Reading a delivered order's codes back out of the vault: for the sale's own
//! delivery, and the audited reveal. Each code is sealed under a context naming its
//! order and place, so a sealed code copied to another row does not open.

use super::list::find;
use crate::db::{Db, DbError};
use crate::orders::OrderError;
use crate::orders::model::{Order, RevealedCode};
use crate::vault::Vault;

/// The codes of a delivered order, decrypted; writes an audit row (who, when, why).
pub async fn reveal(
    db: &Db,
    vault: &Vault,
    reference: &str,
    actor: &str,
    reason: Option<&str>,
) -> Result<(Order, Vec<RevealedCode>), OrderError> {
    let order = find(db, reference).await?;
    let codes = read_codes(db, vault, order.id).await?;
    let mut tx = db.begin_write().await?;
    crate::staff::audit::record(
        &mut tx,
        &crate::staff::audit::Entry {
            actor,
            action: "reveal",
            order_id: Some(order.id),
            detail: reason,
            at: None,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok((order, codes))
}

/// (seq, sealed code, sealed pin, serial, expires_at)
type CodeRow = (
    i64,
    Vec<u8>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
);

/// Decrypts the codes of an order (no audit: for the delivery of the sale itself).
pub(crate) async fn read_codes(
    db: &Db,
    vault: &Vault,
    id: i64,
) -> Result<Vec<RevealedCode>, OrderError> {
    let rows: Vec<CodeRow> = sqlx::query_as(
        "SELECT seq, code_ct, pin_ct, serial, expires_at FROM order_codes WHERE order_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
    .map_err(DbError::from)?;
    rows.into_iter()
        .map(|(seq, code, pin, serial, expires_at)| {
            Ok(RevealedCode {
                code: vault.open_sealed(&code, &code_context(id, seq, "code"))?,
                pin: pin
                    .map(|p| vault.open_sealed(&p, &code_context(id, seq, "pin")))
                    .transpose()?,
                serial,
                expires_at,
            })
        })
        .collect()
}

/// The vault owns what a sealed code is bound to.
pub(super) use crate::vault::code_context;
