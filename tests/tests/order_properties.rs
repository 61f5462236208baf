//! Properties of the order pipeline under random faults and random crashes: a few
//! sales in a row, each meeting a supplier fault and perhaps a till that dies
//! mid-order (every other sale through the counter's one-call `sell`, the others
//! opened, paid and fulfilled step by step); then the survivors recover everything.
//! Whatever happened, no sale is bought twice, every code given is the code bought,
//! and nothing is left open.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{self, CounterSale, OrderStatus, Tender};
use codetill_e2e::{Flavor, Shop};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

#[derive(Debug, Clone)]
enum Fault {
    None,
    CreateThen500,
    CreateThenDrop,
    /// Held past the client's 600 ms timeout, then created.
    HoldThenCreate,
    Error500,
    RateLimit {
        retry_after_s: u64,
    },
    /// Pending for 1 s at the supplier, then completed.
    Pending,
    /// Pending for 1 s, then failed (nothing charged).
    PendingThenFailed,
}

impl Fault {
    /// The sandbox control that scripts this fault for the next order.
    fn control(&self) -> Option<(&'static str, Value)> {
        let create = |kind: &str| json!({ "endpoint": "orders.create", "kind": kind, "times": 1 });
        Some(match self {
            Fault::None => return None,
            Fault::CreateThen500 => ("faults", create("create_then_500")),
            Fault::CreateThenDrop => ("faults", create("create_then_drop")),
            Fault::HoldThenCreate => (
                "faults",
                json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 900, "times": 1 }),
            ),
            Fault::Error500 => ("faults", create("error_500")),
            Fault::RateLimit { retry_after_s } => (
                "faults",
                json!({ "endpoint": "orders.create", "kind": "rate_limit",
                        "retry_after_s": retry_after_s, "times": 1 }),
            ),
            Fault::Pending => ("pending", json!({ "seconds": 1, "times": 1 })),
            Fault::PendingThenFailed => (
                "pending",
                json!({ "seconds": 1, "times": 1, "then": "failed" }),
            ),
        })
    }
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::None),
        Just(Fault::CreateThen500),
        Just(Fault::CreateThenDrop),
        Just(Fault::HoldThenCreate),
        Just(Fault::Error500),
        (0u64..=1).prop_map(|retry_after_s| Fault::RateLimit { retry_after_s }),
        Just(Fault::Pending),
        Just(Fault::PendingThenFailed),
    ]
}

/// `Some(ms)`: the till dies `ms` after it starts driving the order.
fn crash() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (0u64..=700).prop_map(Some)]
}

