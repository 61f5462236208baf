//! Exchange rates: the shop sells in its own currency what it buys in the supplier
//! account's. A rate is set by the owner (`fx set USD INR 84.10`) or read daily from a
//! file in the ECB's eurofxref format ([`ecb`]); either way it is kept with its source
//! and its date, so pricing can show both and an old rate raises an alert.
//!
//! Rates are looked up directly, as the inverse of the opposite pair, or across the
//! euro when both sides come from the daily file.

pub mod ecb;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{Db, DbError, now_text};
use crate::http_body;
use crate::money::{Currency, MoneyError, parse_decimal};
use crate::settings;

/// The setting holding the daily rates file's URL.
pub const SOURCE_URL: &str = "fx.source_url";

/// A daily file's rates are old once three days have passed (a weekend has no file);
/// a rate the owner typed, after a week.
pub const FILE_STALE_AFTER: TimeDelta = TimeDelta::days(3);
pub const OWNER_STALE_AFTER: TimeDelta = TimeDelta::days(7);

#[derive(Debug, thiserror::Error)]
pub enum FxError {
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(
        "no exchange rate from {from} to {to}: set one with `codetill fx set {from} {to} RATE` or a daily source with `codetill fx source URL`"
    )]
    NoRate { from: String, to: String },
    #[error("the rates source {url} cannot be read: {message}")]
    Source { url: String, message: String },
    #[error(transparent)]
    File(#[from] ecb::BadRatesFile),
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// Typed by the owner.
    Owner,
    /// The daily reference rates file.
    Ecb,
}

impl RateSource {
    fn as_str(self) -> &'static str {
        match self {
            RateSource::Owner => "owner",
            RateSource::Ecb => "ecb",
        }
    }

    fn stale_after(self) -> TimeDelta {
        match self {
            RateSource::Owner => OWNER_STALE_AFTER,
            RateSource::Ecb => FILE_STALE_AFTER,
        }
    }
}

/// Units of `to` for one unit of `from`, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub from: String,
    pub to: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub source: RateSource,
    /// The day the rate is for.
    pub as_of: NaiveDate,
}

impl Rate {
    /// The same currency: one to one, never stale.
    fn identity(c: Currency, today: NaiveDate) -> Rate {
        Rate {
            from: c.code().to_string(),
            to: c.code().to_string(),
            rate: Decimal::ONE,
            source: RateSource::Owner,
            as_of: today,
        }
    }

    /// Days since the rate's date.
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now.date_naive() - self.as_of).num_days()
    }

    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.from != self.to && now.date_naive() - self.as_of > self.source.stale_after()
    }
}

fn bad(field: &'static str, message: impl Into<String>) -> FxError {
    FxError::BadInput {
        field,
        message: message.into(),
    }
}

/// A rate as a person types it: a positive decimal.
pub fn parse_rate(text: &str) -> Result<Decimal, FxError> {
    let rate = parse_decimal(text.trim())
        .map_err(|e: MoneyError| bad("rate", format!("{text:?}: {e}")))?;
    if rate <= Decimal::ZERO {
        return Err(bad("rate", format!("{text:?} must be above zero")));
    }
    Ok(rate.normalize())
}

fn currency(field: &'static str, code: &str) -> Result<Currency, FxError> {
    Currency::parse(code).map_err(|e| bad(field, e.to_string()))
}

/// The owner's rate for `from` → `to` (written in one statement; checked first).
pub async fn set(db: &Db, from: &str, to: &str, rate: &str) -> Result<Rate, FxError> {
    let from = currency("from", from)?;
    let to = currency("to", to)?;
    if from == to {
        return Err(bad("to", format!("{} to itself is always 1", from.code())));
    }
    let rate = parse_rate(rate)?;
    let today = Utc::now().date_naive();
    store(db, &[(from, to, rate)], RateSource::Owner, today).await?;
    Ok(Rate {
        from: from.code().to_string(),
        to: to.code().to_string(),
        rate,
        source: RateSource::Owner,
        as_of: today,
    })
}

