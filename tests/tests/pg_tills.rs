//! Several tills of one shop as separate `codetill` processes, each with its own
//! data folder, on one PostgreSQL database (`CODETILL_DATABASE_URL`): two and four
//! tills selling the same products at once, a till killed with SIGKILL mid-sale
//! whose order another till's recovery finishes, and a till with the wrong vault
//! key refused before it writes anything.
//!
//! Needs the binary (`cargo build -p codetill-cli`; `./test.sh` does) and
//! PostgreSQL: see crates/relay/tests/common/pg.rs (`CODETILL_RELAY_SKIP_PG=1`
//! skips).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use codetill_e2e::cli::{Run, command, till_home, wait_output};
use codetill_e2e::{Sandbox, pg};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

/// A shop: a sandbox supplier, one PostgreSQL database and `n` tills, each a data
/// folder of its own holding the shop's vault key.
struct Shop {
    sandbox: Sandbox,
    url: String,
    tills: Vec<tempfile::TempDir>,
    rt: tokio::runtime::Runtime,
}

impl Shop {
    fn open(n: usize) -> Option<Shop> {
        let cluster = pg::cluster()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = rt.block_on(Sandbox::start(200)).unwrap();
        let url = rt.block_on(cluster.fresh_db());
        let shop = Shop {
            sandbox,
            url,
            tills: (0..n).map(|_| till_home()).collect(),
            rt,
        };
        // One till imports the catalog; every till sells from it.
        let sync = shop.run(0, &["sync", "--json"]);
        assert_eq!(sync.code, 0, "{sync:?}");
        Some(shop)
    }

    fn cmd(&self, till: usize, args: &[&str]) -> Command {
        let mut cmd = command(self.tills[till].path(), &self.sandbox.url(), args);
        cmd.env("CODETILL_DATABASE_URL", &self.url)
            .env("CODETILL_TILL_ID", format!("till-{till}"))
            .env("CODETILL_SUPPLIER_TIMEOUT_MS", "600");
        cmd
    }

    fn run(&self, till: usize, args: &[&str]) -> Run {
        let started = Instant::now();
        Run::from(self.cmd(till, args).output().unwrap(), started.elapsed())
    }

    fn json(&self, till: usize, args: &[&str]) -> Value {
        let run = self.run(till, args);
        assert_eq!(run.code, 0, "till {till}: codetill {args:?}: {run:?}");
        run.json()
    }

    fn supplier_orders(&self) -> Vec<Value> {
        self.sandbox.handle().state().orders()
    }

    fn counter(&self, name: &str) -> u64 {
        self.rt.block_on(self.sandbox.counters()).unwrap()[name]
            .as_u64()
            .unwrap()
    }
}

/// `tills` tills, 16 sales in all at once: every sale delivered with a code of its
/// own, one supplier order each, and the order numbers 1 to 16, none twice, none
/// skipped.
fn sixteen_sales_at_once(tills: usize) {
    let Some(shop) = Shop::open(tills) else {
        return;
    };
    let children: Vec<Child> = (0..16)
        .map(|i| {
            shop.cmd(
                i % tills,
                &["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"],
            )
            .spawn()
            .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| wait_output(c, Duration::from_secs(90)))
        .collect();
    for run in &runs {
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.json()["status"], "delivered", "{run:?}");
    }
    let codes: BTreeSet<String> = runs
        .iter()
        .map(|r| r.json()["codes"][0]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 16, "sixteen distinct codes");

    // Every till sees the one order book.
    for till in 0..tills {
        let orders = shop.json(till, &["orders", "--json"]);
        let orders = orders.as_array().unwrap();
        assert_eq!(orders.len(), 16, "till {till}: {orders:?}");
        let numbers: BTreeSet<&str> = orders
            .iter()
            .map(|o| o["order_id"].as_str().unwrap())
            .collect();
        let expected: BTreeSet<String> = (1..=16).map(|n| format!("ORD-{n:06}")).collect();
        assert_eq!(
            numbers,
            expected.iter().map(String::as_str).collect(),
            "till {till}: the order numbers are 1 to 16"
        );
        assert!(orders.iter().all(|o| o["status"] == "delivered"));
    }
    assert_eq!(shop.counter("orders_created"), 16);
    let bought: BTreeSet<String> = shop
        .supplier_orders()
        .iter()
        .map(|o| o["codes"][0]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        bought, codes,
        "the codes delivered are the codes bought, once each"
    );
}

