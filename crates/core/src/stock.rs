//! Availability at the supplier. Listings are served from a short-lived cache (5–15
//! minutes: stock moves slowly, and asking for every row of a result list would hammer
//! the supplier); a checkout always asks live and refreshes the cache with the answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::supplier::{Stock, Supplier, SupplierError};

pub struct StockCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Stock)>>,
}

impl StockCache {
    pub const MIN_TTL: Duration = Duration::from_secs(5 * 60);
    pub const MAX_TTL: Duration = Duration::from_secs(15 * 60);

    /// A cache whose entries live `ttl`, held within 5–15 minutes.
    pub fn new(ttl: Duration) -> StockCache {
        StockCache {
            ttl: ttl.clamp(Self::MIN_TTL, Self::MAX_TTL),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// For listings: the cached answer while fresh, else a live one.
    pub async fn listing(
        &self,
        supplier: &dyn Supplier,
        sku: &str,
    ) -> Result<Stock, SupplierError> {
        self.listing_at(supplier, sku, Instant::now()).await
    }

    /// [`StockCache::listing`] as of `now` (tests move time by hand).
    pub async fn listing_at(
        &self,
        supplier: &dyn Supplier,
        sku: &str,
        now: Instant,
    ) -> Result<Stock, SupplierError> {
        if let Some(stock) = self.fresh(sku, now) {
            return Ok(stock);
        }
        self.live_at(supplier, sku, now).await
    }

    /// For checkout: always asks the supplier, and keeps the answer for listings.
    pub async fn live(&self, supplier: &dyn Supplier, sku: &str) -> Result<Stock, SupplierError> {
        self.live_at(supplier, sku, Instant::now()).await
    }

    async fn live_at(
        &self,
        supplier: &dyn Supplier,
        sku: &str,
        now: Instant,
    ) -> Result<Stock, SupplierError> {
        match supplier.stock(sku).await {
            Ok(stock) => {
                if let Ok(mut map) = self.entries.lock() {
                    map.insert(sku.to_string(), (now, stock.clone()));
                }
                Ok(stock)
            }
            Err(e) => {
                // A product the supplier no longer knows must not linger as available;
                // an outage says nothing about the product.
                if !e.is_transient() {
                    self.forget(sku);
                }
                Err(e)
            }
        }
    }

    /// The supplier's answer about `sku` while it is fresh, asking nobody (a search
    /// result list, shown at every keystroke).
    pub fn cached(&self, sku: &str) -> Option<Stock> {
        self.fresh(sku, Instant::now())
    }

    fn fresh(&self, sku: &str, now: Instant) -> Option<Stock> {
        let map = self.entries.lock().ok()?;
        let (at, stock) = map.get(sku)?;
        (now.saturating_duration_since(*at) < self.ttl).then(|| stock.clone())
    }

    /// The supplier's last answer about `sku`, however old (for a claim, when it
    /// cannot be asked).
    pub fn last_known(&self, sku: &str) -> Option<Stock> {
        let map = self.entries.lock().ok()?;
        map.get(sku).map(|(_, stock)| stock.clone())
    }

    pub fn forget(&self, sku: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(sku);
        }
    }
}
