//! The catalog sync: walk the supplier's catalog page by page (all of it, or only
//! what changed since the last sync), stage the rows, then apply them in one
//! transaction. The walk only ever writes to a per-connection TEMP table, so a
//! supplier failure mid-walk leaves the previous catalog intact and visible.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use super::CatalogError;
use crate::db::{Db, DbError, now_text, time_text};
use crate::pricing::ShopPricing;
use crate::progress::{Progress, ProgressSink};
use crate::supplier::{BadRow, CatalogPage, CatalogRequest, Supplier, SupplierError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "catalog sync failed after {pages} page(s), the previous catalog is unchanged: {source}"
    )]
    Supplier {
        pages: u64,
        #[source]
        source: SupplierError,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<DbError> for SyncError {
    fn from(e: DbError) -> Self {
        SyncError::Catalog(CatalogError::Db(e))
    }
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        SyncError::Catalog(CatalogError::from(e))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    /// Incremental when a recent full walk exists, full otherwise.
    Auto,
    Full,
    Incremental,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub kind: SyncKind,
    pub page_size: u32,
    /// Attempts per page for transient supplier errors (reads are safe to repeat).
    pub attempts: u32,
    /// A full walk is forced when the last one is older than this (to find
    /// discontinued products, which an incremental walk cannot see).
    pub full_every: Duration,
    /// The supplier account walked (`None`: the shop's single supplier). Its rows are
    /// its own: the walk discontinues only what it sold, and its watermark is its own.
    pub account: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            kind: SyncKind::Auto,
            page_size: 1000,
            attempts: 4,
            full_every: Duration::from_secs(24 * 3600),
            account: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct SyncReport {
    pub run_id: i64,
    pub kind: String,
    pub pages: u64,
    pub received: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub discontinued: u64,
    pub skipped: u64,
    pub price_changes: u64,
    pub skipped_rows: Vec<BadRow>,
    pub duration_ms: u64,
    /// Of which: walking the supplier's catalog, and applying it to the database.
    pub walk_ms: u64,
    pub apply_ms: u64,
}

impl SyncReport {
    /// Adds another supplier's walk to this one (the till syncs each in turn).
    pub fn add(&mut self, other: SyncReport) {
        self.run_id = other.run_id;
        self.pages += other.pages;
        self.received += other.received;
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.discontinued += other.discontinued;
        self.skipped += other.skipped;
        self.price_changes += other.price_changes;
        self.skipped_rows.extend(other.skipped_rows);
        self.duration_ms += other.duration_ms;
        self.walk_ms += other.walk_ms;
        self.apply_ms += other.apply_ms;
    }
}

/// The most recent sync run, as the owner's screen shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LastSync {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub received: i64,
    pub inserted: i64,
    pub updated: i64,
    pub discontinued: i64,
    pub skipped: i64,
    pub error: Option<String>,
}

pub async fn last_sync(db: &Db) -> Result<Option<LastSync>, CatalogError> {
    Ok(sqlx::query_as(
        "SELECT id, kind, status, started_at, finished_at, received, inserted, updated, discontinued, skipped, error
         FROM sync_runs ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?)
}

const STAGE_DDL: &str = "CREATE TEMP TABLE IF NOT EXISTS sync_stage (
    sku TEXT PRIMARY KEY, supplier_sku TEXT NOT NULL, name TEXT NOT NULL, brand TEXT NOT NULL, category TEXT NOT NULL,
    region TEXT NOT NULL, face_minor INTEGER NOT NULL, face_currency TEXT NOT NULL,
    wholesale_minor INTEGER NOT NULL, retail_minor INTEGER NOT NULL, currency TEXT NOT NULL,
    retail_currency TEXT NOT NULL, in_stock INTEGER NOT NULL, redeem_url TEXT,
    redeem_instructions TEXT, supplier_updated_at TEXT NOT NULL, open_min_minor INTEGER,
    open_max_minor INTEGER, open_cost_per_face TEXT, open_fee_minor INTEGER
) WITHOUT ROWID";
/// Skus that came in rows we could not read: not imported, but not gone either.
const BAD_DDL: &str =
    "CREATE TEMP TABLE IF NOT EXISTS sync_bad_skus (sku TEXT PRIMARY KEY) WITHOUT ROWID";

/// [`STAGE_DDL`] and [`BAD_DDL`] on PostgreSQL: its integers are BIGINT, and it has
/// no WITHOUT ROWID. (Unqualified, `sync_stage` is the temp table on both.)
const STAGE_DDL_POSTGRES: &str = "CREATE TEMP TABLE IF NOT EXISTS sync_stage (
    sku TEXT PRIMARY KEY, supplier_sku TEXT NOT NULL, name TEXT NOT NULL, brand TEXT NOT NULL, category TEXT NOT NULL,
    region TEXT NOT NULL, face_minor BIGINT NOT NULL, face_currency TEXT NOT NULL,
    wholesale_minor BIGINT NOT NULL, retail_minor BIGINT NOT NULL, currency TEXT NOT NULL,
    retail_currency TEXT NOT NULL, in_stock BIGINT NOT NULL, redeem_url TEXT,
    redeem_instructions TEXT, supplier_updated_at TEXT NOT NULL, open_min_minor BIGINT,
    open_max_minor BIGINT, open_cost_per_face TEXT, open_fee_minor BIGINT
)";
const BAD_DDL_POSTGRES: &str =
    "CREATE TEMP TABLE IF NOT EXISTS sync_bad_skus (sku TEXT PRIMARY KEY)";

