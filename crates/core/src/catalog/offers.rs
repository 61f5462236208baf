//! One card, several suppliers: each supplier's row is an offer, and offers of the
//! same card (same category, brand, region, face value and face currency) share a
//! group, shown at the counter as one product. A sync links a new row to a matching
//! card another supplier sells; the owner can link or unlink by hand, and a row the
//! owner touched is never relinked by a sync.

use sqlx::AnyConnection;

use super::CatalogError;
use crate::db::{Db, DbError, now_text};
use crate::product::{Product, ProductRow};
use crate::supplier::routing::display_name;

#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error("no product with sku {0:?}")]
    UnknownSku(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<sqlx::Error> for OfferError {
    fn from(e: sqlx::Error) -> Self {
        OfferError::Catalog(CatalogError::from(e))
    }
}

impl From<DbError> for OfferError {
    fn from(e: DbError) -> Self {
        OfferError::Catalog(CatalogError::Db(e))
    }
}

/// Gives each staged row the counter's sku: the one its row already has, else the
/// supplier's own when no other supplier holds it, else `NAME:SKU`.
pub(super) async fn map_skus(
    tx: &mut AnyConnection,
    account: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_stage SET sku = coalesce(
             (SELECT p.sku FROM products p
              WHERE coalesce(p.supplier, '') = coalesce($1, '')
                AND coalesce(p.supplier_sku, p.sku) = sync_stage.supplier_sku),
             CASE WHEN EXISTS (SELECT 1 FROM products p WHERE p.sku = sync_stage.supplier_sku)
                  THEN $2 || ':' || sync_stage.supplier_sku
                  ELSE sync_stage.supplier_sku END)",
    )
    .bind(account)
    .bind(display_name(account))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Links the rows this sync added (ids above `after`) to the same card sold by
/// another supplier, one offer per supplier in a group.
pub(super) async fn link_new(
    tx: &mut AnyConnection,
    account: Option<&str>,
    after: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE products SET offer_group = (
             SELECT coalesce(o.offer_group, o.sku) FROM products o
             WHERE o.category = products.category AND o.face_minor = products.face_minor
               AND o.face_currency = products.face_currency AND o.region = products.region
               AND o.brand = products.brand COLLATE NOCASE
               AND (o.open_min_minor IS NULL) = (products.open_min_minor IS NULL)
               AND o.supplier IS DISTINCT FROM products.supplier AND o.group_manual = 0
               AND o.discontinued_at IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM products m
                   WHERE m.supplier IS NOT DISTINCT FROM products.supplier AND m.id != products.id
                     AND (m.sku = coalesce(o.offer_group, o.sku)
                          OR m.offer_group = coalesce(o.offer_group, o.sku)))
             ORDER BY o.id LIMIT 1)
         WHERE id > $2 AND supplier IS NOT DISTINCT FROM $1 AND group_manual = 0 AND offer_group IS NULL",
    )
    .bind(account)
    .bind(after)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Every offer of `product`'s card that is still sold by a supplier the shop has
/// enabled (itself included), cheapest first.
pub async fn offers(
    conn: &mut AnyConnection,
    product: &Product,
) -> Result<Vec<Product>, CatalogError> {
    let sql = format!(
        "SELECT {} FROM products p
         WHERE (p.sku = $1 OR p.offer_group = $1) AND p.discontinued_at IS NULL
           AND (p.supplier IS NULL OR p.supplier IN
                (SELECT name FROM supplier_accounts WHERE enabled = 1))
         ORDER BY p.retail_minor, p.id",
        ProductRow::COLUMNS
    );
    let rows: Vec<ProductRow> = sqlx::query_as(&sql)
        .bind(product.group_key())
        .fetch_all(&mut *conn)
        .await?;
    let mut all = rows
        .into_iter()
        .map(|r| Product::try_from(r).map_err(CatalogError::from))
        .collect::<Result<Vec<_>, _>>()?;
    // Prices compare only within one currency: the shop's, or the product's own.
    all.sort_by_key(|o| {
        (
            o.retail.currency != product.retail.currency,
            o.retail.amount,
        )
    });
    Ok(all)
}

