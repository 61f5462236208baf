//! The relay's shared state: the store, settings, wake-ups, metrics, rate
//! limits, the ingest writer and the endpoint cache, behind one cheap handle
//! that every handler gets. It starts the background tasks and stops them.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::RelayConfig;
use crate::endpoints::{EndpointCache, EndpointError, OpenEndpoint};
use crate::error::StoreError;
use crate::flag::until_true;
use crate::hub::{self, Hub};
use crate::ingest::IngestQueue;
use crate::limit::RateLimiter;
use crate::metrics::Metrics;
use crate::retention;
use crate::store::Store;

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
    endpoints: EndpointCache,
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
                endpoints: EndpointCache::default(),
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
        retention::sweep(self.store(), self.config().retention, self.now_ms()).await
    }

    /// The endpoint named `id`, secrets opened; cached for a minute.
    pub(crate) async fn endpoint(
        &self,
        id: &str,
    ) -> Result<Option<Arc<OpenEndpoint>>, EndpointError> {
        let inner = &self.inner;
        inner
            .endpoints
            .get(&inner.store, &inner.config.master_key, id)
            .await
    }
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
