//! One till: the application layer the app and the CLI both stand on.
//!
//! A [`Till`] owns the shop's database and data folder and, once asked for, its
//! supplier, its vault, the order engine built from them and the outbox of receipts
//! and emails. It holds the counter's rules that are not the engine's (one sale at a
//! time, one catalog sync at a time), raises the alerts its work calls for through
//! an [`AlertSink`], and does the background work a running till owes the shop
//! ([`ticks`]: finishing open orders, the outbox, the supplier health check, the
//! daily reconciliation, and following the relay). A front builds one and calls it: each Tauri command and
//! each CLI command is a few lines over these methods.
//!
//! Two kinds of till are used the same way: the shop's own (supplier and key from the
//! settings and the secret store, [`crate::setup`]) and one with a fixed supplier
//! and vault (the app's demo on the sandbox).

mod access;
mod claims;
pub mod counter_app;
pub mod daily_sync;
pub mod database;
pub mod drawer;
mod drawer_setting;
mod error;
mod home;
mod reconcile;
mod sale;
pub mod settings;
pub mod shared;
mod shift;
pub mod tax;
pub mod ticks;
pub mod updates;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio::sync::Mutex;

use crate::alerts::{Alert, AlertError, AlertSink, LogSink};
use crate::catalog;
use crate::db::Db;
use crate::delivery::Outbox;
use crate::delivery::{DeliveryConfig, PrinterSpec};
use crate::orders::Engine;
use crate::progress::ProgressSink;
use crate::secrets::{EnvFirst, KeyringStore, SecretStore};
use crate::setup;
use crate::supplier::{Supplier, Suppliers};
use crate::vault::{KeySource, Vault};

pub use database::{DATABASE_URL_ENV, DatabaseError, ShopUrl, UrlFrom};
pub use error::TillError;
pub use home::{
    COMMAND_LINE_STAFF, Clerk, DATA_DIR_ENV, DB_FILE, STAFF_ENV, TILL_ID_ENV, data_dir,
    data_dir_from, db_path,
};
pub use sale::{Handover, Item, Print};
pub use ticks::SupplierStatus;

/// The keyring service the shop's secrets live under.
pub const KEYRING_SERVICE: &str = "codetill";

/// Where this till's supplier comes from.
pub enum Source {
    /// The shop's configured supplier (settings + secret store), looked up when
    /// first needed.
    Shop,
    /// A supplier and vault fixed at creation (the demo's sandbox); receipts go to
    /// `receipts` as PDFs while no printer is set up.
    Fixed {
        supplier: Arc<dyn Supplier>,
        vault: Arc<Vault>,
        receipts: Option<PathBuf>,
    },
}

