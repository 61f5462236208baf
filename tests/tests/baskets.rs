//! Baskets against the sandbox supplier and its faults, on every flavor: several
//! lines paid once, each unit bought under its own key; a fault on one line of three
//! leaves the others delivered once and the faulty one resolved once, with the totals
//! and the refund due right to the cent.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::Duration;

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{
    self, BasketLine, BasketResult, BasketSale, DeliveryRequest, OrderError, OrderStatus, Outcome,
    Tender,
};
use codetill_e2e::{Flavor, Shop, flavored};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

flavored!(
    a_basket_of_three_lines_is_paid_once_and_each_unit_bought_once,
    an_ambiguous_answer_on_one_line_is_settled_without_a_second_order,
    a_unit_refused_after_payment_alone_is_refund_due,
    a_crash_mid_basket_is_finished_by_recovery,
);

/// Three lines: two of the demo card, and one each of two other cards in the same
/// currency.
async fn three_lines(shop: &Shop) -> Vec<BasketLine> {
    let steam = shop.sku(SKU);
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT sku FROM products
          WHERE in_stock = 1 AND discontinued_at IS NULL AND open_min_minor IS NULL
            AND category = 'gift_card' AND sku <> $1
            AND currency = (SELECT currency FROM products WHERE sku = $1)
          ORDER BY retail_minor, sku LIMIT 2",
    )
    .bind(&steam)
    .fetch_all(shop.db.pool())
    .await
    .unwrap();
    assert_eq!(others.len(), 2, "two other cards to sell");
    let line = |sku: &str, quantity| BasketLine {
        sku: sku.to_string(),
        amount: None,
        quantity,
    };
    vec![line(&steam, 2), line(&others[0], 1), line(&others[1], 1)]
}

fn cash_basket(lines: Vec<BasketLine>, tendered: &str) -> BasketSale {
    BasketSale {
        lines,
        tender: Tender::Cash {
            tendered: Money::parse(tendered, Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    }
}

async fn sell(shop: &Shop, lines: Vec<BasketLine>) -> BasketResult {
    shop.engine
        .sell_basket(&cash_basket(lines, "500"), &DeliveryRequest::default())
        .await
        .unwrap()
}

async fn supplier_orders_for(shop: &Shop, key: &str) -> Vec<Value> {
    shop.supplier_orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o["client_order_id"] == key)
        .collect()
}

async fn basket_orders(shop: &Shop, basket: &str) -> Vec<orders::Order> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT o.id FROM orders o JOIN baskets b ON b.id = o.basket_id
          WHERE b.public_id = $1 ORDER BY o.basket_line, o.id",
    )
    .bind(basket)
    .fetch_all(shop.db.pool())
    .await
    .unwrap();
    let mut out = Vec::new();
    for id in ids {
        out.push(orders::find(&shop.db, &id.to_string()).await.unwrap());
    }
    out
}

/// Every delivered unit has one supplier order under its own key, whose code is the
/// one delivered; a unit refund due has none that charged.
async fn assert_each_unit_resolved_once(shop: &Shop, basket: &BasketResult) {
    let mut keys = HashSet::new();
    for sale in basket.sales() {
        let o = &sale.order;
        assert!(keys.insert(o.client_order_id.clone()), "a key of its own");
        let at_supplier = supplier_orders_for(shop, &o.client_order_id).await;
        match o.status {
            OrderStatus::Delivered => {
                assert_eq!(at_supplier.len(), 1, "{}: {at_supplier:?}", o.public_id);
                let codes = shop.engine.delivered_codes(o.id).await.unwrap();
                assert_eq!(
                    codes[0].code,
                    at_supplier[0]["codes"][0]["code"].as_str().unwrap(),
                    "the code delivered is the code bought"
                );
            }
            OrderStatus::RefundDue => assert!(
                at_supplier.iter().all(|s| s["status"] == "failed"),
                "{}: nothing charged: {at_supplier:?}",
                o.public_id
            ),
            other => panic!("{} is {other}", o.public_id),
        }
    }
}

