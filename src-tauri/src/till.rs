//! One till's view of a shop: its database and data folder, and — once asked for — its
//! supplier, its vault and the order engine built from them.
//!
//! The app holds two kinds: the shop's own till (supplier and key from the settings and
//! the OS keyring, through [`setup`]) and a demo till ([`crate::demo`]) whose database
//! lives in a temporary folder and whose supplier is the in-process sandbox. Both are
//! used the same way, so the commands never ask which one they have.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codetill_core::catalog;
use codetill_core::db::Db;
use codetill_core::delivery::outbox::{Due, Outbox, OutboxStatus};
use codetill_core::delivery::{DeliveryConfig, Language, PrinterSpec};
use codetill_core::money::Money;
use codetill_core::orders::{
    self, CounterSale, DeliveryRequest, Engine, Order, RevealedCode, Sale, Tender,
};
use codetill_core::payments::{ProviderKind, Providers};
use codetill_core::remote::{Desk, RemoteOrder};
use codetill_core::secrets::{EnvFirst, KeyringStore, SecretStore};
use codetill_core::setup;
use codetill_core::supplier::Supplier;
use codetill_core::vault::{KeySource, Vault};
use tokio::sync::Mutex;

use crate::error::{AppError, ErrorCode};

/// How long the first attempt at a sale's receipt and email may take.
const SEND_NOW_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// The keyring service the shop's secrets live under (the CLI uses the same).
pub const KEYRING_SERVICE: &str = "codetill";

/// Who is at the till, recorded on every payment, refund and reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clerk {
    pub staff: String,
    pub till_id: Option<String>,
}

impl Clerk {
    /// `CODETILL_STAFF`, else the login name, else "till"; `CODETILL_TILL_ID` if set.
    /// (Staff sign-in replaces this when the staff module lands.)
    pub fn from_env() -> Clerk {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Clerk {
            staff: var("CODETILL_STAFF")
                .or_else(|| var("USER"))
                .unwrap_or_else(|| "till".into()),
            till_id: var("CODETILL_TILL_ID"),
        }
    }
}

/// Where this till's supplier comes from.
pub enum Source {
    /// The shop's configured supplier (settings + keyring), looked up when first needed.
    Shop,
    /// A supplier fixed at creation: the demo's sandbox.
    Fixed {
        supplier: Arc<dyn Supplier>,
        vault: Arc<Vault>,
    },
}

pub struct Till {
    db: Db,
    data_dir: PathBuf,
    source: Source,
    /// Built on first use; a failure (no supplier yet) is not remembered.
    engine: Mutex<Option<Arc<Engine>>>,
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
    demo: Option<crate::demo::Demo>,
}

/// How the buyer gets the code besides the screen: an email address (optional) and
/// the language of the receipt and the email.
#[derive(Debug, Clone, Default)]
pub struct Handover {
    pub email: Option<String>,
    pub language: Language,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("data_dir", &self.data_dir)
            .field("demo", &self.demo.is_some())
            .finish_non_exhaustive()
    }
}

impl Till {
    /// The shop's own till over `data_dir/codetill.db`, its secrets in `secrets`.
    pub fn shop(db: Db, data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Till {
        Till::new(db, data_dir, Source::Shop, None, secrets)
    }

    pub fn new(
        db: Db,
        data_dir: &Path,
        source: Source,
        demo: Option<crate::demo::Demo>,
        secrets: Arc<dyn SecretStore>,
    ) -> Till {
        Till {
            db,
            data_dir: data_dir.to_path_buf(),
            source,
            engine: Mutex::new(None),
            vault: Mutex::new(None),
            outbox: Mutex::new(None),
            selling: Mutex::new(()),
            syncing: Mutex::new(()),
            secrets,
            demo,
        }
    }

    /// The OS keyring, environment variables first (headless use): the shop's secrets.
    pub fn os_secrets() -> Arc<dyn SecretStore> {
        Arc::new(EnvFirst::new(KeyringStore::new(KEYRING_SERVICE)))
    }

    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        self.secrets.clone()
    }

