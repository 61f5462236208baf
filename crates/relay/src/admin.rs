//! What the admin commands do (`shop add`, `endpoint add`, `token rotate`),
//! as functions the CLI and tests call. They work on the same store as a
//! running `serve`. Secrets never leave these functions except sealed.

use std::io::BufRead;

use serde::Serialize;

use crate::clock::{Clock, SystemClock};
use crate::crypto::{self, MasterKey, hash_token};
use crate::error::{RelayError, StoreError};
use crate::store::Store;
use crate::verify::Provider;

/// A new shop and its client token (shown once; only its hash is stored).
#[derive(Debug, Clone, Serialize)]
pub struct ShopCreated {
    pub shop_id: String,
    pub token: String,
}

/// A new inbound endpoint; the provider's dashboard gets `/in/<endpoint_id>`.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointCreated {
    pub shop_id: String,
    pub endpoint_id: String,
    pub provider: String,
}

pub async fn add_shop(store: &Store, name: &str) -> Result<ShopCreated, RelayError> {
    let shop_id = crypto::new_shop_id();
    let token = crypto::new_token();
    store
        .insert_shop(&shop_id, name, &hash_token(&token), SystemClock.now_ms())
        .await?;
    tracing::info!(shop = %shop_id, "shop added");
    Ok(ShopCreated { shop_id, token })
}

/// Add an endpoint for `provider` with `secrets` (any of them may sign; more
/// than one lets a secret be rolled without a gap).
pub async fn add_endpoint(
    store: &Store,
    key: &MasterKey,
    shop_id: &str,
    provider: &str,
    secrets: &[String],
) -> Result<EndpointCreated, RelayError> {
    let provider: Provider = provider.parse().map_err(RelayError::UnknownProvider)?;
    if secrets.is_empty() {
        return Err(RelayError::NoSecret);
    }
    let endpoint_id = crypto::new_endpoint_id();
    let plain = serde_json::to_vec(secrets).map_err(std::io::Error::other)?;
    let sealed = key.seal(endpoint_id.as_bytes(), &plain)?;
    match store
        .insert_endpoint(
            &endpoint_id,
            shop_id,
            provider.as_str(),
            &sealed,
            SystemClock.now_ms(),
        )
        .await
    {
        Err(StoreError::UnknownShop(shop)) => return Err(RelayError::UnknownShop(shop)),
        other => other?,
    }
    tracing::info!(shop = %shop_id, %provider, "endpoint added");
    Ok(EndpointCreated {
        shop_id: shop_id.to_owned(),
        endpoint_id,
        provider: provider.as_str().to_owned(),
    })
}

/// A new client token for the shop; the old one stops working at once.
pub async fn rotate_token(store: &Store, shop_id: &str) -> Result<ShopCreated, RelayError> {
    let token = crypto::new_token();
    if !store.set_token_hash(shop_id, &hash_token(&token)).await? {
        return Err(RelayError::UnknownShop(shop_id.to_owned()));
    }
    tracing::info!(shop = %shop_id, "client token rotated");
    Ok(ShopCreated {
        shop_id: shop_id.to_owned(),
        token,
    })
}

/// Webhook secrets from standard input: one per non-empty line, trimmed.
pub fn read_secrets(input: impl BufRead) -> Result<Vec<String>, RelayError> {
    let mut secrets = Vec::new();
    for line in input.lines() {
        let line = line?;
        let secret = line.trim();
        if !secret.is_empty() {
            secrets.push(secret.to_owned());
        }
    }
    if secrets.is_empty() {
        return Err(RelayError::NoSecret);
    }
    Ok(secrets)
}
