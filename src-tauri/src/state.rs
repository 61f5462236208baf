//! What the app holds while it runs: the shop's till (its database and where it
//! lives), the till the counter works on now (the shop's, or a demo's), and who is
//! signed in at the till ([`session`](crate::session)): nobody until someone types
//! their PIN, and nobody again after a lock or the idle time.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use codetill_core::alerts::SupplierCheck;
use codetill_core::catalog::SyncReport;
use codetill_core::db::DbError;
use codetill_core::money::parse_decimal;
use codetill_core::orders::{BasketLine, BasketResult, Sale, Tender};
use codetill_core::progress::ProgressSink;
use codetill_core::secrets::SecretStore;
use codetill_core::settings;
use codetill_core::till::DatabaseError;
use codetill_core::till::shared::{read, replace as write};
pub use codetill_core::till::{DATA_DIR_ENV, DB_FILE, SupplierStatus, data_dir};

use crate::alerts::{Alerts, DesktopNotifier, Notifier};
use crate::demo;
use crate::error::AppError;
use crate::session::{Session, SignIn};
use crate::till::{Clerk, Handover, Item, Till};

/// How long a sale's code counts as on the delivery screen, for a receipt preview
/// without an audited reveal, if the counter never says it moved on.
pub const CODE_ON_SCREEN: Duration = Duration::from_secs(10 * 60);

/// Tauri-managed state; commands receive it as `State<'_, AppState>`.
#[derive(Debug)]
pub struct AppState {
    shop: Arc<Till>,
    active: RwLock<Arc<Till>>,
    /// Who is signed in (none: the app is locked).
    session: Session,
    /// This till's id, stamped on whoever signs in here.
    till_id: RwLock<Option<String>>,
    demo_requested: bool,
    /// One demo start at a time (a double click starts one sandbox).
    demo_starting: tokio::sync::Mutex<()>,
    alerts: Arc<Alerts>,
    /// The orders on the delivery screen (one sale, or a basket's units), and since
    /// when: their codes are on the screen.
    last_sale: tokio::sync::Mutex<Option<(Vec<String>, Instant)>>,
    /// Ticks when the settings or secrets change; the relay loop
    /// ([`codetill_core::till::ticks::follow_relay`]) reads its config again on each.
    settings_changed: tokio::sync::watch::Sender<()>,
}

impl AppState {
    /// Opens (creating and migrating) the shop's database as the shop's till: the
    /// server `CODETILL_DATABASE_URL` or the keyring names, else
    /// `data_dir/codetill.db`; its secrets in the OS keyring.
    pub async fn open(data_dir: &Path) -> Result<AppState, DatabaseError> {
        AppState::open_with(data_dir, codetill_core::till::Till::os_secrets()).await
    }

