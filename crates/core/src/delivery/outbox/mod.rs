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
//!
//! Here is the run: a row claimed, sent, recorded. `queue` holds the table and the
//! claims, `render` what a row becomes and where it goes, `retry` what happens
//! after an attempt, and `resend` the rows queued again on request.

mod queue;
mod render;
mod resend;
mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{DeliveryConfig, DeliveryError};
use crate::db::{Db, now_text};
use crate::vault::Vault;
use render::Outcome;

pub use queue::{OutboxFilter, OutboxItem, OutboxStatus, item, list};
pub use render::PRINT_EXPIRY;

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
        let ids = queue::due_ids(&self.db, due, &now_text()).await?;
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
        let ids = queue::queued_for_order(&self.db, order_id).await?;
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
}

/// True when the stored time `stored` is more than `age` ago (false when it cannot
/// be read).
fn older_than(stored: &str, age: Duration) -> bool {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => {
            let age = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
            chrono::Utc::now().signed_duration_since(t) > age
        }
        Err(_) => false,
    }
}
