//! Remote sales in the background: when a relay is configured (`CODETILL_RELAY_URL` or
//! the `relay.url` setting, with the client token in the keyring or
//! `CODETILL_RELAY_TOKEN`), the app follows it for as long as it runs. Payment events
//! pay and fulfil remote orders through [`codetill_core::remote`]; the buyer's email
//! gets one attempt right away and otherwise waits in the outbox. Doubtful payments
//! are held as alerts in the database, never fulfilled.

use std::sync::Arc;
use std::time::Duration;

use codetill_core::delivery::{DeliveryConfig, Outbox};
use codetill_core::payments::Providers;
use codetill_core::relay::{self, Backoff, Feed, InboxWorker};
use codetill_core::remote::Desk;
use codetill_core::secrets::{EnvFirst, KeyringStore, SecretStore};

use crate::till::{KEYRING_SERVICE, Till};

/// How long the email of a remote order gets right after delivery.
const MAIL_BUDGET: Duration = Duration::from_secs(10);

struct Worker {
    desk: Desk,
    outbox: Option<Outbox>,
}

#[async_trait::async_trait]
impl InboxWorker for Worker {
    async fn work(&self) -> Result<(), String> {
        let report = self.desk.work_inbox().await.map_err(|e| e.to_string())?;
        report.log();
        if let Some(outbox) = &self.outbox {
            for id in &report.delivered_ids {
                if let Err(e) = outbox.attempt_order(*id, MAIL_BUDGET).await {
                    tracing::warn!(order = id, error = %e, "the code's email stays queued");
                }
            }
        }
        Ok(())
    }
}

/// Follows the shop's relay until the app exits; returns at once when none is set.
pub async fn follow(till: Arc<Till>) {
    let db = till.db().clone();
    match relay::relay_url(&db).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            tracing::debug!("no relay configured: remote sales are off");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the relay setting");
            return;
        }
    }
    let secrets: Arc<dyn SecretStore> = Arc::new(EnvFirst::new(KeyringStore::new(KEYRING_SERVICE)));
    let client = match relay::configured(&db, secrets.clone()).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the relay is not usable; remote sales are off");
            return;
        }
    };
    let engine = match till.new_engine().await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e.message, "remote sales wait until a supplier is configured");
            return;
        }
    };
    let outbox = match (
        DeliveryConfig::load(&db, secrets.clone()).await,
        till.vault().await,
    ) {
        (Ok(config), Ok(vault)) => Some(Outbox::new(db.clone(), vault, config)),
        _ => None,
    };
    let worker = Worker {
        desk: Desk::new(Arc::new(engine), Providers::configured(&db, secrets)),
        outbox,
    };
    tracing::info!(relay = %client.url(), "following the relay for remote payments");
    let feed = Feed::new(client, db);
    if let Err(e) = relay::follow(&feed, &worker, Backoff::default(), std::future::pending()).await
    {
        tracing::error!(error = %e, "stopped following the relay");
    }
}
