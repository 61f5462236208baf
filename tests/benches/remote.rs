//! Remote sale latency: a signed Stripe webhook POSTed to a real `codetill-relay
//! serve` process → the desktop's follow loop (long-poll, inbox, provider re-read at
//! the fake Stripe API, payment, supplier order at the in-process sandbox answering at
//! once, codes sealed, email queued) → the order `delivered` in the database.
//!
//! Latency is from the moment the webhook POST starts to the order's `delivered_at`.
//! Two runs: paced (one event every `--gap-ms`, the usual shop) for p50/p99, and a
//! burst (every event posted at once) for events per second.
//!
//!     cargo build -p codetill-relay   # the relay binary beside the bench
//!     cargo bench --profile dev -p codetill-e2e --bench remote [-- --events N] [-- --gap-ms MS]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use codetill_core::payments::{ProviderKind, Providers, StripeClient};
use codetill_core::relay::{self, Backoff, Feed, RelayClient};
use codetill_core::remote::{Desk, RemoteOrder};
use codetill_core::secrets::Redacted;
use codetill_e2e::Shop;
use codetill_e2e::bench::{flag, quantile};
use codetill_e2e::remote::{self as harness, FakeProviders, RelayServer};

const SKU: &str = "STEAM-US-20";

fn main() -> anyhow::Result<()> {
    let events = flag("--events", 200)?.max(1) as usize;
    let gap = Duration::from_millis(flag("--gap-ms", 50)?);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(events, gap))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn run(events: usize, gap: Duration) -> anyhow::Result<()> {
    let shop = Shop::open(200).await?;
    let fakes = FakeProviders::start().await?;
    let relay = RelayServer::start()?;
    let stripe = StripeClient::new(&fakes.url, Redacted::new(harness::STRIPE_KEY.into()), None)?;
    let mut engine = Shop::engine_for(&shop.sandbox, &shop.db)?;
    engine.options.lease = Duration::from_secs(30);
    let desk = Arc::new(Desk::new(
        Arc::new(engine),
        Providers::fixed(vec![Arc::new(stripe)]),
    ));
    let http = reqwest::Client::new();

    // The follow loop, as the app runs it.
    let feed = Feed::new(
        RelayClient::new(&relay.url(), Redacted::new(relay.token.clone()))?,
        shop.db.clone(),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let loop_desk = desk.clone();
    let follower = tokio::spawn(async move {
        relay::follow(&feed, loop_desk.as_ref(), Backoff::default(), async {
            let _ = stop_rx.await;
        })
        .await
    });

    println!("remote sales: webhook → relay → follow loop → delivered ({events} events per run)");
    for (name, paced) in [("paced", true), ("burst", false)] {
        let mut orders: Vec<RemoteOrder> = Vec::with_capacity(events);
        for _ in 0..events {
            let o = desk
                .open(
                    codetill_core::remote::Wanted {
                        sku: SKU,
                        amount: None,
                    },
                    "buyer@example.com",
                    codetill_core::delivery::Language::En,
                    ProviderKind::Stripe,
                    "bench",
                    None,
                )
                .await?;
            fakes.set_stripe_status(&o.external_id, "paid");
            orders.push(o);
        }
        let mut sent = Vec::with_capacity(events);
        let started = Instant::now();
        let mut posts = Vec::new();
        for (i, o) in orders.iter().enumerate() {
            let session = fakes.session(&o.external_id).context("session")?;
            let body = harness::stripe_completed(&format!("evt_{name}_{i}"), &session);
            sent.push(chrono::Utc::now());
            if paced {
                let status = relay.post_stripe(&http, &body).await?;
                anyhow::ensure!(status == 200, "relay answered {status}");
                tokio::time::sleep(gap).await;
            } else {
                let (relay_url, endpoint, http) =
                    (relay.url(), relay.stripe_endpoint.clone(), http.clone());
                posts.push(tokio::spawn(async move {
                    let sig =
                        harness::stripe_signature(harness::STRIPE_WHSEC, harness::now_s(), &body);
                    http.post(format!("{relay_url}/in/{endpoint}"))
                        .header("content-type", "application/json")
                        .header("stripe-signature", sig)
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                }));
            }
        }
        for p in posts {
            let status = p.await??;
            anyhow::ensure!(status == 200, "relay answered {status}");
        }
        // Wait until every order is delivered.
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let deadline = Instant::now() + Duration::from_secs(120);
        let delivered_at = loop {
            let rows: Vec<(i64, Option<String>)> = sqlx::query_as(&format!(
                "SELECT id, delivered_at FROM orders WHERE id IN ({}) ORDER BY id",
                ids.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ))
            .fetch_all(shop.db.pool())
            .await?;
            if rows.iter().all(|(_, d)| d.is_some()) {
                break rows;
            }
            anyhow::ensure!(Instant::now() < deadline, "not all delivered after 120 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let wall = started.elapsed();
        let mut latencies: Vec<Duration> = delivered_at
            .iter()
            .zip(&sent)
            .map(|((_, d), t0)| {
                let d = chrono::DateTime::parse_from_rfc3339(d.as_deref().unwrap_or_default())
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .unwrap_or(*t0);
                (d - *t0).to_std().unwrap_or_default()
            })
            .collect();
        latencies.sort();
        let last = delivered_at
            .iter()
            .filter_map(|(_, d)| chrono::DateTime::parse_from_rfc3339(d.as_deref()?).ok())
            .max()
            .map(|d| d.with_timezone(&chrono::Utc));
        let span = last
            .and_then(|l| (l - sent[0]).to_std().ok())
            .unwrap_or(wall);
        println!(
            "  {name:<5}  p50 {}  p99 {}  max {}  |  {:.1} events/s ({} events in {})",
            ms(quantile(&latencies, 0.50)),
            ms(quantile(&latencies, 0.99)),
            ms(*latencies.last().unwrap_or(&Duration::ZERO)),
            events as f64 / span.as_secs_f64().max(1e-9),
            events,
            ms(span),
        );
    }
    let counters = shop.sandbox.counters().await?;
    println!(
        "  supplier orders created: {} (expected {})",
        counters["orders_created"],
        2 * events
    );
    let _ = stop_tx.send(());
    follower.await??;
    Ok(())
}
