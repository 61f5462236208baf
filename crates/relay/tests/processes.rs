//! The relay as a process: `kill -9` under load with senders that retry like
//! providers, and two relay processes on one PostgreSQL database.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codetill_relay::MasterKey;
use common::{Backend, RelayProcess, admin_json, deliver_until_2xx, relay_bin, store_url};
use serde_json::Value;

const SECRET: &str = "whsec_crash_test";

/// Every event, read back through the pull API, paging.
async fn read_all(base: &str, token: &str) -> Vec<Value> {
    let client = reqwest::Client::new();
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let page: Value = client
            .get(format!("{base}/v1/events?after={after}&limit=500"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let events = page["events"].as_array().cloned().unwrap();
        if events.is_empty() {
            return all;
        }
        after = page["next_cursor"].as_i64().unwrap();
        all.extend(events);
    }
}

/// Cursors 1..=n with no gap, each event id once, exactly the ids sent.
fn assert_exactly_once_in_order(events: &[Value], sent: &BTreeSet<String>) {
    let cursors: Vec<i64> = events
        .iter()
        .map(|e| e["cursor"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (1..=sent.len() as i64).collect();
    assert_eq!(
        cursors, expected,
        "cursors are 1..=n in order, none skipped"
    );
    let ids: Vec<String> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "no event delivered twice");
    assert_eq!(&unique, sent, "every event answered 2xx is delivered");
}

async fn killed_under_load_loses_nothing(backend: Backend) {
    let Some((db_url, _dir)) = store_url(backend).await else {
        return;
    };
    let key = MasterKey::generate().to_hex();
    let shop = admin_json(
        &db_url,
        None,
        &["shop", "add", "--name", "Crash", "--json"],
        "",
    );
    let token = shop["token"].as_str().unwrap().to_owned();
    let shop_id = shop["shop_id"].as_str().unwrap();
    let endpoint = admin_json(
        &db_url,
        Some(&key),
        &[
            "endpoint",
            "add",
            "--shop",
            shop_id,
            "--provider",
            "stripe",
            "--json",
        ],
        &format!("{SECRET}\n"),
    );
    let endpoint = endpoint["endpoint_id"].as_str().unwrap().to_owned();

    let relay = RelayProcess::spawn(&db_url, &key, "127.0.0.1:0").unwrap();
    let port = Arc::new(AtomicU16::new(relay.addr.port()));
    let answered = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicUsize::new(0));
    const SENDERS: usize = 8;
    const PER_SENDER: usize = 75;
    let client = reqwest::Client::new();
    let mut senders = tokio::task::JoinSet::new();
    for s in 0..SENDERS {
        let (client, port, answered, retries, endpoint) = (
            client.clone(),
            port.clone(),
            answered.clone(),
            retries.clone(),
            endpoint.clone(),
        );
        senders.spawn(async move {
            for i in 0..PER_SENDER {
                let id = format!("evt_{s}_{i}");
                let failed = deliver_until_2xx(&client, &port, &endpoint, SECRET, &id).await;
                retries.fetch_add(failed as usize, Ordering::SeqCst);
                answered.fetch_add(1, Ordering::SeqCst);
                // Providers also re-send what was already answered: a duplicate.
                if i % 10 == 0 {
                    deliver_until_2xx(&client, &port, &endpoint, SECRET, &id).await;
                }
            }
        });
    }
    // Kill the relay twice mid-stream, then bring it back on the same port.
    let mut relay = Some(relay);
    for kill_at in [150, 400] {
        let deadline = Instant::now() + Duration::from_secs(120);
        while answered.load(Ordering::SeqCst) < kill_at {
            assert!(Instant::now() < deadline, "senders stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let listen = format!("127.0.0.1:{}", port.load(Ordering::SeqCst));
        relay.take().unwrap().kill_9();
        let at_kill = answered.load(Ordering::SeqCst);
        assert!(
            at_kill < SENDERS * PER_SENDER,
            "killed while senders were still sending"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let restarted = (0..50).find_map(|_| {
            RelayProcess::spawn(&db_url, &key, &listen)
                .ok()
                .or_else(|| {
                    std::thread::sleep(Duration::from_millis(100));
                    None
                })
        });
        relay = Some(restarted.expect("the relay restarts on its port"));
    }
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }
    assert!(
        retries.load(Ordering::SeqCst) > 0,
        "the senders saw the relay die and retried"
    );
    let relay = relay.unwrap();
    let base = format!("http://{}", relay.addr);
    let events = read_all(&base, &token).await;
    let sent: BTreeSet<String> = (0..SENDERS)
        .flat_map(|s| (0..PER_SENDER).map(move |i| format!("evt_{s}_{i}")))
        .collect();
    assert_exactly_once_in_order(&events, &sent);
    assert!(
        relay.terminate().success(),
        "SIGTERM stops the relay cleanly"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_relay_killed_under_load_loses_nothing() {
    killed_under_load_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_relay_killed_under_load_loses_nothing() {
    killed_under_load_loses_nothing(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgres_relays_share_cursors_and_wake_each_other() {
    let Some((db_url, _)) = store_url(Backend::Postgres).await else {
        return;
    };
    let key = MasterKey::generate().to_hex();
    let shop = admin_json(
        &db_url,
        None,
        &["shop", "add", "--name", "Two", "--json"],
        "",
    );
    let token = shop["token"].as_str().unwrap().to_owned();
    let shop_id = shop["shop_id"].as_str().unwrap();
    let endpoint = admin_json(
        &db_url,
        Some(&key),
        &[
            "endpoint",
            "add",
            "--shop",
            shop_id,
            "--provider",
            "stripe",
            "--json",
        ],
        SECRET,
    );
    let endpoint = endpoint["endpoint_id"].as_str().unwrap().to_owned();
    let a = RelayProcess::spawn(&db_url, &key, "127.0.0.1:0").unwrap();
    let b = RelayProcess::spawn(&db_url, &key, "127.0.0.1:0").unwrap();
    let ports = Arc::new([AtomicU16::new(a.addr.port()), AtomicU16::new(b.addr.port())]);

    // Every event goes to both instances at once: the duplicates race across
    // processes, and both allocate cursors for the same shop concurrently.
    const SENDERS: usize = 8;
    const PER_SENDER: usize = 40;
    let client = reqwest::Client::new();
    let mut senders = tokio::task::JoinSet::new();
    for s in 0..SENDERS {
        let (client, ports, endpoint) = (client.clone(), ports.clone(), endpoint.clone());
        senders.spawn(async move {
            for i in 0..PER_SENDER {
                let id = format!("evt_{s}_{i}");
                tokio::join!(
                    deliver_until_2xx(&client, &ports[0], &endpoint, SECRET, &id),
                    deliver_until_2xx(&client, &ports[1], &endpoint, SECRET, &id),
                );
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }
    let sent: BTreeSet<String> = (0..SENDERS)
        .flat_map(|s| (0..PER_SENDER).map(move |i| format!("evt_{s}_{i}")))
        .collect();
    for relay in [&a, &b] {
        let events = read_all(&format!("http://{}", relay.addr), &token).await;
        assert_exactly_once_in_order(&events, &sent);
    }

    // A reader long-polling instance B wakes when instance A commits (NOTIFY),
    // well before B's own periodic re-check (10 s).
    let head = sent.len();
    let reader = {
        let url = format!("http://{}/v1/events?after={head}&wait=30", b.addr);
        let token = token.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let page: Value = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (started.elapsed(), page)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    deliver_until_2xx(&client, &ports[0], &endpoint, SECRET, "evt_wake").await;
    let (took, page) = reader.await.unwrap();
    assert_eq!(page["events"][0]["event_id"], "evt_wake");
    assert!(
        took < Duration::from_secs(3),
        "woken across instances in {took:?}"
    );
    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_metrics_apart_from_the_public_address() {
    let Some((db_url, _dir)) = store_url(Backend::Sqlite).await else {
        return;
    };
    let key = MasterKey::generate().to_hex();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_addr = free.local_addr().unwrap().to_string();
    drop(free);
    let relay = RelayProcess::spawn_with(
        &db_url,
        &key,
        "127.0.0.1:0",
        &["--metrics-listen", &metrics_addr],
    )
    .unwrap();
    let client = reqwest::Client::new();
    let public = client
        .get(format!("http://{}/metrics", relay.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);
    let private = client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), reqwest::StatusCode::OK);
    let text = private.text().await.unwrap();
    assert!(text.contains("codetill_relay_store_up 1"), "{text}");
    // `codetill-relay health`, as a container's HEALTHCHECK runs it, on either
    // listener; nothing listening is unhealthy.
    let health = |addr: &str| {
        std::process::Command::new(relay_bin())
            .args(["health", "--addr", addr])
            .output()
            .unwrap()
    };
    for addr in [relay.addr.to_string(), metrics_addr.clone()] {
        let ok = health(&addr);
        assert!(ok.status.success(), "{ok:?}");
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("\"ok\""),
            "{ok:?}"
        );
    }
    let addr = relay.addr.to_string();
    assert!(
        relay.terminate().success(),
        "a clean stop ends both listeners"
    );
    let down = health(&addr);
    assert_eq!(down.status.code(), Some(1), "{down:?}");
}
