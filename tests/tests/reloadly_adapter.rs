//! The Reloadly adapter against the sandbox's Reloadly flavor: tokens that expire,
//! a key sent twice, a key already used, codes that come late and in other shapes,
//! open amounts out of bounds, and the catalog's pages.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use codetill_core::money::{Currency, Money};
use codetill_core::secrets::Redacted;
use codetill_core::supplier::{
    CatalogRequest, OrderRequest, RejectReason, ReloadlyClient, Supplier, SupplierError,
    SupplierOrderStatus,
};
use codetill_e2e::{Flavor, KEY, RELOADLY_CLIENT_ID, Sandbox};
use serde_json::{Value, json};

const SKU: &str = "STEAM-US-20";

async fn reloadly() -> Sandbox {
    Sandbox::start_flavor(200, Flavor::Reloadly).await.unwrap()
}

fn order(sandbox: &Sandbox, key: &str) -> OrderRequest {
    OrderRequest {
        client_order_id: key.into(),
        sku: sandbox.sku(SKU),
        quantity: 1,
        max_unit_price: Money::parse("18.40", Currency::USD).unwrap(),
        face_value: None,
    }
}

async fn quirks(sandbox: &Sandbox, body: Value) -> Value {
    sandbox.control("reloadly", body).await.unwrap()
}

