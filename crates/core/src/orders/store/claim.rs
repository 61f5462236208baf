//! Claims in the database: a paid sale taken while the supplier was down, its slip
//! queued, and a claim past the owner's limit moved to refund due. See
//! [`crate::orders::claim`].

use std::sync::LazyLock;

use super::insert::{
    NEW_ID, NewOrder, ORDER_INSERT, PAYMENT_INSERT, bind_order, new_id, with_invoice_and_buyer,
    with_tax,
};
use crate::db::{Batch, Db, DbError, now_text};
use crate::orders::OrderError;
use crate::orders::model::Payment;
use crate::orders::state::{OrderStatus, sql_list};

/// Gives the open order `$1` (its row id) its claim number and queues its slip, by
/// email and on the printer the sale named, once: a second call changes nothing.
/// `$2` is now. The number follows the order's: ORD-000123 → CLM-000123.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    let open = OrderStatus::ALL.into_iter().filter(OrderStatus::is_open);
    format!(
        "UPDATE orders SET claim_no = 'CLM-' || substr(public_id, 5), claimed_at = $2, updated_at = $2
          WHERE id = $1 AND claim_no IS NULL AND status IN ({});
         INSERT INTO outbox (kind, order_id, destination, payload, reprint_no, language,
             status, attempts, next_attempt_at, requested_by, created_at, updated_at)
         SELECT kind, id, destination, 'claim', NULL, language, 'queued', 0, $2, staff, $2, $2
           FROM (SELECT 1 AS n, 'email' AS kind, id, trim(email) AS destination, language, staff
                   FROM orders WHERE id = $1
                 UNION ALL
                 SELECT 2, 'print', id, trim(print_to), language, staff FROM orders WHERE id = $1) AS m
          WHERE destination IS NOT NULL AND destination <> '' AND changes() = 1
          ORDER BY n",
        sql_list(open)
    )
});

/// A counter sale paid on the spot and taken as a claim, in one transaction: the
/// order in `paid` (never sent: recovery sends it when the supplier answers), its
/// payment, its claim number and its slip queued, its invoice and buyer.
pub async fn insert_paid_claim(
    db: &Db,
    new: &NewOrder,
    payment: &Payment,
) -> Result<i64, OrderError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{ORDER_INSERT};
         INSERT INTO order_events (order_id, at, from_status, to_status, detail)
         VALUES ({NEW_ID}, $2, NULL, {quoted}, NULL), ({NEW_ID}, $2, {quoted}, {paid}, $3);
         {PAYMENT_INSERT};
         SELECT {NEW_ID}",
            quoted = sql_list([OrderStatus::Quoted]),
            paid = sql_list([OrderStatus::Paid]),
        )
    });
    let now = now_text();
    let mut batch = with_tax(
        bind_order(
            Batch::new(SQL.as_str()),
            new,
            now.clone(),
            Some(payment),
            None,
        )?,
        new,
    )?;
    // CLAIM_SQL's $1 is the row id, not known before this batch runs: the order is
    // found by its client_order_id (this batch's $1) instead.
    batch = batch.then(
        Batch::new(CLAIM_SQL.replace("$1", "(SELECT id FROM orders WHERE client_order_id = $1)"))
            .bind(new.client_order_id.clone())
            .bind(now),
    );
    new_id(db, with_invoice_and_buyer(batch, new)).await
}

/// Makes the open order `id` a claim (a sale whose drive ended with the supplier
/// unreachable): its number and its slip, once. Answers its claim number; `None`
/// when it is no longer open and was never a claim.
pub async fn mark_claim(db: &Db, id: i64) -> Result<Option<String>, OrderError> {
    let rows = db
        .write_batch(
            Batch::new(format!(
                "{};\nSELECT claim_no FROM orders WHERE id = $1",
                CLAIM_SQL.as_str()
            ))
            .bind(id)
            .bind(now_text()),
        )
        .await?;
    Ok(match rows.last().and_then(|r| r.get(0)) {
        Some(crate::db::Value::Text(no)) => Some(no.clone()),
        _ => None,
    })
}

/// Why an expired claim is refund due, for the buyer's receipt and the order log.
pub const CLAIM_EXPIRED: &str =
    "the supplier did not come back within the shop's claim limit: refund the buyer";

/// Is order `id` a claim taken before `before` (past the owner's limit)?
pub async fn claim_taken_before(db: &Db, id: i64, before: &str) -> Result<bool, OrderError> {
    let past: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE id = $1 AND claim_no IS NOT NULL AND claimed_at < $2",
    )
    .bind(id)
    .bind(before)
    .fetch_optional(db.pool())
    .await
    .map_err(DbError::from)?;
    Ok(past.is_some())
}

/// Claims still unsent (`paid`, held by no live till) that were taken before
/// `before`: each becomes refund due, in its own transaction. Answers their ids.
pub async fn expire_claims(db: &Db, before: &str) -> Result<Vec<i64>, OrderError> {
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM orders
          WHERE claim_no IS NOT NULL AND status = $1 AND claimed_at < $2
          ORDER BY id",
    )
    .bind(OrderStatus::Paid.as_str())
    .bind(before)
    .fetch_all(db.pool())
    .await
    .map_err(DbError::from)?;
    let mut expired = Vec::new();
    for id in due {
        let now = now_text();
        let moved = db
            .write_batch(
                Batch::new(format!(
                    "INSERT INTO order_events (order_id, at, from_status, to_status, detail)
                     SELECT id, $2, status, {failed}, 'claim_expired' FROM orders
                      WHERE id = $1 AND status = {paid}
                        AND (lease_owner IS NULL OR lease_expires_at < $2);
                     UPDATE orders SET status = {refund_due}, updated_at = $2,
                         failure_code = 'claim_expired', failure_message = $3,
                         lease_owner = NULL, lease_expires_at = NULL
                      WHERE id = $1 AND status = {paid} AND changes() = 1;
                     INSERT INTO order_events (order_id, at, from_status, to_status, detail)
                     SELECT $1, $2, {failed}, {refund_due}, $3 WHERE changes() = 1;
                     SELECT changes()",
                    failed = sql_list([OrderStatus::Failed]),
                    paid = sql_list([OrderStatus::Paid]),
                    refund_due = sql_list([OrderStatus::RefundDue]),
                ))
                .bind(id)
                .bind(now)
                .bind(CLAIM_EXPIRED),
            )
            .await?;
        let changed = matches!(
            moved.last().and_then(|r| r.get(0)),
            Some(crate::db::Value::Int(1))
        );
        if changed {
            expired.push(id);
        }
    }
    Ok(expired)
}
