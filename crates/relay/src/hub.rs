//! Wake-ups for waiting readers. Each shop with readers has a `watch` channel
//! holding a generation number; the writer bumps it after each commit that
//! stored events for that shop, and with Postgres a LISTEN task bumps it for
//! commits made by other instances. A reader subscribes *before* it queries, so
//! a commit between its query and its wait still wakes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

#[derive(Debug, Default)]
pub(crate) struct Hub {
    shops: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Hub {
    fn shops(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.shops.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A receiver that changes when the shop's next events are committed.
    pub(crate) fn subscribe(&self, shop_id: &str) -> watch::Receiver<u64> {
        let mut shops = self.shops();
        if let Some(sender) = shops.get(shop_id) {
            return sender.subscribe();
        }
        // Forget shops nobody waits on any more, so the map stays small.
        shops.retain(|_, sender| sender.receiver_count() > 0);
        let (sender, receiver) = watch::channel(0);
        shops.insert(shop_id.to_owned(), sender);
        receiver
    }

    pub(crate) fn wake(&self, shop_id: &str) {
        if let Some(sender) = self.shops().get(shop_id) {
            sender.send_modify(|generation| *generation += 1);
        }
    }

    /// Wake every reader (after a lost LISTEN connection: something may be new).
    pub(crate) fn wake_all(&self) {
        for sender in self.shops().values() {
            sender.send_modify(|generation| *generation += 1);
        }
    }
}

/// Forward Postgres notifications (commits by any instance) to the hub until
/// `closing` turns true; reconnects with a pause when the connection drops.
pub(crate) async fn listen_postgres(
    pool: PgPool,
    hub: Arc<Hub>,
    mut closing: watch::Receiver<bool>,
) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN connection failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    () = crate::flag::until_true(&mut closing) => return,
                }
            }
        };
        if let Err(e) = listener.listen(crate::store::pg_channel()).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Commits made while we were not listening went unheard.
        hub.wake_all();
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => hub.wake(notification.payload()),
                    // The connection dropped; try_recv reconnects next time.
                    Ok(None) => hub.wake_all(),
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost");
                        break;
                    }
                },
                () = crate::flag::until_true(&mut closing) => return,
            }
        }
    }
}
