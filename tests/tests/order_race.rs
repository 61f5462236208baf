//! A sale in progress belongs to the till that took the money. Another till's
//! recovery (every CLI command runs one at start) must not take over an order that a
//! live process has just paid and is about to send.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use codetill_core::money::{Currency, Money};
use codetill_core::orders::{CounterSale, Outcome, Tender};
use codetill_e2e::{Flavor, Shop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_is_not_taken_from_the_till_selling_it() {
    not_taken(Flavor::Wholesale).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_is_not_taken_from_the_till_selling_it_reloadly() {
    not_taken(Flavor::Reloadly).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_is_not_taken_from_the_till_selling_it_bamboo() {
    not_taken(Flavor::Bamboo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_is_not_taken_from_the_till_selling_it_ding() {
    not_taken(Flavor::Ding).await;
}

async fn not_taken(flavor: Flavor) {
    let shop = Shop::open_flavor(200, flavor).await.unwrap();
    let other = Shop::engine_for(&shop.sandbox, &shop.db).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // Another till starting up, again and again: `codetill <anything>` recovers first.
    let recoverer = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut taken = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let report = other.recover().await.unwrap();
                taken.extend(report.delivered);
            }
            taken
        }
    });
    let sale = CounterSale {
        sku: shop.sku("STEAM-US-20"),
        amount: None,
        tender: Tender::Cash {
            tendered: Money::parse("50", Currency::USD).unwrap().amount,
        },
        staff: "asha".into(),
        till_id: Some("till-1".into()),
        email: None,
    };
    let mut outcomes = Vec::new();
    for _ in 0..60 {
        let sold = shop.engine.sell(&sale).await.unwrap();
        outcomes.push((sold.order.public_id.clone(), sold.outcome.clone()));
    }
    stop.store(true, Ordering::Relaxed);
    let taken = recoverer.await.unwrap();
    let lost: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| *o != Outcome::Delivered)
        .collect();
    assert!(
        lost.is_empty() && taken.is_empty(),
        "{} of 60 sales were taken over by the other till's recovery while the selling \
         till was still live (the seller saw {:?}; the recoverer delivered {:?})",
        lost.len(),
        lost,
        taken
    );
    assert_eq!(shop.sandbox.counters().await.unwrap()["orders_created"], 60);
}
