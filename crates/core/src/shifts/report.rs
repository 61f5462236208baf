//! A shift's figures: what was taken by payment method, what was given back, the
//! codes issued, cost and margin (in total and by category), and the cash the drawer
//! should hold against what was counted.
//!
//! Sales are the payments taken in the shift, whatever became of their orders; the
//! refunds are those given back in the shift. Cost and margin are over the orders
//! delivered (a code issued), each cost turned into the shift's currency at its own
//! order's rate (`orders.fx_rate`); the costs are summed exactly per (currency, rate)
//! and rounded up once, so a margin is never over-stated. Money in another currency
//! than the shift's (a shop that changed currency mid-shift) is not added in: it is
//! counted in `other_currency_orders`.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::{CashMove, CashMoveKind, Shift, ShiftError, currency_of};
use crate::db::DbError;
use crate::money::{Currency, Money};
use crate::orders::OrderStatus;
use crate::orders::state::sql_list;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The open shift, as it stands.
    X,
    /// A closed shift, as it was at its close.
    Z,
}

/// Takings or refunds of one payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodLine {
    pub method: String,
    pub count: i64,
    pub amount: Money,
}

/// Delivered sales of one product category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryLine {
    pub category: String,
    pub orders: i64,
    pub codes: i64,
    pub sales: Money,
    pub cost: Money,
    pub margin: Money,
    /// Margin as a percentage of sales, one decimal; `None` without sales.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub margin_pct: Option<Decimal>,
}

/// What the drawer should hold, and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashDrawer {
    pub float: Money,
    pub cash_sales: Money,
    pub cash_refunds: Money,
    pub cash_in: Money,
    pub cash_out: Money,
    /// float + cash sales − cash refunds + cash in − cash out.
    pub expected: Money,
    /// Only on a Z-report.
    pub counted: Option<Money>,
    /// counted − expected: positive over, negative short.
    pub over_short: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    pub kind: ReportKind,
    pub z_number: Option<i64>,
    pub till_id: Option<String>,
    pub currency: Currency,
    /// Who opened the shift, and who closed it.
    pub opened_by: String,
    pub opened_at: String,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    /// When these figures were taken (the close, for a Z-report).
    pub at: String,
    pub sales: Vec<MethodLine>,
    pub sales_count: i64,
    pub sales_total: Money,
    pub refunds: Vec<MethodLine>,
    pub refunds_count: i64,
    pub refunds_total: Money,
    /// sales − refunds.
    pub net: Money,
    pub codes_issued: i64,
    /// Sales of the delivered orders, their cost and the margin between.
    pub delivered_sales: Money,
    pub cost: Money,
    pub margin: Money,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub margin_pct: Option<Decimal>,
    pub by_category: Vec<CategoryLine>,
    /// Paid orders the supplier has not finished yet (their cost is not known).
    pub awaiting_supplier: i64,
    /// Orders of the shift in another currency, left out of the money figures.
    pub other_currency_orders: i64,
    pub cash: CashDrawer,
    pub cash_moves: Vec<CashMove>,
}

fn corrupt(detail: impl ToString) -> DbError {
    DbError::Corrupt {
        what: "orders",
        detail: detail.to_string(),
    }
}

pub use crate::pricing::margin_pct;

/// Costs in several currencies at several rates, summed exactly in one currency.
#[derive(Debug, Default)]
pub(crate) struct CostSum(Decimal);

impl CostSum {
    /// `minor` units of `cost_currency`, turned at `rate` (units of the sale currency
    /// per unit of the cost currency).
    pub(crate) fn add(
        &mut self,
        minor: i64,
        cost_currency: &str,
        rate: &str,
    ) -> Result<(), DbError> {
        let c = currency_of(cost_currency, "orders")?;
        let rate = if rate.is_empty() {
            Decimal::ONE
        } else {
            rate.parse::<Decimal>().map_err(corrupt)?
        };
        let cost = Decimal::new(minor, c.exponent());
        self.0 = cost
            .checked_mul(rate)
            .and_then(|v| v.checked_add(self.0))
            .ok_or_else(|| corrupt("a cost too large to add"))?;
        Ok(())
    }

