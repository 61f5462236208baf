//! The stock cache against the sandbox: listings reuse a fresh answer, checkout
//! always asks.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use codetill_core::stock::StockCache;
use codetill_e2e::Sandbox;
use serde_json::json;

#[tokio::test]
async fn listings_are_cached_for_the_ttl_and_checkout_always_asks() {
    let sandbox = Sandbox::start(100).await.unwrap();
    let supplier = sandbox.client().unwrap();
    let cache = StockCache::new(Duration::from_secs(60));
    assert_eq!(cache.ttl(), StockCache::MIN_TTL, "held within 5-15 minutes");
    let asks = || async {
        sandbox.counters().await.unwrap()["stock_requests"]
            .as_u64()
            .unwrap()
    };

    let t0 = Instant::now();
    assert!(
        cache
            .listing_at(&supplier, "STEAM-US-20", t0)
            .await
            .unwrap()
            .available
    );
    assert!(
        cache
            .listing_at(&supplier, "STEAM-US-20", t0 + Duration::from_secs(299))
            .await
            .unwrap()
            .available
    );
    assert_eq!(asks().await, 1, "a fresh answer is reused");

    sandbox
        .control(
            "stock",
            json!({ "sku": "STEAM-US-20", "available": false, "quantity": 0 }),
        )
        .await
        .unwrap();
    // Checkout sees the truth at once, and listings learn it from there.
    assert!(
        !cache
            .live(&supplier, "STEAM-US-20")
            .await
            .unwrap()
            .available
    );
    assert_eq!(asks().await, 2);
    assert!(
        !cache
            .listing(&supplier, "STEAM-US-20")
            .await
            .unwrap()
            .available
    );
    assert_eq!(asks().await, 2);

    // Past the TTL a listing asks again.
    sandbox
        .control(
            "stock",
            json!({ "sku": "STEAM-US-20", "available": true, "quantity": null }),
        )
        .await
        .unwrap();
    let later = Instant::now() + Duration::from_secs(301);
    assert!(
        cache
            .listing_at(&supplier, "STEAM-US-20", later)
            .await
            .unwrap()
            .available
    );
    assert_eq!(asks().await, 3);

    // Unknown skus are not cached as anything.
    assert!(cache.listing(&supplier, "NOPE-1").await.is_err());
    assert!(cache.listing(&supplier, "NOPE-1").await.is_err());
    assert_eq!(asks().await, 5);
    sandbox.stop().await;
}

/// A quote's live answer reaches the listings at once: a card a sale just found out
/// of stock shows so in the search results, though the catalog (last synced) still
/// says in stock; nobody is asked for it.
#[tokio::test]
async fn a_quote_s_answer_is_what_listings_show() {
    use codetill_core::orders::{OrderError, Refusal};
    let shop = codetill_e2e::Shop::open(100).await.unwrap();
    let sku = shop.sku("STEAM-US-20");
    let listed = || async {
        let mut found = codetill_core::catalog::search(shop.db.pool(), "steam us 20", 5)
            .await
            .unwrap();
        shop.engine.list_stock(&mut found);
        found.into_iter().find(|p| p.sku == sku).unwrap().in_stock
    };
    assert!(listed().await);
    shop.sandbox
        .control(
            "stock",
            json!({ "sku": "STEAM-US-20", "available": false, "quantity": 0 }),
        )
        .await
        .unwrap();
    assert!(listed().await, "the catalog's flag until someone asks");
    let refused = shop.engine.quote(&sku).await.unwrap_err();
    assert!(
        matches!(refused, OrderError::Refused(Refusal::OutOfStock { .. })),
        "{refused:?}"
    );
    let asked = shop.sandbox.counters().await.unwrap()["stock_requests"].clone();
    assert!(!listed().await, "the quote's answer, at once");
    assert_eq!(
        shop.sandbox.counters().await.unwrap()["stock_requests"],
        asked,
        "listing asked nobody"
    );
}
