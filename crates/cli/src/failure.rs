//! Exit codes of the contract, carried through `anyhow` as a typed error.

use std::fmt;

use codetill_core::alerts::AlertError;
use codetill_core::backup::BackupError;
use codetill_core::buyers::BuyerError;
use codetill_core::catalog::{CatalogError, OfferError, ProposalError, SyncError};
use codetill_core::db::DbError;
use codetill_core::delivery::DeliveryError;
use codetill_core::error::ErrorKind;
use codetill_core::fx::FxError;
use codetill_core::money::MoneyError;
use codetill_core::orders::OrderError;
use codetill_core::payments::PaymentError;
use codetill_core::pricing::PricingError;
use codetill_core::reconcile::ReconcileError;
use codetill_core::remote::RemoteError;
use codetill_core::reports::ReportError;
use codetill_core::secrets::SecretError;
use codetill_core::setup::SetupError;
use codetill_core::shifts::ShiftError;
use codetill_core::staff::StaffError;
use codetill_core::supplier::SupplierError;
use codetill_core::supplier::accounts::AccountError;
use codetill_core::tax::TaxError;
use codetill_core::till::TillError;
use codetill_core::till::settings::SettingsError;
use codetill_core::vault::VaultError;

pub const FAILED: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const REFUSED: u8 = 3;
pub const OPEN: u8 = 4;

/// An error that knows its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: BAD_INPUT,
            message: message.into(),
        })
    }

    pub fn failed(message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code: FAILED,
            message: message.into(),
        })
    }

    /// The exit code and one line for whatever went wrong.
    pub fn from_anyhow(e: &anyhow::Error) -> Failure {
        if let Some(f) = e.downcast_ref::<Failure>() {
            return Failure {
                code: f.code,
                message: f.message.clone(),
            };
        }
        let code = match kind_of(e) {
            Some(ErrorKind::Input) => BAD_INPUT,
            Some(ErrorKind::Refused) => REFUSED,
            Some(ErrorKind::Unconfigured | ErrorKind::Fault) | None => FAILED,
        };
        // The whole chain on one line, outermost first; a cause that its parent's
        // message already spells out is not repeated.
        let mut message = String::new();
        for cause in e.chain() {
            let text = cause.to_string();
            if !message.contains(&text) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&text);
            }
        }
        Failure { code, message }
    }
}

/// Core's own classification of an error it returned (see
/// [`codetill_core::error::ErrorKind`]), whichever part of core it came from.
fn kind_of(e: &anyhow::Error) -> Option<ErrorKind> {
    macro_rules! kinds {
        ($($error:ty),* $(,)?) => {
            $(if let Some(found) = e.downcast_ref::<$error>() {
                return Some(found.kind());
            })*
        };
    }
    kinds!(
        TillError,
        codetill_core::till::DatabaseError,
        StaffError,
        BackupError,
        OrderError,
        ShiftError,
        ReportError,
        ProposalError,
        SetupError,
        DeliveryError,
        PaymentError,
        RemoteError,
        AlertError,
        SettingsError,
        SyncError,
        CatalogError,
        OfferError,
        SupplierError,
        AccountError,
        FxError,
        ReconcileError,
        MoneyError,
        PricingError,
        TaxError,
        BuyerError,
        VaultError,
        SecretError,
        codetill_core::support::SupportError,
        DbError,
    );
    None
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[allow(dead_code)]
pub const ALL: [u8; 4] = [FAILED, BAD_INPUT, REFUSED, OPEN];
