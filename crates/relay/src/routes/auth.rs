//! `Authorization: Bearer <client token>` → the shop it belongs to.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::ApiError;
use crate::crypto::hash_token;
use crate::relay::Relay;

/// The shop whose client token came with the request.
#[derive(Debug, Clone)]
pub(crate) struct AuthShop {
    pub(crate) id: String,
}

impl FromRequestParts<Relay> for AuthShop {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, relay: &Relay) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        // Looked up by digest: the store never sees the token itself.
        match relay.store().shop_for_token(&hash_token(token)).await? {
            Some(id) => Ok(AuthShop { id }),
            None => Err(ApiError::unauthorized()),
        }
    }
}
