//! The catalog's daily sync at the hour the owner chose: the app's minute tick asks
//! [`Till::sync_if_due`], which syncs once the hour has come and nothing has synced
//! since. A sync that fails raises an alert and waits for the next day (or for "Sync
//! now"): a supplier that is down is not asked again every minute.

use chrono::{DateTime, Local, NaiveDateTime, Utc};
use serde::Serialize;

use crate::alerts::{AlertKind, NewAlert};
use crate::catalog::{self, SyncOptions, SyncReport};
use crate::db::{Db, DbError, time_text};
use crate::progress::NoProgress;
use crate::settings;

use super::settings::SettingsError;
use super::{Till, TillError};

/// The hour of the day (0–23, the till's local time) the catalog syncs by itself;
/// unset: only when asked.
pub const SYNC_HOUR: &str = "catalog.sync_hour";
/// When the daily sync last started (RFC 3339, UTC).
pub const LAST_DAILY_SYNC: &str = "catalog.daily_sync_at";

/// The daily sync as the pricing screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailySync {
    /// `None`: the catalog syncs only when asked.
    pub hour: Option<u32>,
    /// When the daily sync last started.
    pub last_run: Option<String>,
}

/// Whether the daily sync is due at `now`, on the till's wall clock: today's `hour`
/// has come and nothing has synced since (`last`: the later of the last daily run
/// and the last sync that finished, on the same clock). A till that was off at the
/// hour syncs when it next runs that day.
pub fn due(now: NaiveDateTime, hour: u32, last: Option<NaiveDateTime>) -> bool {
    let Some(slot) = now.date().and_hms_opt(hour, 0, 0) else {
        return false;
    };
    now >= slot && last.is_none_or(|l| l < slot)
}

/// The hour as the owner types it: blank clears it, else a whole hour 0–23.
pub fn parse_hour(text: &str) -> Result<Option<u32>, SettingsError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(h) if h < 24 => Ok(Some(h)),
        _ => Err(SettingsError::Invalid {
            field: "sync_hour",
            message: format!("sync_hour: {text:?} is not an hour of the day (0 to 23)"),
        }),
    }
}

/// The daily sync's hour and last run.
pub async fn daily_sync(db: &Db) -> Result<DailySync, DbError> {
    let hour = settings::value(db, SYNC_HOUR)
        .await?
        .and_then(|h| parse_hour(&h).ok().flatten());
    Ok(DailySync {
        hour,
        last_run: settings::value(db, LAST_DAILY_SYNC).await?,
    })
}

/// Sets the hour the catalog syncs each day (blank: only when asked); refused, with
/// nothing changed, when it is not an hour.
pub async fn set_sync_hour(db: &Db, text: &str) -> Result<DailySync, SettingsError> {
    let hour = parse_hour(text)?;
    let value = hour.map(|h| h.to_string()).unwrap_or_default();
    settings::set(db.pool(), SYNC_HOUR, &value).await?;
    Ok(daily_sync(db).await?)
}

fn local(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Local).naive_local())
}

