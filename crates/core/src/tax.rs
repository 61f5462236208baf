//! Tax invoices: the shop's tax id (GSTIN in India, a VAT number elsewhere), a tax
//! rate per category with prices inclusive of it, and invoice numbers sequential per
//! financial year under the shop's prefix.
//!
//! Retail prices already hold the tax; an invoice shows the part of each price that
//! is tax. The tax part is rounded to the currency's minor unit and the net is what
//! is left, so net + tax is the price exactly, whatever the currency's decimals.
//!
//! Invoice numbers are taken in the write that records the payment: SQLite has one
//! writer at a time, so tills selling at once never share or skip a number.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::{Batch, Db, DbError};
use crate::money::Money;
use crate::product::Category;
use crate::settings;

pub const TAX_ID: &str = "tax.id";
pub const INVOICE_PREFIX: &str = "tax.invoice_prefix";
/// The month (1–12) a financial year starts in: 4 (April) in India, 1 elsewhere.
pub const FY_START_MONTH: &str = "tax.fy_start_month";

#[derive(Debug, thiserror::Error)]
pub enum TaxError {
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for TaxError {
    fn from(e: sqlx::Error) -> Self {
        TaxError::Db(DbError::from(e))
    }
}

/// A price's tax part and what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Split {
    pub net: Money,
    pub tax: Money,
    /// Percent, e.g. 18 for GST 18%.
    pub rate: Decimal,
}

/// The tax inside `price` at `rate` percent (inclusive pricing): the tax part
/// rounded half away from zero to the minor unit, the net the rest.
pub fn split_inclusive(price: Money, rate: Decimal) -> Split {
    let exact = if rate.is_zero() {
        Decimal::ZERO
    } else {
        price.amount * rate / (Decimal::ONE_HUNDRED + rate)
    };
    let tax = exact.round_dp_with_strategy(
        price.currency.exponent(),
        RoundingStrategy::MidpointAwayFromZero,
    );
    Split {
        net: Money::new(price.amount - tax, price.currency),
        tax: Money::new(tax, price.currency),
        rate,
    }
}

/// A rate as typed: a percent from 0 to 100 with at most two decimals.
pub fn parse_rate(text: &str) -> Result<Decimal, TaxError> {
    let bad = |message: String| TaxError::BadInput {
        field: "rate",
        message,
    };
    let rate = crate::money::parse_decimal(text.trim().trim_end_matches('%'))
        .map_err(|e| bad(format!("{text:?}: {e}")))?;
    if rate.is_sign_negative() || rate > Decimal::ONE_HUNDRED || rate.scale() > 2 {
        return Err(bad(format!(
            "{text:?} is not a percent from 0 to 100 (two decimals at most)"
        )));
    }
    Ok(rate.normalize())
}

/// The shop's tax id as typed: 5 to 20 letters and digits (GSTIN is 15, EU VAT
/// numbers 8 to 14 after the country code); spaces and dashes are dropped.
pub fn parse_tax_id(field: &'static str, text: &str) -> Result<String, TaxError> {
    let id: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    if !(5..=20).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(TaxError::BadInput {
            field,
            message: format!("{text:?} is not a tax id (5 to 20 letters and digits)"),
        });
    }
    Ok(id)
}

/// The financial year `date` falls in, named by its first and last calendar years
/// (`2026-27` for a year starting in April; `2026` for one starting in January).
pub fn financial_year(date: NaiveDate, start_month: u32) -> String {
    let start_month = start_month.clamp(1, 12);
    let first = if date.month() >= start_month {
        date.year()
    } else {
        date.year() - 1
    };
    if start_month == 1 {
        first.to_string()
    } else {
        format!("{first}-{:02}", (first + 1) % 100)
    }
}

/// How the shop invoices: its tax id (none: receipts stay receipts), its prefix and
/// the month its financial year starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaxSettings {
    pub tax_id: Option<String>,
    pub prefix: String,
    pub fy_start_month: u32,
}

pub async fn settings(db: &Db) -> Result<TaxSettings, TaxError> {
    let pool = db.pool();
    Ok(TaxSettings {
        tax_id: settings::get(pool, TAX_ID).await?.filter(|s| !s.is_empty()),
        prefix: settings::get(pool, INVOICE_PREFIX)
            .await?
            .unwrap_or_else(|| DEFAULT_PREFIX.into()),
        fy_start_month: settings::get(pool, FY_START_MONTH)
            .await?
            .and_then(|m| m.parse().ok())
            .filter(|m| (1..=12).contains(m))
            .unwrap_or(4),
    })
}