/// Does any product have offers from several suppliers? (A shop with one supplier
/// skips the grouping work entirely.)
pub(crate) async fn any_linked(conn: &mut AnyConnection) -> Result<bool, CatalogError> {
    let crate::db::Flag(linked) =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE offer_group IS NOT NULL)")
            .fetch_one(&mut *conn)
            .await?;
    Ok(linked)
}

async fn product(conn: &mut AnyConnection, sku: &str) -> Result<Product, OfferError> {
    let sql = format!(
        "SELECT {} FROM products p WHERE p.sku = $1",
        ProductRow::COLUMNS
    );
    let row: Option<ProductRow> = sqlx::query_as(&sql)
        .bind(sku.trim())
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or_else(|| OfferError::UnknownSku(sku.trim().to_string()))?;
    Ok(Product::try_from(row)?)
}

/// The owner links `sku` to `to`'s card: from now on they are offers of one product.
/// Both must come from different suppliers, the card must have no offer from
/// `sku`'s supplier yet, and `sku` must not already be a card others are linked to.
pub async fn link(db: &Db, sku: &str, to: &str) -> Result<(), OfferError> {
    let mut tx = db.begin_write().await?;
    let one = product(&mut tx, sku).await?;
    let other = product(&mut tx, to).await?;
    let key = other.group_key().to_string();
    if one.group_key() == key {
        return Err(OfferError::Refused(format!(
            "{} and {} are already offers of one product",
            one.sku, other.sku
        )));
    }
    let members: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT sku, supplier FROM products WHERE sku = $1 OR offer_group = $1")
            .bind(&key)
            .fetch_all(&mut *tx)
            .await?;
    if let Some((taken, _)) = members.iter().find(|(_, s)| *s == one.supplier) {
        return Err(OfferError::Refused(format!(
            "{to}: the product already has an offer from {} ({taken}); unlink that one first",
            display_name(one.supplier.as_deref())
        )));
    }
    let linked_to_one: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products WHERE offer_group = $1")
            .bind(&one.sku)
            .fetch_one(&mut *tx)
            .await?;
    if linked_to_one > 0 {
        return Err(OfferError::Refused(format!(
            "{sku}: other offers are linked to it; unlink them first"
        )));
    }
    sqlx::query(
        "UPDATE products SET offer_group = $1, group_manual = 1, updated_at = $2 WHERE sku = $3",
    )
    .bind(&key)
    .bind(now_text())
    .bind(&one.sku)
    .execute(&mut *tx)
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The owner unlinks `sku` from its card: it becomes a product of its own, which
/// syncs leave alone. Offers that were linked to it stay one product among
/// themselves.
pub async fn unlink(db: &Db, sku: &str) -> Result<(), OfferError> {
    let mut tx = db.begin_write().await?;
    let one = product(&mut tx, sku).await?;
    let now = now_text();
    let others: Vec<String> =
        sqlx::query_scalar("SELECT sku FROM products WHERE offer_group = $1 ORDER BY id")
            .bind(&one.sku)
            .fetch_all(&mut *tx)
            .await?;
    if one.offer_group.is_none() && others.is_empty() {
        return Err(OfferError::Refused(format!(
            "{sku} is not linked to any other offer"
        )));
    }
    if let Some(first) = others.first() {
        sqlx::query(
            "UPDATE products SET offer_group = CASE WHEN sku = $1 THEN NULL ELSE $1 END, updated_at = $2
             WHERE offer_group = $3",
        )
        .bind(first)
        .bind(&now)
        .bind(&one.sku)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE products SET offer_group = NULL, group_manual = 1, updated_at = $1 WHERE sku = $2",
    )
    .bind(&now)
    .bind(&one.sku)
    .execute(&mut *tx)
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
