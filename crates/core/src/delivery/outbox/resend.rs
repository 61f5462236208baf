//! Queueing a delivered order's code again, on request and audited: the email
//! resent, the receipt printed after the sale, or reprinted (only for recent sales).

use std::time::Duration;

use sqlx::AnyConnection;

use super::queue::insert;
use super::{Outbox, older_than};
use crate::db::{Db, DbError, now_text};
use crate::delivery::DeliveryError;
use crate::orders::{self, OrderError, OrderStatus};
use crate::settings;

/// Reprints are allowed for this long after the sale unless the setting says otherwise.
const REPRINT_WINDOW_HOURS: i64 = 24;

impl Outbox {
    /// Queues the order's code for email again, to its address or `to`; audited.
    pub async fn resend(
        &self,
        reference: &str,
        to: Option<&str>,
        actor: &str,
    ) -> Result<i64, DeliveryError> {
        let order = delivered(&self.db, reference, "resend its code").await?;
        let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t.to_string(),
            None => order.email.clone().ok_or_else(|| {
                DeliveryError::BadInput(format!(
                    "{} has no email address: pass --email ADDR",
                    order.public_id
                ))
            })?,
        };
        to.parse::<lettre::Address>().map_err(|e| {
            DeliveryError::BadInput(format!("{to:?} is not an email address ({e})"))
        })?;
        let now = now_text();
        let mut tx = self.db.begin_write().await?;
        let language: String = sqlx::query_scalar("SELECT language FROM orders WHERE id = $1")
            .bind(order.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(DbError::from)?;
        let id = insert(
            &mut tx, "email", order.id, &to, "resend", None, &language, actor, &now,
        )
        .await?;
        audit(
            &mut tx,
            actor,
            "resend",
            order.id,
            &format!("email to {to} (outbox {id})"),
            &now,
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(id)
    }

    /// The print button after a sale: the receipt's first print when none was ever
    /// queued for the order (sold without a printer), else a reprint. Returns the
    /// outbox row and, for a reprint, n.
    pub async fn print_receipt(
        &self,
        reference: &str,
        actor: &str,
    ) -> Result<(i64, Option<i64>), DeliveryError> {
        let order = delivered(&self.db, reference, "print its receipt").await?;
        let printer = self.config.printer()?.to_string();
        let now = now_text();
        let mut tx = self.db.begin_write().await?;
        let (printed, language): (i64, String) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM outbox WHERE order_id = $1 AND kind = 'print'), language
             FROM orders WHERE id = $1",
        )
        .bind(order.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if printed > 0 {
            drop(tx);
            let (id, n) = self.reprint(reference, actor).await?;
            return Ok((id, Some(n)));
        }
        let id = insert(
            &mut tx, "print", order.id, &printer, "receipt", None, &language, actor, &now,
        )
        .await?;
        audit(
            &mut tx,
            actor,
            "print",
            order.id,
            &format!("receipt on {printer} (outbox {id})"),
            &now,
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok((id, None))
    }

    /// Queues the receipt again on this till's printer, marked REPRINT #n; only for
    /// recent sales; audited. Returns the outbox row and n.
    pub async fn reprint(&self, reference: &str, actor: &str) -> Result<(i64, i64), DeliveryError> {
        let order = delivered(&self.db, reference, "reprint its receipt").await?;
        let printer = self.config.printer()?.to_string();
        let hours = settings::get(self.db.pool(), settings::REPRINT_WINDOW_HOURS)
            .await?
            .and_then(|h| h.trim().parse::<i64>().ok())
            .unwrap_or(REPRINT_WINDOW_HOURS);
        let sold = order.delivered_at.as_deref().unwrap_or(&order.created_at);
        if older_than(sold, Duration::from_secs(hours.max(0) as u64 * 3600)) {
            return Err(DeliveryError::BadInput(format!(
                "{} was sold more than {hours} h ago: reprints are limited to recent sales (setting {}); `codetill order {} --reveal` shows the code (audited)",
                order.public_id,
                settings::REPRINT_WINDOW_HOURS,
                order.public_id
            )));
        }
        let now = now_text();
        let mut tx = self.db.begin_write().await?;
        let (n, language): (i64, String) = sqlx::query_as(
            "UPDATE orders SET reprints = reprints + 1, updated_at = $1 WHERE id = $2 RETURNING reprints, language",
        )
        .bind(&now)
        .bind(order.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)?;
        let id = insert(
            &mut tx,
            "print",
            order.id,
            &printer,
            "reprint",
            Some(n),
            &language,
            actor,
            &now,
        )
        .await?;
        audit(
            &mut tx,
            actor,
            "reprint",
            order.id,
            &format!("REPRINT #{n} on {printer} (outbox {id})"),
            &now,
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok((id, n))
    }
}

/// The order `reference`, which must be delivered for `action`.
async fn delivered(
    db: &Db,
    reference: &str,
    action: &'static str,
) -> Result<orders::Order, DeliveryError> {
    let order = orders::find(db, reference).await?;
    if order.status != OrderStatus::Delivered {
        return Err(OrderError::WrongState {
            order: order.public_id,
            status: order.status,
            action,
        }
        .into());
    }
    Ok(order)
}

/// Records who asked for what in the audit log, in the caller's transaction.
async fn audit(
    conn: &mut AnyConnection,
    actor: &str,
    action: &str,
    order_id: i64,
    detail: &str,
    now: &str,
) -> Result<(), DbError> {
    let entry = crate::staff::audit::Entry {
        actor,
        action,
        order_id: Some(order_id),
        detail: Some(detail),
        at: Some(now),
    };
    crate::staff::audit::record(conn, &entry).await?;
    Ok(())
}