/// The rate of each category that has one (percent); a category without one is
/// taxed at 0.
pub async fn rates(db: &Db) -> Result<Vec<(Category, Decimal)>, TaxError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT category, rate FROM tax_rates ORDER BY category")
            .fetch_all(db.pool())
            .await?;
    rows.into_iter()
        .map(|(c, r)| {
            let corrupt = |detail: String| {
                TaxError::Db(DbError::Corrupt {
                    what: "tax_rates",
                    detail,
                })
            };
            let category = c.parse::<Category>().map_err(|e| corrupt(e.to_string()))?;
            let rate = crate::money::parse_decimal(&r).map_err(|e| corrupt(e.to_string()))?;
            Ok((category, rate))
        })
        .collect()
}

/// Sets (or with `None`, clears) a category's rate, inside the caller's write
/// transaction (the till records who did it in the same one).
pub async fn set_rate_in(
    tx: &mut AnyConnection,
    category: Category,
    rate: Option<Decimal>,
) -> Result<(), TaxError> {
    match rate {
        Some(r) => {
            sqlx::query(
                "INSERT INTO tax_rates (category, rate) VALUES ($1, $2)
                 ON CONFLICT (category) DO UPDATE SET rate = excluded.rate",
            )
            .bind(category.as_str())
            .bind(r.normalize().to_string())
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM tax_rates WHERE category = $1")
                .bind(category.as_str())
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// What invoicing a sale takes: the shop's tax id, its prefix and the financial
/// year of the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceTerms {
    pub shop_tax_id: String,
    pub prefix: String,
    pub fy: String,
}

/// The tax of a sale of a product in `category` now: the category's rate, if it
/// has one, and the invoice terms, if the shop has a tax id. One read.
pub async fn for_sale(
    db: &Db,
    category: Category,
) -> Result<(Option<Decimal>, Option<InvoiceTerms>), TaxError> {
    let (rate, tax_id, prefix, month): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT (SELECT rate FROM tax_rates WHERE category = $1),
                (SELECT value FROM settings WHERE key = $2),
                (SELECT value FROM settings WHERE key = $3),
                (SELECT value FROM settings WHERE key = $4)",
    )
    .bind(category.as_str())
    .bind(TAX_ID)
    .bind(INVOICE_PREFIX)
    .bind(FY_START_MONTH)
    .fetch_one(db.pool())
    .await?;
    let rate = match rate {
        Some(r) => Some(crate::money::parse_decimal(&r).map_err(|e| {
            TaxError::Db(DbError::Corrupt {
                what: "tax_rates",
                detail: e.to_string(),
            })
        })?),
        None => None,
    };
    Ok((rate, terms(tax_id, prefix, month)))
}

/// The invoice terms from the settings as stored (none without a tax id), in the
/// financial year of today.
fn terms(
    tax_id: Option<String>,
    prefix: Option<String>,
    month: Option<String>,
) -> Option<InvoiceTerms> {
    let shop_tax_id = tax_id.filter(|t| !t.is_empty())?;
    let month = month.and_then(|m| m.parse().ok()).unwrap_or(4);
    Some(InvoiceTerms {
        shop_tax_id,
        prefix: prefix.unwrap_or_else(|| DEFAULT_PREFIX.into()),
        fy: financial_year(chrono::Local::now().date_naive(), month),
    })
}

pub const DEFAULT_PREFIX: &str = "INV";

/// Takes the next number of the financial year and records the invoice: $1 the
/// year, $2 the prefix, $3 the shop's tax id, $4 the buyer's, $5 now, and the sale
/// it is for: $6 an order's client_order_id, or $7 a basket's key. Run inside the
/// write that records the payment, so numbers neither repeat nor skip.
const INVOICE_INSERT: &str = "INSERT INTO invoices (number, fy, seq, order_id, basket_id, shop_tax_id, buyer_tax_id, issued_at)
     SELECT $2 || '/' || $1 || '/' || printf('%06d', coalesce(max(seq), 0) + 1), $1,
            coalesce(max(seq), 0) + 1,
            (SELECT id FROM orders WHERE client_order_id = $6),
            (SELECT id FROM baskets WHERE basket_key = $7), $3, $4, $5
       FROM invoices WHERE fy = $1";

/// What a sale's invoice is for.
#[derive(Debug, Clone, Copy)]
pub enum InvoiceOf<'a> {
    /// An order, by its client_order_id.
    Order(&'a str),
    /// A basket, by its key.
    Basket(&'a str),
}

/// The invoice of a sale, as a write batch to chain after the payment's.
pub fn invoice_batch(terms: &InvoiceTerms, buyer_tax_id: Option<&str>, of: InvoiceOf<'_>) -> Batch {
    let (order, basket) = match of {
        InvoiceOf::Order(k) => (Some(k.to_string()), None),
        InvoiceOf::Basket(k) => (None, Some(k.to_string())),
    };
    Batch::new(INVOICE_INSERT)
        .bind(terms.fy.clone())
        .bind(terms.prefix.clone())
        .bind(terms.shop_tax_id.clone())
        .bind(buyer_tax_id.map(str::to_string))
        .bind(crate::db::now_text())
        .bind(order)
        .bind(basket)
}

/// The invoice of a remote order, inside the transaction that records its payment:
/// when the shop has a tax id now. Answers the number.
pub async fn invoice_in(
    tx: &mut AnyConnection,
    client_order_id: &str,
) -> Result<Option<String>, TaxError> {
    let (tax_id, prefix, month): (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT value FROM settings WHERE key = $1),
                    (SELECT value FROM settings WHERE key = $2),
                    (SELECT value FROM settings WHERE key = $3)",
    )
    .bind(TAX_ID)
    .bind(INVOICE_PREFIX)
    .bind(FY_START_MONTH)
    .fetch_one(&mut *tx)
    .await?;
    let Some(terms) = terms(tax_id, prefix, month) else {
        return Ok(None);
    };
    sqlx::query(INVOICE_INSERT)
        .bind(&terms.fy)
        .bind(&terms.prefix)
        .bind(&terms.shop_tax_id)
        .bind(None::<String>)
        .bind(crate::db::now_text())
        .bind(client_order_id)
        .bind(None::<String>)
        .execute(&mut *tx)
        .await?;
    Ok(sqlx::query_scalar(
        "SELECT i.number FROM invoices i JOIN orders o ON o.id = i.order_id
          WHERE o.client_order_id = $1",
    )
    .bind(client_order_id)
    .fetch_optional(&mut *tx)
    .await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn money(minor: i64, code: &str) -> Money {
        Money::from_minor(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn gst_18_inside_a_price() {
        let s = split_inclusive(money(11800, "INR"), dec!(18));
        assert_eq!(s.tax.to_string(), "18.00 INR");
        assert_eq!(s.net.to_string(), "100.00 INR");
        let s = split_inclusive(money(2199, "USD"), dec!(20));
        assert_eq!(
            (s.net.to_string(), s.tax.to_string()),
            ("18.32 USD".into(), "3.67 USD".into())
        );
        let s = split_inclusive(money(500, "JPY"), dec!(10));
        assert_eq!((s.net.amount, s.tax.amount), (dec!(455), dec!(45)));
        let s = split_inclusive(money(1000, "KWD"), dec!(5));
        assert_eq!((s.net.amount, s.tax.amount), (dec!(0.952), dec!(0.048)));
        assert!(
            split_inclusive(money(999, "USD"), Decimal::ZERO)
                .tax
                .amount
                .is_zero()
        );
    }

    #[test]
    fn financial_years_start_where_the_shop_says() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(financial_year(d("2026-03-31"), 4), "2025-26");
        assert_eq!(financial_year(d("2026-04-01"), 4), "2026-27");
        assert_eq!(financial_year(d("2099-12-31"), 4), "2099-00");
        assert_eq!(financial_year(d("2026-12-04"), 1), "2026");
    }

    #[test]
    fn bad_rates_and_tax_ids_name_what_is_wrong() {
        assert_eq!(parse_rate("18").unwrap(), dec!(18));
        assert_eq!(parse_rate("12.5%").unwrap(), dec!(12.5));
        for bad in ["-1", "101", "abc", "5.125", ""] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_tax_id("--tax-id", "29abcde1234f1z5").unwrap(),
            "29ABCDE1234F1Z5"
        );
        assert_eq!(
            parse_tax_id("--tax-id", "DE 123 456 789").unwrap(),
            "DE123456789"
        );
        for bad in ["1234", "GB-12!34567", &"X".repeat(21)] {
            assert!(parse_tax_id("--tax-id", bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Inclusive price = net + tax exactly, both in whole minor units, and the
        /// tax within half a minor unit of the exact share, for 0-, 2- and 3-decimal
        /// currencies.
        #[test]
        fn net_plus_tax_is_the_price_to_the_minor_unit(
            minor in 0i64..10_000_000_000,
            code in prop::sample::select(vec!["JPY", "VND", "USD", "INR", "EUR", "KWD", "BHD", "OMR"]),
            rate_bp in 0u32..=10_000,
        ) {
            let price = money(minor, code);
            let rate = Decimal::new(i64::from(rate_bp), 2);
            let s = split_inclusive(price, rate);
            prop_assert_eq!(s.net.amount + s.tax.amount, price.amount);
            let unit = price.currency.minor_unit();
            prop_assert!((s.tax.amount / unit).fract().is_zero());
            prop_assert!((s.net.amount / unit).fract().is_zero());
            prop_assert!(!s.tax.amount.is_sign_negative() && !s.net.amount.is_sign_negative());
            let exact = price.amount * rate / (Decimal::ONE_HUNDRED + rate);
            prop_assert!((s.tax.amount - exact).abs() <= unit / Decimal::TWO);
        }
    }
}
