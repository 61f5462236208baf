//! The relay's routers over a started [`Relay`]: the contract's routes for the
//! public address, and `/metrics` for a private one.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::relay::Relay;
use crate::routes::{self, BODY_LIMIT, events, health, inbound, stream};

/// The relay's public routes (`relay-api.md`); testable with
/// `tower::ServiceExt::oneshot`. `/metrics` is not among them: it tells
/// anyone how busy each provider is, so it is served apart ([`metrics_app`]).
pub fn app(relay: Relay) -> Router {
    Router::new()
        .route("/in/{endpoint_id}", post(inbound::receive))
        .route("/v1/events", get(events::list))
        .route("/v1/events/stream", get(stream::stream))
        .route("/v1/events/ack", post(events::ack))
        .route("/v1/status", get(events::status))
        .route("/healthz", get(health::healthz))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(relay)
}

/// `GET /metrics` and `GET /healthz`, for a listener on a private address.
pub fn metrics_app(relay: Relay) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .route("/healthz", get(health::healthz))
        .fallback(routes::not_found)
        .with_state(relay)
}
