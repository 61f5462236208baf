//! Group commit keeps "durable before 2xx": the writer commits many inbound
//! events in one transaction, and an event is answered 200 only once the
//! transaction holding it has committed. Real failures only: a relay process
//! killed with SIGKILL, and a commit refused by the database itself (a deferred
//! constraint the test installs, which fails at COMMIT, not at the insert).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codetill_relay::{MasterKey, Store};
use common::{Backend, RelayProcess, TestRelay, admin_json, store_url, stripe_body};
use reqwest::StatusCode;
use sqlx::Connection;

const SECRET: &str = "whsec_group_commit";

/// `codetill_relay_commits_total` and `codetill_relay_committed_events_total`.
async fn commit_counts(metrics_url: &str) -> (u64, u64) {
    let text = reqwest::get(metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics:\n{text}"))
    };
    (
        value("codetill_relay_commits_total "),
        value("codetill_relay_committed_events_total "),
    )
}

async fn post_stripe(client: &reqwest::Client, url: &str, event_id: &str) -> Option<StatusCode> {
    let body = stripe_body(event_id);
    let sig = codetill_relay::verify::stripe::sign(
        SECRET,
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let sent = client
        .post(url)
        .header("stripe-signature", sig)
        .body(body)
        .timeout(Duration::from_secs(20))
        .send()
        .await;
    sent.ok().map(|response| response.status())
}

/// 16 senders post without pause; the relay is SIGKILLed mid-stream. Every
/// event that was answered 200 is in the store afterwards, read straight from
/// the database, and the commits did carry several events each.
async fn acknowledged_events_survive_a_kill(backend: Backend) {
    let Some((db_url, _dir)) = store_url(backend).await else {
        return;
    };
    let key = MasterKey::generate().to_hex();
    let shop = admin_json(&db_url, None, &["shop", "add", "--name", "G", "--json"], "");
    let shop_id = shop["shop_id"].as_str().unwrap().to_owned();
    let endpoint = admin_json(
        &db_url,
        Some(&key),
        &[
            "endpoint",
            "add",
            "--shop",
            &shop_id,
            "--provider",
            "stripe",
            "--json",
        ],
        &format!("{SECRET}\n"),
    )["endpoint_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let relay = RelayProcess::spawn_with(
        &db_url,
        &key,
        "127.0.0.1:0",
        &["--metrics-listen", &metrics_listen],
    )
    .unwrap();
    let url = format!("http://{}/in/{endpoint}", relay.addr);
    let metrics_url = format!("http://{metrics_listen}/metrics");

    const SENDERS: usize = 16;
    let answered = Arc::new(Mutex::new(BTreeSet::new()));
    let client = reqwest::Client::new();
    let mut senders = tokio::task::JoinSet::new();
    for s in 0..SENDERS {
        let (client, url, answered) = (client.clone(), url.clone(), answered.clone());
        senders.spawn(async move {
            for i in 0.. {
                let id = format!("evt_{s}_{i}");
                match post_stripe(&client, &url, &id).await {
                    Some(StatusCode::OK) => {
                        answered.lock().unwrap().insert(id);
                    }
                    // The relay is gone: what was in flight was never answered.
                    None => return,
                    Some(status) => panic!("{id}: {status}"),
                }
            }
        });
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < 400 {
        assert!(std::time::Instant::now() < deadline, "senders stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (commits, events) = commit_counts(&metrics_url).await;
    relay.kill_9();
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }
    assert!(
        commits * 2 <= events,
        "group commit: {events} events took {commits} transactions"
    );

    let answered = answered.lock().unwrap().clone();
    let store = Store::open(&db_url).await.unwrap();
    let stored = store.events_after(&shop_id, 0, 100_000).await.unwrap();
    let stored_ids: BTreeSet<String> = stored.iter().map(|e| e.event_id.clone()).collect();
    let missing: Vec<&String> = answered.difference(&stored_ids).collect();
    assert!(
        missing.is_empty(),
        "{} events answered 200 are not in the store after SIGKILL: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // Each at most once, cursors 1..=n with no gap.
    assert_eq!(stored_ids.len(), stored.len());
    let cursors: Vec<i64> = stored.iter().map(|e| e.cursor).collect();
    assert_eq!(cursors, (1..=stored.len() as i64).collect::<Vec<_>>());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_events_answered_200_survive_sigkill() {
    acknowledged_events_survive_a_kill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_events_answered_200_survive_sigkill() {
    acknowledged_events_survive_a_kill(Backend::Postgres).await;
}

/// A second connection to the relay's database, for the test's own statements.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Db {
    async fn connect(backend: Backend, url: &str) -> Db {
        match backend {
            Backend::Sqlite => Db::Sqlite(sqlx::SqliteConnection::connect(url).await.unwrap()),
            Backend::Postgres => Db::Postgres(sqlx::PgConnection::connect(url).await.unwrap()),
        }
    }

    async fn run(&mut self, sql: &str) {
        match self {
            Db::Sqlite(c) => {
                sqlx::raw_sql(sql).execute(&mut *c).await.unwrap();
            }
            Db::Postgres(c) => {
                sqlx::raw_sql(sql).execute(&mut *c).await.unwrap();
            }
        }
    }

    /// Make every COMMIT that holds an event whose body mentions "poison" fail:
    /// the insert itself succeeds, the database refuses the commit.
    async fn poison_commits(&mut self) {
        let sql = match self {
            // A deferred foreign key is checked at COMMIT.
            Db::Sqlite(_) => {
                "CREATE TABLE poison (shop_id TEXT REFERENCES shops (id) DEFERRABLE INITIALLY DEFERRED); \
                 CREATE TRIGGER poison_commit AFTER INSERT ON events \
                 WHEN NEW.payload LIKE '%poison%' \
                 BEGIN INSERT INTO poison VALUES ('no such shop'); END;"
            }
            // A deferred constraint trigger runs at COMMIT.
            Db::Postgres(_) => {
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.payload LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned commit'; END IF; \
                 RETURN NULL; END $$; \
                 CREATE CONSTRAINT TRIGGER poison_commit AFTER INSERT ON events \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION poison();"
            }
        };
        self.run(sql).await;
    }

    async fn cure(&mut self) {
        let sql = match self {
            Db::Sqlite(_) => "DROP TRIGGER poison_commit",
            Db::Postgres(_) => "DROP TRIGGER poison_commit ON events",
        };
        self.run(sql).await;
    }

    /// Hold the lock the writer needs for `shop_id`'s next event, so that the
    /// events posted meanwhile queue up and go into one transaction.
    async fn hold_write_lock(&mut self, shop_id: &str) {
        match self {
            Db::Sqlite(_) => self.run("BEGIN IMMEDIATE").await,
            Db::Postgres(_) => {
                self.run(&format!(
                    "BEGIN; SELECT 1 FROM shops WHERE id = '{shop_id}' FOR UPDATE"
                ))
                .await
            }
        }
    }

    async fn release(&mut self) {
        self.run("COMMIT").await;
    }
}

/// Post `ids` at once while the test holds the writer's lock, so they commit
/// together (a first one alone, the rest in one batch); their statuses.
async fn post_as_one_batch(
    relay: &TestRelay,
    db: &mut Db,
    shop_id: &str,
    endpoint: &str,
    ids: &[String],
) -> Vec<StatusCode> {
    db.hold_write_lock(shop_id).await;
    let url = relay.url(&format!("/in/{endpoint}"));
    let posts: Vec<_> = ids
        .iter()
        .map(|id| {
            let (client, url, id) = (relay.client.clone(), url.clone(), id.clone());
            tokio::spawn(async move { post_stripe(&client, &url, &id).await.unwrap() })
        })
        .collect();
    // Let every post reach the writer's queue.
    tokio::time::sleep(Duration::from_millis(500)).await;
    db.release().await;
    let mut statuses = Vec::new();
    for post in posts {
        statuses.push(post.await.unwrap());
    }
    statuses
}

/// A batch whose COMMIT fails answers 503 to each of its events and stores
/// none; events that can commit without the failing one are stored (each
/// then in a transaction of its own) before their 200; once the fault is gone
/// the providers' retries are stored, with no cursor skipped.
async fn a_failed_commit_answers_503(backend: Backend) {
    let Some(relay) = TestRelay::start(backend).await else {
        return;
    };
    let shop = relay.shop("Poisoned").await;
    let endpoint = relay.endpoint(&shop, "stripe", SECRET).await;
    let mut db = Db::connect(backend, &relay.db_url).await;
    db.poison_commits().await;
    let (commits_before, events_before) = commit_counts(&relay.metrics_url()).await;

    // Every event of the batch is poisoned: every one is refused.
    let poisoned: Vec<String> = (0..16).map(|i| format!("evt_poison_{i}")).collect();
    let statuses = post_as_one_batch(&relay, &mut db, &shop.id, &endpoint, &poisoned).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    let (commits, events) = commit_counts(&relay.metrics_url()).await;
    assert_eq!(events - events_before, 16);
    assert!(
        commits - commits_before <= 2,
        "the 16 events went into at most two transactions, not {}",
        commits - commits_before
    );
    assert_eq!(relay.status(&shop.token).await["head_cursor"], 0);
    assert!(relay.all_events(&shop.token, 0).await.is_empty());

    // A batch with some poisoned events: those are refused, the others stored.
    let mixed: Vec<String> = (0..16)
        .map(|i| {
            if i % 4 == 1 {
                format!("evt_poison_{i}")
            } else {
                format!("evt_fine_{i}")
            }
        })
        .collect();
    let statuses = post_as_one_batch(&relay, &mut db, &shop.id, &endpoint, &mixed).await;
    for (id, status) in mixed.iter().zip(&statuses) {
        let expected = if id.contains("poison") {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        assert_eq!(*status, expected, "{id}");
    }
    let stored: BTreeSet<String> = relay
        .all_events(&shop.token, 0)
        .await
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .collect();
    let fine: BTreeSet<String> = mixed
        .iter()
        .filter(|id| id.contains("fine"))
        .cloned()
        .collect();
    assert_eq!(stored, fine, "exactly the events answered 200 are stored");

    // The fault is mended; the provider retries what was refused.
    db.cure().await;
    for id in &poisoned {
        let status = post_stripe(&relay.client, &relay.url(&format!("/in/{endpoint}")), id).await;
        assert_eq!(status, Some(StatusCode::OK), "{id}");
    }
    let events = relay.all_events(&shop.token, 0).await;
    let cursors: Vec<i64> = events
        .iter()
        .map(|e| e["cursor"].as_i64().unwrap())
        .collect();
    assert_eq!(cursors, (1..=28).collect::<Vec<_>>(), "no cursor skipped");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failed_commit_answers_503_to_its_batch() {
    a_failed_commit_answers_503(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_failed_commit_answers_503_to_its_batch() {
    a_failed_commit_answers_503(Backend::Postgres).await;
}
