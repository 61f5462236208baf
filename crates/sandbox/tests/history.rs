//! The account's history for reconciliation: `GET /v1/orders?since=&until=` pages
//! without codes, and the controls that make the supplier's books disagree with a
//! till's (a charge changed after the fact, a failed order completed after all).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Client, order_body, start};
use serde_json::{Value, json};

/// Every page of the window, following `next_cursor`.
async fn list(client: &Client, query: &str) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut pages = 0;
    let mut cursor = String::new();
    loop {
        let (status, page) = client
            .get(&format!("/v1/orders?{query}&limit=2{cursor}"))
            .await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        rows.extend(page["orders"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return (rows, pages),
        }
    }
}

#[tokio::test]
async fn orders_of_a_window_are_listed_oldest_first_in_pages_without_codes() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    for i in 0..5 {
        let (status, _) = client
            .order(&order_body(&format!("ct-{i}"), "STEAM-US-20", 1, "18.40"))
            .await;
        assert_eq!(status, 201);
    }
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    let window = format!(
        "since={}&until={}",
        before.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        after.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    let (rows, pages) = list(&client, &window).await;
    assert_eq!(pages, 3);
    let keys: Vec<&str> = rows
        .iter()
        .map(|o| o["client_order_id"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["ct-0", "ct-1", "ct-2", "ct-3", "ct-4"]);
    for o in &rows {
        assert_eq!(o["codes"], json!([]), "a list never carries codes");
        assert_eq!(o["total"], "18.40");
        assert_eq!(o["status"], "completed");
    }
    // A window that ended before them is empty.
    let earlier = format!(
        "since=2026-01-01T00:00:00Z&until={}",
        before.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    assert!(list(&client, &earlier).await.0.is_empty());
    let (status, bad) = client.get("/v1/orders?since=yesterday").await;
    assert_eq!(
        (status.as_u16(), bad["error"]["code"].clone()),
        (400, json!("invalid_request"))
    );
    let (status, _) = client.get("/v1/orders?cursor=zzz").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_charge_changed_after_the_fact_moves_the_balance_by_the_difference() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    client
        .order(&order_body("ct-a", "STEAM-US-20", 1, "18.40"))
        .await;
    let (status, changed) = client
        .control(
            "charge",
            json!({ "client_order_id": "ct-a", "total": "19.00" }),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (_, order) = client.get("/v1/orders/ct-a").await;
    assert_eq!(order["total"], "19.00");
    let (_, balance) = client.get("/v1/balance").await;
    assert_eq!(balance["available"], "99981.00");
    let (status, _) = client
        .control("charge", json!({ "client_order_id": "nope", "total": "1" }))
        .await;
    assert_eq!(status, 404);
    let (status, _) = client
        .control("complete", json!({ "client_order_id": "ct-a" }))
        .await;
    assert_eq!(status, 404, "only a failed order completes after all");
}

#[tokio::test]
async fn a_failed_order_completes_after_all_charged_and_with_codes() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    client
        .control(
            "pending",
            json!({ "seconds": 0, "times": 1, "then": "failed" }),
        )
        .await;
    client
        .order(&order_body("ct-f", "STEAM-US-20", 1, "18.40"))
        .await;
    let (_, failed) = client.get("/v1/orders/ct-f").await;
    assert_eq!(failed["status"], "failed");
    let (_, balance) = client.get("/v1/balance").await;
    assert_eq!(
        balance["available"], "100000.00",
        "a failed order is refunded"
    );
    let (status, done) = client
        .control("complete", json!({ "client_order_id": "ct-f" }))
        .await;
    assert_eq!(status, 200, "{done}");
    let (_, order) = client.get("/v1/orders/ct-f").await;
    assert_eq!(order["status"], "completed");
    assert_eq!(order["codes"].as_array().unwrap().len(), 1);
    let (_, balance) = client.get("/v1/balance").await;
    assert_eq!(balance["available"], "99981.60");
}
