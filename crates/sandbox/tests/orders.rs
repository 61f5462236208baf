//! Orders over real HTTP: creation, replay, concurrency on one key, pending
//! orders, and the balance.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Client, order_body, start};
use serde_json::{Value, json};

fn is_code(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 3
        && groups.iter().all(|g| {
            g.len() == 5
                && g.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

#[tokio::test]
async fn create_then_replay_returns_the_same_order() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    let body = order_body("ct-01JDX6ZP0Q8Y1V2K3M4N5P6Q7R", "STEAM-US-20", 2, "18.40");
    let (status, created) = client.order(&body).await;
    assert_eq!(status, 201);
    assert_eq!(created["order_id"], "SO-000001");
    assert_eq!(created["client_order_id"], body["client_order_id"]);
    assert_eq!(created["status"], "completed");
    assert_eq!(created["sku"], "STEAM-US-20");
    assert_eq!(created["quantity"], 2);
    assert_eq!(created["unit_price"], "18.40");
    assert_eq!(created["total"], "36.80");
    assert_eq!(created["currency"], "USD");
    assert_eq!(created["failure"], Value::Null);
    assert_eq!(created["balance_after"], "99963.20");
    assert!(created["completed_at"].is_string() && created["created_at"].is_string());
    let codes = created["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 2);
    for c in codes {
        assert!(is_code(c["code"].as_str().unwrap()), "{c}");
        assert_eq!(c["pin"], Value::Null);
        assert!(c["serial"].as_str().unwrap().starts_with("SN-"));
        assert_eq!(c["expires_at"], Value::Null);
    }
    assert_ne!(codes[0]["code"], codes[1]["code"]);

    let (status, replay) = client.order(&body).await;
    assert_eq!(status, 200);
    assert_eq!(replay, created, "the original order, unchanged");
    let (status, fetched) = client.get("/v1/orders/ct-01JDX6ZP0Q8Y1V2K3M4N5P6Q7R").await;
    assert_eq!(status, 200);
    assert_eq!(fetched, created);

    let (_, balance) = client.get("/v1/balance").await;
    assert_eq!(balance["available"], "99963.20");
    let counters = sandbox.state().counters();
    assert_eq!(counters.orders_created, 1);
    assert_eq!(counters.order_posts, 2);
    assert_eq!(counters.order_gets, 1);
    assert_eq!(counters.balance_requests, 1);

    // The next order gets the next id.
    let (_, second) = client
        .order(&order_body("ct-2", "STEAM-US-20", 1, "18.40"))
        .await;
    assert_eq!(second["order_id"], "SO-000002");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn eight_concurrent_posts_with_one_key_create_one_order() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    let body = order_body("ct-same", "STEAM-US-20", 1, "18.40");
    let posts = (0..8).map(|_| {
        let req = client.order_request(&body);
        tokio::spawn(async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        })
    });
    let mut results = Vec::new();
    for p in posts {
        results.push(p.await.unwrap());
    }
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    let replayed = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, replayed), (1, 7), "{results:?}");
    let ids: HashSet<&Value> = results.iter().map(|(_, o)| &o["order_id"]).collect();
    assert_eq!(ids.len(), 1);
    let codes: HashSet<String> = results
        .iter()
        .map(|(_, o)| o["codes"].to_string())
        .collect();
    assert_eq!(codes.len(), 1, "every answer carries the same codes");
    assert_eq!(sandbox.state().orders().len(), 1);
    assert_eq!(sandbox.state().counters().orders_created, 1);
    assert_eq!(sandbox.state().balance().to_string(), "99981.60");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn concurrent_posts_while_the_first_is_held_wait_then_replay_or_conflict() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    let (s, _) = client
        .control(
            "faults",
            json!({"endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 400}),
        )
        .await;
    assert_eq!(s, 200);
    let body = order_body("ct-held", "STEAM-US-20", 1, "18.40");
    let first = {
        let req = client.order_request(&body);
        tokio::spawn(async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let same = {
        let reqs: Vec<_> = (0..4).map(|_| client.order_request(&body)).collect();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for r in futures_like(reqs).await {
                out.push(r);
            }
            out
        })
    };
    let different = client
        .order_request(&order_body("ct-held", "STEAM-US-20", 3, "18.40"))
        .send()
        .await
        .unwrap();
    assert_eq!(different.status().as_u16(), 409);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "waited for the first"
    );
    let (s1, o1) = first.await.unwrap();
    assert_eq!(s1, 201);
    for (s, o) in same.await.unwrap() {
        assert_eq!(s, 200);
        assert_eq!(o, o1);
    }
    assert_eq!(sandbox.state().counters().orders_created, 1);
    sandbox.shutdown().await;
}

/// Send requests concurrently and collect (status, body) in order.
async fn futures_like(reqs: Vec<reqwest::RequestBuilder>) -> Vec<(u16, Value)> {
    let handles: Vec<_> = reqs
        .into_iter()
        .map(|r| {
            tokio::spawn(async move {
                let resp = r.send().await.unwrap();
                (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn pending_order_completes_with_codes() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    let (s, _) = client.control("pending", json!({"seconds": 1.0})).await;
    assert_eq!(s, 200);
    let body = order_body("ct-p", "STEAM-US-20", 1, "18.40");
    let (status, created) = client.order(&body).await;
    assert_eq!(status, 201);
    assert_eq!(created["status"], "pending");
    assert_eq!(created["codes"], json!([]));
    assert_eq!(created["completed_at"], Value::Null);
    assert_eq!(
        created["balance_after"], "99981.60",
        "pending reserves the money"
    );
    let (_, polled) = client.get("/v1/orders/ct-p").await;
    assert_eq!(polled["status"], "pending");

    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (_, done) = client.get("/v1/orders/ct-p").await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["codes"].as_array().unwrap().len(), 1);
    assert!(done["completed_at"].is_string());
    let (status, replay) = client.order(&body).await;
    assert_eq!(status, 200);
    assert_eq!(replay, done);
    // The rule was for one order (times defaults to 1).
    let (_, next) = client
        .order(&order_body("ct-q", "STEAM-US-20", 1, "18.40"))
        .await;
    assert_eq!(next["status"], "completed");
    assert_eq!(sandbox.state().balance().to_string(), "99963.20");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn pending_order_that_fails_is_refunded() {
    let sandbox = start(200).await;
    let client = Client::new(&sandbox);
    client
        .control("stock", json!({"sku": "STEAM-US-20", "quantity": 5}))
        .await;
    let (s, _) = client
        .control(
            "pending",
            json!({"seconds": 1.0, "times": 0, "then": "failed"}),
        )
        .await;
    assert_eq!(s, 200);
    let mut ids = Vec::new();
    for i in 0..2 {
        let id = format!("ct-f{i}");
        let (status, o) = client
            .order(&order_body(&id, "STEAM-US-20", 2, "18.40"))
            .await;
        assert_eq!(status, 201);
        assert_eq!(o["status"], "pending");
        ids.push(id);
    }
    assert_eq!(sandbox.state().balance().to_string(), "99926.40");
    let (_, stock) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(stock["quantity"], 1);

    tokio::time::sleep(Duration::from_millis(1300)).await;
    for id in &ids {
        let (_, o) = client.get(&format!("/v1/orders/{id}")).await;
        assert_eq!(o["status"], "failed");
        assert_eq!(o["failure"]["code"], "out_of_stock");
        assert_eq!(o["codes"], json!([]));
    }
    assert_eq!(sandbox.state().balance().to_string(), "100000.00");
    let (_, stock) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(stock["quantity"], 5, "stock returned");

    // Clearing the rule ends the pending mode.
    client
        .http
        .delete(format!("{}/_sandbox/pending", client.base))
        .send()
        .await
        .unwrap();
    let (_, o) = client
        .order(&order_body("ct-after", "STEAM-US-20", 1, "18.40"))
        .await;
    assert_eq!(o["status"], "completed");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn stock_runs_out_and_mobile_topups_carry_pins() {
    let sandbox = start(2000).await;
    let client = Client::new(&sandbox);
    client
        .control("stock", json!({"sku": "STEAM-US-20", "quantity": 3}))
        .await;
    let (s, _) = client
        .order(&order_body("ct-a", "STEAM-US-20", 2, "18.40"))
        .await;
    assert_eq!(s, 201);
    let (s, body) = client
        .order(&order_body("ct-b", "STEAM-US-20", 2, "18.40"))
        .await;
    assert_eq!(s, 409);
    assert_eq!(body["error"]["code"], "out_of_stock");
    let (s, _) = client
        .order(&order_body("ct-c", "STEAM-US-20", 1, "18.40"))
        .await;
    assert_eq!(s, 201);
    let (_, stock) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(
        (stock["available"].clone(), stock["quantity"].clone()),
        (json!(false), json!(0))
    );

    let mobile = sandbox
        .state()
        .catalog_rows()
        .into_iter()
        .find(|r| r["category"] == "mobile_topup" && r["in_stock"] == true)
        .unwrap();
    let (s, o) = client
        .order(&order_body(
            "ct-m",
            mobile["sku"].as_str().unwrap(),
            1,
            mobile["wholesale_price"].as_str().unwrap(),
        ))
        .await;
    assert_eq!(s, 201, "{o}");
    let pin = o["codes"][0]["pin"].as_str().unwrap();
    assert!(pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn sandbox_orders_and_reset() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    client
        .order(&order_body("ct-1", "STEAM-US-20", 1, "18.40"))
        .await;
    client
        .control(
            "faults",
            json!({"endpoint": "any", "kind": "error_503", "times": 0}),
        )
        .await;
    client.control("latency", json!({"fixed_ms": 1})).await;
    let all: Vec<Value> = client
        .http
        .get(format!("{}/_sandbox/orders", client.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["client_order_id"], "ct-1");
    let (s, _) = client.get("/v1/balance").await;
    assert_eq!(s, 503);

    let (s, _) = client.control("reset", json!({})).await;
    assert_eq!(s, 200);
    let counters: Value = client
        .http
        .get(format!("{}/_sandbox/counters", client.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        counters,
        json!({"orders_created": 0, "order_posts": 0, "order_gets": 0, "catalog_requests": 0,
               "stock_requests": 0, "balance_requests": 0, "faults_fired": 0})
    );
    let (s, _) = client.get("/v1/balance").await;
    assert_eq!(s, 200, "faults cleared");
    assert_eq!(sandbox.state().orders().len(), 1, "orders kept");
    sandbox.shutdown().await;
}