async fn store(
    db: &Db,
    rates: &[(Currency, Currency, Decimal)],
    source: RateSource,
    as_of: NaiveDate,
) -> Result<(), DbError> {
    let mut tx = db.pool().begin().await?;
    let now = now_text();
    for (from, to, rate) in rates {
        sqlx::query(
            "INSERT INTO fx_rates (base, quote, rate, source, as_of, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (base, quote) DO UPDATE SET rate = excluded.rate,
                 source = excluded.source, as_of = excluded.as_of, updated_at = excluded.updated_at",
        )
        .bind(from.code())
        .bind(to.code())
        .bind(rate.to_string())
        .bind(source.as_str())
        .bind(as_of.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        // An owner's rate replaces the file's for the opposite direction too.
        sqlx::query("DELETE FROM fx_rates WHERE base = $1 AND quote = $2")
            .bind(to.code())
            .bind(from.code())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every stored rate, as kept.
pub async fn all(db: &Db) -> Result<Vec<Rate>, FxError> {
    let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
    Ok(all_in(&mut conn).await?)
}

/// [`all`] inside a connection or transaction (pricing reads rates with its rules).
pub async fn all_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<Rate>, DbError> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT base, quote, rate, source, as_of FROM fx_rates ORDER BY base, quote",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(row_to_rate).collect()
}

fn row_to_rate(
    (base, quote, rate, source, as_of): (String, String, String, String, String),
) -> Result<Rate, DbError> {
    let corrupt = |detail: String| DbError::Corrupt {
        what: "fx_rates",
        detail,
    };
    Ok(Rate {
        rate: parse_decimal(&rate).map_err(|e| corrupt(format!("{base}/{quote}: {e}")))?,
        source: match source.as_str() {
            "owner" => RateSource::Owner,
            "ecb" => RateSource::Ecb,
            other => return Err(corrupt(format!("source {other:?}"))),
        },
        as_of: NaiveDate::parse_from_str(&as_of, "%Y-%m-%d")
            .map_err(|e| corrupt(format!("as_of {as_of:?}: {e}")))?,
        from: base,
        to: quote,
    })
}

/// The rate to turn `from` into `to`: the same currency is 1; else a stored pair, its
/// inverse, or the two daily-file rates across the euro. A converted rate keeps the
/// older date and the weaker source of the two it came from.
pub async fn rate(db: &Db, from: Currency, to: Currency) -> Result<Rate, FxError> {
    if from == to {
        return Ok(Rate::identity(from, Utc::now().date_naive()));
    }
    let rates = all(db).await?;
    find(&rates, from.code(), to.code()).ok_or_else(|| FxError::NoRate {
        from: from.code().to_string(),
        to: to.code().to_string(),
    })
}

/// The lookup of [`rate`] over rates in hand.
pub fn find(rates: &[Rate], from: &str, to: &str) -> Option<Rate> {
    let direct = |a: &str, b: &str| rates.iter().find(|r| r.from == a && r.to == b);
    let inverse = |r: &Rate| Rate {
        from: r.to.clone(),
        to: r.from.clone(),
        rate: Decimal::ONE / r.rate,
        source: r.source,
        as_of: r.as_of,
    };
    let one_way = |a: &str, b: &str| direct(a, b).cloned().or_else(|| direct(b, a).map(inverse));
    if let Some(r) = one_way(from, to) {
        return Some(r);
    }
    let (a, b) = (one_way(from, "EUR")?, one_way("EUR", to)?);
    Some(Rate {
        from: from.to_string(),
        to: to.to_string(),
        rate: a.rate * b.rate,
        source: if a.source == RateSource::Owner || b.source == RateSource::Owner {
            RateSource::Owner
        } else {
            RateSource::Ecb
        },
        as_of: a.as_of.min(b.as_of),
    })
}

/// Sets the daily source and reads it now: a URL that does not answer, or a file that
/// does not parse, changes nothing.
pub async fn set_source(db: &Db, url: &str) -> Result<ecb::DailyRates, FxError> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| bad("url", format!("{url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("url", format!("{url:?}: use an http or https address")));
    }
    let day = fetch(parsed.as_str()).await?;
    save_daily(db, &day).await?;
    settings::set(db.pool(), SOURCE_URL, parsed.as_str()).await?;
    Ok(day)
}

/// Reads the configured daily source again (the app's daily job); `None` when no
/// source is set.
pub async fn refresh(db: &Db) -> Result<Option<ecb::DailyRates>, FxError> {
    let Some(url) = settings::value(db, SOURCE_URL).await? else {
        return Ok(None);
    };
    let day = fetch(&url).await?;
    save_daily(db, &day).await?;
    Ok(Some(day))
}

async fn save_daily(db: &Db, day: &ecb::DailyRates) -> Result<(), FxError> {
    let eur = currency("currency", "EUR")?;
    let pairs: Vec<_> = day
        .rates
        .iter()
        .filter(|(c, _)| *c != eur)
        .map(|(c, r)| (eur, *c, *r))
        .collect();
    // A rate the owner typed is theirs to keep: the file does not overwrite it.
    let owner: Vec<Rate> = all(db)
        .await?
        .into_iter()
        .filter(|r| r.source == RateSource::Owner)
        .collect();
    let pairs: Vec<_> = pairs
        .into_iter()
        .filter(|(a, b, _)| {
            !owner.iter().any(|r| {
                (r.from == a.code() && r.to == b.code()) || (r.from == b.code() && r.to == a.code())
            })
        })
        .collect();
    store(db, &pairs, RateSource::Ecb, day.date).await?;
    Ok(())
}

async fn fetch(url: &str) -> Result<ecb::DailyRates, FxError> {
    let source = |message: String| FxError::Source {
        url: url.to_string(),
        message,
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| source(e.to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| source(e.to_string()))?;
    if !response.status().is_success() {
        return Err(source(format!("answered {}", response.status())));
    }
    // The daily file is a few kilobytes.
    let body = http_body::read_capped(response, 1 << 20)
        .await
        .map_err(|e| source(e.to_string()))?;
    let text = String::from_utf8(body).map_err(|_| source("not UTF-8 text".into()))?;
    Ok(ecb::parse(&text)?)
}

#[cfg(test)]
mod tests;
