//! A till's own SQLite copy of the catalog, for search, when the shop's data is on
//! PostgreSQL: a keystroke reads this file (FTS5, as a till on SQLite does) and
//! never waits for the network.
//!
//! The server counts every change to `products` and says so on the channel
//! `codetill_catalog` (migrations/postgres/0003). A till follows that channel
//! ([`CatalogCopy::follow`]): on each notice the copy is brought level at once, off
//! the keystroke path (every product row is read and the ones whose `updated_at`
//! differs are written, in one transaction), so a sync or a reprice at any till
//! reaches the others' searches without their asking. While the notices cannot be
//! heard (the server is away), a search reads the server's number itself, at most
//! once a second, and refreshes when it has moved.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::CatalogError;
use crate::db::{Db, DbError, Value};
use crate::product::Product;

/// The copy's file, in the till's data folder.
pub const COPY_FILE: &str = "catalog-copy.db";

/// How often a till asks the server whether its copy is behind, while it cannot
/// hear the server's notices.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The server's channel for catalog changes (migrations/postgres/0003).
pub const CHANNEL: &str = "codetill_catalog";

/// How long a follower waits before it tries the server again.
const RETRY_AFTER: Duration = Duration::from_secs(2);

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

/// The columns of `supplier_accounts` the copy holds: texts, `enabled`, the two
/// times, `added`.
const ACCOUNTS: &str =
    "name, kind, url, auth_url, account, account_currency, enabled, created_at, updated_at, added";

/// Rows written per statement (26 parameters each, under SQLite's limit).
const CHUNK: usize = 500;

#[derive(Debug)]
pub struct CatalogCopy {
    db: Db,
    checked: Mutex<Option<Instant>>,
    /// True while a follower hears the server's notices: a search need not ask.
    following: AtomicBool,
    follower: Follower,
}

/// The follower's task, stopped when the copy goes.
#[derive(Debug, Default)]
struct Follower(Mutex<Option<tokio::task::AbortHandle>>);

impl Drop for Follower {
    fn drop(&mut self) {
        if let Ok(mut task) = self.0.lock()
            && let Some(task) = task.take()
        {
            task.abort();
        }
    }
}

impl CatalogCopy {
    /// Opens (making it if needed) the copy in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<CatalogCopy, DbError> {
        Ok(CatalogCopy {
            db: Db::open(&data_dir.join(COPY_FILE)).await?,
            checked: Mutex::new(None),
            following: AtomicBool::new(false),
            follower: Follower::default(),
        })
    }

    /// Keeps the copy level with `shop` from now on: refreshed when the follower
    /// first hears the server, again after every notice that the catalog changed,
    /// and after every reconnection (notices sent while away are lost). Nothing on
    /// SQLite, which has no notices (nor needs a copy). The follower stops when the
    /// copy is dropped.
    pub fn follow(self: &Arc<Self>, shop: Db) {
        if !shop.is_postgres() {
            return;
        }
        let copy = Arc::downgrade(self);
        let task = tokio::spawn(follow(copy, shop));
        if let Ok(mut follower) = self.follower.0.lock()
            && let Some(old) = follower.replace(task.abort_handle())
        {
            old.abort();
        }
    }

    /// Whether a follower hears the server's notices now.
    pub fn following(&self) -> bool {
        self.following.load(Ordering::Acquire)
    }

    /// Searches the copy, first bringing it level with `shop` when the server's
    /// catalog has moved (asked at most once a second).
    pub async fn search(
        &self,
        shop: &Db,
        text: &str,
        limit: u32,
    ) -> Result<Vec<Product>, CatalogError> {
        if self.following() {
            return super::search(self.db.pool(), text, limit).await;
        }
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
        // The accounts too (a few rows, no secrets): a card's offers are those of
        // the enabled ones.
        let accounts = sqlx::query(&format!("SELECT {ACCOUNTS} FROM supplier_accounts"))
            .fetch_all(shop.pool())
            .await?;
        sqlx::query("DELETE FROM supplier_accounts")
            .execute(&mut *tx)
            .await?;
        let insert = format!(
            "INSERT INTO supplier_accounts ({ACCOUNTS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        for row in &accounts {
            use sqlx::Row;
            let mut query = sqlx::query(&insert);
            for i in 0..6 {
                query = query.bind(row.try_get::<Option<String>, _>(i)?);
            }
            query = query.bind(row.try_get::<i64, _>(6)?);
            for i in 7..9 {
                query = query.bind(row.try_get::<String, _>(i)?);
            }
            query = query.bind(row.try_get::<i64, _>(9)?);
            query.execute(&mut *tx).await?;
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

/// The follower's loop ([`CatalogCopy::follow`]). It holds the copy only while it
/// refreshes it, so that dropping the copy stops it.
async fn follow(copy: Weak<CatalogCopy>, shop: Db) {
    let set = |following: bool| {
        if let Some(copy) = copy.upgrade() {
            copy.following.store(following, Ordering::Release);
        }
    };
    let refresh = || async {
        let Some(copy) = copy.upgrade() else {
            return false;
        };
        if let Err(e) = copy.refresh(&shop).await {
            tracing::warn!(error = %e, "the catalog copy could not be refreshed");
        }
        true
    };
    loop {
        let mut listener = match shop.listen(CHANNEL).await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot hear the server's catalog notices; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        };
        if !refresh().await {
            return;
        }
        set(true);
        // PostgreSQL sends one notice per transaction however many of its
        // statements changed the catalog: a sync is one refresh. `None` or an error:
        // the connection is gone.
        while let Ok(Some(_)) = listener.try_recv().await {
            if !refresh().await {
                return;
            }
        }
        // Lost: searches ask the server again until the follower hears it once more.
        set(false);
        tracing::warn!("lost the server's catalog notices; reconnecting");
        tokio::time::sleep(RETRY_AFTER).await;
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
