//! The SQLite backend: one file in WAL mode with `synchronous=FULL`, since the
//! contract answers 2xx only once an event is durable; writes run in
//! `BEGIN IMMEDIATE` so a transaction never has to upgrade its lock midway.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{AckOutcome, Backlog, EndpointRecord, Inserted, NewEvent, ShopStatus, StoredEvent};
use crate::error::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

type EventRow = (i64, String, String, Option<String>, i64, String);

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // The admin CLI writes to the same file while `serve` runs.
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // No checkpoint inside a commit: it would fsync the main file on the
            // path to a webhook's 2xx. `checkpoint` runs them in the background.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    /// Copy the WAL back into the database file without blocking writers.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await?;
        Ok(())
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
        sqlx::query("INSERT INTO shops (id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)")
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
        let done = sqlx::query("UPDATE shops SET token_hash = ?2 WHERE id = ?1")
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let shop: Option<i64> = sqlx::query_scalar("SELECT 1 FROM shops WHERE id = ?1")
            .bind(shop_id)
            .fetch_optional(&mut *tx)
            .await?;
        if shop.is_none() {
            return Err(StoreError::UnknownShop(shop_id.to_owned()));
        }
        sqlx::query(
            "INSERT INTO endpoints (id, shop_id, provider, secrets, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
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
            sqlx::query_as("SELECT id, shop_id, provider, secrets FROM endpoints WHERE id = ?1")
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
            sqlx::query_scalar("SELECT id FROM shops WHERE token_hash = ?1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn insert_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Inserted>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            let head: Option<i64> =
                sqlx::query_scalar("UPDATE shops SET head = head + 1 WHERE id = ?1 RETURNING head")
                    .bind(&event.shop_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(head) = head else {
                return Err(StoreError::UnknownShop(event.shop_id.clone()));
            };
            let stored: Option<i64> = sqlx::query_scalar(
                "INSERT INTO events \
                 (shop_id, cursor, provider, event_id, event_type, endpoint_id, received_at, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (shop_id, provider, event_id) DO NOTHING RETURNING cursor",
            )
            .bind(&event.shop_id)
            .bind(head)
            .bind(event.provider)
            .bind(&event.event_id)
            .bind(&event.event_type)
            .bind(&event.endpoint_id)
            .bind(event.received_at_ms)
            .bind(&event.payload)
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                Some(cursor) => answers.push(Inserted::Stored { cursor }),
                None => {
                    // Nothing inserted: give the cursor back so none is skipped.
                    sqlx::query("UPDATE shops SET head = head - 1 WHERE id = ?1")
                        .bind(&event.shop_id)
                        .execute(&mut *tx)
                        .await?;
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
             WHERE shop_id = ?1 AND cursor > ?2 AND payload IS NOT NULL \
             ORDER BY cursor LIMIT ?3",
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
             FROM shops s WHERE s.id = ?1",
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
            "UPDATE shops SET acked = MAX(acked, ?2) WHERE id = ?1 AND ?2 <= head RETURNING acked",
        )
        .bind(shop_id)
        .bind(cursor)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(acked) = acked {
            return Ok(AckOutcome::Acked(acked));
        }
        let head: Option<i64> = sqlx::query_scalar("SELECT head FROM shops WHERE id = ?1")
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
            "UPDATE events SET payload = NULL WHERE rowid IN ( \
               SELECT e.rowid FROM events e JOIN shops s ON s.id = e.shop_id \
               WHERE e.payload IS NOT NULL AND e.received_at < ?1 AND e.cursor <= s.acked \
               LIMIT ?2)",
        )
        .bind(before_ms)
        .bind(batch)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn backlog(&self) -> Result<Backlog, StoreError> {
        let (unacked, oldest_unacked_ms): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COALESCE(SUM(s.head - s.acked), 0), \
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
