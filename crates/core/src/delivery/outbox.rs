//! The outbox: every email and print job, written in the transaction that delivers
//! the order (or that records a resend or reprint), then sent by whoever gets to it
//! first — `sell` right away, `codetill outbox send`, the app's worker.
//!
//! A row is *claimed* before it is sent, so two tills never send the same row at
//! once; a till that dies mid-send leaves a claim that lapses. Each attempt is logged
//! with the other side's answer. Transient failures (server down, printer off) wait
//! with back-off; permanent ones (a bad address, a 5xx) mark the row failed and raise
//! an alert. A receipt not printed within [`PRINT_EXPIRY`] is given up (and alerted):
//! a code must not come out of a printer when nobody is at the counter to take it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::SqliteConnection;

use super::email::{self, SendError};
use super::printer::{self, PrintError, PrinterSpec};
use super::receipt::Receipt;
use super::{DeliveryConfig, DeliveryError, Language, SmtpSetting, escpos, pdf};
use crate::db::{Db, DbError, now_text, time_text};
use crate::orders::{self, OrderError, OrderStatus};
use crate::settings;
use crate::vault::Vault;

/// How long a claim on a row lasts: longer than any single attempt.
const CLAIM: Duration = Duration::from_secs(120);
/// The first wait after a transient failure; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_START: Duration = Duration::from_secs(30);
const BACKOFF_MAX: Duration = Duration::from_secs(3600);
/// An email still failing after this many attempts (about a day) is given up.
const MAX_EMAIL_ATTEMPTS: u32 = 30;
/// A receipt not printed by then is given up: see the module documentation.
pub const PRINT_EXPIRY: Duration = Duration::from_secs(15 * 60);
/// Reprints are allowed for this long after the sale unless the setting says otherwise.
const REPRINT_WINDOW_HOURS: i64 = 24;

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
        "{SELECT} WHERE (?1 IS NULL OR x.status = ?1) AND (?2 IS NULL OR x.order_id = ?2)
         ORDER BY x.id DESC LIMIT ?3"
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
    let row: Option<ItemRow> = sqlx::query_as(&format!("{SELECT} WHERE x.id = ?1"))
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
async fn insert(
    conn: &mut SqliteConnection,
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
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?7, ?8, ?7, ?7) RETURNING id",
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

/// Which queued rows a run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Those whose back-off has passed (the background worker).
    Due,
    /// All of them now (someone asked: `codetill outbox send`).
    All,
}

/// One attempt at one row.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptResult {
    pub id: i64,
    pub kind: String,
    pub order_id: String,
    pub destination: String,
    pub status: OutboxStatus,
    /// The server's reply or the printer's result; or why it did not go.
    pub detail: String,
    /// When it will be tried again, if it stays queued.
    pub next_attempt_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    pub attempts: Vec<AttemptResult>,
}

impl SendReport {
    pub fn count(&self, status: OutboxStatus) -> usize {
        self.attempts.iter().filter(|a| a.status == status).count()
    }
}

