//! What reconciliation reads and keeps: our orders near the window, the balance
//! reading a run starts from, and each run with its findings (and its alert) in one
//! transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Finding, FindingKind, OurOrder, ReconcileError};
use crate::alerts::{self, Alert, AlertKind, NewAlert};
use crate::db::{Db, DbError, time_text};
use crate::money::{Currency, Money};
use crate::orders::OrderStatus;
use crate::supplier::{Supplier, Window};

/// Our orders at the account `name` ([`super::SHOP_SUPPLIER`]: the shop's single
/// supplier) created since `created_since`, or delivered since then, with every key
/// that account knows them by: the order's key while it was bought there, and the
/// key of each attempt that failed over from it (refused, so nothing should have
/// been charged under it; if something was, the charge names the order).
pub(super) async fn orders_for(
    db: &Db,
    supplier: &dyn Supplier,
    name: &str,
    created_since: DateTime<Utc>,
) -> Result<Vec<OurOrder>, ReconcileError> {
    type Row = (
        i64,
        String,
        Option<String>,
        String,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
    );
    // One row per (order, key): the order's own key when its current supplier is
    // this account, else NULL; then one row per attempt it made at this account.
    let rows: Vec<Row> = sqlx::query_as(
        "WITH recent AS (
             SELECT * FROM orders WHERE created_at >= $1 OR delivered_at >= $1
         )
         SELECT id, public_id,
                CASE WHEN coalesce(supplier, '') = $2
                     THEN coalesce(attempt_key, client_order_id) END,
                status, supplier_total_minor, wholesale_currency, delivered_at, NULL
           FROM recent
          WHERE coalesce(supplier, '') = $2
         UNION ALL
         SELECT r.id, r.public_id, NULL, r.status, r.supplier_total_minor,
                r.wholesale_currency, r.delivered_at, a.client_order_id
           FROM recent r JOIN order_attempts a ON a.order_id = r.id
          WHERE coalesce(a.supplier, '') = $2
         ORDER BY 1",
    )
    .bind(time_text(created_since))
    .bind(name)
    .fetch_all(db.pool())
    .await?;
    let mut orders: Vec<OurOrder> = Vec::new();
    for (id, public_id, current, status, total, currency, delivered, attempt) in rows {
        let corrupt = |detail: String| {
            ReconcileError::Db(DbError::Corrupt {
                what: "orders",
                detail: format!("{public_id}: {detail}"),
            })
        };
        let order = match orders.last_mut() {
            Some(o) if o.id == id => o,
            _ => {
                let status: OrderStatus = status.parse().map_err(|e| corrupt(format!("{e}")))?;
                let cost = match total {
                    Some(minor) => Some(Money::from_minor(
                        minor,
                        Currency::parse(&currency).map_err(|e| corrupt(e.to_string()))?,
                    )),
                    None => None,
                };
                let delivered_at = match delivered {
                    Some(t) => {
                        Some(parse(&t).ok_or_else(|| corrupt(format!("delivered_at {t:?}")))?)
                    }
                    None => None,
                };
                orders.push(OurOrder {
                    id,
                    keys: Vec::new(),
                    public_id: public_id.clone(),
                    client_order_id: None,
                    status,
                    cost,
                    delivered_at,
                });
                orders
                    .last_mut()
                    .ok_or_else(|| corrupt("vanished".into()))?
            }
        };
        if let Some(key) = current {
            order.keys.insert(0, supplier.key_for(&key));
            order.client_order_id = Some(key);
        }
        if let Some(key) = attempt {
            order.keys.push(supplier.key_for(&key));
        }
    }
    Ok(orders)
}

fn parse(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The balance as an earlier run read it.
#[derive(Debug, Clone)]
pub(super) struct Reading {
    pub at: DateTime<Utc>,
    pub balance: Money,
}

/// The reading a run over a window from `from` measures the balance's movement
/// from: the last one taken at or before `from`, else the first one after it.
pub(super) async fn opening_reading(
    db: &Db,
    supplier: &str,
    from: DateTime<Utc>,
) -> Result<Option<Reading>, ReconcileError> {
    let from = time_text(from);
    let pick = |sql: &'static str| {
        sqlx::query_as::<_, (String, i64, String)>(sql)
            .bind(supplier)
            .bind(from.clone())
            .fetch_optional(db.pool())
    };
    let mut row = pick(
        "SELECT at, balance_minor, balance_currency FROM reconcile_runs
          WHERE supplier = $1 AND balance_minor IS NOT NULL AND at <= $2
          ORDER BY at DESC, id DESC LIMIT 1",
    )
    .await?;
    if row.is_none() {
        row = pick(
            "SELECT at, balance_minor, balance_currency FROM reconcile_runs
              WHERE supplier = $1 AND balance_minor IS NOT NULL AND at > $2
              ORDER BY at ASC, id ASC LIMIT 1",
        )
        .await?;
    }
    let Some((at, minor, currency)) = row else {
        return Ok(None);
    };
    let corrupt = |detail: String| {
        ReconcileError::Db(DbError::Corrupt {
            what: "reconcile_runs",
            detail,
        })
    };
    Ok(Some(Reading {
        at: parse(&at).ok_or_else(|| corrupt(format!("at {at:?}")))?,
        balance: Money::from_minor(
            minor,
            Currency::parse(&currency).map_err(|e| corrupt(e.to_string()))?,
        ),
    }))
}

