//! Entry points for the fuzz targets (`fuzz/`): parsers that are private to their
//! modules, reached here on bytes as they would arrive. Not an API for anything else.

use reqwest::StatusCode;

use crate::supplier::wholesale;
use crate::supplier::{CatalogPage, SupplierError, SupplierOrder};

/// A Wholesale API catalog page as the adapter reads it.
pub fn wholesale_catalog_page(body: &[u8]) -> Result<CatalogPage, SupplierError> {
    wholesale::catalog_page_from(body)
}

/// A Wholesale API order answer (placing or looking up) with a 2xx `status`.
pub fn wholesale_order(status: u16, body: &[u8]) -> Result<SupplierOrder, SupplierError> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    wholesale::order_from(status, body)
}

/// What the adapter makes of an error answer: `status` (100..=999), its
/// `Retry-After` header as sent, and its body.
pub fn wholesale_error(status: u16, retry_after: Option<&str>, body: &[u8]) -> SupplierError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let header_retry = retry_after.and_then(wholesale::retry_after_seconds);
    wholesale::error_from_body(status, header_retry, body)
}
