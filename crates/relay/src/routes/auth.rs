//! `Authorization: Bearer <client token>` → the shop it belongs to.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::ApiError;
use crate::crypto::hash_token;
use crate::error::StoreError;
use crate::relay::Relay;

/// The shop whose client token came with the request.
#[derive(Debug, Clone)]
pub(crate) struct AuthShop {
    pub(crate) id: String,
    /// The token's digest, to check again while a request waits or streams.
    token_hash: Vec<u8>,
}

impl AuthShop {
    /// Whether the token still names this shop: a rotation revokes it for
    /// requests already past the check (streams, waiting long-polls).
    pub(crate) async fn still_valid(&self, relay: &Relay) -> Result<bool, StoreError> {
        let shop = relay.store().shop_for_token(&self.token_hash).await?;
        Ok(shop.as_deref() == Some(self.id.as_str()))
    }
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
        let token_hash = hash_token(token);
        match relay.store().shop_for_token(&token_hash).await? {
            Some(id) => Ok(AuthShop { id, token_hash }),
            None => Err(ApiError::unauthorized()),
        }
    }
}
