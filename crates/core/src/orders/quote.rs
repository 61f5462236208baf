//! The quote: the retail price from the catalog, re-checked live at the supplier,
//! and the guards that refuse a sale before any money is taken.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;

use super::OrderError;
use crate::catalog;
use crate::db::{Db, DbError, now_text};
use crate::money::{Currency, Money};
use crate::pricing::PriceRules;
use crate::product::{Product, ProductRow};
use crate::settings;
use crate::supplier::{Supplier, SupplierError};
use sqlx::Row;

/// Why a sale is refused before payment. Nothing has been charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    #[error("{sku} is discontinued by the supplier")]
    Discontinued { sku: String },
    #[error("{sku} is out of stock at the supplier")]
    OutOfStock { sku: String },
    #[error("the supplier balance {available} does not cover the wholesale price {needed}")]
    BalanceTooLow { available: String, needed: String },
    #[error("the margin {margin} is below the owner's floor {floor}")]
    BelowFloor { margin: String, floor: String },
    #[error("the supplier cannot be asked about {sku} right now: {message}")]
    SupplierUnavailable { sku: String, message: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub product: Product,
    /// What the buyer pays.
    pub price: Money,
    /// What the supplier charges now (live), sent as the order's max_unit_price.
    pub wholesale: Money,
    pub available_quantity: Option<u64>,
    pub margin: Money,
}

/// How long a fetched supplier balance is trusted, and when it counts as low enough
/// to re-check before every sale.
const BALANCE_FRESH: Duration = Duration::from_secs(60);
const BALANCE_LOW_MULTIPLE: i64 = 5;

/// Quotes `sku` for one unit, live. Refusals are [`OrderError::Refused`].
pub async fn quote(db: &Db, supplier: &dyn Supplier, sku: &str) -> Result<Quote, OrderError> {
    let (product, rules, cached) = read_inputs(db, sku).await?;
    let product = product.ok_or_else(|| OrderError::UnknownSku(sku.trim().to_string()))?;
    if product.discontinued {
        return Err(OrderError::Refused(Refusal::Discontinued {
            sku: product.sku,
        }));
    }
    let stock = match supplier.stock(&product.sku).await {
        Ok(s) => s,
        Err(SupplierError::Rejected { .. }) => {
            return Err(OrderError::Refused(Refusal::Discontinued {
                sku: product.sku,
            }));
        }
        Err(e) => {
            return Err(OrderError::Refused(Refusal::SupplierUnavailable {
                sku: product.sku,
                message: e.to_string(),
            }));
        }
    };
    if !stock.available || stock.quantity == Some(0) {
        return Err(OrderError::Refused(Refusal::OutOfStock {
            sku: product.sku,
        }));
    }
    let wholesale = stock.wholesale.ceil_to_minor();
    let rule = rules.rule_for(product.category).clone();
    // The live cost decides the price; the catalog's price is only what listings show.
    let price = if wholesale == product.wholesale {
        product.retail
    } else {
        rule.retail(wholesale)
    };
    let margin = Money::new(rule.margin(price, wholesale), price.currency).ceil_to_minor();
    if let Some(floor) = rule.floor
        && floor.currency == margin.currency
        && margin.amount < floor.amount
    {
        return Err(OrderError::Refused(Refusal::BelowFloor {
            margin: margin.to_string(),
            floor: floor.to_string(),
        }));
    }
    check_balance(db, supplier, cached, &wholesale).await?;
    Ok(Quote {
        product,
        price,
        wholesale,
        available_quantity: stock.quantity,
        margin,
    })
}

/// The supplier balance must cover the cost. A cached figure serves while it is fresh
/// and comfortably above the cost; otherwise it is fetched again.
async fn check_balance(
    db: &Db,
    supplier: &dyn Supplier,
    cached: Option<(Money, Duration)>,
    cost: &Money,
) -> Result<(), OrderError> {
    let plenty = |b: &Money| {
        b.currency == cost.currency && b.amount >= cost.amount * Decimal::from(BALANCE_LOW_MULTIPLE)
    };
    let balance = match cached {
        Some((b, age)) if age < BALANCE_FRESH && plenty(&b) => b,
        _ => match supplier.balance().await {
            Ok(b) => {
                store_balance(db, &b.available).await?;
                b.available
            }
            Err(e) => {
                return Err(OrderError::Refused(Refusal::SupplierUnavailable {
                    sku: String::new(),
                    message: e.to_string(),
                }));
            }
        },
    };
    if balance.currency == cost.currency && balance.amount < cost.amount {
        return Err(OrderError::Refused(Refusal::BalanceTooLow {
            available: balance.to_string(),
            needed: cost.to_string(),
        }));
    }
    Ok(())
}

const BALANCE_KEY: &str = "supplier.balance";

/// What a quote reads from the shop's database, in one round trip (it is on every
/// sale's path): the product, the price rules and the cached supplier balance.
async fn read_inputs(
    db: &Db,
    sku: &str,
) -> Result<(Option<Product>, PriceRules, Option<(Money, Duration)>), OrderError> {
    let sql = format!(
        "SELECT 'product' AS part, {} FROM products p WHERE p.sku = ?1;
         SELECT 'rule' AS part, {} FROM price_rules;
         SELECT 'balance' AS part, value FROM settings WHERE key = ?2",
        ProductRow::COLUMNS,
        catalog::RULE_COLUMNS
    );
    let rows = sqlx::query(&sql)
        .bind(sku.trim())
        .bind(BALANCE_KEY)
        .fetch_all(db.pool())
        .await
        .map_err(DbError::from)?;
    let (mut product, mut rules, mut balance) = (None, Vec::new(), None);
    for row in rows {
        match row.try_get::<&str, _>("part").map_err(DbError::from)? {
            "product" => product = Some(catalog::product_from(&row)?),
            "rule" => rules.push(row),
            _ => {
                balance = parse_balance(&row.try_get::<String, _>("value").map_err(DbError::from)?)
            }
        }
    }
    Ok((product, catalog::rules_from(&rules)?, balance))
}

/// The cached balance as stored: "USD 1523.10 2026-11-30T10:00:00.000Z", and its age.
fn parse_balance(text: &str) -> Option<(Money, Duration)> {
    let mut parts = text.split(' ');
    let currency = Currency::parse(parts.next()?).ok()?;
    let money = Money::parse(parts.next()?, currency).ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(parts.next()?).ok()?;
    let age = chrono::Utc::now()
        .signed_duration_since(at)
        .to_std()
        .unwrap_or_default();
    Some((money, age))
}

async fn store_balance(db: &Db, balance: &Money) -> Result<(), DbError> {
    settings::set(
        db.pool(),
        BALANCE_KEY,
        &format!(
            "{} {} {}",
            balance.currency,
            balance.amount_string(),
            now_text()
        ),
    )
    .await
}

/// Forget the cached balance (after a top-up, or when an order was refused for it).
pub async fn forget_balance(db: &Db) -> Result<(), DbError> {
    sqlx::query("DELETE FROM settings WHERE key = ?1")
        .bind(BALANCE_KEY)
        .execute(db.pool())
        .await?;
    Ok(())
}
