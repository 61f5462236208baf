//! Several suppliers at once: the same card from two suppliers is one product with
//! two offers; a sale goes to the cheapest offer a healthy supplier has; after
//! payment a final refusal fails over to the next supplier under a new key, while
//! an outcome in doubt is settled where it was sent; a supplier that does not answer
//! leaves routing; with every supplier down the sale is refused before payment.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use codetill_core::catalog::{self, SyncOptions};
use codetill_core::db::Db;
use codetill_core::money::{Currency, Money};
use codetill_core::orders::{
    CounterSale, Engine, OrderError, OrderStatus, Outcome, Refusal, Tender,
};
use codetill_core::progress::NoProgress;
use codetill_core::supplier::Suppliers;
use codetill_e2e::{Flavor, Sandbox, VAULT_KEY};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

struct TwoSuppliers {
    a: Sandbox,
    b: Sandbox,
    _dir: tempfile::TempDir,
    db: Db,
    engine: Engine,
}

/// Accounts "a" and "b", each a sandbox over the same catalog, synced into one shop.
async fn two_suppliers(b_flavor: Flavor) -> TwoSuppliers {
    let a = Sandbox::start(60).await.unwrap();
    let b = Sandbox::start_flavor(60, b_flavor).await.unwrap();
    let (dir, db) = codetill_e2e::temp_db().await.unwrap();
    let secrets = Arc::new(codetill_core::secrets::MemoryStore::default());
    for (name, sandbox) in [("a", &a), ("b", &b)] {
        let new = codetill_core::supplier::accounts::NewAccount {
            name: name.into(),
            kind: sandbox.flavor().as_str().into(),
            url: sandbox.url(),
            ..Default::default()
        };
        codetill_core::supplier::accounts::add(&db, secrets.clone(), &new, None)
            .await
            .unwrap();
    }
    sync(&db, &a, "a").await;
    sync(&db, &b, "b").await;
    let engine = engine(&db, &a, &b);
    TwoSuppliers {
        a,
        b,
        _dir: dir,
        db,
        engine,
    }
}

async fn sync(db: &Db, sandbox: &Sandbox, name: &str) -> catalog::SyncReport {
    let options = SyncOptions {
        account: Some(name.to_string()),
        ..SyncOptions::default()
    };
    catalog::sync(
        db,
        sandbox.supplier().unwrap().as_ref(),
        &options,
        &NoProgress,
    )
    .await
    .unwrap()
}

fn engine(db: &Db, a: &Sandbox, b: &Sandbox) -> Engine {
    let mut suppliers = Suppliers::default();
    let timeout = Duration::from_millis(600);
    suppliers.add(Some("a".into()), a.supplier_with(timeout).unwrap(), true);
    suppliers.add(Some("b".into()), b.supplier_with(timeout).unwrap(), true);
    let vault = Arc::new(codetill_core::vault::Vault::from_key(&VAULT_KEY));
    let mut engine = Engine::routed(db.clone(), Arc::new(suppliers), vault);
    engine.options.lease = Duration::from_millis(1500);
    engine.options.budget = Duration::from_secs(10);
    engine.options.backoff_start = Duration::from_millis(50);
    engine.options.backoff_max = Duration::from_millis(300);
    engine
}

