//! Several tills of one shop selling at once: orders/s with T tills (each its own
//! `Db` and engine, as a till process has) and 16 concurrent sales in all, on one
//! PostgreSQL database, beside the same on one SQLite file, in the same run against
//! the same sandbox supplier (in-process, loopback, latency 0), and beside the
//! supplier alone (the same 16-way stock + place_order calls, no database), and
//! beside the floor under a sale on PostgreSQL: its rows written by hand in the
//! fewest round trips and transactions ([`database_floor`]). Each rate comes with
//! the CPU the whole machine spent per sale, split between this process (the
//! tills and the supplier) and the rest (the database server), and the rate that
//! CPU cost allows on this machine's cores: where that is under a target, the
//! target is under the floor here.
//!
//! PostgreSQL is the throwaway cluster of crates/relay/tests/common/pg.rs (fsync on),
//! or `CODETILL_RELAY_TEST_PG`.
//!
//! Then search at a till of a PostgreSQL shop with 100,000 products: 1,000 prefix
//! queries as staff type them, on the till's own copy (what the app and the CLI
//! do, the check that the copy is level included) beside the server searched
//! directly.
//!
//!     cargo bench -p codetill-e2e --profile dev --bench tills [-- --sales N] [-- --tills T] [-- --products N]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codetill_core::catalog::{self, SyncOptions};
use codetill_core::db::Db;
use codetill_core::money::{Currency, Money};
use codetill_core::orders::{CounterSale, Engine, Outcome, Tender};
use codetill_core::progress::NoProgress;
use codetill_core::supplier::Supplier;
use codetill_core::vault::Vault;
use codetill_e2e::bench::{flag, prefix_query, quantile, supplier_run};
use codetill_e2e::{Sandbox, VAULT_KEY, pg};
use serde_json::json;

const SKU: &str = "STEAM-US-20";
const CONCURRENCY: usize = 16;

fn main() -> anyhow::Result<()> {
    let sales = flag("--sales", 2000)?.max(16) as usize;
    let tills = flag("--tills", 4)?.max(1) as usize;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(sales, tills))
}

struct Figures {
    rate: f64,
    p50: Duration,
    p99: Duration,
    /// The whole machine's CPU time per sale (every process: the tills, the server,
    /// the supplier), how busy its cores were, and the share of that time spent in
    /// this process (the tills and the in-process supplier; the rest is the
    /// database server), when /proc tells.
    cpu: Option<(Duration, f64, f64)>,
}

/// This process's own CPU time so far (user + system), in clock ticks (Linux).
fn own_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after its closing parenthesis
    // start at field 3 (state), so utime and stime (fields 14, 15) are the 12th
    // and 13th of them.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    Some(fields.iter().sum())
}

/// The machine's busy and total CPU time and this process's own, in clock ticks.
fn cpu_now() -> Option<(u64, u64, u64)> {
    let (busy, total) = cpu_ticks()?;
    Some((busy, total, own_ticks()?))
}

/// The machine's busy and total CPU time so far, in clock ticks (Linux).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    let total: u64 = ticks.iter().sum();
    // user nice system idle iowait …: idle and iowait are not work.
    let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

impl Figures {
    /// `n` timings (`walls`) done in `elapsed`.
    fn of(mut walls: Vec<Duration>, n: usize, elapsed: Duration) -> Figures {
        walls.sort();
        Figures {
            rate: n as f64 / elapsed.as_secs_f64(),
            p50: quantile(&walls, 0.50),
            p99: quantile(&walls, 0.99),
            cpu: None,
        }
    }

    /// With the CPU the machine spent between `before` and now, over `n` sales.
    fn with_cpu(mut self, before: Option<(u64, u64, u64)>, n: usize) -> Figures {
        if let (Some((busy0, total0, own0)), Some((busy1, total1, own1))) = (before, cpu_now()) {
            // /proc counts in USER_HZ, 100 a second on Linux.
            let busy = (busy1 - busy0) as f64 / 100.0;
            let share = (busy1 - busy0) as f64 / (total1 - total0).max(1) as f64;
            let own = (own1 - own0) as f64 / (busy1 - busy0).max(1) as f64;
            self.cpu = Some((
                Duration::from_secs_f64(busy / n.max(1) as f64),
                share,
                own.min(1.0),
            ));
        }
        self
    }