/// What `finish` did: the row's status, the detail, when it is tried next, and the
/// delivery log's outcome and Message-ID (none when nothing was attempted).
type Recorded = (
    OutboxStatus,
    String,
    Option<String>,
    Option<(&'static str, Option<String>)>,
);

enum Outcome {
    Sent {
        reply: String,
        message_id: Option<String>,
    },
    Retry(String),
    Failed(String),
    /// Not tried (no mail server configured): stays queued, no attempt counted.
    Waiting(String),
}

/// Sends what the outbox holds, with this till's settings.
pub struct Outbox {
    db: Db,
    vault: Arc<Vault>,
    config: DeliveryConfig,
    owner: String,
}

impl Outbox {
    pub fn new(db: Db, vault: Arc<Vault>, config: DeliveryConfig) -> Outbox {
        Outbox {
            db,
            vault,
            config,
            owner: format!("outbox-{}-{}", std::process::id(), ulid::Ulid::new()),
        }
    }

    pub fn config(&self) -> &DeliveryConfig {
        &self.config
    }

    /// Works off queued rows, oldest first, each with up to `per_item` to finish.
    pub async fn send_queued(
        &self,
        due: Due,
        per_item: Duration,
    ) -> Result<SendReport, DeliveryError> {
        let now = now_text();
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE status = 'queued' AND (?1 OR next_attempt_at <= ?2)
               AND (claimed_until IS NULL OR claimed_until < ?2)
             ORDER BY id LIMIT 500",
        )
        .bind(due == Due::All)
        .bind(&now)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        let mut report = SendReport::default();
        for id in ids {
            if let Some(r) = self.process(id, per_item).await? {
                report.attempts.push(r);
            }
        }
        Ok(report)
    }

    /// One attempt at each queued row of an order, side by side, all within `budget`
    /// (what `sell` does right after the sale).
    pub async fn attempt_order(
        &self,
        order_id: i64,
        budget: Duration,
    ) -> Result<Vec<AttemptResult>, DeliveryError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE order_id = ?1 AND status = 'queued' ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.db.pool())
        .await
        .map_err(DbError::from)?;
        self.attempt(&ids, budget).await
    }

    /// One attempt at each of `ids`, side by side, within `budget`.
    pub async fn attempt(
        &self,
        ids: &[i64],
        budget: Duration,
    ) -> Result<Vec<AttemptResult>, DeliveryError> {
        let results =
            futures::future::join_all(ids.iter().map(|id| self.process(*id, budget))).await;
        let mut out = Vec::new();
        for r in results {
            if let Some(a) = r? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Claims, sends and records one row; `None` when another till has it or it is
    /// no longer queued.
    async fn process(
        &self,
        id: i64,
        budget: Duration,
    ) -> Result<Option<AttemptResult>, DeliveryError> {
        if !self.claim(id).await? {
            return Ok(None);
        }
        let item = item(&self.db, id).await?;
        let started = Instant::now();
        let outcome = match tokio::time::timeout(budget, self.work(&item, budget)).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => Outcome::Retry(e.to_string()),
            Err(_) => Outcome::Retry(format!("no answer within {} ms", budget.as_millis())),
        };
        let result = self.finish(&item, outcome, started.elapsed()).await?;
        Ok(Some(result))
    }

    async fn claim(&self, id: i64) -> Result<bool, DbError> {
        let now = chrono::Utc::now();
        let until = now + chrono::Duration::from_std(CLAIM).unwrap_or_default();
        let done = sqlx::query(
            "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2, updated_at = ?3
             WHERE id = ?4 AND status = 'queued' AND (claimed_until IS NULL OR claimed_until < ?3)",
        )
        .bind(&self.owner)
        .bind(time_text(until))
        .bind(time_text(now))
        .bind(id)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Renders and sends one row. Decrypts the codes here and only here.
    async fn work(&self, item: &OutboxItem, budget: Duration) -> Result<Outcome, DeliveryError> {
        if item.kind == "print" && older_than(&item.created_at, PRINT_EXPIRY) {
            return Ok(Outcome::Failed(format!(
                "not printed within {} minutes; print it again with `codetill reprint {}` when the buyer is at the counter",
                PRINT_EXPIRY.as_secs() / 60,
                item.order_id
            )));
        }
        let smtp = match (&*item.kind, &self.config.smtp) {
            ("email", SmtpSetting::Ready(c)) => Some(c),
            ("email", SmtpSetting::NotConfigured) => {
                return Ok(Outcome::Waiting(
                    "no mail server configured: set CODETILL_SMTP_URL (smtps://user@host?from=shop@example.com)".into(),
                ));
            }
            ("email", SmtpSetting::Invalid(m)) => return Ok(Outcome::Waiting(m.clone())),
            _ => None,
        };
        let order = orders::find(&self.db, &item.order_row.to_string()).await?;
        if order.status != OrderStatus::Delivered {
            return Ok(Outcome::Failed(format!(
                "{} is {}: nothing to deliver",
                order.public_id, order.status
            )));
        }
        let codes = match orders::read_codes(&self.db, &self.vault, order.id).await {
            Ok(c) => c,
            Err(OrderError::Vault(e)) => return Ok(Outcome::Failed(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        let shop = super::shop(&self.db).await?;
        let language: Language = item.language.parse().unwrap_or_default();
        let reprint = item
            .reprint_no
            .filter(|_| item.payload == "reprint")
            .and_then(|n| u32::try_from(n).ok());
        let receipt = Receipt::from_order(&order, codes, shop, language, reprint);
        let font = self.config.font.as_deref();
        if let Some(config) = smtp {
            let content = email::compose(&receipt);
            let attachment = if config.attach_pdf {
                match pdf::render(&receipt, font) {
                    Ok(bytes) => Some((format!("receipt-{}.pdf", order.public_id), bytes)),
                    Err(e) => {
                        tracing::warn!(order = %order.public_id, error = %e, "no PDF receipt attached");
                        None
                    }
                }
            } else {
                None
            };
            let message_id = format!(
                "<{}.{}@{}>",
                order.public_id.to_ascii_lowercase(),
                ulid::Ulid::new().to_string().to_ascii_lowercase(),
                domain_of(&config.from)
            );
            let message = match email::message(
                config,
                &receipt.shop.name,
                &item.destination,
                &content,
                attachment,
                &message_id,
            ) {
                Ok(m) => m,
                Err(e) => return Ok(failure(e)),
            };
            drop(receipt);
            // Leave a moment of the budget to record the answer.
            let timeout = budget
                .saturating_sub(Duration::from_millis(300))
                .max(Duration::from_secs(1));
            return Ok(
                match email::send(config, message, timeout.min(config.timeout)).await {
                    Ok(a) => Outcome::Sent {
                        reply: a.reply,
                        message_id: Some(message_id),
                    },
                    Err(e) => failure(e),
                },
            );
        }
        let spec: PrinterSpec = match item.destination.parse() {
            Ok(s) => s,
            Err(e) => return Ok(Outcome::Failed(e.to_string())),
        };
        let printed = if spec.is_pdf() {
            let name = match reprint {
                Some(n) => format!("{}-reprint-{n}.pdf", order.public_id),
                None => format!("{}-receipt-{}.pdf", order.public_id, item.id),
            };
            match pdf::render(&receipt, font) {
                Ok(bytes) => printer::save_pdf(&spec, &name, bytes).await,
                Err(e) => Err(e),
            }
        } else {
            match escpos::render(&receipt, spec.paper(), font) {
                Ok(bytes) => printer::send_escpos(&spec, &bytes).await,
                Err(e) => Err(e),
            }
        };
        Ok(match printed {
            Ok(p) => Outcome::Sent {
                reply: p.detail,
                message_id: None,
            },
            Err(PrintError::Transient(e)) => Outcome::Retry(e),
            Err(PrintError::Permanent(e)) => Outcome::Failed(e),
        })
    }

    /// Records the attempt, moves the row on, raises an alert when it is given up.
    async fn finish(
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
                        "UPDATE outbox SET status = 'sent', attempts = ?1, sent_at = ?2, last_error = NULL,
                             claimed_by = NULL, claimed_until = NULL, updated_at = ?2 WHERE id = ?3",
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
                        "UPDATE outbox SET attempts = ?1, next_attempt_at = ?2, last_error = ?3,
                             claimed_by = NULL, claimed_until = NULL, updated_at = ?4 WHERE id = ?5",
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
                        "UPDATE outbox SET status = 'failed', attempts = ?1, last_error = ?2,
                             claimed_by = NULL, claimed_until = NULL, updated_at = ?3 WHERE id = ?4",
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
                let facts = serde_json::json!({
                    "order": item.order_id, "destination": item.destination, "error": error,
                });
                sqlx::query(
                    "INSERT INTO alerts (at, kind, order_id, message, facts) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .bind(&now_s)
                .bind(format!("{}_failed", item.kind))
                .bind(item.order_row)
                .bind(&what)
                .bind(crate::alerts::facts_text(&facts))
                .execute(&mut *tx)
                .await
                .map_err(DbError::from)?;
                tracing::warn!(outbox = item.id, order = %item.order_id, kind = %item.kind, "{what}");
                (OutboxStatus::Failed, error, None, Some(("failed", None)))
            }
            Outcome::Waiting(reason) => {
                let next =
                    time_text(now + chrono::Duration::from_std(BACKOFF_START).unwrap_or_default());
                sqlx::query(
                    "UPDATE outbox SET next_attempt_at = ?1, last_error = ?2, claimed_by = NULL,
                             claimed_until = NULL, updated_at = ?3 WHERE id = ?4",
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
        let language: String = sqlx::query_scalar("SELECT language FROM orders WHERE id = ?1")
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
            "SELECT (SELECT count(*) FROM outbox WHERE order_id = ?1 AND kind = 'print'), language
             FROM orders WHERE id = ?1",
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
            "UPDATE orders SET reprints = reprints + 1, updated_at = ?1 WHERE id = ?2 RETURNING reprints, language",
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

async fn audit(
    conn: &mut SqliteConnection,
    actor: &str,
    action: &str,
    order_id: i64,
    detail: &str,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, order_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(now)
    .bind(actor)
    .bind(action)
    .bind(order_id)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn failure(e: SendError) -> Outcome {
    match e {
        SendError::Transient(m) => Outcome::Retry(m),
        SendError::Permanent(m) => Outcome::Failed(m),
    }
}

fn backoff(attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    BACKOFF_START
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(BACKOFF_MAX)
}

fn older_than(stored: &str, age: Duration) -> bool {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => {
            let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
            chrono::Utc::now().signed_duration_since(t) > age
        }
        Err(_) => false,
    }
}

/// The domain of the sender, for Message-IDs.
fn domain_of(from: &str) -> String {
    from.rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("codetill.local")
        .to_string()
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

    #[test]
    fn message_ids_use_the_sender_domain() {
        assert_eq!(domain_of("Shop <shop@example.com>"), "example.com");
        assert_eq!(domain_of("shop@example.com"), "example.com");
    }
}
