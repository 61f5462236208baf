//! Re-price proposals: when syncs move a product's wholesale cost by more than
//! [`crate::alerts::DRIFT_PCT`] since the owner last reviewed its price, the product
//! is proposed for re-pricing — its old and new cost, the retail its rule gives now
//! and the margin that keeps, beside what the price before the move would keep at
//! the new cost. The owner ticks the ones to apply; they are applied in one
//! transaction (the rule's retail written, the drift marked reviewed, an audit row).
//!
//! The drift is measured from the cost before the first sync change the owner has
//! not reviewed (`price_history.reviewed_at`), so small moves that add up are caught.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{CatalogError, load_pricing};
use crate::alerts::DRIFT_PCT;
use crate::db::{Db, DbError, now_text};
use crate::money::{Currency, Money};
use crate::pricing::{ShopPricing, drift_pct};
use crate::product::Category;

#[derive(Debug, thiserror::Error)]
pub enum ProposalError {
    #[error("{field}: {message}")]
    BadInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ProposalError {
    fn from(e: sqlx::Error) -> Self {
        ProposalError::Db(DbError::Sql(e))
    }
}

/// One product proposed for re-pricing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub sku: String,
    pub name: String,
    pub category: Category,
    /// The wholesale cost before the drift, and now (the supplier account's currency).
    pub old_cost: Money,
    pub new_cost: Money,
    /// new vs old cost, percent, one decimal.
    pub drift_pct: Decimal,
    /// The retail price before the drift, and the one listed now.
    pub old_retail: Money,
    pub listed: Money,
    /// The retail price the product's rule gives at the new cost (and today's rate).
    pub proposed: Money,
    /// What a sale at `proposed` keeps after fee and FX buffer, minus the cost.
    pub margin: Money,
    pub margin_pct: Option<Decimal>,
    /// What the price before the drift would keep at the new cost (negative: a loss).
    pub margin_at_old_retail: Money,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub applied: Vec<Proposal>,
    /// Proposals left for another day.
    pub left: usize,
}

fn corrupt(detail: String) -> DbError {
    DbError::Corrupt {
        what: "products",
        detail,
    }
}

/// The products proposed for re-pricing now, largest drift first.
pub async fn proposals(db: &Db) -> Result<Vec<Proposal>, ProposalError> {
    let mut conn = db.pool().acquire().await.map_err(DbError::from)?;
    let pricing = load_pricing(&mut conn).await?;
    find(&mut conn, &pricing).await
}

async fn find(
    conn: &mut AnyConnection,
    pricing: &ShopPricing,
) -> Result<Vec<Proposal>, ProposalError> {
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        Option<String>,
    );
    // The first unreviewed sync change of each product: the cost and price before it.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.sku, p.name, p.category, p.currency, h.old_wholesale_minor, p.wholesale_minor,
                h.old_retail_minor, p.retail_minor, coalesce(p.retail_currency, p.currency)
         FROM products p
         JOIN price_history h ON h.id = (
             SELECT min(id) FROM price_history
             WHERE product_id = p.id AND reviewed_at IS NULL AND sync_run_id IS NOT NULL)
         WHERE p.discontinued_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (sku, name, category, currency, old_minor, new_minor, old_retail, listed, retail_ccy) in
        rows
    {
        let Some(pct) = drift_pct(Decimal::from(old_minor), Decimal::from(new_minor)) else {
            continue;
        };
        if pct.abs() <= DRIFT_PCT {
            continue;
        }
        let category: Category = category
            .parse()
            .map_err(|e: crate::product::UnknownCategory| corrupt(e.to_string()))?;
        let cost_ccy = Currency::parse(&currency).map_err(|e| corrupt(e.to_string()))?;
        let retail_ccy = match retail_ccy {
            Some(c) => Currency::parse(&c).map_err(|e| corrupt(e.to_string()))?,
            None => cost_ccy,
        };
        let new_cost = Money::from_minor(new_minor, cost_ccy);
        let priced = pricing
            .retail(category, new_cost)
            .map_err(CatalogError::from)?;
        let rule = pricing.rules.rule_for(category);
        let cost_here = Money::new(new_cost.amount * priced.fx_rate, priced.retail.currency);
        let keep = |retail: Money| {
            Money::new(
                rule.margin(retail, cost_here)
                    .round_dp_with_strategy(retail.currency.exponent(), RoundingStrategy::ToZero),
                retail.currency,
            )
        };
        let margin = keep(priced.retail);
        let old_retail = Money::from_minor(old_retail, retail_ccy);
        out.push(Proposal {
            sku,
            name,
            category,
            old_cost: Money::from_minor(old_minor, cost_ccy),
            new_cost,
            drift_pct: pct.round_dp(1),
            old_retail,
            listed: Money::from_minor(listed, retail_ccy),
            proposed: priced.retail,
            margin_pct: crate::pricing::margin_pct(margin.amount, priced.retail.amount),
            margin,
            margin_at_old_retail: if old_retail.currency == cost_here.currency {
                keep(old_retail)
            } else {
                // The shop changed currency since: the old price says nothing now.
                margin
            },
        });
    }
    out.sort_by(|a, b| {
        b.drift_pct
            .abs()
            .cmp(&a.drift_pct.abs())
            .then_with(|| a.sku.cmp(&b.sku))
    });
    Ok(out)
}