fn cash(sku: &str) -> CounterSale {
    CounterSale {
        sku: sku.to_string(),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse("100", Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    }
}

async fn orders_at(sandbox: &Sandbox) -> Vec<Value> {
    sandbox
        .http
        .get(format!("{}/_sandbox/orders", sandbox.url()))
        .send()
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap()
}

async fn balance_at(sandbox: &Sandbox) -> rust_decimal::Decimal {
    sandbox
        .supplier()
        .unwrap()
        .balance()
        .await
        .unwrap()
        .available
        .amount
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

#[tokio::test]
async fn the_same_card_from_two_suppliers_is_one_product_with_two_offers() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    // Each supplier's rows are its own; b's skus, taken by a, are kept as b:SKU and
    // linked to a's card.
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM products WHERE supplier = 'a'"
        )
        .await,
        60
    );
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM products WHERE supplier = 'b'"
        )
        .await,
        60
    );
    let b_row: (String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT sku, supplier_sku, offer_group FROM products WHERE supplier = 'b' AND supplier_sku = $1",
    )
    .bind(SKU)
    .fetch_one(shop.db.pool())
    .await
    .unwrap();
    assert_eq!(
        b_row,
        (format!("b:{SKU}"), Some(SKU.into()), Some(SKU.into()))
    );
    // One row per card at the counter; the command line's read-only search leaves
    // linked offers to the full path.
    assert!(
        catalog::search_read_only(shop.db.path(), "steam", 50)
            .unwrap()
            .is_none()
    );
    let hits = catalog::search(shop.db.pool(), "steam", 50).await.unwrap();
    let mut skus: Vec<&str> = hits.iter().map(|p| p.sku.as_str()).collect();
    skus.sort();
    let before = skus.len();
    skus.dedup();
    assert_eq!(before, skus.len(), "no card twice: {skus:?}");
    assert!(skus.iter().all(|s| !s.starts_with("b:")), "{skus:?}");
    // A second sync of b changes nothing and discontinues none of a's rows.
    let again = sync(&shop.db, &shop.b, "b").await;
    assert_eq!((again.inserted, again.discontinued), (0, 0));
    assert_eq!(
        count(
            &shop.db,
            "SELECT count(*) FROM products WHERE discontinued_at IS NOT NULL"
        )
        .await,
        0
    );

    // The owner unlinks b's offer: two products; links it back: one.
    catalog::unlink(&shop.db, &format!("b:{SKU}"))
        .await
        .unwrap();
    let hits = catalog::search(shop.db.pool(), SKU, 10).await.unwrap();
    assert!(hits.iter().any(|p| p.sku == format!("b:{SKU}")), "{hits:?}");
    // A sync leaves the owner's choice alone.
    sync(&shop.db, &shop.b, "b").await;
    let group: Option<String> =
        sqlx::query_scalar("SELECT offer_group FROM products WHERE sku = $1")
            .bind(format!("b:{SKU}"))
            .fetch_one(shop.db.pool())
            .await
            .unwrap();
    assert_eq!(group, None);
    catalog::link(&shop.db, &format!("b:{SKU}"), SKU)
        .await
        .unwrap();
    let hits = catalog::search(shop.db.pool(), SKU, 10).await.unwrap();
    assert!(
        !hits.iter().any(|p| p.sku == format!("b:{SKU}")),
        "{hits:?}"
    );
    // Linking two offers of one supplier is refused, and changes nothing.
    let other_a: String = sqlx::query_scalar(
        "SELECT sku FROM products WHERE supplier = 'a' AND sku != $1 ORDER BY id LIMIT 1",
    )
    .bind(SKU)
    .fetch_one(shop.db.pool())
    .await
    .unwrap();
    let err = catalog::link(&shop.db, &other_a, SKU).await.unwrap_err();
    assert!(
        err.to_string().contains("already has an offer from a"),
        "{err}"
    );
}

#[tokio::test]
async fn a_sale_goes_to_the_cheapest_offer() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    shop.b
        .control("price", json!({"sku": SKU, "wholesale_price": "15.00"}))
        .await
        .unwrap();
    sync(&shop.db, &shop.b, "b").await;
    let hit = &catalog::search(shop.db.pool(), SKU, 1).await.unwrap()[0];
    assert_eq!(
        (hit.sku.as_str(), hit.supplier.as_deref()),
        (SKU, Some("b"))
    );
    let sale = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(sale.outcome, Outcome::Delivered);
    assert_eq!(sale.order.supplier.as_deref(), Some("b"));
    assert_eq!(orders_at(&shop.a).await.len(), 0);
    let at_b = orders_at(&shop.b).await;
    assert_eq!(at_b.len(), 1);
    assert_eq!(
        sale.codes[0].code,
        at_b[0]["codes"][0]["code"].as_str().unwrap()
    );
}

