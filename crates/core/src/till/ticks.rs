//! What a running till does in the background, the same for the app and for a
//! headless till: finish orders left open, work off queued receipts and emails,
//! check the supplier, reconcile yesterday once a day, and follow the relay for
//! remote payments. Each is one call a front schedules (the app every minute; the
//! CLI on `recover`, `outbox send`, `relay pull`, `reconcile`); none of them fails
//! loudly — what cannot run now is logged and tried again at the next tick.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::alerts::SupplierCheck;
use crate::db::now_text;
use crate::delivery::{Due, Outbox, OutboxStatus};
use crate::orders::{self, RecoveryReport};
use crate::payments::Providers;
use crate::relay::{self, Backoff, Feed, InboxWorker, RelayConfig};
use crate::remote::Desk;
use crate::setup::SetupError;

use super::sale::SEND_NOW_BUDGET;
use super::{Till, TillError};

/// How often a running app finishes open orders and checks the supplier.
pub const EVERY: Duration = Duration::from_secs(60);
/// How often a running app works off queued receipts and emails.
pub const OUTBOX_EVERY: Duration = Duration::from_secs(30);
/// How long after a failed read the daily rates source is tried again.
const RATES_RETRY: Duration = Duration::from_secs(3600);
/// How long after a failed daily reconciliation it is tried again.
const RECONCILE_RETRY: Duration = Duration::from_secs(3600);
/// How long the email of a remote order gets right after delivery.
const MAIL_BUDGET: Duration = Duration::from_secs(10);

/// Did the supplier answer the last health check? The counter greys products out
/// while it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SupplierStatus {
    /// `None`: not checked yet, or no supplier configured.
    pub reachable: Option<bool>,
    pub checked_at: Option<String>,
    /// Why it could not be reached (or asked).
    pub error: Option<String>,
}

impl Till {
    /// Tries every open order once (paid, the supplier not yet heard from), with an
    /// engine of its own so it never drives an order the counter is driving, each
    /// within `budget` when given; refunds that fell due raise their alerts.
    pub async fn recover(&self, budget: Option<Duration>) -> Result<RecoveryReport, TillError> {
        // Orders of a supplier that is down would each end at its open breaker:
        // ask it first, and drive them now if it answers.
        self.suppliers().await?.probe_down().await;
        let mut engine = self.new_engine().await?;
        if let Some(budget) = budget {
            engine.options.budget = budget;
        }
        let report = engine.recover().await?;
        self.tell(crate::orders::problem::after_recovery(&self.db, &report.refund_due).await)
            .await;
        self.check_refund_rate().await;
        Ok(report)
    }

    /// The refund-rate rule over the last week's paid orders (once a tick, and after
    /// work that can leave a refund due); what cannot be checked now is logged.
    pub async fn check_refund_rate(&self) {
        self.tell(crate::alerts::check_refund_rate(&self.db).await)
            .await;
    }

