//! Alerts: rules over figures and events that the owner must know about now — the
//! supplier balance running low, the supplier unreachable, wholesale prices drifting
//! after a sync, an order that failed or left a refund due.
//!
//! Alerts are kept in the `alerts` table (open until `acknowledged_at` is set), so they
//! survive a restart. One writer stores them ([`raise_in`], inside the caller's
//! transaction; [`raise`] in one of its own): the rules here, the delivery outbox (an
//! email not sent, a receipt not printed) and remote sales (a payment held). A rule
//! raises an alert once: while an alert of the same kind (and, for an order, the same
//! order) is still open, raising it again adds nothing. [`raise`] answers the alert
//! only when it is new, so a front end's [`AlertSink`] hears of each one once (a
//! desktop notification, a line on stderr).

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::balance::{self, Runway};
use crate::db::{Db, DbError, now_text};
use crate::money::{Money, parse_decimal};
use crate::pricing::drift_pct;
use crate::settings;
use crate::supplier::{Balance, Supplier};

/// A sync that moves a wholesale price by more than this (percent) raises price drift.
pub const DRIFT_PCT: Decimal = Decimal::from_parts(3, 0, 0, false, 0);
/// More than this share (percent) of a week's paid orders refunded raises refund rate.
pub const REFUND_RATE_PCT: Decimal = Decimal::from_parts(1, 0, 0, false, 0);
/// The days the refund rate is taken over.
pub const REFUND_RATE_DAYS: i64 = 7;
/// Fewer paid orders than this in those days say nothing about a rate: one refund in
/// the first sale of the week is not "100% refunded".
pub const REFUND_RATE_MIN_ORDERS: i64 = 20;
/// Without the owner's threshold, the balance is low below this many days of spend.
pub const LOW_BALANCE_DAYS: Decimal = Decimal::from_parts(2, 0, 0, false, 0);

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("no alert #{0}")]
    NotFound(i64),
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for AlertError {
    fn from(e: sqlx::Error) -> Self {
        AlertError::Db(DbError::Sql(e))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    BalanceLow,
    SupplierUnreachable,
    PriceDrift,
    OrderFailed,
    RefundDue,
    /// Written by the delivery outbox: an email that could not be sent.
    EmailFailed,
    /// Written by the delivery outbox: a receipt that could not be printed.
    PrintFailed,
    /// Written by remote sales: a payment event held for review (unknown order,
    /// wrong amount, second payment, not paid at the provider).
    PaymentHeld,
    /// An exchange rate the shop prices with is old (its daily source failed, or
    /// the owner's rate was not renewed); the FX buffer still protects the margin.
    FxStale,
    /// The catalog's daily sync failed: prices and stock stay as the last sync left
    /// them.
    SyncFailed,
    /// Reconciliation found the supplier's history and our orders disagreeing (money
    /// taken with no delivered order, an order the supplier does not show, another
    /// amount charged, a balance the top-ups do not explain).
    ReconcileDiscrepancy,
    /// More than [`REFUND_RATE_PCT`] of the last 7 days' paid orders were refunded
    /// or are due a refund.
    RefundRate,
}

impl AlertKind {
    pub const ALL: [AlertKind; 12] = [
        AlertKind::BalanceLow,
        AlertKind::SupplierUnreachable,
        AlertKind::PriceDrift,
        AlertKind::OrderFailed,
        AlertKind::RefundDue,
        AlertKind::EmailFailed,
        AlertKind::PrintFailed,
        AlertKind::PaymentHeld,
        AlertKind::FxStale,
        AlertKind::SyncFailed,
        AlertKind::ReconcileDiscrepancy,
        AlertKind::RefundRate,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            AlertKind::BalanceLow => "balance_low",
            AlertKind::SupplierUnreachable => "supplier_unreachable",
            AlertKind::PriceDrift => "price_drift",
            AlertKind::OrderFailed => "order_failed",
            AlertKind::RefundDue => "refund_due",
            AlertKind::EmailFailed => "email_failed",
            AlertKind::PrintFailed => "print_failed",
            AlertKind::PaymentHeld => "payment_held",
            AlertKind::FxStale => "fx_stale",
            AlertKind::SyncFailed => "sync_failed",
            AlertKind::ReconcileDiscrepancy => "reconcile_discrepancy",
            AlertKind::RefundRate => "refund_rate",
        }
    }

    /// A rule's alert is raised once while it is open (a balance that stays low is
    /// one alert, not one a minute); an event's (an email that failed, a payment
    /// held) is raised each time, since each is a thing of its own to look at.
    pub fn once_while_open(&self) -> bool {
        !matches!(
            self,
            AlertKind::EmailFailed | AlertKind::PrintFailed | AlertKind::PaymentHeld
        )
    }

    fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A one-line title for a desktop notification.
    pub fn title(&self) -> &'static str {
        match self {
            AlertKind::BalanceLow => "Supplier balance low",
            AlertKind::SupplierUnreachable => "Supplier unreachable",
            AlertKind::PriceDrift => "Wholesale prices changed",
            AlertKind::OrderFailed => "Order failed",
            AlertKind::RefundDue => "Refund due",
            AlertKind::EmailFailed => "Email not sent",
            AlertKind::PrintFailed => "Receipt not printed",
            AlertKind::PaymentHeld => "Payment held for review",
            AlertKind::FxStale => "Exchange rate out of date",
            AlertKind::SyncFailed => "Catalog sync failed",
            AlertKind::ReconcileDiscrepancy => "Supplier records disagree",
            AlertKind::RefundRate => "Refund rate high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Acknowledged,
}

impl AlertState {
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub kind: AlertKind,
    /// In English, with the figures; the UI titles it by `kind` in its own language.
    pub message: String,
    /// The figures `message` names, by name (amounts as decimal strings with their
    /// currency), for the UI to say the message in its own language. Null on alerts
    /// stored before they were kept.
    pub facts: Option<serde_json::Value>,
    /// The order it is about (`ORD-000123`), if any.
    pub order_ref: Option<String>,
    pub created_at: String,
    pub state: AlertState,
}

/// Who hears of a new alert as it is raised: the desktop's notifications and the
/// app's alert list, a line on stderr for the CLI. The alert is already stored when
/// a sink hears of it; a sink that cannot show it only logs that.
#[async_trait::async_trait]
pub trait AlertSink: Send + Sync {
    async fn raised(&self, alert: &Alert);
}

/// The log only: a till no front listens to.
pub struct LogSink;

#[async_trait::async_trait]
impl AlertSink for LogSink {
    async fn raised(&self, alert: &Alert) {
        tracing::warn!(id = alert.id, kind = alert.kind.as_str(), message = %alert.message, "alert");
    }
}

/// What a rule found, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: AlertKind,
    pub message: String,
    pub facts: serde_json::Value,
    pub order_ref: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: i64,
    kind: String,
    message: String,
    facts: Option<String>,
    order_ref: Option<String>,
    created_at: String,
    acknowledged_at: Option<String>,
}

