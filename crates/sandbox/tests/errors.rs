//! Auth and every error code of the contract, in-process through `app()`.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{AUTH, call, call_order, error_code, order_body, state};
use serde_json::json;

#[tokio::test]
async fn every_v1_route_requires_the_bearer_key() {
    let s = state(100);
    let routes = [
        ("GET", "/v1/catalog"),
        ("GET", "/v1/stock/STEAM-US-20"),
        ("GET", "/v1/balance"),
        ("POST", "/v1/orders"),
        ("GET", "/v1/orders/ct-1"),
    ];
    for (method, path) in routes {
        for headers in [
            vec![],
            vec![("authorization", "Bearer wrong")],
            vec![("authorization", "Basic c2FuZGJveC1rZXk=")],
            vec![("authorization", "sandbox-key")],
        ] {
            let (status, h, body) = call(&s, method, path, &headers, None).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {headers:?}"
            );
            assert_eq!(h["www-authenticate"], "Bearer");
            assert_eq!(
                body,
                json!({"error": {"code": "unauthorized", "message": "missing or invalid API key", "retry_after_s": null}})
            );
        }
    }
    let (status, _, body) = call(&s, "GET", "/v1/balance", &[AUTH], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["available"], "100000.00");
    assert!(body["updated_at"].as_str().unwrap().ends_with('Z'));
    // Nothing counted for refused requests.
    assert_eq!(s.counters().order_posts, 0);
    assert_eq!(s.counters().balance_requests, 1);
}