#[tokio::test]
async fn out_of_stock_at_a_after_payment_fails_over_to_b() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    let a_before = balance_at(&shop.a).await;
    // a takes the order, then fails it (out of stock) and refunds it.
    shop.a
        .control("pending", json!({"seconds": 0.2, "then": "failed"}))
        .await
        .unwrap();
    let sale = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(sale.outcome, Outcome::Delivered, "{:?}", sale.order);
    assert_eq!(sale.order.supplier.as_deref(), Some("b"));
    assert_eq!(sale.order.attempt, 2);
    let key = sale.order.attempt_key.clone().unwrap();
    assert_eq!(key, format!("{}-2", sale.order.client_order_id));

    // One order at a, failed, charged nothing; one at b under the new key, whose
    // code is the one delivered.
    let at_a = orders_at(&shop.a).await;
    assert_eq!(at_a.len(), 1);
    assert_eq!(
        at_a[0]["client_order_id"],
        sale.order.client_order_id.as_str()
    );
    assert_eq!(at_a[0]["status"], "failed");
    assert_eq!(
        balance_at(&shop.a).await,
        a_before,
        "a charged nothing in the end"
    );
    let at_b = orders_at(&shop.b).await;
    assert_eq!(at_b.len(), 1);
    assert_eq!(at_b[0]["client_order_id"], key.as_str());
    assert_eq!(
        sale.codes[0].code,
        at_b[0]["codes"][0]["code"].as_str().unwrap()
    );

    // The first attempt is kept, with why it ended.
    let attempt: (i64, String, String, String) = sqlx::query_as(
        "SELECT seq, supplier, client_order_id, failure_code FROM order_attempts WHERE order_id = $1",
    )
    .bind(sale.order.id)
    .fetch_one(shop.db.pool())
    .await
    .unwrap();
    assert_eq!(
        attempt,
        (
            1,
            "a".into(),
            sale.order.client_order_id.clone(),
            "out_of_stock".into()
        )
    );
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(from_status, '') || '>' || to_status FROM order_events WHERE order_id = $1 ORDER BY id",
    )
    .bind(sale.order.id)
    .fetch_all(shop.db.pool())
    .await
    .unwrap();
    assert!(events.contains(&"ordering>paid".to_string()), "{events:?}");
}

/// Reconciliation knows a failed-over order at both accounts: at b under its new
/// key (delivered, charged once), at a under the refused attempt's key (nothing
/// charged). Both histories agree with the orders.
#[tokio::test]
async fn reconciliation_follows_an_order_that_failed_over() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    shop.a
        .control("pending", json!({"seconds": 0.2, "then": "failed"}))
        .await
        .unwrap();
    let sale = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(sale.order.supplier.as_deref(), Some("b"));
    let now = chrono::Utc::now();
    let window = codetill_core::supplier::Window {
        from: now - chrono::Duration::hours(1),
        to: now + chrono::Duration::seconds(1),
    };
    for (name, sandbox) in [("a", &shop.a), ("b", &shop.b)] {
        let supplier = sandbox.supplier().unwrap();
        let report = codetill_core::reconcile::run(&shop.db, supplier.as_ref(), name, window)
            .await
            .unwrap();
        assert!(
            report.clean,
            "{name}: {:?} {:?}",
            report.findings, report.notes
        );
    }
}

#[tokio::test]
async fn a_supplier_that_does_not_answer_leaves_routing_and_b_sells() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    shop.a
        .control(
            "faults",
            json!({"endpoint": "any", "kind": "drop", "times": 0}),
        )
        .await
        .unwrap();
    let sale = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(sale.outcome, Outcome::Delivered);
    assert_eq!(sale.order.supplier.as_deref(), Some("b"));
    assert!(!shop.engine.suppliers().is_up(Some("a")));
    assert_eq!(orders_at(&shop.a).await.len(), 0);
    // Out of routing, a is not asked again while b sells.
    let asked = shop.a.counters().await.unwrap()["stock_requests"]
        .as_u64()
        .unwrap();
    let again = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(again.order.supplier.as_deref(), Some("b"));
    assert_eq!(
        shop.a.counters().await.unwrap()["stock_requests"]
            .as_u64()
            .unwrap(),
        asked
    );
    // Back when it answers: a health check puts it in routing again.
    shop.a.clear_faults().await.unwrap();
    assert!(shop.engine.suppliers().mark_up(Some("a")));
    let third = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(third.order.supplier.as_deref(), Some("a"));
}

