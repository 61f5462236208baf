//! Search as staff type: FTS5 over sku, name, brand and region, every word a prefix,
//! ranked (sku hits first), limited. Any text a person or a scanner produces is safe:
//! it is cut into words and each word is quoted before it reaches MATCH.

use sqlx::SqlitePool;

use super::CatalogError;
use crate::product::{Product, ProductRow};

/// At most this many results, whatever is asked.
const MAX_LIMIT: u32 = 200;
/// Words beyond this add nothing at a till and only cost time.
const MAX_WORDS: usize = 8;

/// The FTS5 query for what a person typed, or `None` when it holds no word.
/// Every word must match as a prefix; a whole-word match scores higher, so "20"
/// ranks "$20" above "$200":
/// "steam 20" → `("steam" OR "steam"*) AND ("20" OR "20"*)`.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| {
            let w = w.to_lowercase();
            format!("(\"{w}\" OR \"{w}\"*)")
        })
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" AND "))
    }
}

/// Ranking every match costs time in proportion to the matches; beyond this many a
/// query is too broad to rank usefully (one letter, "gift"), and the first matches
/// found are ranked instead, so that every keystroke stays fast.
const RANK_AT_MOST: i64 = 1000;

pub async fn search(
    pool: &SqlitePool,
    text: &str,
    limit: u32,
) -> Result<Vec<Product>, CatalogError> {
    let Some(query) = fts_query(text) else {
        return Ok(Vec::new());
    };
    let limit = limit.clamp(1, MAX_LIMIT);
    let mut conn = pool.acquire().await?;
    let matches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM products_fts WHERE products_fts MATCH ?1 LIMIT ?2)",
    )
    .bind(&query)
    .bind(RANK_AT_MOST + 1)
    .fetch_one(&mut *conn)
    .await?;
    if matches == 0 {
        return Ok(Vec::new());
    }
    let order = if matches <= RANK_AT_MOST {
        "ORDER BY rank"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {cols} FROM (
             SELECT rowid, rank FROM products_fts WHERE products_fts MATCH ?1
             {order} LIMIT ?2
         ) AS f
         JOIN products p ON p.id = f.rowid
         WHERE p.discontinued_at IS NULL
         ORDER BY (upper(p.sku) = upper(?3)) DESC, f.rank, p.sku
         LIMIT ?4",
        cols = ProductRow::COLUMNS
    );
    let rows: Vec<ProductRow> = sqlx::query_as(&sql)
        .bind(&query)
        // Discontinued rows are filtered after the FTS limit: over-fetch a little.
        .bind(i64::from(limit) * 2)
        .bind(text.trim())
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| Product::try_from(r).map_err(CatalogError::from))
        .collect()
}

/// One product by its exact sku (a scanner, or a quote).
pub async fn product_by_sku(pool: &SqlitePool, sku: &str) -> Result<Option<Product>, CatalogError> {
    let sql = format!(
        "SELECT {} FROM products p WHERE p.sku = ?1",
        ProductRow::COLUMNS
    );
    let row: Option<ProductRow> = sqlx::query_as(&sql)
        .bind(sku.trim())
        .fetch_optional(pool)
        .await?;
    row.map(|r| Product::try_from(r).map_err(CatalogError::from))
        .transpose()
}

pub async fn product_count(db: &crate::db::Db) -> Result<i64, CatalogError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM products WHERE discontinued_at IS NULL")
            .fetch_one(db.pool())
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_prefixes() {
        assert_eq!(
            fts_query("Steam 20").as_deref(),
            Some("(\"steam\" OR \"steam\"*) AND (\"20\" OR \"20\"*)")
        );
        assert_eq!(
            fts_query("  \"*^():-NEAR OR ").as_deref(),
            Some("(\"near\" OR \"near\"*) AND (\"or\" OR \"or\"*)")
        );
        assert_eq!(
            fts_query("जियो ₹239").as_deref(),
            Some("(\"जियो\" OR \"जियो\"*) AND (\"239\" OR \"239\"*)")
        );
        assert_eq!(fts_query("\"\" ** ()"), None);
        assert_eq!(fts_query(""), None);
    }
}
