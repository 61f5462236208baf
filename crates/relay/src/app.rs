//! The relay's shared state and its router.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::RelayConfig;
use crate::error::{CryptoError, StoreError};
use crate::hub::{self, Hub};
use crate::ingest::IngestQueue;
use crate::limit::RateLimiter;
use crate::metrics::Metrics;
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

/// Everything the handlers share; cheap to clone.
#[derive(Debug, Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    config: RelayConfig,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    limiter: RateLimiter,
    ingest: IngestQueue,
    /// True once the server stops accepting: long-polls and streams end.
    closing: watch::Sender<bool>,
    /// True once no request is left in flight: the writer drains and stops.
    stopping: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Saves a store round trip and an unseal on every webhook.
    endpoints: Mutex<HashMap<String, (Arc<OpenEndpoint>, Instant)>>,
}

impl Relay {
    /// Start the relay's background tasks (the ingest writer and, on Postgres,
    /// the LISTEN task) on the current tokio runtime.
    pub fn start(store: Store, config: RelayConfig) -> Relay {
        let hub = Arc::new(Hub::default());
        let metrics = Arc::new(Metrics::default());
        let (closing, _) = watch::channel(false);
        let (stopping, _) = watch::channel(false);
        let (ingest, writer) = IngestQueue::start(
            store.clone(),
            hub.clone(),
            metrics.clone(),
            stopping.subscribe(),
        );
        let mut tasks = vec![writer];
        if let Some(pool) = store.pg_pool() {
            tasks.push(tokio::spawn(hub::listen_postgres(
                pool.clone(),
                hub.clone(),
                closing.subscribe(),
            )));
        }
        if let Store::Sqlite(_) = store {
            tasks.push(tokio::spawn(checkpoint_every_second(
                store.clone(),
                closing.subscribe(),
            )));
        }
        let limiter = RateLimiter::new(config.rate_per_second, config.rate_burst);
        Relay {
            inner: Arc::new(Inner {
                store,
                config,
                hub,
                metrics,
                limiter,
                ingest,
                closing,
                stopping,
                tasks: Mutex::new(tasks),
                endpoints: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    pub(crate) fn ingest(&self) -> &IngestQueue {
        &self.inner.ingest
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.inner.config.clock.now_ms()
    }

    /// Turns true when the relay begins to close.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Stop serving readers: long-polls answer, streams end, background jobs stop.
    /// Inbound deliveries in flight are still committed.
    pub fn begin_closing(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Close, let the writer commit what is queued, and wait for the background tasks.
    pub async fn stop(&self) {
        self.begin_closing();
        self.inner.stopping.send_replace(true);
        let tasks =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Run the retention sweep once (the server also runs it periodically).
    pub async fn sweep_retention(&self) -> Result<u64, StoreError> {
        crate::retention::sweep(self).await
    }

    /// The endpoint named `id`, secrets opened; cached for a minute.
    pub(crate) async fn endpoint(
        &self,
        id: &str,
    ) -> Result<Option<Arc<OpenEndpoint>>, EndpointError> {
        let cached = {
            let cache = self
                .inner
                .endpoints
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            cache
                .get(id)
                .filter(|(_, at)| at.elapsed() < ENDPOINT_TTL)
                .map(|(endpoint, _)| endpoint.clone())
        };
        if cached.is_some() {
            return Ok(cached);
        }
        let Some(record) = self.inner.store.endpoint(id).await? else {
            return Ok(None);
        };
        let plain = self
            .inner
            .config
            .master_key
            .open(record.id.as_bytes(), &record.sealed_secrets)?;
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
        let mut cache = self
            .inner
            .endpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ENDPOINT_CACHE_MAX {
            cache.clear();
        }
        cache.insert(id.to_owned(), (endpoint.clone(), Instant::now()));
        Ok(Some(endpoint))
    }
}

/// The relay's routes (`relay-api.md`); testable with `tower::ServiceExt::oneshot`.
pub fn app(relay: Relay) -> Router {
    use crate::routes::{events, health, inbound, stream};
    Router::new()
        .route("/in/{endpoint_id}", post(inbound::receive))
        .route("/v1/events", get(events::list))
        .route("/v1/events/stream", get(stream::stream))
        .route("/v1/events/ack", post(events::ack))
        .route("/v1/status", get(events::status))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .fallback(crate::routes::not_found)
        .layer(DefaultBodyLimit::max(crate::BODY_LIMIT))
        .with_state(relay)
}

/// SQLite's WAL checkpoints, kept out of the commit path (the store turns off
/// the automatic ones). A passive checkpoint never blocks a writer.
async fn checkpoint_every_second(store: Store, mut closing: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            () = until_true(&mut closing) => break,
        }
        if let Err(e) = store.checkpoint().await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
    // Leave a small WAL behind for the next start.
    let _ = store.checkpoint().await;
}

/// Resolves once `flag` is true (or its sender is gone). The guard that
/// `wait_for` returns is dropped here, so callers stay `Send` across awaits.
pub(crate) async fn until_true(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}
