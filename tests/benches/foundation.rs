//! Foundation figures: catalog sync of 100,000 products from the sandbox over loopback
//! HTTP beside its local limit (the sqlite3 CLI importing the same rows as CSV into a
//! table with a unique sku index and an FTS5 index), an incremental sync with 1% of
//! rows changed, and search latency.
//!
//!     cargo bench -p codetill-e2e --bench foundation [-- --products N]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use codetill_core::catalog::{self, SyncKind, SyncOptions};
use codetill_core::progress::NoProgress;
use codetill_core::supplier::{CatalogRequest, Supplier};
use codetill_e2e::bench::prefix_query;
use codetill_e2e::{Sandbox, temp_db};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn main() -> anyhow::Result<()> {
    let mut products = 100_000usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--products") {
        products = args.get(i + 1).context("--products N")?.parse()?;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(products))
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

async fn run(products: usize) -> anyhow::Result<()> {
    println!("foundation benchmark: {products} products");
    let sandbox = Sandbox::start(products).await?;
    let client = sandbox.client()?;
    let (dir, db) = temp_db().await?;

    // codetill: full sync over loopback HTTP into a fresh database.
    let started = Instant::now();
    let report = catalog::sync(
        &db,
        &client,
        &SyncOptions {
            kind: SyncKind::Full,
            ..SyncOptions::default()
        },
        &NoProgress,
    )
    .await?;
    let full = started.elapsed();
    anyhow::ensure!(
        report.inserted as usize == products,
        "imported {}",
        report.inserted
    );

    // For reference: only walking the catalog over HTTP (the supplier's share).
    let started = Instant::now();
    let mut cursor = None;
    loop {
        let page = client
            .catalog_page(&CatalogRequest {
                cursor,
                limit: 1000,
                updated_since: None,
            })
            .await?;
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let walk_only = started.elapsed();

    // The local limit: sqlite3 importing the same rows as CSV.
    let baseline = sqlite_import(dir.path(), &sandbox.handle().state().catalog_rows())?;

    // Incremental: 1% of the rows change at the supplier.
    sandbox
        .control(
            "reprice",
            json!({ "fraction": 0.01, "percent": "4", "seed": 11 }),
        )
        .await?;
    let started = Instant::now();
    let inc = catalog::sync(
        &db,
        &client,
        &SyncOptions {
            kind: SyncKind::Incremental,
            ..SyncOptions::default()
        },
        &NoProgress,
    )
    .await?;
    let incremental = started.elapsed();

    // Search: 1,000 prefix queries as staff type them.
    let rows = sandbox.handle().state().catalog_rows();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut latencies = Vec::with_capacity(1000);
    let mut empty = 0;
    let mut slowest = Vec::new();
    for _ in 0..1000 {
        let row = &rows[rng.random_range(0..rows.len())];
        let query = prefix_query(row, &mut rng);
        let started = Instant::now();
        let hits = catalog::search(db.pool(), &query, 20).await?;
        latencies.push(started.elapsed());
        slowest.push((started.elapsed(), query.clone()));
        if hits.is_empty() {
            empty += 1;
        }
    }
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];

    println!();
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| full sync, {products} products, codetill | {} | ≤ 2× limit |",
        secs(full)
    );
    println!(
        "| walking the catalog over HTTP alone, nothing stored | {} | |",
        secs(walk_only)
    );
    println!(
        "| of which walking the catalog / applying it | {} ms / {} ms | |",
        report.walk_ms, report.apply_ms
    );
    println!(
        "| same rows, sqlite3 CSV import + unique index + FTS5 (limit) | {} | |",
        secs(baseline)
    );
    println!(
        "| ratio codetill / limit | {:.2}× | ≤ 2× |",
        full.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "| incremental sync, {} changed rows received | {} | ≤ 1 s |",
        inc.received,
        secs(incremental)
    );
    println!("| search p50 (1,000 prefix queries) | {} | |", ms(p(0.50)));
    println!("| search p99 | {} | ≤ 5 ms |", ms(p(0.99)));
    println!("| search max | {} | |", ms(p(1.0)));
    println!("({empty} of 1000 queries found nothing)");
    slowest.sort();
    let worst: Vec<String> = slowest
        .iter()
        .rev()
        .take(8)
        .map(|(d, q)| format!("{q:?} {}", ms(*d)))
        .collect();
    println!("slowest queries: {}", worst.join(", "));
    sandbox.stop().await;
    Ok(())
}

/// One or two words of a product's name, the last cut to a prefix: "stea 2", "goo".
fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Times the sqlite3 CLI importing `rows` into an indexed table with FTS5.
fn sqlite_import(dir: &std::path::Path, rows: &[Value]) -> anyhow::Result<Duration> {
    let csv = dir.join("catalog.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&csv)?);
    let cols = [
        "sku",
        "name",
        "brand",
        "category",
        "region",
        "face_value",
        "face_currency",
        "wholesale_price",
        "currency",
        "in_stock",
        "redeem_url",
        "redeem_instructions",
        "updated_at",
    ];
    writeln!(f, "{}", cols.join(","))?;
    for r in rows {
        let line: Vec<String> = cols
            .iter()
            .map(|c| match &r[*c] {
                Value::String(s) => csv_field(s),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        writeln!(f, "{}", line.join(","))?;
    }
    f.flush()?;
    drop(f);
    let script = format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT, brand TEXT,
             category TEXT, region TEXT, face_value TEXT, face_currency TEXT, wholesale_price TEXT,
             currency TEXT, in_stock TEXT, redeem_url TEXT, redeem_instructions TEXT, updated_at TEXT);
         CREATE UNIQUE INDEX products_sku ON products (sku);
         CREATE VIRTUAL TABLE products_fts USING fts5(sku, name, brand, region,
             content = 'products', content_rowid = 'id', prefix = '1 2 3');
         CREATE TEMP TABLE csv_in (sku, name, brand, category, region, face_value, face_currency,
             wholesale_price, currency, in_stock, redeem_url, redeem_instructions, updated_at);
         .import --csv --skip 1 {csv} csv_in
         BEGIN;
         INSERT INTO products (sku, name, brand, category, region, face_value, face_currency,
             wholesale_price, currency, in_stock, redeem_url, redeem_instructions, updated_at)
             SELECT * FROM csv_in;
         INSERT INTO products_fts (rowid, sku, name, brand, region) SELECT id, sku, name, brand, region FROM products;
         COMMIT;
         SELECT count(*) FROM products;",
        csv = csv.display()
    );
    // Dot-commands must start their line.
    let script: String = script.lines().map(|l| format!("{}\n", l.trim())).collect();
    let db = dir.join("baseline.db");
    let started = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running sqlite3 (apt install sqlite3)")?;
    child
        .stdin
        .take()
        .context("sqlite3 stdin")?
        .write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    let took = started.elapsed();
    anyhow::ensure!(
        out.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        count.trim().ends_with(&rows.len().to_string()),
        "sqlite3 imported {count}"
    );
    Ok(took)
}
