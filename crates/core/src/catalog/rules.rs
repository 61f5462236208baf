//! Pricing rules as stored, and repricing the catalog when they change.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow};

use super::CatalogError;
use crate::db::{Db, DbError, WriteTx, now_text};
use crate::money::{Currency, Money};
use crate::pricing::{PriceRule, PriceRules, Rounding, ShopPricing};
use crate::product::Category;

const GLOBAL: &str = "*";

#[derive(sqlx::FromRow)]
struct RuleRow {
    category: String,
    fee_bp: i64,
    fx_bp: i64,
    margin_bp: i64,
    rounding: String,
    floor_minor: Option<i64>,
    floor_currency: Option<String>,
}

fn corrupt(detail: String) -> DbError {
    DbError::Corrupt {
        what: "price_rules",
        detail,
    }
}

impl RuleRow {
    fn into_rule(self) -> Result<(Option<Category>, PriceRule), DbError> {
        let category = match self.category.as_str() {
            GLOBAL => None,
            c => Some(
                c.parse()
                    .map_err(|e: crate::product::UnknownCategory| corrupt(e.to_string()))?,
            ),
        };
        let floor = match (self.floor_minor, self.floor_currency) {
            (Some(m), Some(c)) => Some(Money::from_minor(
                m,
                Currency::parse(&c).map_err(|e| corrupt(e.to_string()))?,
            )),
            _ => None,
        };
        let rule = PriceRule::new(
            Decimal::new(self.fee_bp, 2),
            Decimal::new(self.fx_bp, 2),
            Decimal::new(self.margin_bp, 2),
            self.rounding
                .parse::<Rounding>()
                .map_err(|e| corrupt(e.to_string()))?,
            floor,
        )
        .map_err(|e| corrupt(e.to_string()))?;
        Ok((category, rule))
    }
}

fn basis_points(pct: Decimal) -> i64 {
    // PriceRule::new guarantees at most two decimals and < 100%.
    i64::try_from((pct * Decimal::ONE_HUNDRED).trunc()).unwrap_or(0)
}

/// The stored rules, or the starter rule when the owner has set none.
pub async fn load_rules(conn: &mut AnyConnection) -> Result<PriceRules, CatalogError> {
    let rows: Vec<AnyRow> = sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM price_rules"))
        .fetch_all(&mut *conn)
        .await?;
    rules_from(&rows)
}

/// How the shop prices now: the rules, the shop's currency and the rates.
pub async fn load_pricing(conn: &mut AnyConnection) -> Result<ShopPricing, CatalogError> {
    let rules = load_rules(conn).await?;
    let shop = match crate::settings::get(&mut *conn, crate::settings::SHOP_CURRENCY).await? {
        Some(code) if !code.trim().is_empty() => {
            Some(Currency::parse(&code).map_err(|e| corrupt(format!("shop currency: {e}")))?)
        }
        _ => None,
    };
    let rates = crate::fx::all_in(conn).await?;
    Ok(ShopPricing { rules, shop, rates })
}

/// Sets the currency the shop sells in (`None`: each product in its supplier's) and
/// reprices the catalog, in one transaction: a product with no rate to the new
/// currency refuses the change and nothing is written.
pub async fn set_shop_currency(
    db: &Db,
    shop: Option<Currency>,
) -> Result<RepriceReport, CatalogError> {
    let mut tx = db.begin_write().await?;
    let now = now_text();
    crate::settings::set(
        &mut *tx,
        crate::settings::SHOP_CURRENCY,
        shop.map(|c| c.code().to_string()).as_deref().unwrap_or(""),
    )
    .await?;
    reprice_and_commit(tx, &now).await
}

/// Reprices the whole catalog as the rules, the shop's currency and the rates stand
/// (after a rate or the shop's currency changed), in one transaction. A product with
/// no rate to the shop's currency refuses the whole change.
pub async fn reprice_all(db: &Db) -> Result<RepriceReport, CatalogError> {
    let tx = db.begin_write().await?;
    reprice_and_commit(tx, &now_text()).await
}

/// The columns [`rules_from`] reads, for queries batched with others.
pub(crate) const RULE_COLUMNS: &str =
    "category, fee_bp, fx_bp, margin_bp, rounding, floor_minor, floor_currency";

/// The rules from `price_rules` rows (selected with [`RULE_COLUMNS`]).
pub(crate) fn rules_from(rows: &[AnyRow]) -> Result<PriceRules, CatalogError> {
    let mut rules = PriceRules::default();
    let mut by_category = BTreeMap::new();
    for row in rows {
        match RuleRow::from_row(row).map_err(DbError::from)?.into_rule()? {
            (None, rule) => rules.global = rule,
            (Some(c), rule) => {
                by_category.insert(c, rule);
            }
        }
    }
    rules.by_category = by_category;
    Ok(rules)
}

