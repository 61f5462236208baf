//! What the owner reviews on the pricing screen: a preview of a rule on sample
//! products before it is saved, the price changes the catalog went through, and the
//! rows a sync could not import.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::CatalogError;
use crate::db::{Db, DbError};
use crate::money::{Currency, Money};
use crate::pricing::{PriceRule, drift_pct};
use crate::product::{Category, Product, ProductRow};
use crate::supplier::BadRow;

/// At most this many sample products in a preview.
pub const MAX_PREVIEW: u32 = 50;

/// One sample product priced by a rule that is being edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricePreview {
    pub sku: String,
    pub name: String,
    pub category: Category,
    pub wholesale: Money,
    /// The retail price the catalog holds now.
    pub current: Money,
    /// The retail price under the edited rule.
    pub retail: Money,
    /// What the shop keeps per sale after fee and FX buffer, minus the cost.
    pub margin: Money,
    /// `margin` as a percentage of `retail`, one decimal.
    pub margin_pct: Decimal,
    /// The margin is under the rule's floor: such a sale would be refused.
    pub below_floor: bool,
}

/// `rule` applied to up to `limit` products of `category` (every category when
/// `None`), spread over the wholesale price range from cheapest to dearest.
pub async fn preview(
    db: &Db,
    category: Option<Category>,
    rule: &PriceRule,
    limit: u32,
) -> Result<Vec<PricePreview>, CatalogError> {
    let limit = i64::from(limit.clamp(1, MAX_PREVIEW));
    // Every n-th product by wholesale price, so cheap and dear cards both show.
    let rows: Vec<ProductRow> = sqlx::query_as(&format!(
        "WITH ranked AS (
             SELECT p.*, row_number() OVER (ORDER BY p.wholesale_minor, p.sku) AS rn,
                    count(*) OVER () AS n
             FROM products p
             WHERE p.discontinued_at IS NULL AND ($1 IS NULL OR p.category = $1)
         )
         SELECT {} FROM ranked p
         WHERE (p.rn - 1) % (CASE WHEN p.n / $2 > 1 THEN p.n / $2 ELSE 1 END) = 0
         ORDER BY p.wholesale_minor, p.sku LIMIT $2",
        ProductRow::COLUMNS
    ))
    .bind(category.map(|c| c.as_str()))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|row| Ok(preview_one(&Product::try_from(row)?, rule)))
        .collect()
}

fn preview_one(p: &Product, rule: &PriceRule) -> PricePreview {
    let retail = rule.retail(p.wholesale);
    let currency = retail.currency;
    // A margin is never over-stated: cut towards zero at the currency's precision.
    let margin = rule
        .margin(retail, p.wholesale)
        .round_dp_with_strategy(currency.exponent(), RoundingStrategy::ToZero);
    let margin_pct = if retail.amount.is_zero() {
        Decimal::ZERO
    } else {
        (margin / retail.amount * Decimal::ONE_HUNDRED).round_dp(1)
    };
    let below_floor = rule
        .floor
        .is_some_and(|f| f.currency == currency && margin < f.amount);
    PricePreview {
        sku: p.sku.clone(),
        name: p.name.clone(),
        category: p.category,
        wholesale: p.wholesale,
        current: p.retail,
        retail,
        margin: Money::new(margin, currency),
        margin_pct,
        below_floor,
    }
}

/// One recorded price change, newest first in [`price_changes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceChange {
    pub sku: String,
    pub name: Option<String>,
    pub old_wholesale: Money,
    pub new_wholesale: Money,
    pub old_retail: Money,
    pub new_retail: Money,
    /// Relative change in percent, one decimal (`None` from zero).
    pub wholesale_change_pct: Option<Decimal>,
    pub retail_change_pct: Option<Decimal>,
    /// `sync` (the supplier changed the cost) or `rules` (the owner changed pricing).
    pub cause: &'static str,
    pub changed_at: String,
}

/// The most recent price changes (at most `limit`, 1–500).
pub async fn price_changes(db: &Db, limit: u32) -> Result<Vec<PriceChange>, CatalogError> {
    type Row = (
        String,
        Option<String>,
        String,
        i64,
        i64,
        i64,
        i64,
        Option<i64>,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT h.sku, p.name, h.currency, h.old_wholesale_minor, h.new_wholesale_minor,
                h.old_retail_minor, h.new_retail_minor, h.sync_run_id, h.changed_at
         FROM price_history h LEFT JOIN products p ON p.id = h.product_id
         ORDER BY h.id DESC LIMIT $1",
    )
    .bind(i64::from(limit.clamp(1, 500)))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|(sku, name, currency, ow, nw, or, nr, run, changed_at)| {
            let c = Currency::parse(&currency).map_err(|e| DbError::Corrupt {
                what: "price_history",
                detail: e.to_string(),
            })?;
            let pct = |old: i64, new: i64| {
                drift_pct(Decimal::from(old), Decimal::from(new)).map(|d| d.round_dp(1))
            };
            Ok(PriceChange {
                sku,
                name,
                old_wholesale: Money::from_minor(ow, c),
                new_wholesale: Money::from_minor(nw, c),
                old_retail: Money::from_minor(or, c),
                new_retail: Money::from_minor(nr, c),
                wholesale_change_pct: pct(ow, nw),
                retail_change_pct: pct(or, nr),
                cause: if run.is_some() { "sync" } else { "rules" },
                changed_at,
            })
        })
        .collect()
}

