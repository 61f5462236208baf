//! What a till's work can fail with: each part's own error, and a till busy with
//! another sale or sync.

use crate::catalog::CatalogError;
use crate::catalog::SyncError;
use crate::db::DbError;
use crate::delivery::DeliveryError;
use crate::orders::OrderError;
use crate::remote::RemoteError;
use crate::setup::SetupError;
use crate::staff::StaffError;
use crate::supplier::accounts::AccountError;

use super::settings::SettingsError;

#[derive(Debug, thiserror::Error)]
pub enum TillError {
    /// Another sale (or sync) is under way at this till: refused, never queued.
    #[error("{0}")]
    Busy(&'static str),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Fx(#[from] crate::fx::FxError),
    #[error(transparent)]
    Reconcile(#[from] crate::reconcile::ReconcileError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Signing in, the staff list, or an action the clerk's role may not do.
    #[error(transparent)]
    Staff(#[from] StaffError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Tax(#[from] crate::tax::TaxError),
    #[error(transparent)]
    Buyer(#[from] crate::buyers::BuyerError),
    /// Where the shop's data lives: a server's URL tested, kept or forgotten.
    #[error(transparent)]
    Database(#[from] super::database::DatabaseError),
}
