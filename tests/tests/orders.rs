//! The order engine against the sandbox supplier and its faults: every way a sale
//! can go wrong ends with one supplier order at most, and a code only where it
//! belongs.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{
    self, CounterSale, Engine, OrderError, OrderStatus, Outcome, Refusal, Tender,
};
use codetill_e2e::{Flavor, Shop, flavored};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

flavored!(
    plain_cash_sale_delivers_the_code_and_gives_change,
    ambiguous_answers_are_resolved_by_lookup_without_a_second_order,
    an_order_held_past_the_timeout_then_created_is_bought_once,
    a_pending_order_is_polled_until_completed,
    rate_limits_are_waited_out_as_the_supplier_asks,
    a_500_that_created_nothing_is_looked_up_then_sent_again,
    refusals_after_payment_end_in_refund_due_then_refunded,
    guards_refuse_before_payment_and_create_nothing,
    a_long_pending_order_is_left_open_and_finished_by_recovery,
    a_driver_that_stops_mid_order_is_taken_over_after_its_lease,
    two_tills_recovering_at_once_never_fight_over_an_order,
    codes_are_revealed_only_with_an_audit_row
);

fn cash(sku: &str, amount: &str) -> CounterSale {
    CounterSale {
        sku: sku.to_string(),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse(amount, Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    }
}

async fn fault(shop: &Shop, body: Value) {
    shop.sandbox.control("faults", body).await.unwrap();
}

/// The supplier's orders for one of our orders.
async fn supplier_orders_for(shop: &Shop, client_order_id: &str) -> Vec<Value> {
    shop.supplier_orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o["client_order_id"] == client_order_id)
        .collect()
}

/// Quotes and takes 50.00 in cash for one STEAM-US-20, without fulfilling it.
async fn paid_order(shop: &Shop) -> i64 {
    let quote = shop.engine.quote(&shop.sku(SKU)).await.unwrap();
    let id = shop
        .engine
        .open(&quote, &cash(&shop.sku(SKU), "50"))
        .await
        .unwrap();
    let tender = Tender::Cash {
        tendered: Money::parse("50", Currency::USD).unwrap().amount,
    };
    shop.engine.pay(id, &tender, "asha").await.unwrap();
    id
}

async fn assert_delivered_once(shop: &Shop, sale: &orders::Sale) {
    assert_eq!(sale.outcome, Outcome::Delivered, "{:?}", sale.order);
    assert_eq!(sale.order.status, OrderStatus::Delivered);
    let at_supplier = supplier_orders_for(shop, &sale.order.client_order_id).await;
    assert_eq!(at_supplier.len(), 1, "one supplier order: {at_supplier:?}");
    let code = at_supplier[0]["codes"][0]["code"].as_str().unwrap();
    assert_eq!(sale.codes.len(), 1);
    assert_eq!(
        sale.codes[0].code, code,
        "the code delivered is the code bought"
    );
}

async fn plain_cash_sale_delivers_the_code_and_gives_change(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let sale = shop
        .engine
        .sell(&cash(&shop.sku(SKU), "100.00"))
        .await
        .unwrap();
    assert_delivered_once(&shop, &sale).await;
    let payment = sale.order.payment.clone().unwrap();
    assert_eq!(payment.method, "cash");
    assert_eq!(payment.staff, "asha");
    assert_eq!(
        payment.change.unwrap().amount,
        Money::parse("100.00", Currency::USD).unwrap().amount - sale.order.price.amount
    );
    assert!(sale.order.public_id.starts_with("ORD-"));
    assert!(sale.order.client_order_id.starts_with("ct-"));
    // The code is stored encrypted: not in the database file in clear.
    let raw: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_ct FROM order_codes")
        .fetch_all(shop.db.pool())
        .await
        .unwrap();
    let code = sale.codes[0].code.as_bytes();
    assert!(
        raw.iter()
            .all(|ct| !ct.windows(code.len()).any(|w| w == code))
    );
    // Card sales record the terminal's reference.
    let card = CounterSale {
        tender: Tender::Card {
            terminal_ref: "T-4711".into(),
        },
        ..cash(&shop.sku(SKU), "0")
    };
    let sale = shop.engine.sell(&card).await.unwrap();
    assert_delivered_once(&shop, &sale).await;
    assert_eq!(
        sale.order.payment.unwrap().reference.as_deref(),
        Some("T-4711")
    );
}