pub(super) struct Run<'a> {
    pub supplier: &'a str,
    pub window: &'a Window,
    pub balance: &'a Money,
    pub at: DateTime<Utc>,
    pub transactions: usize,
}

/// Stores the run, its findings and, when it found anything, its alert, in one
/// transaction. Answers the run's id and the alert when a new one was raised.
pub(super) async fn save(
    db: &Db,
    run: &Run<'_>,
    findings: &[Finding],
) -> Result<(i64, Option<Alert>), ReconcileError> {
    let minor = |m: &Money| m.to_minor().ok();
    let mut tx = db.begin_write().await?;
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO reconcile_runs (supplier, window_from, window_to, balance_minor,
             balance_currency, transactions, findings, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(run.supplier)
    .bind(time_text(run.window.from))
    .bind(time_text(run.window.to))
    .bind(minor(run.balance))
    .bind(run.balance.currency.code())
    .bind(i64::try_from(run.transactions).unwrap_or(i64::MAX))
    .bind(i64::try_from(findings.len()).unwrap_or(i64::MAX))
    .bind(time_text(run.at))
    .fetch_one(&mut *tx)
    .await?;
    for f in findings {
        let currency = f.charged.or(f.cost).map(|m| m.currency.code().to_string());
        sqlx::query(
            "INSERT INTO reconcile_findings (run_id, kind, order_id, supplier_key,
                 supplier_order_id, supplier_status, charged_minor, cost_minor, currency,
                 action, message, facts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(run_id)
        .bind(f.kind.as_str())
        .bind(f.order_row)
        .bind(&f.key)
        .bind(&f.supplier_order_id)
        .bind(f.supplier_status.map(|s| {
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        }))
        .bind(f.charged.as_ref().and_then(minor))
        .bind(f.cost.as_ref().and_then(minor))
        .bind(currency)
        .bind(f.action.map(|_| "deliver"))
        .bind(&f.message)
        .bind(serde_json::to_string(f).ok())
        .execute(&mut *tx)
        .await?;
    }
    let alert = match discrepancy(run.supplier, findings) {
        Some(new) => alerts::raise_in(&mut tx, &new, None).await?,
        None => None,
    };
    let alert = match alert {
        Some(id) => Some(alerts::by_id(&mut tx, id).await?),
        None => None,
    };
    tx.commit().await?;
    Ok((run_id, alert))
}

/// One alert for a run's findings, counted by kind.
fn discrepancy(supplier: &str, findings: &[Finding]) -> Option<NewAlert> {
    if findings.is_empty() {
        return None;
    }
    let count = |k: FindingKind| findings.iter().filter(|f| f.kind == k).count();
    let deliverable = findings.iter().filter(|f| f.action.is_some()).count();
    let who = if supplier.is_empty() {
        "the supplier".to_string()
    } else {
        format!("supplier {supplier}")
    };
    Some(NewAlert {
        kind: AlertKind::ReconcileDiscrepancy,
        message: format!(
            "Reconciling {who} found {} discrepancies: {} charge(s) with no delivered order, {} delivered order(s) the supplier does not show, {} amount(s) that differ, {} unexplained balance movement(s). Run `codetill reconcile` for the details.",
            findings.len(),
            count(FindingKind::ChargedNotDelivered),
            count(FindingKind::DeliveredNotCharged),
            count(FindingKind::AmountMismatch),
            count(FindingKind::BalanceUnexplained),
        ),
        facts: json!({
            "supplier": supplier,
            "count": findings.len(),
            "charged_not_delivered": count(FindingKind::ChargedNotDelivered),
            "delivered_not_charged": count(FindingKind::DeliveredNotCharged),
            "amount_mismatch": count(FindingKind::AmountMismatch),
            "balance_unexplained": count(FindingKind::BalanceUnexplained),
            "deliverable": deliverable,
        }),
        order_ref: None,
    })
}
