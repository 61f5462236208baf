//! Recording that a refund due was given back (in the shift open at the till that
//! gave it, `crate::shifts`: the money left that till's drawer).

use super::list::find;
use super::row::minor;
use super::transition::{transition, wrong_state};
use crate::db::{Db, DbError, now_text};
use crate::orders::OrderError;
use crate::orders::model::Order;
use crate::orders::state::OrderStatus;

/// Records that the refund of a `refund_due` order was given back at `till_id`.
pub async fn record_refund(
    db: &Db,
    reference: &str,
    method: &str,
    refund_reference: Option<&str>,
    staff: &str,
    till_id: Option<&str>,
) -> Result<Order, OrderError> {
    let order = find(db, reference).await?;
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(
        &mut tx,
        order.id,
        OrderStatus::Refunded,
        None,
        Some(method),
        &now,
    )
    .await?
    .is_none()
    {
        return Err(wrong_state(&mut tx, order.id, "record a refund").await);
    }
    let amount = order
        .payment
        .as_ref()
        .map(|p| p.amount)
        .unwrap_or(order.price);
    sqlx::query(
        "INSERT INTO refunds (order_id, amount_minor, currency, method, reference, staff, at, shift_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT id FROM shifts
             WHERE closed_at IS NULL AND coalesce(till_id, '') = coalesce($8, '')))",
    )
    .bind(order.id)
    .bind(minor(&amount)?)
    .bind(amount.currency.code())
    .bind(method)
    .bind(refund_reference)
    .bind(staff)
    .bind(&now)
    .bind(till_id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    sqlx::query("UPDATE orders SET closed_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(order.id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    crate::staff::audit::record(
        &mut tx,
        &crate::staff::audit::Entry {
            actor: staff,
            action: "refund",
            order_id: Some(order.id),
            detail: Some(&format!("{amount} by {method}")),
            at: Some(&now),
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    find(db, &order.public_id).await
}