/// Columns of the product that a sync may change; a row that differs in none of them
/// is left alone (no write, no FTS update).
const SYNCED_COLUMNS: [&str; 18] = [
    "name",
    "brand",
    "category",
    "region",
    "face_minor",
    "face_currency",
    "wholesale_minor",
    "retail_minor",
    "currency",
    "retail_currency",
    "in_stock",
    "redeem_url",
    "redeem_instructions",
    "supplier_updated_at",
    "open_min_minor",
    "open_max_minor",
    "open_cost_per_face",
    "open_fee_minor",
];

/// SQL that is true when the product row `old` differs from the staged row `new`.
fn changed(old: &str, new: &str) -> String {
    let mut parts: Vec<String> = SYNCED_COLUMNS
        .iter()
        .map(|c| format!("{old}.{c} IS DISTINCT FROM {new}.{c}"))
        .collect();
    parts.push(format!("{old}.discontinued_at IS NOT NULL"));
    parts.join(" OR ")
}

/// The import's page cache (32 MB).
const SYNC_CACHE: &str = "PRAGMA cache_size = -32000";

/// Runs one sync. Rows that cannot be read are skipped, counted and reported; the
/// rest is imported.
pub async fn sync(
    db: &Db,
    supplier: &dyn Supplier,
    options: &SyncOptions,
    progress: &dyn ProgressSink,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let mut conn = db.pool().acquire().await?;
    let postgres = db.is_postgres();
    // A large page cache for the import only; pooled connections keep a small one
    // (several of them idle in a running app).
    if !postgres {
        sqlx::query(SYNC_CACHE).execute(&mut *conn).await?;
    }
    // Without a rate to the shop's currency nothing is priced: refused before the walk.
    let pricing = super::load_pricing(&mut conn).await?;
    let account = options.account.as_deref();
    let (full, since) = plan(&mut conn, options).await?;
    let run_id = start_run(&mut conn, full, since, account).await?;

    let (stage, bad) = match postgres {
        false => (STAGE_DDL, BAD_DDL),
        true => (STAGE_DDL_POSTGRES, BAD_DDL_POSTGRES),
    };
    sqlx::query(stage).execute(&mut *conn).await?;
    sqlx::query(bad).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM sync_stage")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sync_bad_skus")
        .execute(&mut *conn)
        .await?;

    let walked = walk(&mut conn, supplier, options, since, &pricing, progress).await;
    let result = match walked {
        Ok(mut report) => {
            progress.progress(&Progress {
                stage: "saving",
                done: report.received,
                total: Some(report.received),
            });
            report.run_id = run_id;
            report.walk_ms = started.elapsed().as_millis() as u64;
            report.kind = if full { "full" } else { "incremental" }.into();
            match apply(&mut conn, postgres, run_id, full, account, &mut report).await {
                Ok(()) => {
                    report.duration_ms = started.elapsed().as_millis() as u64;
                    report.apply_ms = report.duration_ms - report.walk_ms;
                    Ok(report)
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    // Leave the pooled connection clean; the temp tables can be large.
    let _ = sqlx::query("DROP TABLE IF EXISTS sync_stage")
        .execute(&mut *conn)
        .await;
    let _ = sqlx::query("DROP TABLE IF EXISTS sync_bad_skus")
        .execute(&mut *conn)
        .await;
    if !postgres {
        let _ = sqlx::query(crate::db::POOLED_CACHE)
            .execute(&mut *conn)
            .await;
    }
    if let Err(e) = &result {
        tracing::warn!(run_id, error = %e, "catalog sync failed");
        fail_run(db, run_id, &e.to_string()).await?;
    }
    result
}

/// Full or incremental, and from when.
async fn plan(
    conn: &mut AnyConnection,
    options: &SyncOptions,
) -> Result<(bool, Option<DateTime<Utc>>), SyncError> {
    // A run left 'running' belongs to a process that died: it did not finish.
    sqlx::query(
        "UPDATE sync_runs SET status = 'failed', error = 'interrupted', finished_at = $1
         WHERE status = 'running' AND started_at < $2",
    )
    .bind(now_text())
    .bind(time_text(Utc::now() - chrono::Duration::hours(6)))
    .execute(&mut *conn)
    .await?;
    let last_full: Option<String> = sqlx::query_scalar(
        "SELECT max(started_at) FROM sync_runs
         WHERE kind = 'full' AND status = 'ok' AND supplier IS NOT DISTINCT FROM $1",
    )
    .bind(&options.account)
    .fetch_one(&mut *conn)
    .await?;
    let watermark: Option<String> = sqlx::query_scalar(
        "SELECT max(watermark) FROM sync_runs WHERE status = 'ok' AND supplier IS NOT DISTINCT FROM $1",
    )
    .bind(&options.account)
    .fetch_one(&mut *conn)
    .await?;
    let watermark = watermark
        .and_then(|w| DateTime::parse_from_rfc3339(&w).ok())
        .map(|w| w.with_timezone(&Utc));
    let recent_full = last_full
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .is_some_and(|t| {
            let age = Utc::now().signed_duration_since(t.with_timezone(&Utc));
            age.to_std().map(|a| a < options.full_every).unwrap_or(true)
        });
    let full = match options.kind {
        SyncKind::Full => true,
        SyncKind::Incremental => watermark.is_none(),
        SyncKind::Auto => !recent_full || watermark.is_none(),
    };
    Ok((full, if full { None } else { watermark }))
}

async fn start_run(
    conn: &mut AnyConnection,
    full: bool,
    since: Option<DateTime<Utc>>,
    account: Option<&str>,
) -> Result<i64, SyncError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sync_runs (kind, started_at, status, updated_since, supplier)
         VALUES ($1, $2, 'running', $3, $4) RETURNING id",
    )
    .bind(if full { "full" } else { "incremental" })
    .bind(now_text())
    .bind(since.map(time_text))
    .bind(account)
    .fetch_one(&mut *conn)
    .await?)
}