#[test]
fn two_tills_as_processes_sell_at_once_on_one_postgresql() {
    sixteen_sales_at_once(2);
}

#[test]
fn four_tills_as_processes_sell_at_once_on_one_postgresql() {
    sixteen_sales_at_once(4);
}

/// Till 0 is killed while the supplier holds its order; till 1, another machine's
/// process with its own data folder, finishes it: one supplier order, the code
/// delivered once, shown by either till.
#[test]
fn a_till_killed_mid_sale_is_finished_by_another_tills_recovery() {
    let Some(shop) = Shop::open(2) else {
        return;
    };
    shop.rt
        .block_on(shop.sandbox.control(
            "faults",
            json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 3000, "times": 1 }),
        ))
        .unwrap();
    let mut sell = shop.cmd(
        0,
        &["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"],
    );
    sell.env("CODETILL_SUPPLIER_TIMEOUT_MS", "10000");
    let mut child = sell.spawn().unwrap();
    let started = Instant::now();
    while shop.counter("order_posts") < 1 {
        if let Some(status) = child.try_wait().unwrap() {
            let run = Run::from(child.wait_with_output().unwrap(), started.elapsed());
            panic!("sell ended ({status}) before its order reached the supplier: {run:?}");
        }
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    assert_eq!(child.wait().unwrap().code(), None, "killed by a signal");

    // Till 1's lease check cannot see till 0's process: the order is taken over once
    // its lease runs out.
    let mut report = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let mut recover = shop.cmd(1, &["recover", "--json"]);
        recover.env("CODETILL_SUPPLIER_TIMEOUT_MS", "5000");
        let started = Instant::now();
        let run = Run::from(recover.output().unwrap(), started.elapsed());
        assert_eq!(run.code, 0, "{run:?}");
        report = run.json();
        if report["delivered"] == json!(["ORD-000001"]) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(report["delivered"], json!(["ORD-000001"]), "{report}");
    assert_eq!(shop.supplier_orders().len(), 1, "bought once");
    assert_eq!(shop.counter("orders_created"), 1);
    for till in 0..2 {
        let shown = shop.json(till, &["order", "ORD-000001", "--reveal", "--json"]);
        assert_eq!(shown["status"], "delivered");
        assert_eq!(
            shown["codes"][0]["code"],
            shop.supplier_orders()[0]["codes"][0]["code"],
            "till {till} shows the code bought"
        );
    }
}

