//! The supplier's prepaid balance and how long it lasts at the recent rate of spend.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{Db, DbError, time_text};
use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        "SELECT CAST(sum(coalesce(supplier_total_minor, max_unit_minor * quantity)) AS BIGINT) FROM orders
         WHERE delivered_at >= $1 AND wholesale_currency = $2",
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

/// What the shop paid the supplier on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaySpend {
    /// The local calendar day, `YYYY-MM-DD`.
    pub day: String,
    pub spent: Money,
}

/// Longest history [`spend_per_day`] answers.
pub const MAX_SPEND_DAYS: u32 = 90;

/// Supplier spend in `currency` for each of the last `days` days (today last, days
/// without spend as zero). Days are local to a clock `utc_offset_minutes` east of
/// UTC (India: 330), so a day means the shop's day, not UTC's.
pub async fn spend_per_day(
    db: &Db,
    currency: Currency,
    days: u32,
    utc_offset_minutes: i32,
) -> Result<Vec<DaySpend>, DbError> {
    let days = days.clamp(1, MAX_SPEND_DAYS);
    // Offsets on Earth lie within ±14 h; anything else is a caller's mistake.
    let offset = chrono::Duration::minutes(i64::from(utc_offset_minutes.clamp(-14 * 60, 14 * 60)));
    let today = (chrono::Utc::now() + offset).date_naive();
    let first = today - chrono::Duration::days(i64::from(days) - 1);
    // From the UTC instant when the first local day began.
    let since = time_text(first.and_time(chrono::NaiveTime::MIN).and_utc() - offset);
    let modifier = format!("{:+} minutes", offset.num_minutes());
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT date(delivered_at, $1) AS day,
                CAST(sum(coalesce(supplier_total_minor, max_unit_minor * quantity)) AS BIGINT)
         FROM orders WHERE delivered_at >= $2 AND wholesale_currency = $3
         GROUP BY day",
    )
    .bind(&modifier)
    .bind(since)
    .bind(currency.code())
    .fetch_all(db.pool())
    .await?;
    Ok((0..days)
        .map(|i| {
            let day = (first + chrono::Duration::days(i64::from(i))).to_string();
            let minor = rows.iter().find(|(d, _)| *d == day).map_or(0, |(_, m)| *m);
            DaySpend {
                day,
                spent: Money::from_minor(minor, currency),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    async fn order(db: &Db, n: i64, delivered_at: &str, minor: i64) {
        sqlx::query(
            "INSERT INTO orders (public_id, client_order_id, status, sku, name, region, face_minor,
                 face_currency, price_minor, currency, max_unit_minor, wholesale_currency,
                 supplier_total_minor, staff, created_at, delivered_at, updated_at)
             VALUES ($1, $1, 'delivered', 'S', 'S', 'US', 1, 'USD', 1, 'USD', $2, 'USD', $2, 'a', $3, $3, $3)",
        )
        .bind(format!("ORD-{n}"))
        .bind(minor)
        .bind(delivered_at)
        .execute(db.pool())
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn spend_per_day_sums_each_local_day_and_fills_quiet_days_with_zero() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        let now = chrono::Utc::now();
        order(&db, 1, &time_text(now), 1500).await;
        order(&db, 2, &time_text(now), 500).await;
        order(&db, 3, &time_text(now - chrono::Duration::days(2)), 700).await;
        order(&db, 4, &time_text(now - chrono::Duration::days(30)), 9999).await;
        let days = spend_per_day(&db, Currency::USD, 7, 0).await.unwrap();
        assert_eq!(days.len(), 7);
        assert_eq!(days[6].day, now.date_naive().to_string(), "today last");
        assert_eq!(days[6].spent.amount_string(), "20.00");
        assert_eq!(days[4].spent.amount_string(), "7.00");
        assert_eq!(days[5].spent.amount_string(), "0.00");
        let total: i64 = days.iter().map(|d| d.spent.to_minor().unwrap()).sum();
        assert_eq!(total, 2700, "the order 30 days ago is outside the window");

        let runway = runway(&db, &Money::from_minor(10_000, Currency::USD))
            .await
            .unwrap();
        // 27.00 over 7 days = 3.857.. → 3.86/day; 100.00 lasts 25 whole days.
        assert_eq!(runway.avg_daily_spend.unwrap().amount_string(), "3.86");
        assert_eq!(runway.days, Some(25));
    }
}