/// Rows the sync run `run_id` could not import, with the reason (at most `limit`).
pub async fn skipped_rows(db: &Db, run_id: i64, limit: u32) -> Result<Vec<BadRow>, CatalogError> {
    let rows: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT sku, reason FROM sync_skips WHERE run_id = $1 LIMIT $2")
            .bind(run_id)
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(sku, reason)| BadRow { sku, reason })
        .collect())
}

/// The currency most of the catalog is priced in (a floor is typed in it), if any.
pub async fn main_currency(db: &Db) -> Result<Option<Currency>, CatalogError> {
    let code: Option<String> = sqlx::query_scalar(
        "SELECT currency FROM products WHERE discontinued_at IS NULL
         GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    code.map(|c| {
        Currency::parse(&c).map_err(|e| {
            CatalogError::Db(DbError::Corrupt {
                what: "products",
                detail: e.to_string(),
            })
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::catalog::save_rule;
    use crate::db::now_text;
    use crate::pricing::Rounding;
    use rust_decimal_macros::dec;

    async fn shop() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        let now = now_text();
        for (sku, cat, wholesale) in [
            ("GC-5", "gift_card", 460),
            ("GC-20", "gift_card", 1840),
            ("GC-50", "gift_card", 4600),
            ("TOP-1", "mobile_topup", 980),
        ] {
            sqlx::query(
                "INSERT INTO products (sku, name, brand, category, region, face_minor, face_currency,
                     wholesale_minor, retail_minor, currency, in_stock, supplier_updated_at, updated_at)
                 VALUES ($1, $1, 'b', $2, 'US', 1, 'USD', $3, $3, 'USD', 1, $4, $4)",
            )
            .bind(sku)
            .bind(cat)
            .bind(wholesale)
            .bind(&now)
            .execute(db.pool())
            .await
            .unwrap();
        }
        (db, dir)
    }

    #[tokio::test]
    async fn a_preview_prices_sample_products_of_the_category_by_the_edited_rule() {
        let (db, _dir) = shop().await;
        let rule = PriceRule::starter();
        let rows = preview(&db, Some(Category::GiftCard), &rule, 10)
            .await
            .unwrap();
        assert_eq!(
            rows.iter().map(|r| r.sku.as_str()).collect::<Vec<_>>(),
            ["GC-5", "GC-20", "GC-50"],
            "cheapest first, only gift cards"
        );
        let gc20 = &rows[1];
        assert_eq!(
            gc20.current.amount_string(),
            "18.40",
            "the catalog is untouched"
        );
        assert_eq!(gc20.retail.amount_string(), "21.99");
        // 21.99 × 0.95 − 18.40 = 2.4905 → 2.49, 11.3% of 21.99.
        assert_eq!(gc20.margin.amount_string(), "2.49");
        assert_eq!(gc20.margin_pct, dec!(11.3));
        assert!(!gc20.below_floor);

        let more = PriceRule::new(dec!(3), dec!(2), dec!(20), Rounding::None, None).unwrap();
        let rows = preview(&db, Some(Category::GiftCard), &more, 10)
            .await
            .unwrap();
        assert_eq!(
            rows[1].retail.amount_string(),
            "24.54",
            "18.40 / 0.75 rounded up"
        );

        let floored = PriceRule::new(
            dec!(3),
            dec!(2),
            dec!(8),
            Rounding::None,
            Some(Money::parse("1.00", Currency::USD).unwrap()),
        )
        .unwrap();
        let rows = preview(&db, None, &floored, 10).await.unwrap();
        assert_eq!(rows.len(), 4, "every category without one");
        assert!(rows[0].below_floor, "a 5-dollar card keeps less than 1.00");
        assert!(!rows[3].below_floor);

        let two = preview(&db, None, &rule, 2).await.unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].sku, "GC-5");
    }

    #[tokio::test]
    async fn repricing_is_listed_as_a_price_change_caused_by_the_rules() {
        let (db, _dir) = shop().await;
        save_rule(&db, Some(Category::MobileTopup), &PriceRule::starter())
            .await
            .unwrap();
        let changes = price_changes(&db, 10).await.unwrap();
        assert_eq!(
            changes.len(),
            4,
            "the global starter rule repriced the rest"
        );
        let c = changes.iter().find(|c| c.sku == "TOP-1").unwrap();
        assert_eq!(c.sku, "TOP-1");
        assert_eq!(c.cause, "rules");
        assert_eq!(c.old_retail.amount_string(), "9.80");
        assert_eq!(c.new_retail.amount_string(), "11.99");
        assert_eq!(c.retail_change_pct, Some(dec!(22.3)));
        assert_eq!(c.wholesale_change_pct, Some(dec!(0)));
        assert!(skipped_rows(&db, 1, 10).await.unwrap().is_empty());
        assert_eq!(main_currency(&db).await.unwrap(), Some(Currency::USD));
    }
}
