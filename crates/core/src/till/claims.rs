//! The owner's claim settings ("sell now, deliver when the supplier returns") and
//! the claims waiting for the supplier. See [`crate::orders::claim`].

use super::{Clerk, Till, TillError};
use crate::db::DbError;
use crate::orders::claim::{self, ClaimTerms};
use crate::orders::{self, Order, OrderStatus};
use crate::staff::Action;
use crate::staff::audit;

impl Till {
    pub async fn claim_terms(&self) -> Result<ClaimTerms, TillError> {
        Ok(claim::terms(&self.db).await?)
    }

    /// Turns claims on or off and sets their limit (the owner's, as settings are);
    /// checked first, then saved with its audit row in one transaction.
    pub async fn set_claims(
        &self,
        clerk: &Clerk,
        enabled: bool,
        limit_hours: Option<u32>,
    ) -> Result<ClaimTerms, TillError> {
        let limit_hours = limit_hours.map(claim::check_limit).transpose()?;
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let mut tx = self.db.begin_write().await?;
        claim::write_terms(&mut tx, enabled, limit_hours).await?;
        let detail = match limit_hours {
            Some(h) => format!("claims {}, limit {h} h", on_off(enabled)),
            None => format!("claims {}", on_off(enabled)),
        };
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "claim_settings",
                detail: Some(&detail),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        self.claim_terms().await
    }

    /// Claims still waiting for the supplier (paid, not yet delivered), oldest first.
    pub async fn open_claims(&self) -> Result<Vec<Order>, TillError> {
        let mut open = Vec::new();
        for id in orders::open_order_ids(&self.db).await? {
            let order = orders::find(&self.db, &id.to_string()).await?;
            if order.claim.is_some() && order.status != OrderStatus::Delivered {
                open.push(order);
            }
        }
        Ok(open)
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}