/// The money adds up: the basket's total is its lines', each unit's payment is its
/// price, and the refund due is the price of the units refused.
async fn assert_totals(shop: &Shop, basket: &BasketResult) {
    let sum = |it: &mut dyn Iterator<Item = Decimal>| it.fold(Decimal::ZERO, |a, b| a + b);
    let lines = sum(&mut basket.lines.iter().map(|l| l.total.amount));
    assert_eq!(basket.total.amount, lines);
    let units = sum(&mut basket.sales().map(|s| s.order.price.amount));
    assert_eq!(basket.total.amount, units);
    let paid: i64 = sqlx::query_scalar(
        "SELECT CAST(sum(p.amount_minor) AS BIGINT) FROM payments p JOIN orders o ON o.id = p.order_id
          JOIN baskets b ON b.id = o.basket_id WHERE b.public_id = $1",
    )
    .bind(&basket.basket)
    .fetch_one(shop.db.pool())
    .await
    .unwrap();
    assert_eq!(paid, basket.total.to_minor().unwrap(), "one payment in all");
    let refused = sum(&mut basket
        .sales()
        .filter(|s| s.order.status == OrderStatus::RefundDue)
        .map(|s| s.order.price.amount));
    assert_eq!(basket.refund_due.amount, refused);
    assert_eq!(
        basket.change.unwrap().amount,
        Decimal::from(500) - basket.total.amount
    );
}

async fn a_basket_of_three_lines_is_paid_once_and_each_unit_bought_once(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let basket = sell(&shop, three_lines(&shop).await).await;
    assert!(basket.basket.starts_with("BSK-"));
    assert_eq!(basket.lines.len(), 3);
    assert_eq!(basket.lines[0].sales.len(), 2, "a line of two is two units");
    assert!(basket.sales().all(|s| s.outcome == Outcome::Delivered));
    assert!(basket.refund_due.amount.is_zero());
    assert_each_unit_resolved_once(&shop, &basket).await;
    assert_totals(&shop, &basket).await;

    // The rows say the same: four orders of the basket, lines 1, 1, 2, 3, and the
    // cash handed over kept once, on the basket.
    let rows = basket_orders(&shop, &basket.basket).await;
    assert_eq!(
        rows.iter()
            .map(|o| o.basket_line.unwrap())
            .collect::<Vec<_>>(),
        [1, 1, 2, 3]
    );
    assert!(
        rows.iter()
            .all(|o| o.basket.as_deref() == Some(basket.basket.as_str()))
    );
    assert!(
        rows.iter()
            .all(|o| o.payment.as_ref().unwrap().tendered.is_none())
    );
    let (tendered, change): (i64, i64) =
        sqlx::query_as("SELECT tendered_minor, change_minor FROM baskets WHERE public_id = $1")
            .bind(&basket.basket)
            .fetch_one(shop.db.pool())
            .await
            .unwrap();
    assert_eq!(tendered, 50_000);
    assert_eq!(change, basket.change.unwrap().to_minor().unwrap());
}

async fn an_ambiguous_answer_on_one_line_is_settled_without_a_second_order(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    for kind in ["create_then_500", "create_then_drop"] {
        shop.sandbox
            .control(
                "faults",
                json!({ "endpoint": "orders.create", "kind": kind, "times": 1 }),
            )
            .await
            .unwrap();
        let basket = sell(&shop, three_lines(&shop).await).await;
        assert!(
            basket.sales().all(|s| s.outcome == Outcome::Delivered),
            "{kind}: {:?}",
            basket.sales().map(|s| &s.outcome).collect::<Vec<_>>()
        );
        assert_each_unit_resolved_once(&shop, &basket).await;
        assert_totals(&shop, &basket).await;
    }
}

