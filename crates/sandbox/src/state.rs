//! [`SandboxState`]: everything the sandbox knows, behind one `Arc`.
//!
//! Locks are std locks held only for synchronous work, never across an await.
//! When both are needed the ledger is locked before the catalog. Order creation
//! additionally takes a per-key async lock (see [`SandboxState::create_order`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::catalog_gen;
use crate::config::{Flavor, SandboxConfig};
use crate::error::{ApiError, ErrorCode};
use crate::faults::{Endpoint, FaultBook, Latency};
use crate::ledger::{Ledger, Order, OrderRequest, Placed, Repeat};
use crate::wire::now;

/// A snapshot of the request counters (`GET /_sandbox/counters`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub orders_created: u64,
    pub order_posts: u64,
    pub order_gets: u64,
    pub catalog_requests: u64,
    pub stock_requests: u64,
    pub balance_requests: u64,
    pub faults_fired: u64,
}

#[derive(Default)]
pub(crate) struct CounterCells {
    pub orders_created: AtomicU64,
    pub order_posts: AtomicU64,
    pub order_gets: AtomicU64,
    pub catalog_requests: AtomicU64,
    pub stock_requests: AtomicU64,
    pub balance_requests: AtomicU64,
    pub faults_fired: AtomicU64,
}

impl CounterCells {
    fn cells(&self) -> [&AtomicU64; 7] {
        [
            &self.orders_created,
            &self.order_posts,
            &self.order_gets,
            &self.catalog_requests,
            &self.stock_requests,
            &self.balance_requests,
            &self.faults_fired,
        ]
    }

    fn snapshot(&self) -> Counters {
        let [a, b, c, d, e, f, g] = self.cells().map(|x| x.load(Ordering::Relaxed));
        Counters {
            orders_created: a,
            order_posts: b,
            order_gets: c,
            catalog_requests: d,
            stock_requests: e,
            balance_requests: f,
            faults_fired: g,
        }
    }

