//! Each fault kind over real HTTP, including connections dropped for real.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Client, KEY, order_body, start};
use serde_json::{Value, json};

async fn add_fault(client: &Client, spec: Value) -> Value {
    let (s, rule) = client.control("faults", spec).await;
    assert_eq!(s, 200, "{rule}");
    rule
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(&client, json!({"endpoint": "balance", "kind": "drop"})).await;
    let result = client
        .http
        .get(format!("{}/v1/balance", client.base))
        .bearer_auth(KEY)
        .send()
        .await;
    let err = result.expect_err("a dropped connection is not a response");
    assert!(err.status().is_none());
    assert!(!err.is_timeout(), "{err:?}");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    // times = 1: the next request is answered.
    let (s, _) = client.get("/v1/balance").await;
    assert_eq!(s, 200);
    assert_eq!(sandbox.state().counters().faults_fired, 1);
    assert_eq!(sandbox.state().counters().balance_requests, 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn drop_on_order_creation_creates_nothing() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "orders.create", "kind": "drop"}),
    )
    .await;
    let body = order_body("ct-drop", "STEAM-US-20", 1, "18.40");
    assert!(client.order_request(&body).send().await.is_err());
    let (s, _) = client.get("/v1/orders/ct-drop").await;
    assert_eq!(s, 404, "nothing was created, so the client may POST again");
    let (s, _) = client.order(&body).await;
    assert_eq!(s, 201);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn create_then_drop_creates_the_order_and_answers_nothing() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "orders.create", "kind": "create_then_drop"}),
    )
    .await;
    let body = order_body("ct-ctd", "STEAM-US-20", 1, "18.40");
    let err = client.order_request(&body).send().await.unwrap_err();
    assert!(err.status().is_none(), "{err:?}");
    // The ambiguous-outcome rule: look the order up by its key.
    let (s, found) = client.get("/v1/orders/ct-ctd").await;
    assert_eq!(s, 200);
    assert_eq!(found["status"], "completed");
    let (s, replay) = client.order(&body).await;
    assert_eq!(s, 200);
    assert_eq!(replay, found);
    let c = sandbox.state().counters();
    assert_eq!((c.orders_created, c.order_posts), (1, 2));
    assert_eq!(sandbox.state().balance().to_string(), "99981.60");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn create_then_500_creates_the_order_and_answers_500() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "orders.create", "kind": "create_then_500"}),
    )
    .await;
    let body = order_body("ct-ct5", "STEAM-US-20", 1, "18.40");
    let (s, err) = client.order(&body).await;
    assert_eq!(s, 500);
    assert_eq!(err["error"]["code"], "internal");
    let (s, found) = client.get("/v1/orders/ct-ct5").await;
    assert_eq!(s, 200);
    let (s, replay) = client.order(&body).await;
    assert_eq!(s, 200);
    assert_eq!(replay, found);
    assert_eq!(sandbox.state().orders().len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn error_kinds_on_orders_create_nothing() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    for (kind, status) in [("error_500", 500), ("error_503", 503), ("rate_limit", 429)] {
        add_fault(&client, json!({"endpoint": "orders.create", "kind": kind})).await;
        let id = format!("ct-{kind}");
        let resp = client
            .order_request(&order_body(&id, "STEAM-US-20", 1, "18.40"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status);
        if kind == "rate_limit" {
            assert_eq!(resp.headers()["retry-after"], "1");
        }
        let (s, _) = client.get(&format!("/v1/orders/{id}")).await;
        assert_eq!(s, 404, "{kind}");
    }
    assert!(sandbox.state().orders().is_empty());
    assert_eq!(sandbox.state().balance().to_string(), "100000.00");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn hold_then_create_creates_after_the_client_gave_up() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 700}),
    )
    .await;
    let body = order_body("ct-hold", "STEAM-US-20", 1, "18.40");
    let err = client
        .order_request(&body)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // Not created yet: the client cannot tell, and GET says 404.
    let (s, _) = client.get("/v1/orders/ct-hold").await;
    assert_eq!(s, 404);
    // A retry with the same key, sent during the hold, waits and then replays.
    let started = Instant::now();
    let (s, replay) = client.order(&body).await;
    assert_eq!(s, 200, "{replay}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    let (s, found) = client.get("/v1/orders/ct-hold").await;
    assert_eq!(s, 200);
    assert_eq!(found, replay);
    assert_eq!(sandbox.state().counters().orders_created, 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn hold_then_create_without_a_retry_still_creates() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "orders.create", "kind": "hold_then_create", "hold_ms": 300}),
    )
    .await;
    let body = order_body("ct-hold2", "STEAM-US-20", 1, "18.40");
    let _ = client
        .order_request(&body)
        .timeout(Duration::from_millis(50))
        .send()
        .await
        .unwrap_err();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (s, o) = client.get("/v1/orders/ct-hold2").await;
    assert_eq!(s, 200);
    assert_eq!(o["status"], "completed");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn delay_and_latency_slow_requests_down() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "stock", "kind": "delay", "hold_ms": 300}),
    )
    .await;
    let started = Instant::now();
    let (s, _) = client.get("/v1/stock/STEAM-US-20").await;
    assert_eq!(s, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let (s, _) = client
        .control("latency", json!({"fixed_ms": 400, "jitter_ms": 50}))
        .await;
    assert_eq!(s, 200);
    let started = Instant::now();
    client.get("/v1/balance").await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    client
        .control("latency", json!({"fixed_ms": 0, "jitter_ms": 0}))
        .await;
    let started = Instant::now();
    client.get("/v1/balance").await;
    assert!(started.elapsed() < Duration::from_millis(400));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn skip_times_rate_and_any() {
    let sandbox = start(100).await;
    let client = Client::new(&sandbox);
    add_fault(
        &client,
        json!({"endpoint": "stock", "kind": "error_500", "skip": 1, "times": 2}),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(client.get("/v1/stock/STEAM-US-20").await.0.as_u16());
    }
    assert_eq!(statuses, [200, 500, 500, 200, 200]);

    let resp = client
        .http
        .delete(format!("{}/_sandbox/faults", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    add_fault(
        &client,
        json!({"endpoint": "any", "kind": "error_503", "times": 0, "rate": 0.5}),
    )
    .await;
    let mut failed = 0;
    for i in 0..60 {
        let path = if i % 2 == 0 {
            "/v1/balance"
        } else {
            "/v1/catalog?limit=1"
        };
        if client.get(path).await.0 == 503 {
            failed += 1;
        }
    }
    assert!((10..50).contains(&failed), "{failed}");
    let rules: Vec<Value> = client
        .http
        .get(format!("{}/_sandbox/faults", client.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["fired"], failed);
    assert_eq!(rules[0]["matched"], 60);
    let id = rules[0]["id"].as_u64().unwrap();
    let resp = client
        .http
        .delete(format!("{}/_sandbox/faults/{id}", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(client.get("/v1/balance").await.0, 200);
    sandbox.shutdown().await;
}
