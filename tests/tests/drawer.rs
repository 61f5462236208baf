//! The cash drawer: a thermal printer on loopback (a TCP listener keeping what it is
//! sent) gets the ESC/POS drawer pulse on a cash sale and from the counter's key,
//! never on a card sale nor when the owner says there is no drawer; every opening is
//! in the audit log.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use codetill_core::db::Db;
use codetill_core::delivery::escpos::DRAWER_PULSE;
use codetill_core::secrets::MemoryStore;
use codetill_core::settings;
use codetill_core::till::drawer::{DRAWER_ENABLED, Opening};
use codetill_core::till::{Clerk, Handover, Print, Source, Till, db_path};
use codetill_core::vault::Vault;
use codetill_e2e::{Sandbox, VAULT_KEY};
use rust_decimal_macros::dec;
use tokio::io::AsyncReadExt;

const SKU: &str = "STEAM-US-20";

/// A printer on 127.0.0.1: each connection's bytes, in order.
async fn printer() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    let jobs = Arc::new(Mutex::new(Vec::new()));
    let kept = jobs.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut bytes = Vec::new();
                let _ = conn.read_to_end(&mut bytes).await;
                kept.lock().unwrap().push(bytes);
            });
        }
    });
    (url, jobs)
}

/// Jobs that are the drawer pulse (after the paper-status query every job starts
/// with); any other job counts against it.
fn pulses(jobs: &Mutex<Vec<Vec<u8>>>) -> usize {
    let jobs = jobs.lock().unwrap();
    let pulses = jobs.iter().filter(|j| j.ends_with(&DRAWER_PULSE)).count();
    assert_eq!(pulses, jobs.len(), "nothing but pulses: {jobs:?}");
    pulses
}

async fn openings(db: &Db) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT actor, coalesce(detail, '') FROM audit_log WHERE action = 'drawer_opened' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_drawer_opens_on_cash_sales_and_the_key_and_each_opening_is_audited() {
    let sandbox = Sandbox::start(50).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&db_path(dir.path())).await.unwrap();
    let supplier = sandbox.supplier().unwrap();
    codetill_core::catalog::sync(
        &db,
        supplier.as_ref(),
        &codetill_core::catalog::SyncOptions::default(),
        &codetill_core::progress::NoProgress,
    )
    .await
    .unwrap();
    let (url, jobs) = printer().await;
    settings::set(db.pool(), settings::PRINTER, &url)
        .await
        .unwrap();
    let source = Source::Fixed {
        supplier,
        vault: Arc::new(Vault::from_key(&VAULT_KEY)),
        receipts: None,
    };
    let till = Till::new(
        db.clone(),
        dir.path(),
        source,
        Arc::new(MemoryStore::default()),
    );
    let clerk = Clerk::command_line(Some("asha"));
    let quiet = Handover {
        print: Print::No,
        ..Handover::default()
    };
    let sku = sandbox.sku(SKU);

    // No drawer set up: nothing is sent, nothing recorded.
    till.sell_cash(sku.as_str(), dec!(50), &quiet, &clerk)
        .await
        .unwrap();
    assert!(!till.open_drawer(&clerk, Opening::NoSale).await.unwrap());
    assert_eq!(pulses(&jobs), 0);
    assert!(openings(&db).await.is_empty());

    settings::set(db.pool(), DRAWER_ENABLED, "1").await.unwrap();
    let sale = till
        .sell_cash(sku.as_str(), dec!(50), &quiet, &clerk)
        .await
        .unwrap();
    till.sell_card(sku.as_str(), "T-9", &quiet, &clerk)
        .await
        .unwrap();
    assert!(till.open_drawer(&clerk, Opening::NoSale).await.unwrap());
    // The listener reads each job to its end: give the last one a moment.
    for _ in 0..50 {
        if pulses(&jobs) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        pulses(&jobs),
        2,
        "a cash sale and the key; not the card sale"
    );
    assert_eq!(
        openings(&db).await,
        [
            (
                "asha".to_string(),
                format!("cash sale {}", sale.order.public_id)
            ),
            ("asha".to_string(), "no sale".to_string()),
        ]
    );
}
