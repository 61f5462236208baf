//! Remote sales in the background: when a relay is configured (`CODETILL_RELAY_URL` or
//! the `relay.url` setting, with the client token in the keyring or
//! `CODETILL_RELAY_TOKEN`), the app follows it for as long as it runs. Payment events
//! pay and fulfil remote orders through [`codetill_core::remote`]; the buyer's email
//! gets one attempt right away and otherwise waits in the outbox. Doubtful payments
//! are held as alerts in the database, never fulfilled.
//!
//! The relay settings are read again whenever the settings change (a tick on
//! [`crate::state::AppState::settings_watch`]): a new address or token moves the loop
//! to that relay, a cleared one stops it, and a loop that could not start tries again.

use std::sync::Arc;
use std::time::Duration;

use codetill_core::delivery::Outbox;
use codetill_core::payments::Providers;
use codetill_core::relay::{self, Backoff, Feed, InboxWorker, RelayConfig};
use codetill_core::remote::Desk;
use tokio::sync::watch;

use crate::till::Till;

/// How long the email of a remote order gets right after delivery.
const MAIL_BUDGET: Duration = Duration::from_secs(10);

struct Worker<'a> {
    desk: Desk,
    /// Its outbox is asked for per email, so that new mail settings count at once.
    till: &'a Till,
}

#[async_trait::async_trait]
impl InboxWorker for Worker<'_> {
    async fn work(&self) -> Result<(), String> {
        let report = self.desk.work_inbox().await.map_err(|e| e.to_string())?;
        report.log();
        if report.delivered_ids.is_empty() {
            return Ok(());
        }
        let outbox: Arc<Outbox> = match self.till.outbox().await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e.message, "no outbox: the codes' emails wait");
                return Ok(());
            }
        };
        for id in &report.delivered_ids {
            if let Err(e) = outbox.attempt_order(*id, MAIL_BUDGET).await {
                tracing::warn!(order = id, error = %e, "the code's email stays queued");
            }
        }
        Ok(())
    }
}

