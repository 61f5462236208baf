//! The buyer retention period at this till: the owner's setting, read and changed
//! with its audit row in the same write (the CLI's `buyers retention` writes the
//! setting alone; the app goes through here so the change is audited).

use crate::buyers::{BuyerError, RETENTION_MONTHS};
use crate::db::DbError;
use crate::settings;
use crate::staff::{Action, audit};

use super::{Clerk, Till, TillError};

/// The longest retention the owner may set, in months (ten years).
pub const MAX_RETENTION_MONTHS: u32 = 120;

impl Till {
    /// Months after a buyer's last purchase when their contact data goes (`None`:
    /// kept). A stored value that is no number reads as kept.
    pub async fn buyer_retention(&self) -> Result<Option<u32>, TillError> {
        Ok(settings::value(&self.db, RETENTION_MONTHS)
            .await?
            .and_then(|v| v.trim().parse().ok()))
    }

    /// Sets the retention (the owner's, as the other settings are): 1 to
    /// [`MAX_RETENTION_MONTHS`] months, or `None` to keep contact data.
    pub async fn set_buyer_retention(
        &self,
        clerk: &Clerk,
        months: Option<u32>,
    ) -> Result<Option<u32>, TillError> {
        if let Some(m) = months
            && !(1..=MAX_RETENTION_MONTHS).contains(&m)
        {
            return Err(BuyerError::BadInput {
                field: "retention months",
                message: format!("{m} is not 1 to {MAX_RETENTION_MONTHS}"),
            }
            .into());
        }
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let value = months.map(|m| m.to_string()).unwrap_or_default();
        let detail = match months {
            Some(m) => format!("buyer contact data kept {m} months"),
            None => "buyer contact data kept".to_string(),
        };
        let mut tx = self.db.begin_write().await?;
        settings::set(&mut *tx, RETENTION_MONTHS, &value).await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "buyer_retention",
                order_id: None,
                detail: Some(&detail),
                at: None,
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        self.buyer_retention().await
    }
}