impl AlertRow {
    /// `None` for a kind this build does not know (a newer till wrote it).
    fn into_alert(self) -> Option<Alert> {
        let Some(kind) = AlertKind::parse(&self.kind) else {
            tracing::warn!(id = self.id, kind = %self.kind, "alert of an unknown kind left out");
            return None;
        };
        Some(Alert {
            id: self.id,
            kind,
            message: self.message,
            facts: self.facts.and_then(|f| serde_json::from_str(&f).ok()),
            order_ref: self.order_ref,
            created_at: self.created_at,
            state: match self.acknowledged_at {
                None => AlertState::Open,
                Some(_) => AlertState::Acknowledged,
            },
        })
    }
}

/// The alert with the order's public reference (`ORD-000123`) rather than its row id.
const SELECT: &str = "SELECT a.id, a.kind, a.message, a.facts, o.public_id AS order_ref,
        a.at AS created_at, a.acknowledged_at
    FROM alerts a LEFT JOIN orders o ON o.id = a.order_id";

pub(crate) async fn by_id(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Alert, AlertError> {
    let row: AlertRow = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AlertError::NotFound(id))?;
    row.into_alert().ok_or(AlertError::NotFound(id))
}

/// Stores `new` unless [`AlertKind::once_while_open`] and an alert of its kind (and
/// order) is still open. Answers the stored alert when it is new, `None` when one
/// was already open.
pub async fn raise(db: &Db, new: &NewAlert) -> Result<Option<Alert>, AlertError> {
    // One write transaction: two tills raising at once still store one alert.
    let mut tx = db.begin_write().await?;
    let order_id: Option<i64> = match &new.order_ref {
        Some(r) => {
            sqlx::query_scalar("SELECT id FROM orders WHERE public_id = $1")
                .bind(r)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => None,
    };
    let Some(id) = raise_in(&mut tx, new, order_id).await? else {
        return Ok(None);
    };
    let alert = by_id(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Some(alert))
}

/// The one writer of alerts, inside the caller's transaction (so an alert commits
/// with what caused it, or not at all): `order_id` is the order row `new` is about,
/// when it has one. Answers the new alert's id, or `None` when one of its kind (and
/// order) is still open and the kind is raised once while open.
pub(crate) async fn raise_in(
    conn: &mut sqlx::AnyConnection,
    new: &NewAlert,
    order_id: Option<i64>,
) -> Result<Option<i64>, DbError> {
    if new.kind.once_while_open() {
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM alerts WHERE kind = $1 AND order_id IS NOT DISTINCT FROM $2 AND acknowledged_at IS NULL LIMIT 1",
        )
        .bind(new.kind.as_str())
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?;
        if open.is_some() {
            return Ok(None);
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alerts (at, kind, order_id, order_ref, message, facts)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(now_text())
    .bind(new.kind.as_str())
    .bind(order_id)
    .bind(&new.order_ref)
    .bind(&new.message)
    .bind(facts_text(&new.facts))
    .fetch_one(&mut *conn)
    .await?;
    tracing::info!(id, kind = new.kind.as_str(), message = %new.message, "alert raised");
    Ok(Some(id))
}

/// Alerts newest first: the open ones only, or all (at most `limit`, 1–500).
pub async fn list(db: &Db, open_only: bool, limit: u32) -> Result<Vec<Alert>, AlertError> {
    let sql = format!(
        "{SELECT} {} ORDER BY a.at DESC, a.id DESC LIMIT $1",
        if open_only {
            "WHERE a.acknowledged_at IS NULL"
        } else {
            ""
        }
    );
    let rows: Vec<AlertRow> = sqlx::query_as(&sql)
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().filter_map(AlertRow::into_alert).collect())
}

/// How many alerts are open (the header's badge).
pub async fn open_count(db: &Db) -> Result<i64, AlertError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM alerts WHERE acknowledged_at IS NULL")
            .fetch_one(db.pool())
            .await?,
    )
}