    /// The CPU line under a row: time per sale, how busy the cores were, and the
    /// rate the machine could reach were its cores all busy with sales.
    fn cpu_row(&self, name: &str) {
        if let Some((per_sale, share, own)) = self.cpu {
            let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
            println!(
                "| {name}: CPU per sale, all processes | {:.2} ms ({:.2} ms tills + supplier, {:.2} ms the rest) | cores {:.0}% busy | ceiling on {cores} cores: {:.0} orders/s |",
                per_sale.as_secs_f64() * 1e3,
                per_sale.as_secs_f64() * 1e3 * own,
                per_sale.as_secs_f64() * 1e3 * (1.0 - own),
                share * 100.0,
                cores as f64 / per_sale.as_secs_f64().max(1e-9)
            );
        }
    }

    /// One row of the table: what was measured, its rate in `unit`, the target.
    fn row(&self, name: &str, unit: &str, target: &str) {
        println!(
            "| {name} | {:.0}{unit} | {:.1} ms / {:.1} ms | {target} |",
            self.rate,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3
        );
    }
}

async fn run(sales: usize, tills: usize) -> anyhow::Result<()> {
    println!(
        "tills benchmark: {sales} sales, {tills} tills, {CONCURRENCY} concurrent sales in all, sandbox latency 0"
    );
    let sandbox = Sandbox::start(2000).await?;
    sandbox
        .control(
            "balance",
            json!({ "set": format!("{}.00", (sales * 6 + 4000) * 25) }),
        )
        .await?;
    let cluster =
        pg::cluster().ok_or_else(|| anyhow::anyhow!("the tills bench needs PostgreSQL"))?;

    let dir = tempfile::tempdir()?;
    let sqlite = Db::open(&dir.path().join("codetill.db")).await?;
    let url = cluster.fresh_db().await;
    let postgres = Db::connect(&url).await?;
    let on_sqlite = shop(&sandbox, &sqlite, sales, tills).await?;
    let on_postgres = shop(&sandbox, &postgres, sales, tills).await?;
    let alone = supplier_alone(&sandbox, sales).await?;
    let least = database_floor(&url, tills, sales).await?;
    let (locked, unlocked) = write_floor(&postgres, tills, sales * 2).await?;

    println!();
    println!(
        "| {tills} tills, {CONCURRENCY} concurrent sales | orders/s | sale p50 / p99 | target |"
    );
    println!("|---|---|---|---|");
    on_postgres.row("PostgreSQL, one database", "", "≥ 1,000 orders/s");
    on_sqlite.row("SQLite, one file (same machine)", "", "");
    on_postgres.cpu_row("PostgreSQL");
    on_sqlite.cpu_row("SQLite");
    alone.row(
        "the supplier alone (stock + place_order), no database",
        "",
        "",
    );
    alone.cpu_row("the supplier alone");
    least.row(
        "PostgreSQL floor: a sale's rows at their least (one read, the paid and the delivered transactions by hand, no engine, no supplier)",
        " sales/s",
        "",
    );
    least.cpu_row("PostgreSQL floor");
    locked.row(
        &format!(
            "PostgreSQL: one-row write batches under the shop's write lock ({CONCURRENCY} concurrent, {tills} tills)"
        ),
        " batches/s",
        "",
    );
    unlocked.row(
        "PostgreSQL: the same inserts, each its own transaction, no lock",
        " inserts/s",
        "",
    );
    sqlite.close().await;
    postgres.close().await;
    sandbox.stop().await;

    let products = flag("--products", 100_000)? as usize;
    search(cluster, products).await
}

