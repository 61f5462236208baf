//! What the benches share: the numbers they take on the command line, quantiles of
//! their timings, what staff type, and the supplier's own rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codetill_core::supplier::{OrderRequest, Supplier, SupplierOrderStatus, WholesaleClient};

use anyhow::Context;

/// The number after `name` on the bench's command line (`-- --runs 50`), else
/// `default`.
pub fn flag(name: &str, default: u64) -> anyhow::Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .with_context(|| format!("{name} N"))?
            .parse()?),
        None => Ok(default),
    }
}

/// Quantile `q` (0 to 1) of sorted durations; zero for none.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// What staff type for a product: a word or two of its name, the last cut short.
pub fn prefix_query(row: &serde_json::Value, rng: &mut impl rand::Rng) -> String {
    let name = row["name"].as_str().unwrap_or("steam");
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let take = rng.random_range(1..=words.len().clamp(1, 2));
    let start = rng.random_range(0..=words.len().saturating_sub(take));
    let mut parts: Vec<String> = words[start..start + take]
        .iter()
        .map(|w| w.to_string())
        .collect();
    if let Some(last) = parts.last_mut() {
        let chars: Vec<char> = last.chars().collect();
        let keep = rng.random_range(1..=chars.len());
        *last = chars[..keep].iter().collect();
    }
    parts.join(" ")
}

/// `sales` raw supplier sales (stock, then place_order), `concurrency` at a time;
/// each sale's wall time.
pub async fn supplier_run(
    client: &Arc<WholesaleClient>,
    tag: &str,
    sales: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, tag) = (client.clone(), next.clone(), tag.to_string());
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= sales {
                    break;
                }
                let started = Instant::now();
                let stock = client.stock("STEAM-US-20").await?;
                let order = client
                    .place_order(&OrderRequest {
                        client_order_id: format!("bench-{tag}-{i}"),
                        sku: "STEAM-US-20".into(),
                        quantity: 1,
                        max_unit_price: stock.wholesale,
                        face_value: None,
                    })
                    .await?;
                out.push(started.elapsed());
                anyhow::ensure!(
                    order.status == SupplierOrderStatus::Completed,
                    "supplier order {} is {:?}",
                    order.order_id,
                    order.status
                );
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
