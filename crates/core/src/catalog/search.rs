//! Search as staff type: FTS5 over sku, name, brand and region finds the candidates,
//! then a ranking in Rust orders them (an exact sku first, whole words above
//! prefixes, the sku and name above brand and region).
//!
//! Candidates come in tiers: products where every word is a whole word; then those
//! where the last word is a prefix (words before it are taken as typed in full:
//! "steam 2" finds $20 and $25 cards); when that finds nothing, every word is taken as
//! a prefix. FTS5 walks its index lazily and each tier stops at `CANDIDATES`
//! matches, which keeps even one-letter queries over 100,000 products within a few
//! milliseconds; a query that broad ranks the first matches found. Any text a person or a scanner produces is safe: it is cut into
//! words and each word is quoted before it reaches MATCH.

use std::cmp::Reverse;

use sqlx::AnyPool;

use super::CatalogError;
use crate::product::{Product, ProductRow};

/// At most this many results, whatever is asked.
const MAX_LIMIT: u32 = 200;
/// Words beyond this add nothing at a till and only cost time.
const MAX_WORDS: usize = 8;
/// How many FTS matches each tier hands to the ranking.
const CANDIDATES: i64 = 200;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_lowercase)
        .collect()
}

/// How much of the typed text is taken as a prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    Last,
    All,
}

