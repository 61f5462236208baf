//! Shifts and the cash drawer: a till's shift opens with a float, cash goes in and
//! out with a reason, and the shift closes with the cash counted in the drawer.
//!
//! Orders belong to the shift open at their till when their payment is taken (the
//! order's `shift_id`, written by the insert and payment statements in
//! [`crate::orders`]); a refund belongs to the shift open at the till that gives it
//! back, whose drawer the money leaves. The close numbers the shift (Z numbers follow each other across
//! the shop) and keeps its Z-report as it stood ([`report`]); from then on the shift,
//! its cash moves and its report never change — the database's triggers refuse it
//! (migration 0016). An X-report is the open shift's figures, as they stand now.
//!
//! [`print`] lays a report out for the receipt printer (80 and 58 mm) and as a PDF,
//! in English or Hindi.

pub mod print;
pub mod report;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::db::{Db, DbError, now_text};
use crate::money::{Currency, Money, MoneyError, parse_decimal};

pub use report::{CashDrawer, CategoryLine, MethodLine, ReportKind, ShiftReport};

#[derive(Debug, thiserror::Error)]
pub enum ShiftError {
    /// A field typed wrong; nothing changed.
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error("a shift is already open at {till} (opened by {by} at {at}): close it first")]
    AlreadyOpen {
        till: String,
        by: String,
        at: String,
    },
    #[error("no shift is open at {0}: open one with `codetill shift open --float AMOUNT`")]
    NoneOpen(String),
    #[error("no closed shift at {0} yet")]
    NoneClosed(String),
    #[error(
        "the shop's currency is not known: set it with `codetill pricing set --shop-currency CUR` (or sync the catalog)"
    )]
    NoCurrency,
    /// The report could not be laid out for the printer.
    #[error("shift report: {0}")]
    Print(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ShiftError {
    fn from(e: sqlx::Error) -> Self {
        ShiftError::Db(DbError::Sql(e))
    }
}

/// Which till a shift is kept for: the till's name, or none (a till nobody named).
fn till_name(till_id: Option<&str>) -> String {
    match till_id {
        Some(t) => format!("till {t}"),
        None => "this till".to_string(),
    }
}

/// A shift as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub id: i64,
    pub till_id: Option<String>,
    pub float: Money,
    pub opened_by: String,
    pub opened_at: String,
    pub z_number: Option<i64>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    pub counted: Option<Money>,
}

/// Cash put into the drawer or taken out of it during a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashMoveKind {
    In,
    Out,
}

impl CashMoveKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            CashMoveKind::In => "in",
            CashMoveKind::Out => "out",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashMove {
    pub kind: CashMoveKind,
    pub amount: Money,
    pub reason: String,
    pub staff: String,
    pub at: String,
}

#[derive(sqlx::FromRow)]
struct ShiftRow {
    id: i64,
    till_id: Option<String>,
    currency: String,
    float_minor: i64,
    opened_by: String,
    opened_at: String,
    z_number: Option<i64>,
    closed_by: Option<String>,
    closed_at: Option<String>,
    counted_minor: Option<i64>,
}

const SHIFT_COLUMNS: &str = "id, till_id, currency, float_minor, opened_by, opened_at, z_number,
    closed_by, closed_at, counted_minor";

