//! The till's reconciliation: a window of one supplier (the shop's own, or an
//! account by name) matched with our orders, its alert told to the front, and the
//! delivery of an order reconciliation found charged. The daily run is a tick
//! ([`Till::reconcile_if_due`], in `ticks`).

use std::sync::Arc;

use crate::orders::Outcome;
use crate::reconcile::{self, NewTopup, Report, SHOP_SUPPLIER, Topup};
use crate::staff::Action;
use crate::supplier::{Supplier, Window, accounts};

use super::{Till, TillError};

impl Till {
    /// The supplier an account name stands for (`None`: the shop's primary, the one
    /// a sale tries first when offers cost the same), with the name runs, orders and
    /// top-ups file it under.
    pub async fn supplier_named(
        &self,
        account: Option<&str>,
    ) -> Result<(Arc<dyn Supplier>, String), TillError> {
        match account.map(str::trim).filter(|a| !a.is_empty()) {
            None => {
                let suppliers = self.suppliers().await?;
                let (name, supplier) = suppliers
                    .primary()
                    .ok_or(crate::setup::SetupError::NoSupplier)?;
                Ok((supplier, name.unwrap_or(SHOP_SUPPLIER).to_string()))
            }
            Some(name) => {
                let account = accounts::get(&self.db, name).await.map_err(|e| {
                    reconcile::ReconcileError::BadInput {
                        field: "--supplier",
                        message: e.to_string(),
                    }
                })?;
                let supplier = crate::setup::account_supplier(self.secrets(), &account).await?;
                Ok((supplier, account.name))
            }
        }
    }

    /// The name top-ups and runs are filed under for `account` (`None`: the
    /// shop's primary supplier).
    pub async fn supplier_name(&self, account: Option<&str>) -> Result<String, TillError> {
        Ok(self.supplier_named(account).await?.1)
    }

    /// Reconciles `window` of the shop's supplier or of the account `account`; a run
    /// that found anything tells its alert.
    pub async fn reconcile(
        &self,
        window: Window,
        account: Option<&str>,
    ) -> Result<Report, TillError> {
        let (supplier, name) = self.supplier_named(account).await?;
        let report = reconcile::run(&self.db, supplier.as_ref(), &name, window).await?;
        tracing::info!(
            supplier = %name,
            transactions = report.transactions,
            findings = report.findings.len(),
            "reconciled"
        );
        self.tell(Ok::<_, crate::alerts::AlertError>(report.alert.clone()))
            .await;
        Ok(report)
    }

    /// Records a top-up the owner made to a supplier account (the owner's, as the
    /// suppliers are): with it, the balance's movement explains itself. No supplier
    /// named: the primary one.
    pub async fn record_topup(
        &self,
        clerk: &super::Clerk,
        new: &NewTopup,
    ) -> Result<Topup, TillError> {
        self.authorize(clerk, Action::ChangeSuppliers, None).await?;
        let supplier = match new.supplier.trim() {
            "" => self.supplier_name(None).await?,
            named => self.supplier_name(Some(named)).await?,
        };
        let new = NewTopup {
            supplier,
            staff: clerk.staff.clone(),
            ..new.clone()
        };
        Ok(reconcile::topups::record(&self.db, &new).await?)
    }

    /// The top-ups recorded, newest first (all accounts, or `supplier`'s).
    pub async fn topups(&self, supplier: Option<&str>) -> Result<Vec<Topup>, TillError> {
        Ok(reconcile::topups::list(&self.db, supplier).await?)
    }

    /// Delivers an order reconciliation found charged but not delivered: its codes
    /// fetched by key (never bought again) for its own buyer, with an engine of its
    /// own so that it never drives an order the counter is driving.
    pub async fn reconcile_deliver(&self, reference: &str) -> Result<Outcome, TillError> {
        let engine = self.new_engine().await?;
        Ok(reconcile::deliver(&engine, reference).await?)
    }
}