    fn reset(&self) {
        for c in self.cells() {
            c.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn bump(cell: &AtomicU64) {
        cell.fetch_add(1, Ordering::Relaxed);
    }
}

/// A raw row injected into catalog pages (`POST /_sandbox/bad_rows`).
#[derive(Debug, Clone)]
pub(crate) struct BadRow {
    pub page: usize,
    pub row: serde_json::Value,
}

pub(crate) struct Inner {
    pub flavor: Flavor,
    pub api_key: String,
    /// The Reloadly flavors' own state (tokens, product ids, quirks).
    pub reloadly: crate::flavors::reloadly::Extra,
    /// Bamboo's numeric product ids.
    pub bamboo: crate::flavors::bamboo::Ids,
    pub seed: u64,
    pub catalog: RwLock<Catalog>,
    pub ledger: Mutex<Ledger>,
    key_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub faults: Mutex<FaultBook>,
    pub latency: Mutex<Latency>,
    pub bad_rows: RwLock<Vec<BadRow>>,
    pub counters: CounterCells,
    pub reprices: AtomicU64,
}

/// The sandbox's whole state. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct SandboxState {
    inner: Arc<Inner>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

impl SandboxState {
    /// Generate the catalog and open the account.
    pub fn new(config: SandboxConfig) -> Self {
        let products = catalog_gen::generate(&config);
        let reloadly = crate::flavors::reloadly::Extra::new(config.flavor, &products);
        let bamboo = crate::flavors::bamboo::Ids::new(&products);
        let ledger = Ledger::new(
            Arc::from(config.currency.as_str()),
            config.initial_balance,
            now(),
        );
        Self {
            inner: Arc::new(Inner {
                flavor: config.flavor,
                reloadly,
                bamboo,
                api_key: config.api_key,
                seed: config.seed,
                catalog: RwLock::new(Catalog::new(products)),
                ledger: Mutex::new(ledger),
                key_locks: Mutex::new(HashMap::new()),
                faults: Mutex::new(FaultBook::new(config.seed)),
                latency: Mutex::new(Latency::default()),
                bad_rows: RwLock::new(Vec::new()),
                counters: CounterCells::default(),
                reprices: AtomicU64::new(0),
            }),
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The supplier API this sandbox serves.
    pub fn flavor(&self) -> Flavor {
        self.inner.flavor
    }

    /// The sku a client of this flavor sees for the sandbox product `sku`
    /// (Reloadly: `RLD-<productId>-<face>`; Bamboo: its numeric product id); `None`
    /// when there is no such product.
    pub fn client_sku(&self, sku: &str) -> Option<String> {
        let catalog = read(&self.inner.catalog);
        let product = catalog.get(sku)?;
        match self.inner.flavor {
            Flavor::Wholesale => Some(product.sku.to_string()),
            Flavor::Reloadly | Flavor::ReloadlyAirtime => {
                self.inner.reloadly.client_sku(self.inner.flavor, product)
            }
            Flavor::Bamboo => self.inner.bamboo.id(&product.sku).map(|id| id.to_string()),
            Flavor::Ding => Some(product.sku.to_string()),
        }
    }

    pub fn counters(&self) -> Counters {
        self.inner.counters.snapshot()
    }

    /// The current catalog as contract product objects, sorted by sku (injected
    /// bad rows are not included).
    pub fn catalog_rows(&self) -> Vec<serde_json::Value> {
        let catalog = read(&self.inner.catalog);
        catalog
            .iter()
            .filter_map(|p| serde_json::to_value(p.wire()).ok())
            .collect()
    }

    /// Number of products in the catalog now.
    pub fn product_count(&self) -> usize {
        read(&self.inner.catalog).len()
    }

    /// The account balance now.
    pub fn balance(&self) -> Decimal {
        lock(&self.inner.ledger).balance().0
    }

    /// All orders as contract order objects, oldest first.
    pub fn orders(&self) -> Vec<serde_json::Value> {
        let ledger = lock(&self.inner.ledger);
        ledger
            .orders()
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect()
    }

    pub(crate) fn count_request(&self, ep: Endpoint) {
        let c = &self.inner.counters;
        let cell = match ep {
            Endpoint::Catalog => &c.catalog_requests,
            Endpoint::Stock => &c.stock_requests,
            Endpoint::Balance => &c.balance_requests,
            Endpoint::OrdersCreate => &c.order_posts,
            Endpoint::OrdersGet => &c.order_gets,
            Endpoint::Any => return,
        };
        CounterCells::bump(cell);
    }

    /// Clear faults, latency, the pending rule, bad rows and counters.
    pub(crate) fn reset(&self) {
        lock(&self.inner.faults).clear();
        *lock(&self.inner.latency) = Latency::default();
        lock(&self.inner.ledger).set_pending(None);
        write(&self.inner.bad_rows).clear();
        self.inner.counters.reset();
    }

    fn key_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = lock(&self.inner.key_locks);
        Arc::clone(locks.entry(key.to_owned()).or_default())
    }

    /// Create (or replay) an order.
    ///
    /// The key is reserved at arrival with an async lock, so a second request
    /// with the same key waits for the first to finish and then sees its order
    /// (replay or conflict). The work runs in its own task: a client that hangs
    /// up mid-request must not cancel an order half made, and `hold` (the
    /// `hold_then_create` fault) must still create the order after the client
    /// has given up.
    pub(crate) async fn create_order(
        &self,
        req: OrderRequest,
        hold: Option<Duration>,
    ) -> Result<Placed, ApiError> {
        self.create_order_with(req, hold, Repeat::Replay, None)
            .await
    }

    /// [`SandboxState::create_order`] with a flavor's treatment of a repeated key.
    /// `race`: no key lock; the duplicate check happens `race` before the order is
    /// made, so two requests with one key arriving within it both execute.
    pub(crate) async fn create_order_with(
        &self,
        req: OrderRequest,
        hold: Option<Duration>,
        repeat: Repeat,
        race: Option<Duration>,
    ) -> Result<Placed, ApiError> {
        let key_lock = self.key_lock(&req.client_order_id);
        let state = self.clone();
        let task = tokio::spawn(async move {
            if let Some(window) = race {
                if let Some(hold) = hold {
                    tokio::time::sleep(hold).await;
                }
                if let Some(existing) = lock(&state.inner.ledger).get(&req.client_order_id) {
                    return Ok(Placed::Existing(existing.clone()));
                }
                tokio::time::sleep(window).await;
                return state.place_now(&req, Repeat::Execute);
            }
            let _reserved = key_lock.lock_owned().await;
            if let Some(hold) = hold {
                tokio::time::sleep(hold).await;
            }
            state.place_now(&req, repeat)
        });
        task.await.map_err(|e| {
            tracing::error!(error = %e, "order task failed");
            ApiError::new(ErrorCode::Internal, "order processing failed")
        })?
    }

    fn place_now(&self, req: &OrderRequest, repeat: Repeat) -> Result<Placed, ApiError> {
        let placed = {
            let mut ledger = lock(&self.inner.ledger);
            let mut catalog = write(&self.inner.catalog);
            ledger.place_with(&mut catalog, req, now(), repeat)?
        };
        if let Placed::Created(order) = &placed {
            CounterCells::bump(&self.inner.counters.orders_created);
            tracing::info!(
                order_id = %order.order_id,
                client_order_id = %order.client_order_id,
                sku = %order.sku,
                status = ?order.status,
                "order created"
            );
            if let Some((at, _)) = order.settle {
                let wait = (at - order.created_at).to_std().unwrap_or_default();
                let state = self.clone();
                let seq = order.seq;
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    state.settle_seq(seq, true);
                });
            }
        }
        Ok(placed)
    }

    fn settle_seq(&self, seq: u64, force: bool) {
        let Some(i) = usize::try_from(seq).ok().and_then(|s| s.checked_sub(1)) else {
            return;
        };
        let mut ledger = lock(&self.inner.ledger);
        let mut catalog = write(&self.inner.catalog);
        ledger.settle_at(&mut catalog, i, now(), force);
    }

    /// The order with ledger position `seq`, settled first like [`SandboxState::order`].
    pub(crate) fn order_at(&self, seq: u64) -> Option<Order> {
        let needs_settle = lock(&self.inner.ledger)
            .by_seq(seq)
            .is_some_and(|o| o.settle.is_some());
        if needs_settle {
            self.settle_seq(seq, false);
        }
        lock(&self.inner.ledger).by_seq(seq).cloned()
    }

    /// Orders matching `keep`, oldest first, each settled if its time has passed.
    pub(crate) fn orders_where(&self, keep: impl Fn(&Order) -> bool) -> Vec<Order> {
        let seqs: Vec<u64> = lock(&self.inner.ledger)
            .orders()
            .iter()
            .filter(|o| keep(o))
            .map(|o| o.seq)
            .collect();
        seqs.into_iter().filter_map(|s| self.order_at(s)).collect()
    }

    /// The order for a key, settling it first if its time has passed (so a
    /// busy runtime cannot make a poll see a stale `pending`).
    pub(crate) fn order(&self, key: &str) -> Option<Order> {
        let mut ledger = lock(&self.inner.ledger);
        let needs_settle = ledger.get(key).is_some_and(|o| o.settle.is_some());
        if needs_settle {
            let mut catalog = write(&self.inner.catalog);
            ledger.settle(&mut catalog, key, now(), false);
        }
        ledger.get(key).cloned()
    }

    pub(crate) fn next_reprice_seed(&self) -> u64 {
        let n = self.inner.reprices.fetch_add(1, Ordering::Relaxed);
        self.inner.seed.wrapping_add(n + 1)
    }
}
