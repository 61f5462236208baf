//! The catalog walk over real HTTP: completeness, stability, incremental sync,
//! bad rows, discontinuation.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use chrono::{SecondsFormat, Utc};
use common::{Client, start};
use serde_json::json;

fn skus(rows: &[serde_json::Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["sku"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn full_walk_returns_every_product_exactly_once() {
    let sandbox = start(2500).await;
    let client = Client::new(&sandbox);
    let expected = skus(&sandbox.state().catalog_rows());
    for limit in [1000, 333] {
        let (rows, totals) = client.walk(limit, None).await;
        assert_eq!(skus(&rows), expected, "limit {limit}");
        assert!(totals.iter().all(|&t| t == 2500));
        assert_eq!(rows, sandbox.state().catalog_rows());
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn walk_is_stable_while_prices_change_and_products_go() {
    let sandbox = start(1000).await;
    let client = Client::new(&sandbox);
    let all = skus(&sandbox.state().catalog_rows());
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page_no = 0;
    loop {
        let mut url = format!("{}/v1/catalog?limit=100", client.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = client
            .http
            .get(url)
            .bearer_auth(common::KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(skus(page["products"].as_array().unwrap()));
        if page_no == 2 {
            // Mid-walk: reprice a lot and discontinue one product already seen.
            let (s, _) = client
                .control("reprice", json!({"fraction": 0.5, "percent": "3"}))
                .await;
            assert_eq!(s, 200);
            let (s, _) = client
                .control("discontinue", json!({"skus": [all[5]]}))
                .await;
            assert_eq!(s, 200);
        }
        page_no += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, all, "each product once, in sku order");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn updated_since_returns_only_changed_products() {
    let sandbox = start(3000).await;
    let client = Client::new(&sandbox);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let before = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let (status, resp) = client
        .control(
            "reprice",
            json!({"fraction": 0.01, "percent": "5", "seed": 3}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(resp["changed"], 30);
    let mut changed: Vec<String> = resp["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    changed.sort();

    let (rows, totals) = client.walk(7, Some(&before)).await;
    let mut got = skus(&rows);
    got.sort();
    assert_eq!(got, changed);
    assert!(totals.iter().all(|&t| t == 30));
    for r in &rows {
        assert!(r["updated_at"].as_str().unwrap() >= before.as_str());
    }

    // Since a month before the generated catalog's newest edit: everything.
    let (rows, _) = client.walk(1000, Some("2026-10-01T00:00:00Z")).await;
    assert_eq!(rows.len(), 3000);
    assert_eq!(
        rows.iter().map(|r| &r["sku"]).collect::<HashSet<_>>().len(),
        3000
    );

    // A single price change shows up too, with the new price.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let later = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let (s, _) = client
        .control(
            "price",
            json!({"sku": "STEAM-US-20", "wholesale_price": "19.00"}),
        )
        .await;
    assert_eq!(s, 200);
    let (rows, _) = client.walk(100, Some(&later)).await;
    assert_eq!(skus(&rows), ["STEAM-US-20"]);
    assert_eq!(rows[0]["wholesale_price"], "19.00");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn catalog_parameters_are_validated() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    for q in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "cursor=not-a-cursor",
        "cursor=eyJvIjoxMDAwfQ",
        "updated_since=yesterday",
    ] {
        let (status, body) = client.get(&format!("/v1/catalog?{q}")).await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(body["error"]["code"], "invalid_request", "{q}");
    }
    let (status, body) = client.get("/v1/catalog").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["products"].as_array().unwrap().len(),
        100,
        "default limit"
    );
    assert_eq!(body["total"], 200);
    let first = &body["products"][0];
    for field in [
        "sku",
        "name",
        "brand",
        "category",
        "region",
        "face_value",
        "face_currency",
        "wholesale_price",
        "currency",
        "in_stock",
        "redeem_url",
        "redeem_instructions",
        "updated_at",
    ] {
        assert!(!first[field].is_null(), "{field}");
    }
    assert_eq!(body["products"].as_array().unwrap().len(), 100);
    // A full-walk cursor cannot continue an incremental walk.
    let cursor = body["next_cursor"].as_str().unwrap();
    let (status, _) = client
        .get(&format!(
            "/v1/catalog?cursor={cursor}&updated_since=2026-11-01T00:00:00Z"
        ))
        .await;
    assert_eq!(status, 400);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_rows_are_injected_as_given() {
    let sandbox = start(250).await;
    let client = Client::new(&sandbox);
    let broken = json!([
        {"sku": "BROKEN-1", "name": "no price"},
        {"sku": "STEAM-US-20", "wholesale_price": "eighteen", "currency": "USD"},
        42
    ]);
    let (s, _) = client.control("bad_rows", json!({"rows": broken})).await;
    assert_eq!(s, 200);
    let (s, _) = client
        .control("bad_rows", json!({"rows": [{"sku": "LATE"}], "page": 99}))
        .await;
    assert_eq!(s, 200);

    let (rows, totals) = client.walk(100, None).await;
    assert_eq!(rows.len(), 254);
    assert!(totals.iter().all(|&t| t == 254));
    // First page: 100 products then the three rows as given.
    assert_eq!(rows[100..103], broken.as_array().unwrap()[..]);
    assert_eq!(rows.last().unwrap(), &json!({"sku": "LATE"}));
    let steam = rows.iter().filter(|r| r["sku"] == "STEAM-US-20").count();
    assert_eq!(steam, 2, "duplicate sku delivered");

    let resp = client
        .http
        .delete(format!("{}/_sandbox/bad_rows", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (rows, _) = client.walk(1000, None).await;
    assert_eq!(rows.len(), 250);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn discontinued_products_leave_the_catalog() {
    let sandbox = start(300).await;
    let client = Client::new(&sandbox);
    let (s, body) = client
        .control("discontinue", json!({"skus": ["STEAM-US-20", "NOPE-XX-1"]}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(body, json!({"removed": 1, "unknown": ["NOPE-XX-1"]}));
    let (rows, _) = client.walk(1000, None).await;
    assert_eq!(rows.len(), 299);
    assert!(rows.iter().all(|r| r["sku"] != "STEAM-US-20"));
    let (s, body) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(s, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (s, body) = client
        .order(&common::order_body("ct-d", "STEAM-US-20", 1, "20.00"))
        .await;
    assert_eq!(s, 404);
    assert_eq!(body["error"]["code"], "not_found");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn stock_endpoint_and_stock_control() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    let (s, body) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(s, 200);
    assert_eq!(
        body,
        json!({"sku": "STEAM-US-20", "available": true, "quantity": null,
               "wholesale_price": "18.40", "currency": "USD"})
    );
    let (s, _) = client
        .control("stock", json!({"sku": "STEAM-US-20", "available": false}))
        .await;
    assert_eq!(s, 200);
    let (_, body) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(body["available"], false);
    let row = sandbox
        .state()
        .catalog_rows()
        .into_iter()
        .find(|r| r["sku"] == "STEAM-US-20")
        .unwrap();
    assert_eq!(row["in_stock"], false);
    assert_ne!(row["updated_at"], "2026-11-01T00:00:00Z");

    let (s, body) = client
        .control(
            "stock",
            json!({"sku": "STEAM-US-20", "available": true, "quantity": 7}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["quantity"], 7);
    let (_, body) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(
        (body["available"].clone(), body["quantity"].clone()),
        (json!(true), json!(7))
    );
    let (s, _) = client
        .control("stock", json!({"sku": "NOPE", "available": true}))
        .await;
    assert_eq!(s, 404);
    sandbox.shutdown().await;
}
