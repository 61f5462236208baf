//! The cash drawer: a printer with a drawer kicks it open on the ESC/POS pulse.
//! It opens on every cash sale and from a key at the counter ("no sale"), when the
//! owner says the printer has one (setting `drawer.enabled`); every opening is in
//! the audit log with who opened it and why.

use crate::db::DbError;
use crate::delivery::escpos::DRAWER_PULSE;
use crate::delivery::printer;
use crate::settings;
use crate::staff::{Action, audit};

use super::{Clerk, Till, TillError};

/// "1" when the receipt printer has a cash drawer on its kick-out port.
pub use crate::settings::DRAWER_ENABLED;

/// Why the drawer opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening<'a> {
    /// A cash sale: its order (or basket).
    Sale(&'a str),
    /// The key at the counter, with no sale.
    NoSale,
}

impl Till {
    /// Whether this till opens a drawer at all.
    pub async fn has_drawer(&self) -> Result<bool, TillError> {
        Ok(settings::value(&self.db, DRAWER_ENABLED).await?.as_deref() == Some("1"))
    }

    /// Opens the drawer (a cashier's: they take cash) and records it. `Ok(false)`
    /// when the till has no drawer or no thermal printer to drive it; an error when
    /// the printer does not take the pulse (the audit row says it was asked).
    pub async fn open_drawer(&self, clerk: &Clerk, why: Opening<'_>) -> Result<bool, TillError> {
        self.authorize(clerk, Action::Sell, None).await?;
        if !self.has_drawer().await? {
            return Ok(false);
        }
        let Some(spec) = self.printer().await.filter(|p| !p.is_pdf()) else {
            return Ok(false);
        };
        let detail = match why {
            Opening::Sale(order) => format!("cash sale {order}"),
            Opening::NoSale => "no sale".to_string(),
        };
        // Recorded before the pulse: a drawer that opened is never missing from
        // the log, even if the answer from the printer is lost.
        let mut tx = self.db.begin_write().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "drawer_opened",
                order_id: None,
                detail: Some(&detail),
                at: None,
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        printer::send_escpos(&spec, &DRAWER_PULSE)
            .await
            .map_err(|e| {
                crate::delivery::DeliveryError::BadPrinter(format!(
                    "the cash drawer did not open: {e}"
                ))
            })?;
        tracing::info!(staff = %clerk.staff, %detail, "cash drawer opened");
        Ok(true)
    }

    /// After a cash sale: the drawer opens for the money; a drawer that does not
    /// open never fails the sale (the owner sees the warning).
    pub(super) async fn drawer_for_sale(&self, clerk: &Clerk, reference: &str) {
        if let Err(e) = self.open_drawer(clerk, Opening::Sale(reference)).await {
            tracing::warn!(error = %e, sale = reference, "the cash drawer did not open");
        }
    }
}
