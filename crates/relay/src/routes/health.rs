//! `GET /healthz` (liveness and a store round trip) and `GET /metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::relay::Relay;

pub(crate) async fn healthz(State(relay): State<Relay>) -> impl IntoResponse {
    let store = relay.store().backend();
    match relay.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "store": store })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "store": store })),
            )
        }
    }
}

pub(crate) async fn metrics(State(relay): State<Relay>) -> impl IntoResponse {
    let backlog = relay.store().backlog().await.ok();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        relay.metrics().render(backlog, relay.now_ms()),
    )
}
