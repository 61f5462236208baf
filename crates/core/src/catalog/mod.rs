//! The local copy of the supplier's catalog: the sync job that keeps it current, the
//! pricing rules that turn wholesale into retail, and search as staff type.

mod copy;
mod offers;
mod proposals;
mod review;
mod rules;
mod search;
mod sync;

pub use copy::{COPY_FILE, CatalogCopy};
pub use offers::{OfferError, link, offers, unlink};
pub use proposals::{Applied, Proposal, ProposalError, apply as apply_proposals, proposals};
pub use review::{
    MAX_PREVIEW, PriceChange, PricePreview, main_currency, preview, price_changes, skipped_rows,
};
pub(crate) use rules::{RULE_COLUMNS, rules_from};
pub use rules::{
    RepriceReport, load_pricing, load_rules, remove_rule, reprice_all, save_rule, set_shop_currency,
};
pub(crate) use search::product_from;
pub use search::{fts_query, product_by_sku, product_count, search, search_read_only};
pub use sync::{LastSync, SyncError, SyncKind, SyncOptions, SyncReport, last_sync, sync};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Pricing(#[from] crate::pricing::PricingError),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        CatalogError::Db(DbError::Sql(e))
    }
}
