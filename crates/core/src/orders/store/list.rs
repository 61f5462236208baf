//! Finding orders: one by its number, a filtered list, those still open.

use std::sync::LazyLock;

use sqlx::AnyConnection;

use super::row::{OrderRow, SELECT};
use crate::db::{Db, DbError};
use crate::orders::OrderError;
use crate::orders::model::Order;
use crate::orders::state::{OrderStatus, sql_list};

/// An order by its number (`ORD-000123`, its claim slip's `CLM-000123`, or the bare
/// row id).
pub async fn find(db: &Db, reference: &str) -> Result<Order, OrderError> {
    let reference = reference.trim();
    let row: Option<OrderRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE o.public_id = upper($1) OR o.client_order_id = $1 OR o.id = $2
            OR o.claim_no = upper($1)"
    ))
    .bind(reference)
    .bind(reference.parse::<i64>().unwrap_or(-1))
    .fetch_optional(db.pool())
    .await
    .map_err(DbError::from)?;
    match row {
        Some(r) => Ok(r.try_into()?),
        None => Err(OrderError::NotFound(reference.to_string())),
    }
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Order, OrderError> {
    let row: Option<OrderRow> = sqlx::query_as(&format!("{SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(DbError::from)?;
    match row {
        Some(r) => Ok(r.try_into()?),
        None => Err(OrderError::NotFound(id.to_string())),
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// RFC 3339 or a date (YYYY-MM-DD): orders created at or after it.
    pub since: Option<String>,
    pub sku: Option<String>,
    /// A buyer's phone or email: their orders (by the buyer attached, or the
    /// address the code was sent to).
    pub buyer: Option<String>,
    pub limit: Option<u32>,
}

pub async fn list(db: &Db, filter: &OrderFilter) -> Result<Vec<Order>, OrderError> {
    let buyer = filter
        .buyer
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty());
    let phone = buyer.and_then(|b| crate::buyers::parse_phone(b).ok());
    let rows: Vec<OrderRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 IS NULL OR o.status = $1) AND ($2 IS NULL OR o.created_at >= $2)
           AND ($3 IS NULL OR o.sku = $3)
           AND ($5 IS NULL OR o.email = $5 COLLATE NOCASE OR o.buyer_id IN (SELECT id FROM buyers
                WHERE phone = $6 OR email = $5 COLLATE NOCASE))
         ORDER BY o.id DESC LIMIT $4"
    ))
    .bind(filter.status.map(|s| s.as_str()))
    .bind(filter.since.as_deref())
    .bind(filter.sku.as_deref())
    .bind(i64::from(filter.limit.unwrap_or(500).clamp(1, 10_000)))
    .bind(buyer)
    .bind(phone)
    .fetch_all(db.pool())
    .await
    .map_err(DbError::from)?;
    rows.into_iter()
        .map(|r| Order::try_from(r).map_err(OrderError::from))
        .collect()
}

/// Orders that are paid but not finished, oldest first.
pub async fn open_order_ids(db: &Db) -> Result<Vec<i64>, OrderError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let open = OrderStatus::ALL.into_iter().filter(OrderStatus::is_open);
        format!(
            "SELECT id FROM orders WHERE status IN ({}) ORDER BY id",
            sql_list(open)
        )
    });
    Ok(sqlx::query_scalar(SQL.as_str())
        .fetch_all(db.pool())
        .await
        .map_err(DbError::from)?)
}

/// Quotes never paid: counter quotes opened before `counter_before`, remote ones
/// (paid from a link, later) before `remote_before`.
pub(crate) async fn stale_quote_ids(
    db: &Db,
    counter_before: &str,
    remote_before: &str,
) -> Result<Vec<i64>, OrderError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT id FROM orders WHERE status = {}
               AND ((channel = 'counter' AND created_at < $1) OR (channel = 'remote' AND created_at < $2))",
            sql_list([OrderStatus::Quoted])
        )
    });
    Ok(sqlx::query_scalar(SQL.as_str())
        .bind(counter_before)
        .bind(remote_before)
        .fetch_all(db.pool())
        .await
        .map_err(DbError::from)?)
}