async fn ambiguous_answers_are_resolved_by_lookup_without_a_second_order(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    for kind in ["create_then_500", "create_then_drop"] {
        fault(
            &shop,
            json!({ "endpoint": "orders.create", "kind": kind, "times": 1 }),
        )
        .await;
        let sale = shop.engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
        assert_delivered_once(&shop, &sale).await;
        assert!(sale.order.attempts >= 1);
    }
}

async fn an_order_held_past_the_timeout_then_created_is_bought_once(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    // The client gives up after 600 ms; the supplier creates the order at 1.5 s.
    fault(&shop, json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 1500, "times": 1 })).await;
    let sale = shop.engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
    assert_delivered_once(&shop, &sale).await;
    let counters = shop.sandbox.counters().await.unwrap();
    assert_eq!(counters["orders_created"], 1, "{counters}");
}

async fn a_pending_order_is_polled_until_completed(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    shop.sandbox
        .control("pending", json!({ "seconds": 2, "times": 1 }))
        .await
        .unwrap();
    let started = Instant::now();
    let sale = shop.engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_delivered_once(&shop, &sale).await;
    assert!(
        shop.sandbox.counters().await.unwrap()["order_gets"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

async fn rate_limits_are_waited_out_as_the_supplier_asks(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    fault(&shop, json!({ "endpoint": "orders.create", "kind": "rate_limit", "retry_after_s": 1, "times": 1 })).await;
    let started = Instant::now();
    let sale = shop.engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_delivered_once(&shop, &sale).await;
    assert_eq!(shop.sandbox.counters().await.unwrap()["order_posts"], 2);
}

async fn a_500_that_created_nothing_is_looked_up_then_sent_again(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    fault(
        &shop,
        json!({ "endpoint": "orders.create", "kind": "error_500", "times": 1 }),
    )
    .await;
    let sale = shop.engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
    assert_delivered_once(&shop, &sale).await;
    let c = shop.sandbox.counters().await.unwrap();
    assert_eq!(
        (c["order_posts"].as_u64(), c["orders_created"].as_u64()),
        (Some(2), Some(1)),
        "{c}"
    );
    assert!(
        c["order_gets"].as_u64().unwrap() >= 1,
        "looked up before sending again: {c}"
    );
}

/// Quote and pay, then let `change` happen at the supplier before fulfilment.
async fn refused_after_payment(shop: &Shop, change: (&str, Value), code: &str) {
    let id = paid_order(shop).await;
    shop.sandbox.control(change.0, change.1).await.unwrap();
    let outcome = shop.engine.fulfil(id).await.unwrap();
    match &outcome {
        Outcome::RefundDue { code: c, .. } => assert_eq!(c, code),
        other => panic!("expected refund due, got {other:?}"),
    }
    let order = orders::find(&shop.db, &id.to_string()).await.unwrap();
    assert_eq!(order.status, OrderStatus::RefundDue);
    assert_eq!(order.failure.as_ref().unwrap().code, code);
    assert!(
        supplier_orders_for(shop, &order.client_order_id)
            .await
            .is_empty(),
        "nothing bought"
    );
    assert!(
        shop.engine.delivered_codes(id).await.unwrap().is_empty(),
        "no code without an order"
    );
    let refunded = orders::record_refund(&shop.db, &order.public_id, "cash", None, "asha", None)
        .await
        .unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert!(
        orders::record_refund(&shop.db, &order.public_id, "cash", None, "asha", None)
            .await
            .is_err()
    );
}

async fn refusals_after_payment_end_in_refund_due_then_refunded(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    refused_after_payment(
        &shop,
        ("price", json!({ "sku": SKU, "wholesale_price": "25.00" })),
        "price_changed",
    )
    .await;
    shop.sandbox
        .control("price", json!({ "sku": SKU, "wholesale_price": "18.40" }))
        .await
        .unwrap();
    refused_after_payment(
        &shop,
        (
            "stock",
            json!({ "sku": SKU, "available": false, "quantity": 0 }),
        ),
        "out_of_stock",
    )
    .await;
    shop.sandbox
        .control(
            "stock",
            json!({ "sku": SKU, "available": true, "quantity": null }),
        )
        .await
        .unwrap();
    refused_after_payment(
        &shop,
        ("balance", json!({ "set": "0.00" })),
        "insufficient_balance",
    )
    .await;
}

async fn guards_refuse_before_payment_and_create_nothing(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let orders_now = |db: &codetill_core::db::Db| {
        let db = db.clone();
        async move { orders::list(&db, &Default::default()).await.unwrap().len() }
    };
    assert!(matches!(
        shop.engine.sell(&cash("NOPE-1", "50")).await,
        Err(OrderError::UnknownSku(_))
    ));
    assert!(matches!(
        shop.engine.sell(&cash(&shop.sku(SKU), "1.00")).await,
        Err(OrderError::ShortTender { .. })
    ));
    shop.sandbox
        .control(
            "stock",
            json!({ "sku": SKU, "available": false, "quantity": 0 }),
        )
        .await
        .unwrap();
    assert!(matches!(
        shop.engine.sell(&cash(&shop.sku(SKU), "50")).await,
        Err(OrderError::Refused(Refusal::OutOfStock { .. }))
    ));
    shop.sandbox
        .control(
            "stock",
            json!({ "sku": SKU, "available": true, "quantity": null }),
        )
        .await
        .unwrap();
    shop.sandbox
        .control("balance", json!({ "set": "5.00" }))
        .await
        .unwrap();
    orders::forget_balance(&shop.db).await.unwrap();
    assert!(matches!(
        shop.engine.sell(&cash(&shop.sku(SKU), "50")).await,
        Err(OrderError::Refused(Refusal::BalanceTooLow { .. }))
    ));
    shop.sandbox
        .control("balance", json!({ "set": "1000.00" }))
        .await
        .unwrap();
    let floor = codetill_core::pricing::PriceRule::parse(
        "3",
        "2",
        "8",
        Some(".99"),
        Some(("50.00", "USD")),
    )
    .unwrap();
    codetill_core::catalog::save_rule(&shop.db, None, &floor)
        .await
        .unwrap();
    assert!(matches!(
        shop.engine.sell(&cash(&shop.sku(SKU), "50")).await,
        Err(OrderError::Refused(Refusal::BelowFloor { .. }))
    ));
    assert_eq!(
        orders_now(&shop.db).await,
        0,
        "a refused sale leaves no order"
    );
    assert_eq!(
        shop.sandbox.counters().await.unwrap()["order_posts"],
        0,
        "the supplier was never asked to sell"
    );
}

async fn a_long_pending_order_is_left_open_and_finished_by_recovery(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    shop.sandbox
        .control("pending", json!({ "seconds": 3, "times": 1 }))
        .await
        .unwrap();
    let mut engine = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    engine.options.budget = Duration::from_millis(800);
    let sale = engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
    assert!(
        matches!(sale.outcome, Outcome::Open { .. }),
        "{:?}",
        sale.outcome
    );
    assert_eq!(sale.order.status, OrderStatus::Ordering);
    assert!(sale.codes.is_empty());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(
        report.delivered,
        vec![sale.order.public_id.clone()],
        "{report:?}"
    );
    let order = orders::find(&shop.db, &sale.order.public_id).await.unwrap();
    assert_eq!(order.status, OrderStatus::Delivered);
    assert_eq!(
        supplier_orders_for(&shop, &order.client_order_id)
            .await
            .len(),
        1
    );
}

async fn a_driver_that_stops_mid_order_is_taken_over_after_its_lease(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    fault(&shop, json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 1000, "times": 1 })).await;
    let id = paid_order(&shop).await;
    // The till dies while the supplier holds its request.
    let crashed = tokio::time::timeout(Duration::from_millis(200), shop.engine.fulfil(id)).await;
    assert!(crashed.is_err());
    let other: Engine = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    // Its lease is still live: another till keeps its hands off.
    assert_eq!(other.fulfil(id).await.unwrap(), Outcome::Busy);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let report = other.recover().await.unwrap();
    assert_eq!(report.delivered.len(), 1, "{report:?}");
    let order = orders::find(&shop.db, &id.to_string()).await.unwrap();
    let at_supplier = supplier_orders_for(&shop, &order.client_order_id).await;
    assert_eq!(at_supplier.len(), 1);
    let codes = other.delivered_codes(id).await.unwrap();
    assert_eq!(
        codes[0].code,
        at_supplier[0]["codes"][0]["code"].as_str().unwrap()
    );
}

async fn two_tills_recovering_at_once_never_fight_over_an_order(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..6 {
        let id = paid_order(&shop).await;
        ids.push(id);
    }
    // The till that took the payments holds them for its lease; it stops here, and
    // two other tills start once the leases have run out.
    let other = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    assert_eq!(
        other.recover().await.unwrap().busy.len(),
        6,
        "paid orders belong to the till that took the payment"
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let a = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    let b = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    let (ra, rb) = tokio::join!(a.recover(), b.recover());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let mut delivered: Vec<String> = ra
        .delivered
        .iter()
        .chain(rb.delivered.iter())
        .cloned()
        .collect();
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 6, "{ra:?} {rb:?}");
    assert_eq!(
        ra.delivered.len() + rb.delivered.len(),
        6,
        "an order was driven twice"
    );
    assert_eq!(shop.sandbox.counters().await.unwrap()["orders_created"], 6);
}

async fn codes_are_revealed_only_with_an_audit_row(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let sale = shop.engine.sell(&cash(&shop.sku(SKU), "50")).await.unwrap();
    let listed = orders::list(&shop.db, &Default::default()).await.unwrap();
    assert!(
        !serde_json::to_string(&listed)
            .unwrap()
            .contains(&sale.codes[0].code),
        "listings never show codes"
    );
    let (_, codes) = orders::reveal(
        &shop.db,
        shop.engine.vault(),
        &sale.order.public_id,
        "owner",
        Some("buyer lost it"),
    )
    .await
    .unwrap();
    assert_eq!(codes, sale.codes);
    let audit: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT actor, action, detail FROM audit_log WHERE order_id = $1")
            .bind(sale.order.id)
            .fetch_all(shop.db.pool())
            .await
            .unwrap();
    assert_eq!(
        audit,
        vec![(
            "owner".into(),
            "reveal".into(),
            Some("buyer lost it".into())
        )]
    );
    assert!(
        !format!("{codes:?}").contains(&codes[0].code),
        "Debug never prints a code"
    );
}

#[tokio::test]
async fn an_order_recovery_cannot_drive_does_not_hold_up_the_ones_after_it() {
    let shop = Shop::open(50).await.unwrap();
    let broken = paid_order(&shop).await;
    let after = paid_order(&shop).await;
    // A row that no longer reads (a currency code that is none).
    sqlx::query("UPDATE orders SET wholesale_currency = 'X' WHERE id = $1")
        .bind(broken)
        .execute(shop.db.pool())
        .await
        .unwrap();
    let report = shop.engine.recover().await.unwrap();
    assert_eq!(
        report.delivered,
        vec![public_id(&shop, after).await],
        "{report:?}"
    );
    assert_eq!(
        report.open,
        vec![public_id(&shop, broken).await],
        "{report:?}"
    );
}

/// The order's number, read alone (the rest of its row may not read).
async fn public_id(shop: &Shop, id: i64) -> String {
    sqlx::query_scalar("SELECT public_id FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(shop.db.pool())
        .await
        .unwrap()
}

/// Order numbers have no gaps, even after a sale whose write the database refused:
/// on PostgreSQL an identity column burns a number on every insert that is rolled
/// back, so the numbers must not come from it.
#[tokio::test]
async fn a_refused_write_leaves_no_gap_in_the_order_numbers() {
    let shop = Shop::open(50).await.unwrap();
    let refuse = if shop.db.is_postgres() {
        vec![
            "CREATE FUNCTION refuse_test_sale() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            "CREATE TRIGGER refuse_test_sale BEFORE INSERT ON orders FOR EACH ROW
             WHEN (NEW.staff = 'refused') EXECUTE FUNCTION refuse_test_sale()",
        ]
    } else {
        vec![
            "CREATE TRIGGER refuse_test_sale BEFORE INSERT ON orders
             WHEN NEW.staff = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ]
    };
    for sql in refuse {
        sqlx::query(sql).execute(shop.db.pool()).await.unwrap();
    }
    let shop = &shop;
    let sell = |staff: &'static str| {
        let sale = CounterSale {
            staff: staff.into(),
            ..cash(&shop.sku(SKU), "50.00")
        };
        async move { shop.engine.sell(&sale).await }
    };
    let mut numbers = vec![sell("asha").await.unwrap().order.public_id];
    for _ in 0..2 {
        let refused = sell("refused").await.unwrap_err().to_string();
        assert!(refused.contains("refused by the test"), "{refused}");
    }
    numbers.push(sell("asha").await.unwrap().order.public_id);
    numbers.push(sell("asha").await.unwrap().order.public_id);
    assert_eq!(numbers, ["ORD-000001", "ORD-000002", "ORD-000003"]);
}
