//! Ingest benchmark: signed Stripe webhooks from 16 concurrent senders into a
//! relay on loopback, durable (SQLite WAL + synchronous=FULL; PostgreSQL with
//! fsync and synchronous_commit on), measuring events/s and latency to 2xx.
//!
//!     cargo bench -p codetill-relay --bench ingest
//!
//! Two runs per store: flat out (throughput) and paced at 200 events/s
//! (latency, measured from each event's scheduled send time, so a stall is not
//! hidden). Sender, relay and database share this machine's cores.
//! `CODETILL_RELAY_BENCH_EVENTS` sets the flat-out count (default 6000);
//! `CODETILL_RELAY_SKIP_PG=1` leaves PostgreSQL out.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codetill_relay::verify::stripe;
use codetill_relay::{MasterKey, Relay, RelayConfig, Store, admin};

const SENDERS: usize = 16;
const SECRET: &str = "whsec_bench";
const PACED_RATE: u64 = 200;
const PACED_SECONDS: u64 = 10;

struct Figures {
    events: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

struct Target {
    base: String,
    endpoint: String,
    relay: Relay,
    token: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(db_url: &str) -> Target {
    let store = Store::open(db_url).await.unwrap();
    let key = MasterKey::generate();
    let mut config = RelayConfig::new(key.clone());
    config.rate_per_second = 0.0; // measure the store, not the limiter
    let relay = Relay::start(store, config);
    let shop = admin::add_shop(relay.store(), "Bench").await.unwrap();
    let endpoint = admin::add_endpoint(
        relay.store(),
        &key,
        &shop.shop_id,
        "stripe",
        &[SECRET.to_owned()],
    )
    .await
    .unwrap()
    .endpoint_id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(codetill_relay::run(listener, relay.clone(), async {
        let _ = stopped.await;
    }));
    Target {
        base,
        endpoint,
        relay,
        token: shop.token,
        stop,
        server,
    }
}

fn body(id: &str) -> String {
    serde_json::json!({
        "id": id, "object": "event", "type": "checkout.session.completed",
        "data": { "object": { "client_reference_id": "ord_42", "amount_total": 1999, "currency": "eur" } }
    })
    .to_string()
}

/// Send `count` events from 16 senders; `interval` paces them (None: flat out).
async fn send(target: &Target, prefix: &str, count: usize, interval: Option<Duration>) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(SENDERS)
        .build()
        .unwrap();
    let url = format!("{}/in/{}", target.base, target.endpoint);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (client, url, next, prefix) =
            (client.clone(), url.clone(), next.clone(), prefix.to_owned());
        senders.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    return latencies;
                }
                let due = match interval {
                    Some(every) => {
                        let due = started + every * k as u32;
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let body = body(&format!("evt_{prefix}_{k}"));
                let sig = stripe::sign(SECRET, chrono::Utc::now().timestamp(), body.as_bytes());
                let response = client
                    .post(&url)
                    .header("stripe-signature", sig)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                latencies.push(due.elapsed());
            }
        });
    }
    let mut latencies = Vec::with_capacity(count);
    while let Some(done) = senders.join_next().await {
        latencies.extend(done.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Figures {
        events: count,
        seconds,
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
        max_ms: ms(at(1.0)),
    }
}

async fn bench(store: &str, db_url: &str, flat_out: usize) -> Vec<(String, Figures, String)> {
    let target = start(db_url).await;
    send(&target, "warm", 300, None).await;
    let fast = send(&target, "flat", flat_out, None).await;
    let paced_count = (PACED_RATE * PACED_SECONDS) as usize;
    let paced = send(
        &target,
        "paced",
        paced_count,
        Some(Duration::from_secs(1) / PACED_RATE as u32),
    )
    .await;
    // Every 2xx is in the store, once.
    let expected = 300 + flat_out + paced_count;
    let head = target
        .relay
        .store()
        .status(&shop_of(&target).await)
        .await
        .unwrap()
        .unwrap()
        .head;
    assert_eq!(head as usize, expected, "all answered events are stored");
    let _ = target.stop.send(());
    target.server.await.unwrap().unwrap();
    let throughput_ok = if store == "sqlite" {
        fast.events as f64 / fast.seconds >= 2000.0
    } else {
        true
    };
    vec![
        (
            format!("{store} flat out, {SENDERS} senders"),
            fast,
            if store == "sqlite" {
                format!(
                    "≥ 2,000 events/s: {}",
                    if throughput_ok { "met" } else { "MISSED" }
                )
            } else {
                "(no target)".to_owned()
            },
        ),
        (
            format!("{store} paced {PACED_RATE}/s"),
            paced,
            String::new(),
        ),
    ]
}

async fn shop_of(target: &Target) -> String {
    // The bench's one shop: find it through its token, as the desktop would.
    target
        .relay
        .store()
        .shop_for_token(&codetill_relay::hash_token(&target.token))
        .await
        .unwrap()
        .unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let flat_out: usize = std::env::var("CODETILL_RELAY_BENCH_EVENTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(6000);
        let mut rows = Vec::new();
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
        rows.extend(bench("sqlite", &sqlite, flat_out).await);
        if let Some(cluster) = pg::cluster() {
            let url = cluster.fresh_db().await;
            rows.extend(bench("postgres", &url, flat_out).await);
        }
        println!();
        println!("codetill-relay ingest: signed Stripe webhooks over loopback, durable commits");
        println!(
            "{:<32} {:>7} {:>10} {:>9} {:>9} {:>9}  target",
            "run", "events", "events/s", "p50 ms", "p99 ms", "max ms"
        );
        for (name, f, note) in rows {
            let note = if name.contains("paced") {
                format!(
                    "p99 ≤ 20 ms at 200/s: {}",
                    if f.p99_ms <= 20.0 { "met" } else { "MISSED" }
                )
            } else {
                note
            };
            println!(
                "{:<32} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9.2}  {}",
                name,
                f.events,
                f.events as f64 / f.seconds,
                f.p50_ms,
                f.p99_ms,
                f.max_ms,
                note
            );
        }
    });
}
