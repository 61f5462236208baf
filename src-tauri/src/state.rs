//! What the app holds while it runs: the shop's till (its database and where it
//! lives), the till the counter works on now (the shop's, or a demo's), and who is at
//! the till.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use codetill_core::catalog::SyncReport;
use codetill_core::db::{Db, DbError};
use codetill_core::orders::Sale;
use codetill_core::progress::ProgressSink;

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
    clerk: Clerk,
    demo_requested: bool,
    /// One demo start at a time (a double click starts one sandbox).
    demo_starting: tokio::sync::Mutex<()>,
    alerts: Alerts,
    last_sale: tokio::sync::Mutex<Option<String>>,
}

impl AppState {
    /// Opens (creating and migrating) `data_dir/codetill.db` as the shop's till.
    pub async fn open(data_dir: &Path) -> Result<AppState, DbError> {
        let db = Db::open(&data_dir.join(DB_FILE)).await?;
        let shop = Arc::new(Till::shop(db, data_dir));
        Ok(AppState {
            active: RwLock::new(shop.clone()),
            shop,
            clerk: Clerk::from_env(),
            demo_requested: demo::requested(),
            demo_starting: tokio::sync::Mutex::new(()),
            alerts: Alerts::new(Arc::new(DesktopNotifier)),
            last_sale: tokio::sync::Mutex::new(None),
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

    /// A cash sale at the counter's till; a refund that falls due is alerted.
    pub async fn sell_cash(
        &self,
        sku: &str,
        tendered: &str,
        handover: &Handover,
    ) -> Result<Sale, AppError> {
        let sale = self
            .till()
            .sell_cash(sku, tendered, handover, &self.clerk)
            .await?;
        self.after_sale(&sale).await;
        Ok(sale)
    }

    /// A card sale at the counter's till; a refund that falls due is alerted.
    pub async fn sell_card(
        &self,
        sku: &str,
        terminal_ref: &str,
        handover: &Handover,
    ) -> Result<Sale, AppError> {
        let sale = self
            .till()
            .sell_card(sku, terminal_ref, handover, &self.clerk)
            .await?;
        self.after_sale(&sale).await;
        Ok(sale)
    }

    async fn after_sale(&self, sale: &Sale) {
        self.alerts.after_sale(sale).await;
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

    /// Who is recorded on sales, refunds and reveals.
    pub fn with_clerk(mut self, clerk: Clerk) -> AppState {
        self.clerk = clerk;
        self
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

    pub fn clerk(&self) -> &Clerk {
        &self.clerk
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
