//! The relay's router: the contract's routes over a started [`Relay`].

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::relay::Relay;
use crate::routes::{self, BODY_LIMIT, events, health, inbound, stream};

/// The relay's routes (`relay-api.md`); testable with `tower::ServiceExt::oneshot`.
pub fn app(relay: Relay) -> Router {
    Router::new()
        .route("/in/{endpoint_id}", post(inbound::receive))
        .route("/v1/events", get(events::list))
        .route("/v1/events/stream", get(stream::stream))
        .route("/v1/events/ack", post(events::ack))
        .route("/v1/status", get(events::status))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(relay)
}
