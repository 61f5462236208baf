//! Reports for the owner: sales, cost, margin and margin % over a period, by day,
//! week or month, or by product, category, supplier, staff, payment method or till;
//! for the whole shop or one till.
//!
//! A sale is an order delivered (a code issued), dated by when it was paid, in the
//! shop's local days. Its cost is what the supplier charged (`supplier_total_minor`,
//! in the supplier account's currency), turned into the sale's currency at the rate
//! that sale used (`orders.fx_rate`), so margins stay true when rates move. SQLite
//! sums the integer minor units exactly, grouped by (key, sale currency, cost
//! currency, rate) — few groups, however many orders — and the conversion is done
//! here in `Decimal`, rounded up once per row (a margin is never over-stated).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{Db, DbError};
use crate::money::{Currency, Money};
use crate::orders::OrderStatus;
use crate::orders::state::sql_list;
use crate::shifts::report::{CostSum, margin_pct};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A field typed wrong; nothing was read.
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ReportError {
    fn from(e: sqlx::Error) -> Self {
        ReportError::Db(DbError::Sql(e))
    }
}

/// What a report's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    /// Weeks from Monday, keyed by their Monday.
    Week,
    Month,
    Product,
    Category,
    Supplier,
    Staff,
    Payment,
    /// The till the sale was paid at (`unnamed` for a till nobody named).
    Till,
}

impl GroupBy {
    pub const ALL: [GroupBy; 9] = [
        GroupBy::Day,
        GroupBy::Week,
        GroupBy::Month,
        GroupBy::Product,
        GroupBy::Category,
        GroupBy::Supplier,
        GroupBy::Staff,
        GroupBy::Payment,
        GroupBy::Till,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::Product => "product",
            GroupBy::Category => "category",
            GroupBy::Supplier => "supplier",
            GroupBy::Staff => "staff",
            GroupBy::Payment => "payment",
            GroupBy::Till => "till",
        }
    }

    pub fn parse(text: &str) -> Result<GroupBy, ReportError> {
        let t = text.trim().to_ascii_lowercase();
        GroupBy::ALL
            .into_iter()
            .find(|g| g.as_str() == t)
            .ok_or_else(|| ReportError::BadInput {
                field: "by",
                message: format!(
                    "{t:?}: use day, week, month, product, category, supplier, staff, payment or till"
                ),
            })
    }

    fn is_time(&self) -> bool {
        matches!(self, GroupBy::Day | GroupBy::Week | GroupBy::Month)
    }

    /// The row's key as SQL over `orders o`, or over `sales_quarters` when
    /// `quarters`. `$3` is the local time's offset as a date modifier (`+330
    /// minutes`), `$4` the supplier's name.
    fn key_sql(&self, utc: bool, quarters: bool) -> String {
        let at = if quarters { "quarter" } else { "o.paid_at" };
        match (self, utc) {
            (GroupBy::Day, true) => format!("substr({at}, 1, 10)"),
            (GroupBy::Day, false) => format!("date({at}, $3)"),
            (GroupBy::Week, _) => format!("date({at}, $3, 'weekday 0', '-6 days')"),
            (GroupBy::Month, true) => format!("substr({at}, 1, 7)"),
            (GroupBy::Month, false) => format!("substr(date({at}, $3), 1, 7)"),
            (GroupBy::Product, _) => "o.sku".into(),
            (GroupBy::Category, _) => {
                "coalesce((SELECT p.category FROM products p WHERE p.sku = o.sku), 'other')".into()
            }
            // The account the order was bought from; NULL is the shop's single
            // supplier, named by its host.
            (GroupBy::Supplier, _) => "coalesce(o.supplier, $4)".into(),
            (GroupBy::Staff, _) => "o.staff".into(),
            (GroupBy::Till, _) if quarters => "coalesce(nullif(till_id, ''), 'unnamed')".into(),
            (GroupBy::Till, _) => "coalesce(nullif(o.till_id, ''), 'unnamed')".into(),
            (GroupBy::Payment, _) => {
                "coalesce((SELECT p.method FROM payments p WHERE p.order_id = o.id), 'none')".into()
            }
        }
    }
}

/// The period and the grouping of a sales report. Dates are the shop's local days,
/// both included.
#[derive(Debug, Clone)]
pub struct SalesQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: GroupBy,
    /// The shop's local time against UTC, in minutes (India: 330).
    pub utc_offset_minutes: i32,
    /// One till's sales only; None for the whole shop.
    pub till: Option<String>,
}

