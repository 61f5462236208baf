//! A small harness for tests that cross crates and processes: a sandbox supplier on
//! loopback with its fault controls, a fresh data folder, and the `codetill` binary.

pub mod bench;
#[cfg(unix)]
pub mod cli;
/// The throwaway PostgreSQL the relay's tests use, shared with these.
#[path = "../../crates/relay/tests/common/pg.rs"]
pub mod pg;
pub mod remote;
#[cfg(unix)]
pub mod smtp;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codetill_core::db::Db;
use codetill_core::secrets::Redacted;
use codetill_core::supplier::{
    BambooClient, BambooConfig, DingClient, DingConfig, ReloadlyClient, ReloadlyConfig, Supplier,
    WholesaleClient, WholesaleConfig,
};
pub use codetill_sandbox::Flavor;
use codetill_sandbox::{SandboxConfig, SandboxHandle};
use serde_json::Value;

pub const KEY: &str = "sandbox-key";
/// The client id the sandbox's Reloadly flavors accept (the secret is [`KEY`]).
pub const RELOADLY_CLIENT_ID: &str = "sandbox-client";

/// The AccountId of the sandbox's Bamboo flavor.
pub const BAMBOO_ACCOUNT: i64 = 1001;
/// The shop's phone number Ding PIN products are sent to.
pub const DING_SHOP_NUMBER: &str = "447700900123";

/// Runs an `async fn NAME(flavor: Flavor)` test once per supplier API the sandbox
/// speaks: `flavored!(NAME, …)` makes `NAME::wholesale`, `NAME::reloadly`,
/// `NAME::bamboo` and `NAME::ding`.
#[macro_export]
macro_rules! flavored {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn wholesale() {
                super::$name($crate::Flavor::Wholesale).await
            }
            #[tokio::test]
            async fn reloadly() {
                super::$name($crate::Flavor::Reloadly).await
            }
            #[tokio::test]
            async fn bamboo() {
                super::$name($crate::Flavor::Bamboo).await
            }
            #[tokio::test]
            async fn ding() {
                super::$name($crate::Flavor::Ding).await
            }
        }
    )*};
}

/// A sandbox supplier serving on 127.0.0.1, stopped when dropped with the runtime.
pub struct Sandbox {
    handle: SandboxHandle,
    pub http: reqwest::Client,
}

impl Sandbox {
    pub async fn start(products: usize) -> anyhow::Result<Sandbox> {
        Sandbox::start_flavor(products, Flavor::Wholesale).await
    }

    /// A sandbox speaking `flavor`'s API.
    pub async fn start_flavor(products: usize, flavor: Flavor) -> anyhow::Result<Sandbox> {
        let config = SandboxConfig {
            products,
            api_key: KEY.to_string(),
            flavor,
            ..SandboxConfig::default()
        };
        let handle = codetill_sandbox::spawn(([127, 0, 0, 1], 0).into(), config).await?;
        let sandbox = Sandbox {
            handle,
            http: reqwest::Client::new(),
        };
        if flavor == Flavor::Bamboo {
            // The suites sell one product many times a minute: Bamboo's 6 per product
            // per minute has tests of its own (bamboo_adapter).
            sandbox
                .control("bamboo", serde_json::json!({ "per_product": 1_000_000 }))
                .await?;
        }
        Ok(sandbox)
    }

    pub fn url(&self) -> String {
        self.handle.base_url()
    }

    pub fn handle(&self) -> &SandboxHandle {
        &self.handle
    }

    pub fn flavor(&self) -> Flavor {
        self.handle.state().flavor()
    }

    /// The sku a client of this flavor sees for the sandbox's `sku` (the same for
    /// Wholesale API v1; `RLD-<productId>-<face>` for Reloadly). Unknown skus stay.
    pub fn sku(&self, sku: &str) -> String {
        self.handle
            .state()
            .client_sku(sku)
            .unwrap_or_else(|| sku.to_string())
    }

    /// The client of this sandbox's flavor, as the till would build it.
    pub fn supplier(&self) -> anyhow::Result<Arc<dyn Supplier>> {
        self.supplier_with(Duration::from_secs(5))
    }