    /// [`Till::recover`] as a background tick: nothing to do when no order is open,
    /// and what cannot run now (no supplier yet) is logged and tried next time.
    pub async fn recover_open_orders(&self, budget: Option<Duration>) -> Option<RecoveryReport> {
        match orders::open_order_ids(&self.db).await {
            Ok(ids) if ids.is_empty() => return None,
            Ok(ids) => tracing::info!(open = ids.len(), "finishing orders left open"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot list open orders");
                return None;
            }
        }
        match self.recover(budget).await {
            Ok(report) => {
                tracing::info!(
                    delivered = report.delivered.len(),
                    refund_due = report.refund_due.len(),
                    open = report.open.len(),
                    busy = report.busy.len(),
                    "open orders tried again"
                );
                Some(report)
            }
            Err(e @ TillError::Setup(SetupError::NoSupplier | SetupError::NoKey)) => {
                tracing::warn!(error = %e, "open orders wait until a supplier is configured");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "finishing open orders failed");
                None
            }
        }
    }

    /// Works off the receipts and emails whose retry is due. A till with no
    /// supplier yet has no vault and nothing queued: skipped quietly.
    pub async fn send_queued(&self) {
        if !matches!(self.has_supplier().await, Ok(true)) {
            return;
        }
        let outbox = match self.outbox().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "outbox worker: cannot open the outbox");
                return;
            }
        };
        match outbox.send_queued(Due::Due, SEND_NOW_BUDGET * 4).await {
            Ok(report) if !report.attempts.is_empty() => tracing::info!(
                sent = report.count(OutboxStatus::Sent),
                queued = report.count(OutboxStatus::Queued),
                failed = report.count(OutboxStatus::Failed),
                "outbox worker: worked off queued receipts and emails"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox worker failed"),
        }
    }

    /// One supplier health check: asks the supplier for its balance, raises
    /// supplier-unreachable or balance-low alerts, and remembers the outcome.
    /// Answers the check (`None` when no supplier is configured) and whether
    /// reachability changed since the last check.
    pub async fn check_supplier(&self) -> (Option<SupplierCheck>, bool) {
        // A supplier that is down is probed first: the check below goes through its
        // breaker and would otherwise only see it still open.
        self.check_routes().await;
        let before = self.supplier_status();
        let checked = |reachable, error| SupplierStatus {
            reachable,
            checked_at: Some(now_text()),
            error,
        };
        // No supplier configured: nothing to check (and nothing to log every minute).
        let (check, status) = if !self.has_supplier().await.unwrap_or(false) {
            (
                None,
                checked(None, Some(SetupError::NoSupplier.to_string())),
            )
        } else {
            match self.supplier().await {
                Err(e) => (None, checked(None, Some(e.to_string()))),
                Ok(supplier) => {
                    match crate::alerts::check_supplier(&self.db, supplier.as_ref()).await {
                        Err(e) => {
                            tracing::error!(error = %e, "supplier health check could not be recorded");
                            return (None, false);
                        }
                        Ok(check) => {
                            self.tell(Ok(check.raised.iter().cloned())).await;
                            let status = checked(Some(check.reachable()), check.error.clone());
                            (Some(check), status)
                        }
                    }
                }
            }
        };
        let changed = before.reachable != status.reachable;
        if changed {
            tracing::info!(reachable = ?status.reachable, "supplier reachability changed");
        }
        super::shared::replace(&self.supplier_status, status);
        (check, changed)
    }

    /// Asks each supplier that is down (its breaker open) for its balance: one that
    /// answers is back in routing, and the orders and claims waiting for it are
    /// bought at once rather than at the next recovery tick.
    pub async fn check_routes(&self) {
        let Ok(suppliers) = self.suppliers().await else {
            return;
        };
        if suppliers.probe_down().await {
            self.recover_open_orders(None).await;
        }
    }

    /// The shop's exchange rates, once a tick: the daily source is read again when
    /// its rates are from before today (and the catalog repriced), and a rate in use
    /// that has gone stale raises an alert. Answers the stale rates.
    pub async fn check_rates(&self) -> Vec<crate::fx::Rate> {
        match self.rates_in_use().await {
            Ok(stale) => stale,
            Err(e) => {
                tracing::warn!(error = %e, "exchange rates could not be checked");
                Vec::new()
            }
        }
    }

    async fn rates_in_use(&self) -> Result<Vec<crate::fx::Rate>, TillError> {
        use crate::alerts::{AlertKind, NewAlert};
        use crate::fx;
        let db = &self.db;
        let now = chrono::Utc::now();
        let rates = fx::all(db).await.map_err(TillError::from)?;
        let file_is_old = rates
            .iter()
            .filter(|r| r.source == fx::RateSource::Ecb)
            .all(|r| r.as_of < now.date_naive());
        let due =
            super::shared::read(&self.rates_tried).is_none_or(|at| at.elapsed() >= RATES_RETRY);
        if file_is_old && due {
            super::shared::replace(&self.rates_tried, Some(std::time::Instant::now()));
            match fx::refresh(db).await {
                Ok(Some(day)) => {
                    tracing::info!(date = %day.date, "daily exchange rates read");
                    if let Err(e) = crate::catalog::reprice_all(db).await {
                        tracing::warn!(error = %e, "catalog not repriced at the new rates");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "daily exchange rates not read"),
            }
        }
        let Some(shop) = crate::settings::value(db, crate::settings::SHOP_CURRENCY).await? else {
            return Ok(Vec::new());
        };
        let rates = fx::all(db).await.map_err(TillError::from)?;
        let bought_in: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT currency FROM products WHERE discontinued_at IS NULL AND currency != $1",
        )
        .bind(&shop)
        .fetch_all(db.pool())
        .await
        .map_err(crate::db::DbError::from)?;
        let stale: Vec<fx::Rate> = bought_in
            .iter()
            .filter_map(|from| fx::find(&rates, from, &shop))
            .filter(|r| r.is_stale(now))
            .collect();
        for rate in &stale {
            let alert = NewAlert {
                kind: AlertKind::FxStale,
                message: format!(
                    "the {}→{} rate is {} days old ({}); prices still carry the FX buffer",
                    rate.from,
                    rate.to,
                    rate.age_days(now),
                    match rate.source {
                        fx::RateSource::Owner => "set by hand: `codetill fx set`",
                        fx::RateSource::Ecb => "the daily source did not answer",
                    }
                ),
                facts: serde_json::json!({
                    "from": rate.from, "to": rate.to, "days": rate.age_days(now),
                    "source": rate.source,
                }),
                order_ref: None,
            };
            self.tell(
                crate::alerts::raise(db, &alert)
                    .await
                    .map(|a| a.into_iter()),
            )
            .await;
        }
        Ok(stale)
    }

    /// Once a day: reconciles yesterday (UTC) for the shop's supplier and each
    /// enabled supplier account, and remembers the day in the settings
    /// ([`crate::settings::RECONCILE_DAY`]) once every run succeeded. A failed run
    /// is tried again an hour later. Answers the reports of the runs made now.
    pub async fn reconcile_if_due(&self) -> Vec<crate::reconcile::Report> {
        use crate::settings;
        let db = &self.db;
        let now = chrono::Utc::now();
        let today = now.date_naive().to_string();
        match settings::value(db, settings::RECONCILE_DAY).await {
            Ok(Some(day)) if day == today => return Vec::new(),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read when reconciliation last ran");
                return Vec::new();
            }
        }
        if super::shared::read(&self.reconcile_failed)
            .is_some_and(|at| at.elapsed() < RECONCILE_RETRY)
        {
            return Vec::new();
        }
        let mut names: Vec<Option<String>> = Vec::new();
        if self.has_supplier().await.unwrap_or(false) {
            names.push(None);
        }
        match crate::supplier::accounts::list(db).await {
            Ok(list) => names.extend(list.into_iter().filter(|a| a.enabled).map(|a| Some(a.name))),
            Err(e) => tracing::warn!(error = %e, "supplier accounts not read for reconciliation"),
        }
        if names.is_empty() {
            return Vec::new();
        }
        let window = crate::reconcile::yesterday(now);
        let mut reports = Vec::new();
        let mut failed = false;
        for name in &names {
            match self.reconcile(window, name.as_deref()).await {
                Ok(report) => reports.push(report),
                Err(e) => {
                    failed = true;
                    tracing::warn!(supplier = name.as_deref().unwrap_or("(the shop's)"), error = %e, "daily reconciliation failed");
                }
            }
        }
        if failed {
            super::shared::replace(&self.reconcile_failed, Some(std::time::Instant::now()));
        } else if let Err(e) = settings::set(db.pool(), settings::RECONCILE_DAY, &today).await {
            tracing::warn!(error = %e, "cannot remember that reconciliation ran today");
        }
        reports
    }

    /// The daily backup, once a tick: into the owner's folder (setting
    /// [`crate::settings::BACKUP_FOLDER`]) when today's is not there yet, keeping the
    /// last [`crate::backup::KEEP_DAILY`]. Answers the backup made, if one was; a
    /// failure is logged and tried again next tick.
    pub async fn daily_backup(&self) -> Option<crate::backup::Contents> {
        let today = chrono::Local::now().date_naive();
        let folder = match crate::settings::value(&self.db, crate::settings::BACKUP_FOLDER).await {
            Ok(Some(folder)) => std::path::PathBuf::from(folder),
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "daily backup: the settings cannot be read");
                return None;
            }
        };
        match crate::backup::daily(&self.db, &folder, today).await {
            Ok(made) => made,
            Err(e) => {
                tracing::warn!(error = %e, folder = %folder.display(), "daily backup failed");
                None
            }
        }
    }

    /// Buyers' contact data past the owner's retention period goes (the orders
    /// stay); a failure is logged and tried again next tick.
    pub async fn purge_buyers(&self) {
        if let Err(e) = crate::buyers::purge_due(&self.db).await {
            tracing::warn!(error = %e, "buyer contact data not purged");
        }
    }

    /// What the last health check found.
    pub fn supplier_status(&self) -> SupplierStatus {
        super::shared::read(&self.supplier_status)
    }
}