#[tokio::test]
async fn not_found_for_unknown_things() {
    let s = state(100);
    for path in [
        "/v1/stock/NOPE-1",
        "/v1/orders/never-sent",
        "/v1/nothing",
        "/elsewhere",
    ] {
        let (status, _, body) = call(&s, "GET", path, &[AUTH], None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(&body), "not_found", "{path}");
    }
    let (status, body) = call_order(&s, order_body("ct-x", "NOPE-1", 1, "10.00")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    assert!(s.orders().is_empty());
}

#[tokio::test]
async fn order_bodies_are_validated_naming_the_field() {
    let s = state(100);
    let good = order_body("ct-1", "STEAM-US-20", 1, "18.40");
    let cases = [
        (
            json!({"client_order_id": "", "sku": "STEAM-US-20", "quantity": 1, "max_unit_price": "18.40"}),
            "client_order_id",
        ),
        (
            json!({"sku": "STEAM-US-20", "quantity": 1, "max_unit_price": "18.40"}),
            "client_order_id",
        ),
        (
            json!({"client_order_id": "ct-1", "quantity": 1, "max_unit_price": "18.40"}),
            "sku",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": 5, "quantity": 1, "max_unit_price": "18.40"}),
            "sku",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": 0, "max_unit_price": "18.40"}),
            "quantity",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": 11, "max_unit_price": "18.40"}),
            "quantity",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": 1.5, "max_unit_price": "18.40"}),
            "quantity",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": "1", "max_unit_price": "18.40"}),
            "quantity",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": 1, "max_unit_price": 18.40}),
            "max_unit_price",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": 1, "max_unit_price": "cheap"}),
            "max_unit_price",
        ),
        (
            json!({"client_order_id": "ct-1", "sku": "STEAM-US-20", "quantity": 1}),
            "max_unit_price",
        ),
        (json!([1, 2]), "JSON object"),
    ];
    for (body, field) in cases {
        let (status, _, resp) = call(
            &s,
            "POST",
            "/v1/orders",
            &[AUTH, ("idempotency-key", "ct-1")],
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&resp), "invalid_request");
        let msg = resp["error"]["message"].as_str().unwrap();
        assert!(msg.contains(field), "{msg:?} should name {field}");
    }
    // The Idempotency-Key header: required, and equal to client_order_id.
    let (status, _, resp) = call(&s, "POST", "/v1/orders", &[AUTH], Some(good.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    let (status, _, resp) = call(
        &s,
        "POST",
        "/v1/orders",
        &[AUTH, ("idempotency-key", "ct-other")],
        Some(good.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    // Not JSON at all.
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/orders")
        .header("authorization", "Bearer sandbox-key")
        .header("idempotency-key", "ct-1")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(codetill_sandbox::app(s.clone()), req)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(s.orders().is_empty());
    assert_eq!(s.balance().to_string(), "100000.00");
}

#[tokio::test]
async fn refusals_charge_nothing() {
    let s = state(100);
    // price_changed
    let (st, _, _) = call(
        &s,
        "POST",
        "/_sandbox/price",
        &[],
        Some(json!({"sku": "STEAM-US-20", "wholesale_price": "19.00"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (status, body) = call_order(&s, order_body("ct-1", "STEAM-US-20", 1, "18.40")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "price_changed");
    assert!(body["error"]["message"].as_str().unwrap().contains("19.00"));

    // out_of_stock
    call(
        &s,
        "POST",
        "/_sandbox/stock",
        &[],
        Some(json!({"sku": "STEAM-US-20", "available": false})),
    )
    .await;
    let (status, body) = call_order(&s, order_body("ct-2", "STEAM-US-20", 1, "19.00")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "out_of_stock");
    call(
        &s,
        "POST",
        "/_sandbox/stock",
        &[],
        Some(json!({"sku": "STEAM-US-20", "available": true, "quantity": 2})),
    )
    .await;
    let (status, body) = call_order(&s, order_body("ct-3", "STEAM-US-20", 3, "19.00")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "out_of_stock");

    // insufficient_balance
    call(
        &s,
        "POST",
        "/_sandbox/balance",
        &[],
        Some(json!({"set": "10.00"})),
    )
    .await;
    let (status, body) = call_order(&s, order_body("ct-4", "STEAM-US-20", 1, "19.00")).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(error_code(&body), "insufficient_balance");

    assert!(s.orders().is_empty());
    assert_eq!(s.balance().to_string(), "10.00");
    // A refused key is not burnt: the same key works once the cause is gone.
    call(
        &s,
        "POST",
        "/_sandbox/balance",
        &[],
        Some(json!({"add": "90.00"})),
    )
    .await;
    let (status, body) = call_order(&s, order_body("ct-4", "STEAM-US-20", 1, "19.00")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["balance_after"], "81.00");
}

#[tokio::test]
async fn idempotency_conflict_on_a_changed_body() {
    let s = state(100);
    let (status, first) = call_order(&s, order_body("ct-1", "STEAM-US-20", 1, "18.40")).await;
    assert_eq!(status, StatusCode::CREATED);
    for changed in [
        order_body("ct-1", "STEAM-US-20", 2, "18.40"),
        order_body("ct-1", "STEAM-US-20", 1, "20.00"),
        order_body("ct-1", "STEAM-GB-20", 1, "18.40"),
    ] {
        let (status, body) = call_order(&s, changed).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error_code(&body), "idempotency_conflict");
    }
    // "18.4" is the same price as "18.40": a replay.
    let (status, again) = call_order(&s, order_body("ct-1", "STEAM-US-20", 1, "18.4")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);
    assert_eq!(s.orders().len(), 1);
}

#[tokio::test]
async fn fault_errors_have_the_contract_shape() {
    let s = state(100);
    let add = |spec: serde_json::Value| {
        let s = s.clone();
        async move {
            let (st, _, rule) = call(&s, "POST", "/_sandbox/faults", &[], Some(spec)).await;
            assert_eq!(st, StatusCode::OK, "{rule}");
            rule
        }
    };
    let rule = add(json!({"endpoint": "balance", "kind": "rate_limit", "retry_after_s": 7})).await;
    assert_eq!(rule["id"], 1);
    assert_eq!(rule["times"], 1);
    let (status, headers, body) = call(&s, "GET", "/v1/balance", &[AUTH], None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["retry_after_s"], 7);

    add(json!({"endpoint": "stock", "kind": "error_503"})).await;
    let (status, _, body) = call(&s, "GET", "/v1/stock/STEAM-US-20", &[AUTH], None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_code(&body), "unavailable");

    add(json!({"endpoint": "catalog", "kind": "error_500", "status": 502})).await;
    let (status, _, body) = call(&s, "GET", "/v1/catalog", &[AUTH], None).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error_code(&body), "internal");

    add(json!({"endpoint": "orders.create", "kind": "error_500"})).await;
    let (status, body) = call_order(&s, order_body("ct-1", "STEAM-US-20", 1, "18.40")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_code(&body), "internal");
    assert!(s.orders().is_empty(), "error_500 creates nothing");

    // Each rule fired once; everything works again.
    let (status, _, _) = call(&s, "GET", "/v1/balance", &[AUTH], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.counters().faults_fired, 4);

    // Bad rules are refused.
    for bad in [
        json!({"endpoint": "catalog", "kind": "create_then_500"}),
        json!({"endpoint": "nowhere", "kind": "error_500"}),
        json!({"endpoint": "catalog", "kind": "explode"}),
        json!({"endpoint": "catalog", "kind": "error_500", "rate": 2.0}),
    ] {
        let (st, _, body) = call(&s, "POST", "/_sandbox/faults", &[], Some(bad.clone())).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(&body), "invalid_request");
    }
}

#[tokio::test]
async fn dropping_in_process_says_so() {
    let s = state(50);
    call(
        &s,
        "POST",
        "/_sandbox/faults",
        &[],
        Some(json!({"endpoint": "balance", "kind": "drop"})),
    )
    .await;
    let (status, _, body) = call(&s, "GET", "/v1/balance", &[AUTH], None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dropped")
    );
}

#[tokio::test]
async fn controls_validate_their_input() {
    let s = state(50);
    let cases = [
        (
            "/_sandbox/price",
            json!({"sku": "NOPE", "wholesale_price": "1.00"}),
            StatusCode::NOT_FOUND,
        ),
        (
            "/_sandbox/price",
            json!({"sku": "STEAM-US-20", "wholesale_price": "abc"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/_sandbox/reprice",
            json!({"fraction": 2, "percent": "5"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/_sandbox/balance",
            json!({"add": "1", "set": "2"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/_sandbox/balance",
            json!({"set": "-1"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/_sandbox/pending",
            json!({"seconds": 1, "then": "maybe"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/_sandbox/latency",
            json!({"fixed": 5}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, body, want) in cases {
        let (status, _, resp) = call(&s, "POST", path, &[], Some(body.clone())).await;
        assert_eq!(status, want, "{path} {body}");
        assert!(resp["error"]["code"].is_string());
    }
}
