//! The outbox table: its rows as [`OutboxItem`]s, listing them, queueing one, and
//! the claim a till takes on a row before it sends it, so two tills never send the
//! same row at once (a claim left by a till that died lapses after [`CLAIM`]).

use std::time::Duration;

use serde::Serialize;
use sqlx::AnyConnection;

use super::{Due, Outbox};
use crate::db::{Db, DbError, time_text};
use crate::delivery::DeliveryError;

/// How long a claim on a row lasts: longer than any single attempt.
const CLAIM: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    Queued,
    Sent,
    Failed,
}

impl OutboxStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<OutboxStatus, DbError> {
        match s {
            "queued" => Ok(OutboxStatus::Queued),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            other => Err(DbError::Corrupt {
                what: "outbox",
                detail: format!("status {other:?}"),
            }),
        }
    }
}

impl std::str::FromStr for OutboxStatus {
    type Err = DeliveryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutboxStatus::parse(s.trim())
            .map_err(|_| DeliveryError::BadInput(format!("status {s:?}: queued, sent or failed")))
    }
}

/// One email or print job as the outbox holds it (never the code).
#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub order_id: String,
    #[serde(skip)]
    pub order_row: i64,
    pub destination: String,
    pub payload: String,
    pub reprint_no: Option<i64>,
    pub language: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    kind: String,
    public_id: String,
    order_id: i64,
    destination: String,
    payload: String,
    reprint_no: Option<i64>,
    language: String,
    status: String,
    attempts: i64,
    next_attempt_at: String,
    last_error: Option<String>,
    requested_by: String,
    created_at: String,
    sent_at: Option<String>,
}

impl TryFrom<ItemRow> for OutboxItem {
    type Error = DbError;
    fn try_from(r: ItemRow) -> Result<Self, DbError> {
        Ok(OutboxItem {
            id: r.id,
            kind: r.kind,
            order_id: r.public_id,
            order_row: r.order_id,
            destination: r.destination,
            payload: r.payload,
            reprint_no: r.reprint_no,
            language: r.language,
            status: OutboxStatus::parse(&r.status)?,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            requested_by: r.requested_by,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
    }
}

const SELECT: &str = "SELECT x.id, x.kind, o.public_id, x.order_id, x.destination, x.payload,
    x.reprint_no, x.language, x.status, x.attempts, x.next_attempt_at, x.last_error,
    x.requested_by, x.created_at, x.sent_at
    FROM outbox x JOIN orders o ON o.id = x.order_id";

#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub status: Option<OutboxStatus>,
    /// An order's row id.
    pub order: Option<i64>,
    pub limit: Option<u32>,
}

/// The outbox, newest first.
pub async fn list(db: &Db, filter: &OutboxFilter) -> Result<Vec<OutboxItem>, DbError> {
    let rows: Vec<ItemRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 IS NULL OR x.status = $1) AND ($2 IS NULL OR x.order_id = $2)
         ORDER BY x.id DESC LIMIT $3"
    ))
    .bind(filter.status.map(|s| s.as_str()))
    .bind(filter.order)
    .bind(i64::from(filter.limit.unwrap_or(200).clamp(1, 10_000)))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(OutboxItem::try_from).collect()
}

/// One outbox row by id.
pub async fn item(db: &Db, id: i64) -> Result<OutboxItem, DeliveryError> {
    let row: Option<ItemRow> = sqlx::query_as(&format!("{SELECT} WHERE x.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .map_err(DbError::from)?;
    match row {
        Some(r) => Ok(r.try_into()?),
        None => Err(DeliveryError::BadInput(format!("no outbox row {id}"))),
    }
}

/// Queues one row (a resend, a receipt printed after the sale, a reprint); the
/// delivered order's own rows are queued by the batch that delivers it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn insert(
    conn: &mut AnyConnection,
    kind: &str,
    order_id: i64,
    destination: &str,
    payload: &str,
    reprint_no: Option<i64>,
    language: &str,
    requested_by: &str,
    now: &str,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (kind, order_id, destination, payload, reprint_no, language, status,
             attempts, next_attempt_at, requested_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $7, $7) RETURNING id",
    )
    .bind(kind)
    .bind(order_id)
    .bind(destination)
    .bind(payload)
    .bind(reprint_no)
    .bind(language)
    .bind(now)
    .bind(requested_by)
    .fetch_one(&mut *conn)
    .await?)
}

/// The queued rows a run takes now, oldest first.
pub(super) async fn due_ids(db: &Db, due: Due, now: &str) -> Result<Vec<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM outbox WHERE status = 'queued' AND ($1 OR next_attempt_at <= $2)
           AND (claimed_until IS NULL OR claimed_until < $2)
         ORDER BY id LIMIT 500",
    )
    .bind(due == Due::All)
    .bind(now)
    .fetch_all(db.pool())
    .await?)
}

/// An order's queued rows, oldest first.
pub(super) async fn queued_for_order(db: &Db, order_id: i64) -> Result<Vec<i64>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM outbox WHERE order_id = $1 AND status = 'queued' ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(db.pool())
    .await?)
}

impl Outbox {
    /// Takes row `id` for this outbox; false when another till holds it or it is
    /// no longer queued.
    pub(super) async fn claim(&self, id: i64) -> Result<bool, DbError> {
        let now = chrono::Utc::now();
        let until = now + chrono::Duration::from_std(CLAIM).unwrap_or_default();
        let done = sqlx::query(
            "UPDATE outbox SET claimed_by = $1, claimed_until = $2, updated_at = $3
             WHERE id = $4 AND status = 'queued' AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(&self.owner)
        .bind(time_text(until))
        .bind(time_text(now))
        .bind(id)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