struct Worker<'a> {
    desk: Desk,
    /// Its outbox is asked for per email, so that new mail settings count at once.
    till: &'a Till,
}

#[async_trait::async_trait]
impl InboxWorker for Worker<'_> {
    async fn work(&self) -> Result<(), String> {
        let report = self.desk.work_inbox().await.map_err(|e| e.to_string())?;
        report.log();
        if report.delivered_ids.is_empty() {
            return Ok(());
        }
        let outbox: Arc<Outbox> = match self.till.outbox().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "no outbox: the codes' emails wait");
                return Ok(());
            }
        };
        for id in &report.delivered_ids {
            if let Err(e) = outbox.attempt_order(*id, MAIL_BUDGET).await {
                tracing::warn!(order = id, error = %e, "the code's email stays queued");
            }
        }
        Ok(())
    }
}

/// Follows the shop's relay until `changes` has no sender left, moving to whatever
/// relay the settings name after each tick of `changes` (a new address or token
/// moves the loop to that relay, a cleared one stops it, and a loop that could not
/// start tries again). Payment events pay and fulfil remote orders through
/// [`crate::remote`]; the buyer's email gets one attempt right away and otherwise
/// waits in the outbox. Doubtful payments are held as alerts, never fulfilled.
pub async fn follow_relay(till: Arc<Till>, mut changes: watch::Receiver<()>) {
    loop {
        // Ticks before this read are covered by it.
        changes.mark_unchanged();
        match RelayConfig::load(till.db(), till.secrets()).await {
            Ok(Some(config)) => {
                if follow_one(&till, &config, &mut changes).await == Ended::Changed {
                    continue;
                }
            }
            Ok(None) => tracing::debug!("no relay configured: remote sales are off"),
            Err(e) => {
                tracing::warn!(error = %e, "the relay is not usable; remote sales are off until its settings change");
            }
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// The relay settings changed: read them again.
    Changed,
    /// It could not start, or stopped on an error waiting cannot cure.
    Failed,
}

/// Follows the relay of `config` until its settings change to something else.
async fn follow_one(till: &Till, config: &RelayConfig, changes: &mut watch::Receiver<()>) -> Ended {
    let client = match config.client() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the relay is not usable; remote sales are off until its settings change");
            return Ended::Failed;
        }
    };
    let engine = match till.new_engine().await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "remote sales wait until a supplier is configured");
            return Ended::Failed;
        }
    };
    let db = till.db().clone();
    let worker = Worker {
        desk: Desk::new(Arc::new(engine), Providers::configured(&db, till.secrets())),
        till,
    };
    tracing::info!(relay = %client.url(), "following the relay for remote payments");
    let feed = Feed::new(client, db.clone());
    let stop = async {
        loop {
            if changes.changed().await.is_err() {
                // Nobody can change the settings any more: follow for good.
                std::future::pending::<()>().await;
            }
            match RelayConfig::load(&db, till.secrets()).await {
                // Another setting changed: keep the long-poll that is open.
                Ok(Some(now)) if now == *config => {}
                // A new relay, none, or its token removed.
                Ok(_) | Err(relay::RelayError::NoToken) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the relay settings again; still following the relay as it was");
                }
            }
        }
    };
    match relay::follow(&feed, &worker, Backoff::default(), stop).await {
        Ok(()) => {
            tracing::info!(relay = %feed.client().url(), "the relay settings changed: no longer following this relay");
            Ended::Changed
        }
        Err(e) => {
            tracing::error!(error = %e, "stopped following the relay until its settings change");
            Ended::Failed
        }
    }
}