/// The owner has seen it: the alert stays in the list, and the rule may raise a new
/// one the next time it fires. Acknowledging twice keeps the first time.
pub async fn acknowledge(db: &Db, id: i64) -> Result<Alert, AlertError> {
    let mut conn = db.pool().acquire().await?;
    sqlx::query("UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, $2) WHERE id = $1")
        .bind(id)
        .bind(now_text())
        .execute(&mut *conn)
        .await?;
    by_id(&mut conn, id).await
}

/// An alert's facts as stored: a JSON object, or NULL when there are none.
pub(crate) fn facts_text(facts: &serde_json::Value) -> Option<String> {
    (!facts.is_null()).then(|| facts.to_string())
}

// ---- rules ------------------------------------------------------------------------

/// Balance low: below the owner's threshold when one is set, else below
/// [`LOW_BALANCE_DAYS`] days of spend at the 7-day average. No threshold and no
/// recent spend: nothing to compare with, no alert.
pub fn balance_low(
    balance: &Money,
    runway: &Runway,
    threshold: Option<&Money>,
) -> Option<NewAlert> {
    let (limit, why, facts) = match (threshold, &runway.avg_daily_spend) {
        (Some(t), _) if t.currency == balance.currency => (
            t.amount,
            format!("the alert threshold {t}"),
            json!({ "below": "threshold", "threshold": t.amount_string() }),
        ),
        (_, Some(spend)) if spend.currency == balance.currency => (
            spend.amount * LOW_BALANCE_DAYS,
            format!("two days of spend ({spend}/day, 7-day average)"),
            json!({ "below": "spend", "spend": spend.amount_string() }),
        ),
        _ => return None,
    };
    let mut facts = facts;
    facts["balance"] = json!(balance.amount_string());
    facts["currency"] = json!(balance.currency.code());
    (balance.amount < limit).then(|| NewAlert {
        kind: AlertKind::BalanceLow,
        message: format!(
            "The supplier balance {balance} is below {why}. Top up the supplier account."
        ),
        facts,
        order_ref: None,
    })
}

