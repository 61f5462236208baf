//! The owner's switch for the cash drawer: whether the receipt printer has one on
//! its kick-out port (setting [`DRAWER_ENABLED`]). Changed with its audit row in
//! one write, as the other settings are; [`Till::has_drawer`] reads it.

use crate::db::DbError;
use crate::settings;
use crate::staff::{Action, audit};

use super::drawer::DRAWER_ENABLED;
use super::{Clerk, Till, TillError};

impl Till {
    /// Turns the drawer on or off at this till (the owner's); answers what is now
    /// stored.
    pub async fn set_drawer(&self, clerk: &Clerk, enabled: bool) -> Result<bool, TillError> {
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let mut tx = self.db.begin_write().await?;
        let key = settings::key(&self.db, DRAWER_ENABLED);
        settings::set(&mut *tx, &key, if enabled { "1" } else { "0" }).await?;
        let detail = if enabled { "drawer on" } else { "drawer off" };
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "drawer_setting",
                order_id: None,
                detail: Some(detail),
                at: None,
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        self.has_drawer().await
    }
}