    pub fn supplier_with(&self, request_timeout: Duration) -> anyhow::Result<Arc<dyn Supplier>> {
        Ok(match self.flavor() {
            Flavor::Wholesale => Arc::new(self.client_with(KEY, request_timeout)?),
            Flavor::Reloadly | Flavor::ReloadlyAirtime => {
                Arc::new(self.reloadly_client(request_timeout)?)
            }
            Flavor::Bamboo => Arc::new(BambooClient::new(self.bamboo_config(request_timeout))?),
            Flavor::Ding => Arc::new(DingClient::new(self.ding_config(request_timeout))?),
        })
    }

    /// A Bamboo client for this sandbox, polling briefly (Bamboo's own 500 ms between
    /// orders kept, as the sandbox enforces it).
    pub fn bamboo_config(&self, request_timeout: Duration) -> BambooConfig {
        let mut config = BambooConfig::new(
            format!("{}/", self.url()),
            Redacted::new(RELOADLY_CLIENT_ID.to_string()),
            Redacted::new(KEY.to_string()),
            BAMBOO_ACCOUNT,
        );
        config.request_timeout = request_timeout;
        config.connect_timeout = Duration::from_secs(2);
        config.poll_budget = Duration::from_millis(300);
        config.poll_interval = Duration::from_millis(50);
        config.per_product_limit = 1_000_000;
        config
    }

    /// A Ding client for this sandbox, polling briefly.
    pub fn ding_config(&self, request_timeout: Duration) -> DingConfig {
        let mut config = DingConfig::new(
            format!("{}/", self.url()),
            Redacted::new(KEY.to_string()),
            DING_SHOP_NUMBER,
        );
        config.request_timeout = request_timeout;
        config.connect_timeout = Duration::from_secs(2);
        config.poll_budget = Duration::from_millis(300);
        config.poll_interval = Duration::from_millis(50);
        config
    }

    /// A Reloadly client for this sandbox (its own token host), waiting briefly for
    /// processing orders so that fault tests run in seconds.
    pub fn reloadly_client(&self, request_timeout: Duration) -> anyhow::Result<ReloadlyClient> {
        Ok(ReloadlyClient::new(self.reloadly_config(request_timeout))?)
    }

    pub fn reloadly_config(&self, request_timeout: Duration) -> ReloadlyConfig {
        let mut config = ReloadlyConfig::new(
            self.url(),
            self.url(),
            RELOADLY_CLIENT_ID,
            Redacted::new(KEY.to_string()),
            self.flavor() == Flavor::ReloadlyAirtime,
        );
        config.request_timeout = request_timeout;
        config.connect_timeout = Duration::from_secs(2);
        config.settle_budget = Duration::from_millis(300);
        config.poll_interval = Duration::from_millis(50);
        config
    }

    /// POST to a `/_sandbox/` control and return its JSON answer.
    pub async fn control(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/_sandbox/{path}", self.url()))
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(
            status.is_success(),
            "control {path} answered {status}: {value}"
        );
        Ok(value)
    }

    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        self.http
            .delete(format!("{}/_sandbox/faults", self.url()))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    pub async fn counters(&self) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}/_sandbox/counters", self.url()))
            .send()
            .await?
            .json()
            .await?)
    }

    /// A Wholesale API client for this sandbox.
    pub fn client(&self) -> anyhow::Result<WholesaleClient> {
        self.client_with(KEY, Duration::from_secs(5))
    }

    pub fn client_with(
        &self,
        key: &str,
        request_timeout: Duration,
    ) -> anyhow::Result<WholesaleClient> {
        let mut config = WholesaleConfig::new(self.url(), Redacted::new(key.to_string()));
        config.request_timeout = request_timeout;
        config.connect_timeout = Duration::from_secs(2);
        Ok(WholesaleClient::new(config)?)
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}

/// A fresh database in a temporary folder (kept alive by the returned guard); with
/// `CODETILL_E2E_DB=postgres`, a fresh database on the test PostgreSQL instead
/// (the folder is still the till's data folder).
pub async fn temp_db() -> anyhow::Result<(tempfile::TempDir, Db)> {
    let dir = tempfile::tempdir()?;
    let db = match on_postgres() {
        Some(cluster) => Db::connect(&cluster.fresh_db().await).await?,
        None => Db::open(&dir.path().join("codetill.db")).await?,
    };
    Ok((dir, db))
}

