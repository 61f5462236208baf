//! Wholesale API v1 (`shared/contracts/supplier-api.md`): the default flavor.

use axum::Router;
use axum::routing::{get, post};

use crate::routes::{gate, v1};
use crate::state::SandboxState;

/// The contract's `/v1` routes behind their gate.
pub(crate) fn router(state: &SandboxState) -> Router<SandboxState> {
    Router::new()
        .route("/v1/catalog", get(v1::catalog))
        .route("/v1/stock/{sku}", get(v1::stock))
        .route("/v1/balance", get(v1::balance))
        .route("/v1/orders", post(v1::create_order).get(v1::list_orders))
        .route("/v1/orders/{client_order_id}", get(v1::get_order))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gate::v1_gate,
        ))
}
