//! The PostgreSQL backend, for one relay serving many shops or several relay
//! instances on one database. The inserting transaction's `UPDATE shops …
//! RETURNING head` holds the shop's row lock until commit, so two instances
//! allocate a shop's cursors one after the other, in commit order; and it sends
//! `NOTIFY` (delivered on commit) so readers waiting on other instances wake up.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};

use sha2::{Digest, Sha256};

use super::dialect::Dialect;
use super::records::{Inserted, NewEvent};
use super::sql::{SqlStore, TWIN_EVENT};
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The LISTEN/NOTIFY channel's name, once for both the constant and the
/// statement that notifies (the payload is the shop id).
macro_rules! channel {
    () => {
        "codetill_relay_events"
    };
}

/// The LISTEN/NOTIFY channel; the payload is the shop id.
pub(crate) const CHANNEL: &str = channel!();

// Storing one event, in one round trip: bump the shop's head (taking its row lock until commit:
// the shop's next event, from any instance, waits here), insert at that
// cursor unless the event is already stored, and queue a NOTIFY (delivered
// on commit; identical ones are folded). No shop: no row, nothing inserted.
// Binds: shop id, provider, event id, event type, endpoint id, received at,
// payload, the payload's SHA-256.
const INSERT_AT_NEXT_CURSOR: &str = concat!(
    "WITH bumped AS ( \
       UPDATE shops SET head = head + 1 WHERE id = $1 RETURNING head), \
     inserted AS ( \
       INSERT INTO events \
       (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, payload, \
        body_sha256) \
       SELECT $1, head, $2, $3, $4, $5, $6, $7, $8 FROM bumped \
       ON CONFLICT DO NOTHING RETURNING cursor) \
     SELECT cursor, pg_notify('",
    channel!(),
    "', $1)::TEXT FROM inserted"
);

/// PostgreSQL's words for the store's statements.
#[derive(Debug, Clone, Copy)]
pub struct PgDialect;

pub type PgStore = SqlStore<PgDialect>;

impl Dialect for PgDialect {
    type Db = sqlx::Postgres;

    const BEGIN: &'static str = "BEGIN";
    const GREATEST: &'static str = "GREATEST";
    // No rowid: the primary key names the row.
    const EVENT_KEY: &'static str = "(shop_id, cursor)";
    const EVENT_KEY_OF_E: &'static str = "e.shop_id, e.cursor";

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A store that does not answer is "unavailable" (503), not a hang.
            .acquire_timeout(Duration::from_secs(5))
            // No ping before each use: it would add a round trip to every webhook.
            // A connection that died fails its statement; the provider retries.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self::new(pool))
    }

    /// Store `events` in one transaction, in order, each at its shop's next
    /// cursor; one answer per event.
    pub(super) async fn insert_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Inserted>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            let body_sha256 = Sha256::digest(event.payload.as_bytes());
            let stored: Option<i64> = sqlx::query_scalar(INSERT_AT_NEXT_CURSOR)
                .bind(event.shop_id.as_str())
                .bind(event.provider)
                .bind(event.event_id.as_str())
                .bind(event.event_type.as_deref())
                .bind(event.endpoint_id.as_str())
                .bind(event.received_at_ms)
                .bind(event.payload.as_str())
                .bind(body_sha256.as_slice())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(cursor) = stored {
                answers.push(Inserted::Stored { cursor });
                continue;
            }
            // A duplicate, or no such shop. Give the cursor back so none is skipped.
            let head: Option<i64> =
                sqlx::query_scalar("UPDATE shops SET head = head - 1 WHERE id = $1 RETURNING head")
                    .bind(event.shop_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            if head.is_none() {
                return Err(StoreError::UnknownShop(event.shop_id.clone()));
            }
            // The insert skips any conflict; only a stored twin makes it a
            // duplicate (never answer 200 for an event not stored).
            let twin: Option<i32> = sqlx::query_scalar(TWIN_EVENT)
                .bind(event.shop_id.as_str())
                .bind(event.provider)
                .bind(event.event_id.as_str())
                .bind(body_sha256.as_slice())
                .fetch_optional(&mut *tx)
                .await?;
            if twin.is_none() {
                return Err(StoreError::NotStored);
            }
            answers.push(Inserted::Duplicate);
        }
        tx.commit().await?;
        Ok(answers)
    }
}