#[derive(Debug, Clone, Serialize)]
pub struct RepriceReport {
    pub products: u64,
    pub changed: u64,
}

/// Saves a rule (for a category, or the global one) and reprices every product it
/// governs, in one transaction.
pub async fn save_rule(
    db: &Db,
    category: Option<Category>,
    rule: &PriceRule,
) -> Result<RepriceReport, CatalogError> {
    let mut tx = db.begin_write().await?;
    let now = now_text();
    let floor_minor = match rule.floor {
        Some(f) => Some(f.to_minor().map_err(|e| corrupt(e.to_string()))?),
        None => None,
    };
    sqlx::query(
        "INSERT INTO price_rules (category, fee_bp, fx_bp, margin_bp, rounding, floor_minor, floor_currency, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (category) DO UPDATE SET fee_bp = excluded.fee_bp, fx_bp = excluded.fx_bp,
             margin_bp = excluded.margin_bp, rounding = excluded.rounding,
             floor_minor = excluded.floor_minor, floor_currency = excluded.floor_currency,
             updated_at = excluded.updated_at",
    )
    .bind(category.map(|c| c.as_str()).unwrap_or(GLOBAL))
    .bind(basis_points(rule.fee_pct))
    .bind(basis_points(rule.fx_pct))
    .bind(basis_points(rule.margin_pct))
    .bind(rule.rounding.to_string())
    .bind(floor_minor)
    .bind(rule.floor.map(|f| f.currency.code().to_string()))
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    reprice_and_commit(tx, &now).await
}

/// Drops `category`'s own rule, so the global rule prices it again, and reprices the
/// catalog, in one transaction. A category without a rule of its own changes nothing.
pub async fn remove_rule(db: &Db, category: Category) -> Result<RepriceReport, CatalogError> {
    let mut tx = db.begin_write().await?;
    let now = now_text();
    sqlx::query("DELETE FROM price_rules WHERE category = $1")
        .bind(category.as_str())
        .execute(&mut *tx)
        .await?;
    reprice_and_commit(tx, &now).await
}

/// Reprices the catalog by the rules as `tx` leaves them, and commits.
async fn reprice_and_commit(mut tx: WriteTx, now: &str) -> Result<RepriceReport, CatalogError> {
    let pricing = load_pricing(&mut tx).await?;
    let report = reprice(&mut tx, &pricing, now).await?;
    tx.commit().await?;
    Ok(report)
}

/// Recomputes retail prices from the rules; records each change in price history.
async fn reprice(
    conn: &mut AnyConnection,
    pricing: &ShopPricing,
    now: &str,
) -> Result<RepriceReport, CatalogError> {
    type Row = (i64, String, String, i64, i64, String, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, sku, category, wholesale_minor, retail_minor, currency, retail_currency
         FROM products",
    )
    .fetch_all(&mut *conn)
    .await?;
    let bad = |detail: String| DbError::Corrupt {
        what: "products",
        detail,
    };
    let mut changed = Vec::new();
    for (id, sku, category, wholesale_minor, retail_minor, currency, retail_currency) in &rows {
        let category: Category = category
            .parse()
            .map_err(|e: crate::product::UnknownCategory| bad(e.to_string()))?;
        let currency = Currency::parse(currency).map_err(|e| bad(e.to_string()))?;
        let priced = pricing.retail(category, Money::from_minor(*wholesale_minor, currency))?;
        let new_minor = priced.retail.to_minor().map_err(|e| bad(e.to_string()))?;
        let new_currency = priced.retail.currency.code();
        let old_currency = retail_currency.as_deref().unwrap_or(currency.code());
        if new_minor != *retail_minor || new_currency != old_currency {
            changed.push((
                *id,
                sku,
                currency,
                *wholesale_minor,
                *retail_minor,
                new_minor,
                priced.retail.currency,
            ));
        }
    }
    for (id, sku, currency, wholesale_minor, old, new, retail_currency) in &changed {
        sqlx::query(
            "UPDATE products SET retail_minor = $1, retail_currency = $2, updated_at = $3
             WHERE id = $4",
        )
        .bind(new)
        .bind(retail_currency.code())
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO price_history (product_id, sku, currency, old_wholesale_minor, new_wholesale_minor,
                 old_retail_minor, new_retail_minor, retail_currency, changed_at)
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(sku)
        .bind(currency.code())
        .bind(wholesale_minor)
        .bind(old)
        .bind(new)
        .bind(retail_currency.code())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(RepriceReport {
        products: rows.len() as u64,
        changed: changed.len() as u64,
    })
}
