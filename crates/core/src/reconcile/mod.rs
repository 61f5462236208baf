//! Reconciliation: does the supplier's own history agree with our orders?
//!
//! For a window and one supplier account, [`run`] reads the supplier's transactions
//! ([`crate::supplier::Supplier::transactions`]) and our orders, and matches them by
//! key (`matcher`). It finds (a) money the supplier took with no delivered order here
//! (a charge under a key we have as refund due, failed or still open, or under no key
//! of ours at all), (b) an order delivered here that the supplier shows neither in
//! its list nor when asked by key, (c) a charge that differs from the cost we
//! recorded (`orders.supplier_total_minor`, in `wholesale_currency`), and (d) a
//! balance that moved by more or less than the charges and the top-ups the owner
//! recorded (`topups`) since the last run's reading. Each run, its balance reading
//! and its findings are stored (`store`); any finding raises one
//! [`AlertKind::ReconcileDiscrepancy`](crate::alerts::AlertKind) alert.
//!
//! A charged order that is still open here, or refund due while the supplier
//! completed it, can be delivered ([`deliver`]): its codes are fetched by its key,
//! never bought again, and go to the order's own buyer.

mod matcher;
mod store;
pub mod topups;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::alerts::{Alert, AlertError};
use crate::db::{Db, DbError};
use crate::money::Money;
use crate::orders::{Engine, OrderError, OrderStatus, Outcome};
use crate::supplier::{Supplier, SupplierError, SupplierOrderStatus, SupplierTransaction, Window};

pub use matcher::{BalanceFigures, Matched, OurOrder, balance_check, match_window};
pub use topups::{NewTopup, Topup};

/// The shop's single supplier (environment or settings), as runs and top-ups name it.
pub const SHOP_SUPPLIER: &str = "";

/// The supplier's list is read from this long before the window, so that an order
/// sent just before it and charged just after is still matched.
const LIST_SLACK_MINUTES: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Supplier(#[from] SupplierError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Alert(#[from] AlertError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ReconcileError {
    fn from(e: sqlx::Error) -> Self {
        ReconcileError::Db(DbError::Sql(e))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// (a) The supplier took money for an order not delivered here, or no order here.
    ChargedNotDelivered,
    /// (b) Delivered here; the supplier shows no such order.
    DeliveredNotCharged,
    /// (c) The supplier charged another amount than the recorded cost.
    AmountMismatch,
    /// (d) The balance moved by more or less than charges and top-ups explain.
    BalanceUnexplained,
}

impl FindingKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FindingKind::ChargedNotDelivered => "charged_not_delivered",
            FindingKind::DeliveredNotCharged => "delivered_not_charged",
            FindingKind::AmountMismatch => "amount_mismatch",
            FindingKind::BalanceUnexplained => "balance_unexplained",
        }
    }
}

/// What the owner can do about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Fetch the order's codes from the supplier (by key; nothing is bought) and
    /// deliver them to its buyer: `codetill reconcile deliver ORDER`.
    Deliver,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The order here (`ORD-000123`), when there is one.
    pub order: Option<String>,
    #[serde(skip)]
    pub order_row: Option<i64>,
    pub order_status: Option<OrderStatus>,
    /// The key the supplier holds the charge under.
    pub key: Option<String>,
    pub supplier_order_id: Option<String>,
    pub supplier_status: Option<SupplierOrderStatus>,
    /// What the supplier took (account currency).
    pub charged: Option<Money>,
    /// What we recorded as the order's cost.
    pub cost: Option<Money>,
    pub action: Option<Action>,
    pub message: String,
}

impl Finding {
    pub(crate) fn of_charge(
        kind: FindingKind,
        tx: &SupplierTransaction,
        order: Option<&OurOrder>,
        action: Option<Action>,
        message: String,
    ) -> Finding {
        Finding {
            kind,
            order: order.map(|o| o.public_id.clone()),
            order_row: order.map(|o| o.id),
            order_status: order.map(|o| o.status),
            key: Some(tx.key.clone()).filter(|k| !k.is_empty()),
            supplier_order_id: Some(tx.order_id.clone()),
            supplier_status: Some(tx.status),
            charged: Some(tx.charged),
            cost: order.and_then(|o| o.cost),
            action,
            message,
        }
    }
}

/// One run's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_id: i64,
    /// The supplier account reconciled; null for the shop's single supplier.
    pub supplier: Option<String>,
    pub window: Window,
    /// The supplier's transactions in the window, and what the charges came to.
    pub transactions: usize,
    pub charged: Option<Money>,
    /// The balance read now.
    pub balance: Option<Money>,
    /// The movement since the last reading, when there was one.
    pub balance_check: Option<BalanceFigures>,
    /// What could not be added up (another currency than the balance's).
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
    /// No finding at all.
    pub clean: bool,
    /// The alert this run raised (none when clean, or one is still open).
    pub alert: Option<Alert>,
}