impl SalesQuery {
    /// A query from dates as typed (`YYYY-MM-DD`), in this machine's time zone.
    pub fn parse(from: &str, to: &str, by: &str) -> Result<SalesQuery, ReportError> {
        let date = |field: &'static str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| ReportError::BadInput {
                field,
                message: format!("{:?} is not a date (YYYY-MM-DD)", text.trim()),
            })
        };
        let (from, to) = (date("from", from)?, date("to", to)?);
        if to < from {
            return Err(ReportError::BadInput {
                field: "to",
                message: format!("{to} is before {from}"),
            });
        }
        Ok(SalesQuery {
            from,
            to,
            by: GroupBy::parse(by)?,
            utc_offset_minutes: chrono::Local::now().offset().local_minus_utc() / 60,
            till: None,
        })
    }

    /// The same query for one till (`None` or blank: the whole shop).
    pub fn at_till(self, till: Option<&str>) -> Result<SalesQuery, ReportError> {
        let till = till.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = till
            && (t.len() > 64 || t.chars().any(char::is_control))
        {
            return Err(ReportError::BadInput {
                field: "till",
                message: format!("{t:?} is not a till's name (up to 64 characters)"),
            });
        }
        Ok(SalesQuery {
            till: till.map(str::to_string),
            ..self
        })
    }
}

/// One row: sales, cost and margin of one key in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesRow {
    pub key: String,
    /// The product's name, on a report by product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub currency: Currency,
    pub orders: i64,
    pub codes: i64,
    pub sales: Money,
    /// The tax inside the sales (prices are inclusive of it); not the shop's.
    pub tax: Money,
    pub cost: Money,
    /// Sales less their tax, less cost.
    pub margin: Money,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub margin_pct: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: GroupBy,
    /// The till the report is narrowed to; absent for the whole shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub till: Option<String>,
    /// By key (time keys in time order; others by sales, largest first).
    pub rows: Vec<SalesRow>,
    /// One per currency sold in.
    pub totals: Vec<SalesRow>,
}

/// A group's sums as SQLite gives them, before the costs are converted.
#[derive(Default)]
struct Sums {
    name: Option<String>,
    orders: i64,
    codes: i64,
    sales_minor: i64,
    tax_minor: i64,
    cost: CostSum,
}

impl Sums {
    fn row(self, key: String, currency: Currency) -> SalesRow {
        let sales = Money::from_minor(self.sales_minor, currency);
        let tax = Money::from_minor(self.tax_minor, currency);
        let cost = self.cost.total(currency);
        let margin = sales.amount - tax.amount - cost.amount;
        SalesRow {
            key,
            name: self.name,
            currency,
            orders: self.orders,
            codes: self.codes,
            sales,
            tax,
            cost,
            margin: Money::new(margin, currency),
            margin_pct: margin_pct(margin, sales.amount - tax.amount),
        }
    }
}

/// The UTC instant (as stored) at which the local day `d` starts.
fn day_start(d: NaiveDate, offset_minutes: i32) -> String {
    let local = d.and_time(NaiveTime::MIN);
    let utc = local - Duration::minutes(i64::from(offset_minutes));
    crate::db::time_text(utc.and_utc())
}

/// The name of the shop's one supplier, for a report by supplier: the host of its
/// address.
async fn supplier_name(db: &Db) -> Result<String, DbError> {
    let url = crate::setup::supplier_url(db).await?;
    Ok(url
        .as_deref()
        .and_then(|u| reqwest::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "supplier".to_string()))
}

/// Where a report's sums are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Every delivered order in the period.
    Orders,
    /// The quarter-hour sums the database keeps beside the orders (migration
    /// 0022): a month is a few thousand rows however many orders it had.
    Quarters,
}

impl Source {
    /// Quarters answer a report by time or by till whose days start on a quarter
    /// hour, as every time zone's do; anything else reads the orders.
    fn for_query(query: &SalesQuery) -> Source {
        if (query.by.is_time() || query.by == GroupBy::Till) && query.utc_offset_minutes % 15 == 0 {
            Source::Quarters
        } else {
            Source::Orders
        }
    }