fn quoted(words: &[String], prefix: Prefix) -> Option<String> {
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if prefix == Prefix::All || (prefix == Prefix::Last && i == last) {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// The FTS5 query for what a person typed, or `None` when it holds no word.
/// "Steam 20" → `"steam" AND "20"*`.
pub fn fts_query(text: &str) -> Option<String> {
    quoted(&words(text), Prefix::Last)
}

/// Whether each word is a token of the fields, or the start of one (what FTS
/// finds with every word a prefix).
fn every_word_starts_a_token(words: &[String], fields: [&String; 4]) -> bool {
    let tokens: Vec<String> = fields.iter().flat_map(|f| words_of(f)).collect();
    words
        .iter()
        .all(|w| tokens.iter().any(|t| t.starts_with(w.as_str())))
}

/// How well one product matches the typed words (higher is better).
fn score(words: &[String], typed: &str, sku: &str, fields: [&str; 4]) -> u32 {
    if sku.eq_ignore_ascii_case(typed.trim()) {
        return u32::MAX;
    }
    const WEIGHTS: [u32; 4] = [10, 6, 3, 2]; // sku, name, brand, region
    let tokens: Vec<Vec<String>> = fields.iter().map(|f| words_of(f)).collect();
    words
        .iter()
        .map(|w| {
            tokens
                .iter()
                .zip(WEIGHTS)
                .map(|(toks, weight)| {
                    if toks.iter().any(|t| t == w) {
                        weight * 2
                    } else if toks.iter().any(|t| t.starts_with(w.as_str())) {
                        weight
                    } else {
                        0
                    }
                })
                .max()
                .unwrap_or(0)
        })
        .sum()
}

fn words_of(field: &str) -> Vec<String> {
    field
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub async fn search(pool: &AnyPool, text: &str, limit: u32) -> Result<Vec<Product>, CatalogError> {
    let mut conn = pool.acquire().await?;
    let products = if pool
        .connect_options()
        .database_url
        .scheme()
        .starts_with("postgres")
    {
        ranked(&mut PgReads(&mut conn), text, limit).await?
    } else {
        ranked(&mut SqlxReads(&mut conn), text, limit).await?
    };
    if products.is_empty() || !super::offers::any_linked(&mut conn).await? {
        return Ok(products);
    }
    one_row_per_card(&mut conn, products).await
}

/// [`search`] on a connection of its own, without a runtime or a pool: the command
/// line's `search`, a process that starts, reads and exits. Read only: it never
/// migrates, so a database this build has not migrated yet, one that does not exist,
/// or a catalog with linked offers (their one-row-per-card view reads more) answers
/// `None`, and the caller takes the full path.
pub fn search_read_only(
    path: &std::path::Path,
    text: &str,
    limit: u32,
) -> Result<Option<Vec<Product>>, CatalogError> {
    use rusqlite::OpenFlags;
    if !path.is_file() {
        return Ok(None);
    }
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(native)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(native)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(native)?;
    if !crate::db::up_to_date_native(&conn) {
        return Ok(None);
    }
    let linked: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM products WHERE offer_group IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .map_err(native)?;
    if linked {
        return Ok(None);
    }
    // The reads below never wait on anything but SQLite itself.
    futures::executor::block_on(ranked(&mut NativeReads(&conn), text, limit)).map(Some)
}

fn native(e: rusqlite::Error) -> CatalogError {
    CatalogError::Db(crate::db::DbError::from(e))
}

/// The three reads a search makes, on whichever connection serves it.
trait Reads {
    /// FTS matches of `query`, at most [`CANDIDATES`].
    async fn candidates(&mut self, query: &str) -> Result<Vec<i64>, CatalogError>;
    /// Whether a candidate may match a word only inside a token (not as the
    /// token or its start): then ranking drops what FTS would not have found.
    fn loose(&self) -> bool {
        false
    }
    /// What ranking needs of the products `ids` (a JSON array), as one JSON value.
    async fn light(&mut self, ids: &str) -> Result<String, CatalogError>;
    /// The full rows of the products `ids`.
    async fn rows(&mut self, ids: &str) -> Result<Vec<ProductRow>, CatalogError>;
}

const CANDIDATES_SQL: &str = "SELECT rowid FROM products_fts WHERE products_fts MATCH $1 LIMIT $2";
// One row holding every candidate: sqlx hands rows over one at a time, which would
// cost more than the search itself.
const LIGHT_SQL: &str =
    "SELECT json_group_array(json_array(id, sku, name, brand, region, in_stock)) FROM products
     WHERE id IN (SELECT value FROM json_each($1)) AND discontinued_at IS NULL";

fn rows_sql() -> String {
    format!(
        "SELECT {} FROM products p WHERE p.id IN (SELECT value FROM json_each($1))",
        ProductRow::COLUMNS
    )
}

struct SqlxReads<'c>(&'c mut sqlx::AnyConnection);

impl Reads for SqlxReads<'_> {
    async fn candidates(&mut self, query: &str) -> Result<Vec<i64>, CatalogError> {
        Ok(sqlx::query_scalar(CANDIDATES_SQL)
            .bind(query)
            .bind(CANDIDATES)
            .fetch_all(&mut *self.0)
            .await?)
    }

    async fn light(&mut self, ids: &str) -> Result<String, CatalogError> {
        Ok(sqlx::query_scalar(LIGHT_SQL)
            .bind(ids)
            .fetch_one(&mut *self.0)
            .await?)
    }

    async fn rows(&mut self, ids: &str) -> Result<Vec<ProductRow>, CatalogError> {
        Ok(sqlx::query_as(&rows_sql())
            .bind(ids)
            .fetch_all(&mut *self.0)
            .await?)
    }
}

/// The reads on PostgreSQL, which has no FTS5: every product whose text holds each
/// word (a scan; the till's local FTS copy is what keeps a keystroke in
/// milliseconds at 100,000 products), narrowed by ranking to what FTS would find.
struct PgReads<'c>(&'c mut sqlx::AnyConnection);

