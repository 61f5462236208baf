//! The one error the UI sees: `{ "code": "errors.database", "message": "…" }`.
//!
//! The code is stable and doubles as the UI's message-catalog key, so the UI reacts to
//! the code and shows a translated sentence; the message is the full English cause
//! chain, for logs and for the "details" line.

use std::error::Error as StdError;

use codetill_core::catalog::SyncError;
use codetill_core::delivery::DeliveryError;
use codetill_core::error::ErrorKind;
use codetill_core::money::MoneyError;
use codetill_core::orders::{OrderError, Refusal};
use codetill_core::payments::PaymentError;
use codetill_core::remote::RemoteError;
use codetill_core::setup::SetupError;
use codetill_core::supplier::SupplierError;
use codetill_core::till::settings::SettingsError;
use codetill_core::till::{DatabaseError, TillError};
use serde::Serialize;

/// What went wrong, as the UI can act on it. Each code is also a message-catalog key
/// in `ui/src/lib/i18n/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorCode {
    /// The shop's database could not answer (locked, corrupt, disk full…).
    #[serde(rename = "errors.database")]
    Database,
    /// The request itself was wrong (empty sku, a query longer than a person types…).
    #[serde(rename = "errors.validation")]
    Validation,
    /// No product with that sku in the catalog.
    #[serde(rename = "errors.unknown_sku")]
    UnknownSku,
    /// Cash handed over does not cover the price (the price may have just changed).
    #[serde(rename = "errors.short_tender")]
    ShortTender,
    /// Sale refused before payment, nothing charged: the supplier discontinued it.
    #[serde(rename = "errors.refused.discontinued")]
    RefusedDiscontinued,
    /// Sale refused before payment, nothing charged: out of stock at the supplier.
    #[serde(rename = "errors.refused.out_of_stock")]
    RefusedOutOfStock,
    /// Sale refused before payment, nothing charged: the prepaid balance is too low.
    #[serde(rename = "errors.refused.balance_too_low")]
    RefusedBalanceTooLow,
    /// Sale refused before payment, nothing charged: below the owner's margin floor.
    #[serde(rename = "errors.refused.below_floor")]
    RefusedBelowFloor,
    /// Sale refused before payment, nothing charged: the supplier cannot be asked now.
    #[serde(rename = "errors.refused.supplier_unavailable")]
    RefusedSupplierUnavailable,
    /// No order with that number.
    #[serde(rename = "errors.not_found")]
    NotFound,
    /// The order is not in a state that allows this (refund of a delivered order…).
    #[serde(rename = "errors.wrong_state")]
    WrongState,
    /// The sale was paid and is kept, but its result could not be shown: never
    /// "not sold" (the counter must not take payment again).
    #[serde(rename = "errors.paid_not_shown")]
    PaidNotShown,
    /// No supplier (URL or key) is configured: the first-run screen offers the sandbox.
    #[serde(rename = "errors.no_supplier")]
    NoSupplier,
    /// The supplier failed outside a sale (a sync, a balance check) or is misconfigured.
    #[serde(rename = "errors.supplier")]
    Supplier,
    /// The OS keyring or the key that encrypts codes could not be used.
    #[serde(rename = "errors.secrets")]
    Secrets,
    /// Another sale is still being processed at this till.
    #[serde(rename = "errors.busy")]
    Busy,
    /// The signed-in member of staff's role may not do this (or they were disabled):
    /// nothing changed, and the attempt is in the audit log.
    #[serde(rename = "errors.not_allowed")]
    NotAllowed,
    /// A wrong PIN, or too many of them (locked for a minute).
    #[serde(rename = "errors.sign_in")]
    SignIn,
    /// The sandbox supplier could not be started.
    #[serde(rename = "errors.sandbox")]
    Sandbox,
    /// No receipt printer is set up (settings, or CODETILL_PRINTER).
    #[serde(rename = "errors.no_printer")]
    NoPrinter,
    /// The printer or mail server setting is unusable, or a delivery task failed.
    #[serde(rename = "errors.delivery")]
    Delivery,
    /// A remote sale's payment provider (Stripe, BTCPay, NOWPayments, Razorpay) is not
    /// set up on this till: no API key, server or store id. Nothing was created.
    #[serde(rename = "errors.payment_provider")]
    PaymentProvider,
    /// The payment provider could not be reached, refused, or answered nonsense when
    /// asked for a payment link. The quote was cancelled; nothing was charged.
    #[serde(rename = "errors.payment_link")]
    PaymentLink,
    /// Nobody is signed in (the app opened, was locked, or sat idle): sign in at the
    /// PIN pad first. Nothing was done.
    #[serde(rename = "errors.locked")]
    Locked,
    /// A file (a CSV export, a report's PDF) could not be written; the message says
    /// where and why.
    #[serde(rename = "errors.file")]
    File,
    /// A database server being tested could not be reached, or refused the user,
    /// password or database named; nothing was kept.
    #[serde(rename = "errors.database_server")]
    DatabaseServer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Validation, message)
    }

    /// Nobody is signed in at the till: `why` says since when.
    pub fn locked(why: impl Into<String>) -> Self {
        AppError::new(ErrorCode::Locked, why)
    }

    /// An error from core, with its whole `source()` chain in one line, logged once
    /// here so every failed command leaves a trace (a refusal or a typing mistake is
    /// part of a day at the till: info; a fault: error, as core classes it).
    fn from_core(code: ErrorCode, kind: ErrorKind, err: &(dyn StdError + 'static)) -> Self {
        let message = chain(err);
        if kind.is_expected() {
            tracing::info!(?code, error = %message, "command refused");
        } else {
            tracing::error!(?code, error = %message, "command failed");
        }
        AppError { code, message }
    }
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::Database,
        ErrorCode::Validation,
        ErrorCode::UnknownSku,
        ErrorCode::ShortTender,
        ErrorCode::RefusedDiscontinued,
        ErrorCode::RefusedOutOfStock,
        ErrorCode::RefusedBalanceTooLow,
        ErrorCode::RefusedBelowFloor,
        ErrorCode::RefusedSupplierUnavailable,
        ErrorCode::NotFound,
        ErrorCode::WrongState,
        ErrorCode::PaidNotShown,
        ErrorCode::NoSupplier,
        ErrorCode::Supplier,
        ErrorCode::Secrets,
        ErrorCode::Busy,
        ErrorCode::NotAllowed,
        ErrorCode::SignIn,
        ErrorCode::Sandbox,
        ErrorCode::NoPrinter,
        ErrorCode::Delivery,
        ErrorCode::PaymentProvider,
        ErrorCode::PaymentLink,
        ErrorCode::Locked,
        ErrorCode::File,
        ErrorCode::DatabaseServer,
    ];
}