pub(crate) fn currency_of(code: &str, what: &'static str) -> Result<Currency, DbError> {
    Currency::parse(code).map_err(|e| DbError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

impl ShiftRow {
    fn into_shift(self) -> Result<Shift, DbError> {
        let currency = currency_of(&self.currency, "shifts")?;
        Ok(Shift {
            id: self.id,
            till_id: self.till_id,
            float: Money::from_minor(self.float_minor, currency),
            opened_by: self.opened_by,
            opened_at: self.opened_at,
            z_number: self.z_number,
            closed_by: self.closed_by,
            closed_at: self.closed_at,
            counted: self.counted_minor.map(|m| Money::from_minor(m, currency)),
        })
    }
}

/// The shift open at `till_id`, if any.
pub async fn open_shift(db: &Db, till_id: Option<&str>) -> Result<Option<Shift>, ShiftError> {
    let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
    open_in(&mut conn, till_id).await
}

async fn open_in(
    conn: &mut AnyConnection,
    till_id: Option<&str>,
) -> Result<Option<Shift>, ShiftError> {
    let row: Option<ShiftRow> = sqlx::query_as(&format!(
        "SELECT {SHIFT_COLUMNS} FROM shifts
         WHERE closed_at IS NULL AND coalesce(till_id, '') = coalesce($1, '')"
    ))
    .bind(till_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(ShiftRow::into_shift).transpose()?)
}

/// The currency a shift counts in: the shop's (setting `shop.currency`), else the
/// one most of the catalog sells in.
pub async fn shop_currency(db: &Db) -> Result<Currency, ShiftError> {
    if let Some(code) = crate::settings::value(db, crate::settings::SHOP_CURRENCY).await? {
        return Ok(currency_of(&code, "settings")?);
    }
    let code: Option<String> = sqlx::query_scalar(
        "SELECT coalesce(retail_currency, currency) AS c FROM products WHERE discontinued_at IS NULL
         GROUP BY c ORDER BY count(*) DESC, c LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    match code {
        Some(c) => Ok(currency_of(&c, "products")?),
        None => Err(ShiftError::NoCurrency),
    }
}

/// An amount typed for `field`, in `currency`: plain decimal, not negative, no finer
/// than the currency's smallest coin.
fn amount(field: &'static str, text: &str, currency: Currency) -> Result<Money, ShiftError> {
    let bad = |message: String| ShiftError::BadInput { field, message };
    let d = parse_decimal(text.trim())
        .map_err(|_| bad(format!("{:?} is not an amount", text.trim())))?;
    if d.is_sign_negative() {
        return Err(bad("cannot be negative".into()));
    }
    let money = Money::new(d, currency);
    money.to_minor().map_err(|e| match e {
        MoneyError::TooPrecise { .. } => {
            bad(format!("{currency} has {} decimals", currency.exponent()))
        }
        other => bad(other.to_string()),
    })?;
    Ok(money)
}

fn minor(money: &Money) -> Result<i64, ShiftError> {
    money.to_minor().map_err(|e| {
        ShiftError::Db(DbError::Corrupt {
            what: "shifts",
            detail: e.to_string(),
        })
    })
}

/// Opens a shift at `till_id` with `float` in the drawer (in the shop's currency),
/// by `staff`. One open shift per till: a second is refused, nothing changed.
pub async fn open(
    db: &Db,
    till_id: Option<&str>,
    float: &str,
    staff: &str,
) -> Result<Shift, ShiftError> {
    let currency = shop_currency(db).await?;
    let float = amount("float", float, currency)?;
    let mut tx = db.begin_write().await?;
    if let Some(open) = open_in(&mut tx, till_id).await? {
        return Err(ShiftError::AlreadyOpen {
            till: till_name(till_id),
            by: open.opened_by,
            at: open.opened_at,
        });
    }
    sqlx::query(
        "INSERT INTO shifts (till_id, currency, float_minor, opened_by, opened_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(till_id)
    .bind(currency.code())
    .bind(minor(&float)?)
    .bind(staff)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    let shift = open_in(&mut tx, till_id)
        .await?
        .ok_or_else(|| ShiftError::NoneOpen(till_name(till_id)))?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(shift = shift.id, till = ?till_id, %staff, "shift opened");
    Ok(shift)
}

/// Cash put into the drawer (`In`) or taken out (`Out`) of the open shift, with the
/// reason; refused without a reason or a shift, nothing changed.
pub async fn move_cash(
    db: &Db,
    till_id: Option<&str>,
    kind: CashMoveKind,
    amount_text: &str,
    reason: &str,
    staff: &str,
) -> Result<CashMove, ShiftError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ShiftError::BadInput {
            field: "reason",
            message: "say why the cash goes in or out".into(),
        });
    }
    let mut tx = db.begin_write().await?;
    let shift = open_in(&mut tx, till_id)
        .await?
        .ok_or_else(|| ShiftError::NoneOpen(till_name(till_id)))?;
    let money = amount("amount", amount_text, shift.float.currency)?;
    if money.amount.is_zero() {
        return Err(ShiftError::BadInput {
            field: "amount",
            message: "must be more than zero".into(),
        });
    }
    let at = now_text();
    sqlx::query(
        "INSERT INTO shift_cash_moves (shift_id, kind, amount_minor, reason, staff, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(shift.id)
    .bind(kind.as_str())
    .bind(minor(&money)?)
    .bind(reason)
    .bind(staff)
    .bind(&at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(CashMove {
        kind,
        amount: money,
        reason: reason.to_string(),
        staff: staff.to_string(),
        at,
    })
}

/// Closes the open shift at `till_id` with the cash `counted` in the drawer, in one
/// transaction: the next Z number, the Z-report as it stands (kept with the shift),
/// and an audit row. Answers the Z-report.
pub async fn close(
    db: &Db,
    till_id: Option<&str>,
    counted: &str,
    staff: &str,
) -> Result<ShiftReport, ShiftError> {
    let mut tx = db.begin_write().await?;
    let shift = open_in(&mut tx, till_id)
        .await?
        .ok_or_else(|| ShiftError::NoneOpen(till_name(till_id)))?;
    let counted = amount("counted", counted, shift.float.currency)?;
    let z: i64 = sqlx::query_scalar("SELECT coalesce(max(z_number), 0) + 1 FROM shifts")
        .fetch_one(&mut *tx)
        .await?;
    let now = now_text();
    let closed = Shift {
        z_number: Some(z),
        closed_by: Some(staff.to_string()),
        closed_at: Some(now.clone()),
        counted: Some(counted),
        ..shift
    };
    let report = report::figures(&mut tx, &closed).await?;
    let json = serde_json::to_string(&report).map_err(|e| DbError::Corrupt {
        what: "shifts",
        detail: e.to_string(),
    })?;
    sqlx::query(
        "UPDATE shifts SET z_number = $2, closed_by = $3, closed_at = $4, counted_minor = $5,
             report = $6
         WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(closed.id)
    .bind(z)
    .bind(staff)
    .bind(&now)
    .bind(minor(&counted)?)
    .bind(json)
    .execute(&mut *tx)
    .await?;
    // Into the log's hash chain, as every audited action.
    let detail = format!(
        "Z #{z}, {}: expected {}, counted {}",
        till_name(till_id),
        report.cash.expected,
        counted
    );
    crate::staff::audit::record(
        &mut tx,
        &crate::staff::audit::Entry {
            actor: staff,
            action: "shift_close",
            order_id: None,
            detail: Some(&detail),
            at: Some(&now),
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(z, till = ?till_id, %staff, "shift closed");
    Ok(report)
}

/// The X-report: the open shift's figures as they stand now.
pub async fn x_report(db: &Db, till_id: Option<&str>) -> Result<ShiftReport, ShiftError> {
    let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
    let shift = open_in(&mut conn, till_id)
        .await?
        .ok_or_else(|| ShiftError::NoneOpen(till_name(till_id)))?;
    report::figures(&mut conn, &shift).await
}

/// The Z-report of the last shift closed at `till_id` (or the one numbered `z`),
/// as it was kept at its close.
pub async fn z_report(
    db: &Db,
    till_id: Option<&str>,
    z: Option<i64>,
) -> Result<ShiftReport, ShiftError> {
    let json: Option<String> = sqlx::query_scalar(
        "SELECT report FROM shifts WHERE closed_at IS NOT NULL
             AND ($2 IS NULL AND coalesce(till_id, '') = coalesce($1, '') OR z_number = $2)
         ORDER BY z_number DESC LIMIT 1",
    )
    .bind(till_id)
    .bind(z)
    .fetch_optional(db.pool())
    .await?;
    let json = json.ok_or_else(|| match z {
        Some(z) => ShiftError::NoneClosed(format!("Z #{z}")),
        None => ShiftError::NoneClosed(till_name(till_id)),
    })?;
    serde_json::from_str(&json).map_err(|e| {
        ShiftError::Db(DbError::Corrupt {
            what: "shifts",
            detail: e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests;
