//! The PostgreSQL backend, for one relay serving many shops or several relay
//! instances on one database. The inserting transaction's `UPDATE shops …
//! RETURNING head` holds the shop's row lock until commit, so two instances
//! allocate a shop's cursors one after the other, in commit order; and it sends
//! `NOTIFY` (delivered on commit) so readers waiting on other instances wake up.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{AckOutcome, Backlog, EndpointRecord, Inserted, NewEvent, ShopStatus, StoredEvent};
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The LISTEN/NOTIFY channel; the payload is the shop id.
pub(crate) const CHANNEL: &str = "codetill_relay_events";

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

type EventRow = (i64, String, String, Option<String>, i64, String);

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
        Ok(Self { pool })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn insert_shop(
        &self,
        id: &str,
        name: &str,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO shops (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(name)
            .bind(token_hash)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn set_token_hash(
        &self,
        shop_id: &str,
        token_hash: &[u8],
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE shops SET token_hash = $2 WHERE id = $1")
            .bind(shop_id)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn insert_endpoint(
        &self,
        id: &str,
        shop_id: &str,
        provider: &str,
        sealed_secrets: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let shop: Option<i32> = sqlx::query_scalar("SELECT 1 FROM shops WHERE id = $1")
            .bind(shop_id)
            .fetch_optional(&mut *tx)
            .await?;
        if shop.is_none() {
            return Err(StoreError::UnknownShop(shop_id.to_owned()));
        }
        sqlx::query(
            "INSERT INTO endpoints (id, shop_id, provider, secrets, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(shop_id)
        .bind(provider)
        .bind(sealed_secrets)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn endpoint(&self, id: &str) -> Result<Option<EndpointRecord>, StoreError> {
        let row: Option<(String, String, String, Vec<u8>)> =
            sqlx::query_as("SELECT id, shop_id, provider, secrets FROM endpoints WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(
            row.map(|(id, shop_id, provider, sealed_secrets)| EndpointRecord {
                id,
                shop_id,
                provider,
                sealed_secrets,
            }),
        )
    }

    pub(super) async fn shop_for_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM shops WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn insert_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Inserted>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            // One round trip: bump the shop's head (taking its row lock until
            // commit: the shop's next event, from any instance, waits here),
            // insert at that cursor unless the event is already stored, and queue
            // a NOTIFY (delivered on commit; identical ones are folded).
            let stored: Option<i64> = sqlx::query_scalar(
                "WITH bumped AS ( \
                   UPDATE shops SET head = head + 1 WHERE id = $1 RETURNING head), \
                 inserted AS ( \
                   INSERT INTO events \
                   (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, payload) \
                   SELECT $1, head, $2, $3, $4, $5, $6, $7 FROM bumped \
                   ON CONFLICT (shop_id, provider, event_id) DO NOTHING RETURNING cursor) \
                 SELECT cursor, pg_notify($8, $1)::TEXT FROM inserted",
            )
            .bind(&event.shop_id)
            .bind(event.provider)
            .bind(&event.event_id)
            .bind(&event.event_type)
            .bind(&event.endpoint_id)
            .bind(event.received_at_ms)
            .bind(&event.payload)
            .bind(CHANNEL)
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                Some(cursor) => answers.push(Inserted::Stored { cursor }),
                None => {
                    // A duplicate, or no such shop. Give the cursor back (if one
                    // was taken) so none is skipped.
                    let head: Option<i64> = sqlx::query_scalar(
                        "UPDATE shops SET head = head - 1 WHERE id = $1 RETURNING head",
                    )
                    .bind(&event.shop_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if head.is_none() {
                        return Err(StoreError::UnknownShop(event.shop_id.clone()));
                    }
                    answers.push(Inserted::Duplicate);
                }
            }
        }
        tx.commit().await?;
        Ok(answers)
    }

    pub(super) async fn events_after(
        &self,
        shop_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT cursor, provider, event_id, event_type, received_at, payload FROM events \
             WHERE shop_id = $1 AND cursor > $2 AND payload IS NOT NULL \
             ORDER BY cursor LIMIT $3",
        )
        .bind(shop_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(stored_event).collect())
    }

    pub(super) async fn status(&self, shop_id: &str) -> Result<Option<ShopStatus>, StoreError> {
        let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT s.head, s.acked, \
               (SELECT e.received_at FROM events e WHERE e.shop_id = s.id AND e.cursor > s.acked \
                ORDER BY e.cursor LIMIT 1) \
             FROM shops s WHERE s.id = $1",
        )
        .bind(shop_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(head, acked, oldest_unacked_ms)| ShopStatus {
            head,
            acked,
            oldest_unacked_ms,
        }))
    }

    pub(super) async fn ack(&self, shop_id: &str, cursor: i64) -> Result<AckOutcome, StoreError> {
        let acked: Option<i64> = sqlx::query_scalar(
            "UPDATE shops SET acked = GREATEST(acked, $2) WHERE id = $1 AND $2 <= head \
             RETURNING acked",
        )
        .bind(shop_id)
        .bind(cursor)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(acked) = acked {
            return Ok(AckOutcome::Acked(acked));
        }
        let head: Option<i64> = sqlx::query_scalar("SELECT head FROM shops WHERE id = $1")
            .bind(shop_id)
            .fetch_optional(&self.pool)
            .await?;
        match head {
            Some(head) => Ok(AckOutcome::BeyondHead { head }),
            None => Err(StoreError::UnknownShop(shop_id.to_owned())),
        }
    }

    pub(super) async fn drop_acked_bodies(
        &self,
        before_ms: i64,
        batch: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE events SET payload = NULL WHERE (shop_id, cursor) IN ( \
               SELECT e.shop_id, e.cursor FROM events e JOIN shops s ON s.id = e.shop_id \
               WHERE e.payload IS NOT NULL AND e.received_at < $1 AND e.cursor <= s.acked \
               LIMIT $2)",
        )
        .bind(before_ms)
        .bind(batch)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn backlog(&self) -> Result<Backlog, StoreError> {
        let (unacked, oldest_unacked_ms): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COALESCE(SUM(s.head - s.acked), 0)::BIGINT, \
               MIN((SELECT e.received_at FROM events e WHERE e.shop_id = s.id AND e.cursor > s.acked \
                    ORDER BY e.cursor LIMIT 1)) \
             FROM shops s",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Backlog {
            unacked,
            oldest_unacked_ms,
        })
    }
}

fn stored_event(
    (cursor, provider, event_id, event_type, received_at_ms, payload): EventRow,
) -> StoredEvent {
    StoredEvent {
        cursor,
        provider,
        event_id,
        event_type,
        received_at_ms,
        payload,
    }
}
