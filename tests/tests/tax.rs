//! Tax invoices against the sandbox supplier: a category's rate puts the tax part
//! on each order; with the shop's tax id each sale (an order, or a basket as a
//! whole) gets an invoice number, sequential per financial year, taken in the write
//! that records its payment, so tills selling at once never share or skip one.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use codetill_core::db::Db;
use codetill_core::money::{Currency, Money};
use codetill_core::orders::{
    self, BasketLine, BasketSale, CounterSale, DeliveryRequest, Engine, Tender,
};
use codetill_core::product::Category;
use codetill_core::tax;
use codetill_e2e::Shop;
use rust_decimal_macros::dec;

const SKU: &str = "STEAM-US-20";

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

async fn set(db: &Db, key: &str, value: &str) {
    codetill_core::settings::set(db.pool(), key, value)
        .await
        .unwrap();
}

async fn gst_18(db: &Db) {
    let mut tx = db.begin_write().await.unwrap();
    tax::set_rate_in(&mut tx, Category::GiftCard, Some(dec!(18)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn this_year() -> String {
    tax::financial_year(chrono::Local::now().date_naive(), 4)
}

#[tokio::test]
async fn a_rate_alone_splits_the_price_and_a_tax_id_makes_it_an_invoice() {
    let shop = Shop::open(200).await.unwrap();
    let sku = shop.sku(SKU);
    gst_18(&shop.db).await;
    let plain = shop.engine.sell(&cash(&sku)).await.unwrap();
    let part = plain.order.tax.unwrap();
    assert_eq!(part.rate, dec!(18));
    let exact = plain.order.price.amount * dec!(18) / dec!(118);
    assert!((part.tax.amount - exact).abs() <= dec!(0.005), "{part:?}");
    assert!(plain.order.invoice.is_none(), "no tax id, no invoice");

    set(&shop.db, tax::TAX_ID, "29ABCDE1234F1Z5").await;
    set(&shop.db, tax::INVOICE_PREFIX, "CT").await;
    let delivery = DeliveryRequest {
        buyer_tax_id: Some("27pqrsx9876k1z2".into()),
        ..DeliveryRequest::default()
    };
    let first = shop.engine.sell_with(&cash(&sku), &delivery).await.unwrap();
    let invoice = first.order.invoice.clone().unwrap();
    assert_eq!(invoice.number, format!("CT/{}/000001", this_year()));
    assert_eq!(invoice.shop_tax_id, "29ABCDE1234F1Z5");
    assert_eq!(invoice.buyer_tax_id.as_deref(), Some("27PQRSX9876K1Z2"));
    let second = shop.engine.sell(&cash(&sku)).await.unwrap();
    assert_eq!(
        second.order.invoice.unwrap().number,
        format!("CT/{}/000002", this_year())
    );

    // A basket is one invoice, whatever its lines.
    let basket = shop
        .engine
        .sell_basket(
            &BasketSale {
                lines: vec![BasketLine {
                    sku: sku.clone(),
                    amount: None,
                    quantity: 3,
                }],
                tender: Tender::Card {
                    terminal_ref: "T-1".into(),
                },
                staff: "asha".into(),
                till_id: None,
                email: None,
            },
            &DeliveryRequest::default(),
        )
        .await
        .unwrap();
    let numbers: BTreeSet<String> = basket
        .sales()
        .map(|s| s.order.invoice.clone().unwrap().number)
        .collect();
    assert_eq!(
        numbers.into_iter().collect::<Vec<_>>(),
        [format!("CT/{}/000003", this_year())]
    );

    // A quote paid later (a remote sale's path) is invoiced when it is paid.
    let quote = shop.engine.quote(&sku).await.unwrap();
    let id = shop.engine.open(&quote, &cash(&sku)).await.unwrap();
    let quoted = orders::find(&shop.db, &id.to_string()).await.unwrap();
    assert!(quoted.invoice.is_none() && quoted.tax.is_some());
    shop.engine
        .pay(
            id,
            &Tender::Card {
                terminal_ref: "T-2".into(),
            },
            "asha",
        )
        .await
        .unwrap();
    let paid = orders::find(&shop.db, &id.to_string()).await.unwrap();
    assert_eq!(
        paid.invoice.unwrap().number,
        format!("CT/{}/000004", this_year())
    );

    // An invoice never changes.
    let changed = sqlx::query("UPDATE invoices SET buyer_tax_id = NULL")
        .execute(shop.db.pool())
        .await;
    assert!(changed.is_err());

    // A buyer tax id that is no tax id refuses the sale before any money is taken.
    let bad = DeliveryRequest {
        buyer_tax_id: Some("12!".into()),
        ..DeliveryRequest::default()
    };
    let before = shop.supplier_orders().await.unwrap().len();
    assert!(shop.engine.sell_with(&cash(&sku), &bad).await.is_err());
    assert_eq!(shop.supplier_orders().await.unwrap().len(), before);
}

/// Three tills (each its own connection and writer on one database file) sell at
/// once: the invoice numbers are 1 to N, none repeated, none skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invoice_numbers_never_repeat_or_skip_across_tills_selling_at_once() {
    let shop = Shop::open(200).await.unwrap();
    let sku = shop.sku(SKU);
    set(&shop.db, tax::TAX_ID, "29ABCDE1234F1Z5").await;
    let mut tills: Vec<Arc<Engine>> = Vec::new();
    for _ in 0..3 {
        let db = shop.db.reopen().await.unwrap();
        tills.push(Arc::new(Shop::engine_for(&shop.sandbox, &db).unwrap()));
    }
    let per_till = 8;
    let mut tasks = Vec::new();
    for till in &tills {
        for _ in 0..per_till {
            let (till, sku) = (till.clone(), sku.clone());
            tasks.push(tokio::spawn(async move {
                till.sell(&cash(&sku))
                    .await
                    .unwrap()
                    .order
                    .invoice
                    .unwrap()
                    .number
            }));
        }
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    let total = tills.len() * per_till;
    let unique: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(unique.len(), total, "no number twice: {numbers:?}");
    let seqs: BTreeSet<i64> = sqlx::query_scalar("SELECT seq FROM invoices")
        .fetch_all(shop.db.pool())
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(seqs, (1..=total as i64).collect(), "none skipped");
}

#[tokio::test]
async fn the_margin_floor_guards_what_the_shop_keeps_after_tax() {
    let shop = Shop::open(200).await.unwrap();
    let sku = shop.sku(SKU);
    let rule =
        codetill_core::pricing::PriceRule::parse("3", "2", "8", Some(".99"), Some(("1.00", "USD")))
            .unwrap();
    codetill_core::catalog::save_rule(&shop.db, None, &rule)
        .await
        .unwrap();
    // Without tax the rule's 8% clears a 1.00 floor.
    shop.engine.sell(&cash(&sku)).await.unwrap();
    // With 18% inside the same price, the shop keeps less than the cost.
    gst_18(&shop.db).await;
    match shop.engine.sell(&cash(&sku)).await {
        Err(orders::OrderError::Refused(orders::Refusal::BelowFloor { margin, floor })) => {
            assert!(margin.starts_with('-'), "{margin}");
            assert_eq!(floor, "1.00 USD");
        }
        other => panic!("{other:?}"),
    }
}