impl Till {
    /// The daily catalog sync, when it is due at `now` (see [`due`]): answers `None`
    /// when it is not (or no hour is set, or no supplier), else the sync's outcome. A
    /// failed sync raises a sync-failed alert.
    pub async fn sync_if_due(&self, now: DateTime<Utc>) -> Option<Result<SyncReport, TillError>> {
        let planned = match self.sync_planned(now).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell whether the daily sync is due");
                return None;
            }
        };
        if !planned {
            return None;
        }
        // Recorded before the sync runs: one that fails (or a crash during it) waits
        // for tomorrow instead of starting again every minute.
        if let Err(e) = settings::set(self.db.pool(), LAST_DAILY_SYNC, &time_text(now)).await {
            tracing::warn!(error = %e, "the daily sync is not recorded; not started");
            return None;
        }
        tracing::info!("daily catalog sync");
        let result = self
            .sync_catalog(&SyncOptions::default(), &NoProgress)
            .await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "daily catalog sync failed");
            let alert = NewAlert {
                kind: AlertKind::SyncFailed,
                message: format!(
                    "the daily catalog sync failed ({e}); prices and stock are as the last sync left them. Sync now on the Pricing screen when the supplier answers"
                ),
                facts: serde_json::json!({ "error": e.to_string() }),
                order_ref: None,
            };
            self.tell(
                crate::alerts::raise(&self.db, &alert)
                    .await
                    .map(|a| a.into_iter()),
            )
            .await;
        }
        Some(result)
    }

    async fn sync_planned(&self, now: DateTime<Utc>) -> Result<bool, TillError> {
        let Some(hour) = daily_sync(&self.db).await?.hour else {
            return Ok(false);
        };
        if !self.has_supplier().await? {
            return Ok(false);
        }
        let last_daily = settings::value(&self.db, LAST_DAILY_SYNC).await?;
        let last_sync = catalog::last_sync(&self.db)
            .await
            .map_err(crate::catalog::SyncError::from)?
            .and_then(|s| s.finished_at.filter(|_| s.status == "completed"));
        let last = [last_daily, last_sync]
            .iter()
            .flatten()
            .filter_map(|t| local(t))
            .max();
        Ok(due(now.with_timezone(&Local).naive_local(), hour, last))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn due_once_the_hour_has_come_and_nothing_synced_since() {
        // Never synced: due from the hour on, not before.
        assert!(!due(at(10, 2, 59), 3, None));
        assert!(due(at(10, 3, 0), 3, None));
        assert!(due(at(10, 23, 0), 3, None));
        // Synced at today's hour: not again today; due tomorrow at the hour.
        assert!(!due(at(10, 3, 1), 3, Some(at(10, 3, 0))));
        assert!(!due(at(10, 23, 59), 3, Some(at(10, 3, 0))));
        assert!(!due(at(11, 2, 0), 3, Some(at(10, 3, 0))));
        assert!(due(at(11, 3, 0), 3, Some(at(10, 3, 0))));
        // A sync by hand after today's hour counts; one before it does not.
        assert!(!due(at(10, 15, 0), 3, Some(at(10, 9, 30))));
        assert!(due(at(10, 15, 0), 14, Some(at(10, 13, 0))));
        // A till that was off at the hour syncs when it runs later that day.
        assert!(due(at(12, 18, 0), 3, Some(at(10, 3, 0))));
        // Midnight and the last hour of the day.
        assert!(due(at(10, 0, 0), 0, Some(at(9, 23, 59))));
        assert!(!due(at(10, 22, 59), 23, Some(at(9, 23, 0))));
        assert!(due(at(10, 23, 0), 23, Some(at(9, 23, 0))));
    }

    /// A shop till whose supplier does not answer, its sync hour set to the hour
    /// before `now`.
    async fn till_with_a_silent_supplier(dir: &std::path::Path) -> Till {
        use crate::secrets::{MemoryStore, SecretStore, names};
        let db = Db::open(&dir.join("codetill.db")).await.unwrap();
        // Nothing listens on port 9 of this machine: the sync fails at once.
        settings::set(db.pool(), settings::SUPPLIER_URL, "http://127.0.0.1:9/")
            .await
            .unwrap();
        let secrets = std::sync::Arc::new(MemoryStore::default());
        secrets.set(names::SUPPLIER_KEY, "k").unwrap();
        Till::shop(db, dir, secrets)
    }

    #[tokio::test]
    async fn a_due_sync_that_fails_raises_an_alert_and_waits_for_tomorrow() {
        let dir = tempfile::tempdir().unwrap();
        let till = till_with_a_silent_supplier(dir.path()).await;
        let now = Utc::now();
        // No hour set: never by itself.
        assert!(till.sync_if_due(now).await.is_none());
        let hour = now
            .with_timezone(&Local)
            .naive_local()
            .time()
            .format("%H")
            .to_string();
        set_sync_hour(till.db(), &hour).await.unwrap();

        let outcome = till.sync_if_due(now).await.expect("due at its hour");
        assert!(outcome.is_err());
        let alerts = crate::alerts::list(till.db(), true, 10).await.unwrap();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].kind, AlertKind::SyncFailed);
        assert!(alerts[0].message.contains("daily catalog sync failed"));
        assert_eq!(
            daily_sync(till.db()).await.unwrap().last_run,
            Some(time_text(now))
        );

        // The same day: not again (the supplier is not asked every minute).
        let later = now + chrono::Duration::minutes(1);
        assert!(till.sync_if_due(later).await.is_none());
        // The next day at the hour: due again.
        let tomorrow = now + chrono::Duration::days(1);
        assert!(till.sync_if_due(tomorrow).await.is_some());
    }

    #[tokio::test]
    async fn a_bad_hour_is_refused_and_the_old_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("codetill.db")).await.unwrap();
        assert_eq!(set_sync_hour(&db, "4").await.unwrap().hour, Some(4));
        let e = set_sync_hour(&db, "25").await.unwrap_err();
        assert!(e.to_string().starts_with("sync_hour:"), "{e}");
        assert_eq!(daily_sync(&db).await.unwrap().hour, Some(4));
        assert_eq!(set_sync_hour(&db, "").await.unwrap().hour, None);
    }

    #[test]
    fn an_hour_is_0_to_23_or_blank() {
        assert_eq!(parse_hour(" 3 ").unwrap(), Some(3));
        assert_eq!(parse_hour("0").unwrap(), Some(0));
        assert_eq!(parse_hour("23").unwrap(), Some(23));
        assert_eq!(parse_hour("  ").unwrap(), None);
        for bad in ["24", "-1", "3.5", "three", "99999999999"] {
            let e = parse_hour(bad).unwrap_err();
            assert!(e.to_string().starts_with("sync_hour:"), "{bad}: {e}");
        }
    }
}