/// Keystroke search on a PostgreSQL shop's till: its copy, and the server itself.
async fn search(cluster: &pg::PgCluster, products: usize) -> anyhow::Result<()> {
    use rand::{Rng, SeedableRng};
    let sandbox = Sandbox::start(products).await?;
    let shop = Db::connect(&cluster.fresh_db().await).await?;
    let started = Instant::now();
    catalog::sync(
        &shop,
        &sandbox.client()?,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await?;
    let synced = started.elapsed();
    let dir = tempfile::tempdir()?;
    let copy = catalog::CatalogCopy::open(dir.path()).await?;
    let started = Instant::now();
    let copied = copy.refresh(&shop).await?;
    let refreshed = started.elapsed();
    let rows = sandbox.handle().state().catalog_rows();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let queries: Vec<String> = (0..1000)
        .map(|_| prefix_query(&rows[rng.random_range(0..rows.len())], &mut rng))
        .collect();
    let mut on_copy = Vec::with_capacity(queries.len());
    let mut on_server = Vec::with_capacity(queries.len());
    let mut empty = 0;
    for query in &queries {
        let t = Instant::now();
        let hits = copy.search(&shop, query, 20).await?;
        on_copy.push(t.elapsed());
        empty += usize::from(hits.is_empty());
    }
    for query in queries.iter().take(200) {
        let t = Instant::now();
        catalog::search(shop.pool(), query, 20).await?;
        on_server.push(t.elapsed());
    }
    on_copy.sort();
    on_server.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!("| {products} products, a PostgreSQL shop's till | p50 | p99 | target |");
    println!("|---|---|---|---|");
    println!(
        "| keystroke search on the till's copy (1,000 queries, {empty} empty) | {:.2} ms | {:.2} ms | p99 ≤ 10 ms |",
        ms(quantile(&on_copy, 0.50)),
        ms(quantile(&on_copy, 0.99))
    );
    println!(
        "| the same searched on the server (200 queries) | {:.2} ms | {:.2} ms | |",
        ms(quantile(&on_server, 0.50)),
        ms(quantile(&on_server, 0.99))
    );
    println!(
        "| the copy made from the server ({copied} rows; the sync itself {:.1} s) | {:.1} s | | |",
        synced.as_secs_f64(),
        refreshed.as_secs_f64()
    );
    copy.close().await;
    shop.close().await;
    sandbox.stop().await;
    Ok(())
}

/// A synced catalog on `db`, then `sales` sales by `tills` tills (each its own
/// database handle and engine), 16 at a time; after a warm-up.
async fn shop(sandbox: &Sandbox, db: &Db, sales: usize, tills: usize) -> anyhow::Result<Figures> {
    catalog::sync(db, &sandbox.client()?, &SyncOptions::default(), &NoProgress).await?;
    let vault = Arc::new(Vault::from_key(&VAULT_KEY));
    let mut engines = Vec::with_capacity(tills);
    for _ in 0..tills {
        let supplier: Arc<dyn Supplier> = Arc::new(sandbox.client()?);
        engines.push(Arc::new(Engine::new(
            db.reopen().await?,
            supplier,
            vault.clone(),
        )));
    }
    let engines = Arc::new(engines);
    sell(&engines, sales.min(500)).await?;
    let cpu = cpu_now();
    let started = Instant::now();
    let walls = sell(&engines, sales).await?;
    Ok(Figures::of(walls, sales, started.elapsed()).with_cpu(cpu, sales))
}

async fn sell(engines: &Arc<Vec<Arc<Engine>>>, sales: usize) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..CONCURRENCY {
        let (engines, next) = (engines.clone(), next.clone());
        tasks.spawn(async move {
            let engine = engines[task % engines.len()].clone();
            let sale = CounterSale {
                sku: SKU.into(),
                amount: None,
                tender: Tender::Cash {
                    tendered: Money::parse("50", Currency::USD)?.amount,
                },
                staff: "bench".into(),
                till_id: Some(format!("till-{}", task % engines.len())),
                email: None,
            };
            let mut walls = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < sales {
                let started = Instant::now();
                let sold = engine.sell(&sale).await?;
                anyhow::ensure!(
                    sold.outcome == Outcome::Delivered && sold.codes.len() == 1,
                    "{} ended {:?}",
                    sold.order.public_id,
                    sold.outcome
                );
                walls.push(started.elapsed());
            }
            anyhow::Ok(walls)
        });
    }
    let mut all = Vec::with_capacity(sales);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// The supplier's own rate: `sales` stock + place_order calls, 16 at a time.
async fn supplier_alone(sandbox: &Sandbox, sales: usize) -> anyhow::Result<Figures> {
    let client = Arc::new(sandbox.client()?);
    let cpu = cpu_now();
    let started = Instant::now();
    let walls = supplier_run(&client, "alone", sales, CONCURRENCY).await?;
    Ok(Figures::of(walls, sales, started.elapsed()).with_cpu(cpu, sales))
}

/// The database's part of a sale at its least, on the same database and machine:
/// per sale one read (the product) and the two transactions a sale cannot do
/// without (paid, under the shop's lock, before the supplier is asked; delivered,
/// its row alone, after), holding the rows a sale writes (the order, copied from
/// one the engine sold, so every column, index, key and trigger is the real one;
/// its payment, two events, a code, a receipt), by hand with prepared statements:
/// no engine, no supplier, no pricing. What PostgreSQL and its client spend here
/// is the floor under the engine's sale on this machine.
async fn database_floor(url: &str, tills: usize, sales: usize) -> anyhow::Result<Figures> {
    use codetill_core::db::postgres::WRITE_LOCK;
    let mut pools = Vec::with_capacity(tills);
    for _ in 0..tills {
        pools.push(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .connect(url)
                .await?,
        );
    }
    let template: i64 = sqlx::query_scalar("SELECT min(id) FROM orders WHERE status = 'delivered'")
        .fetch_one(&pools[0])
        .await?;
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = 'orders'
           AND column_name NOT IN ('id', 'public_id', 'client_order_id', 'status', 'lease_owner',
                                   'lease_expires_at', 'delivered_at', 'closed_at')
         ORDER BY ordinal_position",
    )
    .fetch_all(&pools[0])
    .await?;
    let columns = columns.join(", ");
    let insert = Arc::new(format!(
        "INSERT INTO orders (id, public_id, client_order_id, status, lease_owner, {columns})
         SELECT (SELECT max(id) + 1 FROM orders), $1, $1, 'ordering', 'floor', {columns}
           FROM orders WHERE id = $2
         RETURNING id"
    ));
    let begin_locked = Arc::new(format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"));
    let pools = Arc::new(pools);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_now();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..CONCURRENCY {
        let (pools, next, insert, begin_locked) = (
            pools.clone(),
            next.clone(),
            insert.clone(),
            begin_locked.clone(),
        );
        tasks.spawn(async move {
            let pool = &pools[task % pools.len()];
            let mut walls = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= sales {
                    break;
                }
                let t = Instant::now();
                let now = format!("2026-12-05T10:00:00.{:03}Z", k % 1000);
                let _: Option<String> =
                    sqlx::query_scalar("SELECT name FROM products WHERE sku = $1")
                        .bind(SKU)
                        .fetch_optional(pool)
                        .await?;
                let mut tx = pool.begin_with(begin_locked.to_string()).await?;
                let id: i64 = sqlx::query_scalar(insert.as_str())
                    .bind(format!("floor-{k}"))
                    .bind(template)
                    .fetch_one(&mut *tx)
                    .await?;
                by_id_at(
                    &mut tx,
                    "INSERT INTO payments (order_id, method, amount_minor, currency, staff, taken_at)
                     VALUES ($1, 'cash', 2199, 'USD', 'bench', $2)",
                    id,
                    &now,
                )
                .await?;
                by_id_at(
                    &mut tx,
                    "INSERT INTO order_events (order_id, at, from_status, to_status, detail)
                     VALUES ($1, $2, NULL, 'ordering', NULL)",
                    id,
                    &now,
                )
                .await?;
                tx.commit().await?;
                let mut tx = pool.begin().await?;
                by_id_at(
                    &mut tx,
                    "UPDATE orders SET status = 'delivered', delivered_at = $2, closed_at = $2,
                            lease_owner = NULL
                     WHERE id = $1 AND lease_owner = 'floor'",
                    id,
                    &now,
                )
                .await?;
                by_id_at(
                    &mut tx,
                    "INSERT INTO order_events (order_id, at, from_status, to_status, detail)
                     VALUES ($1, $2, 'ordering', 'delivered', 'floor')",
                    id,
                    &now,
                )
                .await?;
                sqlx::query("INSERT INTO order_codes (order_id, seq, code_ct) VALUES ($1, 0, $2)")
                    .bind(id)
                    .bind(vec![7_u8; 64])
                    .execute(&mut *tx)
                    .await?;
                by_id_at(
                    &mut tx,
                    "INSERT INTO outbox (kind, order_id, destination, payload, language, status,
                            attempts, next_attempt_at, requested_by, created_at, updated_at)
                     VALUES ('print', $1, 'counter', 'receipt', 'en', 'queued', 0, $2, 'bench', $2, $2)",
                    id,
                    &now,
                )
                .await?;
                tx.commit().await?;
                walls.push(t.elapsed());
            }
            anyhow::Ok(walls)
        });
    }
    let mut walls = Vec::with_capacity(sales);
    while let Some(done) = tasks.join_next().await {
        walls.extend(done??);
    }
    let figures = Figures::of(walls, sales, started.elapsed()).with_cpu(cpu, sales);
    for pool in pools.iter() {
        pool.close().await;
    }
    Ok(figures)
}

