//! Order figures: counter sales through `Engine::sell` (live quote, payment, supplier
//! order, codes sealed and stored) against the sandbox supplier answering at once
//! (in-process, on loopback, latency 0), 16 at a time, beside the supplier alone
//! (the same 16-way concurrency of raw stock + place_order calls, no database).
//!
//! One `Engine` is shared by the 16 tasks through an `Arc` (one till process selling
//! on many tasks; the CLI case of one engine per process is covered by the e2e
//! tests). The engine's own overhead per sale is the sale's wall time minus the time
//! that sale spent waiting on supplier calls, measured by a wrapper around the
//! Wholesale client that adds each call's elapsed time to a task-local counter.
//!
//!     cargo bench -p codetill-e2e --bench orders [-- --sales N] [-- --concurrency C]

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use codetill_core::catalog::{self, SyncOptions};
use codetill_core::db::Batch;
use codetill_core::money::{Currency, Money};
use codetill_core::orders::{self, CounterSale, Engine, OrderStatus, Outcome, Tender};
use codetill_core::progress::NoProgress;
use codetill_core::supplier::{
    Balance, CatalogPage, CatalogRequest, DuplicateMode, OrderRequest, Stock, Supplier,
    SupplierError, SupplierOrder, WholesaleClient,
};
use codetill_core::vault::Vault;
use codetill_e2e::bench::{flag, quantile, supplier_run};
use codetill_e2e::{Sandbox, VAULT_KEY, temp_db};
use serde_json::json;

const SKU: &str = "STEAM-US-20";

tokio::task_local! {
    /// Time the current sale has spent waiting on the supplier.
    static SUPPLIER_WAIT: Cell<Duration>;
}

/// The Wholesale client, timing every call into [`SUPPLIER_WAIT`].
struct Timed(WholesaleClient);

async fn timed<T>(call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = call.await;
    let took = started.elapsed();
    let _ = SUPPLIER_WAIT.try_with(|w| w.set(w.get() + took));
    out
}

#[async_trait]
impl Supplier for Timed {
    fn duplicate_mode(&self) -> DuplicateMode {
        self.0.duplicate_mode()
    }
    async fn catalog_page(&self, request: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        timed(self.0.catalog_page(request)).await
    }
    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        timed(self.0.stock(sku)).await
    }
    async fn balance(&self) -> Result<Balance, SupplierError> {
        timed(self.0.balance()).await
    }
    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        timed(self.0.place_order(request)).await
    }
    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError> {
        timed(self.0.get_order(client_order_id)).await
    }
}

fn main() -> anyhow::Result<()> {
    let sales = flag("--sales", 5000)?.max(1) as usize;
    let concurrency = flag("--concurrency", 16)?.max(1) as usize;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(sales, concurrency))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One sale as measured: wall time and time spent on supplier calls.
struct Measured {
    wall: Duration,
    supplier: Duration,
}