/// The test PostgreSQL, when `CODETILL_E2E_DB=postgres` runs these tests on it.
pub fn on_postgres() -> Option<&'static pg::PgCluster> {
    match std::env::var("CODETILL_E2E_DB").as_deref() {
        Ok("postgres") => pg::cluster(),
        _ => None,
    }
}

/// The `codetill` binary built beside this test (run `cargo build` first; `./test.sh` does).
pub fn codetill_bin() -> PathBuf {
    // A bench may time another build of the binary (a release one) from a dev harness.
    if let Some(bin) = std::env::var_os("CODETILL_BENCH_BIN") {
        return PathBuf::from(bin);
    }
    let mut dir = std::env::current_exe().unwrap_or_default();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(format!("codetill{}", std::env::consts::EXE_SUFFIX))
}

/// A shop ready to sell: a sandbox supplier, a synced catalog and an order engine
/// with short timeouts, so that fault tests run in seconds.
pub struct Shop {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    pub db: Db,
    pub engine: codetill_core::orders::Engine,
}

/// The vault key tests use.
pub const VAULT_KEY: [u8; 32] = [7; 32];

impl Shop {
    pub async fn open(products: usize) -> anyhow::Result<Shop> {
        Shop::open_flavor(products, Flavor::Wholesale).await
    }

    /// A shop whose supplier speaks `flavor`'s API.
    pub async fn open_flavor(products: usize, flavor: Flavor) -> anyhow::Result<Shop> {
        let sandbox = Sandbox::start_flavor(products, flavor).await?;
        let (dir, db) = temp_db().await?;
        codetill_core::catalog::sync(
            &db,
            sandbox.supplier()?.as_ref(),
            &codetill_core::catalog::SyncOptions::default(),
            &codetill_core::progress::NoProgress,
        )
        .await?;
        let engine = Shop::engine_for(&sandbox, &db)?;
        Ok(Shop {
            sandbox,
            dir,
            db,
            engine,
        })
    }

    /// Another till on the same database (its own name on leases).
    pub fn engine_for(sandbox: &Sandbox, db: &Db) -> anyhow::Result<codetill_core::orders::Engine> {
        let supplier = sandbox.supplier_with(Duration::from_millis(600))?;
        let vault = std::sync::Arc::new(codetill_core::vault::Vault::from_key(&VAULT_KEY));
        let mut engine = codetill_core::orders::Engine::new(db.clone(), supplier, vault);
        engine.options.lease = Duration::from_millis(1500);
        engine.options.budget = Duration::from_secs(10);
        engine.options.backoff_start = Duration::from_millis(50);
        engine.options.backoff_max = Duration::from_millis(500);
        Ok(engine)
    }

    /// The sku the shop sells the sandbox's `sku` under.
    pub fn sku(&self, sku: &str) -> String {
        self.sandbox.sku(sku)
    }

    /// The sandbox's orders (as the supplier recorded them), each under our
    /// `client_order_id`: Bamboo keeps an order by the UUIDv5 of it, and the Ding
    /// flavor numbers a transfer repeated under one DistributorRef (`KEY#2`).
    pub async fn supplier_orders(&self) -> anyhow::Result<Vec<Value>> {
        let v: Value = self
            .sandbox
            .http
            .get(format!("{}/_sandbox/orders", self.sandbox.url()))
            .send()
            .await?
            .json()
            .await?;
        let mut orders = v.as_array().cloned().unwrap_or_default();
        let ours: Vec<String> = sqlx::query_scalar("SELECT client_order_id FROM orders")
            .fetch_all(self.db.pool())
            .await?;
        let by_request_id: std::collections::HashMap<String, String> = ours
            .into_iter()
            .map(|k| (codetill_core::supplier::bamboo::request_id(&k), k))
            .collect();
        for o in &mut orders {
            let Some(key) = o["client_order_id"].as_str().map(str::to_string) else {
                continue;
            };
            let ours = match self.sandbox.flavor() {
                Flavor::Bamboo => by_request_id.get(&key).cloned(),
                Flavor::Ding => key.split_once('#').map(|(k, _)| k.to_string()),
                _ => None,
            };
            if let Some(ours) = ours {
                o["client_order_id"] = Value::String(ours);
            }
        }
        Ok(orders)
    }
}