#[tokio::test]
async fn with_every_supplier_down_the_sale_is_refused_before_payment() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    for s in [&shop.a, &shop.b] {
        s.control(
            "faults",
            json!({"endpoint": "any", "kind": "drop", "times": 0}),
        )
        .await
        .unwrap();
    }
    let err = shop.engine.sell(&cash(SKU)).await.unwrap_err();
    assert!(
        matches!(
            err,
            OrderError::Refused(Refusal::SupplierUnavailable { .. })
        ),
        "{err:?}"
    );
    assert_eq!(count(&shop.db, "SELECT count(*) FROM orders").await, 0);
    assert_eq!(count(&shop.db, "SELECT count(*) FROM payments").await, 0);
    for s in [&shop.a, &shop.b] {
        s.clear_faults().await.unwrap();
        assert_eq!(orders_at(s).await.len(), 0);
    }
}

#[tokio::test]
async fn an_answer_lost_at_a_is_settled_at_a_before_anyone_else_is_asked() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    shop.a
        .control(
            "faults",
            json!({"endpoint": "orders.create", "kind": "create_then_500"}),
        )
        .await
        .unwrap();
    let sale = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert_eq!(sale.outcome, Outcome::Delivered);
    assert_eq!(sale.order.supplier.as_deref(), Some("a"));
    assert_eq!(sale.order.attempt, 1);
    assert_eq!(orders_at(&shop.a).await.len(), 1);
    assert_eq!(orders_at(&shop.b).await.len(), 0, "b never asked");
}

#[tokio::test]
async fn no_failover_to_an_offer_that_costs_more_than_was_paid() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    // b's live price is now far above what a's sale will charge.
    shop.b
        .control("price", json!({"sku": SKU, "wholesale_price": "95.00"}))
        .await
        .unwrap();
    shop.a
        .control("pending", json!({"seconds": 0.2, "then": "failed"}))
        .await
        .unwrap();
    let sale = shop.engine.sell(&cash(SKU)).await.unwrap();
    assert!(
        matches!(sale.outcome, Outcome::RefundDue { .. }),
        "{:?}",
        sale.outcome
    );
    assert_eq!(sale.order.status, OrderStatus::RefundDue);
    assert_eq!(sale.order.supplier.as_deref(), Some("a"));
    assert_eq!(orders_at(&shop.b).await.len(), 0);
}

#[tokio::test]
async fn a_crash_after_failing_over_is_finished_at_the_new_supplier() {
    let shop = two_suppliers(Flavor::Wholesale).await;
    // b holds its answer past the timeout, then creates the order.
    shop.a
        .control("pending", json!({"seconds": 0.1, "then": "failed"}))
        .await
        .unwrap();
    shop.b
        .control(
            "faults",
            json!({"endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 1500}),
        )
        .await
        .unwrap();
    let mut engine = engine(&shop.db, &shop.a, &shop.b);
    engine.options.budget = Duration::from_millis(900);
    let sale = engine.sell(&cash(SKU)).await.unwrap();
    assert!(
        matches!(sale.outcome, Outcome::Open { .. }),
        "{:?}",
        sale.outcome
    );
    assert_eq!(sale.order.supplier.as_deref(), Some("b"));
    // Another process finishes it: looked up at b under the attempt's key, not sent
    // again, not sent to a.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(report.delivered, vec![sale.order.public_id.clone()]);
    assert_eq!(orders_at(&shop.a).await.len(), 1);
    assert_eq!(orders_at(&shop.b).await.len(), 1);
}
