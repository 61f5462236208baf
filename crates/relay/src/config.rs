//! The relay's settings, with the contract's defaults.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::crypto::MasterKey;

#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Opens the endpoints' sealed webhook secrets.
    pub master_key: MasterKey,
    /// Acknowledged bodies older than this are dropped (contract default: 30 days).
    pub retention: Duration,
    /// How often the retention job runs.
    pub retention_every: Duration,
    /// Sustained webhooks per second allowed per endpoint; 0 turns the limit off.
    pub rate_per_second: f64,
    /// Burst allowed per endpoint above the sustained rate.
    pub rate_burst: u32,
    /// A waiting reader re-reads the store at least this often, in case a wake-up
    /// was lost (a Postgres LISTEN connection that dropped and came back).
    pub recheck_every: Duration,
    /// Stripe's signature tolerance: |now − t| above this is stale.
    pub stripe_tolerance: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// A request's head must arrive within this; it is also how long a
    /// kept-alive connection may wait for its next request.
    pub header_timeout: Duration,
    /// A request's body must arrive within this, counted from its head.
    pub body_timeout: Duration,
    /// A connection on which no request runs and no byte moves for this long
    /// is closed (a client that stopped reading its answer).
    pub idle_timeout: Duration,
    pub clock: Arc<dyn Clock>,
}

impl RelayConfig {
    pub fn new(master_key: MasterKey) -> Self {
        Self {
            master_key,
            retention: Duration::from_secs(30 * 24 * 3600),
            retention_every: Duration::from_secs(3600),
            rate_per_second: 100.0,
            rate_burst: 500,
            recheck_every: Duration::from_secs(10),
            stripe_tolerance: Duration::from_secs(300),
            // Under the usual soft limit of 1024 open files, with room for the store.
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            clock: Arc::new(SystemClock),
        }
    }
}