/// The query's words back from its FTS text (`"steam" AND "20"*`).
fn fts_words(query: &str) -> Vec<String> {
    query
        .split(" AND ")
        .map(|w| w.trim_end_matches('*').trim_matches('"').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

const PG_IDS: &str = "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($1 AS JSON))";

impl Reads for PgReads<'_> {
    async fn candidates(&mut self, query: &str) -> Result<Vec<i64>, CatalogError> {
        let words = fts_words(query);
        let mut sql = String::from("SELECT id FROM products WHERE discontinued_at IS NULL");
        for k in 1..=words.len() {
            // Words are letters and digits only: nothing in them is a LIKE wildcard.
            sql.push_str(&format!(
                " AND lower(sku || ' ' || name || ' ' || brand || ' ' || region) LIKE ${k}"
            ));
        }
        sql.push_str(&format!(" ORDER BY id LIMIT {}", CANDIDATES * 10));
        let mut q = sqlx::query_scalar(&sql);
        for w in &words {
            q = q.bind(format!("%{w}%"));
        }
        Ok(q.fetch_all(&mut *self.0).await?)
    }

    fn loose(&self) -> bool {
        true
    }

    async fn light(&mut self, ids: &str) -> Result<String, CatalogError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT CAST(coalesce(json_agg(json_build_array(id, sku, name, brand, region, in_stock)),
                  '[]') AS TEXT)
             FROM products WHERE id IN ({PG_IDS}) AND discontinued_at IS NULL"
        ))
        .bind(ids)
        .fetch_one(&mut *self.0)
        .await?)
    }

    async fn rows(&mut self, ids: &str) -> Result<Vec<ProductRow>, CatalogError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM products p WHERE p.id IN ({PG_IDS})",
            ProductRow::COLUMNS
        ))
        .bind(ids)
        .fetch_all(&mut *self.0)
        .await?)
    }
}

struct NativeReads<'c>(&'c rusqlite::Connection);

impl Reads for NativeReads<'_> {
    async fn candidates(&mut self, query: &str) -> Result<Vec<i64>, CatalogError> {
        let mut stmt = self.0.prepare_cached(CANDIDATES_SQL).map_err(native)?;
        let ids = stmt
            .query_map(rusqlite::params![query, CANDIDATES], |r| r.get(0))
            .map_err(native)?
            .collect::<Result<Vec<i64>, _>>()
            .map_err(native)?;
        Ok(ids)
    }

    async fn light(&mut self, ids: &str) -> Result<String, CatalogError> {
        self.0
            .query_row(LIGHT_SQL, [ids], |r| r.get(0))
            .map_err(native)
    }

    async fn rows(&mut self, ids: &str) -> Result<Vec<ProductRow>, CatalogError> {
        let mut stmt = self.0.prepare(&rows_sql()).map_err(native)?;
        let rows = stmt
            .query_map([ids], ProductRow::from_native)
            .map_err(native)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(native)?;
        Ok(rows)
    }
}