/// The supplier did not answer the health check.
pub fn supplier_unreachable(error: &str) -> NewAlert {
    NewAlert {
        kind: AlertKind::SupplierUnreachable,
        message: format!(
            "The supplier cannot be reached: {error}. Sales are refused until it answers."
        ),
        facts: json!({ "error": error }),
        order_ref: None,
    }
}

/// Price drift: wholesale prices the sync `run_id` moved by more than [`DRIFT_PCT`].
pub async fn price_drift(db: &Db, run_id: i64) -> Result<Option<NewAlert>, AlertError> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT sku, old_wholesale_minor, new_wholesale_minor FROM price_history
         WHERE sync_run_id = $1 AND old_wholesale_minor != new_wholesale_minor",
    )
    .bind(run_id)
    .fetch_all(db.pool())
    .await?;
    let mut drifted = 0u64;
    let mut largest: Option<(String, Decimal)> = None;
    for (sku, old, new) in rows {
        // Minor units of one currency: the ratio is the same as in whole units.
        let Some(pct) = drift_pct(Decimal::from(old), Decimal::from(new)) else {
            continue;
        };
        if pct.abs() > DRIFT_PCT {
            drifted += 1;
            if largest.as_ref().is_none_or(|(_, l)| pct.abs() > l.abs()) {
                largest = Some((sku, pct));
            }
        }
    }
    Ok(largest.map(|(sku, pct)| NewAlert {
        kind: AlertKind::PriceDrift,
        message: format!(
            "The last catalog sync moved {drifted} wholesale price(s) by more than {DRIFT_PCT}% (largest: {sku} {}{}%). Check your margins.",
            if pct.is_sign_positive() { "+" } else { "" },
            pct.round_dp(1)
        ),
        facts: json!({ "count": drifted, "sku": sku, "pct": pct.round_dp(1).to_string() }),
        order_ref: None,
    }))
}

/// The owner's low-balance threshold, in the balance's currency (setting
/// `alerts.balance_threshold`, a decimal string).
pub async fn balance_threshold(db: &Db) -> Result<Option<Decimal>, AlertError> {
    match settings::get(db.pool(), settings::BALANCE_THRESHOLD).await? {
        Some(text) if !text.trim().is_empty() => parse_decimal(&text).map(Some).map_err(|e| {
            AlertError::Db(DbError::Corrupt {
                what: "settings",
                detail: format!("{}: {e}", settings::BALANCE_THRESHOLD),
            })
        }),
        _ => Ok(None),
    }
}

/// Sets (or with `None`, clears) the low-balance threshold.
pub async fn set_balance_threshold(db: &Db, amount: Option<&str>) -> Result<(), AlertError> {
    let text = match amount.map(str::trim).filter(|a| !a.is_empty()) {
        None => String::new(),
        Some(a) => {
            let d = parse_decimal(a)
                .map_err(|_| AlertError::BadInput(format!("threshold {a:?} is not an amount")))?;
            if d.is_sign_negative() {
                return Err(AlertError::BadInput(
                    "the threshold cannot be negative".into(),
                ));
            }
            d.normalize().to_string()
        }
    };
    settings::set(db.pool(), settings::BALANCE_THRESHOLD, &text).await?;
    Ok(())
}