    /// The sum, rounded up to `currency`'s minor unit (a cost is never under-counted).
    pub(crate) fn total(&self, currency: Currency) -> Money {
        Money::new(
            self.0
                .round_dp_with_strategy(currency.exponent(), RoundingStrategy::ToPositiveInfinity),
            currency,
        )
    }
}

/// The figures of `shift` as they stand (inside the caller's transaction when it
/// closes the shift).
pub(crate) async fn figures(
    conn: &mut AnyConnection,
    shift: &Shift,
) -> Result<ShiftReport, ShiftError> {
    let currency = shift.float.currency;
    let code = currency.code();
    let money = |minor: i64| Money::from_minor(minor, currency);

    let lines = |rows: Vec<(String, i64, i64)>| -> Vec<MethodLine> {
        rows.into_iter()
            .map(|(method, count, minor)| MethodLine {
                method,
                count,
                amount: money(minor),
            })
            .collect()
    };
    let sales = lines(
        sqlx::query_as(
            "SELECT p.method, count(*), CAST(sum(p.amount_minor) AS BIGINT) FROM orders o
             JOIN payments p ON p.order_id = o.id
             WHERE o.shift_id = $1 AND p.currency = $2
             GROUP BY p.method ORDER BY p.method",
        )
        .bind(shift.id)
        .bind(code)
        .fetch_all(&mut *conn)
        .await?,
    );
    let refunds = lines(
        sqlx::query_as(
            "SELECT method, count(*), CAST(sum(amount_minor) AS BIGINT) FROM refunds
             WHERE shift_id = $1 AND currency = $2
             GROUP BY method ORDER BY method",
        )
        .bind(shift.id)
        .bind(code)
        .fetch_all(&mut *conn)
        .await?,
    );

    type Delivered = (String, String, String, i64, i64, i64, i64);
    let delivered: Vec<Delivered> = sqlx::query_as(&format!(
        "SELECT coalesce(pr.category, 'other'), o.wholesale_currency, coalesce(o.fx_rate, ''),
                count(*), CAST(sum(o.quantity) AS BIGINT), CAST(sum(o.price_minor) AS BIGINT),
                CAST(sum(coalesce(o.supplier_total_minor, o.max_unit_minor * o.quantity)) AS BIGINT)
         FROM orders o LEFT JOIN products pr ON pr.sku = o.sku
         WHERE o.shift_id = $1 AND o.currency = $2 AND o.status = {delivered}
         GROUP BY 1, 2, 3",
        delivered = sql_list([OrderStatus::Delivered]),
    ))
    .bind(shift.id)
    .bind(code)
    .fetch_all(&mut *conn)
    .await?;
    let mut categories: BTreeMap<String, (i64, i64, i64, CostSum)> = BTreeMap::new();
    let mut all_cost = CostSum::default();
    let mut delivered_minor = 0i64;
    for (category, cost_currency, rate, orders, codes, sales_minor, cost_minor) in delivered {
        delivered_minor += sales_minor;
        let c = categories.entry(category).or_default();
        c.0 += orders;
        c.1 += codes;
        c.2 += sales_minor;
        c.3.add(cost_minor, &cost_currency, &rate)?;
        all_cost.add(cost_minor, &cost_currency, &rate)?;
    }
    let by_category: Vec<CategoryLine> = categories
        .into_iter()
        .map(|(category, (orders, codes, sales_minor, cost))| {
            let sales = money(sales_minor);
            let cost = cost.total(currency);
            let margin = sales.amount - cost.amount;
            CategoryLine {
                category,
                orders,
                codes,
                sales,
                cost,
                margin: Money::new(margin, currency),
                margin_pct: margin_pct(margin, sales.amount),
            }
        })
        .collect();
    let codes_issued = by_category.iter().map(|c| c.codes).sum();
    let delivered_sales = money(delivered_minor);
    let cost = all_cost.total(currency);
    let margin = delivered_sales.amount - cost.amount;

    let (awaiting_supplier, other_currency_orders): (i64, i64) = sqlx::query_as(&format!(
        "SELECT coalesce(CAST(sum(CASE WHEN currency = $2 AND status IN ({open}) THEN 1 ELSE 0 END) AS BIGINT), 0),
                coalesce(CAST(sum(CASE WHEN currency != $2 THEN 1 ELSE 0 END) AS BIGINT), 0)
         FROM orders WHERE shift_id = $1",
        open = sql_list(OrderStatus::ALL.into_iter().filter(|s| s.is_open())),
    ))
    .bind(shift.id)
    .bind(code)
    .fetch_one(&mut *conn)
    .await?;

    let moves: Vec<(String, i64, String, String, String)> = sqlx::query_as(
        "SELECT kind, amount_minor, reason, staff, at FROM shift_cash_moves
         WHERE shift_id = $1 ORDER BY id",
    )
    .bind(shift.id)
    .fetch_all(&mut *conn)
    .await?;
    let cash_moves: Vec<CashMove> = moves
        .into_iter()
        .map(|(kind, minor, reason, staff, at)| CashMove {
            kind: if kind == "in" {
                CashMoveKind::In
            } else {
                CashMoveKind::Out
            },
            amount: money(minor),
            reason,
            staff,
            at,
        })
        .collect();

    let sum_of = |lines: &[MethodLine], method: Option<&str>| -> Decimal {
        lines
            .iter()
            .filter(|l| method.is_none_or(|m| l.method == m))
            .map(|l| l.amount.amount)
            .sum()
    };
    let moved = |kind: CashMoveKind| -> Decimal {
        cash_moves
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.amount.amount)
            .sum()
    };
    let cash_sales = sum_of(&sales, Some("cash"));
    let cash_refunds = sum_of(&refunds, Some("cash"));
    let (cash_in, cash_out) = (moved(CashMoveKind::In), moved(CashMoveKind::Out));
    let expected = shift.float.amount + cash_sales - cash_refunds + cash_in - cash_out;
    let m = |d: Decimal| Money::new(d, currency);
    let cash = CashDrawer {
        float: shift.float,
        cash_sales: m(cash_sales),
        cash_refunds: m(cash_refunds),
        cash_in: m(cash_in),
        cash_out: m(cash_out),
        expected: m(expected),
        counted: shift.counted,
        over_short: shift.counted.map(|c| m(c.amount - expected)),
    };

    let sales_total = sum_of(&sales, None);
    let refunds_total = sum_of(&refunds, None);
    Ok(ShiftReport {
        kind: if shift.closed_at.is_some() {
            ReportKind::Z
        } else {
            ReportKind::X
        },
        z_number: shift.z_number,
        till_id: shift.till_id.clone(),
        currency,
        opened_by: shift.opened_by.clone(),
        opened_at: shift.opened_at.clone(),
        closed_by: shift.closed_by.clone(),
        closed_at: shift.closed_at.clone(),
        at: shift.closed_at.clone().unwrap_or_else(crate::db::now_text),
        sales_count: sales.iter().map(|l| l.count).sum(),
        sales_total: m(sales_total),
        refunds_count: refunds.iter().map(|l| l.count).sum(),
        refunds_total: m(refunds_total),
        net: m(sales_total - refunds_total),
        sales,
        refunds,
        codes_issued,
        delivered_sales,
        cost,
        margin: m(margin),
        margin_pct: margin_pct(margin, delivered_sales.amount),
        by_category,
        awaiting_supplier,
        other_currency_orders,
        cash,
        cash_moves,
    })
}