fn cash(sku: &str) -> CounterSale {
    CounterSale {
        sku: sku.into(),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse("50", Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    }
}

/// Every order the shop holds. A till that dies after handing its commit to the
/// database's writer still has that commit land (as it would have, had the process
/// died a moment later), so the orders to check are read from the database at the
/// end, not guessed from what each dead call returned.
async fn all_orders(db: &codetill_core::db::Db) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM orders ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

async fn run_case(plan: Vec<(Fault, Option<u64>)>, flavor: Flavor) -> Result<(), TestCaseError> {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let sku = shop.sku(SKU);
    let mut stepped = Vec::new();
    let mut crashed = false;
    for (n, (fault, crash)) in plan.iter().enumerate() {
        // Each sale at a till of its own, so a dead till's lease stays behind.
        let till = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
        if n % 2 == 1 {
            // The counter's path: quote, order + payment in one commit, fulfilment —
            // one call, and the till may die anywhere inside it.
            if let Some((path, body)) = fault.control() {
                shop.sandbox.control(path, body).await.unwrap();
            }
            match crash {
                Some(ms) => {
                    if tokio::time::timeout(Duration::from_millis(*ms), till.sell(&cash(&sku)))
                        .await
                        .is_err()
                    {
                        crashed = true;
                    }
                }
                None => {
                    till.sell(&cash(&sku)).await.unwrap();
                }
            }
        } else {
            let quote = till.quote(&sku).await.unwrap();
            let id = till.open(&quote, &cash(&sku)).await.unwrap();
            till.pay(id, &cash(&sku).tender, "asha").await.unwrap();
            stepped.push(id);
            if let Some((path, body)) = fault.control() {
                shop.sandbox.control(path, body).await.unwrap();
            }
            match crash {
                Some(ms) => {
                    if tokio::time::timeout(Duration::from_millis(*ms), till.fulfil(id))
                        .await
                        .is_err()
                    {
                        crashed = true;
                    }
                }
                None => {
                    till.fulfil(id).await.unwrap();
                }
            }
        }
        // A fault the sale did not meet must not fall on the next one.
        shop.sandbox.clear_faults().await.unwrap();
        shop.sandbox
            .http
            .delete(format!("{}/_sandbox/pending", shop.sandbox.url()))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    // The survivors: wait out the dead tills' leases, then recover until done.
    if crashed {
        tokio::time::sleep(Duration::from_millis(1600)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let survivor = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
        survivor.recover().await.unwrap();
        if orders::open_order_ids(&shop.db).await.unwrap().is_empty() {
            break;
        }
        prop_assert!(
            Instant::now() < deadline,
            "orders still open after 20 s of recovery: {:?}",
            orders::list(&shop.db, &Default::default()).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // What the supplier recorded, by our key.
    let mut at_supplier: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for o in shop.supplier_orders().await.unwrap() {
        let key = o["client_order_id"].as_str().unwrap().to_string();
        at_supplier.entry(key).or_default().push(o);
    }
    let engine = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    let mut ours = BTreeSet::new();
    let ids = all_orders(&shop.db).await;
    prop_assert!(
        ids.len() <= plan.len(),
        "{} orders for {} sales",
        ids.len(),
        plan.len()
    );
    for id in &stepped {
        prop_assert!(ids.contains(id), "order {id} vanished");
    }
    for id in &ids {
        let order = orders::find(&shop.db, &id.to_string()).await.unwrap();
        ours.insert(order.client_order_id.clone());
        let supplier = at_supplier
            .get(&order.client_order_id)
            .cloned()
            .unwrap_or_default();
        prop_assert!(
            supplier.len() <= 1,
            "{} bought {} times: {supplier:?}",
            order.public_id,
            supplier.len()
        );
        let completed = supplier.iter().find(|o| o["status"] == "completed");
        let stored_codes: i64 =
            sqlx::query_scalar("SELECT count(*) FROM order_codes WHERE order_id = $1")
                .bind(id)
                .fetch_one(shop.db.pool())
                .await
                .unwrap();
        match order.status {
            OrderStatus::Delivered => {
                let bought = completed.map(|o| {
                    o["codes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["code"].as_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                });
                let given: Vec<String> = engine
                    .delivered_codes(*id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.code)
                    .collect();
                prop_assert!(
                    !given.is_empty(),
                    "{} delivered without a code",
                    order.public_id
                );
                prop_assert_eq!(
                    Some(given),
                    bought,
                    "{} gave codes that are not the codes bought",
                    order.public_id
                );
            }
            OrderStatus::RefundDue => {
                prop_assert!(
                    completed.is_none(),
                    "{} is refund due but the supplier completed its order: the shop paid for a code it never gave",
                    order.public_id
                );
                prop_assert_eq!(stored_codes, 0, "codes kept for {}", order.public_id);
            }
            other => {
                prop_assert!(
                    false,
                    "{} ended {other} (expected delivered or refund due)",
                    order.public_id
                );
            }
        }
        if order.status != OrderStatus::Delivered {
            prop_assert_eq!(stored_codes, 0, "codes for undelivered {}", order.public_id);
        }
    }
    for key in at_supplier.keys() {
        prop_assert!(
            ours.contains(key),
            "the supplier holds an order {key} that is not ours"
        );
    }
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_codes c JOIN orders o ON o.id = c.order_id WHERE o.status != 'delivered'",
    )
    .fetch_one(shop.db.pool())
    .await
    .unwrap();
    prop_assert_eq!(orphans, 0, "codes stored for orders that are not delivered");
    shop.sandbox.stop().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10,
        // Each case takes seconds; a failure shrinks a little, not for minutes.
        max_shrink_iters: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn faults_and_crashes_never_buy_twice_nor_lose_a_code(
        plan in prop::collection::vec((fault(), crash()), 3..=6)
    ) {
        run(plan, Flavor::Wholesale)?;
    }

    #[test]
    fn faults_and_crashes_never_buy_twice_nor_lose_a_code_reloadly(
        plan in prop::collection::vec((fault(), crash()), 3..=6)
    ) {
        run(plan, Flavor::Reloadly)?;
    }

    #[test]
    fn faults_and_crashes_never_buy_twice_nor_lose_a_code_bamboo(
        plan in prop::collection::vec((fault(), crash()), 3..=6)
    ) {
        run(plan, Flavor::Bamboo)?;
    }

    #[test]
    fn faults_and_crashes_never_buy_twice_nor_lose_a_code_ding(
        plan in prop::collection::vec((fault(), crash()), 3..=6)
    ) {
        run(plan, Flavor::Ding)?;
    }
}

fn run(plan: Vec<(Fault, Option<u64>)>, flavor: Flavor) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let result = rt.block_on(run_case(plan.clone(), flavor));
    eprintln!(
        "{flavor:?}: case of {} sales took {:?}: {plan:?}",
        plan.len(),
        started.elapsed()
    );
    result
}