/// Reconciles `window` (its end no later than now) of the supplier account `name`
/// ([`SHOP_SUPPLIER`] for the shop's single supplier) through `supplier`.
pub async fn run(
    db: &Db,
    supplier: &dyn Supplier,
    name: &str,
    window: Window,
) -> Result<Report, ReconcileError> {
    let now = Utc::now();
    let window = Window {
        from: window.from,
        to: window.to.min(now),
    };
    if window.from >= window.to {
        return Err(ReconcileError::BadInput {
            field: "--since",
            message: format!(
                "{} is not before now",
                window.from.format("%Y-%m-%d %H:%M:%S UTC")
            ),
        });
    }
    let opening = store::opening_reading(db, name, window.from).await?;
    let balance = supplier.balance().await?.available;
    let list_from = opening
        .as_ref()
        .map_or(window.from, |o| o.at.min(window.from))
        - Duration::minutes(LIST_SLACK_MINUTES);
    let transactions = supplier
        .transactions(&Window {
            from: list_from,
            to: window.to,
        })
        .await?;
    let orders = store::orders_for(db, supplier, name, window.from - Duration::days(31)).await?;
    let Matched {
        mut findings,
        unlisted,
    } = match_window(&transactions, &orders, &window);
    let mut notes = Vec::new();
    // Not in the list: asked for one by one before being called missing.
    for i in unlisted {
        let order = &orders[i];
        // Only orders bought at this account now are unlisted.
        let Some(key) = order.client_order_id.as_deref() else {
            continue;
        };
        match supplier.get_order(key).await? {
            Some(found) if found.status != SupplierOrderStatus::Failed => {
                let tx = SupplierTransaction {
                    key: supplier.key_for(key),
                    order_id: found.order_id,
                    status: found.status,
                    charged: found.total,
                    at: order.delivered_at.unwrap_or(now),
                };
                findings.extend(matcher::amount_differs(&tx, order));
            }
            _ => findings.push(matcher::not_shown(order)),
        }
    }
    let in_window: Vec<&SupplierTransaction> = transactions
        .iter()
        .filter(|t| window.contains(t.at))
        .collect();
    let charged = sum(in_window
        .iter()
        .filter(|t| t.is_charge())
        .map(|t| t.charged));
    let mut check = None;
    if let Some(opening) = &opening {
        let topups = topups::amounts_between(db, name, opening.at, now).await?;
        match balance_check(opening.at, opening.balance, balance, &transactions, &topups) {
            Some((figures, skipped)) => {
                notes.extend(skipped);
                if !figures.explained() {
                    findings.push(figures.finding());
                }
                check = Some(figures);
            }
            None => notes.push(format!(
                "the balance was read in {} before and in {} now: its movement is not compared",
                opening.balance.currency, balance.currency
            )),
        }
    }
    let (run_id, alert) = store::save(
        db,
        &store::Run {
            supplier: name,
            window: &window,
            balance: &balance,
            at: now,
            transactions: in_window.len(),
        },
        &findings,
    )
    .await?;
    Ok(Report {
        run_id,
        supplier: Some(name.to_string()).filter(|n| !n.is_empty()),
        window,
        transactions: in_window.len(),
        charged,
        balance: Some(balance),
        balance_check: check,
        notes,
        clean: findings.is_empty(),
        findings,
        alert,
    })
}

/// The charges added up, when they are in one currency.
fn sum(amounts: impl Iterator<Item = Money>) -> Option<Money> {
    let mut total: Option<Money> = None;
    for m in amounts {
        total = match total {
            None => Some(m),
            Some(t) if t.currency == m.currency => {
                Some(Money::new(t.amount + m.amount, m.currency))
            }
            Some(_) => return None,
        };
    }
    total
}

/// The window a day's run covers: the day before `now`, midnight to midnight UTC.
pub fn yesterday(now: DateTime<Utc>) -> Window {
    let today = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    Window {
        from: today - Duration::days(1),
        to: today,
    }
}

/// Delivers an order reconciliation found charged but not delivered: an open order
/// goes the engine's usual way (looked up by key, sent only if the supplier never
/// had it), a `refund_due` one has its codes fetched by key and delivered to its
/// buyer instead of a refund. Any other state is refused, nothing changed.
pub async fn deliver(engine: &Engine, reference: &str) -> Result<Outcome, ReconcileError> {
    let order = crate::orders::find(engine.db(), reference).await?;
    let outcome = match order.status {
        s if s.is_open() => engine.fulfil(order.id).await?,
        OrderStatus::RefundDue => engine.deliver_found(order.id).await?,
        other => {
            return Err(ReconcileError::BadInput {
                field: "ORDER",
                message: format!(
                    "{} is {other}: only an open or refund-due order can be delivered",
                    order.public_id
                ),
            });
        }
    };
    tracing::info!(order = %order.public_id, outcome = ?outcome, "reconciliation asked to deliver");
    Ok(outcome)
}

/// Reads `--since` (`YYYY-MM-DD`, midnight UTC, or RFC 3339).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, ReconcileError> {
    topups::parse_time(text, "--since", false)
}

#[cfg(test)]
mod tests;