    /// Syncs the catalog from this till's supplier, reporting progress; a second sync
    /// while one runs is refused.
    pub async fn sync_catalog(
        &self,
        progress: &dyn codetill_core::progress::ProgressSink,
    ) -> Result<catalog::SyncReport, AppError> {
        let Ok(_syncing) = self.syncing.try_lock() else {
            return Err(AppError::new(
                ErrorCode::Busy,
                "a catalog sync is already running",
            ));
        };
        let supplier = self.supplier().await?;
        tracing::info!("catalog sync asked for by the owner");
        Ok(catalog::sync(
            &self.db,
            supplier.as_ref(),
            &catalog::SyncOptions::default(),
            progress,
        )
        .await?)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn demo(&self) -> Option<&crate::demo::Demo> {
        self.demo.as_ref()
    }

    /// Is a supplier configured (a URL in the environment or the settings)? The key
    /// is only checked when the supplier is first used.
    pub async fn has_supplier(&self) -> Result<bool, AppError> {
        Ok(match self.source {
            Source::Shop => setup::supplier_url(&self.db).await?.is_some(),
            Source::Fixed { .. } => true,
        })
    }

    /// The key that encrypts codes at rest, opened once per till (opening it twice at
    /// once could create two keys on a first run).
    pub async fn vault(&self) -> Result<Arc<Vault>, AppError> {
        if let Source::Fixed { vault, .. } = &self.source {
            return Ok(vault.clone());
        }
        let mut slot = self.vault.lock().await;
        if let Some(v) = slot.as_ref() {
            return Ok(v.clone());
        }
        let (vault, source) = setup::vault(&self.data_dir, self.secrets()).await?;
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

    pub async fn supplier(&self) -> Result<Arc<dyn Supplier>, AppError> {
        Ok(match &self.source {
            Source::Shop => Arc::new(setup::supplier(&self.db, self.secrets()).await?),
            Source::Fixed { supplier, .. } => supplier.clone(),
        })
    }

    /// Drops the engine built from the old supplier settings: the next sale builds
    /// one from the new URL and key.
    pub async fn forget_supplier(&self) {
        *self.engine.lock().await = None;
    }

    /// The counter's order engine.
    pub async fn engine(&self) -> Result<Arc<Engine>, AppError> {
        let mut slot = self.engine.lock().await;
        if let Some(e) = slot.as_ref() {
            return Ok(e.clone());
        }
        let engine = Arc::new(self.new_engine().await?);
        *slot = Some(engine.clone());
        Ok(engine)
    }

    /// An engine of its own (its own name on order leases), for background recovery:
    /// it never drives an order the counter's engine is driving.
    pub async fn new_engine(&self) -> Result<Engine, AppError> {
        let supplier = self.supplier().await?;
        let vault = self.vault().await?;
        Ok(Engine::new(self.db.clone(), supplier, vault))
    }

    /// A cash sale: `tendered` is a decimal string in the product's currency.
    pub async fn sell_cash(
        &self,
        sku: &str,
        tendered: &str,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<Sale, AppError> {
        let currency = self.product_currency(sku).await?;
        let tendered = Money::parse(tendered.trim(), currency)?;
        if tendered.amount.is_sign_negative() {
            return Err(AppError::validation("the cash tendered cannot be negative"));
        }
        tendered.to_minor()?; // no more decimals than the currency has
        self.sell(sku, Tender::Cash { tendered }, handover, clerk)
            .await
    }

    /// A card sale on the external terminal, with the terminal's reference.
    pub async fn sell_card(
        &self,
        sku: &str,
        terminal_ref: &str,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<Sale, AppError> {
        let tender = Tender::Card {
            terminal_ref: terminal_ref.trim().to_string(),
        };
        self.sell(sku, tender, handover, clerk).await
    }

    async fn sell(
        &self,
        sku: &str,
        tender: Tender,
        handover: &Handover,
        clerk: &Clerk,
    ) -> Result<Sale, AppError> {
        let Ok(_selling) = self.selling.try_lock() else {
            return Err(AppError::new(
                ErrorCode::Busy,
                "a sale is already being processed at this till",
            ));
        };
        let engine = self.engine().await?;
        let sale = CounterSale {
            sku: sku.trim().to_string(),
            tender,
            staff: clerk.staff.clone(),
            till_id: clerk.till_id.clone(),
            email: handover
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_string),
        };
        // With a printer set up, the receipt is queued with the code.
        let delivery = DeliveryRequest {
            print_to: self.printer().await,
            language: handover.language,
        };
        tracing::info!(sku = %sale.sku, "sale confirmed at the counter");
        let sale = engine.sell_with(&sale, &delivery).await?;
        tracing::info!(order = %sale.order.public_id, status = %sale.order.status, "sale finished");
        if sale.order.status == orders::OrderStatus::Delivered {
            self.send_soon(sale.order.id).await;
        }
        Ok(sale)
    }

    /// A remote sale: quotes `sku` live, opens a `quoted` order for `email` and makes
    /// its payment link with `provider` (addresses from the settings, keys from this
    /// till's secrets). Shares the counter's one-at-a-time guard: a double Enter must
    /// not make two links.
    pub async fn sell_remotely(
        &self,
        sku: &str,
        email: &str,
        language: Language,
        provider: ProviderKind,
        clerk: &Clerk,
    ) -> Result<RemoteOrder, AppError> {
        let Ok(_selling) = self.selling.try_lock() else {
            return Err(AppError::new(
                ErrorCode::Busy,
                "a sale is already being processed at this till",
            ));
        };
        let desk = Desk::new(
            self.engine().await?,
            Providers::configured(&self.db, self.secrets()),
        );
        tracing::info!(sku = %sku.trim(), %provider, "remote sale asked for at the counter");
        Ok(desk
            .open(
                sku.trim(),
                email,
                language,
                provider,
                &clerk.staff,
                clerk.till_id.clone(),
            )
            .await?)
    }

    /// This till's outbox (receipts and emails): the printer and mail server from
    /// the environment or the settings; a demo prints PDFs into its own folder.
    pub async fn outbox(&self) -> Result<Arc<Outbox>, AppError> {
        let mut slot = self.outbox.lock().await;
        if let Some(o) = slot.as_ref() {
            return Ok(o.clone());
        }
        let mut config = DeliveryConfig::load(&self.db, self.secrets()).await?;
        if self.demo.is_some() && config.printer.is_none() {
            let folder = self.data_dir.join("receipts");
            config.printer = Some(Ok(PrinterSpec::Pdf { folder }));
        }
        let outbox = Arc::new(Outbox::new(self.db.clone(), self.vault().await?, config));
        *slot = Some(outbox.clone());
        Ok(outbox)
    }

    /// Forget the outbox so the next use reads the settings again.
    pub async fn forget_outbox(&self) {
        *self.outbox.lock().await = None;
    }

    /// Works off the receipts and emails whose retry is due (the background worker).
    /// A till with no supplier yet has no vault and nothing queued: skipped quietly.
    pub async fn send_queued(&self) {
        if !matches!(self.has_supplier().await, Ok(true)) {
            return;
        }
        let outbox = match self.outbox().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "outbox worker: cannot open the outbox");
                return;
            }
        };
        match outbox.send_queued(Due::Due, SEND_NOW_BUDGET * 4).await {
            Ok(report) if !report.attempts.is_empty() => tracing::info!(
                sent = report.count(OutboxStatus::Sent),
                queued = report.count(OutboxStatus::Queued),
                failed = report.count(OutboxStatus::Failed),
                "outbox worker: worked off queued receipts and emails"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox worker failed"),
        }
    }

    /// The receipt printer, when one is set up and usable.
    async fn printer(&self) -> Option<PrinterSpec> {
        match self.outbox().await {
            Ok(outbox) => outbox.config().printer().ok().cloned(),
            Err(e) => {
                tracing::warn!(error = %e, "no receipt printer: the outbox cannot be opened");
                None
            }
        }
    }

    /// One attempt at a delivered order's receipt and email, in the background: the
    /// sale never waits on a printer or a mail server. What fails stays queued for
    /// the outbox worker; the delivery screen shows it.
    async fn send_soon(&self, order: i64) {
        let outbox = match self.outbox().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "receipt and email stay queued");
                return;
            }
        };
        tauri::async_runtime::spawn(async move {
            if let Err(e) = outbox.attempt_order(order, SEND_NOW_BUDGET).await {
                tracing::warn!(error = %e, "receipt and email stay queued");
            }
        });
    }

    async fn product_currency(
        &self,
        sku: &str,
    ) -> Result<codetill_core::money::Currency, AppError> {
        let product = catalog::product_by_sku(self.db.pool(), sku.trim())
            .await?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::UnknownSku,
                    format!("unknown sku {:?}", sku.trim()),
                )
            })?;
        Ok(product.retail.currency)
    }

    /// The codes of a delivered order, written to the audit log with who and why.
    pub async fn reveal(
        &self,
        order: &str,
        reason: &str,
        clerk: &Clerk,
    ) -> Result<(Order, Vec<RevealedCode>), AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::validation("say why the code is shown again"));
        }
        let found = orders::find(&self.db, order).await?;
        if found.status != orders::OrderStatus::Delivered {
            return Err(AppError::new(
                ErrorCode::WrongState,
                format!(
                    "{} is {}: there is no code to show",
                    found.public_id, found.status
                ),
            ));
        }
        let vault = self.vault().await?;
        tracing::info!(order = %found.public_id, staff = %clerk.staff, "code revealed again");
        Ok(orders::reveal(
            &self.db,
            &vault,
            &found.public_id,
            &clerk.staff,
            Some(reason),
        )
        .await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Handover;
    use crate::error::ErrorCode;
    use crate::testing::{TestApp, block_on, clerk};

    #[test]
    fn a_second_confirm_while_a_sale_runs_is_refused_not_queued() {
        let app = TestApp::demo();
        let till = app.state().till();
        let first = block_on(till.selling.lock());
        let none = Handover::default();
        let err = block_on(till.sell_cash("STEAM-US-20", "100", &none, &clerk())).unwrap_err();
        assert_eq!(err.code, ErrorCode::Busy);
        drop(first);
        let sale = block_on(till.sell_cash("STEAM-US-20", "100", &none, &clerk())).unwrap();
        assert_eq!(sale.codes.len(), 1);
    }
}