async fn a_unit_refused_after_payment_alone_is_refund_due(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    // The supplier takes one order, holds it pending, then fails it.
    shop.sandbox
        .control(
            "pending",
            json!({ "seconds": 0.3, "then": "failed", "times": 1 }),
        )
        .await
        .unwrap();
    let basket = sell(&shop, three_lines(&shop).await).await;
    let refused: Vec<_> = basket
        .sales()
        .filter(|s| matches!(s.outcome, Outcome::RefundDue { .. }))
        .collect();
    assert_eq!(refused.len(), 1, "one unit alone is refused");
    assert_eq!(
        basket
            .sales()
            .filter(|s| s.outcome == Outcome::Delivered)
            .count(),
        3,
        "the rest are delivered"
    );
    assert_eq!(basket.refund_due, refused[0].order.price);
    assert_each_unit_resolved_once(&shop, &basket).await;
    assert_totals(&shop, &basket).await;
}

async fn a_crash_mid_basket_is_finished_by_recovery(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    shop.sandbox
        .control(
            "faults",
            json!({ "endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 1000, "times": 1 }),
        )
        .await
        .unwrap();
    let lines = three_lines(&shop).await;
    // The till dies while the supplier holds one unit's request.
    let crashed = tokio::time::timeout(
        Duration::from_millis(300),
        shop.engine
            .sell_basket(&cash_basket(lines, "500"), &DeliveryRequest::default()),
    )
    .await;
    assert!(crashed.is_err(), "the sale was cut off");
    let basket: String = sqlx::query_scalar("SELECT public_id FROM baskets")
        .fetch_one(shop.db.pool())
        .await
        .unwrap();
    // Another till waits out the leases, then finishes every unit.
    let other = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let report = other.recover().await.unwrap();
    assert!(
        report.open.is_empty() && report.busy.is_empty(),
        "{report:?}"
    );
    let rows = basket_orders(&shop, &basket).await;
    assert_eq!(rows.len(), 4);
    let mut keys = HashSet::new();
    for o in &rows {
        assert_eq!(o.status, OrderStatus::Delivered, "{}", o.public_id);
        assert!(keys.insert(o.client_order_id.clone()));
        let at_supplier = supplier_orders_for(&shop, &o.client_order_id).await;
        assert_eq!(at_supplier.len(), 1, "{}: {at_supplier:?}", o.public_id);
        let codes = other.delivered_codes(o.id).await.unwrap();
        assert_eq!(
            codes[0].code,
            at_supplier[0]["codes"][0]["code"].as_str().unwrap()
        );
    }
}

#[tokio::test]
async fn bad_baskets_are_refused_and_change_nothing() {
    let shop = Shop::open(200).await.unwrap();
    let steam = shop.sku(SKU);
    let line = |sku: &str, quantity| BasketLine {
        sku: sku.to_string(),
        amount: None,
        quantity,
    };
    let cases: Vec<(Vec<BasketLine>, &str, &str)> = vec![
        (vec![], "500", "empty"),
        (vec![line(&steam, 0)], "500", "quantity 0"),
        (vec![line(&steam, 11)], "500", "quantity 11"),
        (
            vec![line(&steam, 1), line("NOPE-XX-1", 1)],
            "500",
            "NOPE-XX-1",
        ),
        (vec![line(&steam, 3)], "1.00", "less than"),
    ];
    for (lines, tendered, needle) in cases {
        let err = shop
            .engine
            .sell_basket(&cash_basket(lines, tendered), &DeliveryRequest::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{needle}: {err}");
        assert!(
            matches!(
                err,
                OrderError::BadInput(_)
                    | OrderError::UnknownSku(_)
                    | OrderError::ShortTender { .. }
            ),
            "{err:?}"
        );
    }
    let written: i64 =
        sqlx::query_scalar("SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM baskets)")
            .fetch_one(shop.db.pool())
            .await
            .unwrap();
    assert_eq!(written, 0);
    assert!(shop.supplier_orders().await.unwrap().is_empty());

    // Three units when the supplier has two: refused before payment.
    shop.sandbox
        .control(
            "stock",
            json!({ "sku": SKU, "available": true, "quantity": 2 }),
        )
        .await
        .unwrap();
    let err = shop
        .engine
        .sell_basket(
            &cash_basket(vec![line(&steam, 3)], "500"),
            &DeliveryRequest::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, OrderError::Refused(orders::Refusal::OutOfStock { .. })),
        "{err:?}"
    );
}
