//! The store's one body: every statement and every step, for SQLite and
//! PostgreSQL alike (`$n` parameters work on both). What the two databases say
//! differently comes from the dialect (`dialect.rs`).

use std::sync::Arc;

use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Type};

use super::dialect::Dialect;
use super::records::{AckOutcome, Backlog, EndpointRecord, ShopStatus, StoredEvent};
use crate::error::StoreError;

type EventRow = (i64, String, String, Option<String>, i64, String);
type EndpointRow = (String, String, String, Vec<u8>);
type StatusRow = (i64, i64, Option<i64>);
type BacklogRow = (i64, Option<i64>);

/// A pool of one database, and the statements in its dialect.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pool: Pool<D::Db>,
    statements: Arc<Statements>,
}

// By hand: a derive would ask the database type itself to be Clone.
impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            statements: self.statements.clone(),
        }
    }
}

/// The statements that hold a dialect's words, written out once at open.
#[derive(Debug)]
struct Statements {
    ack: String,
    drop_acked_bodies: String,
}

impl Statements {
    fn of<D: Dialect>() -> Self {
        Self {
            ack: format!(
                "UPDATE shops SET acked = {}(acked, $2) WHERE id = $1 AND $2 <= head \
                 RETURNING acked",
                D::GREATEST
            ),
            drop_acked_bodies: format!(
                "UPDATE events SET payload = NULL WHERE {} IN ( \
                   SELECT {} FROM events e JOIN shops s ON s.id = e.shop_id \
                   WHERE e.payload IS NOT NULL AND e.received_at < $1 AND e.cursor <= s.acked \
                   LIMIT $2)",
                D::EVENT_KEY,
                D::EVENT_KEY_OF_E
            ),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    /// Wrap an open, migrated pool.
    pub(super) fn new(pool: Pool<D::Db>) -> Self {
        Self {
            pool,
            statements: Arc::new(Statements::of::<D>()),
        }
    }

    pub(super) fn pool(&self) -> &Pool<D::Db> {
        &self.pool
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }
}

// What the statements below bind and read, said once for any database that
// has it (SQLite and PostgreSQL both do).
impl<D> SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    for<'q> <D::Db as Database>::Arguments<'q>: IntoArguments<'q, D::Db>,
    for<'q> &'q str: Encode<'q, D::Db> + Type<D::Db>,
    for<'q> Option<&'q str>: Encode<'q, D::Db> + Type<D::Db>,
    for<'q> &'q [u8]: Encode<'q, D::Db> + Type<D::Db>,
    for<'q> i64: Encode<'q, D::Db> + Type<D::Db>,
    for<'r> (i32,): FromRow<'r, <D::Db as Database>::Row>,
    for<'r> (i64,): FromRow<'r, <D::Db as Database>::Row>,
    for<'r> (String,): FromRow<'r, <D::Db as Database>::Row>,
    for<'r> EventRow: FromRow<'r, <D::Db as Database>::Row>,
    for<'r> EndpointRow: FromRow<'r, <D::Db as Database>::Row>,
    for<'r> StatusRow: FromRow<'r, <D::Db as Database>::Row>,
    for<'r> BacklogRow: FromRow<'r, <D::Db as Database>::Row>,
{
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
        Ok(D::rows_affected(&done) == 1)
    }

    pub(super) async fn insert_endpoint(
        &self,
        id: &str,
        shop_id: &str,
        provider: &str,
        sealed_secrets: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(D::BEGIN).await?;
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
        let row: Option<EndpointRow> =
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
        let row: Option<StatusRow> = sqlx::query_as(
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
        let acked: Option<i64> = sqlx::query_scalar(&self.statements.ack)
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
        let done = sqlx::query(&self.statements.drop_acked_bodies)
            .bind(before_ms)
            .bind(batch)
            .execute(&self.pool)
            .await?;
        Ok(D::rows_affected(&done))
    }

    pub(super) async fn backlog(&self) -> Result<Backlog, StoreError> {
        // The CAST: Postgres sums BIGINTs into a NUMERIC.
        let (unacked, oldest_unacked_ms): BacklogRow = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(s.head - s.acked), 0) AS BIGINT), \
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