async fn supplier_orders(sandbox: &Sandbox, key: &str) -> Vec<Value> {
    let all: Value = sandbox
        .http
        .get(format!("{}/_sandbox/orders", sandbox.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .filter(|o| o["client_order_id"] == key)
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires_and_when_refused() {
    let sandbox = reloadly().await;
    quirks(&sandbox, json!({ "token_ttl_s": 1 })).await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    client.balance().await.unwrap();
    client.balance().await.unwrap();
    assert_eq!(
        client.tokens_fetched(),
        1,
        "one token serves while it lasts"
    );
    tokio::time::sleep(Duration::from_millis(950)).await;
    client.balance().await.unwrap();
    assert_eq!(
        client.tokens_fetched(),
        2,
        "refreshed before expires_in ran out"
    );
    // The API calls the token expired: one new token, the call goes through.
    quirks(
        &sandbox,
        json!({ "token_ttl_s": 3600, "expire_tokens": true }),
    )
    .await;
    let before = sandbox.counters().await.unwrap()["balance_requests"]
        .as_u64()
        .unwrap();
    client.balance().await.unwrap();
    assert_eq!(client.tokens_fetched(), 3);
    let after = sandbox.counters().await.unwrap()["balance_requests"]
        .as_u64()
        .unwrap();
    assert_eq!(
        after,
        before + 1,
        "the refused call never reached the gate's count"
    );
    let issued = quirks(&sandbox, json!({})).await["tokens_issued"]
        .as_u64()
        .unwrap();
    assert_eq!(issued, 3);
}

#[tokio::test]
async fn bad_credentials_are_a_configuration_error() {
    let sandbox = reloadly().await;
    let mut config = sandbox.reloadly_config(Duration::from_secs(5));
    config.client_secret = Redacted::new("wrong".into());
    let client = ReloadlyClient::new(config).unwrap();
    let e = client.balance().await.unwrap_err();
    assert!(matches!(e, SupplierError::Configuration { .. }), "{e:?}");
    assert!(
        !e.to_string().contains("wrong"),
        "the secret is never echoed: {e}"
    );
    // And a well-formed key is needed at all.
    let key = Redacted::new(format!("{RELOADLY_CLIENT_ID}{KEY}"));
    assert!(
        codetill_core::supplier::ReloadlyConfig::with_key("http://x", "http://x", &key, false)
            .is_err()
    );
}

#[tokio::test]
async fn one_key_is_sent_once_at_a_time_even_where_the_supplier_would_execute_both() {
    let sandbox = reloadly().await;
    quirks(&sandbox, json!({ "duplicate_race_ms": 300 })).await;
    // Sent raw, two POSTs with one key both execute at this supplier.
    let token: Value = sandbox
        .http
        .post(format!("{}/oauth/token", sandbox.url()))
        .json(
            &json!({ "client_id": RELOADLY_CLIENT_ID, "client_secret": KEY,
                        "grant_type": "client_credentials", "audience": sandbox.url() }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let product_id: u64 = sandbox.sku(SKU).split('-').nth(1).unwrap().parse().unwrap();
    let raw = || {
        sandbox
            .http
            .post(format!("{}/orders", sandbox.url()))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .header("Accept", "application/com.reloadly.giftcards-v1+json")
            .json(
                &json!({ "productId": product_id, "quantity": 1, "unitPrice": 20.0,
                            "customIdentifier": "raw-1", "senderName": "t" }),
            )
            .send()
    };
    let (a, b) = tokio::join!(raw(), raw());
    assert!(a.unwrap().status().is_success() && b.unwrap().status().is_success());
    assert_eq!(
        supplier_orders(&sandbox, "raw-1").await.len(),
        2,
        "the race is real"
    );

    // Through the client, the second waits for the first and finds it.
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    let request = order(&sandbox, "ct-race");
    let (a, b) = tokio::join!(client.place_order(&request), client.place_order(&request));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        supplier_orders(&sandbox, "ct-race").await.len(),
        1,
        "bought once"
    );
    assert_eq!(a.order_id, b.order_id);
    assert_eq!(a.codes, b.codes);
    assert_eq!(a.status, SupplierOrderStatus::Completed);
}

#[tokio::test]
async fn a_key_already_used_is_looked_up_never_failed() {
    let sandbox = reloadly().await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    let request = order(&sandbox, "ct-Used-1");
    let first = client.place_order(&request).await.unwrap();
    let again = client.place_order(&request).await.unwrap();
    assert_eq!(first.order_id, again.order_id);
    assert_eq!(first.codes, again.codes);
    assert_eq!(again.status, SupplierOrderStatus::Completed);
    let c = sandbox.counters().await.unwrap();
    assert_eq!(
        (c["order_posts"].as_u64(), c["orders_created"].as_u64()),
        (Some(2), Some(1)),
        "{c}"
    );
    let bought = supplier_orders(&sandbox, "ct-Used-1").await;
    assert_eq!(
        first.codes[0].code.expose(),
        bought[0]["codes"][0]["code"].as_str().unwrap()
    );
    // The reports match loosely; only the exact key (any case) counts.
    assert!(client.get_order("ct-Used").await.unwrap().is_none());
    let found = client.get_order("CT-USED-1").await.unwrap().unwrap();
    assert_eq!(found.order_id, first.order_id);
    assert!(client.get_order("ct-never").await.unwrap().is_none());
}

#[tokio::test]
async fn codes_that_come_late_leave_the_order_pending_then_arrive() {
    let sandbox = reloadly().await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    for (n, empty) in [false, true].into_iter().enumerate() {
        quirks(
            &sandbox,
            json!({ "cards_delay_ms": 700, "cards_empty_while_processing": empty }),
        )
        .await;
        let key = format!("ct-late-{n}");
        let placed = client.place_order(&order(&sandbox, &key)).await.unwrap();
        assert_eq!(
            placed.status,
            SupplierOrderStatus::Pending,
            "no codes yet ({empty})"
        );
        assert!(placed.codes.is_empty());
        tokio::time::sleep(Duration::from_millis(700)).await;
        let found = client.get_order(&key).await.unwrap().unwrap();
        assert_eq!(found.status, SupplierOrderStatus::Completed);
        assert_eq!(found.order_id, placed.order_id);
        let bought = supplier_orders(&sandbox, &key).await;
        assert_eq!(
            found.codes[0].code.expose(),
            bought[0]["codes"][0]["code"].as_str().unwrap()
        );
    }
    // One card as an object instead of a list.
    quirks(
        &sandbox,
        json!({ "cards_delay_ms": 0, "cards_as_object": true }),
    )
    .await;
    let one = client
        .place_order(&order(&sandbox, "ct-object"))
        .await
        .unwrap();
    assert_eq!(one.codes.len(), 1);
    // A processing order (the pending control) is followed to its end.
    sandbox
        .control("pending", json!({ "seconds": 0.2, "times": 1 }))
        .await
        .unwrap();
    let processed = client
        .place_order(&order(&sandbox, "ct-processing"))
        .await
        .unwrap();
    assert_eq!(processed.status, SupplierOrderStatus::Completed);
    sandbox
        .control(
            "pending",
            json!({ "seconds": 0.1, "times": 1, "then": "failed" }),
        )
        .await
        .unwrap();
    let failed = client
        .place_order(&order(&sandbox, "ct-failed"))
        .await
        .unwrap();
    assert_eq!(failed.status, SupplierOrderStatus::Failed);
    assert_eq!(failed.failure.unwrap().0, "failed");
}

#[tokio::test]
async fn prices_and_stock_are_checked_before_sending() {
    let sandbox = reloadly().await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    sandbox
        .control("price", json!({ "sku": SKU, "wholesale_price": "19.00" }))
        .await
        .unwrap();
    let e = client
        .place_order(&order(&sandbox, "ct-p"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            SupplierError::Rejected {
                reason: RejectReason::PriceChanged,
                ..
            }
        ),
        "{e:?}"
    );
    sandbox
        .control("stock", json!({ "sku": SKU, "available": false }))
        .await
        .unwrap();
    let mut cheap = order(&sandbox, "ct-s");
    cheap.max_unit_price = Money::parse("100", Currency::USD).unwrap();
    let e = client.place_order(&cheap).await.unwrap_err();
    assert!(
        matches!(
            e,
            SupplierError::Rejected {
                reason: RejectReason::OutOfStock,
                ..
            }
        ),
        "{e:?}"
    );
    let stock = client.stock(&sandbox.sku(SKU)).await.unwrap();
    assert!(!stock.available);
    assert_eq!(sandbox.counters().await.unwrap()["order_posts"], 0);
    sandbox
        .control("balance", json!({ "set": "1.00" }))
        .await
        .unwrap();
    sandbox
        .control("stock", json!({ "sku": SKU, "available": true }))
        .await
        .unwrap();
    let e = client.place_order(&cheap).await.unwrap_err();
    assert!(
        matches!(
            e,
            SupplierError::Rejected {
                reason: RejectReason::InsufficientBalance,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn rate_limits_and_failures_are_typed() {
    let sandbox = reloadly().await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    sandbox
        .control(
            "faults",
            json!({ "endpoint": "balance", "kind": "rate_limit", "retry_after_s": 2 }),
        )
        .await
        .unwrap();
    let e = client.balance().await.unwrap_err();
    assert_eq!(
        e,
        SupplierError::Retryable {
            retry_after: Some(Duration::from_secs(2)),
            message: "rate limited: Too many requests".into()
        }
    );
    sandbox
        .control(
            "faults",
            json!({ "endpoint": "orders.create", "kind": "create_then_500" }),
        )
        .await
        .unwrap();
    let e = client
        .place_order(&order(&sandbox, "ct-500"))
        .await
        .unwrap_err();
    assert!(matches!(e, SupplierError::Ambiguous { .. }), "{e:?}");
    assert!(
        client.get_order("ct-500").await.unwrap().is_some(),
        "it was made"
    );
    // A wrong base URL: no such route.
    let mut config = sandbox.reloadly_config(Duration::from_secs(5));
    config.base_url = format!("{}/nowhere", sandbox.url());
    let lost = ReloadlyClient::new(config).unwrap();
    let e = lost.balance().await.unwrap_err();
    assert!(matches!(e, SupplierError::Configuration { .. }), "{e:?}");
}

#[tokio::test]
async fn the_catalog_walks_one_based_pages_into_one_sku_per_denomination() {
    let sandbox = reloadly().await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    let mut cursor = None;
    let mut skus = Vec::new();
    let mut pages = 0;
    loop {
        let page = client
            .catalog_page(&CatalogRequest {
                cursor,
                limit: 7,
                updated_since: None,
            })
            .await
            .unwrap();
        pages += 1;
        skus.extend(
            page.products
                .into_iter()
                .map(Result::unwrap)
                .filter(|p| p.open_amount.is_none())
                .map(|p| p.sku),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert!(pages > 2);
    let mut unique = skus.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), skus.len(), "no page read twice");
    let in_stock: Vec<String> = sandbox
        .handle()
        .state()
        .catalog_rows()
        .iter()
        .filter(|p| p["in_stock"] == true)
        .map(|p| sandbox.sku(p["sku"].as_str().unwrap()))
        .collect();
    assert!(in_stock.len() > 150);
    let mut listed = in_stock.clone();
    listed.sort();
    assert_eq!(
        unique, listed,
        "every sandbox product in stock is one fixed sku"
    );
    assert!(skus.contains(&sandbox.sku(SKU)));
}

#[tokio::test]
async fn an_open_amount_outside_its_bounds_is_refused_before_any_call() {
    let sandbox = reloadly().await;
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    let mut cursor = None;
    let mut open = None;
    loop {
        let page = client
            .catalog_page(&CatalogRequest {
                cursor,
                limit: 200,
                updated_since: None,
            })
            .await
            .unwrap();
        open = open.or_else(|| {
            page.products
                .into_iter()
                .flatten()
                .find(|p| p.open_amount.is_some())
        });
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let open = open.expect("the sandbox offers open amounts");
    let bounds = open.open_amount.clone().unwrap();
    let mut request = OrderRequest {
        client_order_id: "ct-open-1".into(),
        sku: open.sku.clone(),
        quantity: 1,
        max_unit_price: Money::parse("100000", open.wholesale.currency).unwrap(),
        face_value: Some(
            bounds
                .max
                .checked_add(&Money::parse("1", bounds.max.currency).unwrap())
                .unwrap(),
        ),
    };
    let before = sandbox.counters().await.unwrap();
    let e = client.place_order(&request).await.unwrap_err();
    assert!(
        matches!(
            e,
            SupplierError::Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }
        ),
        "{e:?}"
    );
    let after = sandbox.counters().await.unwrap();
    assert_eq!(
        before, after,
        "no call at all: the bounds came with the catalog"
    );
    // A client that has not seen the catalog asks for the product, never orders.
    let fresh = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    request.face_value = Some(Money::parse("0.01", bounds.min.currency).unwrap());
    let e = fresh.place_order(&request).await.unwrap_err();
    assert!(
        matches!(
            e,
            SupplierError::Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(sandbox.counters().await.unwrap()["order_posts"], 0);
    // Within the bounds it is bought, at the face value asked.
    let face = bounds
        .min
        .checked_add(&Money::parse("0.5", bounds.min.currency).unwrap())
        .unwrap();
    request.face_value = Some(face);
    let bought = client.place_order(&request).await.unwrap();
    assert_eq!(bought.status, SupplierOrderStatus::Completed);
    let expected = (face.amount * bounds.cost_per_face + bounds.fee.amount).round_dp(2);
    assert!(
        (bought.total.amount - expected).abs() <= rust_decimal::Decimal::new(1, 2),
        "{} vs {expected}",
        bought.total
    );
    // Without a face value an open amount cannot be bought.
    request.face_value = None;
    request.client_order_id = "ct-open-2".into();
    assert!(client.place_order(&request).await.is_err());
}

#[tokio::test]
async fn airtime_top_ups_deliver_the_pin_and_are_found_by_key() {
    let sandbox = Sandbox::start_flavor(200, Flavor::ReloadlyAirtime)
        .await
        .unwrap();
    let client = sandbox.reloadly_client(Duration::from_secs(5)).unwrap();
    let page = client
        .catalog_page(&CatalogRequest {
            cursor: None,
            limit: 50,
            updated_since: None,
        })
        .await
        .unwrap();
    let first = page.products.into_iter().flatten().next().unwrap();
    assert!(first.sku.starts_with("RLA-"), "{}", first.sku);
    let sku = sandbox.sku(SKU);
    assert!(sku.starts_with("RLA-"), "{sku}");
    let mut request = order(&sandbox, "ct-air-1");
    request.sku = sku;
    let placed = client.place_order(&request).await.unwrap();
    assert_eq!(placed.status, SupplierOrderStatus::Completed);
    let bought = supplier_orders(&sandbox, "ct-air-1").await;
    assert_eq!(
        placed.codes[0].code.expose(),
        bought[0]["codes"][0]["code"].as_str().unwrap()
    );
    // Sent again: refused as used, then found.
    let again = client.place_order(&request).await.unwrap();
    assert_eq!(again.order_id, placed.order_id);
    assert_eq!(sandbox.counters().await.unwrap()["orders_created"], 1);
    let found = client.get_order("ct-air-1").await.unwrap().unwrap();
    assert_eq!(found.codes, placed.codes);
}
