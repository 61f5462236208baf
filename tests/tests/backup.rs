//! Backups taken while eight tills sell at once on one database restore to
//! databases whose orders are whole and whose codes all decrypt with the shop's key.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use codetill_core::backup;
use codetill_core::db::Db;
use codetill_core::orders::{self, OrderStatus, RevealedCode};
use codetill_core::secrets::{MemoryStore, SecretStore, names};
use codetill_core::staff::audit;
use codetill_core::till::db_path;
use codetill_core::vault::Vault;
use codetill_e2e::{Shop, VAULT_KEY};

const SKU: &str = "STEAM-US-20";
const TILLS: usize = 8;
const SALES_EACH: usize = 3;

fn cash(sku: &str) -> orders::CounterSale {
    orders::CounterSale {
        sku: sku.to_string(),
        amount: None,
        tender: orders::Tender::Cash {
            tendered: rust_decimal_macros::dec!(50),
        },
        staff: "asha".into(),
        till_id: None,
        email: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backups_taken_while_eight_tills_sell_restore_with_every_code() {
    let shop = Shop::open(100).await.unwrap();
    let sku = shop.sku(SKU);
    // Each supplier call takes a while, as a real one does: the sales last long
    // enough for backups to be taken while they run.
    shop.sandbox
        .control(
            "latency",
            serde_json::json!({"fixed_ms": 40, "jitter_ms": 0}),
        )
        .await
        .unwrap();
    let selling = Arc::new(AtomicBool::new(true));
    let mut tills = Vec::new();
    for _ in 0..TILLS {
        let engine = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
        let sku = sku.clone();
        tills.push(tokio::spawn(async move {
            let mut sold = Vec::new();
            for _ in 0..SALES_EACH {
                let sale = engine.sell(&cash(&sku)).await.unwrap();
                sold.push((sale.order.public_id.clone(), sale.codes));
            }
            sold
        }));
    }
    // Backups, one after another, for as long as the tills sell.
    let out = tempfile::tempdir().unwrap();
    let mut taken = Vec::new();
    let tills_done = async {
        let mut sold = BTreeMap::new();
        for t in tills {
            for (id, codes) in t.await.unwrap() {
                sold.insert(id, codes);
            }
        }
        selling.store(false, Ordering::SeqCst);
        sold
    };
    let backups = async {
        let mut n = 0;
        while selling.load(Ordering::SeqCst) {
            let dest = out.path().join(format!("b{n}.db"));
            let made = backup::create(shop.db.path(), &dest).await.unwrap();
            taken.push((made, selling.load(Ordering::SeqCst)));
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (sold, ()) = tokio::join!(tills_done, backups);
    assert_eq!(sold.len(), TILLS * SALES_EACH);
    let during: Vec<_> = taken.iter().filter(|(_, selling)| *selling).collect();
    assert!(
        !during.is_empty(),
        "no backup was taken while the tills sold"
    );
    // And one after, which must hold every sale.
    let last = backup::create(shop.db.path(), &out.path().join("after.db"))
        .await
        .unwrap();
    assert_eq!(last.orders as usize, TILLS * SALES_EACH);

    let mut checked_orders = 0;
    for made in during.iter().map(|(m, _)| m).chain([&last]) {
        let home = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        secrets
            .set(names::VAULT_KEY, &hex::encode(VAULT_KEY))
            .unwrap();
        let restored = backup::restore(home.path(), &made.path, secrets, "owner")
            .await
            .unwrap();
        assert_eq!(restored.database.orders, made.orders);
        let db = Db::open(&db_path(home.path())).await.unwrap();
        let vault = Vault::from_key(&VAULT_KEY);
        let all = orders::list(&db, &Default::default()).await.unwrap();
        assert_eq!(all.len() as i64, made.orders);
        for order in &all {
            if order.status != OrderStatus::Delivered {
                // Caught mid-sale: paid and ordering, never half-delivered.
                assert!(
                    matches!(
                        order.status,
                        OrderStatus::Paid | OrderStatus::Ordering | OrderStatus::Quoted
                    ),
                    "{} {}",
                    order.public_id,
                    order.status
                );
                continue;
            }
            let (_, codes): (_, Vec<RevealedCode>) = orders::reveal(
                &db,
                &vault,
                &order.public_id,
                "owner",
                Some("restore check"),
            )
            .await
            .unwrap();
            assert!(!codes.is_empty(), "{}", order.public_id);
            assert_eq!(&codes, &sold[&order.public_id], "{}", order.public_id);
            checked_orders += 1;
        }
        assert!(audit::verify(&db).await.unwrap().holds());
        db.close().await;
    }
    assert!(checked_orders >= TILLS * SALES_EACH);
}
