//! The catalog sync against a real sandbox supplier over loopback HTTP.
#![allow(clippy::unwrap_used)]

use codetill_core::catalog::{self, SyncKind, SyncOptions};
use codetill_core::db::Db;
use codetill_core::progress::{NoProgress, Progress};
use codetill_e2e::{Sandbox, temp_db};
use serde_json::json;

fn opts(kind: SyncKind) -> SyncOptions {
    SyncOptions {
        kind,
        page_size: 100,
        ..SyncOptions::default()
    }
}

/// One sync of `kind` against the sandbox, which must succeed.
async fn sync(db: &Db, sandbox: &Sandbox, kind: SyncKind) -> catalog::SyncReport {
    catalog::sync(db, &sandbox.client().unwrap(), &opts(kind), &NoProgress)
        .await
        .unwrap()
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

async fn prices(db: &Db) -> Vec<(String, i64, i64)> {
    sqlx::query_as("SELECT sku, wholesale_minor, retail_minor FROM products ORDER BY sku")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn full_sync_imports_every_product_and_reports_progress() {
    let sandbox = Sandbox::start(1_000).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let sink = |p: &Progress| seen.lock().unwrap().push((p.stage, p.done, p.total));
    let report = catalog::sync(
        &db,
        &sandbox.client().unwrap(),
        &opts(SyncKind::Auto),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(report.kind, "full");
    assert_eq!(
        (report.received, report.inserted, report.skipped),
        (1000, 1000, 0)
    );
    assert_eq!(report.pages, 10);
    assert_eq!(count(&db, "SELECT count(*) FROM products").await, 1000);
    let seen = seen.into_inner().unwrap();
    assert!(
        seen.iter()
            .any(|(s, d, t)| *s == "fetching" && *d == 1000 && *t == Some(1000)),
        "{seen:?}"
    );
    // Every retail price is at least its cost.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM products WHERE retail_minor < wholesale_minor"
        )
        .await,
        0
    );
    // A second full walk changes nothing.
    let again = sync(&db, &sandbox, SyncKind::Full).await;
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 1000)
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn bad_rows_are_skipped_counted_and_reported_and_the_rest_imports() {
    let sandbox = Sandbox::start(300).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    let good = sandbox.handle().state().catalog_rows()[0].clone();
    let mut missing = good.clone();
    missing["sku"] = json!("BROKEN-1");
    missing.as_object_mut().unwrap().remove("name");
    let mut not_decimal = good.clone();
    not_decimal["sku"] = json!("BROKEN-2");
    not_decimal["wholesale_price"] = json!("12,50");
    let duplicate = good.clone();
    sandbox
        .control(
            "bad_rows",
            json!({ "rows": [missing, not_decimal, duplicate, 17] }),
        )
        .await
        .unwrap();
    let report = sync(&db, &sandbox, SyncKind::Full).await;
    assert_eq!(report.skipped, 4, "{:?}", report.skipped_rows);
    assert_eq!(report.inserted, 300);
    let reasons: Vec<String> = report
        .skipped_rows
        .iter()
        .map(|b| b.reason.clone())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("missing field name")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("wholesale_price")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("duplicate sku")),
        "{reasons:?}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM products").await, 300);
    assert_eq!(count(&db, "SELECT count(*) FROM sync_skips").await, 4);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_walk_cut_off_midway_leaves_the_previous_catalog_intact() {
    let sandbox = Sandbox::start(500).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    sync(&db, &sandbox, SyncKind::Full).await;
    let before = prices(&db).await;
    sandbox
        .control(
            "reprice",
            json!({ "fraction": 0.5, "percent": "10", "seed": 7 }),
        )
        .await
        .unwrap();
    // Page 3 onwards fails, every retry too.
    sandbox
        .control(
            "faults",
            json!({ "endpoint": "catalog", "kind": "error_500", "skip": 2, "times": 0 }),
        )
        .await
        .unwrap();
    let err = catalog::sync(
        &db,
        &sandbox.client().unwrap(),
        &opts(SyncKind::Full),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("previous catalog is unchanged"),
        "{err}"
    );
    assert_eq!(
        prices(&db).await,
        before,
        "a failed walk must not change the catalog"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM products WHERE discontinued_at IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(count(&db, "SELECT count(*) FROM price_history").await, 0);
    let status: String =
        sqlx::query_scalar("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(status, "failed");
    // Still searchable while the supplier is down.
    assert!(
        !catalog::search(db.pool(), "steam", 5)
            .await
            .unwrap()
            .is_empty()
    );
    // Once the supplier recovers, the next sync applies the changes.
    sandbox.clear_faults().await.unwrap();
    let report = sync(&db, &sandbox, SyncKind::Full).await;
    assert!(report.price_changes >= 200, "{report:?}");
    assert_ne!(prices(&db).await, before);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_single_failed_page_is_retried() {
    let sandbox = Sandbox::start(300).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    sandbox
        .control(
            "faults",
            json!({ "endpoint": "catalog", "kind": "error_503", "skip": 1, "times": 1 }),
        )
        .await
        .unwrap();
    sandbox
        .control("faults", json!({ "endpoint": "catalog", "kind": "rate_limit", "skip": 1, "times": 1, "retry_after_s": 0 }))
        .await
        .unwrap();
    let report = sync(&db, &sandbox, SyncKind::Full).await;
    assert_eq!(report.inserted, 300);
    sandbox.stop().await;
}

#[tokio::test]
async fn incremental_sync_fetches_only_changes_and_records_price_history() {
    let sandbox = Sandbox::start(2_000).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    sync(&db, &sandbox, SyncKind::Full).await;
    let changed = sandbox
        .control(
            "reprice",
            json!({ "fraction": 0.01, "percent": "5", "seed": 3 }),
        )
        .await
        .unwrap();
    let n = changed["changed"].as_u64().unwrap();
    assert!(n >= 10, "{changed}");
    let report = sync(&db, &sandbox, SyncKind::Auto).await;
    assert_eq!(report.kind, "incremental");
    assert!(
        report.received <= n + 5,
        "incremental walk received {} for {n} changes",
        report.received
    );
    assert_eq!(report.updated, n);
    assert_eq!(report.price_changes, n);
    assert_eq!(
        count(&db, "SELECT count(*) FROM price_history").await as u64,
        n
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM price_history WHERE new_wholesale_minor <= old_wholesale_minor"
        )
        .await,
        0,
        "a 5% rise is recorded as a rise"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn products_gone_from_a_full_walk_are_discontinued_but_bad_rows_are_not() {
    let sandbox = Sandbox::start(300).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    sync(&db, &sandbox, SyncKind::Full).await;
    let rows = sandbox.handle().state().catalog_rows();
    let gone = rows[5]["sku"].as_str().unwrap().to_string();
    let garbled = rows[6].clone();
    sandbox
        .control("discontinue", json!({ "skus": [gone] }))
        .await
        .unwrap();
    // The same product arrives garbled: it is skipped, not discontinued.
    let mut bad = garbled.clone();
    bad["wholesale_price"] = json!("n/a");
    sandbox
        .control("bad_rows", json!({ "rows": [bad] }))
        .await
        .unwrap();
    // ... and the good copy of it must not be in the walk, so remove it.
    sandbox
        .control("discontinue", json!({ "skus": [garbled["sku"]] }))
        .await
        .unwrap();
    let report = sync(&db, &sandbox, SyncKind::Full).await;
    assert_eq!(report.discontinued, 1, "{report:?}");
    let product = catalog::product_by_sku(db.pool(), &gone)
        .await
        .unwrap()
        .unwrap();
    assert!(product.discontinued);
    let kept = catalog::product_by_sku(db.pool(), garbled["sku"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!kept.discontinued);
    assert!(
        catalog::search(db.pool(), &gone, 10)
            .await
            .unwrap()
            .iter()
            .all(|p| p.sku != gone)
    );
    sandbox.stop().await;
}

/// A search through the till's pool and the command line's read-only one: the same
/// products in the same order, every time.
async fn both(
    db: &codetill_core::db::Db,
    text: &str,
    limit: u32,
) -> Result<Vec<codetill_core::product::Product>, codetill_core::catalog::CatalogError> {
    let pooled = catalog::search(db.pool(), text, limit).await?;
    if db.is_postgres() {
        // No file to read: the command line searches the server as the app does.
        return Ok(pooled);
    }
    let native = catalog::search_read_only(db.path(), text, limit)?
        .expect("a migrated database with no linked offers is searched read-only");
    assert_eq!(pooled, native, "{text:?}");
    Ok(pooled)
}

#[tokio::test]
async fn search_ranks_whole_words_and_skus_first_and_survives_hostile_text() {
    let sandbox = Sandbox::start(3_000).await.unwrap();
    let (_dir, db) = temp_db().await.unwrap();
    sync(&db, &sandbox, SyncKind::Full).await;
    let hits = both(&db, "steam 20", 5).await.unwrap();
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(
            h.brand == "Steam" && h.face_value.amount == 20.into(),
            "{} {}",
            h.sku,
            h.name
        );
    }
    let exact = both(&db, "steam-us-20", 5).await.unwrap();
    assert_eq!(exact[0].sku, "STEAM-US-20");
    // As the clerk types, the product stays in view.
    for typed in ["steam us 2", "steam us 20", "steam gift card 20"] {
        let hits = both(&db, typed, 20).await.unwrap();
        assert!(hits.iter().any(|p| p.sku == "STEAM-US-20"), "{typed:?}");
    }
    let prefix = both(&db, "ste", 200).await.unwrap();
    assert!(!prefix.is_empty() && prefix.len() <= 200);
    assert!(prefix.iter().all(|p| {
        p.name
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.starts_with("ste"))
            || p.sku.to_lowercase().contains("ste")
    }));
    // Words typed out in full must still find a product whose other word is a prefix.
    assert!(!both(&db, "goog pla", 5).await.unwrap().is_empty());
    let hostile = [
        "\"",
        "'",
        "*",
        "steam\"",
        "NEAR(steam 20)",
        "steam OR",
        "AND",
        "-steam",
        "^steam",
        "sku:steam",
        "' OR 1=1 --",
        "();DROP TABLE products;",
        "\u{0}",
        "%_",
        "🙂",
        "जियो",
        &"x".repeat(10_000),
    ];
    for text in hostile {
        both(&db, text, 20)
            .await
            .unwrap_or_else(|e| panic!("{text:?} failed: {e}"));
    }
    assert_eq!(count(&db, "SELECT count(*) FROM products").await, 3000);
    sandbox.stop().await;
}
