//! `POST /in/{endpoint_id}`: a provider's webhook. Answered 200 only after the
//! event is durably committed (or was already stored).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::ApiError;
use crate::endpoints::EndpointError;
use crate::listener::BodyTimedOut;
use crate::relay::Relay;
use crate::store::{Inserted, NewEvent};
use crate::verify;

pub(crate) async fn receive(
    State(relay): State<Relay>,
    Path(endpoint_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let metrics = relay.metrics();
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            metrics.rejected("too_large");
            ApiError::too_large()
        } else if BodyTimedOut::caused(&rejection) {
            metrics.rejected("body_timeout");
            ApiError::body_timeout()
        } else {
            metrics.rejected("unreadable_body");
            ApiError::invalid("the body could not be read")
        }
    })?;
    let endpoint = match relay.endpoint(&endpoint_id).await {
        Ok(Some(endpoint)) => endpoint,
        Ok(None) => {
            metrics.rejected("unknown_endpoint");
            return Err(ApiError::not_found("no such endpoint"));
        }
        Err(EndpointError::Store(e)) => {
            metrics.rejected("store_unavailable");
            return Err(e.into());
        }
        Err(e) => {
            tracing::error!(error = %e, "an endpoint cannot be used");
            return Err(ApiError::internal());
        }
    };
    let provider = endpoint.provider;
    let now_ms = relay.now_ms();
    let tolerance_s = relay.config().stripe_tolerance.as_secs() as i64;
    let verified = verify::verify(
        provider,
        &endpoint.secrets,
        &headers,
        &body,
        now_ms.div_euclid(1000),
        tolerance_s,
    )
    .map_err(|rejection| {
        metrics.rejected(rejection.reason());
        tracing::info!(shop = %endpoint.shop_id, %provider, reason = rejection.reason(), "webhook refused");
        ApiError::invalid(rejection.to_string())
    })?;
    // Only a delivery whose signature verified spends the endpoint's rate:
    // forged posts must not make the provider's real webhooks wait.
    relay.limiter().check(&endpoint.id).map_err(|wait| {
        metrics.rejected("rate_limited");
        ApiError::rate_limited(wait)
    })?;
    let event = NewEvent {
        shop_id: endpoint.shop_id.clone(),
        endpoint_id: endpoint.id.clone(),
        provider: provider.as_str(),
        event_id: verified.event_id,
        event_type: verified.event_type,
        received_at_ms: now_ms,
        payload: verified.body,
    };
    match relay.ingest().submit(event).await {
        Ok(Inserted::Stored { cursor }) => {
            metrics.stored(provider);
            tracing::debug!(shop = %endpoint.shop_id, %provider, cursor, "event stored");
            Ok(Json(json!({ "received": true })))
        }
        Ok(Inserted::Duplicate) => {
            metrics.duplicate(provider);
            tracing::debug!(shop = %endpoint.shop_id, %provider, "duplicate event");
            Ok(Json(json!({ "received": true, "duplicate": true })))
        }
        Err(e) => {
            metrics.rejected("store_unavailable");
            Err(e.into())
        }
    }
}