/// The search itself: candidates tier by tier, ranked, the best `limit` read in full.
async fn ranked(
    reads: &mut impl Reads,
    text: &str,
    limit: u32,
) -> Result<Vec<Product>, CatalogError> {
    let words = words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let limit = limit.clamp(1, MAX_LIMIT) as usize;
    let mut ids: Vec<i64> = Vec::new();
    for tier in [Prefix::None, Prefix::Last, Prefix::All] {
        if tier == Prefix::All && (!ids.is_empty() || words.len() < 2) {
            break;
        }
        if ids.len() >= CANDIDATES as usize {
            break;
        }
        if let Some(query) = quoted(&words, tier) {
            for id in reads.candidates(&query).await? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let light = reads
        .light(&serde_json::Value::from(ids).to_string())
        .await?;
    let light: Vec<(i64, String, String, String, String, u8)> = serde_json::from_str(&light)
        .map_err(|e| crate::db::DbError::Corrupt {
            what: "products",
            detail: e.to_string(),
        })?;
    let loose = reads.loose();
    let mut ranked: Vec<(u32, bool, usize, String, i64)> = light
        .into_iter()
        .filter(|(_, sku, name, brand, region, _)| {
            !loose || every_word_starts_a_token(&words, [sku, name, brand, region])
        })
        .map(|(id, sku, name, brand, region, in_stock)| {
            let s = score(&words, text, &sku, [&sku, &name, &brand, &region]);
            (s, in_stock != 0, name.len(), sku, id)
        })
        .collect();
    // Best score, then in stock, then the shorter (more specific) name, then sku.
    ranked.sort_by(|a, b| {
        (Reverse(a.0), Reverse(a.1), a.2, &a.3).cmp(&(Reverse(b.0), Reverse(b.1), b.2, &b.3))
    });
    ranked.truncate(limit);
    let top: Vec<i64> = ranked.iter().map(|r| r.4).collect();
    let rows = reads
        .rows(&serde_json::Value::from(top.clone()).to_string())
        .await?;
    let mut products = rows
        .into_iter()
        .map(|r| Product::try_from(r).map_err(CatalogError::from))
        .collect::<Result<Vec<_>, _>>()?;
    products.sort_by_key(|p| top.iter().position(|id| *id == p.id));
    Ok(products)
}

/// Offers of one card show as one row, under the card's sku, with the best offer's
/// price, stock and supplier: the cheapest in stock (the quote routes among them).
async fn one_row_per_card(
    conn: &mut sqlx::AnyConnection,
    products: Vec<Product>,
) -> Result<Vec<Product>, CatalogError> {
    let mut seen = std::collections::HashSet::new();
    let mut cards = Vec::with_capacity(products.len());
    for product in products {
        if !seen.insert(product.group_key().to_string()) {
            continue;
        }
        let offers = super::offers::offers(conn, &product).await?;
        let best = offers
            .iter()
            .find(|o| o.in_stock)
            .or(offers.first())
            .cloned();
        cards.push(match best {
            Some(mut best) if offers.len() > 1 => {
                best.supplier_sku = Some(best.sku_at_supplier().to_string());
                best.sku = product.group_key().to_string();
                best
            }
            _ => product,
        });
    }
    Ok(cards)
}

/// A product from a row selected with `ProductRow::COLUMNS` (batched with others).
pub(crate) fn product_from(row: &sqlx::any::AnyRow) -> Result<Product, CatalogError> {
    let row = <ProductRow as sqlx::FromRow<_>>::from_row(row).map_err(crate::db::DbError::from)?;
    Ok(Product::try_from(row)?)
}

/// One product by its exact sku (a scanner, or a quote).
pub async fn product_by_sku(pool: &AnyPool, sku: &str) -> Result<Option<Product>, CatalogError> {
    let sql = format!(
        "SELECT {} FROM products p WHERE p.sku = $1",
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
    fn the_last_word_is_a_prefix_and_every_word_is_quoted() {
        assert_eq!(
            fts_query("Steam 20").as_deref(),
            Some("\"steam\" AND \"20\"*")
        );
        assert_eq!(
            fts_query("STEAM-US-20").as_deref(),
            Some("\"steam\" AND \"us\" AND \"20\"*")
        );
        assert_eq!(
            fts_query("  \"*^():-NEAR OR ").as_deref(),
            Some("\"near\" AND \"or\"*")
        );
        assert_eq!(
            fts_query("जियो ₹239").as_deref(),
            Some("\"जियो\" AND \"239\"*")
        );
        assert_eq!(fts_query("\"\" ** ()"), None);
        assert_eq!(fts_query(""), None);
    }

    #[test]
    fn whole_words_outrank_prefixes_and_an_exact_sku_wins() {
        let w = words("steam 20");
        let twenty = score(
            &w,
            "steam 20",
            "STEAM-US-20",
            ["STEAM-US-20", "Steam Gift Card $20", "Steam", "US"],
        );
        let two_hundred = score(
            &w,
            "steam 20",
            "STEAM-US-200",
            ["STEAM-US-200", "Steam Gift Card $200", "Steam", "US"],
        );
        assert!(twenty > two_hundred);
        let exact = score(
            &words("steam-us-200"),
            "steam-us-200",
            "STEAM-US-200",
            ["STEAM-US-200", "", "", ""],
        );
        assert_eq!(exact, u32::MAX);
    }
}