/// Follows the shop's relay until the app exits (or `changes` has no sender left),
/// moving to whatever relay the settings name after each tick of `changes`.
pub async fn follow(till: Arc<Till>, mut changes: watch::Receiver<()>) {
    loop {
        // Ticks before this read are covered by it.
        changes.mark_unchanged();
        match RelayConfig::load(till.db(), till.secrets()).await {
            Ok(Some(config)) => {
                if follow_one(&till, &config, &mut changes).await == Ended::Changed {
                    continue;
                }
            }
            Ok(None) => tracing::debug!("no relay configured: remote sales are off"),
            Err(e) => {
                tracing::warn!(error = %e, "the relay is not usable; remote sales are off until its settings change");
            }
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// The relay settings changed: read them again.
    Changed,
    /// It could not start, or stopped on an error waiting cannot cure.
    Failed,
}

/// Follows the relay of `config` until its settings change to something else.
async fn follow_one(till: &Till, config: &RelayConfig, changes: &mut watch::Receiver<()>) -> Ended {
    let client = match config.client() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the relay is not usable; remote sales are off until its settings change");
            return Ended::Failed;
        }
    };
    let engine = match till.new_engine().await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e.message, "remote sales wait until a supplier is configured");
            return Ended::Failed;
        }
    };
    let db = till.db().clone();
    let worker = Worker {
        desk: Desk::new(Arc::new(engine), Providers::configured(&db, till.secrets())),
        till,
    };
    tracing::info!(relay = %client.url(), "following the relay for remote payments");
    let feed = Feed::new(client, db.clone());
    let stop = async {
        loop {
            if changes.changed().await.is_err() {
                // Nobody can change the settings any more: follow for good.
                std::future::pending::<()>().await;
            }
            match RelayConfig::load(&db, till.secrets()).await {
                // Another setting changed: keep the long-poll that is open.
                Ok(Some(now)) if now == *config => {}
                // A new relay, none, or its token removed.
                Ok(_) | Err(relay::RelayError::NoToken) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the relay settings again; still following the relay as it was");
                }
            }
        }
    };
    match relay::follow(&feed, &worker, Backoff::default(), stop).await {
        Ok(()) => {
            tracing::info!(relay = %feed.client().url(), "the relay settings changed: no longer following this relay");
            Ended::Changed
        }
        Err(e) => {
            tracing::error!(error = %e, "stopped following the relay until its settings change");
            Ended::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Mutex;
    use std::time::Instant;

    use axum::http::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::testing::{TestApp, block_on};

    /// The bearer tokens a fake relay was asked with, in order.
    type Seen = Arc<Mutex<Vec<String>>>;

    /// A relay on loopback that answers every follow with no events (after a short
    /// wait, as a long-poll would) and notes the token it was asked with.
    fn fake_relay() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let router = axum::Router::new().route(
            "/v1/events",
            axum::routing::get(move |headers: HeaderMap| {
                let log = log.clone();
                async move {
                    let token = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    log.lock().unwrap().push(token);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    axum::Json(json!({ "events": [], "next_cursor": 0 }))
                }
            }),
        );
        let listener = block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tauri::async_runtime::spawn(async move { axum::serve(listener, router).await });
        (url, seen)
    }

    fn count(seen: &Seen) -> usize {
        seen.lock().unwrap().len()
    }

    fn wait_for(what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// No new request reaches the relay once one in flight has landed.
    fn assert_left_alone(seen: &Seen) {
        std::thread::sleep(Duration::from_millis(300));
        let before = count(seen);
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(count(seen), before, "the relay is still followed");
    }

    fn save(app: &TestApp, supplier_url: &str, relay_url: &str) {
        let input = json!({
            "supplier_url": supplier_url, "shop_name": "", "shop_address": "",
            "till_id": "", "language": "en", "printer": "", "smtp_url": "",
            "relay_url": relay_url, "stripe_api_url": "", "stripe_success_url": "",
            "btcpay_url": "", "btcpay_store_id": "",
        });
        app.invoke("save_settings", json!({ "input": input }))
            .unwrap();
    }

    #[test]
    fn the_loop_follows_the_relay_the_settings_name_now() {
        let app = TestApp::demo();
        let sandbox = app.state().till().demo().unwrap().supplier_url();
        let (relay_a, seen_a) = fake_relay();
        let (relay_b, seen_b) = fake_relay();
        let state = app.state();
        let task =
            tauri::async_runtime::spawn(follow(state.shop().clone(), state.settings_watch()));

        // Nothing set yet: the loop waits, then starts once the settings name a relay.
        let secret = |name: &str, value: &str| {
            app.invoke("set_secret", json!({ "name": name, "value": value }))
                .unwrap();
        };
        secret("supplier_key", crate::demo::SANDBOX_KEY);
        secret("relay_token", "token-a");
        save(&app, &sandbox, &relay_a);
        wait_for("relay A followed", || count(&seen_a) >= 2);
        assert!(seen_a.lock().unwrap().iter().all(|t| t == "Bearer token-a"));

        // A new address: relay B is followed, relay A no longer asked.
        save(&app, &sandbox, &relay_b);
        wait_for("relay B followed", || count(&seen_b) >= 1);
        let a_then = count(&seen_a);
        let b_then = count(&seen_b);
        wait_for("relay B followed on", || count(&seen_b) >= b_then + 5);
        assert_eq!(count(&seen_a), a_then, "relay A is still followed");

        // A new token: the same relay, asked with the new token.
        secret("relay_token", "token-b");
        wait_for("the new token used", || {
            seen_b.lock().unwrap().last().map(String::as_str) == Some("Bearer token-b")
        });

        // The token removed: nobody is followed.
        secret("relay_token", "");
        assert_left_alone(&seen_b);

        // A token again, then the address cleared: nobody is followed.
        secret("relay_token", "token-c");
        wait_for("relay B followed again", || {
            seen_b.lock().unwrap().last().map(String::as_str) == Some("Bearer token-c")
        });
        save(&app, &sandbox, "");
        assert_left_alone(&seen_b);
        assert_eq!(count(&seen_a), a_then);
        task.abort();
    }
}
