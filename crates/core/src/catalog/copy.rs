//! A till's own SQLite copy of the catalog, for search, when the shop's data is on
//! PostgreSQL: a keystroke reads this file (FTS5, as a till on SQLite does) and
//! never waits for the network.
//!
//! The server counts every change to `products` (migrations/postgres/0003). Before
//! a search, at most once a second, the till reads that number; when it has moved
//! the copy is brought level: every product row is read and the ones whose
//! `updated_at` differs are written, in one transaction. A sync or a reprice on any
//! till is seen by the others within a second of their next search.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::CatalogError;
use crate::db::{Db, DbError, Value};
use crate::product::Product;

/// The copy's file, in the till's data folder.
pub const COPY_FILE: &str = "catalog-copy.db";

/// How often a till asks the server whether its copy is behind.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The copy's own record of the server's number it is level with.
const LEVEL_WITH: &str = "catalog_copy.version";

/// Every column of `products`, integers first (as [`read_row`] reads them).
const INTEGERS: [&str; 9] = [
    "id",
    "face_minor",
    "wholesale_minor",
    "retail_minor",
    "in_stock",
    "open_min_minor",
    "open_max_minor",
    "open_fee_minor",
    "group_manual",
];
const TEXTS: [&str; 17] = [
    "sku",
    "name",
    "brand",
    "category",
    "region",
    "face_currency",
    "currency",
    "redeem_url",
    "redeem_instructions",
    "supplier_updated_at",
    "discontinued_at",
    "updated_at",
    "retail_currency",
    "open_cost_per_face",
    "supplier",
    "supplier_sku",
    "offer_group",
];

/// Rows written per statement (26 parameters each, under SQLite's limit).
const CHUNK: usize = 500;

#[derive(Debug)]
pub struct CatalogCopy {
    db: Db,
    checked: Mutex<Option<Instant>>,
}

impl CatalogCopy {
    /// Opens (making it if needed) the copy in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<CatalogCopy, DbError> {
        Ok(CatalogCopy {
            db: Db::open(&data_dir.join(COPY_FILE)).await?,
            checked: Mutex::new(None),
        })
    }

    /// Searches the copy, first bringing it level with `shop` when the server's
    /// catalog has moved (asked at most once a second).
    pub async fn search(
        &self,
        shop: &Db,
        text: &str,
        limit: u32,
    ) -> Result<Vec<Product>, CatalogError> {
        let due = match self.checked.lock() {
            Ok(mut checked) => {
                let due = checked.is_none_or(|at| at.elapsed() >= CHECK_EVERY);
                if due {
                    *checked = Some(Instant::now());
                }
                due
            }
            Err(_) => true,
        };
        if due && let Err(e) = self.refresh(shop).await {
            // A till that cannot reach its server still finds what it knew.
            tracing::warn!(error = %e, "the catalog copy could not be refreshed");
        }
        super::search(self.db.pool(), text, limit).await
    }

    /// Brings the copy level with `shop`'s catalog; answers how many rows were
    /// written.
    pub async fn refresh(&self, shop: &Db) -> Result<u64, CatalogError> {
        let version: i64 = sqlx::query_scalar("SELECT n FROM catalog_version WHERE id = 1")
            .fetch_one(shop.pool())
            .await?;
        let level: Option<String> = crate::settings::get(self.db.pool(), LEVEL_WITH).await?;
        if level.as_deref() == Some(version.to_string().as_str()) {
            return Ok(0);
        }
        let columns: Vec<&str> = INTEGERS.iter().chain(TEXTS.iter()).copied().collect();
        let list = columns.join(", ");
        let rows = sqlx::query(&format!("SELECT {list} FROM products ORDER BY id"))
            .fetch_all(shop.pool())
            .await?;
        let mut values = Vec::with_capacity(rows.len());
        for row in &rows {
            values.push(read_row(row)?);
        }
        let set = columns
            .iter()
            .filter(|c| **c != "id")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // One transaction: the copy is never half of one catalog and half another.
        let mut tx = self.db.begin_write().await?;
        let mut written = 0;
        for chunk in values.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO products ({list}) VALUES {} ON CONFLICT (id) DO UPDATE SET {set}
                 WHERE products.updated_at IS NOT excluded.updated_at
                    OR products.discontinued_at IS NOT excluded.discontinued_at",
                crate::db::values_list(chunk.len(), columns.len(), false)
            );
            let mut insert = sqlx::query(&sql);
            for value in chunk.iter().flatten() {
                insert = match value {
                    Value::Int(v) => insert.bind(*v),
                    Value::Text(t) => insert.bind(t.as_str()),
                    _ => insert.bind(None::<String>),
                };
            }
            insert.execute(&mut *tx).await?;
            written += chunk.len() as u64;
        }
        crate::settings::set(&mut *tx, LEVEL_WITH, &version.to_string()).await?;
        tx.commit().await.map_err(DbError::from)?;
        tracing::info!(version, rows = written, "catalog copy refreshed");
        Ok(written)
    }

    pub async fn close(self) {
        self.db.close().await;
    }
}

/// A product row as the copy's values: [`INTEGERS`] then [`TEXTS`].
fn read_row(row: &sqlx::any::AnyRow) -> Result<Vec<Value>, DbError> {
    use sqlx::Row;
    let mut out = Vec::with_capacity(INTEGERS.len() + TEXTS.len());
    for (i, _) in INTEGERS.iter().enumerate() {
        out.push(Value::from(row.try_get::<Option<i64>, _>(i)?));
    }
    for (i, _) in TEXTS.iter().enumerate() {
        out.push(Value::from(
            row.try_get::<Option<String>, _>(INTEGERS.len() + i)?,
        ));
    }
    Ok(out)
}