/// Applies the proposals for `skus`, in one transaction: each product's retail
/// becomes the rule's, its drift is marked reviewed, and the change is audited. A sku
/// that is not proposed refuses the whole call, nothing changed. When no proposal
/// is left, the open price-drift alert is acknowledged.
pub async fn apply(db: &Db, skus: &[String], staff: &str) -> Result<Applied, ProposalError> {
    if skus.is_empty() {
        return Err(ProposalError::BadInput {
            field: "sku",
            message: "name at least one proposed product".into(),
        });
    }
    let mut tx = db.begin_write().await?;
    let pricing = load_pricing(&mut tx).await?;
    let all = find(&mut tx, &pricing).await?;
    let mut chosen = Vec::new();
    for sku in skus {
        let sku = sku.trim();
        match all.iter().find(|p| p.sku == sku) {
            Some(p) if !chosen.contains(p) => chosen.push(p.clone()),
            Some(_) => {}
            None => {
                return Err(ProposalError::BadInput {
                    field: "sku",
                    message: format!(
                        "{sku} has no re-price proposal (`codetill pricing proposals`)"
                    ),
                });
            }
        }
    }
    let now = now_text();
    for p in &chosen {
        let minor = |m: &Money| m.to_minor().map_err(|e| corrupt(e.to_string()));
        let (listed, proposed) = (minor(&p.listed)?, minor(&p.proposed)?);
        if listed != proposed || p.listed.currency != p.proposed.currency {
            sqlx::query(
                "UPDATE products SET retail_minor = $1, retail_currency = $2, updated_at = $3
                 WHERE sku = $4",
            )
            .bind(proposed)
            .bind(p.proposed.currency.code())
            .bind(&now)
            .bind(&p.sku)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO price_history (product_id, sku, currency, old_wholesale_minor,
                     new_wholesale_minor, old_retail_minor, new_retail_minor, retail_currency,
                     changed_at, reviewed_at)
                 SELECT id, sku, currency, wholesale_minor, wholesale_minor, $1, $2, $3, $4, $4
                 FROM products WHERE sku = $5",
            )
            .bind(listed)
            .bind(proposed)
            .bind(p.proposed.currency.code())
            .bind(&now)
            .bind(&p.sku)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE price_history SET reviewed_at = $1
             WHERE reviewed_at IS NULL AND product_id = (SELECT id FROM products WHERE sku = $2)",
        )
        .bind(&now)
        .bind(&p.sku)
        .execute(&mut *tx)
        .await?;
        // Into the log's hash chain, as every audited action.
        let detail = format!(
            "{}: cost {} → {} ({}%), retail {} → {}",
            p.sku, p.old_cost, p.new_cost, p.drift_pct, p.listed, p.proposed
        );
        crate::staff::audit::record(
            &mut tx,
            &crate::staff::audit::Entry {
                actor: staff,
                action: "reprice",
                order_id: None,
                detail: Some(&detail),
                at: Some(&now),
            },
        )
        .await?;
    }
    let left = all.len() - chosen.len();
    if left == 0 {
        sqlx::query(
            "UPDATE alerts SET acknowledged_at = $1
             WHERE kind = 'price_drift' AND acknowledged_at IS NULL",
        )
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(applied = chosen.len(), left, %staff, "re-price proposals applied");
    Ok(Applied {
        applied: chosen,
        left,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::catalog::save_rule;
    use crate::pricing::PriceRule;

    async fn shop() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        let now = now_text();
        for (sku, wholesale) in [("GC-20", 1840), ("GC-50", 4600), ("GC-5", 460)] {
            sqlx::query(
                "INSERT INTO products (sku, name, brand, category, region, face_minor, face_currency,
                     wholesale_minor, retail_minor, currency, in_stock, supplier_updated_at, updated_at)
                 VALUES ($1, $1, 'b', 'gift_card', 'US', 1, 'USD', $2, $2, 'USD', 1, $3, $3)",
            )
            .bind(sku)
            .bind(wholesale)
            .bind(&now)
            .execute(db.pool())
            .await
            .unwrap();
        }
        // Priced by the starter rule: GC-20 at 21.99.
        save_rule(&db, None, &PriceRule::starter()).await.unwrap();
        (db, dir)
    }

    /// A sync moving `sku`'s cost to `new` (and its retail by the rule, as sync does).
    async fn sync_moves(db: &Db, sku: &str, new: i64) {
        let run: i64 = sqlx::query_scalar(
            "INSERT INTO sync_runs (kind, started_at, status) VALUES ('full', $1, 'ok') RETURNING id",
        )
        .bind(now_text())
        .fetch_one(db.pool())
        .await
        .unwrap();
        let retail = PriceRule::starter()
            .retail(Money::from_minor(new, Currency::USD))
            .to_minor()
            .unwrap();
        sqlx::query(
            "INSERT INTO price_history (product_id, sku, currency, old_wholesale_minor, new_wholesale_minor,
                 old_retail_minor, new_retail_minor, sync_run_id, changed_at)
             SELECT id, sku, 'USD', wholesale_minor, $2, retail_minor, $3, $4, $5 FROM products WHERE sku = $1",
        )
        .bind(sku)
        .bind(new)
        .bind(retail)
        .bind(run)
        .bind(now_text())
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE products SET wholesale_minor = $2, retail_minor = $3 WHERE sku = $1")
            .bind(sku)
            .bind(new)
            .bind(retail)
            .execute(db.pool())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn drift_beyond_three_percent_is_proposed_with_the_rules_price_and_margin() {
        let (db, _dir) = shop().await;
        assert!(proposals(&db).await.unwrap().is_empty());
        // 2% then 2% more: 4.04% from the reviewed cost, proposed.
        sync_moves(&db, "GC-20", 1877).await;
        assert!(proposals(&db).await.unwrap().is_empty(), "2% is not drift");
        sync_moves(&db, "GC-20", 1914).await;
        // 3% exactly is not.
        sync_moves(&db, "GC-50", 4738).await;
        sync_moves(&db, "GC-5", 400).await;
        let found = proposals(&db).await.unwrap();
        assert_eq!(
            found.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(),
            ["GC-5", "GC-20"],
            "largest drift first"
        );
        let p = &found[1];
        assert_eq!(p.old_cost.to_string(), "18.40 USD");
        assert_eq!(p.new_cost.to_string(), "19.14 USD");
        assert_eq!(p.drift_pct.to_string(), "4.0");
        assert_eq!(p.old_retail.to_string(), "21.99 USD");
        assert_eq!(p.proposed.to_string(), "22.99 USD");
        // 22.99 × 0.95 − 19.14 = 2.7005; 21.99 × 0.95 − 19.14 = 1.7505.
        assert_eq!(p.margin.to_string(), "2.70 USD");
        assert_eq!(p.margin_pct, Some(rust_decimal_macros::dec!(11.7)));
        assert_eq!(p.margin_at_old_retail.to_string(), "1.75 USD");
    }

    #[tokio::test]
    async fn the_ticked_proposals_are_applied_in_one_transaction() {
        let (db, _dir) = shop().await;
        sync_moves(&db, "GC-20", 1914).await;
        sync_moves(&db, "GC-5", 400).await;
        // Listed below what the rule gives now (the owner's rule changed since).
        sqlx::query("UPDATE products SET retail_minor = 2199 WHERE sku = 'GC-20'")
            .execute(&db.pool().clone())
            .await
            .unwrap();
        crate::alerts::raise(
            &db,
            &crate::alerts::NewAlert {
                kind: crate::alerts::AlertKind::PriceDrift,
                message: "drift".into(),
                facts: serde_json::Value::Null,
                order_ref: None,
            },
        )
        .await
        .unwrap();

        // One unknown sku refuses the lot.
        let refused = apply(&db, &["GC-20".into(), "GC-50".into()], "owner").await;
        assert!(matches!(
            refused,
            Err(ProposalError::BadInput { field: "sku", .. })
        ));
        assert_eq!(proposals(&db).await.unwrap().len(), 2, "nothing changed");

        let done = apply(&db, &["GC-20".into()], "owner").await.unwrap();
        assert_eq!(done.applied.len(), 1);
        assert_eq!(done.left, 1);
        let listed: i64 =
            sqlx::query_scalar("SELECT retail_minor FROM products WHERE sku = 'GC-20'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(listed, 2299);
        assert_eq!(
            proposals(&db)
                .await
                .unwrap()
                .iter()
                .map(|p| p.sku.as_str())
                .collect::<Vec<_>>(),
            ["GC-5"]
        );
        assert_eq!(crate::alerts::open_count(&db).await.unwrap(), 1);
        apply(&db, &["GC-5".into()], "owner").await.unwrap();
        // Each applied price is a row of the audit log's hash chain.
        let chain = crate::staff::audit::verify(&db).await.unwrap();
        assert!(chain.holds(), "{chain:?}");

        assert!(proposals(&db).await.unwrap().is_empty());
        assert_eq!(
            crate::alerts::open_count(&db).await.unwrap(),
            0,
            "no proposal left: the drift alert is seen to"
        );
        let audited: i64 =
            sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'reprice'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(audited, 2);
        // A later move is measured from the reviewed cost.
        sync_moves(&db, "GC-20", 1950).await;
        assert!(
            proposals(&db).await.unwrap().is_empty(),
            "1.9% since review"
        );
    }
}