/// "outer: inner: innermost", skipping a source whose text its parent already shows
/// (thiserror's `#[error("…: {source}")]` and `transparent` both repeat it).
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

impl From<codetill_core::catalog::CatalogError> for AppError {
    fn from(e: codetill_core::catalog::CatalogError) -> Self {
        AppError::from_core(ErrorCode::Database, e.kind(), &e)
    }
}

impl From<codetill_core::db::DbError> for AppError {
    fn from(e: codetill_core::db::DbError) -> Self {
        AppError::from_core(ErrorCode::Database, e.kind(), &e)
    }
}

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        let code = match &e {
            OrderError::UnknownSku(_) => ErrorCode::UnknownSku,
            OrderError::Refused(r) => match r {
                Refusal::Discontinued { .. } => ErrorCode::RefusedDiscontinued,
                Refusal::OutOfStock { .. } => ErrorCode::RefusedOutOfStock,
                Refusal::BalanceTooLow { .. } => ErrorCode::RefusedBalanceTooLow,
                Refusal::BelowFloor { .. } => ErrorCode::RefusedBelowFloor,
                Refusal::SupplierUnavailable { .. } => ErrorCode::RefusedSupplierUnavailable,
            },
            OrderError::ShortTender { .. } => ErrorCode::ShortTender,
            OrderError::BadInput(_) | OrderError::Pricing(_) => ErrorCode::Validation,
            OrderError::Tax(t) => match t {
                codetill_core::tax::TaxError::BadInput { .. } => ErrorCode::Validation,
                codetill_core::tax::TaxError::Db(_) => ErrorCode::Database,
            },
            OrderError::NotFound(_) => ErrorCode::NotFound,
            OrderError::WrongState { .. } => ErrorCode::WrongState,
            OrderError::PaidNotShown { .. } => ErrorCode::PaidNotShown,
            OrderError::Supplier(_) => ErrorCode::Supplier,
            OrderError::Db(_) => ErrorCode::Database,
            OrderError::Vault(_) => ErrorCode::Secrets,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<SetupError> for AppError {
    fn from(e: SetupError) -> Self {
        let code = match &e {
            SetupError::NoSupplier | SetupError::NoKey => ErrorCode::NoSupplier,
            SetupError::BadTimeout { .. }
            | SetupError::UnknownKind(_)
            | SetupError::NoAccount(..)
            | SetupError::Accounts(_)
            | SetupError::Supplier(_) => ErrorCode::Supplier,
            SetupError::Db(_) => ErrorCode::Database,
            SetupError::Secret(_) | SetupError::Vault(_) | SetupError::Task(_) => {
                ErrorCode::Secrets
            }
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        let code = match &e {
            SyncError::Supplier { .. } => ErrorCode::Supplier,
            SyncError::Catalog(_) => ErrorCode::Database,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<SupplierError> for AppError {
    fn from(e: SupplierError) -> Self {
        AppError::from_core(ErrorCode::Supplier, e.kind(), &e)
    }
}

impl From<DeliveryError> for AppError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Order(o) => o.into(),
            e => {
                let code = match &e {
                    DeliveryError::BadInput(_) => ErrorCode::Validation,
                    DeliveryError::NoPrinter => ErrorCode::NoPrinter,
                    DeliveryError::Db(_) => ErrorCode::Database,
                    DeliveryError::Secret(_) => ErrorCode::Secrets,
                    _ => ErrorCode::Delivery,
                };
                AppError::from_core(code, e.kind(), &e)
            }
        }
    }
}

impl From<PaymentError> for AppError {
    fn from(e: PaymentError) -> Self {
        let code = match &e {
            PaymentError::BadInput(_) => ErrorCode::Validation,
            PaymentError::NotConfigured { .. } => ErrorCode::PaymentProvider,
            PaymentError::Unavailable { .. }
            | PaymentError::Rejected { .. }
            | PaymentError::Unreadable { .. } => ErrorCode::PaymentLink,
            PaymentError::Db(_) => ErrorCode::Database,
            PaymentError::Secret(_) => ErrorCode::Secrets,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<RemoteError> for AppError {
    fn from(e: RemoteError) -> Self {
        match e {
            RemoteError::Order(o) => o.into(),
            RemoteError::Payment(p) => p.into(),
            RemoteError::Db(d) => d.into(),
        }
    }
}

impl From<codetill_core::alerts::AlertError> for AppError {
    fn from(e: codetill_core::alerts::AlertError) -> Self {
        use codetill_core::alerts::AlertError;
        let code = match &e {
            AlertError::NotFound(_) => ErrorCode::NotFound,
            AlertError::BadInput(_) => ErrorCode::Validation,
            AlertError::Db(_) => ErrorCode::Database,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<codetill_core::pricing::PricingError> for AppError {
    fn from(e: codetill_core::pricing::PricingError) -> Self {
        AppError::from_core(ErrorCode::Validation, e.kind(), &e)
    }
}

impl From<codetill_core::secrets::SecretError> for AppError {
    fn from(e: codetill_core::secrets::SecretError) -> Self {
        AppError::from_core(ErrorCode::Secrets, e.kind(), &e)
    }
}

impl From<TillError> for AppError {
    fn from(e: TillError) -> Self {
        match e {
            // Another sale under way is part of a day at the till: no log line.
            TillError::Busy(message) => AppError::new(ErrorCode::Busy, message),
            TillError::Order(e) => e.into(),
            TillError::Setup(e) => e.into(),
            TillError::Sync(e) => e.into(),
            TillError::Remote(e) => e.into(),
            TillError::Delivery(e) => e.into(),
            TillError::Fx(e) => {
                let code = match &e {
                    codetill_core::fx::FxError::Db(_) => ErrorCode::Database,
                    _ => ErrorCode::Validation,
                };
                AppError::from_core(code, e.kind(), &e)
            }
            TillError::Reconcile(e) => {
                use codetill_core::reconcile::ReconcileError;
                match e {
                    ReconcileError::Order(e) => e.into(),
                    ReconcileError::Supplier(e) => e.into(),
                    ReconcileError::Alert(e) => e.into(),
                    ReconcileError::Db(e) => e.into(),
                    e @ ReconcileError::BadInput { .. } => {
                        AppError::from_core(ErrorCode::Validation, e.kind(), &e)
                    }
                }
            }
            TillError::Db(e) => e.into(),
            TillError::Staff(e) => e.into(),
            TillError::Settings(e) => e.into(),
            TillError::Account(e) => e.into(),
            TillError::Catalog(e) => e.into(),
            TillError::Tax(e) => {
                let kind = e.kind();
                let code = match kind {
                    codetill_core::error::ErrorKind::Input => ErrorCode::Validation,
                    _ => ErrorCode::Database,
                };
                AppError::from_core(code, kind, &e)
            }
            TillError::Buyer(e) => {
                let kind = e.kind();
                let code = match kind {
                    codetill_core::error::ErrorKind::Input => ErrorCode::Validation,
                    _ => ErrorCode::Database,
                };
                AppError::from_core(code, kind, &e)
            }
            TillError::Database(e) => e.into(),
        }
    }
}

impl From<DatabaseError> for AppError {
    fn from(e: DatabaseError) -> Self {
        let code = match &e {
            e if e.is_bad_url() => ErrorCode::Validation,
            DatabaseError::FromEnvironment => ErrorCode::Validation,
            DatabaseError::Unreachable { .. } | DatabaseError::NoAnswer { .. } => {
                ErrorCode::DatabaseServer
            }
            DatabaseError::Secret(_) => ErrorCode::Secrets,
            DatabaseError::Db(_)
            | DatabaseError::Vault(_)
            | DatabaseError::Task(_)
            | DatabaseError::DataFolder { .. }
            | DatabaseError::UrlLost { .. } => ErrorCode::Database,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<codetill_core::staff::StaffError> for AppError {
    fn from(e: codetill_core::staff::StaffError) -> Self {
        use codetill_core::staff::StaffError;
        let code = match &e {
            StaffError::Refused(_) | StaffError::Disabled(_) => ErrorCode::NotAllowed,
            StaffError::WrongPin { .. } | StaffError::Locked { .. } => ErrorCode::SignIn,
            StaffError::NotFound(_) => ErrorCode::NotFound,
            StaffError::Hash(_) | StaffError::Db(_) => ErrorCode::Database,
            _ => ErrorCode::Validation,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<codetill_core::shifts::ShiftError> for AppError {
    fn from(e: codetill_core::shifts::ShiftError) -> Self {
        use codetill_core::shifts::ShiftError;
        let code = match &e {
            ShiftError::BadInput { .. } | ShiftError::NoCurrency => ErrorCode::Validation,
            ShiftError::AlreadyOpen { .. } | ShiftError::NoneOpen(_) => ErrorCode::WrongState,
            ShiftError::NoneClosed(_) => ErrorCode::NotFound,
            ShiftError::Print(_) => ErrorCode::Delivery,
            ShiftError::Db(_) => ErrorCode::Database,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<codetill_core::reports::ReportError> for AppError {
    fn from(e: codetill_core::reports::ReportError) -> Self {
        use codetill_core::reports::ReportError;
        let code = match &e {
            ReportError::BadInput { .. } => ErrorCode::Validation,
            ReportError::Db(_) => ErrorCode::Database,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<codetill_core::support::SupportError> for AppError {
    fn from(e: codetill_core::support::SupportError) -> Self {
        use codetill_core::support::SupportError;
        let code = match &e {
            SupportError::Db(_) => ErrorCode::Database,
            _ => ErrorCode::Validation,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<codetill_core::supplier::accounts::AccountError> for AppError {
    fn from(e: codetill_core::supplier::accounts::AccountError) -> Self {
        use codetill_core::supplier::accounts::AccountError;
        let code = match &e {
            AccountError::BadInput { .. } | AccountError::Exists(_) => ErrorCode::Validation,
            AccountError::NotFound(_) => ErrorCode::NotFound,
            AccountError::Secret(_) => ErrorCode::Secrets,
            AccountError::Db(_) => ErrorCode::Database,
        };
        AppError::from_core(code, e.kind(), &e)
    }
}

impl From<SettingsError> for AppError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid { message, .. } => AppError::validation(message),
            SettingsError::Db(e) => e.into(),
        }
    }
}

impl From<MoneyError> for AppError {
    fn from(e: MoneyError) -> Self {
        AppError::from_core(ErrorCode::Validation, e.kind(), &e)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use codetill_core::catalog::CatalogError;
    use codetill_core::db::DbError;

    #[test]
    fn validation_error_serialises_to_code_and_message() {
        let json = serde_json::to_string(&AppError::validation("sku is empty")).unwrap();
        assert_eq!(
            json,
            r#"{"code":"errors.validation","message":"sku is empty"}"#
        );
    }

    #[test]
    fn database_error_serialises_with_its_cause_chain_once() {
        let err: AppError = CatalogError::Db(DbError::Sql(sqlx::Error::PoolTimedOut)).into();
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "errors.database",
                "message": "database: pool timed out while waiting for an open connection",
            })
        );
    }

    #[test]
    fn a_refusal_before_payment_names_its_reason_in_the_code() {
        let err: AppError = OrderError::Refused(Refusal::BalanceTooLow {
            available: "5.00 USD".into(),
            needed: "18.40 USD".into(),
        })
        .into();
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "code": "errors.refused.balance_too_low",
                "message": "sale refused, nothing charged: the supplier balance 5.00 USD does not cover the wholesale price 18.40 USD",
            })
        );
    }

    #[test]
    fn no_supplier_is_its_own_code_for_the_first_run_screen() {
        let err: AppError = SetupError::NoSupplier.into();
        assert_eq!(
            serde_json::to_value(&err).unwrap()["code"],
            "errors.no_supplier"
        );
        let err: AppError = SetupError::NoKey.into();
        assert_eq!(err.code, ErrorCode::NoSupplier);
    }

    #[test]
    fn a_provider_not_set_up_and_one_that_made_no_link_have_their_own_codes() {
        use codetill_core::payments::ProviderKind;
        let err: AppError = RemoteError::Payment(PaymentError::NotConfigured {
            provider: ProviderKind::Stripe,
            message: "no API key".into(),
        })
        .into();
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "code": "errors.payment_provider",
                "message": "stripe is not configured: no API key",
            })
        );
        let err: AppError = PaymentError::Rejected {
            provider: ProviderKind::Btcpay,
            status: 403,
            message: "forbidden".into(),
        }
        .into();
        assert_eq!(err.code, ErrorCode::PaymentLink);
        let err: AppError = RemoteError::Order(OrderError::UnknownSku("NOPE".into())).into();
        assert_eq!(err.code, ErrorCode::UnknownSku);
    }

    #[test]
    fn every_code_is_known_to_the_ui_and_has_a_message_in_both_languages() {
        let types = include_str!("../../ui/src/lib/types.ts");
        let en = include_str!("../../ui/src/lib/i18n/en.ts");
        let hi = include_str!("../../ui/src/lib/i18n/hi.ts");
        for code in ErrorCode::ALL {
            let name = serde_json::to_value(code).unwrap();
            let quoted = format!("'{}'", name.as_str().unwrap());
            assert!(
                types.contains(&quoted),
                "{quoted} missing from ERROR_CODES in types.ts"
            );
            assert!(
                en.contains(&format!("{quoted}:")),
                "{quoted} missing from en.ts"
            );
            assert!(
                hi.contains(&format!("{quoted}:")),
                "{quoted} missing from hi.ts"
            );
        }
    }
}
