//! A basket of five lines beside a single-line sale, against the in-process sandbox
//! supplier, in the same run and interleaved: each sale's wall time from the
//! counter's Enter (quote, payment, every unit bought and sealed) to its result.
//! The target: the basket's p99 at most twice the single sale's.
//!
//!     cargo bench --profile dev -p codetill-e2e --bench basket [-- --runs N] [-- --latency-ms MS]
//!
//! `--latency-ms` gives the sandbox a supplier's answer time (default 40 ms, about a
//! real supplier's in the same region); at 0 the figure measures the till alone.

use std::time::{Duration, Instant};

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{BasketLine, BasketSale, CounterSale, DeliveryRequest, Tender};
use codetill_e2e::Shop;
use codetill_e2e::bench::{flag, quantile};
use serde_json::json;

const SKU: &str = "STEAM-US-20";

fn main() -> anyhow::Result<()> {
    let runs = flag("--runs", 100)?.max(1) as usize;
    let latency = flag("--latency-ms", 40)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(runs, latency))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn run(runs: usize, latency_ms: u64) -> anyhow::Result<()> {
    let shop = Shop::open(200).await?;
    shop.sandbox
        .control("latency", json!({ "fixed_ms": latency_ms }))
        .await?;
    let tendered = Money::parse("10000", Currency::USD)?.amount;
    let steam = shop.sku(SKU);
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT sku FROM products WHERE in_stock = 1 AND open_min_minor IS NULL
            AND category = 'gift_card' AND sku <> ?1
            AND currency = (SELECT currency FROM products WHERE sku = ?1)
          ORDER BY sku LIMIT 4",
    )
    .bind(&steam)
    .fetch_all(shop.db.pool())
    .await?;
    anyhow::ensure!(others.len() == 4, "four other cards to sell");
    let lines: Vec<BasketLine> = std::iter::once(steam.clone())
        .chain(others)
        .map(|sku| BasketLine {
            sku,
            amount: None,
            quantity: 1,
        })
        .collect();
    let basket = BasketSale {
        lines,
        tender: Tender::Cash { tendered },
        staff: "bench".into(),
        till_id: None,
        email: None,
    };
    let single = CounterSale {
        sku: steam,
        amount: None,
        tender: Tender::Cash { tendered },
        staff: "bench".into(),
        till_id: None,
        email: None,
    };
    let delivery = DeliveryRequest::default();
    // Warm both paths (connections, prepared statements) before timing.
    shop.engine.sell(&single).await?;
    shop.engine.sell_basket(&basket, &delivery).await?;
    let (mut one, mut five) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        shop.engine.sell(&single).await?;
        one.push(t.elapsed());
        let t = Instant::now();
        let b = shop.engine.sell_basket(&basket, &delivery).await?;
        five.push(t.elapsed());
        anyhow::ensure!(b.refund_due.amount.is_zero(), "every unit delivered");
    }
    one.sort();
    five.sort();
    println!("basket bench: {runs} runs each, interleaved; sandbox latency {latency_ms} ms");
    println!(
        "  single line     p50 {}  p99 {}",
        ms(quantile(&one, 0.5)),
        ms(quantile(&one, 0.99))
    );
    println!(
        "  basket, 5 lines p50 {}  p99 {}",
        ms(quantile(&five, 0.5)),
        ms(quantile(&five, 0.99))
    );
    println!(
        "  p99 ratio basket/single: {:.2}× (target ≤ 2×)",
        quantile(&five, 0.99).as_secs_f64() / quantile(&one, 0.99).as_secs_f64()
    );
    Ok(())
}