async fn fail_run(db: &Db, run_id: i64, error: &str) -> Result<(), SyncError> {
    sqlx::query(
        "UPDATE sync_runs SET status = 'failed', finished_at = $1, error = $2 WHERE id = $3",
    )
    .bind(now_text())
    .bind(error)
    .bind(run_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// One page, retrying transient errors with back-off (and the supplier's Retry-After).
async fn fetch_page(
    supplier: &dyn Supplier,
    request: CatalogRequest,
    attempts: u32,
) -> Result<CatalogPage, SupplierError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match supplier.catalog_page(&request).await {
            Ok(page) => return Ok(page),
            Err(e) if e.is_transient() && attempt < attempts => {
                let wait = match &e {
                    SupplierError::Retryable {
                        retry_after: Some(after),
                        ..
                    } => (*after).min(Duration::from_secs(30)),
                    _ => delay,
                };
                tracing::info!(attempt, error = %e, "catalog page failed, retrying");
                tokio::time::sleep(wait).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Walks the catalog into the stage. Fetching the next page overlaps with staging
/// the current one.
async fn walk(
    conn: &mut AnyConnection,
    supplier: &dyn Supplier,
    options: &SyncOptions,
    since: Option<DateTime<Utc>>,
    pricing: &ShopPricing,
    progress: &dyn ProgressSink,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let mut seen: HashSet<String> = HashSet::new();
    let request = |cursor: Option<String>| CatalogRequest {
        cursor,
        limit: options.page_size,
        updated_since: since,
    };
    let mut page = fetch_page(supplier, request(None), options.attempts)
        .await
        .map_err(|source| SyncError::Supplier { pages: 0, source })?;
    loop {
        report.pages += 1;
        let total = page.total;
        let next = page.next_cursor.clone();
        let stage = stage_page(conn, page, pricing, &mut seen, &mut report);
        let (staged, fetched) = match next {
            Some(cursor) => {
                let fetch = fetch_page(supplier, request(Some(cursor)), options.attempts);
                let (s, f) = tokio::join!(stage, fetch);
                (s, Some(f))
            }
            None => (stage.await, None),
        };
        staged?;
        progress.progress(&Progress {
            stage: "fetching",
            done: report.received,
            total,
        });
        match fetched {
            None => return Ok(report),
            Some(Ok(p)) => page = p,
            Some(Err(source)) => {
                return Err(SyncError::Supplier {
                    pages: report.pages,
                    source,
                });
            }
        }
    }
}

/// A product row on its way into the stage.
struct StageRow {
    sku: String,
    name: String,
    brand: String,
    category: &'static str,
    region: String,
    face_minor: i64,
    face_currency: String,
    wholesale_minor: i64,
    retail_minor: i64,
    currency: String,
    retail_currency: String,
    in_stock: bool,
    redeem_url: Option<String>,
    redeem_instructions: Option<String>,
    updated_at: String,
    /// (min, max, cost per face unit, fee) of an open-amount product.
    open: Option<(i64, i64, String, i64)>,
}

const STAGE_CHUNK: usize = 500;

/// Stages one page in one transaction; bad and duplicate rows are set aside.
async fn stage_page(
    conn: &mut AnyConnection,
    page: CatalogPage,
    pricing: &ShopPricing,
    seen: &mut HashSet<String>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut rows = Vec::with_capacity(page.products.len());
    let mut bad_skus = Vec::new();
    for item in page.products {
        report.received += 1;
        let product = match item {
            Ok(p) => p,
            Err(bad) => {
                if let Some(sku) = &bad.sku {
                    bad_skus.push(sku.clone());
                }
                report.skipped += 1;
                report.skipped_rows.push(bad);
                continue;
            }
        };
        if !seen.insert(product.sku.clone()) {
            report.skipped += 1;
            report.skipped_rows.push(BadRow {
                sku: Some(product.sku),
                reason: "duplicate sku: the first row with it was imported".into(),
            });
            continue;
        }
        let minor = |m: crate::money::Money, field: &str| {
            m.ceil_to_minor()
                .to_minor()
                .map_err(|e| format!("{field}: {e}"))
        };
        // Wholesale with more decimals than the currency has is rounded up: a cost
        // is never under-counted.
        let wholesale = product.wholesale.ceil_to_minor();
        // A supplier currency the shop has no rate for stops the sync: skipping the
        // rows would discontinue them.
        let retail = pricing
            .retail(product.category, wholesale)
            .map_err(CatalogError::from)?
            .retail;
        let values = (
            minor(product.face_value, "face_value"),
            minor(wholesale, "wholesale_price"),
            minor(retail, "retail price"),
        );
        let open = match &product.open_amount {
            None => Ok(None),
            Some(o) => match (
                minor(o.min, "min_amount"),
                minor(o.max, "max_amount"),
                minor(o.fee, "fee"),
            ) {
                (Ok(lo), Ok(hi), Ok(fee)) if lo <= hi => {
                    Ok(Some((lo, hi, o.cost_per_face.normalize().to_string(), fee)))
                }
                (Ok(_), Ok(_), Ok(_)) => Err("min_amount: above max_amount".to_string()),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
            },
        };
        let (face, wholesale_minor, retail_minor, open) = match (values, open) {
            ((Ok(f), Ok(w), Ok(r)), Ok(open)) => (f, w, r, open),
            ((Err(e), _, _), _) | ((_, Err(e), _), _) | ((_, _, Err(e)), _) | (_, Err(e)) => {
                report.skipped += 1;
                bad_skus.push(product.sku.clone());
                report.skipped_rows.push(BadRow {
                    sku: Some(product.sku),
                    reason: e,
                });
                continue;
            }
        };
        rows.push(StageRow {
            sku: product.sku,
            name: product.name,
            brand: product.brand,
            category: product.category.as_str(),
            region: product.region,
            face_minor: face,
            face_currency: product.face_value.currency.code().to_string(),
            wholesale_minor,
            retail_minor,
            currency: wholesale.currency.code().to_string(),
            retail_currency: retail.currency.code().to_string(),
            in_stock: product.in_stock,
            redeem_url: product.redeem_url,
            redeem_instructions: product.redeem_instructions,
            updated_at: time_text(product.updated_at),
            open,
        });
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    // Multi-row inserts: one statement per STAGE_CHUNK rows (20 parameters each,
    // well under SQLite's limit of 32,766).
    while !rows.is_empty() {
        let chunk: Vec<StageRow> = rows.drain(..rows.len().min(STAGE_CHUNK)).collect();
        let sql = format!(
            "INSERT INTO sync_stage (sku, supplier_sku, name, brand, category, region, face_minor, face_currency,
                 wholesale_minor, retail_minor, currency, retail_currency, in_stock, redeem_url,
                 redeem_instructions, supplier_updated_at, open_min_minor, open_max_minor,
                 open_cost_per_face, open_fee_minor) VALUES {}",
            crate::db::values_list(chunk.len(), 20, postgres)
        );
        let mut insert = sqlx::query(&sql);
        for r in chunk {
            insert = insert
                .bind(r.sku.clone())
                .bind(r.sku)
                .bind(r.name)
                .bind(r.brand)
                .bind(r.category)
                .bind(r.region)
                .bind(r.face_minor)
                .bind(r.face_currency)
                .bind(r.wholesale_minor)
                .bind(r.retail_minor)
                .bind(r.currency)
                .bind(r.retail_currency)
                .bind(i64::from(r.in_stock))
                .bind(r.redeem_url)
                .bind(r.redeem_instructions)
                .bind(r.updated_at)
                .bind(r.open.as_ref().map(|o| o.0))
                .bind(r.open.as_ref().map(|o| o.1))
                .bind(r.open.as_ref().map(|o| o.2.clone()))
                .bind(r.open.as_ref().map(|o| o.3));
        }
        insert.persistent(false).execute(&mut *tx).await?;
    }
    for chunk in bad_skus.chunks(STAGE_CHUNK * 20) {
        let sql = format!(
            "INSERT INTO sync_bad_skus (sku) VALUES {} ON CONFLICT (sku) DO NOTHING",
            crate::db::values_list(chunk.len(), 1, postgres)
        );
        let mut insert = sqlx::query(&sql);
        for sku in chunk {
            insert = insert.bind(sku.clone());
        }
        insert.persistent(false).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Applies the staged walk to the catalog in one write transaction.
async fn apply(
    conn: &mut AnyConnection,
    postgres: bool,
    run_id: i64,
    full: bool,
    account: Option<&str>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let now = now_text();
    let mut tx = crate::db::begin_write_on(&mut *conn, postgres).await?;
    // Other suppliers' rows in the catalog: this walk's skus are mapped onto the
    // counter's, and its new rows linked to the same cards sold by the others.
    let crate::db::Flag(shared) = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM products WHERE supplier IS DISTINCT FROM $1)",
    )
    .bind(account)
    .fetch_one(&mut *tx)
    .await?;
    if shared {
        super::offers::map_skus(&mut tx, account).await?;
    }
    let last_id: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM products")
        .fetch_one(&mut *tx)
        .await?;
    let staged: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_stage")
        .fetch_one(&mut *tx)
        .await?;
    // A first import into an empty catalog has nothing to compare with: skip the
    // joins that count changes and record price history.
    let crate::db::Flag(empty) = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM products)")
        .fetch_one(&mut *tx)
        .await?;

    let (inserted, updated, price_changes) = if empty {
        (staged, 0, 0)
    } else {
        compare(&mut tx, run_id, &now).await?
    };
    sqlx::query(&format!(
        "INSERT INTO products (sku, name, brand, category, region, face_minor, face_currency,
             wholesale_minor, retail_minor, currency, retail_currency, in_stock, redeem_url,
             redeem_instructions, supplier_updated_at, open_min_minor, open_max_minor,
             open_cost_per_face, open_fee_minor, updated_at, supplier, supplier_sku)
         SELECT sku, name, brand, category, region, face_minor, face_currency, wholesale_minor,
                retail_minor, currency, retail_currency, in_stock, redeem_url, redeem_instructions,
                supplier_updated_at, open_min_minor, open_max_minor, open_cost_per_face,
                open_fee_minor, $1, $2, nullif(supplier_sku, sku)
         FROM sync_stage s WHERE true
         ON CONFLICT (sku) DO UPDATE SET
             name = excluded.name, brand = excluded.brand, category = excluded.category,
             region = excluded.region, face_minor = excluded.face_minor,
             face_currency = excluded.face_currency, wholesale_minor = excluded.wholesale_minor,
             retail_minor = excluded.retail_minor, currency = excluded.currency,
             retail_currency = excluded.retail_currency, in_stock = excluded.in_stock, redeem_url = excluded.redeem_url,
             redeem_instructions = excluded.redeem_instructions,
             supplier_updated_at = excluded.supplier_updated_at,
             open_min_minor = excluded.open_min_minor, open_max_minor = excluded.open_max_minor,
             open_cost_per_face = excluded.open_cost_per_face,
             open_fee_minor = excluded.open_fee_minor,
             discontinued_at = NULL, updated_at = excluded.updated_at
         WHERE {}",
        changed("products", "excluded")
    ))
    .bind(&now)
    .bind(account)
    .execute(&mut *tx)
    .await?;
    if shared {
        super::offers::link_new(&mut tx, account, last_id).await?;
    }
    let discontinued = if full && !empty {
        sqlx::query(
            "UPDATE products SET discontinued_at = $1, updated_at = $1
             WHERE discontinued_at IS NULL AND supplier IS NOT DISTINCT FROM $2
               AND NOT EXISTS (SELECT 1 FROM sync_stage s WHERE s.sku = products.sku)
               AND NOT EXISTS (SELECT 1 FROM sync_bad_skus b
                               WHERE b.sku = coalesce(products.supplier_sku, products.sku))",
        )
        .bind(&now)
        .bind(account)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    let watermark: Option<String> =
        sqlx::query_scalar("SELECT max(supplier_updated_at) FROM sync_stage")
            .fetch_one(&mut *tx)
            .await?;
    report.inserted = inserted as u64;
    report.updated = updated as u64;
    report.unchanged = (staged - inserted - updated).max(0) as u64;
    report.discontinued = discontinued;
    report.price_changes = price_changes;
    sqlx::query(
        "UPDATE sync_runs SET status = 'ok', finished_at = $1, pages = $2, received = $3,
             inserted = $4, updated = $5, unchanged = $6, discontinued = $7, skipped = $8,
             price_changes = $9,
             watermark = coalesce($10, (SELECT max(watermark) FROM sync_runs
                                        WHERE status = 'ok' AND supplier IS NOT DISTINCT FROM $12))
         WHERE id = $11",
    )
    .bind(&now)
    .bind(report.pages as i64)
    .bind(report.received as i64)
    .bind(report.inserted as i64)
    .bind(report.updated as i64)
    .bind(report.unchanged as i64)
    .bind(report.discontinued as i64)
    .bind(report.skipped as i64)
    .bind(report.price_changes as i64)
    .bind(watermark)
    .bind(run_id)
    .bind(account)
    .execute(&mut *tx)
    .await?;
    for bad in report.skipped_rows.iter().take(1000) {
        sqlx::query("INSERT INTO sync_skips (run_id, sku, reason) VALUES ($1, $2, $3)")
            .bind(run_id)
            .bind(&bad.sku)
            .bind(&bad.reason)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Counts new and changed rows and records price history, before the upsert.
async fn compare(
    tx: &mut AnyConnection,
    run_id: i64,
    now: &str,
) -> Result<(i64, i64, u64), SyncError> {
    let inserted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sync_stage s WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = s.sku)",
    )
    .fetch_one(&mut *tx)
    .await?;
    let updated: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM sync_stage s JOIN products p ON p.sku = s.sku WHERE {}",
        changed("p", "s")
    ))
    .fetch_one(&mut *tx)
    .await?;
    let price_changes = sqlx::query(
        "INSERT INTO price_history (product_id, sku, currency, old_wholesale_minor, new_wholesale_minor,
             old_retail_minor, new_retail_minor, retail_currency, sync_run_id, changed_at)
         SELECT p.id, s.sku, s.currency, p.wholesale_minor, s.wholesale_minor, p.retail_minor,
                s.retail_minor, s.retail_currency, $1, $2
         FROM sync_stage s JOIN products p ON p.sku = s.sku
         WHERE p.wholesale_minor != s.wholesale_minor OR p.retail_minor != s.retail_minor
            OR p.currency != s.currency
            OR coalesce(p.retail_currency, p.currency) != s.retail_currency",
    )
    .bind(run_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok((inserted, updated, price_changes))
}
