//! Inbound endpoints with their secrets opened, cached: every webhook needs its
//! endpoint, and the cache saves a store round trip and an unseal on each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crypto::MasterKey;
use crate::error::{CryptoError, StoreError};
use crate::store::Store;
use crate::verify::Provider;

/// How long an endpoint stays cached; endpoints are only ever added, so this
/// bounds staleness only for rows changed by hand.
const ENDPOINT_TTL: Duration = Duration::from_secs(60);
const ENDPOINT_CACHE_MAX: usize = 10_000;

/// An inbound endpoint with its secrets opened, ready to verify deliveries.
pub(crate) struct OpenEndpoint {
    pub(crate) id: String,
    pub(crate) shop_id: String,
    pub(crate) provider: Provider,
    pub(crate) secrets: Vec<String>,
}

impl std::fmt::Debug for OpenEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets (nor the id, which is the URL's capability).
        f.debug_struct("OpenEndpoint")
            .field("shop_id", &self.shop_id)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Why an endpoint could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EndpointError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the endpoint's secrets cannot be opened: {0}")]
    Crypto(#[from] CryptoError),
    #[error("the endpoint names an unknown provider")]
    Provider,
}

/// Opened endpoints by id, each kept for `ENDPOINT_TTL`.
#[derive(Debug, Default)]
pub(crate) struct EndpointCache {
    endpoints: Mutex<HashMap<String, (Arc<OpenEndpoint>, Instant)>>,
}

impl EndpointCache {
    /// The endpoint named `id`, secrets opened with `key`; from the cache when
    /// it is fresh there, else from `store`.
    pub(crate) async fn get(
        &self,
        store: &Store,
        key: &MasterKey,
        id: &str,
    ) -> Result<Option<Arc<OpenEndpoint>>, EndpointError> {
        let cached = {
            let cache = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .get(id)
                .filter(|(_, at)| at.elapsed() < ENDPOINT_TTL)
                .map(|(endpoint, _)| endpoint.clone())
        };
        if cached.is_some() {
            return Ok(cached);
        }
        let Some(record) = store.endpoint(id).await? else {
            return Ok(None);
        };
        let plain = key.open(record.id.as_bytes(), &record.sealed_secrets)?;
        let secrets: Vec<String> = serde_json::from_slice(&plain).map_err(|_| CryptoError::Open)?;
        let provider: Provider = record
            .provider
            .parse()
            .map_err(|_| EndpointError::Provider)?;
        let endpoint = Arc::new(OpenEndpoint {
            id: record.id,
            shop_id: record.shop_id,
            provider,
            secrets,
        });
        let mut cache = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ENDPOINT_CACHE_MAX {
            cache.clear();
        }
        cache.insert(id.to_owned(), (endpoint.clone(), Instant::now()));
        Ok(Some(endpoint))
    }
}