pub struct Till {
    db: Db,
    data_dir: PathBuf,
    source: Source,
    /// Built on first use; a failure (no supplier yet) is not remembered.
    engine: Mutex<Option<Arc<Engine>>>,
    /// The suppliers (and which are in routing), built on first use and kept: the
    /// counter's engine and background recovery route the same way.
    suppliers: Mutex<Option<Arc<Suppliers>>>,
    vault: Mutex<Option<Arc<Vault>>>,
    /// Built on first use from the settings; dropped when they change.
    outbox: Mutex<Option<Arc<Outbox>>>,
    /// Held for the length of a sale: a second confirm while one is under way is
    /// refused, never queued (a double press must not buy twice).
    selling: Mutex<()>,
    /// One catalog sync at a time (a second "Sync now" is refused, not queued).
    syncing: Mutex<()>,
    /// Where the supplier key and the vault key live (the OS keyring for the shop).
    secrets: Arc<dyn SecretStore>,
    /// Who hears of new alerts (the desktop, stderr); the log until a front says.
    alerts: RwLock<Arc<dyn AlertSink>>,
    /// What the last supplier health check found.
    supplier_status: RwLock<SupplierStatus>,
    /// When the daily rates source was last read (a failing one waits an hour).
    rates_tried: RwLock<Option<std::time::Instant>>,
    /// When a daily reconciliation last failed (it waits an hour before trying again).
    reconcile_failed: RwLock<Option<std::time::Instant>>,
    /// The server this till opened, and where its URL came from (none: the SQLite
    /// file, or a till built on a database it was given).
    opened_with: Option<ShopUrl>,
    /// On a shop whose data is on PostgreSQL, this till's own copy of the catalog,
    /// which its searches read.
    /// (Opened at the first search: a till that only sells never makes one.)
    catalog_copy: Option<tokio::sync::OnceCell<Arc<crate::catalog::CatalogCopy>>>,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Till {
    /// The shop's own till over `data_dir`'s database, its secrets in `secrets`.
    pub fn shop(db: Db, data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Till {
        Till::new(db, data_dir, Source::Shop, secrets)
    }

    /// Opens (creating and migrating) the shop's database as the shop's till: the
    /// PostgreSQL server its tills share when `CODETILL_DATABASE_URL`, else the URL
    /// kept in the keyring, names one ([`database::shop_url`]); else the SQLite file
    /// in `data_dir`.
    pub async fn open_shop(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Till, DatabaseError> {
        let url = database::shop_url(secrets.clone(), data_dir).await?;
        Till::open_shop_on(data_dir, secrets, url).await
    }

    /// As [`Till::open_shop`], on the server `url` names (none: the SQLite file).
    pub async fn open_shop_on(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        url: Option<ShopUrl>,
    ) -> Result<Till, DatabaseError> {
        let mut till = match &url {
            Some(url) => {
                let db = Db::connect(url.expose())
                    .await?
                    .for_till(&database::till_key(data_dir)?);
                let mut till = Till::shop(db, data_dir, secrets);
                till.catalog_copy = Some(tokio::sync::OnceCell::new());
                till
            }
            None => Till::shop(Db::open(&db_path(data_dir)).await?, data_dir, secrets),
        };
        till.opened_with = url;
        // Audit rows from before the chain existed are sealed once.
        crate::staff::audit::seal_backfill(&till.db).await?;
        Ok(till)
    }

    pub fn new(db: Db, data_dir: &Path, source: Source, secrets: Arc<dyn SecretStore>) -> Till {
        Till {
            db,
            data_dir: data_dir.to_path_buf(),
            source,
            engine: Mutex::new(None),
            suppliers: Mutex::new(None),
            vault: Mutex::new(None),
            outbox: Mutex::new(None),
            selling: Mutex::new(()),
            syncing: Mutex::new(()),
            secrets,
            alerts: RwLock::new(Arc::new(LogSink)),
            supplier_status: RwLock::new(SupplierStatus::default()),
            rates_tried: RwLock::new(None),
            reconcile_failed: RwLock::new(None),
            opened_with: None,
            catalog_copy: None,
        }
    }

    /// Search as staff type (see [`crate::catalog::search`]): this till's copy of
    /// the catalog when the shop's data is on PostgreSQL, else the database itself.
    pub async fn search(
        &self,
        text: &str,
        limit: u32,
    ) -> Result<Vec<crate::product::Product>, crate::catalog::CatalogError> {
        match &self.catalog_copy {
            Some(copy) => {
                let copy = copy
                    .get_or_try_init(|| async {
                        let copy =
                            Arc::new(crate::catalog::CatalogCopy::open(&self.data_dir).await?);
                        // Level from now on with every change any till makes.
                        copy.follow(self.db.clone());
                        Ok::<_, crate::db::DbError>(copy)
                    })
                    .await?;
                copy.search(&self.db, text, limit).await
            }
            None => crate::catalog::search(self.db.pool(), text, limit).await,
        }
    }

    /// The OS keyring, environment variables first (headless use): the shop's secrets.
    pub fn os_secrets() -> Arc<dyn SecretStore> {
        Arc::new(EnvFirst::new(KeyringStore::new(KEYRING_SERVICE)))
    }

    /// From now on new alerts are told to `sink`.
    pub fn set_alert_sink(&self, sink: Arc<dyn AlertSink>) {
        shared::replace(&self.alerts, sink);
    }

    /// Tells the alert sink of each new alert a rule raised; a rule whose alert could
    /// not be stored is logged (the work that raised it stands).
    pub(crate) async fn tell<I: IntoIterator<Item = Alert>>(&self, found: Result<I, AlertError>) {
        let raised = match found {
            Ok(raised) => raised,
            Err(e) => {
                tracing::error!(error = %e, "an alert could not be stored");
                return;
            }
        };
        let sink = shared::read(&self.alerts);
        for alert in raised {
            sink.raised(&alert).await;
        }
    }

    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        self.secrets.clone()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Syncs the catalog from each enabled supplier in turn, reporting progress; a
    /// second sync while one runs is refused. A sync that moved wholesale prices by
    /// more than [`crate::alerts::DRIFT_PCT`] raises price drift. With several
    /// suppliers the report adds theirs up; one that fails does not stop the others,
    /// and its error is answered once they have run.
    pub async fn sync_catalog(
        &self,
        options: &catalog::SyncOptions,
        progress: &dyn ProgressSink,
    ) -> Result<catalog::SyncReport, TillError> {
        let Ok(_syncing) = self.syncing.try_lock() else {
            return Err(TillError::Busy("a catalog sync is already running"));
        };
        let suppliers = self.suppliers().await?;
        tracing::info!("catalog sync asked for");
        let mut total: Option<catalog::SyncReport> = None;
        let mut failed = None;
        for (name, supplier, enabled) in suppliers.all() {
            if !enabled {
                continue;
            }
            let options = catalog::SyncOptions {
                account: name.map(str::to_string),
                ..options.clone()
            };
            match catalog::sync(&self.db, supplier.as_ref(), &options, progress).await {
                Ok(report) => {
                    self.tell(crate::alerts::after_sync(&self.db, report.run_id).await)
                        .await;
                    match &mut total {
                        None => total = Some(report),
                        Some(t) => t.add(report),
                    }
                }
                Err(e) => {
                    tracing::warn!(supplier = ?name, error = %e, "catalog sync failed");
                    failed.get_or_insert(e);
                }
            }
        }
        match (failed, total) {
            (Some(e), _) => Err(e.into()),
            (None, Some(report)) => Ok(report),
            (None, None) => Err(crate::setup::SetupError::NoSupplier.into()),
        }
    }

    /// Is a supplier configured (a URL in the environment or the settings)? The key
    /// is only checked when the supplier is first used.
    pub async fn has_supplier(&self) -> Result<bool, TillError> {
        Ok(match self.source {
            Source::Shop => setup::has_supplier(&self.db).await?,
            Source::Fixed { .. } => true,
        })
    }

    /// The key that encrypts codes at rest, opened once per till.
    pub async fn vault(&self) -> Result<Arc<Vault>, TillError> {
        if let Source::Fixed { vault, .. } = &self.source {
            return Ok(vault.clone());
        }
        let mut slot = self.vault.lock().await;
        if let Some(v) = slot.as_ref() {
            return Ok(v.clone());
        }
        let (vault, source) = setup::vault(&self.db, &self.data_dir, self.secrets()).await?;
        if let KeySource::NewDataFile(path) = &source {
            tracing::warn!(
                path = %path.display(),
                "no OS keyring: the key that encrypts codes was created in the data folder; keep it safe"
            );
        }
        let vault = Arc::new(vault);
        *slot = Some(vault.clone());
        Ok(vault)
    }

    /// The shop's main supplier: its single one when configured, else the first
    /// enabled account (the balance and the health check the counter shows).
    pub async fn supplier(&self) -> Result<Arc<dyn Supplier>, TillError> {
        let suppliers = self.suppliers().await?;
        let primary = suppliers.primary().map(|(_, s)| s);
        Ok(primary.ok_or(setup::SetupError::NoSupplier)?)
    }

    /// Every supplier this till buys from, and which of them are in routing.
    pub async fn suppliers(&self) -> Result<Arc<Suppliers>, TillError> {
        let mut slot = self.suppliers.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let suppliers = Arc::new(match &self.source {
            Source::Shop => setup::suppliers(&self.db, self.secrets()).await?,
            Source::Fixed { supplier, .. } => Suppliers::single(supplier.clone()),
        });
        *slot = Some(suppliers.clone());
        Ok(suppliers)
    }

    /// Drops the engine and suppliers built from the old supplier settings: the
    /// next sale builds them from the new URLs, keys and accounts.
    pub async fn forget_supplier(&self) {
        *self.engine.lock().await = None;
        *self.suppliers.lock().await = None;
    }

    /// The counter's order engine.
    pub async fn engine(&self) -> Result<Arc<Engine>, TillError> {
        let mut slot = self.engine.lock().await;
        if let Some(e) = slot.as_ref() {
            return Ok(e.clone());
        }
        let engine = Arc::new(self.new_engine().await?);
        *slot = Some(engine.clone());
        Ok(engine)
    }

    /// Search results with the stock the counter's engine last heard at a quote
    /// ([`Engine::list_stock`]); none is made for it, and a busy slot is skipped.
    pub fn list_stock(&self, products: &mut [crate::product::Product]) {
        if let Ok(slot) = self.engine.try_lock()
            && let Some(engine) = slot.as_ref()
        {
            engine.list_stock(products);
        }
    }

    /// An engine of its own (its own name on order leases), for background recovery:
    /// it never drives an order the counter's engine is driving.
    pub async fn new_engine(&self) -> Result<Engine, TillError> {
        let suppliers = self.suppliers().await?;
        let vault = self.vault().await?;
        Ok(Engine::routed(self.db.clone(), suppliers, vault))
    }

    /// This till's outbox (receipts and emails): the printer and mail server from
    /// the environment or the settings.
    pub async fn outbox(&self) -> Result<Arc<Outbox>, TillError> {
        let mut slot = self.outbox.lock().await;
        if let Some(o) = slot.as_ref() {
            return Ok(o.clone());
        }
        let mut config = DeliveryConfig::load(&self.db, self.secrets()).await?;
        if let Source::Fixed {
            receipts: Some(folder),
            ..
        } = &self.source
            && config.printer.is_none()
        {
            config.printer = Some(Ok(PrinterSpec::Pdf {
                folder: folder.clone(),
            }));
        }
        let outbox = Arc::new(Outbox::new(self.db.clone(), self.vault().await?, config));
        *slot = Some(outbox.clone());
        Ok(outbox)
    }

    /// Forget the outbox so the next use reads the settings again.
    pub async fn forget_outbox(&self) {
        *self.outbox.lock().await = None;
    }

    /// The receipt printer, when one is set up and usable.
    pub async fn printer(&self) -> Option<PrinterSpec> {
        match self.outbox().await {
            Ok(outbox) => outbox.config().printer().ok().cloned(),
            Err(e) => {
                tracing::warn!(error = %e, "no receipt printer: the outbox cannot be opened");
                None
            }
        }
    }
}