    fn sql(self, query: &SalesQuery) -> String {
        let utc = query.utc_offset_minutes == 0;
        match self {
            Source::Quarters => format!(
                "SELECT {key} AS k, NULL, currency, wholesale_currency, fx_rate,
                        CAST(sum(orders) AS BIGINT), CAST(sum(codes) AS BIGINT), CAST(sum(sales_minor) AS BIGINT), CAST(sum(cost_minor) AS BIGINT), CAST(sum(tax_minor) AS BIGINT)
                 FROM sales_quarters
                 WHERE quarter >= substr($1, 1, 16) AND quarter < substr($2, 1, 16)
                   AND ($5 IS NULL OR till_id = $5)
                 GROUP BY 1, 3, 4, 5
                 HAVING CAST(sum(orders) AS BIGINT) <> 0",
                key = query.by.key_sql(utc, true),
            ),
            Source::Orders => format!(
                "SELECT {key} AS k, {name}, o.currency, o.wholesale_currency, coalesce(o.fx_rate, ''),
                        count(*), CAST(sum(o.quantity) AS BIGINT), CAST(sum(o.price_minor) AS BIGINT),
                        CAST(sum(coalesce(o.supplier_total_minor, o.max_unit_minor * o.quantity)) AS BIGINT),
                        CAST(sum(coalesce(o.tax_minor, 0)) AS BIGINT)
                 FROM orders o
                 WHERE o.status = {delivered} AND o.paid_at >= $1 AND o.paid_at < $2
                   AND ($5 IS NULL OR o.till_id = $5)
                 GROUP BY 1, 3, 4, 5",
                key = query.by.key_sql(utc, false),
                name = if query.by == GroupBy::Product {
                    "max(o.name)"
                } else {
                    "NULL"
                },
                delivered = sql_list([OrderStatus::Delivered]),
            ),
        }
    }
}

/// The sales report `query` asks for.
pub async fn sales(db: &Db, query: &SalesQuery) -> Result<SalesReport, ReportError> {
    sales_from(db, query, Source::for_query(query)).await
}

/// The same report read from every order in the period, never from the sums: how
/// the sums are checked (and how every report was read before them).
pub async fn sales_from_orders(db: &Db, query: &SalesQuery) -> Result<SalesReport, ReportError> {
    sales_from(db, query, Source::Orders).await
}

async fn sales_from(
    db: &Db,
    query: &SalesQuery,
    source: Source,
) -> Result<SalesReport, ReportError> {
    let sql = source.sql(query);
    let supplier = if query.by == GroupBy::Supplier {
        supplier_name(db).await?
    } else {
        String::new()
    };
    type Row = (
        String,
        Option<String>,
        String,
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(day_start(query.from, query.utc_offset_minutes))
        .bind(day_start(
            query.to + Duration::days(1),
            query.utc_offset_minutes,
        ))
        .bind(format!("{:+} minutes", query.utc_offset_minutes))
        .bind(supplier)
        .bind(query.till.as_deref())
        .fetch_all(db.pool())
        .await?;

    let mut groups: BTreeMap<(String, Currency), Sums> = BTreeMap::new();
    let mut totals: BTreeMap<Currency, Sums> = BTreeMap::new();
    for (key, name, currency, cost_currency, rate, orders, codes, sales, cost, tax) in rows {
        let currency = crate::shifts::currency_of(&currency, "orders")?;
        let group = groups.entry((key, currency)).or_default();
        if group.name.is_none() {
            group.name = name;
        }
        for sums in [group, totals.entry(currency).or_default()] {
            sums.orders += orders;
            sums.codes += codes;
            sums.sales_minor += sales;
            sums.tax_minor += tax;
            sums.cost.add(cost, &cost_currency, &rate)?;
        }
    }
    let mut out: Vec<SalesRow> = groups
        .into_iter()
        .map(|((key, currency), sums)| sums.row(key, currency))
        .collect();
    if !query.by.is_time() {
        out.sort_by(|a, b| {
            b.sales
                .amount
                .cmp(&a.sales.amount)
                .then_with(|| a.key.cmp(&b.key))
        });
    }
    Ok(SalesReport {
        from: query.from,
        to: query.to,
        by: query.by,
        till: query.till.clone(),
        rows: out,
        totals: totals
            .into_iter()
            .map(|(currency, sums)| sums.row("total".into(), currency))
            .collect(),
    })
}

/// The tills the shop has sold or kept shifts at, by name: what a report can be
/// narrowed to.
pub async fn tills(db: &Db) -> Result<Vec<String>, ReportError> {
    Ok(sqlx::query_scalar(
        "SELECT till_id FROM sales_quarters WHERE till_id <> ''
         UNION SELECT till_id FROM shifts WHERE till_id IS NOT NULL AND till_id <> ''
         ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await?)
}

/// The report as CSV: a header, one line per row, then the totals.
pub fn csv(report: &SalesReport) -> String {
    let mut out = String::from("key,name,currency,orders,codes,sales,cost,margin,margin_pct,tax\n");
    for r in report.rows.iter().chain(&report.totals) {
        let name = r.name.as_deref().unwrap_or("");
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&r.key),
            csv_field(name),
            r.currency,
            r.orders,
            r.codes,
            r.sales.amount_string(),
            r.cost.amount_string(),
            r.margin.amount_string(),
            r.margin_pct.map(|p| p.to_string()).unwrap_or_default(),
            r.tax.amount_string()
        ));
    }
    out
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is defused
/// so that a spreadsheet never runs a product name as a formula.
fn csv_field(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{text}"),
        _ => text.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
