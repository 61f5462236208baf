//! The wholesale supplier, seen through one trait. The `wholesale` adapter speaks
//! Wholesale API v1; adapters for real suppliers map their endpoints onto the same
//! trait and declare how they treat a repeated order key ([`DuplicateMode`]).
//!
//! Errors are typed so that the caller can tell what it may do next:
//! *rejected* (nothing charged), *retryable* (known not processed; wait and send the
//! same request again), *ambiguous* (outcome unknown: look the order up first) and
//! *configuration* (bad key, wrong URL: a person must act).

pub mod accounts;
pub mod bamboo;
pub mod breaker;
pub mod ding;
mod number;
mod reloadly;
pub mod routing;
pub(crate) mod wholesale;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::money::Money;
use crate::product::SupplierProduct;
use crate::secrets::Redacted;

pub use bamboo::{BambooClient, BambooConfig};
pub use ding::{DingClient, DingConfig};
pub use reloadly::{ReloadlyClient, ReloadlyConfig};
pub use routing::{SHOP_SUPPLIER, Suppliers};
pub use wholesale::{WholesaleClient, WholesaleConfig, parse_base_url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplierError {
    #[error("the supplier refused ({reason}): {message}")]
    Rejected {
        reason: RejectReason,
        message: String,
    },
    #[error("the supplier did not process the request: {message}")]
    Retryable {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("the supplier's answer was lost: {message}")]
    Ambiguous { message: String },
    #[error("supplier configuration: {message}")]
    Configuration { message: String },
    /// Not asked: its breaker is open after calls in a row failed. Nothing was sent.
    #[error("the supplier is down: {message}")]
    Down { message: String },
}

impl SupplierError {
    /// A failure of a call made before the order is sent (reading the product to
    /// check its price, say): nothing can have been bought, so anything but a
    /// refusal or a set-up fault only means "try again".
    pub fn before_sending(self, what: &str) -> SupplierError {
        match self {
            e @ (SupplierError::Rejected { .. } | SupplierError::Configuration { .. }) => e,
            e => SupplierError::Retryable {
                retry_after: None,
                message: format!("{what}: {e}"),
            },
        }
    }

    /// May the same request be sent again (after a lookup, for orders)?
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SupplierError::Retryable { .. }
                | SupplierError::Ambiguous { .. }
                | SupplierError::Down { .. }
        )
    }
}

/// Why the supplier refused; in each case nothing was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    OutOfStock,
    InsufficientBalance,
    PriceChanged,
    NotFound,
    InvalidRequest,
    IdempotencyConflict,
    /// A code this client does not know; kept as the supplier sent it.
    Other(String),
}

impl RejectReason {
    pub fn from_code(code: &str) -> Self {
        match code {
            "out_of_stock" => RejectReason::OutOfStock,
            "insufficient_balance" => RejectReason::InsufficientBalance,
            "price_changed" => RejectReason::PriceChanged,
            "not_found" => RejectReason::NotFound,
            "invalid_request" => RejectReason::InvalidRequest,
            "idempotency_conflict" => RejectReason::IdempotencyConflict,
            other => RejectReason::Other(other.to_string()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            RejectReason::OutOfStock => "out_of_stock",
            RejectReason::InsufficientBalance => "insufficient_balance",
            RejectReason::PriceChanged => "price_changed",
            RejectReason::NotFound => "not_found",
            RejectReason::InvalidRequest => "invalid_request",
            RejectReason::IdempotencyConflict => "idempotency_conflict",
            RejectReason::Other(c) => c,
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// How a supplier treats a second order under a key it has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateMode {
    /// Same key and body: the original order is answered again (Wholesale API v1).
    Replay,
    /// A duplicate is refused; the order must be fetched by key.
    RejectDuplicate,
    /// Keys are only for look-up; a second send creates a second order.
    LookupOnly,
}

#[derive(Debug, Clone, Default)]
pub struct CatalogRequest {
    pub cursor: Option<String>,
    pub limit: u32,
    pub updated_since: Option<DateTime<Utc>>,
}

/// A catalog row that could not be read, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    pub sku: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct CatalogPage {
    pub products: Vec<Result<SupplierProduct, BadRow>>,
    pub next_cursor: Option<String>,
    /// How many products the whole walk holds, when the supplier says.
    pub total: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    pub sku: String,
    pub available: bool,
    pub quantity: Option<u64>,
    pub wholesale: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub available: Money,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRequest {
    pub client_order_id: String,
    pub sku: String,
    pub quantity: u32,
    pub max_unit_price: Money,
    /// For an open-amount product: the face value to buy, in the face currency.
    pub face_value: Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplierOrderStatus {
    Pending,
    Completed,
    Failed,
}

/// One code as issued. The code and PIN are money: never printed by `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: Redacted<String>,
    pub pin: Option<Redacted<String>>,
    pub serial: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierOrder {
    pub order_id: String,
    pub client_order_id: String,
    pub status: SupplierOrderStatus,
    pub sku: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub total: Money,
    pub codes: Vec<IssuedCode>,
    /// Set when `status` is failed: (code, message).
    pub failure: Option<(String, String)>,
    pub balance_after: Option<Money>,
}

/// A stretch of time, `from` included and `to` not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// One order as the supplier's own history shows it, for reconciliation: what it
/// charged, under which key, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplierTransaction {
    /// Our key as the supplier carries it ([`Supplier::key_for`] of the order's
    /// `client_order_id`).
    pub key: String,
    /// The supplier's own id for the order.
    pub order_id: String,
    pub status: SupplierOrderStatus,
    /// What the supplier took from the account, in the account's currency; zero for
    /// a failed (refunded) order.
    pub charged: Money,
    pub at: DateTime<Utc>,
}

impl SupplierTransaction {
    /// Did this order take money from the account (now, or while it settles)?
    pub fn is_charge(&self) -> bool {
        self.status != SupplierOrderStatus::Failed
    }
}

#[async_trait]
pub trait Supplier: Send + Sync {
    fn duplicate_mode(&self) -> DuplicateMode;
    async fn catalog_page(&self, request: &CatalogRequest) -> Result<CatalogPage, SupplierError>;
    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError>;
    async fn balance(&self) -> Result<Balance, SupplierError>;
    /// Sends the order; the same request may be sent again only under the same key.
    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError>;
    /// The order created under `client_order_id`, or `None` if there never was one.
    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError>;
    /// The key the supplier keeps the order `client_order_id` under in its history
    /// (Bamboo: the RequestId derived from it).
    fn key_for(&self, client_order_id: &str) -> String {
        client_order_id.to_string()
    }
    /// Every order the supplier made for this account in `window`, oldest first,
    /// every page read.
    async fn transactions(
        &self,
        _window: &Window,
    ) -> Result<Vec<SupplierTransaction>, SupplierError> {
        Err(SupplierError::Configuration {
            message: "this supplier's transaction history cannot be read".into(),
        })
    }
}

/// A long history is read to this many pages at most; a window that needs more is
/// refused rather than read in part (a partial history would flag orders as missing).
pub const MAX_HISTORY_PAGES: u32 = 500;

pub(crate) fn history_too_long(what: &str) -> SupplierError {
    SupplierError::Configuration {
        message: format!(
            "the supplier's {what} for this window runs past {MAX_HISTORY_PAGES} pages: reconcile a shorter window"
        ),
    }
}