async fn run(sales: usize, concurrency: usize) -> anyhow::Result<()> {
    println!("order benchmark: {sales} sales, {concurrency} at a time, sandbox latency 0");
    let sandbox = Sandbox::start(2000).await?;
    // Enough money at the supplier for every sale of both runs.
    sandbox
        .control(
            "balance",
            json!({ "set": format!("{}.00", (sales * 3 + 1000) * 25) }),
        )
        .await?;
    let (_dir, db) = temp_db().await?;
    catalog::sync(
        &db,
        &sandbox.client()?,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await?;
    let supplier = Arc::new(Timed(sandbox.client()?));
    let vault = Arc::new(Vault::from_key(&VAULT_KEY));
    let engine = Arc::new(Engine::new(db.clone(), supplier, vault));
    let sale = CounterSale {
        sku: SKU.into(),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse("50", Currency::USD)?.amount,
        },
        staff: "bench".into(),
        till_id: Some("bench".into()),
        email: None,
    };

    // Warm up to a steady state: connections, caches, the balance check, and the
    // machine itself (a run straight after the build meets its disk writeback).
    let warmup = sales.min(1_000);
    engine_run(&engine, &sale, warmup, concurrency).await?;

    let (cpu_before, counts_before) = (cpu_seconds(), db.batch_counts());
    let started = Instant::now();
    let measured = engine_run(&engine, &sale, sales, concurrency).await?;
    let engine_total = started.elapsed();
    let engine_cpu = (cpu_seconds() - cpu_before) / sales as f64;
    let counts = db.batch_counts();
    let per_commit =
        (counts.0 - counts_before.0) as f64 / (counts.1 - counts_before.1).max(1) as f64;
    // The same engine one sale at a time: its own cost, without queueing for the
    // database's write lock behind other sales.
    let alone_sales = sales.min(500);
    let mut alone: Vec<Duration> = engine_run(&engine, &sale, alone_sales, 1)
        .await?
        .iter()
        .map(|m| m.wall.saturating_sub(m.supplier))
        .collect();
    alone.sort();

    let delivered = orders::list(
        &db,
        &orders::OrderFilter {
            status: Some(OrderStatus::Delivered),
            limit: Some(10_000),
            ..Default::default()
        },
    )
    .await?
    .len();
    let created_by_engine = sandbox.counters().await?["orders_created"]
        .as_u64()
        .unwrap_or(0);
    anyhow::ensure!(
        created_by_engine as usize == sales + warmup + alone_sales,
        "the supplier created {created_by_engine} orders for {} sales",
        sales + warmup + alone_sales
    );
    if sales + warmup + alone_sales <= 10_000 {
        anyhow::ensure!(
            delivered == sales + warmup + alone_sales,
            "{delivered} delivered of {}",
            sales + warmup + alone_sales
        );
    }

    // The supplier alone: stock + place_order per sale, no database.
    let client = Arc::new(sandbox.client()?);
    supplier_run(&client, "warm", warmup, concurrency).await?;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut baseline = supplier_run(&client, "base", sales, concurrency).await?;
    let baseline_total = started.elapsed();
    let baseline_cpu = (cpu_seconds() - cpu_before) / sales as f64;
    baseline.sort();

    // The database alone: the write turn every sale takes twice, 16-way.
    let mut writes = write_probe(&db, sales, concurrency).await?;
    writes.sort();

    let mut wall: Vec<Duration> = measured.iter().map(|m| m.wall).collect();
    let mut waits: Vec<Duration> = measured.iter().map(|m| m.supplier).collect();
    let mut overhead: Vec<Duration> = measured
        .iter()
        .map(|m| m.wall.saturating_sub(m.supplier))
        .collect();
    wall.sort();
    waits.sort();
    overhead.sort();
    let rate = sales as f64 / engine_total.as_secs_f64();
    let base_rate = sales as f64 / baseline_total.as_secs_f64();

    println!();
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| sales through `Engine::sell`, {concurrency} concurrent, one shared engine | {rate:.0} orders/s ({sales} in {:.2} s) | ≥ 200 orders/s |",
        engine_total.as_secs_f64()
    );
    println!(
        "| sale wall time p50 / p99 | {} / {} | |",
        ms(quantile(&wall, 0.50)),
        ms(quantile(&wall, 0.99))
    );
    println!(
        "| of which waiting on the supplier, p50 / p99 | {} / {} | |",
        ms(quantile(&waits, 0.50)),
        ms(quantile(&waits, 0.99))
    );
    println!(
        "| engine overhead per sale (wall − supplier) p50 | {} | |",
        ms(quantile(&overhead, 0.50))
    );
    println!(
        "| engine overhead per sale p99 | {} | ≤ 10 ms |",
        ms(quantile(&overhead, 0.99))
    );
    println!(
        "| engine overhead per sale max | {} | |",
        ms(quantile(&overhead, 1.0))
    );
    println!(
        "| engine overhead per sale, one sale at a time ({alone_sales} sales), p50 / p99 | {} / {} | |",
        ms(quantile(&alone, 0.50)),
        ms(quantile(&alone, 0.99))
    );
    println!(
        "| supplier alone (stock + place_order), {concurrency} concurrent, no database | {base_rate:.0} sales/s ({sales} in {:.2} s) | |",
        baseline_total.as_secs_f64()
    );
    println!(
        "| supplier alone, per sale p50 / p99 | {} / {} | |",
        ms(quantile(&baseline, 0.50)),
        ms(quantile(&baseline, 0.99))
    );
    println!(
        "| CPU per sale, all threads of this process (engine, sandbox, both ends of HTTP) | {:.0} µs | |",
        engine_cpu * 1e6
    );
    println!(
        "| CPU per sale, supplier alone | {:.0} µs | |",
        baseline_cpu * 1e6
    );
    println!(
        "| write batches per commit, {concurrency} concurrent (queued batches commit together) | {per_commit:.1} | |"
    );
    println!(
        "| the database alone: one write batch (1 row), {concurrency} concurrent, p50 / p99 / max | {} / {} / {} | |",
        ms(quantile(&writes, 0.50)),
        ms(quantile(&writes, 0.99)),
        ms(quantile(&writes, 1.0))
    );
    println!(
        "(sandbox in this process on the same runtime; {} CPU(s); every sale checked delivered, one supplier order each)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    sandbox.stop().await;
    Ok(())
}

/// `sales` sales through the shared engine, `concurrency` tasks pulling from one queue.
async fn engine_run(
    engine: &Arc<Engine>,
    sale: &CounterSale,
    sales: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Measured>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (engine, sale, next) = (engine.clone(), sale.clone(), next.clone());
        tasks.spawn(async move {
            let mut out = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < sales {
                let (result, supplier, wall) = SUPPLIER_WAIT
                    .scope(Cell::new(Duration::ZERO), async {
                        let started = Instant::now();
                        let result = engine.sell(&sale).await;
                        let wall = started.elapsed();
                        (result, SUPPLIER_WAIT.with(Cell::get), wall)
                    })
                    .await;
                let sold = result?;
                anyhow::ensure!(
                    sold.outcome == Outcome::Delivered && sold.codes.len() == 1,
                    "{} ended {:?}",
                    sold.order.public_id,
                    sold.outcome
                );
                out.push(Measured { wall, supplier });
            }
            anyhow::Ok(out)
        });
    }
    let mut all = Vec::with_capacity(sales);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// `sales` × 2 small write batches on the shop's database (a sale commits two: the
/// paid order, then its delivery), `concurrency` tasks at a time; each one's wall time.
async fn write_probe(
    db: &codetill_core::db::Db,
    sales: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, at TEXT)")
        .execute(db.pool())
        .await?;
    let total = sales * 2;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (db, next) = (db.clone(), next.clone());
        tasks.spawn(async move {
            let mut out = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let started = Instant::now();
                db.write_batch(
                    Batch::new("INSERT INTO bench_probe (at) VALUES (?1)")
                        .bind(codetill_core::db::now_text()),
                )
                .await?;
                out.push(started.elapsed());
            }
            anyhow::Ok(out)
        });
    }
    let mut all = Vec::with_capacity(total);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// CPU time of all this process's threads so far (user + system), from Linux's
/// /proc/self/stat in clock ticks of 1/100 s; 0 where that is not readable.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses: utime and stime
    // are the 12th and 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
