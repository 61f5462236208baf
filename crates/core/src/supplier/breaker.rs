//! The circuit breaker in front of each supplier. A supplier that stops answering
//! (three calls in a row time out, drop or fail with a 5xx) is taken as down: from
//! then on every call fails at once with [`SupplierError::Down`] instead of waiting
//! for its timeout, so a sale is refused (or taken as a claim) in milliseconds and
//! recovery leaves its orders for later. Only a probe — the health check, or
//! recovery before it drives anything — asks a down supplier again; its answer
//! closes the breaker. A sale never waits on a dead supplier to find out.
//!
//! A refusal, a bad key or a rate limit is an answer: the supplier is up. A probe
//! asks for the balance, and when only that fails, for one catalog row: a supplier
//! whose balance service alone is broken still sells, and is not kept down.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;

use super::{
    Balance, CatalogPage, CatalogRequest, DuplicateMode, OrderRequest, Stock, Supplier,
    SupplierError, SupplierOrder, SupplierTransaction, Window,
};

/// Failed calls in a row that open the breaker.
pub const THRESHOLD: u32 = 3;

#[derive(Debug, Default)]
struct State {
    /// Outages in a row since the last answer.
    failures: u32,
    /// Open since, and why.
    open: Option<(Instant, String)>,
}

/// One supplier's breaker, shared by every call to it in this process.
#[derive(Debug, Default)]
pub struct Breaker {
    state: Mutex<State>,
}

impl Breaker {
    /// Whether a call may go out now; when open, the error it fails with.
    fn admit(&self) -> Result<(), SupplierError> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        match &state.open {
            None => Ok(()),
            Some((since, why)) => Err(SupplierError::Down {
                message: format!(
                    "{why} (no call for {} s; it is asked again by the health check)",
                    since.elapsed().as_secs()
                ),
            }),
        }
    }

    /// Takes note of a call's outcome; true when this call opened the breaker.
    fn record<T>(&self, result: &Result<T, SupplierError>) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        match result {
            Err(e) if is_outage(e) => {
                state.failures = state.failures.saturating_add(1);
                if state.open.is_none() && state.failures >= THRESHOLD {
                    state.open = Some((
                        Instant::now(),
                        format!("{} calls in a row failed, the last: {e}", state.failures),
                    ));
                    return true;
                }
                false
            }
            _ => {
                state.failures = 0;
                state.open = None;
                false
            }
        }
    }

    pub fn is_open(&self) -> bool {
        self.state.lock().map(|s| s.open.is_some()).unwrap_or(false)
    }

    /// Why it is open, when it is.
    pub fn why(&self) -> Option<String> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.open.as_ref().map(|(_, why)| why.clone()))
    }

    /// Opens it now (a supplier that failed a sale's quote, with others to route
    /// to); true when it was closed.
    pub fn open(&self, why: &str) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.open.is_some() {
            return false;
        }
        state.open = Some((Instant::now(), why.to_string()));
        true
    }

    /// Closes it (the supplier answered a probe); true when it was open.
    pub fn close(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        state.failures = 0;
        state.open.take().is_some()
    }
}

/// An outcome that says the supplier is not there: nothing answered (a timeout, a
/// dropped or refused connection) or it failed inside (5xx). A rate limit names
/// when to come back, so it is an answer.
fn is_outage(e: &SupplierError) -> bool {
    match e {
        SupplierError::Ambiguous { .. } | SupplierError::Down { .. } => true,
        SupplierError::Retryable { retry_after, .. } => retry_after.is_none(),
        SupplierError::Rejected { .. } | SupplierError::Configuration { .. } => false,
    }
}

/// A supplier behind its breaker: what routing, sales and recovery call.
pub struct Guarded {
    inner: Arc<dyn Supplier>,
    breaker: Arc<Breaker>,
    name: Option<String>,
}

impl Guarded {
    pub fn new(inner: Arc<dyn Supplier>, breaker: Arc<Breaker>, name: Option<String>) -> Guarded {
        Guarded {
            inner,
            breaker,
            name,
        }
    }