/// One health check of the supplier: is it reachable, and what does it hold.
#[derive(Debug, Clone)]
pub struct SupplierCheck {
    /// Why it could not be reached; `None` when it answered.
    pub error: Option<String>,
    pub balance: Option<Balance>,
    pub runway: Option<Runway>,
    /// Alerts this check raised (new ones only).
    pub raised: Vec<Alert>,
}

impl SupplierCheck {
    pub fn reachable(&self) -> bool {
        self.error.is_none()
    }
}

/// Asks the supplier for its balance (the cheapest call that proves it answers) and
/// applies the supplier-unreachable and balance-low rules.
pub async fn check_supplier(db: &Db, supplier: &dyn Supplier) -> Result<SupplierCheck, AlertError> {
    let mut raised = Vec::new();
    match supplier.balance().await {
        Err(e) => {
            let error = e.to_string();
            tracing::warn!(error = %error, "supplier health check failed");
            raised.extend(raise(db, &supplier_unreachable(&error)).await?);
            Ok(SupplierCheck {
                error: Some(error),
                balance: None,
                runway: None,
                raised,
            })
        }
        Ok(b) => {
            let runway = balance::runway(db, &b.available).await?;
            let threshold = balance_threshold(db)
                .await?
                .map(|t| Money::new(t, b.available.currency));
            if let Some(low) = balance_low(&b.available, &runway, threshold.as_ref()) {
                raised.extend(raise(db, &low).await?);
            }
            Ok(SupplierCheck {
                error: None,
                balance: Some(b),
                runway: Some(runway),
                raised,
            })
        }
    }
}

/// Refund rate: of the orders paid in the last [`REFUND_RATE_DAYS`] days, the share
/// that ended refunded or due a refund (the supplier refused after payment), when it
/// is above [`REFUND_RATE_PCT`].
pub async fn refund_rate(db: &Db) -> Result<Option<NewAlert>, AlertError> {
    let since = crate::db::time_text(chrono::Utc::now() - chrono::Duration::days(REFUND_RATE_DAYS));
    let (paid, refunded): (i64, i64) = sqlx::query_as(
        "SELECT count(*), CAST(coalesce(sum(CASE WHEN status IN ('refund_due', 'refunded') THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM orders WHERE paid_at >= $1",
    )
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    if paid == 0 {
        return Ok(None);
    }
    let pct = Decimal::from(refunded) * Decimal::ONE_HUNDRED / Decimal::from(paid);
    Ok((paid >= REFUND_RATE_MIN_ORDERS && pct > REFUND_RATE_PCT).then(|| NewAlert {
        kind: AlertKind::RefundRate,
        message: format!(
            "{refunded} of the {paid} orders paid in the last {REFUND_RATE_DAYS} days were refunded or are due a refund ({}%, above {REFUND_RATE_PCT}%). Check the supplier's failures and the orders list.",
            pct.round_dp(1)
        ),
        facts: json!({
            "refunded": refunded, "paid": paid, "days": REFUND_RATE_DAYS,
            "pct": pct.round_dp(1).to_string(),
        }),
        order_ref: None,
    }))
}

/// The refund-rate rule, raised when it fires (once while open).
pub async fn check_refund_rate(db: &Db) -> Result<Option<Alert>, AlertError> {
    match refund_rate(db).await? {
        Some(new) => raise(db, &new).await,
        None => Ok(None),
    }
}

