//! What the app holds while it runs: the shop's till (its database and where it
//! lives), the till the counter works on now (the shop's, or a demo's), and who is at
//! the till.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use codetill_core::alerts::SupplierCheck;
use codetill_core::catalog::SyncReport;
use codetill_core::db::{Db, DbError};
use codetill_core::orders::Sale;
use codetill_core::progress::ProgressSink;
use codetill_core::secrets::SecretStore;
use codetill_core::settings;
use serde::Serialize;

use crate::alerts::{Alerts, DesktopNotifier, Notifier};
use crate::demo;
use crate::error::AppError;
use crate::till::{Clerk, Handover, Till};

/// Overrides where the app keeps its data (tests, demos, a second till on one machine).
pub const DATA_DIR_ENV: &str = "CODETILL_DATA_DIR";
/// The database file inside the data dir.
pub const DB_FILE: &str = "codetill.db";

/// Tauri-managed state; commands receive it as `State<'_, AppState>`.
#[derive(Debug)]
pub struct AppState {
    shop: Arc<Till>,
    active: RwLock<Arc<Till>>,
    clerk: RwLock<Clerk>,
    demo_requested: bool,
    /// One demo start at a time (a double click starts one sandbox).
    demo_starting: tokio::sync::Mutex<()>,
    alerts: Alerts,
    last_sale: tokio::sync::Mutex<Option<String>>,
    supplier: RwLock<SupplierStatus>,
    /// Ticks when the settings or secrets change; the relay loop ([`crate::relay`])
    /// reads its config again on each tick.
    settings_changed: tokio::sync::watch::Sender<()>,
}

/// Did the supplier answer the last health check? The counter greys products out
/// while it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SupplierStatus {
    /// `None`: not checked yet, or no supplier configured.
    pub reachable: Option<bool>,
    pub checked_at: Option<String>,
    /// Why it could not be reached (or asked).
    pub error: Option<String>,
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    match lock.read() {
        Ok(v) => v.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn write<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut v) => *v = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}

impl AppState {
    /// Opens (creating and migrating) `data_dir/codetill.db` as the shop's till, its
    /// secrets in the OS keyring.
    pub async fn open(data_dir: &Path) -> Result<AppState, DbError> {
        AppState::open_with(data_dir, Till::os_secrets()).await
    }

    /// As [`AppState::open`], with the secrets in `secrets` (tests: in memory).
    pub async fn open_with(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<AppState, DbError> {
        let db = Db::open(&data_dir.join(DB_FILE)).await?;
        let mut clerk = Clerk::from_env();
        if clerk.till_id.is_none() {
            clerk.till_id = settings::get(db.pool(), settings::TILL_ID)
                .await?
                .filter(|t| !t.trim().is_empty());
        }
        let shop = Arc::new(Till::shop(db, data_dir, secrets));
        Ok(AppState {
            active: RwLock::new(shop.clone()),
            shop,
            clerk: RwLock::new(clerk),
            demo_requested: demo::requested(),
            demo_starting: tokio::sync::Mutex::new(()),
            alerts: Alerts::new(Arc::new(DesktopNotifier)),
            last_sale: tokio::sync::Mutex::new(None),
            supplier: RwLock::new(SupplierStatus::default()),
            settings_changed: tokio::sync::watch::Sender::new(()),
        })
    }

    /// Where alerts are shown (tests keep them off the desktop).
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> AppState {
        self.alerts = Alerts::new(notifier);
        self
    }

    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// Tells whoever follows the settings (the relay loop) that they changed.
    pub fn settings_changed(&self) {
        self.settings_changed.send_replace(());
    }

    /// Ticks on every [`AppState::settings_changed`].
    pub fn settings_watch(&self) -> tokio::sync::watch::Receiver<()> {
        self.settings_changed.subscribe()
    }

    /// A cash sale at the counter's till; a refund that falls due is alerted.
    pub async fn sell_cash(
        &self,
        sku: &str,
        tendered: &str,
        handover: &Handover,
    ) -> Result<Sale, AppError> {
        let till = self.till();
        let sale = till
            .sell_cash(sku, tendered, handover, &self.clerk())
            .await?;
        self.after_sale(till.db(), &sale).await;
        Ok(sale)
    }

    /// A card sale at the counter's till; a refund that falls due is alerted.
    pub async fn sell_card(
        &self,
        sku: &str,
        terminal_ref: &str,
        handover: &Handover,
    ) -> Result<Sale, AppError> {
        let till = self.till();
        let sale = till
            .sell_card(sku, terminal_ref, handover, &self.clerk())
            .await?;
        self.after_sale(till.db(), &sale).await;
        Ok(sale)
    }

    async fn after_sale(&self, db: &codetill_core::db::Db, sale: &Sale) {
        self.alerts.after_sale(db, sale).await;
        let mut last = self.last_sale.lock().await;
        *last = Some(sale.order.public_id.clone());
    }

    /// The order of the sale on the delivery screen now: its code is on the screen
    /// already, so its receipt preview needs no audited reveal.
    pub async fn is_last_sale(&self, order: &str) -> bool {
        self.last_sale
            .lock()
            .await
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case(order.trim()))
    }

