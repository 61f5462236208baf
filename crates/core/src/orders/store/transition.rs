//! Moving an order along the state machine ([`crate::orders::state`]): each move is
//! one transaction that checks the state it leaves (and, while fulfilling, that this
//! process holds the lease) and records the event.

use sqlx::AnyConnection;

use super::list::get;
use super::row::corrupt;
use crate::db::{Db, DbError, now_text};
use crate::orders::OrderError;
use crate::orders::state::OrderStatus;

/// Adds a move to the order's history.
async fn event(
    conn: &mut AnyConnection,
    id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    detail: Option<&str>,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO order_events (order_id, at, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(now)
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves `id` from one of `from` to `to` inside `tx`; false when the order was not in
/// one of those states (or, with `owner`, its lease belongs to someone else).
pub(super) async fn transition(
    tx: &mut AnyConnection,
    id: i64,
    to: OrderStatus,
    owner: Option<&str>,
    detail: Option<&str>,
    now: &str,
) -> Result<Option<OrderStatus>, DbError> {
    let from: Option<String> = sqlx::query_scalar(
        "SELECT status FROM orders WHERE id = $1 AND ($2 IS NULL OR lease_owner = $2)",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(from) = from else { return Ok(None) };
    let from: OrderStatus = from.parse().map_err(corrupt)?;
    if !from.can_become(to) {
        return Ok(None);
    }
    sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if from != to {
        event(tx, id, Some(from), to, detail, now).await?;
    }
    Ok(Some(from))
}

/// The error for an action the order's state does not allow, as the order stands
/// in `tx`.
pub(super) async fn wrong_state(
    tx: &mut AnyConnection,
    id: i64,
    action: &'static str,
) -> OrderError {
    match get(tx, id).await {
        Ok(o) => OrderError::WrongState {
            order: o.public_id,
            status: o.status,
            action,
        },
        Err(e) => e,
    }
}

/// Cancels a quote that was never paid.
pub async fn cancel(db: &Db, id: i64) -> Result<(), OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(&mut tx, id, OrderStatus::Cancelled, None, None, &now)
        .await?
        .is_none()
    {
        return Err(wrong_state(&mut tx, id, "cancel").await);
    }
    sqlx::query("UPDATE orders SET closed_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The supplier refused after payment: failed, then refund due (one transaction).
pub(crate) async fn refuse(
    db: &Db,
    id: i64,
    owner: &str,
    code: &str,
    message: &str,
) -> Result<bool, OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(
        &mut tx,
        id,
        OrderStatus::Failed,
        Some(owner),
        Some(code),
        &now,
    )
    .await?
    .is_none()
    {
        return Ok(false);
    }
    transition(
        &mut tx,
        id,
        OrderStatus::RefundDue,
        Some(owner),
        Some(message),
        &now,
    )
    .await?;
    sqlx::query(
        "UPDATE orders SET failure_code = $1, failure_message = $2, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $3",
    )
    .bind(code)
    .bind(message)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// What a failed-over order is bought with next.
pub(crate) struct FailOver<'a> {
    /// Why the last attempt ended (the supplier's final refusal).
    pub code: &'a str,
    pub message: &'a str,
    pub supplier: Option<&'a str>,
    pub supplier_sku: &'a str,
    pub key: &'a str,
    pub max_unit_price: &'a crate::money::Money,
    pub fx_rate: rust_decimal::Decimal,
}

/// The order's supplier refused it for good: the attempt is kept in
/// `order_attempts` and the order, back to `paid`, is set to be sent to the next
/// supplier under a new key, in one transaction. False when this process no longer
/// holds the order or it is not open.
pub(crate) async fn fail_over(
    db: &Db,
    id: i64,
    owner: &str,
    next: &FailOver<'_>,
) -> Result<bool, OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    let detail = format!(
        "fail over to {} after {}: {}",
        crate::supplier::routing::display_name(next.supplier),
        next.code,
        next.message
    );
    if transition(
        &mut tx,
        id,
        OrderStatus::Paid,
        Some(owner),
        Some(&detail),
        &now,
    )
    .await?
    .is_none()
    {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO order_attempts (order_id, seq, supplier, supplier_sku, client_order_id,
             max_unit_minor, wholesale_currency, failure_code, failure_message, ended_at)
         SELECT id, attempt, supplier, coalesce(supplier_sku, sku),
                coalesce(attempt_key, client_order_id), max_unit_minor, wholesale_currency,
                $1, $2, $3
         FROM orders WHERE id = $4",
    )
    .bind(next.code)
    .bind(next.message)
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    sqlx::query(
        "UPDATE orders SET attempt = attempt + 1, supplier = $1, supplier_sku = $2,
             attempt_key = $3, max_unit_minor = $4, wholesale_currency = $5, fx_rate = $6,
             supplier_order_id = NULL, supplier_status = NULL
         WHERE id = $7",
    )
    .bind(next.supplier)
    .bind(next.supplier_sku)
    .bind(next.key)
    .bind(super::row::minor(next.max_unit_price)?)
    .bind(next.max_unit_price.currency.code())
    .bind(next.fx_rate.normalize().to_string())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}

/// Moves a leased order to `ordering` for a send to the supplier, counting the
/// attempt. False when this process no longer holds the order, or the state machine
/// does not allow a send from where it is.
pub(crate) async fn mark_sending(db: &Db, id: i64, owner: &str) -> Result<bool, OrderError> {
    leased_move(
        db,
        id,
        owner,
        OrderStatus::Ordering,
        Some("send"),
        Record::Attempt,
    )
    .await
}

/// Moves a leased order back to `paid` after a send that certainly reached no
/// supplier order (`why`). False as for [`mark_sending`].
pub(crate) async fn mark_unsent(
    db: &Db,
    id: i64,
    owner: &str,
    why: &str,
) -> Result<bool, OrderError> {
    leased_move(db, id, owner, OrderStatus::Paid, Some(why), Record::Nothing).await
}

/// Keeps a leased order `ordering` while the supplier processes its order
/// `supplier_order_id` (pending there). False as for [`mark_sending`].
pub(crate) async fn mark_pending(
    db: &Db,
    id: i64,
    owner: &str,
    supplier_order_id: &str,
) -> Result<bool, OrderError> {
    leased_move(
        db,
        id,
        owner,
        OrderStatus::Ordering,
        None,
        Record::Pending { supplier_order_id },
    )
    .await
}

/// Moves a leased order to `unknown`: a send whose outcome is not known (`why`), to be
/// looked up at the supplier before anything is sent again. False as for
/// [`mark_sending`].
pub(crate) async fn mark_unknown(
    db: &Db,
    id: i64,
    owner: &str,
    why: &str,
) -> Result<bool, OrderError> {
    leased_move(
        db,
        id,
        owner,
        OrderStatus::Unknown,
        Some(why),
        Record::Nothing,
    )
    .await
}

/// What a move of a leased order writes besides its status and its event.
enum Record<'a> {
    /// One more attempt at the supplier.
    Attempt,
    /// The supplier's order, still being processed there.
    Pending {
        supplier_order_id: &'a str,
    },
    Nothing,
}

/// Moves an open order (`paid`, `ordering`, `unknown`) to `to` while this process
/// holds its lease, and writes `record`, in one transaction.
async fn leased_move(
    db: &Db,
    id: i64,
    owner: &str,
    to: OrderStatus,
    detail: Option<&str>,
    record: Record<'_>,
) -> Result<bool, OrderError> {
    let now = now_text();
    let mut tx = db.begin_write().await?;
    if transition(&mut tx, id, to, Some(owner), detail, &now)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let update = match record {
        Record::Attempt => {
            Some(sqlx::query("UPDATE orders SET attempts = attempts + 1 WHERE id = $1").bind(id))
        }
        Record::Pending { supplier_order_id } => Some(
            sqlx::query(
                "UPDATE orders SET supplier_order_id = $1, supplier_status = 'pending' WHERE id = $2",
            )
            .bind(supplier_order_id)
            .bind(id),
        ),
        Record::Nothing => None,
    };
    if let Some(update) = update {
        update.execute(&mut *tx).await.map_err(DbError::from)?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(true)
}
