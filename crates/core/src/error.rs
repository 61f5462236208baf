//! How a front treats an error from core: every core error says its [`ErrorKind`],
//! so the CLI's exit code and the app's log level come from one classification
//! rather than a copy in each front.

use crate::alerts::AlertError;
use crate::catalog::{CatalogError, SyncError};
use crate::db::DbError;
use crate::delivery::DeliveryError;
use crate::fx::FxError;
use crate::money::MoneyError;
use crate::orders::OrderError;
use crate::payments::PaymentError;
use crate::pricing::PricingError;
use crate::remote::RemoteError;
use crate::secrets::SecretError;
use crate::setup::SetupError;
use crate::supplier::SupplierError;
use crate::till::TillError;
use crate::till::settings::SettingsError;
use crate::vault::VaultError;

/// What kind of failure an error is, as a person at the till sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// What was asked for is wrong (a typo, an unknown sku or order, an order in a
    /// state that does not allow it): nothing changed; ask again, corrected.
    Input,
    /// A sale the shop's rules or the supplier refused before any money was taken
    /// (stock, balance, margin floor, discontinued, supplier unavailable), or a till
    /// that is busy with another sale.
    Refused,
    /// The till is not set up for this yet (no supplier, no key for a payment
    /// provider): nothing changed; the owner's settings are next.
    Unconfigured,
    /// Something that should work did not (database, supplier, keyring, printer):
    /// worth a look in the logs.
    Fault,
}

impl ErrorKind {
    /// A refusal or a typing mistake is part of a day at the till; a fault is not.
    pub fn is_expected(self) -> bool {
        !matches!(self, ErrorKind::Fault)
    }
}

impl OrderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OrderError::UnknownSku(_)
            | OrderError::ShortTender { .. }
            | OrderError::BadInput(_)
            | OrderError::NotFound(_)
            | OrderError::WrongState { .. } => ErrorKind::Input,
            OrderError::Refused(_) => ErrorKind::Refused,
            OrderError::Pricing(e) => e.kind(),
            OrderError::Tax(e) => e.kind(),
            OrderError::Supplier(_)
            | OrderError::Db(_)
            | OrderError::Vault(_)
            | OrderError::PaidNotShown { .. } => ErrorKind::Fault,
        }
    }
}

impl crate::buyers::BuyerError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            crate::buyers::BuyerError::BadInput { .. } => ErrorKind::Input,
            crate::buyers::BuyerError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl crate::tax::TaxError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            crate::tax::TaxError::BadInput { .. } => ErrorKind::Input,
            crate::tax::TaxError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl FxError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            FxError::BadInput { .. } | FxError::File(_) => ErrorKind::Input,
            FxError::NoRate { .. } => ErrorKind::Unconfigured,
            FxError::Source { .. } | FxError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl crate::supplier::accounts::AccountError {
    pub fn kind(&self) -> ErrorKind {
        use crate::supplier::accounts::AccountError;
        match self {
            AccountError::BadInput { .. } | AccountError::NotFound(_) | AccountError::Exists(_) => {
                ErrorKind::Input
            }
            AccountError::Secret(_) | AccountError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl SetupError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SetupError::BadTimeout { .. } | SetupError::UnknownKind(_) => ErrorKind::Input,
            SetupError::NoSupplier | SetupError::NoKey => ErrorKind::Unconfigured,
            SetupError::Supplier(s) => s.kind(),
            SetupError::Accounts(e) => e.kind(),
            _ => ErrorKind::Fault,
        }
    }
}

impl SupplierError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SupplierError::Rejected { .. } => ErrorKind::Refused,
            _ => ErrorKind::Fault,
        }
    }
}

impl DeliveryError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            DeliveryError::Order(o) => o.kind(),
            // A printer or mail server setting is what the owner typed.
            DeliveryError::BadInput(_)
            | DeliveryError::BadPrinter(_)
            | DeliveryError::BadSmtp(_)
            | DeliveryError::NoPrinter => ErrorKind::Input,
            _ => ErrorKind::Fault,
        }
    }
}

impl PaymentError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            PaymentError::BadInput(_) => ErrorKind::Input,
            PaymentError::NotConfigured { .. } => ErrorKind::Unconfigured,
            _ => ErrorKind::Fault,
        }
    }
}

impl RemoteError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            RemoteError::Order(o) => o.kind(),
            RemoteError::Payment(p) => p.kind(),
            RemoteError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl AlertError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AlertError::NotFound(_) | AlertError::BadInput(_) => ErrorKind::Input,
            AlertError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl SettingsError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SettingsError::Invalid { .. } => ErrorKind::Input,
            SettingsError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl TillError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            TillError::Busy(_) => ErrorKind::Refused,
            TillError::Order(e) => e.kind(),
            TillError::Setup(e) => e.kind(),
            TillError::Remote(e) => e.kind(),
            TillError::Delivery(e) => e.kind(),
            TillError::Fx(e) => e.kind(),
            TillError::Reconcile(e) => e.kind(),
            TillError::Sync(_) | TillError::Db(_) => ErrorKind::Fault,
            TillError::Staff(e) => e.kind(),
            TillError::Settings(e) => e.kind(),
            TillError::Account(e) => e.kind(),
            TillError::Catalog(e) => e.kind(),
            TillError::Tax(e) => e.kind(),
            TillError::Buyer(e) => e.kind(),
            TillError::Database(e) => e.kind(),
        }
    }
}