    /// Asks the supplier itself, open breaker or not (the health check's probe),
    /// and closes the breaker when it answers: its balance, or, when that call
    /// finds nobody there, the first row of its catalog. Ok when it answered.
    pub async fn probe(&self) -> Result<(), SupplierError> {
        let mut result = self.inner.balance().await.map(|_| ());
        if result.as_ref().is_err_and(is_outage) {
            let first_row = CatalogRequest {
                cursor: None,
                limit: 1,
                updated_since: None,
            };
            if self.inner.catalog_page(&first_row).await.is_ok() {
                result = Ok(());
            }
        }
        if result.is_ok() && self.breaker.close() {
            tracing::info!(
                supplier = super::routing::display_name(self.name.as_deref()),
                "supplier answered again: breaker closed"
            );
        } else {
            self.note(&result);
        }
        result
    }

    async fn call<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, SupplierError>>,
    ) -> Result<T, SupplierError> {
        self.breaker.admit()?;
        let result = f.await;
        self.note(&result);
        result
    }

    fn note<T>(&self, result: &Result<T, SupplierError>) {
        if self.breaker.record(result) {
            tracing::warn!(
                supplier = super::routing::display_name(self.name.as_deref()),
                why = ?self.breaker.why(),
                "supplier down: breaker open"
            );
        }
    }
}

#[async_trait]
impl Supplier for Guarded {
    fn duplicate_mode(&self) -> DuplicateMode {
        self.inner.duplicate_mode()
    }

    /// The catalog is a bulk job with its own retries, never a sale: not gated.
    async fn catalog_page(&self, request: &CatalogRequest) -> Result<CatalogPage, SupplierError> {
        self.inner.catalog_page(request).await
    }

    async fn stock(&self, sku: &str) -> Result<Stock, SupplierError> {
        self.call(self.inner.stock(sku)).await
    }

    async fn balance(&self) -> Result<Balance, SupplierError> {
        self.call(self.inner.balance()).await
    }

    async fn place_order(&self, request: &OrderRequest) -> Result<SupplierOrder, SupplierError> {
        self.call(self.inner.place_order(request)).await
    }

    async fn get_order(
        &self,
        client_order_id: &str,
    ) -> Result<Option<SupplierOrder>, SupplierError> {
        self.call(self.inner.get_order(client_order_id)).await
    }

    fn key_for(&self, client_order_id: &str) -> String {
        self.inner.key_for(client_order_id)
    }

    async fn transactions(
        &self,
        window: &Window,
    ) -> Result<Vec<SupplierTransaction>, SupplierError> {
        self.call(self.inner.transactions(window)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage() -> Result<(), SupplierError> {
        Err(SupplierError::Ambiguous {
            message: "timed out".into(),
        })
    }

    #[test]
    fn three_outages_in_a_row_open_it_and_an_answer_between_resets_the_count() {
        let b = Breaker::default();
        assert!(!b.record(&outage()));
        assert!(!b.record(&outage()));
        assert!(!b.record(&Ok(())));
        assert!(!b.record(&outage()));
        assert!(!b.record(&outage()));
        assert!(b.admit().is_ok());
        assert!(b.record(&outage()), "the third in a row opens it");
        assert!(matches!(b.admit(), Err(SupplierError::Down { .. })));
        assert!(b.close());
        assert!(b.admit().is_ok());
    }

    #[test]
    fn refusals_and_rate_limits_are_answers() {
        let b = Breaker::default();
        for _ in 0..5 {
            b.record::<()>(&Err(SupplierError::Rejected {
                reason: super::super::RejectReason::OutOfStock,
                message: "none".into(),
            }));
            b.record::<()>(&Err(SupplierError::Retryable {
                retry_after: Some(std::time::Duration::from_secs(1)),
                message: "rate limited".into(),
            }));
        }
        assert!(!b.is_open());
        for _ in 0..3 {
            b.record::<()>(&Err(SupplierError::Retryable {
                retry_after: None,
                message: "connection refused".into(),
            }));
        }
        assert!(b.is_open());
    }
}