/// Price drift after the sync `run_id`.
pub async fn after_sync(db: &Db, run_id: i64) -> Result<Option<Alert>, AlertError> {
    match price_drift(db, run_id).await? {
        Some(new) => raise(db, &new).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::money::Currency;
    use crate::supplier::{
        CatalogPage, CatalogRequest, DuplicateMode, OrderRequest, Stock, SupplierError,
        SupplierOrder,
    };
    use async_trait::async_trait;
    use rust_decimal_macros::dec;
    use std::sync::Mutex;

    async fn db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        (db, dir)
    }

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    fn runway(spend: Option<&str>) -> Runway {
        Runway {
            avg_daily_spend: spend.map(usd),
            days: None,
        }
    }

    /// A supplier whose balance answer the test sets; nothing else is called.
    struct Fake(Mutex<Result<Balance, SupplierError>>);

    impl Fake {
        fn up(balance: &str) -> Fake {
            Fake(Mutex::new(Ok(Balance {
                available: usd(balance),
                updated_at: chrono::Utc::now(),
            })))
        }
        fn down() -> Fake {
            Fake(Mutex::new(Err(SupplierError::Retryable {
                retry_after: None,
                message: "connection refused".into(),
            })))
        }
    }

    #[async_trait]
    impl Supplier for Fake {
        fn duplicate_mode(&self) -> DuplicateMode {
            DuplicateMode::Replay
        }
        async fn catalog_page(&self, _: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
            unreachable!("not used by the health check")
        }
        async fn stock(&self, _: &str) -> Result<Stock, SupplierError> {
            unreachable!("not used by the health check")
        }
        async fn balance(&self) -> Result<Balance, SupplierError> {
            self.0.lock().unwrap().clone()
        }
        async fn place_order(&self, _: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
            unreachable!("not used by the health check")
        }
        async fn get_order(&self, _: &str) -> Result<Option<SupplierOrder>, SupplierError> {
            unreachable!("not used by the health check")
        }
    }

    #[test]
    fn balance_low_is_below_two_days_of_spend_or_the_owners_threshold() {
        // 7-day average 10/day: low below 20.
        assert!(balance_low(&usd("19.99"), &runway(Some("10.00")), None).is_some());
        assert!(balance_low(&usd("20.00"), &runway(Some("10.00")), None).is_none());
        // No spend, no threshold: nothing to compare with.
        assert!(balance_low(&usd("0.50"), &runway(None), None).is_none());
        // The owner's threshold wins over the spend rule, both ways.
        assert!(balance_low(&usd("50.00"), &runway(Some("10.00")), Some(&usd("100"))).is_some());
        assert!(balance_low(&usd("15.00"), &runway(Some("10.00")), Some(&usd("5"))).is_none());
        let a = balance_low(&usd("15.00"), &runway(Some("10.00")), None).unwrap();
        assert_eq!(a.kind, AlertKind::BalanceLow);
        assert!(a.message.contains("15.00 USD"), "{}", a.message);
        assert_eq!(
            a.facts,
            json!({ "below": "spend", "spend": "10.00", "balance": "15.00", "currency": "USD" })
        );
        let a = balance_low(&usd("50.00"), &runway(None), Some(&usd("100"))).unwrap();
        assert_eq!(a.facts["below"], "threshold");
        assert_eq!(a.facts["threshold"], "100.00");
    }

    #[tokio::test]
    async fn an_alert_is_raised_once_while_open_and_again_after_acknowledgement() {
        let (db, _dir) = db().await;
        let low = balance_low(&usd("1.00"), &runway(Some("10.00")), None).unwrap();
        let first = raise(&db, &low).await.unwrap().unwrap();
        assert_eq!(first.state, AlertState::Open);
        assert_eq!(
            first.facts.as_ref(),
            Some(&low.facts),
            "the facts are stored"
        );
        assert!(
            raise(&db, &low).await.unwrap().is_none(),
            "not duplicated while open"
        );
        assert_eq!(list(&db, false, 50).await.unwrap().len(), 1);
        assert_eq!(open_count(&db).await.unwrap(), 1);

        let acked = acknowledge(&db, first.id).await.unwrap();
        assert_eq!(acked.state, AlertState::Acknowledged);
        assert_eq!(open_count(&db).await.unwrap(), 0);
        let second = raise(&db, &low).await.unwrap().unwrap();
        assert_ne!(second.id, first.id);
        let all = list(&db, false, 50).await.unwrap();
        assert_eq!(
            all.iter().map(|a| a.id).collect::<Vec<_>>(),
            [second.id, first.id],
            "newest first"
        );
        assert_eq!(list(&db, true, 50).await.unwrap().len(), 1);
        assert!(matches!(
            acknowledge(&db, 999).await,
            Err(AlertError::NotFound(999))
        ));
    }

    #[tokio::test]
    async fn alerts_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codetill.db");
        let db = Db::open(&path).await.unwrap();
        raise(&db, &supplier_unreachable("timeout"))
            .await
            .unwrap()
            .unwrap();
        db.close().await;
        let db = Db::open(&path).await.unwrap();
        let all = list(&db, false, 10).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].kind, AlertKind::SupplierUnreachable);
        // Still open after the restart: no second one.
        assert!(
            raise(&db, &supplier_unreachable("timeout"))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn an_unreachable_supplier_is_alerted_once_per_outage() {
        let (db, _dir) = db().await;
        let down = Fake::down();
        let check = check_supplier(&db, &down).await.unwrap();
        assert!(!check.reachable());
        assert_eq!(check.raised.len(), 1);
        assert_eq!(check.raised[0].kind, AlertKind::SupplierUnreachable);
        assert!(check.raised[0].message.contains("connection refused"));
        // Every minute while it stays down: no new alert.
        let again = check_supplier(&db, &down).await.unwrap();
        assert!(again.raised.is_empty());
        // Back up: reachable, nothing raised (no spend, no threshold).
        let up = check_supplier(&db, &Fake::up("500.00")).await.unwrap();
        assert!(up.reachable());
        assert!(up.raised.is_empty());
        assert_eq!(up.balance.unwrap().available, usd("500.00"));
    }

    #[tokio::test]
    async fn the_health_check_raises_balance_low_under_the_owners_threshold_once() {
        let (db, _dir) = db().await;
        set_balance_threshold(&db, Some("100")).await.unwrap();
        assert_eq!(balance_threshold(&db).await.unwrap(), Some(dec!(100)));
        let check = check_supplier(&db, &Fake::up("40.00")).await.unwrap();
        assert_eq!(check.raised.len(), 1);
        assert_eq!(check.raised[0].kind, AlertKind::BalanceLow);
        assert!(
            check_supplier(&db, &Fake::up("39.00"))
                .await
                .unwrap()
                .raised
                .is_empty()
        );
        set_balance_threshold(&db, None).await.unwrap();
        assert_eq!(balance_threshold(&db).await.unwrap(), None);
        assert!(matches!(
            set_balance_threshold(&db, Some("-5")).await,
            Err(AlertError::BadInput(_))
        ));
        assert!(matches!(
            set_balance_threshold(&db, Some("lots")).await,
            Err(AlertError::BadInput(_))
        ));
    }

    async fn sync_with_changes(db: &Db, changes: &[(&str, i64, i64)]) -> i64 {
        let now = now_text();
        let run: i64 = sqlx::query_scalar(
            "INSERT INTO sync_runs (kind, started_at, status) VALUES ('full', $1, 'ok') RETURNING id",
        )
        .bind(&now)
        .fetch_one(db.pool())
        .await
        .unwrap();
        for (sku, old, new) in changes {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO products (sku, name, brand, category, region, face_minor, face_currency,
                     wholesale_minor, retail_minor, currency, in_stock, supplier_updated_at, updated_at)
                 VALUES ($1, $1, 'b', 'gift_card', 'US', 1000, 'USD', $2, $2, 'USD', 1, $3, $3)
                 ON CONFLICT (sku) DO UPDATE SET wholesale_minor = excluded.wholesale_minor
                 RETURNING id",
            )
            .bind(sku)
            .bind(new)
            .bind(&now)
            .fetch_one(db.pool())
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO price_history (product_id, sku, currency, old_wholesale_minor, new_wholesale_minor,
                     old_retail_minor, new_retail_minor, sync_run_id, changed_at)
                 VALUES ($1, $2, 'USD', $3, $4, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(sku)
            .bind(old)
            .bind(new)
            .bind(run)
            .bind(&now)
            .execute(db.pool())
            .await
            .unwrap();
        }
        run
    }

    #[tokio::test]
    async fn a_sync_that_moves_wholesale_more_than_three_percent_raises_price_drift_once() {
        let (db, _dir) = db().await;
        // 3% exactly is not drift; 2% is not; 3.5% down is.
        let calm = sync_with_changes(&db, &[("A", 10000, 10300), ("B", 10000, 10200)]).await;
        assert!(after_sync(&db, calm).await.unwrap().is_none());

        let run = sync_with_changes(&db, &[("A", 10300, 10000), ("C", 2000, 2200)]).await;
        let alert = after_sync(&db, run).await.unwrap().unwrap();
        assert_eq!(alert.kind, AlertKind::PriceDrift);
        assert!(
            alert.message.contains("moved 1 wholesale"),
            "{}",
            alert.message
        );
        assert!(alert.message.contains("C +10.0%"), "{}", alert.message);
        assert_eq!(
            alert.facts,
            Some(json!({ "count": 1, "sku": "C", "pct": "10.0" }))
        );

        let next = sync_with_changes(&db, &[("C", 2200, 2600)]).await;
        assert!(
            after_sync(&db, next).await.unwrap().is_none(),
            "one open drift alert is enough"
        );
    }

    #[tokio::test]
    async fn a_refund_rate_above_one_percent_over_seven_days_is_raised_once() {
        let (db, _dir) = db().await;
        let day = |days_ago: i64| {
            crate::db::time_text(chrono::Utc::now() - chrono::Duration::days(days_ago))
        };
        let mut n = 0;
        let mut order = |status: &'static str, paid_at: String| {
            n += 1;
            let (db, n) = (db.clone(), n);
            async move {
                sqlx::query(
                    "INSERT INTO orders (public_id, client_order_id, status, sku, name, region,
                         face_minor, face_currency, price_minor, currency, max_unit_minor,
                         wholesale_currency, staff, created_at, paid_at, updated_at)
                     VALUES ('ORD-' || $1, 'ct-' || $1, $2, 'S', 'S', 'US', 1, 'USD', 1, 'USD', 1,
                         'USD', 'asha', $3, $3, $3)",
                )
                .bind(n)
                .bind(status)
                .bind(paid_at)
                .execute(db.pool())
                .await
                .unwrap();
            }
        };
        assert!(check_refund_rate(&db).await.unwrap().is_none(), "no sales");
        for _ in 0..100 {
            order("delivered", day(1)).await;
        }
        order("refunded", day(2)).await;
        // 1 of 101: under 1%. A refund 8 days ago does not count.
        order("refund_due", day(8)).await;
        assert!(check_refund_rate(&db).await.unwrap().is_none());
        order("refund_due", day(0)).await;
        // 2 of 102: 1.96%.
        let alert = check_refund_rate(&db).await.unwrap().unwrap();
        assert_eq!(alert.kind, AlertKind::RefundRate);
        assert_eq!(
            alert.facts,
            Some(json!({ "refunded": 2, "paid": 102, "days": 7, "pct": "2.0" }))
        );
        assert!(alert.message.contains("2 of the 102"), "{}", alert.message);
        assert!(
            check_refund_rate(&db).await.unwrap().is_none(),
            "raised once while open"
        );
    }

    #[tokio::test]
    async fn the_outboxs_delivery_alerts_share_the_list() {
        let (db, _dir) = db().await;
        sqlx::query(
            "INSERT INTO alerts (at, kind, message) VALUES ('2026-03-01T09:00:00.000Z', 'email_failed', 'Email to a@b.c failed'),
                 ('2026-03-01T09:01:00.000Z', 'something_newer', 'from a newer till')",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let all = list(&db, true, 10).await.unwrap();
        assert_eq!(all.len(), 1, "an unknown kind is left out, not an error");
        assert_eq!(all[0].kind, AlertKind::EmailFailed);
        assert_eq!(all[0].created_at, "2026-03-01T09:00:00.000Z");
        assert_eq!(all[0].facts, None, "alerts stored before facts were kept");
        let acked = acknowledge(&db, all[0].id).await.unwrap();
        assert_eq!(acked.state, AlertState::Acknowledged);
    }
}
