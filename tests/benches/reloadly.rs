//! Reloadly figures, each beside its Wholesale API v1 baseline in one run: a full
//! catalog sync of the same products (100,000 by default) over each API into a fresh
//! database, and supplier orders placed 16 at a time through each adapter against
//! the sandbox (in-process, on loopback, latency 0). A Reloadly order is three calls
//! (today's price, the order, its codes) where Wholesale API v1 takes one.
//!
//!     cargo bench -p codetill-e2e --bench reloadly [-- --products N] [-- --orders N]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use codetill_core::catalog::{self, SyncKind, SyncOptions};
use codetill_core::money::{Currency, Money};
use codetill_core::progress::NoProgress;
use codetill_core::supplier::{OrderRequest, Supplier, SupplierOrderStatus};
use codetill_e2e::{Flavor, Sandbox, temp_db};

const SKU: &str = "STEAM-US-20";
const CONCURRENCY: usize = 16;

fn arg(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).context("a number")?.parse()?),
        None => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let products = arg(&args, "--products", 100_000)?;
    let orders = arg(&args, "--orders", 10_000)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(products, orders))
}

async fn sync_time(sandbox: &Sandbox) -> anyhow::Result<(Duration, u64)> {
    let supplier = sandbox.supplier()?;
    let (_dir, db) = temp_db().await?;
    let started = Instant::now();
    let report = catalog::sync(
        &db,
        supplier.as_ref(),
        &SyncOptions {
            kind: SyncKind::Full,
            ..SyncOptions::default()
        },
        &NoProgress,
    )
    .await?;
    Ok((started.elapsed(), report.inserted))
}

/// `count` orders, `CONCURRENCY` at a time, through the flavor's adapter.
async fn order_rate(sandbox: &Sandbox, count: usize) -> anyhow::Result<f64> {
    let supplier: Arc<dyn Supplier> = sandbox.supplier()?;
    let sku = sandbox.sku(SKU);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (supplier, sku, next) = (Arc::clone(&supplier), sku.clone(), Arc::clone(&next));
            let flavor = sandbox.flavor();
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return anyhow::Ok(());
                    }
                    let request = OrderRequest {
                        client_order_id: format!("bench-{}-{n}", flavor.as_str()),
                        sku: sku.clone(),
                        quantity: 1,
                        max_unit_price: Money::parse("1000", Currency::USD)?,
                        face_value: None,
                    };
                    let order = supplier.place_order(&request).await?;
                    anyhow::ensure!(
                        order.status == SupplierOrderStatus::Completed && order.codes.len() == 1
                    );
                }
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

async fn run(products: usize, orders: usize) -> anyhow::Result<()> {
    println!("reloadly benchmark: {products} products, {orders} orders ({CONCURRENCY} at a time)");
    let wholesale = Sandbox::start_flavor(products, Flavor::Wholesale).await?;
    let reloadly = Sandbox::start_flavor(products, Flavor::Reloadly).await?;
    let (w_sync, w_n) = sync_time(&wholesale).await?;
    let (r_sync, r_n) = sync_time(&reloadly).await?;
    // Reloadly lists no out-of-stock denomination and adds open-amount skus: the
    // counts differ a little; the ratio below is per sku.
    anyhow::ensure!(
        r_n * 10 >= w_n * 9,
        "wholesale imported {w_n}, reloadly only {r_n}"
    );
    // The balance must cover every order.
    for s in [&wholesale, &reloadly] {
        s.control("balance", serde_json::json!({ "set": "100000000.00" }))
            .await?;
    }
    let w_rate = order_rate(&wholesale, orders).await?;
    let r_rate = order_rate(&reloadly, orders).await?;
    let ratio = (r_sync.as_secs_f64() / r_n as f64) / (w_sync.as_secs_f64() / w_n as f64);
    println!();
    println!("| measure | reloadly | wholesale API v1 (baseline) | target |");
    println!("|---|---|---|---|");
    println!(
        "| full sync ({r_n} / {w_n} skus) | {:.3} s | {:.3} s | ≤ 1.3× per sku ({ratio:.2}×) |",
        r_sync.as_secs_f64(),
        w_sync.as_secs_f64()
    );
    println!(
        "| supplier orders, {CONCURRENCY} concurrent | {r_rate:.0} orders/s | {w_rate:.0} orders/s | ≥ 1,000 orders/s |"
    );
    Ok(())
}