impl crate::till::DatabaseError {
    pub fn kind(&self) -> ErrorKind {
        use crate::till::DatabaseError;
        match self {
            // A URL typed wrong, a server that is not there, or one the environment
            // chose: nothing changed.
            DatabaseError::Unreachable { .. }
            | DatabaseError::NoAnswer { .. }
            | DatabaseError::FromEnvironment => ErrorKind::Input,
            e if e.is_bad_url() => ErrorKind::Input,
            DatabaseError::Secret(_)
            | DatabaseError::Db(_)
            | DatabaseError::Vault(_)
            | DatabaseError::Task(_)
            | DatabaseError::DataFolder { .. }
            | DatabaseError::UrlLost { .. } => ErrorKind::Fault,
        }
    }
}

impl crate::staff::StaffError {
    pub fn kind(&self) -> ErrorKind {
        use crate::staff::StaffError;
        match self {
            StaffError::BadInput { .. }
            | StaffError::NotFound(_)
            | StaffError::Exists(_)
            | StaffError::HasOwner
            | StaffError::LastOwner(_) => ErrorKind::Input,
            // A wrong PIN, a lock, a disabled member or a role that may not: the
            // till's rules said no, nothing changed.
            StaffError::WrongPin { .. }
            | StaffError::Locked { .. }
            | StaffError::Disabled(_)
            | StaffError::Refused(_) => ErrorKind::Refused,
            StaffError::Hash(_) | StaffError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl crate::backup::BackupError {
    pub fn kind(&self) -> ErrorKind {
        use crate::backup::BackupError;
        match self {
            // Nothing was changed: another file, another path, the right key.
            BackupError::NotABackup { .. }
            | BackupError::BadPath { .. }
            | BackupError::NoDatabase(_)
            | BackupError::Vault(_) => ErrorKind::Input,
            BackupError::InUse | BackupError::Io(_) | BackupError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl crate::reconcile::ReconcileError {
    pub fn kind(&self) -> ErrorKind {
        use crate::reconcile::ReconcileError;
        match self {
            ReconcileError::BadInput { .. } => ErrorKind::Input,
            ReconcileError::Order(e) => e.kind(),
            ReconcileError::Supplier(e) => e.kind(),
            ReconcileError::Alert(e) => e.kind(),
            ReconcileError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl PricingError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            PricingError::InvalidRule { .. } => ErrorKind::Input,
            PricingError::NoRate { .. } => ErrorKind::Unconfigured,
        }
    }
}

impl CatalogError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CatalogError::Pricing(e) => e.kind(),
            CatalogError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl SyncError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SyncError::Catalog(e) => e.kind(),
            SyncError::Supplier { .. } => ErrorKind::Fault,
        }
    }
}

impl crate::catalog::OfferError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownSku(_) | Self::Refused(_) => ErrorKind::Input,
            Self::Catalog(e) => e.kind(),
        }
    }
}

impl crate::shifts::ShiftError {
    pub fn kind(&self) -> ErrorKind {
        use crate::shifts::ShiftError;
        match self {
            ShiftError::BadInput { .. }
            | ShiftError::AlreadyOpen { .. }
            | ShiftError::NoneOpen(_)
            | ShiftError::NoneClosed(_) => ErrorKind::Input,
            ShiftError::NoCurrency => ErrorKind::Unconfigured,
            ShiftError::Print(_) | ShiftError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl crate::reports::ReportError {
    pub fn kind(&self) -> ErrorKind {
        use crate::reports::ReportError;
        match self {
            ReportError::BadInput { .. } => ErrorKind::Input,
            ReportError::Db(_) => ErrorKind::Fault,
        }
    }
}

impl crate::catalog::ProposalError {
    pub fn kind(&self) -> ErrorKind {
        use crate::catalog::ProposalError;
        match self {
            ProposalError::BadInput { .. } => ErrorKind::Input,
            ProposalError::Catalog(e) => e.kind(),
            ProposalError::Db(_) => ErrorKind::Fault,
        }
    }
}

/// Errors that are always one kind.
macro_rules! one_kind {
    ($($error:ty => $kind:expr),* $(,)?) => {
        $(impl $error {
            pub fn kind(&self) -> ErrorKind {
                $kind
            }
        })*
    };
}

one_kind! {
    MoneyError => ErrorKind::Input,
    DbError => ErrorKind::Fault,
    SecretError => ErrorKind::Fault,
    VaultError => ErrorKind::Fault,
}

impl crate::support::SupportError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            // A bundle path that exists already, or a folder that cannot be written.
            crate::support::SupportError::Io { .. } => ErrorKind::Input,
            _ => ErrorKind::Fault,
        }
    }
}
