//! The supplier's prepaid balance and how long it lasts at the recent rate of spend.

use rust_decimal::Decimal;

use crate::db::{Db, DbError, time_text};
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runway {
    /// Average supplier spend per day over the last 7 days.
    pub avg_daily_spend: Option<Money>,
    /// Whole days the balance lasts at that rate.
    pub days: Option<i64>,
}

const WINDOW_DAYS: i64 = 7;

/// Supplier spend per day (7-day average) and the days `balance` covers at that rate.
pub async fn runway(db: &Db, balance: &Money) -> Result<Runway, DbError> {
    let since = time_text(chrono::Utc::now() - chrono::Duration::days(WINDOW_DAYS));
    let spent: Option<i64> = sqlx::query_scalar(
        "SELECT sum(coalesce(supplier_total_minor, max_unit_minor * quantity)) FROM orders
         WHERE delivered_at >= ?1 AND wholesale_currency = ?2",
    )
    .bind(since)
    .bind(balance.currency.code())
    .fetch_one(db.pool())
    .await?;
    let spent = spent.unwrap_or(0);
    if spent <= 0 {
        return Ok(Runway {
            avg_daily_spend: None,
            days: None,
        });
    }
    let per_day = Money::from_minor(spent, balance.currency).amount / Decimal::from(WINDOW_DAYS);
    let days = (balance.amount / per_day).floor();
    Ok(Runway {
        avg_daily_spend: Some(Money::new(per_day, balance.currency).ceil_to_minor()),
        days: i64::try_from(days).ok(),
    })
}