/// A till whose vault key is not the shop's cannot start: a clear error, and
/// nothing written (no order, no supplier call).
#[test]
fn a_till_with_another_vault_key_is_refused_and_writes_nothing() {
    let Some(shop) = Shop::open(2) else {
        return;
    };
    // The shop's key is bound by its first sale.
    let sold = shop.json(
        0,
        &["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"],
    );
    assert_eq!(sold["status"], "delivered");
    std::fs::write(shop.tills[1].path().join("vault.hex"), "77".repeat(32)).unwrap();
    let refused = shop.run(
        1,
        &["sell", SKU, "--pay", "cash", "--tendered", "50", "--json"],
    );
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.to_lowercase().contains("vault key"),
        "the error names the key: {refused:?}"
    );
    assert_eq!(
        shop.json(0, &["orders", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(shop.counter("orders_created"), 1);
}

/// The database goes away while the supplier holds a paid sale's order (every
/// connection cut, none let back in), and comes back: the till's recovery finishes
/// the sale from the supplier's record. One supplier order, the code delivered once.
#[test]
fn a_till_that_loses_the_database_mid_sale_finishes_it_when_it_returns() {
    use codetill_core::money::{Currency, Money};
    use codetill_core::orders::{CounterSale, Tender};
    use sqlx::Connection;
    let Some(cluster) = pg::cluster() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sandbox = Sandbox::start(50).await.unwrap();
        let url = cluster.fresh_db().await;
        let db = codetill_core::db::Db::connect(&url).await.unwrap();
        codetill_core::catalog::sync(
            &db,
            sandbox.supplier().unwrap().as_ref(),
            &codetill_core::catalog::SyncOptions::default(),
            &codetill_core::progress::NoProgress,
        )
        .await
        .unwrap();
        let engine = std::sync::Arc::new(codetill_e2e::Shop::engine_for(&sandbox, &db).unwrap());
        sandbox
            .control(
                "faults",
                json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 1500, "times": 1 }),
            )
            .await
            .unwrap();
        let sale = CounterSale {
            sku: SKU.into(),
            amount: None,
            tender: Tender::Cash {
                tendered: Money::parse("50", Currency::USD).unwrap().amount,
            },
            staff: "asha".into(),
            till_id: Some("till-0".into()),
            email: None,
        };
        let selling = tokio::spawn({
            let engine = engine.clone();
            async move { engine.sell(&sale).await }
        });
        while sandbox.counters().await.unwrap()["order_posts"] != json!(1) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The server turns the shop's database away and cuts its connections.
        let name = url.rsplit('/').next().unwrap().to_string();
        let mut admin = sqlx::PgConnection::connect(&url.replace(&format!("/{name}"), "/postgres"))
            .await
            .unwrap();
        sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(&name)
            .execute(&mut admin)
            .await
            .unwrap();
        let cut = selling.await.unwrap();
        assert!(cut.is_err(), "the sale cannot be recorded without its database: {cut:?}");

        sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .execute(&mut admin)
            .await
            .unwrap();
        let mut delivered = Vec::new();
        for _ in 0..40 {
            match engine.recover().await {
                Ok(report) if !report.delivered.is_empty() => {
                    delivered = report.delivered;
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
        assert_eq!(delivered, vec!["ORD-000001".to_string()]);
        let orders = sandbox.handle().state().orders();
        assert_eq!(orders.len(), 1, "bought once: {orders:?}");
        let codes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_ct FROM order_codes")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(codes.len(), 1, "the code stored once");
        db.close().await;
    });
}

/// Each till searches its own copy of the catalog (a file in its data folder),
/// brought level with the server when the server's catalog has moved: a product
/// renamed on the server is found under its new name by another till's next search.
#[test]
fn each_till_searches_its_own_copy_kept_level_with_the_server() {
    let Some(shop) = Shop::open(2) else {
        return;
    };
    let hits = shop.json(1, &["search", "steam 20", "--json"]);
    assert_eq!(hits[0]["sku"], SKU, "{hits}");
    let copy = shop.tills[1]
        .path()
        .join("data")
        .join(codetill_core::catalog::COPY_FILE);
    assert!(
        copy.is_file(),
        "till 1 keeps its copy at {}",
        copy.display()
    );
    assert!(
        shop.json(1, &["search", "zebra", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    shop.rt.block_on(async {
        let db = codetill_core::db::Db::connect(&shop.url).await.unwrap();
        sqlx::query("UPDATE products SET name = 'Zebra Gift Card', updated_at = $1 WHERE sku = $2")
            .bind(codetill_core::db::now_text())
            .bind(SKU)
            .execute(db.pool())
            .await
            .unwrap();
        db.close().await;
    });
    let hits = shop.json(1, &["search", "zebra", "--json"]);
    assert_eq!(hits[0]["sku"], SKU, "the renamed product is found: {hits}");
    assert!(
        shop.json(0, &["search", "zebra", "--json"])
            .as_array()
            .unwrap()
            .len()
            == 1,
        "and by the till that synced"
    );
}

/// A till's copy follows the server's notices: a product renamed on the server is
/// in the copy without the till searching first (a search while following asks the
/// server nothing, so only the follower can have brought it), and a change made
/// while the follower's connection is cut is in the copy once it reconnects.
#[test]
fn a_tills_copy_follows_the_servers_notices_and_catches_up_after_a_cut() {
    use codetill_core::catalog::CatalogCopy;
    use codetill_core::db::Db;
    use std::sync::Arc;
    let Some(shop) = Shop::open(1) else {
        return;
    };
    shop.rt.block_on(async {
        let server = Db::connect(&shop.url).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copy = Arc::new(CatalogCopy::open(dir.path()).await.unwrap());
        copy.follow(server.clone());
        let found = |name: &'static str| {
            let copy = copy.clone();
            let server = server.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    if copy.following() {
                        let hits = copy.search(&server, name, 5).await.unwrap();
                        if hits.first().is_some_and(|p| p.sku == SKU) {
                            return true;
                        }
                    }
                    if Instant::now() > deadline {
                        return false;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let rename = |name: &'static str| {
            let server = server.clone();
            async move {
                sqlx::query("UPDATE products SET name = $1, updated_at = $2 WHERE sku = $3")
                    .bind(name)
                    .bind(codetill_core::db::now_text())
                    .bind(SKU)
                    .execute(server.pool())
                    .await
                    .unwrap();
            }
        };
        assert!(
            found("steam 20").await,
            "level when it first hears the server"
        );
        rename("Zebra Gift Card").await;
        assert!(found("zebra").await, "the notice brought the rename");

        // Cut the follower's connection, rename while it is away, and wait for it to
        // hear the server again.
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(server.pool())
        .await
        .unwrap();
        assert_eq!(cut, vec![true], "one listener per till");
        let deadline = Instant::now() + Duration::from_secs(10);
        while copy.following() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!copy.following(), "the cut is noticed");
        rename("Yak Gift Card").await;
        assert!(found("yak").await, "caught up after reconnecting");
        server.close().await;
    });
}

/// On one server each till keeps its own name, printer and drawer: what one till's
/// owner saves for the till is not what the till beside it reads. The shop's own
/// settings (its name) are shared.
#[test]
fn each_till_keeps_its_own_name_printer_and_drawer_on_one_server() {
    use codetill_core::secrets::MemoryStore;
    use codetill_core::till::settings::ShopSettings;
    use codetill_core::till::{Clerk, ShopUrl, Till, UrlFrom};
    use std::sync::Arc;
    let Some(shop) = Shop::open(2) else {
        return;
    };
    shop.rt.block_on(async {
        let open = |i: usize| {
            let dir = shop.tills[i].path().join("data");
            let url = ShopUrl::new(shop.url.clone(), UrlFrom::Environment);
            async move {
                Till::open_shop_on(&dir, Arc::new(MemoryStore::default()), Some(url))
                    .await
                    .unwrap()
            }
        };
        let (front, back) = (open(0).await, open(1).await);
        let owner = Clerk::command_line(None);
        let save = |till_id: &str, printer: &str| ShopSettings {
            language: "en".into(),
            shop_name: "Corner Digital Store".into(),
            till_id: till_id.into(),
            printer: printer.into(),
            ..ShopSettings::default()
        };
        front
            .save_settings(&owner, &save("front", "pdf:/tmp/front"))
            .await
            .unwrap();
        back.save_settings(&owner, &save("back", "pdf:/tmp/back"))
            .await
            .unwrap();
        front.set_drawer(&owner, true).await.unwrap();
        let read = |till: &Till, key: &'static str| {
            let db = till.db().clone();
            async move { codetill_core::settings::value(&db, key).await.unwrap() }
        };
        use codetill_core::settings::{PRINTER, SHOP_NAME, TILL_ID};
        assert_eq!(read(&front, TILL_ID).await.as_deref(), Some("front"));
        assert_eq!(read(&back, TILL_ID).await.as_deref(), Some("back"));
        assert_eq!(
            read(&front, PRINTER).await.as_deref(),
            Some("pdf:/tmp/front")
        );
        assert_eq!(read(&back, PRINTER).await.as_deref(), Some("pdf:/tmp/back"));
        assert!(front.has_drawer().await.unwrap());
        assert!(
            !back.has_drawer().await.unwrap(),
            "the drawer is the front till's"
        );
        assert_eq!(
            read(&back, SHOP_NAME).await.as_deref(),
            Some("Corner Digital Store"),
            "the shop's name is the shop's"
        );
        // A till started again in the same folder is the same till.
        let again = open(0).await;
        assert_eq!(read(&again, TILL_ID).await.as_deref(), Some("front"));
    });
}

/// A till that moves from its own file to the shop's server (Settings → Database)
/// starts there as the till it was: its name, printer and drawer go with it, under
/// its own key, and a setting the server already holds for it (it was there
/// before) is kept. The shop's other tills see none of them.
#[test]
fn a_till_moving_to_the_server_keeps_its_name_printer_and_drawer() {
    use codetill_core::db::Db;
    use codetill_core::secrets::MemoryStore;
    use codetill_core::settings::{self, PRINTER, TILL_ID};
    use codetill_core::till::settings::ShopSettings;
    use codetill_core::till::{Clerk, ShopUrl, Till, UrlFrom};
    use std::sync::Arc;
    let Some(shop) = Shop::open(1) else {
        return;
    };
    shop.rt.block_on(async {
        let dir = shop.tills[0].path().join("data");
        let secrets = Arc::new(MemoryStore::default());
        let owner = Clerk::command_line(None);
        let local = Till::open_shop_on(&dir, secrets.clone(), None)
            .await
            .unwrap();
        assert!(!local.db().is_postgres(), "the till starts on its own file");
        local
            .save_settings(
                &owner,
                &ShopSettings {
                    language: "en".into(),
                    shop_name: "Corner Digital Store".into(),
                    till_id: "front".into(),
                    printer: "pdf:/tmp/front".into(),
                    ..ShopSettings::default()
                },
            )
            .await
            .unwrap();
        local.set_drawer(&owner, true).await.unwrap();
        // The server already holds this till's printer from an earlier stay.
        let scope = codetill_core::till::database::till_key(&dir).unwrap();
        let server = Db::connect(&shop.url).await.unwrap();
        let mine = server.clone().for_till(&scope);
        settings::set(mine.pool(), &settings::key(&mine, PRINTER), "pdf:/tmp/kept")
            .await
            .unwrap();

        local
            .save_database(&owner, &shop.url, Duration::from_secs(10))
            .await
            .unwrap();
        let moved = Till::open_shop_on(
            &dir,
            secrets,
            Some(ShopUrl::new(shop.url.clone(), UrlFrom::Keyring)),
        )
        .await
        .unwrap();
        assert!(moved.db().is_postgres());
        let read = |db: &Db, key: &'static str| {
            let db = db.clone();
            async move { settings::value(&db, key).await.unwrap() }
        };
        assert_eq!(read(moved.db(), TILL_ID).await.as_deref(), Some("front"));
        assert_eq!(
            read(moved.db(), PRINTER).await.as_deref(),
            Some("pdf:/tmp/kept"),
            "what the server held for this till is kept"
        );
        assert!(moved.has_drawer().await.unwrap(), "the drawer came along");
        let other = server.clone().for_till("another-till");
        assert_eq!(read(&other, TILL_ID).await, None, "the name is this till's");
        assert!(
            !Till::shop(
                other,
                &shop.tills[0].path().join("other"),
                Arc::new(MemoryStore::default())
            )
            .has_drawer()
            .await
            .unwrap(),
            "so is the drawer"
        );
        server.close().await;
    });
}