/// One of the floor's statements: `sql` with the order's id as $1 and the time as $2.
async fn by_id_at(
    tx: &mut sqlx::PgConnection,
    sql: &'static str,
    id: i64,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query(sql).bind(id).bind(now).execute(tx).await?;
    Ok(())
}

/// What the shop-wide write lock costs on its own: `n` one-row write batches (each
/// a transaction that takes the lock) from `tills` tills, 16 at a time; beside the
/// same inserts straight on the server, each its own transaction, with no lock.
async fn write_floor(db: &Db, tills: usize, n: usize) -> anyhow::Result<(Figures, Figures)> {
    use codetill_core::db::Batch;
    sqlx::query("CREATE TABLE bench_probe (id BIGINT GENERATED ALWAYS AS IDENTITY, at TEXT)")
        .execute(db.pool())
        .await?;
    let mut handles = Vec::with_capacity(tills);
    for _ in 0..tills {
        handles.push(db.reopen().await?);
    }
    let handles = Arc::new(handles);
    let run = |locked: bool| {
        let handles = handles.clone();
        async move {
            let next = Arc::new(AtomicUsize::new(0));
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for task in 0..CONCURRENCY {
                let (handles, next) = (handles.clone(), next.clone());
                tasks.spawn(async move {
                    let db = &handles[task % handles.len()];
                    let mut walls = Vec::new();
                    while next.fetch_add(1, Ordering::Relaxed) < n {
                        let t = Instant::now();
                        if locked {
                            db.write_batch(
                                Batch::new("INSERT INTO bench_probe (at) VALUES ($1)").bind("x"),
                            )
                            .await?;
                        } else {
                            sqlx::query("INSERT INTO bench_probe (at) VALUES ($1)")
                                .bind("x")
                                .execute(db.pool())
                                .await?;
                        }
                        walls.push(t.elapsed());
                    }
                    anyhow::Ok(walls)
                });
            }
            let mut walls = Vec::with_capacity(n);
            while let Some(done) = tasks.join_next().await {
                walls.extend(done??);
            }
            anyhow::Ok(Figures::of(walls, n, started.elapsed()))
        }
    };
    let locked = run(true).await?;
    let unlocked = run(false).await?;
    for handle in handles.iter() {
        handle.clone().close().await;
    }
    Ok((locked, unlocked))
}
