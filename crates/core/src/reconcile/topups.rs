//! Top-ups: money the owner put into a supplier account (amount, currency, when,
//! the bank's or the supplier's reference), so that reconciliation can tell a
//! balance that rose because of them from one that moved for no reason.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{ReconcileError, SHOP_SUPPLIER};
use crate::db::{Db, DbError, now_text, time_text};
use crate::money::{Currency, Money, parse_decimal};

/// A top-up as the owner gives it (text from the command line or a form).
#[derive(Debug, Clone, Default)]
pub struct NewTopup {
    /// The supplier account's name; empty for the shop's single supplier.
    pub supplier: String,
    pub amount: String,
    pub currency: String,
    /// `YYYY-MM-DD` or RFC 3339; empty for now.
    pub date: String,
    pub reference: Option<String>,
    pub staff: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topup {
    pub id: i64,
    /// Null for the shop's single supplier.
    pub supplier: Option<String>,
    pub amount: Money,
    pub at: String,
    pub reference: Option<String>,
    pub staff: String,
    pub recorded_at: String,
}

/// A time as given: RFC 3339, or a day. A day means its first instant, except for
/// a top-up (`end_of_day`), where it means the day's end, or now when it is today:
/// money that arrived some time that day is then counted after any reading taken
/// earlier that day.
pub(crate) fn parse_time(
    text: &str,
    field: &'static str,
    end_of_day: bool,
) -> Result<DateTime<Utc>, ReconcileError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let day =
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ReconcileError::BadInput {
            field,
            message: format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"),
        })?;
    let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let time = if !end_of_day {
        start
    } else if day == Utc::now().date_naive() {
        Some(Utc::now())
    } else {
        day.and_hms_milli_opt(23, 59, 59, 999).map(|t| t.and_utc())
    };
    time.ok_or_else(|| ReconcileError::BadInput {
        field,
        message: format!("{text:?} is not a date"),
    })
}

/// Records a top-up; everything is checked first and nothing is stored on bad input.
pub async fn record(db: &Db, new: &NewTopup) -> Result<Topup, ReconcileError> {
    let bad = |field: &'static str, message: String| ReconcileError::BadInput { field, message };
    let currency = Currency::parse(&new.currency)
        .map_err(|e| bad("--currency", format!("{:?}: {e}", new.currency)))?;
    let amount = parse_decimal(&new.amount)
        .map_err(|_| bad("AMOUNT", format!("{:?} is not an amount", new.amount)))?;
    if amount <= rust_decimal::Decimal::ZERO {
        return Err(bad("AMOUNT", format!("{amount} is not above zero")));
    }
    let amount = Money::new(amount, currency);
    let minor = amount
        .to_minor()
        .map_err(|e| bad("AMOUNT", e.to_string()))?;
    let at = if new.date.trim().is_empty() {
        Utc::now()
    } else {
        parse_time(&new.date, "--date", true)?
    };
    if at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(bad(
            "--date",
            format!("{} is in the future", new.date.trim()),
        ));
    }
    let reference = new
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reference.is_some_and(|r| r.chars().count() > 200) {
        return Err(bad("--reference", "is longer than 200 characters".into()));
    }
    let supplier = new.supplier.trim();
    if !supplier.is_empty() {
        // An account the shop has: a typo must not file money under a name no run reads.
        crate::supplier::accounts::get(db, supplier)
            .await
            .map_err(|e| bad("--supplier", e.to_string()))?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supplier_topups (supplier, amount_minor, currency, at, reference, staff, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(supplier)
    .bind(minor)
    .bind(currency.code())
    .bind(time_text(at))
    .bind(reference)
    .bind(&new.staff)
    .bind(now_text())
    .fetch_one(db.pool())
    .await?;
    tracing::info!(id, supplier, amount = %amount, "supplier top-up recorded");
    Ok(Topup {
        id,
        supplier: Some(supplier.to_string()).filter(|s| !s.is_empty()),
        amount,
        at: time_text(at),
        reference: reference.map(str::to_string),
        staff: new.staff.clone(),
        recorded_at: now_text(),
    })
}

/// Top-ups of `supplier` (every supplier's with `None`), newest first.
pub async fn list(db: &Db, supplier: Option<&str>) -> Result<Vec<Topup>, ReconcileError> {
    type Row = (
        i64,
        String,
        i64,
        String,
        String,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, supplier, amount_minor, currency, at, reference, staff, recorded_at
           FROM supplier_topups WHERE $1 IS NULL OR supplier = $1 ORDER BY at DESC, id DESC",
    )
    .bind(supplier.map(str::trim))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(
            |(id, supplier, minor, currency, at, reference, staff, recorded_at)| {
                let currency = Currency::parse(&currency).map_err(|e| {
                    ReconcileError::Db(DbError::Corrupt {
                        what: "supplier_topups",
                        detail: e.to_string(),
                    })
                })?;
                Ok(Topup {
                    id,
                    supplier: Some(supplier).filter(|s| s != SHOP_SUPPLIER),
                    amount: Money::from_minor(minor, currency),
                    at,
                    reference,
                    staff,
                    recorded_at,
                })
            },
        )
        .collect()
}

/// The amounts put into `supplier` after `after`, up to `until`.
pub(super) async fn amounts_between(
    db: &Db,
    supplier: &str,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Money>, ReconcileError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT amount_minor, currency FROM supplier_topups
          WHERE supplier = $1 AND at > $2 AND at <= $3",
    )
    .bind(supplier)
    .bind(time_text(after))
    .bind(time_text(until))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(minor, currency)| {
            Currency::parse(&currency)
                .map(|c| Money::from_minor(minor, c))
                .map_err(|e| {
                    ReconcileError::Db(DbError::Corrupt {
                        what: "supplier_topups",
                        detail: e.to_string(),
                    })
                })
        })
        .collect()
}
