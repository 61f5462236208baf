//! A sales report over a month of 1,000,000 orders, by day, beside its floor: the
//! sqlite3 CLI running a plain GROUP BY over the same rows of the same file, in the
//! same run, interleaved.
//!
//!     cargo bench -p codetill-e2e --profile dev --bench reports [-- --orders N] [-- --runs N]
//!
//! The orders are written by one SQL statement (a recursive CTE): a month of sales
//! paid every few seconds, in INR at two rates, with a refunded one in fifty; the
//! database's triggers keep the quarter-hour sums as they go in. Prints the median
//! and p90 of codetill's report (days in UTC, and in India's UTC+5:30), of the same
//! report read from every order (as before the sums), and of sqlite3's GROUP BY (the
//! whole process, which opens the file each time).

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use codetill_core::db::Db;
use codetill_core::reports::{self, GroupBy, SalesQuery};
use codetill_e2e::bench::flag;

fn main() -> anyhow::Result<()> {
    let orders = flag("--orders", 1_000_000)? as usize;
    let runs = flag("--runs", 15)? as usize;

    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("codetill.db");
    let db = rt.block_on(Db::open(&path))?;

    let started = Instant::now();
    rt.block_on(generate(&db, orders))?;
    println!(
        "{orders} orders written in {:.1} s (one INSERT … WITH RECURSIVE)",
        started.elapsed().as_secs_f64()
    );

    let query = |offset: i32| SalesQuery {
        from: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date"),
        to: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("a date"),
        by: GroupBy::Day,
        utc_offset_minutes: offset,
        till: None,
    };
    // The report as the shop reads it (from the sums), or read from every order.
    let timed = |offset: i32, every: bool| -> anyhow::Result<(Duration, usize, i64)> {
        let started = Instant::now();
        let report = if every {
            rt.block_on(reports::sales_from_orders(&db, &query(offset)))?
        } else {
            rt.block_on(reports::sales(&db, &query(offset)))?
        };
        let took = started.elapsed();
        let counted = report.totals.iter().map(|t| t.orders).sum();
        Ok((took, report.rows.len(), counted))
    };
    let ours = |offset: i32| timed(offset, false);
    let every_order = |offset: i32| timed(offset, true);
    let floor_sql =
        "SELECT substr(paid_at, 1, 10), count(*), sum(price_minor), sum(supplier_total_minor)
         FROM orders WHERE status = 'delivered'
           AND paid_at >= '2026-03-01T00:00:00.000Z' AND paid_at < '2026-04-01T00:00:00.000Z'
         GROUP BY 1;";
    let floor = || -> anyhow::Result<(Duration, usize)> {
        let started = Instant::now();
        let out = Command::new("sqlite3")
            .arg(&path)
            .arg(floor_sql)
            .output()
            .context("running sqlite3 (apt install sqlite3)")?;
        let took = started.elapsed();
        if !out.status.success() {
            bail!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok((took, String::from_utf8_lossy(&out.stdout).lines().count()))
    };

    // Once each to warm the page cache, and to check they agree.
    for offset in [0, 330] {
        let sums = rt.block_on(reports::sales(&db, &query(offset)))?;
        let read = rt.block_on(reports::sales_from_orders(&db, &query(offset)))?;
        if sums != read {
            bail!("the quarter-hour sums and the orders disagree at offset {offset}");
        }
    }
    let (_, days, counted) = ours(0)?;
    let (_, floor_days) = floor()?;
    if days != floor_days {
        bail!("codetill found {days} days, sqlite3 {floor_days}");
    }
    println!("{days} days, {counted} delivered orders");

    let (mut utc, mut ist, mut read, mut plain) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        utc.push(ours(0)?.0);
        ist.push(ours(330)?.0);
        read.push(every_order(0)?.0);
        plain.push(floor()?.0);
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        (ms(at(0.5)), ms(at(0.9)))
    };
    let (utc, ist, read, plain) = (
        stats(&mut utc),
        stats(&mut ist),
        stats(&mut read),
        stats(&mut plain),
    );
    println!("\n| {orders} orders, a month by day ({runs} runs) | median | p90 |");
    println!("|---|---|---|");
    println!(
        "| codetill `report sales --by day`, UTC days (target ≤ 300 ms) | {:.1} ms | {:.1} ms |",
        utc.0, utc.1
    );
    println!(
        "| codetill, India's days (UTC+5:30) | {:.1} ms | {:.1} ms |",
        ist.0, ist.1
    );
    println!(
        "| the same report read from every order (no sums), UTC days | {:.1} ms | {:.1} ms |",
        read.0, read.1
    );
    println!(
        "| sqlite3 CLI, plain GROUP BY, same file (floor, whole process) | {:.1} ms | {:.1} ms |",
        plain.0, plain.1
    );
    println!("| codetill / sqlite3 | {:.2} | |", utc.0 / plain.0);
    if utc.0 > 300.0 {
        eprintln!("over the 300 ms target");
    }
    rt.block_on(db.close());
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `n` orders over March 2026, paid every 2.6784 s: INR sales of USD-cost cards at
/// two rates, five staff, five hundred products, one in fifty refunded.
async fn generate(db: &Db, n: usize) -> anyhow::Result<()> {
    let step = 31.0 * 86_400.0 / n as f64;
    let sql = format!(
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}),
              t(i, at) AS (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', 1772323200 + (i - 1) * {step}, 'unixepoch') FROM seq)
         INSERT INTO orders (public_id, client_order_id, status, channel, sku, name, region,
             face_minor, face_currency, quantity, price_minor, currency, max_unit_minor,
             wholesale_currency, supplier_total_minor, fx_rate, staff, till_id, created_at,
             paid_at, delivered_at, updated_at)
         SELECT printf('ORD-%07d', i), 'ct-bench-' || i,
             CASE WHEN i % 50 = 0 THEN 'refunded' ELSE 'delivered' END, 'counter',
             'SKU-' || (i % 500), 'Card ' || (i % 500), 'US', 2000, 'USD', 1,
             184900 + (i % 300) * 100, 'INR', 2000 + i % 200, 'USD', 1840 + i % 200,
             CASE WHEN i % 3 = 0 THEN '84.10' ELSE '83.95' END,
             'staff-' || (i % 5), 'till-1', at, at, at, at
         FROM t"
    );
    sqlx::query(&sql).execute(db.pool()).await?;
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    Ok(())
}
