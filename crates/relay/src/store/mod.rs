//! The relay's store: SQLite by default (one file, WAL, `synchronous=FULL`), or
//! PostgreSQL when one relay serves many shops or several instances share one
//! database. Both run one body (`sql`: every statement, every step) over a
//! dialect (`dialect`) that holds only what the two say differently: how a
//! writing transaction begins, `MAX` or `GREATEST`, and what names an event's
//! row. `sqlite` and `postgres` hold those words, how each opens and how each
//! inserts a batch of events; `records` is what goes in and comes out.
//!
//! Allocating a cursor: inside the inserting transaction, from the shop's
//! `head`, read once per batch and written back before commit. On Postgres
//! the batch first takes its shops' row locks (`FOR UPDATE`, until commit), so
//! the next events of a shop, from any instance, wait, and cursors follow
//! commit order; it then finds which events are stored already and inserts the
//! rest in one statement. On SQLite `BEGIN IMMEDIATE` serialises writers
//! (`sqlite_writer`, a native connection, since sqlx's per-statement
//! hand-overs cost more than the statements). Two unique keys, (shop,
//! provider, event id) and (shop, provider, SHA-256 of the body), define a
//! duplicate, the second because Razorpay's event id is not signed: a
//! duplicate, earlier in the same batch or stored before, inserts nothing and
//! takes no cursor.

mod dialect;
mod postgres;
mod records;
mod sql;
mod sqlite;
mod sqlite_writer;

use sqlx::PgPool;

pub use postgres::PgStore;
pub use records::{
    AckOutcome, Backlog, EndpointRecord, Inserted, NewEvent, ShopStatus, StoredEvent,
};
pub use sqlite::SqliteStore;

use crate::error::StoreError;

/// The Postgres LISTEN/NOTIFY channel that announces commits (payload: shop id).
pub(crate) fn pg_channel() -> &'static str {
    postgres::CHANNEL
}

/// The relay's store; cheap to clone (a pool inside).
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            Store::Sqlite(s) => s.$method($($arg),*).await,
            Store::Postgres(p) => p.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// Open (and migrate) the store named by `url`: `postgres://…` or
    /// `postgresql://…` for PostgreSQL; `sqlite://path`, `sqlite:path` or a plain
    /// path for SQLite (created if missing).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(PgStore::open(url).await?))
        } else {
            Ok(Store::Sqlite(SqliteStore::open(url).await?))
        }
    }

    /// "sqlite" or "postgres" (the URL may hold a password: it is never shown).
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub(crate) fn pg_pool(&self) -> Option<&PgPool> {
        match self {
            Store::Sqlite(_) => None,
            Store::Postgres(p) => Some(p.pool()),
        }
    }

    /// Close the pool; every later call fails (tests use it to take the store down).
    pub async fn close(&self) {
        dispatch!(self.close())
    }

    /// SQLite: move the WAL into the database file (the server does this every
    /// second, off the commit path). Postgres: nothing to do.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.checkpoint().await,
            Store::Postgres(_) => Ok(()),
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self.ping())
    }

    pub async fn insert_shop(
        &self,
        id: &str,
        name: &str,
        token_hash: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.insert_shop(id, name, token_hash, now_ms))
    }

    /// Replace a shop's token hash; false if there is no such shop.
    pub async fn set_token_hash(
        &self,
        shop_id: &str,
        token_hash: &[u8],
    ) -> Result<bool, StoreError> {
        dispatch!(self.set_token_hash(shop_id, token_hash))
    }

    pub async fn insert_endpoint(
        &self,
        id: &str,
        shop_id: &str,
        provider: &str,
        sealed_secrets: &[u8],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.insert_endpoint(id, shop_id, provider, sealed_secrets, now_ms))
    }

    pub async fn endpoint(&self, id: &str) -> Result<Option<EndpointRecord>, StoreError> {
        dispatch!(self.endpoint(id))
    }

    /// The shop whose client token hashes to `token_hash`.
    pub async fn shop_for_token(&self, token_hash: &[u8]) -> Result<Option<String>, StoreError> {
        dispatch!(self.shop_for_token(token_hash))
    }

    /// Store `events` in one transaction, in order, each with its shop's next
    /// cursor; one answer per event. Durable when this returns Ok.
    pub async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<Inserted>, StoreError> {
        dispatch!(self.insert_events(events))
    }

    /// Up to `limit` events of the shop after `after`, in cursor order (events
    /// whose body retention dropped are left out; they were acknowledged).
    pub async fn events_after(
        &self,
        shop_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(self.events_after(shop_id, after, limit))
    }

    pub async fn status(&self, shop_id: &str) -> Result<Option<ShopStatus>, StoreError> {
        dispatch!(self.status(shop_id))
    }

    /// Raise the shop's acknowledged cursor to `cursor` (a lower one changes nothing).
    pub async fn ack(&self, shop_id: &str, cursor: i64) -> Result<AckOutcome, StoreError> {
        dispatch!(self.ack(shop_id, cursor))
    }

    /// Drop up to `batch` bodies of acknowledged events received before
    /// `before_ms`; how many were dropped. Unacknowledged events are never touched.
    pub async fn drop_acked_bodies(&self, before_ms: i64, batch: i64) -> Result<u64, StoreError> {
        dispatch!(self.drop_acked_bodies(before_ms, batch))
    }

    pub async fn backlog(&self) -> Result<Backlog, StoreError> {
        dispatch!(self.backlog())
    }
}