    /// Syncs the counter's till's catalog (progress to `progress`); a sync that moved
    /// wholesale prices by more than 3% raises price drift.
    pub async fn sync_catalog(&self, progress: &dyn ProgressSink) -> Result<SyncReport, AppError> {
        let till = self.till();
        let report = till.sync_catalog(progress).await?;
        self.alerts.after_sync(till.db(), report.run_id).await;
        Ok(report)
    }

    /// One supplier health check on the counter's till: asks the supplier for its
    /// balance, raises supplier-unreachable or balance-low alerts, and remembers the
    /// outcome. Answers the check (`None` when no supplier is configured) and whether
    /// reachability changed since the last check.
    pub async fn check_supplier(&self) -> (Option<SupplierCheck>, bool) {
        let till = self.till();
        let before = self.supplier_status();
        // No supplier configured: nothing to check (and nothing to log every minute).
        if !till.has_supplier().await.unwrap_or(false) {
            let status = SupplierStatus {
                reachable: None,
                checked_at: Some(codetill_core::db::now_text()),
                error: Some(codetill_core::setup::SetupError::NoSupplier.to_string()),
            };
            let changed = before.reachable.is_some();
            write(&self.supplier, status);
            return (None, changed);
        }
        let (check, status) = match till.supplier().await {
            Err(e) => (
                None,
                SupplierStatus {
                    reachable: None,
                    checked_at: Some(codetill_core::db::now_text()),
                    error: Some(e.message),
                },
            ),
            Ok(supplier) => {
                match codetill_core::alerts::check_supplier(till.db(), supplier.as_ref()).await {
                    Err(e) => {
                        tracing::error!(error = %e, "supplier health check could not be recorded");
                        return (None, false);
                    }
                    Ok(check) => {
                        self.alerts.after_check(&check).await;
                        let status = SupplierStatus {
                            reachable: Some(check.reachable()),
                            checked_at: Some(codetill_core::db::now_text()),
                            error: check.error.clone(),
                        };
                        (Some(check), status)
                    }
                }
            }
        };
        let changed = before.reachable != status.reachable;
        if changed {
            tracing::info!(reachable = ?status.reachable, "supplier reachability changed");
        }
        write(&self.supplier, status);
        (check, changed)
    }

    pub fn supplier_status(&self) -> SupplierStatus {
        read(&self.supplier)
    }

    /// Who is recorded on sales, refunds and reveals.
    pub fn with_clerk(self, clerk: Clerk) -> AppState {
        write(&self.clerk, clerk);
        self
    }

    /// The till id recorded on sales from now on (`None`: no id).
    pub fn set_till_id(&self, till_id: Option<String>) {
        let mut clerk = self.clerk();
        clerk.till_id = till_id;
        write(&self.clerk, clerk);
    }

    pub fn with_demo_requested(mut self, requested: bool) -> AppState {
        self.demo_requested = requested;
        self
    }

    /// The till the counter works on now.
    pub fn till(&self) -> Arc<Till> {
        match self.active.read() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The shop's own till, whatever the counter shows.
    pub fn shop(&self) -> &Arc<Till> {
        &self.shop
    }

    pub fn clerk(&self) -> Clerk {
        read(&self.clerk)
    }

    pub fn demo_requested(&self) -> bool {
        self.demo_requested
    }

    /// Switches this session to a demo till on the in-process sandbox supplier,
    /// syncing its catalog (progress to `progress`). A second call while a demo runs
    /// keeps the running one and answers `None`.
    pub async fn start_demo(
        &self,
        products: usize,
        progress: &dyn ProgressSink,
    ) -> Result<Option<SyncReport>, AppError> {
        let _one = self.demo_starting.lock().await;
        if self.till().demo().is_some() {
            return Ok(None);
        }
        let (till, report) = demo::open(products, progress).await?;
        let till = Arc::new(till);
        match self.active.write() {
            Ok(mut active) => *active = till,
            Err(poisoned) => *poisoned.into_inner() = till,
        }
        Ok(Some(report))
    }
}

/// `CODETILL_DATA_DIR` when set and not empty, else the OS data dir + `codetill`
/// (`~/.local/share/codetill` on Linux). `None` when neither is known.
pub fn data_dir_from(env_value: Option<OsString>, os_data_dir: Option<PathBuf>) -> Option<PathBuf> {
    match env_value {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => os_data_dir.map(|d| d.join("codetill")),
    }
}

/// [`data_dir_from`] for this process.
pub fn data_dir() -> Option<PathBuf> {
    data_dir_from(std::env::var_os(DATA_DIR_ENV), dirs::data_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_override_wins_and_empty_env_is_ignored() {
        let os = Some(PathBuf::from("/home/a/.local/share"));
        assert_eq!(
            data_dir_from(Some("/tmp/till".into()), os.clone()),
            Some(PathBuf::from("/tmp/till"))
        );
        assert_eq!(
            data_dir_from(Some("".into()), os.clone()),
            Some(PathBuf::from("/home/a/.local/share/codetill"))
        );
        assert_eq!(
            data_dir_from(None, os),
            Some(PathBuf::from("/home/a/.local/share/codetill"))
        );
        assert_eq!(data_dir_from(None, None), None);
    }
}