    /// As [`AppState::open`], with the secrets in `secrets` (tests: in memory).
    pub async fn open_with(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<AppState, DatabaseError> {
        let core = codetill_core::till::Till::open_shop(data_dir, secrets).await?;
        Ok(AppState::on(core).await?)
    }

    /// The app over the shop's till `core`, already open.
    pub async fn on(core: codetill_core::till::Till) -> Result<AppState, DbError> {
        let mut till_id = Clerk::from_env(None).till_id;
        if till_id.is_none() {
            till_id = settings::value(core.db(), settings::TILL_ID).await?;
        }
        let idle = crate::session::idle_lock(core.db()).await?;
        let shop = Arc::new(Till::shop(core));
        let alerts = Arc::new(Alerts::new(Arc::new(DesktopNotifier)));
        shop.set_alert_sink(alerts.clone());
        Ok(AppState {
            active: RwLock::new(shop.clone()),
            shop,
            session: Session::new(idle),
            till_id: RwLock::new(till_id),
            demo_requested: demo::requested(),
            demo_starting: tokio::sync::Mutex::new(()),
            alerts,
            last_sale: tokio::sync::Mutex::new(None),
            settings_changed: tokio::sync::watch::Sender::new(()),
        })
    }

    /// Where alerts are shown (tests keep them off the desktop).
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> AppState {
        self.alerts = Arc::new(Alerts::new(notifier));
        self.shop.set_alert_sink(self.alerts.clone());
        self
    }

    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// Tells whoever follows the settings (the relay loop) that they changed.
    pub fn settings_changed(&self) {
        self.settings_changed.send_replace(());
    }

    /// The settings or secrets changed: the next sale builds its supplier and outbox
    /// from them, and the relay loop reads them again now.
    pub async fn settings_saved(&self) {
        self.shop.forget_supplier().await;
        self.shop.forget_outbox().await;
        self.settings_changed();
    }

    /// Ticks on every [`AppState::settings_changed`].
    pub fn settings_watch(&self) -> tokio::sync::watch::Receiver<()> {
        self.settings_changed.subscribe()
    }

    /// A cash sale at the counter's till: `tendered` as typed, in the price's
    /// currency (core checks it against the quote).
    pub async fn sell_cash(
        &self,
        item: impl Into<Item>,
        tendered: &str,
        handover: &Handover,
    ) -> Result<Sale, AppError> {
        let tendered = parse_decimal(tendered.trim())?;
        let till = self.till();
        let sale = till
            .sell_cash(item, tendered, handover, &self.clerk_at(&till).await?)
            .await?;
        self.after_sale(&till, &sale).await;
        Ok(sale)
    }

    /// A card sale at the counter's till.
    pub async fn sell_card(
        &self,
        item: impl Into<Item>,
        terminal_ref: &str,
        handover: &Handover,
    ) -> Result<Sale, AppError> {
        let till = self.till();
        let sale = till
            .sell_card(item, terminal_ref, handover, &self.clerk_at(&till).await?)
            .await?;
        self.after_sale(&till, &sale).await;
        Ok(sale)
    }

    /// The sale is on the delivery screen now; its receipt and email go in the
    /// background.
    async fn after_sale(&self, till: &Till, sale: &Sale) {
        *self.last_sale.lock().await = Some((vec![sale.order.public_id.clone()], Instant::now()));
        till.send_soon(&sale.order).await;
    }

    /// A basket at the counter's till, paid once with `tender`.
    pub async fn sell_basket(
        &self,
        lines: Vec<BasketLine>,
        tender: Tender,
        handover: &Handover,
    ) -> Result<BasketResult, AppError> {
        let till = self.till();
        let basket = till
            .sell_basket(lines, tender, handover, &self.clerk_at(&till).await?)
            .await?;
        // Every unit is on the delivery screen; each delivered one's receipt and
        // email go in the background, as a single sale's do.
        let on_screen = basket.sales().map(|s| s.order.public_id.clone()).collect();
        *self.last_sale.lock().await = Some((on_screen, Instant::now()));
        for sale in basket.sales() {
            till.send_soon(&sale.order).await;
        }
        Ok(basket)
    }

    /// The order of the sale on the delivery screen now: its code is on the screen
    /// already, so its receipt preview needs no audited reveal. Once the counter
    /// moved on ([`AppState::sale_done`]), or after [`CODE_ON_SCREEN`], it needs one.
    pub async fn is_last_sale(&self, order: &str) -> bool {
        self.last_sale
            .lock()
            .await
            .as_ref()
            .is_some_and(|(shown, at)| {
                at.elapsed() < CODE_ON_SCREEN
                    && shown.iter().any(|o| o.eq_ignore_ascii_case(order.trim()))
            })
    }

    /// The counter moved on to the next sale: the last sale's code is no longer on
    /// the screen.
    pub async fn sale_done(&self) {
        *self.last_sale.lock().await = None;
    }

    /// Syncs the counter's till's catalog (progress to `progress`).
    pub async fn sync_catalog(&self, progress: &dyn ProgressSink) -> Result<SyncReport, AppError> {
        let options = codetill_core::catalog::SyncOptions::default();
        Ok(self.till().sync_catalog(&options, progress).await?)
    }

    /// One supplier health check on the counter's till (see
    /// [`codetill_core::till::Till::check_supplier`]).
    pub async fn check_supplier(&self) -> (Option<SupplierCheck>, bool) {
        self.till().check_supplier().await
    }

    pub fn supplier_status(&self) -> SupplierStatus {
        self.till().supplier_status()
    }

    /// Signs `clerk` in straight away (tests, and a shop's own tooling): no PIN.
    pub fn with_clerk(self, clerk: Clerk) -> AppState {
        self.session.begin(clerk);
        self
    }

    /// The till id recorded on sales from now on (`None`: no id), for whoever is
    /// signed in now and whoever signs in next.
    pub fn set_till_id(&self, till_id: Option<String>) {
        write(&self.till_id, till_id.clone());
        self.session.set_till_id(till_id);
    }

    pub fn till_id(&self) -> Option<String> {
        read(&self.till_id)
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Who is signed in, as `till` should see them; refused with `errors.locked`
    /// when nobody is (or the idle time ran out: that signs them out). Every
    /// command that acts starts here, and core checks the role.
    ///
    /// The staff live in the shop's database; a demo's till has a database of its
    /// own, so there the member's role, read again from the shop's list now, is
    /// given as is.
    pub async fn clerk_at(&self, till: &Till) -> Result<Clerk, AppError> {
        let clerk = self.session.clerk()?;
        if till.demo().is_none() {
            return Ok(clerk);
        }
        let Some(id) = clerk.staff_id else {
            return Ok(clerk);
        };
        match codetill_core::staff::get(self.shop.db(), id).await? {
            Some(m) if m.enabled => Ok(Clerk {
                role: m.role,
                staff_id: None,
                ..clerk
            }),
            _ => {
                self.session.end();
                Err(AppError::locked(format!(
                    "{} can no longer sign in: sign in again",
                    clerk.staff
                )))
            }
        }
    }

    /// [`AppState::clerk_at`] the counter's till.
    pub async fn clerk(&self) -> Result<Clerk, AppError> {
        self.clerk_at(&self.till()).await
    }

    /// [`AppState::clerk_at`] the shop's own till (settings, staff, suppliers).
    pub async fn shop_clerk(&self) -> Result<Clerk, AppError> {
        self.clerk_at(&self.shop).await
    }

    /// Signs in at the PIN pad (against the shop's staff, whatever till the counter
    /// shows): a wrong PIN and a lock are answers, not errors.
    pub async fn sign_in(&self, name: Option<&str>, pin: &str) -> Result<SignIn, AppError> {
        use codetill_core::staff::StaffError;
        use codetill_core::till::TillError;
        match self.shop.sign_in(name, pin, self.till_id()).await {
            Ok(clerk) => {
                // Whatever code the last person left on the screen is not this one's.
                self.sale_done().await;
                self.session.begin(clerk);
                Ok(SignIn::SignedIn {
                    session: self.session.view(),
                })
            }
            Err(TillError::Staff(StaffError::WrongPin { left })) => Ok(SignIn::WrongPin { left }),
            Err(TillError::Staff(StaffError::Locked { who, seconds })) => {
                Ok(SignIn::Locked { who, seconds })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The lock key: nobody is signed in, and the last sale's code counts as off
    /// the screen.
    pub async fn lock(&self) {
        self.session.end();
        self.sale_done().await;
    }

    /// The first run's owner, signed in at once.
    pub async fn create_owner(&self, name: &str, pin: &str) -> Result<SignIn, AppError> {
        let owner = self.shop.first_owner(name, pin).await?;
        self.session.begin(Clerk::signed_in(&owner, self.till_id()));
        Ok(SignIn::SignedIn {
            session: self.session.view(),
        })
    }

    pub fn with_demo_requested(mut self, requested: bool) -> AppState {
        self.demo_requested = requested;
        self
    }

    /// The till the counter works on now.
    pub fn till(&self) -> Arc<Till> {
        read(&self.active)
    }

    /// The tills that do background work now: the shop's, and a running demo's.
    pub fn tills(&self) -> Vec<Arc<Till>> {
        let (shop, active) = (self.shop.clone(), self.till());
        let demo = (!Arc::ptr_eq(&shop, &active)).then_some(active);
        std::iter::once(shop).chain(demo).collect()
    }

    /// The shop's own till, whatever the counter shows.
    pub fn shop(&self) -> &Arc<Till> {
        &self.shop
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
        till.set_alert_sink(self.alerts.clone());
        let till = Arc::new(till);
        write(&self.active, till);
        Ok(Some(report))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use serde_json::json;

    use super::Handover;
    use crate::error::ErrorCode;
    use crate::testing::{TestApp, block_on};

    #[test]
    fn a_second_confirm_while_a_sale_runs_is_refused_not_queued() {
        let app = TestApp::demo();
        // The supplier holds the first order for a second: the sale is under way.
        app.sandbox_control(
            "pending",
            json!({ "seconds": 1.0, "times": 1, "then": "completed" }),
        );
        let state = app.state();
        let none = Handover::default();
        let (first, second) = block_on(async {
            tokio::join!(state.sell_cash("STEAM-US-20", "100", &none), async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                state.sell_cash("STEAM-US-20", "100", &none).await
            })
        });
        assert_eq!(second.unwrap_err().code, ErrorCode::Busy);
        assert_eq!(first.unwrap().codes.len(), 1);
        let sale = block_on(state.sell_cash("STEAM-US-20", "100", &none)).unwrap();
        assert_eq!(sale.codes.len(), 1);
    }
}
