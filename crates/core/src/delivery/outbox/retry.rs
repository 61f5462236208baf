//! After an attempt: the row sent, tried again later with back-off (transient
//! failures), or given up and alerted (permanent ones, an email failing for about a
//! day, a receipt not printed in time); every attempt goes to the delivery log with
//! the other side's answer.

use std::time::Duration;

use super::render::Outcome;
use super::{AttemptResult, Outbox, OutboxItem, OutboxStatus};
use crate::alerts::{self, AlertKind, NewAlert};
use crate::db::{DbError, time_text};
use crate::delivery::DeliveryError;

/// The first wait after a transient failure; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_START: Duration = Duration::from_secs(30);
const BACKOFF_MAX: Duration = Duration::from_secs(3600);
/// An email still failing after this many attempts (about a day) is given up.
const MAX_EMAIL_ATTEMPTS: u32 = 30;

/// What `finish` did: the row's status, the detail, when it is tried next, and the
/// delivery log's outcome and Message-ID (none when nothing was attempted).
type Recorded = (
    OutboxStatus,
    String,
    Option<String>,
    Option<(&'static str, Option<String>)>,
);

impl Outbox {
    /// Records the attempt, moves the row on, raises an alert when it is given up.
    pub(super) async fn finish(
        &self,
        item: &OutboxItem,
        outcome: Outcome,
        took: Duration,
    ) -> Result<AttemptResult, DeliveryError> {
        let now = chrono::Utc::now();
        let now_s = time_text(now);
        let attempt = item.attempts + 1;
        let mut tx = self.db.begin_write().await?;
        let (status, detail, next, log): Recorded = match outcome {
            Outcome::Sent { reply, message_id } => {
                sqlx::query(
                        "UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, last_error = NULL,
                             claimed_by = NULL, claimed_until = NULL, updated_at = $2 WHERE id = $3",
                    )
                    .bind(attempt)
                    .bind(&now_s)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(DbError::from)?;
                (OutboxStatus::Sent, reply, None, Some(("sent", message_id)))
            }
            Outcome::Retry(error)
                if item.kind == "print" || attempt < i64::from(MAX_EMAIL_ATTEMPTS) =>
            {
                let wait = backoff(attempt);
                let next = time_text(now + chrono::Duration::from_std(wait).unwrap_or_default());
                sqlx::query(
                        "UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3,
                             claimed_by = NULL, claimed_until = NULL, updated_at = $4 WHERE id = $5",
                    )
                    .bind(attempt)
                    .bind(&next)
                    .bind(&error)
                    .bind(&now_s)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(DbError::from)?;
                (
                    OutboxStatus::Queued,
                    error,
                    Some(next),
                    Some(("retry", None)),
                )
            }
            Outcome::Retry(error) | Outcome::Failed(error) => {
                let error = if attempt >= i64::from(MAX_EMAIL_ATTEMPTS) && item.kind == "email" {
                    format!("gave up after {attempt} attempts: {error}")
                } else {
                    error
                };
                sqlx::query(
                        "UPDATE outbox SET status = 'failed', attempts = $1, last_error = $2,
                             claimed_by = NULL, claimed_until = NULL, updated_at = $3 WHERE id = $4",
                    )
                    .bind(attempt)
                    .bind(&error)
                    .bind(&now_s)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(DbError::from)?;
                let what = if item.kind == "email" {
                    format!(
                        "Email to {} for {} failed: {error}",
                        item.destination, item.order_id
                    )
                } else {
                    format!("Receipt for {} was not printed: {error}", item.order_id)
                };
                let alert = NewAlert {
                    kind: match item.kind.as_str() {
                        "email" => AlertKind::EmailFailed,
                        _ => AlertKind::PrintFailed,
                    },
                    message: what.clone(),
                    facts: serde_json::json!({
                        "order": item.order_id, "destination": item.destination, "error": error,
                    }),
                    order_ref: Some(item.order_id.clone()),
                };
                alerts::raise_in(&mut tx, &alert, Some(item.order_row)).await?;
                tracing::warn!(outbox = item.id, order = %item.order_id, kind = %item.kind, "{what}");
                (OutboxStatus::Failed, error, None, Some(("failed", None)))
            }
            Outcome::Waiting(reason) => {
                let next =
                    time_text(now + chrono::Duration::from_std(BACKOFF_START).unwrap_or_default());
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $1, last_error = $2, claimed_by = NULL,
                             claimed_until = NULL, updated_at = $3 WHERE id = $4",
                )
                .bind(&next)
                .bind(&reason)
                .bind(&now_s)
                .bind(item.id)
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?;
                (OutboxStatus::Queued, reason, Some(next), None)
            }
        };
        if let Some((what, message_id)) = log {
            sqlx::query(
                "INSERT INTO delivery_log (outbox_id, order_id, kind, destination, attempt, at, outcome,
                     reply, message_id, duration_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(item.id)
            .bind(item.order_row)
            .bind(&item.kind)
            .bind(&item.destination)
            .bind(attempt)
            .bind(&now_s)
            .bind(what)
            .bind(&detail)
            .bind(message_id)
            .bind(i64::try_from(took.as_millis()).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?;
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(AttemptResult {
            id: item.id,
            kind: item.kind.clone(),
            order_id: item.order_id.clone(),
            destination: item.destination.clone(),
            status,
            detail,
            next_attempt_at: next,
        })
    }
}

fn backoff(attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    BACKOFF_START
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(5), Duration::from_secs(480));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }
}
