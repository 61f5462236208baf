//! The owner's update setting: the URL the app checks for a signed update (none: off,
//! the default), and when an update may be installed — never in the middle of a
//! sale, nor while a shift is open at this till (its cash would be counted by one
//! version and closed by another).

use super::settings::SettingsError;
use super::{Clerk, Till, TillError};
use crate::db::DbError;
use crate::settings;
use crate::staff::{Action, audit};

/// The update manifest's URL; empty or absent: updates are off.
pub const UPDATE_URL: &str = "updates.url";

/// Why an update cannot be installed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotNow {
    SaleUnderWay,
    ShiftOpen,
}

impl Till {
    pub async fn update_url(&self) -> Result<Option<String>, TillError> {
        Ok(settings::value(&self.db, UPDATE_URL)
            .await?
            .filter(|u| !u.trim().is_empty()))
    }

    /// Sets the update URL (`None` turns updates off): https, or http only on this
    /// machine (a test server). The owner's; audited.
    pub async fn set_update_url(
        &self,
        clerk: &Clerk,
        url: Option<&str>,
    ) -> Result<Option<String>, TillError> {
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => Some(check_url(u)?),
        };
        self.authorize(clerk, Action::ChangeSettings, None).await?;
        let mut tx = self.db.begin_write().await?;
        settings::set(&mut *tx, UPDATE_URL, url.as_deref().unwrap_or("")).await?;
        let detail = match &url {
            Some(u) => format!("updates from {u}"),
            None => "updates off".to_string(),
        };
        audit::record(
            &mut tx,
            &audit::Entry {
                actor: &clerk.staff,
                action: "update_settings",
                detail: Some(&detail),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(url)
    }

    /// Whether an update may be installed now at the till `till_id`.
    pub async fn update_blocked(&self, till_id: Option<&str>) -> Result<Option<NotNow>, TillError> {
        if self.selling.try_lock().is_err() {
            return Ok(Some(NotNow::SaleUnderWay));
        }
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM shifts WHERE closed_at IS NULL AND coalesce(till_id, '') = coalesce($1, '')",
        )
        .bind(till_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(DbError::from)?;
        Ok(open.map(|_| NotNow::ShiftOpen))
    }
}

fn bad_url(message: String) -> TillError {
    TillError::Settings(SettingsError::Invalid {
        field: "update URL",
        message,
    })
}

/// An update URL as stored: parsed, https (or http to this machine).
fn check_url(text: &str) -> Result<String, TillError> {
    let url = url::Url::parse(text).map_err(|e| bad_url(format!("update URL {text:?}: {e}")))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => {
            return Err(bad_url(format!(
                "update URL {text:?}: {other}: updates come over https"
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad_url(format!(
            "update URL: no user or password in it ({})",
            crate::delivery::email::redact_url(text)
        )));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::staff::Role;

    #[tokio::test]
    async fn an_update_waits_for_the_sale_and_the_open_shift_at_this_till() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("codetill.db"))
            .await
            .unwrap();
        // A shift counts cash in the shop's currency.
        settings::set(db.pool(), settings::SHOP_CURRENCY, "INR")
            .await
            .unwrap();
        let till = Till::shop(
            db,
            dir.path(),
            std::sync::Arc::new(crate::secrets::MemoryStore::default()),
        );
        let owner = Clerk {
            staff: "asha".into(),
            till_id: Some("till-1".into()),
            role: Role::Owner,
            staff_id: None,
        };
        assert_eq!(till.update_blocked(Some("till-1")).await.unwrap(), None);
        let selling = till.selling.lock().await;
        assert_eq!(
            till.update_blocked(Some("till-1")).await.unwrap(),
            Some(NotNow::SaleUnderWay)
        );
        drop(selling);
        till.open_shift("100", &owner).await.unwrap();
        assert_eq!(
            till.update_blocked(Some("till-1")).await.unwrap(),
            Some(NotNow::ShiftOpen)
        );
        // Another till's shift is its own.
        assert_eq!(till.update_blocked(Some("till-2")).await.unwrap(), None);
        // The owner sets and clears the URL, audited; a cashier may not.
        let cashier = Clerk {
            role: Role::Cashier,
            ..owner.clone()
        };
        assert!(
            till.set_update_url(&cashier, Some("https://u.example.com/latest.json"))
                .await
                .is_err()
        );
        assert_eq!(till.update_url().await.unwrap(), None);
        till.set_update_url(&owner, Some("https://u.example.com/latest.json"))
            .await
            .unwrap();
        assert_eq!(
            till.update_url().await.unwrap().as_deref(),
            Some("https://u.example.com/latest.json")
        );
        till.set_update_url(&owner, None).await.unwrap();
        assert_eq!(till.update_url().await.unwrap(), None);
    }

    #[test]
    fn updates_come_over_https_or_from_this_machine() {
        assert!(check_url("https://updates.example.com/codetill/latest.json").is_ok());
        assert!(check_url("http://127.0.0.1:8080/latest.json").is_ok());
        assert!(check_url("http://updates.example.com/latest.json").is_err());
        assert!(check_url("ftp://updates.example.com/latest.json").is_err());
        assert!(check_url("https://u:p@updates.example.com/latest.json").is_err());
        assert!(check_url("not a url").is_err());
    }
}
