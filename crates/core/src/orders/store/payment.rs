//! Recording a payment: the order moves to `paid` and the paying till takes its lease;
//! the order belongs to the shift open at its till (`crate::shifts`).

use sqlx::AnyConnection;

use super::row::minor;
use super::transition::{transition, wrong_state};
use crate::db::{Db, DbError, now_text};
use crate::orders::OrderError;
use crate::orders::model::Payment;
use crate::orders::state::OrderStatus;

/// Records the counter payment and moves the order to `paid`, in one transaction.
/// The till that takes the payment holds the lease from that instant, so no other
/// till's recovery picks the order up before its own driver starts.
pub async fn record_payment(
    db: &Db,
    id: i64,
    payment: &Payment,
    lease: (&str, std::time::Duration),
) -> Result<(), OrderError> {
    let mut tx = db.begin_write().await?;
    record_payment_in(&mut tx, id, payment, lease).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// [`record_payment`] inside the caller's transaction (a remote payment is recorded
/// together with the relay event that reported it).
pub(crate) async fn record_payment_in(
    tx: &mut AnyConnection,
    id: i64,
    payment: &Payment,
    lease: (&str, std::time::Duration),
) -> Result<(), OrderError> {
    pay_in(tx, id, payment, lease, &now_text()).await
}

async fn pay_in(
    tx: &mut AnyConnection,
    id: i64,
    payment: &Payment,
    lease: (&str, std::time::Duration),
    now: &str,
) -> Result<(), OrderError> {
    // Only a quote is paid: an order sent elsewhere comes back to `paid` only by
    // failing over, never by a second payment.
    let quoted = sqlx::query_scalar::<_, crate::db::Flag>(
        "SELECT status = 'quoted' FROM orders WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(DbError::from)?
    .is_some_and(bool::from);
    let moved = if quoted {
        transition(tx, id, OrderStatus::Paid, None, Some(&payment.method), now).await?
    } else {
        None
    };
    if moved.is_none() {
        return Err(wrong_state(tx, id, "take payment").await);
    }
    insert_payment(tx, id, payment, now).await?;
    // A tax invoice, when the shop has a tax id: numbered in this same write.
    let key: String = sqlx::query_scalar("SELECT client_order_id FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?;
    crate::tax::invoice_in(tx, &key).await?;
    let until = crate::db::time_text(
        chrono::Utc::now() + chrono::Duration::from_std(lease.1).unwrap_or_default(),
    );
    sqlx::query(
        "UPDATE orders SET paid_at = $1, lease_owner = $2, lease_expires_at = $3,
             shift_id = (SELECT s.id FROM shifts s WHERE s.closed_at IS NULL
                 AND coalesce(s.till_id, '') = coalesce(orders.till_id, ''))
         WHERE id = $4",
    )
    .bind(now)
    .bind(lease.0)
    .bind(until)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    Ok(())
}

async fn insert_payment(
    tx: &mut AnyConnection,
    id: i64,
    payment: &Payment,
    now: &str,
) -> Result<(), OrderError> {
    sqlx::query(
        "INSERT INTO payments (order_id, method, amount_minor, currency, tendered_minor, change_minor, reference, staff, taken_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&payment.method)
    .bind(minor(&payment.amount)?)
    .bind(payment.amount.currency.code())
    .bind(payment.tendered.as_ref().map(minor).transpose()?)
    .bind(payment.change.as_ref().map(minor).transpose()?)
    .bind(&payment.reference)
    .bind(&payment.staff)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    Ok(())
}
