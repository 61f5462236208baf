//! Helpers shared by the integration tests: a sandbox on 127.0.0.1:0, a client
//! that speaks the contract, and an in-process caller for `oneshot` tests.
#![allow(clippy::unwrap_used, dead_code)]

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use codetill_sandbox::{SandboxConfig, SandboxHandle, SandboxState, app, spawn};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const KEY: &str = "sandbox-key";

pub async fn start(products: usize) -> SandboxHandle {
    spawn(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            products,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap()
}

pub fn order_body(id: &str, sku: &str, quantity: u32, max: &str) -> Value {
    json!({ "client_order_id": id, "sku": sku, "quantity": quantity, "max_unit_price": max })
}

/// A client for a running sandbox.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub fn new(handle: &SandboxHandle) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            base: handle.base_url(),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        (status, resp.json().await.unwrap())
    }

    pub fn order_request(&self, body: &Value) -> reqwest::RequestBuilder {
        let key = body["client_order_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.http
            .post(format!("{}/v1/orders", self.base))
            .bearer_auth(KEY)
            .header("Idempotency-Key", key)
            .json(body)
    }

    pub async fn order(&self, body: &Value) -> (StatusCode, Value) {
        let resp = self.order_request(body).send().await.unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        (status, resp.json().await.unwrap())
    }

    pub async fn control(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/_sandbox/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        (status, resp.json().await.unwrap())
    }

    /// Walk the whole catalog; returns every row in order and the pages' totals.
    pub async fn walk(&self, limit: usize, updated_since: Option<&str>) -> (Vec<Value>, Vec<u64>) {
        let mut rows = Vec::new();
        let mut totals = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query: Vec<(&str, String)> = vec![("limit", limit.to_string())];
            if let Some(s) = updated_since {
                query.push(("updated_since", s.to_owned()));
            }
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let resp = self
                .http
                .get(format!("{}/v1/catalog", self.base))
                .bearer_auth(KEY)
                .query(&query)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            let page: Value = resp.json().await.unwrap();
            rows.extend(page["products"].as_array().unwrap().iter().cloned());
            totals.push(page["total"].as_u64().unwrap());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return (rows, totals),
            }
        }
    }
}

/// In-process call through `app(state)` with `oneshot`.
pub async fn call(
    state: &SandboxState,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(serde_json::to_vec(&v).unwrap())
        }
        None => Body::empty(),
    };
    let resp = app(state.clone())
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, value)
}

pub const AUTH: (&str, &str) = ("authorization", "Bearer sandbox-key");

pub fn state(products: usize) -> SandboxState {
    SandboxState::new(SandboxConfig {
        products,
        ..SandboxConfig::default()
    })
}

/// POST /v1/orders in-process with matching Idempotency-Key.
pub async fn call_order(state: &SandboxState, body: Value) -> (StatusCode, Value) {
    let key = body["client_order_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (s, _, v) = call(
        state,
        "POST",
        "/v1/orders",
        &[AUTH, ("idempotency-key", &key)],
        Some(body),
    )
    .await;
    (s, v)
}

pub fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}
